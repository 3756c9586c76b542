"""How long `rnn-viz` takes from process start to the main window painted with the first model drawn.

    python benchmarks/startup.py [--runs 5]

Each run is a fresh Python process doing what `rnn-viz` does (import the CLI, run_app on the default
experiment) and exiting right after the window's first paint. The issue's target: under 2 s.
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
_show = MainWindow.show

def show(self):
    _show(self)
    def painted():
        print(f"{time.time() - t0:.3f}", flush=True)
        os._exit(0)
    # A zero timer runs once the first frame's paint events are done.
    QTimer.singleShot(0, painted)

MainWindow.show = show
appmod.run_app(None)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            out = subprocess.run([sys.executable, "-c", CHILD, repr(time.time()), tmp], cwd=ROOT, env=env,
                                 capture_output=True, text=True, check=True)
            times.append(float(out.stdout.strip().splitlines()[-1]))
    print(f"process start -> main window painted ({env['QT_QPA_PLATFORM']}, {args.runs} runs, "
          f"load average {os.getloadavg()[0]:.1f}): median {statistics.median(times):.2f} s, "
          f"min {min(times):.2f} s, max {max(times):.2f} s (target < 2 s)")


if __name__ == "__main__":
    main()
