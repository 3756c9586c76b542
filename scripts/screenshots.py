"""Screenshots of the whole window for the user guide: every combination of screen, mode, length and cell.

Run under a virtual screen of the size wanted (there is no window manager, so the window is maximised
by hand to the screen's available geometry):

    xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python scripts/screenshots.py OUTDIR
    xvfb-run -a -s "-screen 0 2560x1440x24" .venv/bin/python scripts/screenshots.py OUTDIR

For each of T = 50 and 500, rnn and lstm, single and compare mode it trains a few updates of the
default experiment (2 layers) in the window, waits for the views to draw and saves
``OUTDIR/window-<W>x<H>-<cell>-T<T>-<single|compare>.png``. Settings go to a temporary QSettings
file, so the user's own are untouched.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

UPDATES = 5


def main(out: Path) -> int:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from rnn_viz.experiment import config as cfgmod
    from rnn_viz.ui import dialogs
    from rnn_viz.ui.main_window import MainWindow
    from rnn_viz.ui.settings import AppSettings

    app = QApplication.instance() or QApplication(sys.argv)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    screen = app.primaryScreen().availableGeometry()
    size = f"{screen.width()}x{screen.height()}"
    out.mkdir(parents=True, exist_ok=True)
    dialogs.Prompts.unsaved_changes = lambda self, what: "discard"  # closing a compare window asks
    with tempfile.TemporaryDirectory() as tmp:
        for cell in ("rnn", "lstm"):
            for T in (50, 500):
                for mode in ("single", "compare"):
                    cfg = cfgmod.apply_overrides(cfgmod.default_config(), [
                        f"model.cell={cell}", f"data.seq_len={T}", "model.num_layers=2"])
                    window = MainWindow(None, settings=AppSettings(Path(tmp) / f"{cell}{T}{mode}.ini"), config=cfg)
                    window.setGeometry(screen)
                    window.show()
                    _wait(app, lambda: window.controller.session is not None, 30)
                    if mode == "compare":
                        window.acts.compare.trigger()
                        _wait(app, lambda: window.controller.compare, 30)
                    for _ in range(UPDATES):
                        target = window.controller.trainer.step_count + 1
                        window.acts.step.trigger()
                        _wait(app, lambda: window.controller.trainer.step_count >= target
                              and not window.controller.running, 120)
                    window.controller.render_now()
                    _wait(app, lambda: False, 1.5)  # let every view paint
                    path = out / f"window-{size}-{cell}-T{T}-{mode}.png"
                    window.screen().grabWindow(0).save(str(path))
                    print(path)
                    window.close()
                    window.deleteLater()
                    _wait(app, lambda: False, 0.3)
    return 0


def _wait(app, done, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and not done():
        app.processEvents()
        time.sleep(0.01)


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/img")))
