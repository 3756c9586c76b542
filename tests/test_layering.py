"""The layers stay apart: Qt lives in rnn_viz/ui only, the engine imports numpy and the stdlib only."""
import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "rnn_viz"
QT_MODULES = {"PySide6", "pyqtgraph", "shiboken6", "superqt", "PyQt5", "PyQt6", "PySide2"}


def _imports(path: Path, top_level_only: bool = False):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module, node.lineno


def _modules(sub: str = ""):
    return sorted((PACKAGE / sub).rglob("*.py"))


def test_no_qt_outside_ui():
    leaks = []
    for path in _modules():
        if "ui" in path.relative_to(PACKAGE).parts:
            continue
        # cli.py may open the window and api.py render a view, but only lazily (inside a function),
        # never at import time.
        top_only = path.name in ("cli.py", "api.py") and path.parent == PACKAGE
        for name, line in _imports(path, top_level_only=top_only):
            root = name.split(".")[0]
            if root in QT_MODULES or (name.startswith("rnn_viz.ui") and not top_only):
                leaks.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}")
            if top_only and name.startswith("rnn_viz.ui"):
                leaks.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {name} at top level")
    assert not leaks, "Qt imported below rnn_viz/ui:\n" + "\n".join(leaks)


def test_engine_imports_numpy_and_stdlib_only():
    allowed = set(sys.stdlib_module_names) | {"numpy", "rnn_viz"}
    bad = []
    for path in _modules("engine"):
        for name, line in _imports(path):
            root = name.split(".")[0]
            if root not in allowed or (root == "rnn_viz" and not name.startswith("rnn_viz.engine")):
                bad.append(f"{path.name}:{line} imports {name}")
    assert not bad, "engine must import numpy only:\n" + "\n".join(bad)


def test_headless_layers_import_without_loading_qt():
    code = (
        "import sys, rnn_viz.engine, rnn_viz.data, rnn_viz.experiment, rnn_viz.cli, rnn_viz.api;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in %r);"
        "print(','.join(bad)); sys.exit(1 if bad else 0)" % (QT_MODULES,)
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"importing the headless layers loaded Qt: {result.stdout}{result.stderr}"
