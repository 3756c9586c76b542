"""Where the files rnn-viz ships are: presets, built-in texts and sample data.

They live in the top-level ``resources/`` folder of the source tree, which the build maps into the
package as ``rnn_viz.resources`` (pyproject.toml, ``[tool.setuptools.package-dir]``). Looking them up
through ``importlib.resources`` finds the same files from an editable install of a clone and from a
wheel installed anywhere; a path relative to this file would only work in the clone.

Standard library only, so every layer (data, experiment, ui, cli) may use it.
"""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["RESOURCE_PACKAGE", "resource_path"]

RESOURCE_PACKAGE = "rnn_viz.resources"


def resource_path(*parts: str) -> Path:
    """The shipped file or folder ``resources/<parts...>`` as a filesystem path (it may not exist).

    A real path, not just a Traversable: experiment files are read, shown and opened by path, and
    pip always unpacks a wheel onto the disk. Raises RuntimeError for an installation that keeps
    rnn-viz inside a zip archive.
    """
    target = files(RESOURCE_PACKAGE).joinpath(*parts)
    if not isinstance(target, Path):
        raise RuntimeError(f"rnn-viz's {'/'.join(parts)} is not on the filesystem ({target!r}); "
                           "install rnn-viz with pip so that its files are unpacked")
    return target
