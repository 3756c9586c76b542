"""The guided-experiment dock: the preset panel under the settings, fed when a preset is open.

For the edge-of-chaos experiment a new spectral radius re-initialises the model at once and the
panel plots the measured per-step decay against log(rho) (rnn_viz.experiment.presets).
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

from rnn_viz.experiment import presets

if TYPE_CHECKING:
    from rnn_viz.ui.preset_panel import PresetPanel

__all__ = ["GuidedDock"]


class GuidedDock:
    """Owns the "Guided experiment" dock of ``window`` (objectName ``PresetDock``)."""

    def __init__(self, window):
        self.window = window
        self._panel: PresetPanel | None = None
        self.dock = QDockWidget("Guided experiment", window)
        self.dock.setObjectName("PresetDock")
        self.preset_path: Path | None = None

    @property
    def panel(self) -> PresetPanel:
        # Made when first needed (the first experiment opened): its plot imports pyqtgraph, which
        # the window's frame is shown without (rnn_viz.ui.first_frame).
        if self._panel is None:
            from rnn_viz.ui.preset_panel import PresetPanel

            self._panel = PresetPanel()
            self.dock.setWidget(self._panel)
        return self._panel

    def arrange(self, settings_dock: QDockWidget) -> None:
        self.window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.dock)
        self.window.splitDockWidget(settings_dock, self.dock, Qt.Orientation.Vertical)
        self.dock.hide()  # shown when a guided experiment opens

    @property
    def measures_decay(self) -> bool:
        return self.panel.plot_visible and not self.dock.isHidden()

    def show_for(self, config, path: Path | None) -> None:
        """A new experiment is open: show its [preset] text (and hide the dock if it has none)."""
        self.preset_path = Path(path) if path is not None else None
        if config.preset is None:
            self.panel.set_preset(None)
            self.dock.hide()
            return
        info = presets.preset_info(self.preset_path or Path("experiment.toml"), config)
        self.panel.set_preset(info)
        self.dock.show()
        self.dock.raise_()
        if info.decay_plot:
            self.measure()

    def settings_edited(self, before, after) -> bool:
        """Edge of chaos: a new spectral radius (and nothing else pending) re-initialises at once
        and adds its measurement. Returns True if it rebuilt the model."""
        if not self.measures_decay or before.model.spectral_radius == after.model.spectral_radius:
            return False
        if self.window.panel.pending_keys() != ["model.spectral_radius"]:
            return False
        if self.window.apply_config(after):
            self.measure()
            return True
        return False

    def measure(self) -> None:
        """Measure the per-step decay on the shown (heavy) trace at the model's spectral radius."""
        record = self.window.controller.record
        if record is None or not record.heavy:
            return
        rho = self.window.controller.config.model.spectral_radius
        try:
            decay = presets.measured_decay(record.trace)
        except (KeyError, ValueError):
            decay = math.nan
        self.panel.add_point(rho, decay)
