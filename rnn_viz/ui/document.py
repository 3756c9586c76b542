"""The document: the experiment being edited, one evented object the widgets follow.

It owns the file's path, the edited config (what the settings panel shows), the applied config
(what the running model was built from), whether it is saved, the settings error now shown and the
guided experiment (preset) it came from. The settings panel, the window title, the guided dock and
the file actions read it and follow its signals; none keeps a second copy.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from rnn_viz.experiment import config as cfgmod

__all__ = ["Document"]


class Document(QObject):
    """``opened(config, origin)``: a new experiment is shown (origin: its preset or file path, or
    None); ``valuesChanged(edited, applied)``: nested dicts for the panel (applied None: unchanged);
    ``errorChanged(message or None)``; ``changed()``: path, saved state or edited config changed."""

    opened = Signal(object, object)
    valuesChanged = Signal(object, object)
    errorChanged = Signal(object)
    changed = Signal()

    def __init__(self, config: cfgmod.ExperimentConfig, parent=None):
        super().__init__(parent)
        self.path: Path | None = None
        self.preset_path: Path | None = None
        self.checkpoint: Path | None = None  # the checkpoint the experiment came from, until saved
        self.edited = config
        self.applied = config
        self.saved_toml: str | None = None
        self.error: str | None = None

    # -- what happened to it ------------------------------------------------------------------------
    def open(self, path: Path | None, config: cfgmod.ExperimentConfig, preset_path: Path | None = None,
             checkpoint: Path | None = None) -> None:
        """A new experiment is shown, built into a model as ``config``: from file ``path`` (None: not
        saved yet, e.g. the default, a ``checkpoint`` or a guided experiment ``preset_path``)."""
        self.checkpoint = Path(checkpoint) if checkpoint else None
        self.path = Path(path) if path else None
        self.preset_path = Path(preset_path) if preset_path else None
        self.edited = self.applied = config
        self.saved_toml = cfgmod.to_toml(config)
        self.opened.emit(config, self.preset_path or self.path)
        self._show_values()
        self.set_error(None)
        self.changed.emit()

    def saved(self, path: Path, config: cfgmod.ExperimentConfig) -> None:
        """``config`` (the edited one) was written to ``path``."""
        self.path = Path(path)
        self.checkpoint = None
        self.edited = config
        self.saved_toml = cfgmod.to_toml(config)
        self._show_values()
        self.set_error(None)
        self.changed.emit()

    def applied_config(self, config: cfgmod.ExperimentConfig) -> None:
        """A new model was built from ``config`` (Reset, compare mode, a sequence file): nothing is
        pending any more; the file and its saved state stay."""
        self.edited = self.applied = config
        self._show_values()
        self.set_error(None)
        self.changed.emit()

    def edit(self, config: cfgmod.ExperimentConfig) -> None:
        """The settings panel produced a valid ``config`` (shown resolved: defaults, derived lengths)."""
        self.edited = config
        self.valuesChanged.emit(cfgmod.to_dict(config), None)
        self.set_error(None)
        self.changed.emit()

    def live_applied(self, config: cfgmod.ExperimentConfig) -> None:
        """The running model took the edited live settings: they are applied, not pending."""
        self.applied = config
        self.changed.emit()

    def set_error(self, message: str | None) -> None:
        if message != self.error:
            self.error = message
            self.errorChanged.emit(message)

    # -- what it says ---------------------------------------------------------------------------------
    def is_dirty(self) -> bool:
        return cfgmod.to_toml(self.edited) != self.saved_toml

    def title(self) -> str:
        """The window title's experiment part: "name.toml", a preset's title, or "untitled experiment"."""
        preset = self.edited.preset
        if self.path is not None:
            return f"{preset.title} ({self.path.name})" if preset is not None else self.path.name
        ckpt = self.checkpoint
        if ckpt is not None:  # the run's folder names it best (runs/first/checkpoint.npz)
            where = f"{ckpt.parent.name}/{ckpt.name}" if ckpt.parent.name else ckpt.name
            return f"{preset.title} (from {where})" if preset is not None else f"experiment from {where}"
        return f"{preset.title} (guided experiment)" if preset is not None else "untitled experiment"

    def _show_values(self) -> None:
        self.valuesChanged.emit(cfgmod.to_dict(self.edited), cfgmod.to_dict(self.applied))
