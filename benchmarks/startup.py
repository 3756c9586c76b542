"""How long `rnn-viz` takes from process start to its window on screen: the frame first, then every
view built and the first model drawn.

    python benchmarks/startup.py [--runs 7]

Each run is a fresh Python process doing what `rnn-viz` does (import the CLI, run_app on the default
experiment) and exiting once the views have been painted. "frame": the main window's first paint
(menus, toolbar, settings and the docks; rnn_viz.ui.first_frame builds the views right after it);
"views": the first paint after the views are built and the first model is drawn into them. The
issue's target: the first painted window under 1.0 s median. The load average is printed with the
numbers (wall times on a busy machine include waiting for a core; the process CPU column, from
process start, does not).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import os, sys, time
t0 = float(sys.argv[1])
from PySide6.QtCore import QObject, QEvent, QTimer, QSettings
QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, sys.argv[2])
import rnn_viz.cli  # what the rnn-viz entry point imports first
from rnn_viz.ui import app as appmod
from rnn_viz.ui.main_window import MainWindow
seen = {}

class Painted(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and "frame" not in seen:
            seen["frame"] = time.time() - t0
            seen["frame_cpu"] = time.process_time()
        return False

_show = MainWindow.show
_build = MainWindow.build_views
spy = Painted()

def show(self):
    self.installEventFilter(spy)
    _show(self)

def build_views(self):
    _build(self)
    def painted():
        print(f"{seen.get('frame', float('nan')):.3f} {time.time() - t0:.3f} "
              f"{seen.get('frame_cpu', float('nan')):.3f} {time.process_time():.3f}", flush=True)
        os._exit(0)
    # The views paint on this turn of the event loop; a zero timer runs after those paint events.
    QTimer.singleShot(0, painted)

MainWindow.show = show
MainWindow.build_views = build_views
appmod.run_app(None)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    frames, fulls, frame_cpus, full_cpus = [], [], [], []
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            out = subprocess.run([sys.executable, "-c", CHILD, repr(time.time()), tmp], cwd=ROOT, env=env,
                                 capture_output=True, text=True, check=True)
            frame, full, frame_cpu, full_cpu = map(float, out.stdout.strip().splitlines()[-1].split())
            frames.append(frame)
            fulls.append(full)
            frame_cpus.append(frame_cpu)
            full_cpus.append(full_cpu)
    load = f"load average {load0:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    print(f"process start -> window on screen ({env['QT_QPA_PLATFORM']}, {args.runs} runs, {load})")
    print("| moment | median s | min s | max s | process CPU median s |\n|---|---:|---:|---:|---:|")
    for name, times, cpu in (("frame painted (target < 1.0 s)", frames, frame_cpus),
                             ("views built, first model drawn", fulls, full_cpus)):
        print(f"| {name} | {statistics.median(times):.2f} | {min(times):.2f} | {max(times):.2f} | "
              f"{statistics.median(cpu):.2f} |")


if __name__ == "__main__":
    main()
