"""Training rate with the window open against headless, and what each frame costs meanwhile.

    python benchmarks/gui_rate.py [--seconds 10] [--rounds 2] [--T 200] [--H 128] [--layers 2] [--batch 32]

The issue's target: with T = 200, H = 128, 2 layers and every live view visible (the Dynamics dock,
computed on request, is closed), training in the window
reaches at least 90% of the headless step rate (80% for the small default-sized model) (the rate `rnn-viz run` trains at). Both runs use
the same experiment and the same Trainer; "headless" is a plain loop of trainer.step() as in
`rnn-viz run`, "window" is the app's worker thread with the real main window drawing (offscreen
platform unless a display is set). Frame = render() of every view plus Qt painting, during which
the worker waits (see rnn_viz/ui/worker.py). Wall-clock numbers: run on an idle machine. On a
shared one the two runs take turns (``--rounds``: headless, window, headless, window, ...) and each
round's ratio is printed with the load average, so a change in load shows as a spread of ratios
rather than as a false result.
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

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from rnn_viz.experiment import config as cfgmod  # noqa: E402
from rnn_viz.experiment.loop import Trainer  # noqa: E402


def experiment(args) -> cfgmod.ExperimentConfig:
    return cfgmod.config_from_dict({
        "data": {"source": "sine", "seq_len": args.T, "batch_size": args.batch},
        "model": {"cell": args.cell, "hidden_size": args.H, "num_layers": args.layers},
        "training": {"seed": 0},
    }, "benchmark")


def headless_rate(config, seconds: float) -> float:
    trainer = Trainer(config)
    trainer.step(level="metrics")  # warm-up
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        trainer.step(level="metrics")  # the trace level `rnn-viz run` computes
        n += 1
    return n / (time.perf_counter() - t0)


def window_rate(app, config, seconds: float, width: int, height: int, layout: str = "all"):
    from rnn_viz.ui.main_window import MainWindow
    from rnn_viz.ui.settings import AppSettings

    with tempfile.TemporaryDirectory() as tmp:
        window = MainWindow(None, settings=AppSettings(Path(tmp) / "settings.ini"), config=config)
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
        c = window.controller
        frames, renders = [], []
        frame, render_now = c._frame, c.render_now

        def timed_frame():
            t = time.perf_counter()
            frame()
            frames.append(time.perf_counter() - t)

        def timed_render():
            t = time.perf_counter()
            state = render_now()
            renders.append(time.perf_counter() - t)
            return state

        c._timer.timeout.disconnect()
        c._timer.timeout.connect(timed_frame)
        c.render_now = timed_render
        c.step_once()  # warm-up: first heavy trace, first layout
        while c.running:
            app.processEvents()
        frames.clear()
        renders.clear()
        n0, t0 = c.trainer.step_count, time.perf_counter()
        c.start()
        QTimer.singleShot(int(seconds * 1000), app.quit)
        app.exec()
        c.stop()
        elapsed = time.perf_counter() - t0
        steps = c.trainer.step_count - n0
        window.prompts.unsaved_changes = lambda what: "discard"
        window.close()
    return steps / elapsed, len(frames) / elapsed, frames, renders


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
    parser.add_argument("--rounds", type=int, default=2, help="headless and window runs taking turns")
    parser.add_argument("--T", type=int, default=200)
    parser.add_argument("--H", type=int, default=128)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--cell", default="rnn")
    parser.add_argument("--size", default="1600x1000", help="window size, WxH")
    parser.add_argument("--layout", default="all", help="the window's layout: all (every view in sight, the "
                        "issue's case), tabs (the laptop default: views behind other tabs are not drawn) or focus")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    app = QApplication.instance() or QApplication([])
    config = experiment(args)
    print(f"# {args.cell}, T={args.T}, H={args.H}, layers={args.layers}, B={args.batch}; "
          f"{args.seconds:g} s per run, {args.rounds} rounds; layout {args.layout}; platform {app.platformName()}; {os.cpu_count()} cores; "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}")
    print("| round | load avg | headless updates/s | window updates/s | window / headless | frames/s "
          "| frame ms median / p95 / max | render() ms median / max |")
    print("|---|---:|---:|---:|---:|---:|---|---|")
    ratios = []
    for r in range(args.rounds):
        load = os.getloadavg()[0]
        headless = headless_rate(config, args.seconds)
        rate, fps, frames, renders = window_rate(app, config, args.seconds, width, height, args.layout)
        ratios.append(rate / headless)
        print(f"| {r + 1} | {load:.1f} | {headless:.2f} | {rate:.2f} | {rate / headless:.0%} | {fps:.1f} | "
              f"{ms(frames)} / {ms(frames, 0.95)} / {1000 * max(frames, default=0):.1f} | "
              f"{ms(renders)} / {1000 * max(renders, default=0):.1f} |", flush=True)
    print(f"\nwindow / headless: median {statistics.median(ratios):.0%} over {len(ratios)} rounds "
          f"(target >= 90% at T = 200, H = 128, 2 layers; >= 80% small); load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
