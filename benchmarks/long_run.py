"""Memory over a long run: 100,000 updates of a small model, resident memory (RSS) sampled.

Headless (default): runs ``rnn-viz run`` in a child process exactly as a user would and samples the
child's RSS from /proc while it trains, reading how far it got from the last row of metrics.csv
(flushed after every update). ``--window``: trains the same experiment in the app's main window
(offscreen Qt, every view drawing) through its controller and samples this process.

Prints one table row per tenth of the run: updates done, seconds, RSS in MiB, growth since the
first row, and the peak. A flat RSS column is the point: the run keeps no per-update history beyond
bounded (decimated) buffers. Linux only (/proc).

    .venv/bin/python benchmarks/long_run.py                 # 100,000 updates headless
    .venv/bin/python benchmarks/long_run.py --steps 20000 --window
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# A small model on the default task: what "small" means here is a step of about a millisecond.
SMALL_EXPERIMENT = """\
[data]
source = "sine"
seq_len = 20
batch_size = 8
val_size = 64

[model]
cell = "rnn"
hidden_size = 16

[training]
seed = 0
val_every = 100
"""


def rss_mib(pid: int | str = "self") -> tuple[float, float]:
    """(current RSS, peak RSS) of a process in MiB, from /proc/<pid>/status."""
    values = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, kb, _ = line.split()
                values[key] = int(kb) / 1024.0
    return values["VmRSS:"], values["VmHWM:"]


def last_step(metrics: Path) -> int:
    """The `step` of the last complete row of a metrics.csv being written (0 before the first)."""
    try:
        with open(metrics, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 4096))
            lines = f.read().split(b"\n")
    except FileNotFoundError:
        return 0
    complete = [ln for ln in lines[:-1] if ln and ln[:1].isdigit()]  # the last piece may be half-written
    return int(complete[-1].split(b",", 1)[0]) if complete else 0


def table(samples: list[tuple[int, float, float, float]], steps: int, rows: int = 10) -> str:
    """samples: (updates, seconds, rss, peak) in time order -> one row per 1/rows of the run."""
    out = [f"{'updates':>9}  {'seconds':>8}  {'RSS MiB':>8}  {'growth':>7}  {'peak MiB':>8}"]
    base = None
    milestones = [round(steps * i / rows) for i in range(1, rows + 1)]
    chosen = []
    for m in milestones:
        hit = next((s for s in samples if s[0] >= m), None)
        if hit is not None and (not chosen or hit is not chosen[-1]):
            chosen.append(hit)
    first = next((s for s in samples if s[0] > 0), samples[0] if samples else None)
    if first is not None and (not chosen or first[0] < chosen[0][0]):
        chosen.insert(0, first)
    for updates, seconds, rss, peak in chosen:
        base = rss if base is None else base
        out.append(f"{updates:>9}  {seconds:>8.1f}  {rss:>8.1f}  {rss - base:>+7.1f}  {peak:>8.1f}")
    return "\n".join(out)


def headless(experiment: Path, steps: int, interval: float) -> list[tuple[int, float, float, float]]:
    with tempfile.TemporaryDirectory(prefix="rnn-viz-long-run-") as tmp:
        out = Path(tmp) / "run"
        cmd = [sys.executable, "-m", "rnn_viz.cli", "run", str(experiment), "--steps", str(steps),
               "--out", str(out), "--quiet"]
        t0 = time.perf_counter()
        child = subprocess.Popen(cmd, cwd=ROOT)
        samples = []
        try:
            while child.poll() is None:
                try:
                    rss, peak = rss_mib(child.pid)
                except (FileNotFoundError, KeyError, ProcessLookupError):
                    break  # the child is exiting
                samples.append((last_step(out / "metrics.csv"), time.perf_counter() - t0, rss, peak))
                time.sleep(interval)
        finally:
            if child.poll() is None:
                child.terminate()
            child.wait()
        if child.returncode != 0:
            raise SystemExit(f"rnn-viz run failed with exit code {child.returncode}")
        done = last_step(out / "metrics.csv")
        if samples and done > samples[-1][0]:
            # The last sample came before the final rows; the process memory then is the last seen.
            samples.append((done, time.perf_counter() - t0, samples[-1][2], samples[-1][3]))
        return samples


def in_window(experiment: Path, steps: int, interval: float) -> list[tuple[int, float, float, float]]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    from PySide6.QtCore import QTimer

    from rnn_viz.ui.app import make_application
    from rnn_viz.ui.main_window import MainWindow
    from rnn_viz.ui.settings import AppSettings

    app = make_application()
    with tempfile.TemporaryDirectory(prefix="rnn-viz-long-run-") as tmp:
        # A throw-away settings file, so the benchmark leaves no recent files or layout behind.
        settings = AppSettings(Path(tmp) / "settings.ini")
        window = MainWindow(experiment, settings=settings)
        window.resize(1600, 1000)
        window.show()
        controller = window.controller
        samples = []
        t0 = time.perf_counter()

        def sample():
            trainer = controller.trainer
            done = trainer.a.step_count if hasattr(trainer, "a") else trainer.step_count
            rss, peak = rss_mib()
            samples.append((done, time.perf_counter() - t0, rss, peak))
            if done >= steps or not controller.running:
                timer.stop()
                controller.stop()
                app.quit()

        timer = QTimer()
        timer.timeout.connect(sample)
        timer.start(int(interval * 1000))
        controller.start(max_steps=steps)
        app.exec()
        controller.shutdown()
        window.close()
    return samples


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=100_000, help="updates to train (default 100000)")
    parser.add_argument("--experiment", type=Path, default=None,
                        help="experiment file (default: a small sine model, T = 20, H = 16, B = 8)")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between RSS samples")
    parser.add_argument("--window", action="store_true", help="train in the app's window instead")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rnn-viz-exp-") as tmp:
        experiment = args.experiment
        if experiment is None:
            experiment = Path(tmp) / "small.toml"
            experiment.write_text(SMALL_EXPERIMENT, encoding="utf-8")
        run = in_window if args.window else headless
        samples = run(experiment.resolve(), args.steps, args.interval)
    where = "in the window (offscreen)" if args.window else "headless (rnn-viz run)"
    print(f"{args.steps} updates {where}, {experiment.name if args.experiment else 'small sine model'}")
    print(table(samples, args.steps))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
