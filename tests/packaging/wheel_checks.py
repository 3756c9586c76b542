"""What a user gets from the wheel alone: run with the python of a fresh venv holding only rnn-viz.

Not a test module: tests/packaging/test_wheel.py runs it in such a venv, outside the clone, and
asserts on the facts it prints (one JSON object on stdout).

    python wheel_checks.py OUT_DIR
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def _command(*argv: str) -> dict:
    result = subprocess.run(list(argv), capture_output=True, text=True, timeout=300)
    return {"code": result.returncode, "stdout": result.stdout, "stderr": result.stderr[-2000:]}


def main(out: Path) -> dict:
    import rnn_viz

    facts: dict = {"module": rnn_viz.__file__}
    rnn_viz_command = str(Path(sys.executable).parent / "rnn-viz")
    facts["presets"] = _command(rnn_viz_command, "presets")
    facts["run"] = _command(rnn_viz_command, "run", "1-vanishing-gradients", "--steps", "3",
                            "--out", str(out / "run"), "--quiet")
    facts["text"] = _command(sys.executable, "-m", "rnn_viz", "run", "default", "--set", "data.source=text",
                             "--steps", "2", "--out", str(out / "text"), "--quiet")

    # Every preset by name, headless: one update each, in this process (one interpreter start).
    from rnn_viz import cli

    names = [line.split("\t")[0] for line in facts["presets"]["stdout"].splitlines()]
    facts["every_preset"] = {name: cli.main(["run", name, "--steps", "1", "--out", str(out / "every" / name),
                                             "--quiet"]) for name in names}

    # The window, offscreen: File > Guided experiments lists the shipped presets and opens each.
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    import pyqtgraph
    import PySide6
    from PySide6.QtWidgets import QMenu

    from rnn_viz.ui.app import make_application
    from rnn_viz.ui.main_window import MainWindow

    facts["versions"] = {"PySide6": PySide6.__version__, "pyqtgraph": pyqtgraph.__version__}
    app = make_application()
    window = MainWindow(None)
    window.show()
    app.processEvents()
    menu = window.findChild(QMenu, "PresetsMenu")
    actions = [a for a in menu.actions() if not a.isSeparator()]
    facts["menu"] = [[a.objectName(), a.text(), a.isEnabled()] for a in actions]
    facts["window_titles"] = {}
    for action in actions:
        if action.objectName().startswith("Preset_"):
            action.trigger()
            app.processEvents()
            facts["window_titles"][action.objectName().removeprefix("Preset_")] = window.windowTitle()
    # Help > User guide: the guide and every image it shows come with the wheel.
    from rnn_viz.ui.help import guide_path, guide_images

    guide = guide_path()
    facts["guide"] = {"exists": guide.is_file(),
                      "missing_images": [rel for rel in guide_images() if not (guide.parent / rel).is_file()]}
    window.close()
    app.processEvents()
    return facts


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
