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


# --- the import graph of rnn_viz: every import, at top level or inside a function -------------------

def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    """module -> the rnn_viz modules it imports (``from a.b import c`` counts as a.b.c when c is a
    module, else as a.b; relative imports resolved)."""
    paths = {_module_name(p): p for p in _modules()}
    graph = {}
    for name, path in paths.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        out = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                out.update(a.name for a in node.names if a.name in paths)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[:len(package) - node.level + 1] + ([node.module] if node.module else [])
                    module = ".".join(base)
                else:
                    module = node.module or ""
                for alias in node.names:
                    sub = f"{module}.{alias.name}"
                    out.add(sub if sub in paths else module)
        out.discard(name)
        graph[name] = {m for m in out if m in paths}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_circle_anywhere_in_rnn_viz():
    cycles = _cycles(_graph())
    assert not cycles, "import circles (lazy imports included):\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_cycle_check_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_data_imports_neither_engine_nor_experiment():
    graph = _graph()
    bad = [f"{m} imports {d}" for m in graph if m.startswith("rnn_viz.data")
           for d in graph[m] if d.startswith(("rnn_viz.engine", "rnn_viz.experiment", "rnn_viz.ui", "rnn_viz.cli"))]
    assert not bad, "\n".join(bad)


def test_views_import_neither_the_controller_nor_the_window():
    graph = _graph()
    forbidden = ("rnn_viz.ui.controller", "rnn_viz.ui.main_window", "rnn_viz.ui.worker", "rnn_viz.ui.files",
                 "rnn_viz.ui.app")
    bad = [f"{m} imports {d}" for m in graph if m.startswith("rnn_viz.ui.views")
           for d in graph[m] if d.startswith(forbidden)]
    assert not bad, "\n".join(bad)
