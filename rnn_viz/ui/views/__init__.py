"""The six live views. Each is a QWidget drawn from a ViewState (see rnn_viz.ui.state):

``render(state)`` (cheap when nothing changed), ``export_item()`` (the pyqtgraph item to export),
``csv_table()`` (columns, rows of what is drawn) and the signal ``timeStepSelected(int)``.

Each view module has a pure ``resolve(state, ...) -> frame`` (a frozen dataclass of read-only
arrays and strings, see ``frames``), tested without Qt, and the view's ``apply(frame)`` that only
hands the frame to its plot items, called only when the frame changed. Runs are ``state.runs``.
"""
from .curves import TrainingCurvesView
from .flow import FlowMatrixView
from .gradients import GradientProfileView
from .graph import UnrolledGraphView
from .heatmaps import HiddenStateView
from .predictions import PredictionsView

__all__ = [
    "ALL_VIEWS", "UnrolledGraphView", "HiddenStateView", "GradientProfileView", "FlowMatrixView",
    "TrainingCurvesView", "PredictionsView",
]

# (name, class, title): the name is file-name safe (exports use it), the title goes on the dock.
ALL_VIEWS = (
    ("graph", UnrolledGraphView, "Unrolled graph"),
    ("heatmaps", HiddenStateView, "Hidden states"),
    ("gradients", GradientProfileView, "Gradient per time step"),
    ("flow", FlowMatrixView, "Gradient flow matrix"),
    ("curves", TrainingCurvesView, "Training curves"),
    ("predictions", PredictionsView, "Predictions"),
)
