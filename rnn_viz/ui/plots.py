"""``rnn-viz run --plots``: the app's views rendered with no display (offscreen Qt) into a folder."""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

__all__ = ["render_run_plots"]

PLOT_SIZE = (1000, 650)


def _application():
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        # Nothing reaches a screen: the offscreen platform needs no display (and no xvfb).
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from rnn_viz.ui.application import make_application

        app = make_application()
    return app


def _config_parts(config, base_dir: Path | None):
    """(nested dict for ViewState.config, chance_loss, chance_accuracy, vocab) from an
    ExperimentConfig or a plain mapping; the chance levels need the dataset and are skipped if it
    cannot be built here."""
    from rnn_viz.experiment import config as cfgmod

    if isinstance(config, cfgmod.ExperimentConfig):
        mapping = cfgmod.FrozenDict(cfgmod.to_dict(config))
        data = config.data
    else:
        mapping = cfgmod.FrozenDict(dict(config or {}))
        data = mapping.get("data")
    chance = (None, None, None)
    if data:
        try:
            from rnn_viz.data import load_dataset

            seed = mapping.get("training", {}).get("seed", 0)
            ds = load_dataset(dict(data), base_dir, seed)
            chance = (ds.chance_loss, ds.chance_accuracy, ds.vocab)
        except Exception:  # a plot without its chance line is still worth writing
            pass
    return mapping, chance


def render_run_plots(out_dir: Path, trace: Mapping[str, np.ndarray], metrics_path: Path | None, config,
                     *, formats: Sequence[str] = ("png",), size: tuple[int, int] = PLOT_SIZE,
                     base_dir: Path | None = None) -> list[Path]:
    """Draw every view of the app from ``trace`` (trace.npz keys) and ``metrics_path``
    (metrics.csv, may be None) and write ``<view>.<fmt>`` for each format (png, svg, csv) into
    ``out_dir``. ``config``: the run's ExperimentConfig (or its nested dict). Returns the paths."""
    app = _application()
    from rnn_viz.experiment.io import read_metrics
    from rnn_viz.ui import export
    from rnn_viz.ui.state import ViewState
    from rnn_viz.ui.views import ALL_VIEWS, DYNAMICS_VIEW
    from rnn_viz.ui.views.dynamics import dyn_keys

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    history = read_metrics(metrics_path) if metrics_path is not None and Path(metrics_path).exists() else {}
    history = {k: np.asarray(v, dtype=np.float64) for k, v in history.items()}
    mapping, (chance_loss, chance_acc, vocab) = _config_parts(config, base_dir)
    T = int(np.asarray(trace["inputs"]).shape[1]) if "inputs" in trace else 1
    state = ViewState(trace=trace, history=history, config=mapping, time_step=T - 1, sample=int(trace.get("flow_sample", 0)),
                      chance_loss=chance_loss, chance_accuracy=chance_acc, vocab=vocab)
    written: list[Path] = []
    # The Dynamics view only when the trace carries its keys (rnn-viz run --dynamics), in every format.
    views = [(v, formats) for v in ALL_VIEWS] + ([(DYNAMICS_VIEW, export.FORMATS)] if dyn_keys(trace) else [])
    for (name, cls, _title), view_formats in views:
        view = cls()
        view.resize(*size)
        view.show()  # offscreen: lays the plots out at this size; nothing reaches a screen
        app.processEvents()
        view.render(state)
        app.processEvents()
        for fmt in view_formats:
            path = out_dir / f"{export.safe_name(name)}.{fmt}"
            export.export_view(view, path, fmt, width=size[0])
            written.append(path)
        view.close()
        view.deleteLater()
    app.processEvents()
    return written
