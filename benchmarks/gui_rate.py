"""Training rate with the window open against headless, and what each frame costs meanwhile.

    python benchmarks/gui_rate.py [--seconds 10] [--rounds 2] [--T 200] [--H 128] [--layers 2] [--batch 32]

The issue's target: with T = 200, H = 128, 2 layers and every live view visible (the Dynamics dock,
computed on request, is closed), training in the window
reaches at least 90% of the headless step rate (80% for the small default-sized model) (the rate `rnn-viz run` trains at). Both runs use
the same experiment and the same Trainer; "headless" is a plain loop of trainer.step() as in
`rnn-viz run`, "window" is the app's worker thread with the real main window drawing (offscreen
platform unless a display is set). Frame = render() of every view plus Qt painting, during which
the worker waits (see rnn_viz/ui/worker.py). Wall-clock numbers: run on an idle machine. Within a
round the two take turns in short slices (``--slices``: headless, window, headless, ..., headless,
the first and last headless slices half as long), so a machine whose speed drifts from one minute
to the next weighs on both alike; each round's ratio is printed with the load average.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# One BLAS thread, as the app and `rnn-viz run` should use on two cores (set before numpy loads):
# OpenBLAS's spinning helper threads fight the UI thread (and any other process) for the cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from rnn_viz.experiment import config as cfgmod  # noqa: E402
from rnn_viz.experiment.loop import Trainer  # noqa: E402


def experiment(args) -> cfgmod.ExperimentConfig:
    return cfgmod.config_from_dict({
        "data": {"source": "sine", "seq_len": args.T, "batch_size": args.batch},
        "model": {"cell": args.cell, "hidden_size": args.H, "num_layers": args.layers},
        "training": {"seed": 0},
    }, "benchmark")


class Headless:
    """A plain loop of trainer.step() at the level `rnn-viz run` computes, in slices."""

    def __init__(self, config):
        self.trainer = Trainer(config)
        self.trainer.step(level="metrics")  # warm-up

    def run(self, seconds: float) -> tuple[int, float]:
        """(updates, elapsed seconds) of one slice."""
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            self.trainer.step(level="metrics")
            n += 1
        return n, time.perf_counter() - t0


class Window:
    """The main window with the app's worker and frames, trained in slices (Start ... Pause), its
    frames and render() calls timed."""

    def __init__(self, app, config, width: int, height: int, layout: str = "all"):
        from rnn_viz.ui.main_window import MainWindow
        from rnn_viz.ui.settings import AppSettings

        self.app = app
        self._tmp = tempfile.TemporaryDirectory()
        self.window = window = MainWindow(None, settings=AppSettings(Path(self._tmp.name) / "settings.ini"), config=config)
        window.resize(width, height)
        window.show()
        while not window._first_show_done:  # its first show lays the docks out (and shows them all) again
            app.processEvents()
        window.layouts.apply(layout)
        dynamics = window.view_docks.get("dynamics")
        if dynamics is not None:
            # Not a live view: shown, it analyses the trace on a pool thread after every pause and at
            # its first show (seconds to minutes at T = 200 on a busy machine), which this would
            # measure as training slowed by the window. The six live views stay open. (Closed before
            # the first show, it was shown again by it: the earlier runs of this script had the
            # analysis running beside training whenever the Dynamics tab was in front.)
            dynamics.close()
        app.processEvents()
        if window.dynamics is not None:
            window.dynamics.shutdown()  # an analysis started before the dock was closed
        self.c = c = window.controller
        self.frames, self.renders = [], []
        frame, render_now = c._frame, c.render_now

        def timed_frame():
            t = time.perf_counter()
            frame()
            self.frames.append(time.perf_counter() - t)

        def timed_render():
            t = time.perf_counter()
            state = render_now()
            self.renders.append(time.perf_counter() - t)
            return state

        # when the newest update was kept (Trainer.commit), for a slice's end: see run()
        trainer, commit = c.trainer, c.trainer.commit
        self.committed = 0.0

        def timed_commit(*a, **k):
            record = commit(*a, **k)
            self.committed = time.perf_counter()
            return record

        trainer.commit = timed_commit
        c._timer.timeout.disconnect()
        c._timer.timeout.connect(timed_frame)
        c.render_now = timed_render
        c.step_once()  # warm-up: first heavy trace, first layout
        while c.running:
            app.processEvents()
        self.frames.clear()
        self.renders.clear()

    def run(self, seconds: float) -> tuple[int, float]:
        """(updates, elapsed seconds) of one slice: Start, train ``seconds``, Pause. The slice ends
        with its last completed update, as a headless slice does: the Pause cancels the update in
        flight (up to a validation row's 0.7 s at T = 200, H = 128, 2 layers), a cost of pausing
        rather than of the open window, which the earlier runs of this script counted against it."""
        c = self.c
        n0, t0 = c.trainer.step_count, time.perf_counter()
        c.start()
        # A loop of its own, not app.exec()/app.quit(): Qt 6's quit closes every window first, and
        # the closed window stopped training and drew nothing in every later slice (the earlier
        # runs with --slices > 1 measured one drawn slice and the rest against a hidden window).
        loop = QEventLoop()
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()
        c.stop()
        while c.running:  # the worker's last update ends; it counts, and so does its time
            self.app.processEvents()
        if not self.window.isVisible():
            raise SystemExit("the window was closed during the slice: its rate is not the window's")
        if c.trainer.step_count == n0:
            raise SystemExit(f"no update completed in a {seconds:g} s slice: make --seconds longer")
        return c.trainer.step_count - n0, self.committed - t0

    def close(self) -> None:
        self.window.prompts.unsaved_changes = lambda what: "discard"
        self.window.close()
        self._tmp.cleanup()


def one_round(app, config, args) -> tuple[float, float, list[float], list[float], float]:
    """headless, window, headless, ... (``args.slices`` window slices between ``slices + 1`` headless
    ones): the machine's speed drifts from one minute to the next here (the headless rate alone
    moved 20% between runs), so each window slice is compared with the headless slices either side of it
    rather than with one run before it. Returns the two rates, frames, render() times, frames/s."""
    slice_s = args.seconds / args.slices
    headless, window = Headless(config), Window(app, config, *args.size_wh, args.layout)
    h_n = h_t = w_n = w_t = 0.0
    for k in range(2 * args.slices + 1):
        if k % 2 == 0:
            n, t = headless.run(slice_s / 2 if k in (0, 2 * args.slices) else slice_s)
            h_n, h_t = h_n + n, h_t + t
        else:
            n, t = window.run(slice_s)
            w_n, w_t = w_n + n, w_t + t
    frames, renders = window.frames, window.renders
    window.close()
    return h_n / h_t, w_n / w_t, frames, renders, len(frames) / w_t


def ms(values, q=None) -> str:
    if not values:
        return "-"
    values = sorted(values)
    if q is None:
        return f"{1000 * statistics.median(values):.1f}"
    return f"{1000 * values[min(len(values) - 1, int(q * len(values)))]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2, help="rounds, each a new window and trainer")
    parser.add_argument("--slices", type=int, default=1, help="window slices per round, headless ones between "
                        "(each Start takes a heavy trace first: 0.8 s at T = 200, H = 128, 2 layers)")
    parser.add_argument("--T", type=int, default=200)
    parser.add_argument("--H", type=int, default=128)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--cell", default="rnn")
    parser.add_argument("--size", default="1600x1000", help="window size, WxH")
    parser.add_argument("--layout", default="all", help="the window's layout: all (every view in sight, the "
                        "issue's case), tabs (the laptop default: views behind other tabs are not drawn) or focus")
    args = parser.parse_args()
    args.size_wh = tuple(int(v) for v in args.size.split("x"))
    app = QApplication.instance() or QApplication([])
    from rnn_viz.ui.gc_timer import GarbageCollector

    # As the app does (rnn_viz/ui/app.py): the cyclic collector on a GUI-thread timer. Left
    # automatic, it ran in the worker and collected Qt objects there; one run of this script hung
    # for half an hour with both threads waiting, the worker inside a collection.
    collector = GarbageCollector(interval=1.0)  # noqa: F841
    config = experiment(args)
    print(f"# {args.cell}, T={args.T}, H={args.H}, layers={args.layers}, B={args.batch}; "
          f"{args.seconds:g} s of each per round in {args.slices} slices, {args.rounds} rounds; layout {args.layout}; platform {app.platformName()}; {os.cpu_count()} cores; "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}")
    print("| round | load avg | headless updates/s | window updates/s | window / headless | frames/s "
          "| frame ms median / p95 / max | render() ms median / max |")
    print("|---|---:|---:|---:|---:|---:|---|---|")
    ratios = []
    for r in range(args.rounds):
        load = os.getloadavg()[0]
        headless, rate, frames, renders, fps = one_round(app, config, args)
        ratios.append(rate / headless)
        print(f"| {r + 1} | {load:.1f} | {headless:.2f} | {rate:.2f} | {rate / headless:.0%} | {fps:.1f} | "
              f"{ms(frames)} / {ms(frames, 0.95)} / {1000 * max(frames, default=0):.1f} | "
              f"{ms(renders)} / {1000 * max(renders, default=0):.1f} |", flush=True)
    print(f"\nwindow / headless: median {statistics.median(ratios):.0%} over {len(ratios)} rounds "
          f"(target >= 90% at T = 200, H = 128, 2 layers; >= 80% small); load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
