"""One view drawn offscreen into PNG bytes, for ``rnn_viz.api.render`` (notebooks, scripts)."""
from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

__all__ = ["render_png"]


def render_png(trace: Mapping[str, np.ndarray], view: str, width: int, height: int, config=None) -> bytes:
    """The view called ``view`` (a name of ``rnn_viz.ui.views.ALL_VIEWS``, as ``rnn-viz run --plots`` names its files) drawn
    from ``trace`` at ``width`` x ``height`` pixels, as PNG bytes. Creates an offscreen
    QApplication when there is none."""
    from rnn_viz.experiment import config as cfgmod
    from rnn_viz.ui import export
    from rnn_viz.ui.plots import _application
    from rnn_viz.ui.state import ViewState
    from rnn_viz.ui.views import ALL_VIEWS

    classes = {name: cls for name, cls, _ in ALL_VIEWS}
    if view not in classes:
        raise ValueError(f"unknown view {view!r}; allowed: {', '.join(classes)}")
    app = _application()
    mapping = cfgmod.FrozenDict(cfgmod.to_dict(config) if isinstance(config, cfgmod.ExperimentConfig)
                                else dict(config or {}))
    T = int(np.asarray(trace["inputs"]).shape[1]) if "inputs" in trace else 1
    state = ViewState(trace=trace, history={}, config=mapping, time_step=T - 1,
                      sample=int(trace.get("flow_sample", 0)))
    widget = classes[view]()
    try:
        # Not shown: the export lays the view out at this size by itself, and a shown offscreen
        # window makes Qt warn "This plugin does not support propagateSizeHints()".
        widget.resize(width, height)
        widget.render(state)
        app.processEvents()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"{view}.png"
            export.export_view(widget, path, "png", width=width, height=height)
            return path.read_bytes()
    finally:
        widget.close()
        widget.deleteLater()
        app.processEvents()
