"""Which files an experiment makes rnn-viz read, and whether they stay in the experiment's folder.

A shared experiment file is untrusted: ``[data] path = "../../../../etc/passwd"`` with
``source = "text"`` would train on that file and carry its characters into ``trace.npz``. Relative
paths resolve against the experiment's folder; a path that leaves it (absolute, ``..``, ``~`` or a
symlink pointing out) is shown to the user before it is read.

The policy is a plain callable, so each front end decides how to show it:

- ``outside_paths(config, folder) -> list[OutsidePath]``: the paths that leave ``folder``.
- ``check_paths(config, folder, approve)``: calls ``approve(outside_path) -> bool`` for each one
  before anything is read; a False raises ConfigError ("not read: ..."), naming the key.
- Headless (``rnn-viz run``): ``approve = tell(say)`` writes one line on stderr and goes on (the
  command line is the user's choice of experiment).
- The app (hook for the window, not built here): pass a function that shows a confirmation
  naming ``outside_path.path`` and returns the answer, before installing the new trainer. For a
  checkpoint's embedded config, whose paths the user never chose, ``files_read(config, folder)``
  lists every file it would read, to confirm all of them.

Configs embedded in checkpoints and traces never reach this point: resume builds the trainer from
the experiment given by the user (experiment/restore.py).
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .config import ConfigError, ExperimentConfig, compare_config

__all__ = ["OutsidePath", "outside_paths", "check_paths", "files_read", "tell", "PATH_KEYS"]

# The settings that name a file to read, per [data] source ("" = the built-in text).
PATH_KEYS = ("data.path", "model.weights")


@dataclass(frozen=True)
class OutsidePath:
    """A file path setting that leaves the experiment's folder. ``key``: the setting
    (``data.path``, ``compare.data.path``); ``path``: the file as it will be opened (absolute,
    symlinks resolved); ``why``: the words for it."""

    key: str
    raw: str
    path: Path
    folder: Path
    why: str

    def message(self) -> str:
        return f"{self.key} = {self.raw!r} {self.why}: rnn-viz reads {self.path}, outside {self.folder}"


def _outside(key: str, raw, folder: Path) -> OutsidePath | None:
    if not isinstance(raw, str) or not raw.strip() or "\x00" in raw:
        return None  # no file (or the built-in text); a NUL byte is refused by the reader itself
    expanded = Path(os.path.expanduser(raw))
    target = expanded if expanded.is_absolute() else folder / expanded
    try:
        resolved, root = target.resolve(), folder.resolve()
    except (OSError, RuntimeError):  # a symlink loop: the reader will say so
        return None
    if resolved.is_relative_to(root):
        return None
    if raw.startswith("~"):
        why = "is in the home folder"
    elif expanded.is_absolute():
        why = "is an absolute path"
    elif ".." in expanded.parts:
        why = "leaves the experiment's folder (..)"
    else:
        why = "is a link out of the experiment's folder"
    return OutsidePath(key, raw, resolved, root, why)


def files_read(config: ExperimentConfig, folder: Path | str, source: str | None = None) -> list[tuple[str, Path]]:
    """Every (setting, absolute path) of a file ``config`` makes rnn-viz read, relative paths taken
    from ``folder``: what a window shows before loading a checkpoint's embedded config."""
    folder = Path(folder)
    runs = [("data.path", config)]
    if config.compare is not None:
        runs.append(("compare.data.path", compare_config(config, source)))
    found: list[tuple[str, Path]] = []
    for key, cfg in runs:
        raw = cfg.data.get("path") if cfg is not None else None
        if not isinstance(raw, str) or not raw.strip():
            continue  # no file, or the built-in text
        path = Path(os.path.expanduser(raw))
        path = path if path.is_absolute() else folder / path
        if all(path != seen for _, seen in found):  # run B reading run A's file is one file
            found.append((key, path))
    return found


def outside_paths(config: ExperimentConfig, folder: Path | str, source: str | None = None) -> list[OutsidePath]:
    """The file settings of ``config`` (and of its ``[compare]`` run) that leave ``folder``."""
    folder = Path(folder)
    found = [_outside("data.path", config.data.get("path"), folder),
             _outside("model.weights", config.model.weights, folder)]
    if config.compare is not None:
        other = compare_config(config, source)
        if other is not None and other.data.get("path") != config.data.get("path"):
            found.append(_outside("compare.data.path", other.data.get("path"), folder))
    return [f for f in found if f is not None]


def check_paths(config: ExperimentConfig, folder: Path | str, approve: Callable[[OutsidePath], bool],
                source: str | None = None) -> None:
    """Ask ``approve`` about every path outside ``folder`` before any is read; ConfigError if one
    is declined."""
    for outside in outside_paths(config, folder, source):
        if not approve(outside):
            raise ConfigError(f"not read: {outside.message()}", key=outside.key, source=source)


def tell(say: Callable[[str], None]) -> Callable[[OutsidePath], bool]:
    """The headless policy: one line per outside path, then read it."""
    def approve(outside: OutsidePath) -> bool:
        say(f"rnn-viz: note: {outside.message()}")
        return True
    return approve
