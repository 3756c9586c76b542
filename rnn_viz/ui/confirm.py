"""The window's confirmations before rnn-viz reads a file that a shared file chose.

An experiment file may name a data file outside its own folder (``data.path = "../../etc/passwd"``),
and a checkpoint carries the experiment it was trained with, whose files the user never chose. The
window asks, naming each path, before anything is read (the policy lives in
rnn_viz.experiment.paths; this module only words the question). ``prompts.confirm(title, text)``
answers it: a dialog in the app, a scripted answer in tests.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

__all__ = ["approve_outside", "checkpoint_files_approved", "OUTSIDE_TITLE", "CHECKPOINT_TITLE"]

OUTSIDE_TITLE = "Read a file outside the experiment's folder?"
CHECKPOINT_TITLE = "Read the files this checkpoint names?"


def approve_outside(prompts) -> Callable:
    """An ``approve(outside_path) -> bool`` for experiment.paths.check_paths that asks the user."""
    def approve(outside) -> bool:
        return bool(prompts.confirm(OUTSIDE_TITLE, f"{outside.message()}.\n\nRead this file?"))
    return approve


def checkpoint_files_approved(prompts, arrays: Mapping, base_dir: Path, source: str) -> bool:
    """Whether the user lets the experiment embedded in a checkpoint read its files (True when it
    reads none: the built-in tasks). Raises RunFileError/ConfigError for a malformed config entry."""
    from rnn_viz.experiment.config import from_json
    from rnn_viz.experiment.paths import files_read
    from rnn_viz.experiment.restore import checkpoint_config_text

    config = from_json(checkpoint_config_text(arrays, source), source)
    found = files_read(config, base_dir, source)
    if not found:
        return True
    listed = "\n".join(f"  {key}: {path}" for key, path in found)
    text = (f"{source} was saved from an experiment that reads these files:\n{listed}\n\n"
            "A checkpoint from someone else may name any file on this computer. Read them?")
    return bool(prompts.confirm(CHECKPOINT_TITLE, text))
