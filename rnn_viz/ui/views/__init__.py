"""The six live views. Each is a QWidget drawn from a ViewState (see rnn_viz.ui.state):

``render(state)`` (cheap when nothing changed), ``export_item()`` (the pyqtgraph item to export),
``csv_table()`` (columns, rows of what is drawn) and the signal ``timeStepSelected(int)``.

Each view module has a pure ``resolve(state, ...) -> frame`` (a frozen dataclass of read-only
arrays and strings, see ``frames``), tested without Qt, and the view's ``apply(frame)`` that only
hands the frame to its plot items, called only when the frame changed. Runs are ``state.runs``.
"""
from rnn_viz.ui.view_titles import DYNAMICS_VIEW_TITLE, LIVE_VIEW_TITLES

from .curves import TrainingCurvesView
from .dynamics import DynamicsView
from .flow import FlowMatrixView
from .gradients import GradientProfileView
from .graph import UnrolledGraphView
from .heatmaps import HiddenStateView
from .predictions import PredictionsView

__all__ = [
    "ALL_VIEWS", "UnrolledGraphView", "HiddenStateView", "GradientProfileView", "FlowMatrixView",
    "TrainingCurvesView", "PredictionsView", "DynamicsView", "DYNAMICS_VIEW", "WINDOW_VIEWS",
]

# (name, class, title): names and titles from rnn_viz.ui.view_titles (the window shows its docks
# before it imports the views).
_CLASSES = {"graph": UnrolledGraphView, "heatmaps": HiddenStateView, "gradients": GradientProfileView,
            "flow": FlowMatrixView, "curves": TrainingCurvesView, "predictions": PredictionsView}
ALL_VIEWS = tuple((name, _CLASSES[name], title) for name, title in LIVE_VIEW_TITLES)

# Drawn from the dyn/ keys computed on request (rnn_viz.ui.dynamics_job), not from every update's
# trace, so it is not one of the live views above; the window has it too.
DYNAMICS_VIEW = (DYNAMICS_VIEW_TITLE[0], DynamicsView, DYNAMICS_VIEW_TITLE[1])
WINDOW_VIEWS = (*ALL_VIEWS, DYNAMICS_VIEW)
