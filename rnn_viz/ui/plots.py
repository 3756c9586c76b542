"""``rnn-viz run --plots``: the app's views rendered with no display (offscreen Qt) into a folder."""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

__all__ = ["render_run_plots", "FORMATS", "PLOT_SIZE"]

PLOT_SIZE = (1000, 650)
FORMATS = ("png", "svg", "csv")  # rnn-viz run --plots writes every view in each (docs/cli.md)


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


def _history(metrics_path: Path | None) -> dict[str, np.ndarray]:
    from rnn_viz.experiment.io import read_metrics

    if metrics_path is None or not Path(metrics_path).exists():
        return {}
    return {k: np.asarray(v, dtype=np.float64) for k, v in read_metrics(metrics_path).items()}


def render_run_plots(out_dir: Path, trace: Mapping[str, np.ndarray], metrics_path: Path | None, config,
                     *, formats: Sequence[str] = FORMATS, size: tuple[int, int] = PLOT_SIZE,
                     base_dir: Path | None = None, compare: tuple | None = None) -> list[Path]:
    """Draw every view of the app from ``trace`` (trace.npz keys) and ``metrics_path``
    (metrics.csv, may be None) and write ``<view>.<fmt>`` for each format (png, svg, csv) into
    ``out_dir``, each laid out at ``size`` (width, height). ``config``: the run's ExperimentConfig
    (or its nested dict). ``compare``: run B's (trace, metrics_path, config): the views are drawn as
    compare mode draws them, the runs named as there. Returns the paths."""
    app = _application()
    from rnn_viz.ui import export
    from rnn_viz.ui.state import ViewState
    from rnn_viz.ui.views import ALL_VIEWS, DYNAMICS_VIEW
    from rnn_viz.ui.views.dynamics import dyn_keys

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    mapping, (chance_loss, chance_acc, vocab) = _config_parts(config, base_dir)
    T = int(np.asarray(trace["inputs"]).shape[1]) if "inputs" in trace else 1
    runs = {}
    if compare is not None:
        trace_b, metrics_b, config_b = compare
        labels = _labels(config)
        runs = dict(trace_b=trace_b, history_b=_history(metrics_b), config_b=_config_parts(config_b, base_dir)[0],
                    label_a=labels[0], label_b=labels[1])
    state = ViewState(trace=trace, history=_history(metrics_path), config=mapping, time_step=T - 1,
                      sample=int(trace.get("flow_sample", 0)), chance_loss=chance_loss,
                      chance_accuracy=chance_acc, vocab=vocab, **runs)
    written: list[Path] = []
    # The Dynamics view only when the trace carries its keys (rnn-viz run --dynamics), in every format.
    views = [(v, formats) for v in ALL_VIEWS] + ([(DYNAMICS_VIEW, export.FORMATS)] if dyn_keys(trace) else [])
    for (name, cls, _title), view_formats in views:
        # Never shown: the export lays the view's scene out at ``size`` by itself (export.laid_out),
        # and a window shown on the offscreen platform makes Qt print "This plugin does not
        # support propagateSizeHints()" for every size constraint of the view.
        view = cls()
        view.resize(*size)
        view.render(state)
        app.processEvents()
        for fmt in view_formats:
            path = out_dir / f"{export.safe_name(name)}.{fmt}"
            export.export_view(view, path, fmt, width=size[0], height=size[1])
            written.append(path)
        view.close()
        view.deleteLater()
    app.processEvents()
    return written



def _labels(config) -> tuple[str, str]:
    """Run A's and run B's names as the window's compare mode shows them."""
    from rnn_viz.experiment import config as cfgmod
    from rnn_viz.ui.controller import run_label

    if not isinstance(config, cfgmod.ExperimentConfig):
        return "run A", "run B"
    return run_label(config), cfgmod.compare_label(config) or "run B"
