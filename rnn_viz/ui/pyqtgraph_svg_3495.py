"""Work around pyqtgraph #3495 (also reported as #3485): SVG export with Qt >= 6.11.

pyqtgraph 0.14.0's SVGExporter rewrites every ``<path d="...">`` Qt generates, token by token, and
expects each token to be a coordinate pair (``M0,0``, ``L3.5,2``). Qt 6.11 and newer close paths
with a bare ``Z``, and the exporter fails with "ValueError: not enough values to unpack". The fix
proposed upstream (pyqtgraph PR #3458) is not in a release yet.

:func:`install` wraps the exporter's ``correctCoordinates`` step: it takes the ``Z`` commands out
of each path before pyqtgraph transforms the coordinates and puts them back at the same places
afterwards, so closed paths stay closed. Paths without ``Z`` (every Qt before 6.11) pass unchanged.
Remove this module and its call in ``export.py`` once the pyqtgraph that rnn-viz requires carries
the fix; ``tests/ui/test_export.py`` exports every view to SVG and parses it on the oldest and the
newest supported Qt (``tests/packaging``).
"""
from __future__ import annotations

import importlib
import re

__all__ = ["install", "split_closes", "restore_closes"]

_CLOSE = re.compile(r"([Zz])")
_MARK = "_rnn_viz_pyqtgraph_3495"


def split_closes(d: str) -> tuple[str, list[tuple[int, str]]]:
    """Path data without its close commands, and where they were: ``(d', [(k, "Z"), ...])`` with
    ``k`` the number of coordinate tokens before each ``Z`` (or ``z``)."""
    tokens = _CLOSE.sub(r" \1 ", d).split()
    kept, closes = [], []
    for token in tokens:
        if token in ("Z", "z"):
            closes.append((len(kept), token))
        else:
            kept.append(token)
    return " ".join(kept), closes


def restore_closes(d: str, closes: list[tuple[int, str]]) -> str:
    """``d`` (coordinate tokens only, as pyqtgraph writes them back) with the close commands
    :func:`split_closes` took out put back in their places."""
    tokens = d.split()
    if not closes or closes[-1][0] > len(tokens):
        return d  # not the path we split (pyqtgraph changed its length): leave it as written
    out, at = [], 0
    for k, command in closes:
        out.extend(tokens[at:k])
        out.append(command)
        at = k
    out.extend(tokens[at:])
    return " ".join(out)


def install() -> None:
    """Wrap pyqtgraph's SVG coordinate correction once per process (idempotent)."""
    # The module, not the class of the same name that pyqtgraph.exporters re-exports.
    module = importlib.import_module("pyqtgraph.exporters.SVGExporter")
    original = module.correctCoordinates
    if getattr(original, _MARK, False):
        return

    def correct_coordinates(node, defs, item, options):
        split = []
        for path in node.getElementsByTagName("path"):
            d, closes = split_closes(path.getAttribute("d"))
            if closes:
                path.setAttribute("d", d)
                split.append((path, closes))
        result = original(node, defs, item, options)
        for path, closes in split:
            path.setAttribute("d", restore_closes(path.getAttribute("d"), closes))
        return result

    setattr(correct_coordinates, _MARK, True)
    module.correctCoordinates = correct_coordinates
