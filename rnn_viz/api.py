"""rnn-viz from Python (a notebook, a script): the functions `rnn-viz run` and the app use.

    >>> from rnn_viz import api
    >>> model = api.load_experiment("1-vanishing-gradients")
    >>> batch = model.next_batch()
    >>> trace = api.compute_trace(model, batch.inputs, batch.targets, batch.mask)
    >>> fig = api.render(trace, "flow")      # shows itself in Jupyter (_repr_png_)
    >>> fig.save("flow.png")

Qt is imported only by :func:`render`, which creates an offscreen QApplication when none exists, so
it works without a display. Documented in docs/python-api.md.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .engine.bptt import Truncation
from .engine.cell_kinds import CELL_KINDS
from .engine.init import init_params
from .engine.network import DEFAULT_ACTIVATION, NetSpec
from .engine.step import evaluate
from .experiment.config import ConfigError, ExperimentConfig, load_config
from .experiment.presets import find_preset
from .experiment.torch_map import ImportedWeights, map_state_dict

__all__ = ["Model", "Figure", "load_experiment", "load_weights", "compute_trace", "render"]


@dataclass(frozen=True)
class Model:
    """A network ready to trace: its shape (``spec``), parameters (engine names, docs/trace-keys.md)
    and loss; ``config`` the experiment it came from and ``imported`` the weights file's mapping,
    when there is one. ``trainer`` (from :func:`load_experiment`) trains it: ``trainer.step()``."""

    spec: NetSpec
    params: Mapping[str, np.ndarray]
    loss: str = "mse"
    config: ExperimentConfig | None = None
    imported: ImportedWeights | None = None
    trainer: object | None = None

    def next_batch(self):
        """The batch update 1 of the experiment would use (``inputs`` (B, T, I), ``targets``, ``mask`` (B, T))."""
        if self.trainer is None:
            raise ValueError("this model has no experiment (it came from load_weights); pass your own arrays")
        return self.trainer.next_batch()


def load_experiment(path_or_preset: str | Path) -> Model:
    """An experiment file (``.toml``) or a guided experiment's name (``"3-edge-of-chaos"``), built as
    `rnn-viz run` builds it (its data loaded, its weights imported). Raises ConfigError/DataError."""
    from .experiment.loop import Trainer

    path = Path(path_or_preset)
    if not path.is_file():
        path = find_preset(str(path_or_preset))
    trainer = Trainer(load_config(path), path.resolve().parent)
    return Model(trainer.spec, trainer.params, trainer.loss, trainer.config, trainer.imported, trainer)


def load_weights(path: str | Path, *, weights_module: str | None = None, readout_module: str | None = None,
                 activation: str = DEFAULT_ACTIVATION, seed: int = 0) -> Model:
    """A PyTorch state dict (``.safetensors``, ``.pt``/``.pth``, ``.npz``) as a float64 model, read
    and mapped exactly as ``[model] weights`` is. Without a readout in the file (or with
    ``readout_module="none"``) a fresh one with one output is made from ``seed``. ``activation``
    is the vanilla RNN's (the file cannot tell tanh from relu)."""
    from .data.weights import read_state_dict

    w = map_state_dict(read_state_dict(path), str(path), weights_module, readout_module)
    spec = NetSpec(w.cell, w.input_size, w.hidden_size, w.output_size or 1, w.num_layers,
                   activation if CELL_KINDS[w.cell].takes_activation else DEFAULT_ACTIVATION)
    params = init_params(spec, np.random.default_rng(seed))
    params.update(w.params)
    return Model(spec, params, "mse", None, w)


def compute_trace(model: Model, inputs, targets, mask=None, bptt: str | tuple[int, int] = "full",
                  flow_sample: int = 0) -> dict[str, np.ndarray]:
    """The trace of one batch at the model's parameters (keys and shapes: docs/trace-keys.md).

    inputs (B, T, I); targets (B, T, O) floats for mse or (B, T) class indices for cross-entropy
    (the model's loss); mask (B, T) bool, None = every step; ``bptt`` "full" or (k1, k2) for
    truncated BPTT. ``flow_sample``: the sample the flow matrix and Jacobian norms are for.
    """
    inputs = np.asarray(inputs, dtype=np.float64)
    targets = np.asarray(targets)
    mask = np.ones(inputs.shape[:2], dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    if bptt == "full":
        truncation = None
    elif isinstance(bptt, tuple) and len(bptt) == 2:
        truncation = Truncation(*bptt)
    else:
        raise ConfigError(f'bptt = {bptt!r} is not allowed; allowed: "full" or (k1, k2)')
    dtype = model.params["Why"].dtype
    _, trace = evaluate(model.spec, dict(model.params), inputs.astype(dtype), targets, mask, model.loss,
                        truncation, flow_sample)
    out = dict(trace)
    if model.config is not None:
        from .experiment.config import to_json

        out["config"] = np.array(to_json(model.config))
    return out


class Figure:
    """A rendered view: ``png`` (bytes), shown by Jupyter through ``_repr_png_``; ``save(path)``."""

    def __init__(self, png: bytes, view: str):
        self.png, self.view = png, view

    def _repr_png_(self) -> bytes:
        return self.png

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_bytes(self.png)
        return path

    def __repr__(self) -> str:
        return f"<rnn_viz Figure {self.view!r}, {len(self.png)} bytes of PNG>"


def render(trace: Mapping[str, np.ndarray], view: str, width: int = 900, height: int = 600) -> Figure:
    """One of the app's views (``"graph"``, ``"heatmaps"``, ``"gradients"``, ``"flow"``, ``"curves"``,
    ``"predictions"``) drawn from ``trace``, ``width`` x ``height`` pixels."""
    import json
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # only when no QApplication exists yet
    from rnn_viz.ui.figure import render_png

    config = json.loads(str(trace["config"][()])) if "config" in trace else None
    return Figure(render_png(trace, view, int(width), int(height), config), view)
