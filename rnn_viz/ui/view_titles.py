"""The window's views by name and dock title, in window order, without importing them.

The views import pyqtgraph (0.3-0.6 s at start-up), so the window builds its frame and docks from
these names first, paints it, and only then imports and builds the views (MainWindow.build_views).
rnn_viz.ui.views pairs each name with its class.
"""
from __future__ import annotations

__all__ = ["LIVE_VIEW_TITLES", "DYNAMICS_VIEW_TITLE", "WINDOW_VIEW_TITLES"]

# (name, title): the name is file-name safe (exports use it), the title goes on the dock.
LIVE_VIEW_TITLES = (
    ("graph", "Unrolled graph"),
    ("heatmaps", "Hidden states"),
    ("gradients", "Gradient per time step"),
    ("flow", "Gradient flow matrix"),
    ("curves", "Training curves"),
    ("predictions", "Predictions"),
)
DYNAMICS_VIEW_TITLE = ("dynamics", "Dynamics")
WINDOW_VIEW_TITLES = (*LIVE_VIEW_TITLES, DYNAMICS_VIEW_TITLE)
