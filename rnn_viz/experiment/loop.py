"""The training loop: one Trainer, used by `rnn-viz run` and by the app's worker thread.

A Trainer owns everything that changes while training (parameters, optimizer state, the data
random stream, the update count) and hands out one frozen StepRecord per update, whose trace arrays
are read-only. Several trainers in lockstep (a comparison, the app's worker, ``rnn-viz run``) are a
:class:`rnn_viz.experiment.session.Session`; ``train`` is the one-run generator form of it.
"""
from __future__ import annotations

import copy
import dataclasses
import json
import time
from collections.abc import Generator, Mapping
from pathlib import Path
from types import MappingProxyType

import numpy as np

from ..data import load_dataset
from ..engine import DivergenceError, NetSpec, Optimizer, Truncation, init_params, train_step, whh_spectra
from ..engine import optim
from ..engine.cell_kinds import CELL_KINDS
from ..engine.network import DEFAULT_ACTIVATION, forward
from ..engine.step import evaluate, evaluate_loss
from .config import ConfigError, ExperimentConfig, from_json, to_json
from .live import LiveSettings
from .data_trace import extend_trace
from .parity import torch_parity
from .record import StepRecord
from .weights_init import import_model, trainable_names

_DTYPES = {"float64": np.float64, "float32": np.float32}


class Trainer:
    """Model, optimizer and data stream of one experiment.

    ``config``: a validated ExperimentConfig; ``base_dir``: where relative data and weights paths
    start. Seeding: ``training.seed`` spawns two independent streams, one for the initial weights and
    one for the batches, so the same experiment always trains identically. With ``model.weights`` the
    file's parameters replace the initial ones (``imported``, ``import_summary`` and ``parity`` say
    what was read); ``read_weights=False`` (a resume) builds the model from the config alone.
    """

    def __init__(self, config: ExperimentConfig, base_dir: Path | str | None = None, dataset=None,
                 read_weights: bool = True):
        tc, mc = config.training, config.model
        self.base_dir = Path(base_dir) if base_dir is not None else Path.cwd()
        init_seq, data_seq = np.random.SeedSequence(tc.seed).spawn(2)
        self.dataset = dataset if dataset is not None else load_dataset(config.data, self.base_dir, tc.seed)
        loss = self.dataset.loss if tc.loss == "auto" else tc.loss
        if loss not in self.dataset.allowed_losses:
            allowed = ", ".join(f'"{x}"' for x in ("auto", *self.dataset.allowed_losses))
            raise ConfigError(
                f'training.loss = "{loss}" cannot be used with data.source = "{config.data["source"]}"; '
                f"allowed: {allowed}",
                key="training.loss",
            )
        self.loss = loss
        self.imported = None
        if mc.weights is not None and read_weights:
            mc, self.imported = import_model(mc, self.base_dir, self.dataset.input_size, self.dataset.output_size,
                                             _DTYPES[tc.dtype])
        elif mc.cell is None or mc.hidden_size is None or mc.num_layers is None:
            raise ConfigError("model.cell, model.hidden_size and model.num_layers are needed to resume a run "
                              "started from weights (its config.toml records them)", key="model.cell")
        self.config = dataclasses.replace(config, model=mc, training=dataclasses.replace(tc, loss=loss))
        self.spec = NetSpec(mc.cell, self.dataset.input_size, mc.hidden_size, self.dataset.output_size,
                            mc.num_layers, mc.activation or DEFAULT_ACTIVATION)
        self.params = init_params(self.spec, np.random.default_rng(init_seq), mc.init or "orthogonal",
                                  1.0 if mc.spectral_radius is None else mc.spectral_radius, _DTYPES[tc.dtype],
                                  gain=mc.gain)
        if self.imported is not None:
            self.params.update(self.imported.params)
        self.trainable = trainable_names(self.spec, mc, tc)
        # None: heavy traces hold flow/<l> (T, T); an int R (set by budget.check_runs when that matrix
        # does not fit): flow_rows and flow_window/<l> (R, T) instead
        self.flow_rows: int | None = None
        self.optimizer = Optimizer(tc.optimizer, tc.learning_rate, tc.momentum, tc.beta1, tc.beta2, tc.eps, tc.decay,
                                   tc.nesterov)
        self.opt_state = optim.init_state(self.optimizer, self._learned(self.params))
        self.truncation = Truncation(tc.k1, tc.k2) if tc.bptt == "truncated" else None
        self._live = LiveSettings.of(tc)
        self.rng = np.random.default_rng(data_seq)
        self.step_count = 0
        self._spectra: dict | None = None  # whh_spectra of self.params once computed; None = not yet
        self.parity = self._torch_parity() if self.imported is not None else None

    def _learned(self, params: dict) -> dict:
        """The parameters the optimizer updates (and keeps state for)."""
        return params if self.trainable is None else {k: params[k] for k in self.trainable}

    def _torch_parity(self) -> float | None:
        inputs = self.next_batch().inputs
        caches, y = forward(self.spec, self.params, np.asarray(inputs, dtype=self.params["Why"].dtype))
        return torch_parity(self.imported, self.spec.activation, inputs, y.transpose(1, 0, 2),
                            caches[-1]["h"].transpose(1, 0, 2))

    @property
    def import_summary(self) -> list[str]:
        """What the weights file gave (empty without one): modules, sizes, what was assumed or ignored."""
        if self.imported is None:
            return []
        return self.imported.summary(self.spec.activation if CELL_KINDS[self.spec.cell].takes_activation else None)

    # -- live settings -------------------------------------------------------------------------
    @property
    def live(self) -> LiveSettings:
        """The live settings the next update uses."""
        return self._live

    def set_live(self, live: LiveSettings) -> None:
        """Use ``live`` from the next update on (the app's controller and its worker call this)."""
        if live == self._live:
            return
        if live.learning_rate != self.optimizer.learning_rate:
            self.optimizer = dataclasses.replace(self.optimizer, learning_rate=live.learning_rate)
        if live.flow_sample != self.config.training.flow_sample:
            tc = self.config.training
            self.config = dataclasses.replace(self.config, training=dataclasses.replace(tc, flow_sample=live.flow_sample))
        self._live = live

    @property
    def clip_norm(self) -> float:
        return self._live.clip_norm

    @property
    def clip_value(self) -> float:
        return self._live.clip_value

    def set_learning_rate(self, lr: float) -> None:
        self.set_live(self._live.replace(learning_rate=lr))

    def set_clipping(self, clip_norm: float, clip_value: float) -> None:
        self.set_live(self._live.replace(clip_norm=clip_norm, clip_value=clip_value))

    def set_flow_sample(self, sample: int) -> None:
        """Which sample of the batch the next heavy traces inspect (flow matrix, Jacobian norms)."""
        if sample < 0:
            raise ConfigError(f"the flow sample counts from 0, got {sample}", key="training.flow_sample")
        self.set_live(self._live.replace(flow_sample=sample))

    def set_spectra_every(self, every: int) -> None:
        """metrics.csv's sigma_max/rho: after update 1, every ``every``-th update and the last."""
        self.set_live(self._live.replace(spectra_every=every))

    # -- metrics -------------------------------------------------------------------------------
    def metric_columns(self) -> list[str]:
        """The columns of metrics.csv, in order (docs/file-formats.md)."""
        from .metrics_history import metric_columns

        # rho/<l> only for a cell whose W_hh is one square block (the engine's cell facts)
        return metric_columns(self.spec.num_layers, not CELL_KINDS[self.spec.cell].gated, self.loss == "cross_entropy",
                              self.dataset.validation is not None)

    def config_json(self) -> str:
        return to_json(self.config)

    def _flow_sample(self, batch_size: int) -> int:
        return min(self.config.training.flow_sample, batch_size - 1)

    # -- stepping ------------------------------------------------------------------------------
    def next_batch(self):
        """The batch the next update will use, without consuming it."""
        return self.dataset.sample(copy.deepcopy(self.rng), self.config.data["batch_size"])

    def evaluate(self, heavy: bool = True, batch=None) -> StepRecord:
        """The trace of ``batch`` (default: the batch the next update would use) at the current
        parameters; no update."""
        batch = self.next_batch() if batch is None else batch
        _, tr = evaluate(self.spec, self.params, batch.inputs, batch.targets, batch.mask, self.loss,
                         self.truncation, self._flow_sample(len(batch.inputs)) if heavy else None, self._spectra,
                         flow_rows=self.flow_rows)
        tr = extend_trace(self, tr, batch, heavy)
        return StepRecord(self.step_count, read_only(tr), {}, heavy, self.optimizer.learning_rate)

    def propose(self, heavy: bool = False, batch=None, level: str = "full") -> dict:
        """Compute one update without applying it (so two runs can commit in lockstep).

        ``level``: how much of the trace the record carries, the engine's trace levels ("metrics" <
        "live" < "full"; "full" = every key of trace.npz); a heavy record is always "full". The app's
        worker asks for rnn_viz.ui.worker.TRACE_LEVEL; ``rnn-viz run`` for "metrics" (its last update
        heavy). ``heavy`` adds the flow matrix and Jacobian norms. Raises DivergenceError (naming the
        update) with nothing changed.
        """
        t0 = time.perf_counter()
        rng_state = self.rng.bit_generator.state
        if batch is None:
            batch = self.dataset.sample(self.rng, self.config.data["batch_size"])
        try:
            params, state, tr = train_step(
                self.spec, self.params, self.opt_state, self.optimizer, batch.inputs, batch.targets,
                batch.mask, self.loss, self.truncation, self.clip_norm, self.clip_value,
                self._flow_sample(len(batch.inputs)) if heavy else None, self._spectra,
                "full" if heavy else level, self.trainable, self.flow_rows,
            )
        except DivergenceError as err:
            self.rng.bit_generator.state = rng_state
            raise DivergenceError(err.what, self.step_count + 1, err.hint) from None
        tr = extend_trace(self, tr, batch, heavy)
        return {"params": params, "state": state, "trace": tr, "t0": t0, "heavy": heavy, "rng": rng_state}

    def commit(self, proposal: dict, final: bool = False) -> StepRecord:
        """Apply a proposal from :meth:`propose` and return the update's record. ``final``: this is
        the run's last update (its metrics row gets the spectra whatever the cadence)."""
        tr = read_only(proposal["trace"])
        self.params, self.opt_state = proposal["params"], proposal["state"]
        self._spectra = None
        self.step_count += 1
        row: dict[str, float] = {
            "step": self.step_count, "loss": float(tr["loss"]), "grad_norm": float(tr["grad_norm"]),
            "learning_rate": self.optimizer.learning_rate,
        }
        every = self._live.spectra_every
        if final or self.step_count == 1 or self.step_count % every == 0:
            self._fill_spectra(row)
        else:  # empty cells: the eigen-solve is too dear for every update (docs/file-formats.md)
            row.update({k: float("nan") for k in self.metric_columns() if k.startswith(("sigma_max/", "rho/"))})
        if "accuracy" in tr:
            row["accuracy"] = float(tr["accuracy"])
        val = self.dataset.validation
        if val is not None:
            row["val_loss"] = row["val_accuracy"] = float("nan")
            if self.step_count % self.config.training.val_every == 0 or self.step_count == 1:
                # at the same parameters as the row's training loss (before this update)
                vl, va = evaluate_loss(self.spec, tr_params(tr, self.spec), val.inputs, val.targets, val.mask, self.loss)
                row["val_loss"], row["val_accuracy"] = vl, (float("nan") if va is None else va)
            if self.loss != "cross_entropy":
                del row["val_accuracy"]
        row["step_seconds"] = time.perf_counter() - proposal["t0"]
        metrics = {c: row[c] for c in self.metric_columns()}
        return StepRecord(self.step_count, tr, metrics, proposal["heavy"], self.optimizer.learning_rate)

    def step(self, heavy: bool = False, batch=None, level: str = "full", final: bool = False) -> StepRecord:
        """One update (``level``: see :meth:`propose`). Raises DivergenceError and leaves every piece of state as it was."""
        return self.commit(self.propose(heavy, batch, level), final)

    def _fill_spectra(self, row: dict) -> dict:
        """Write sigma_max/<l> (and rho/<l> for rnn) of the current W_hh into ``row``; returns it."""
        if self._spectra is None:
            self._spectra = whh_spectra(self.spec, self.params)
        for l in range(self.spec.num_layers):
            row[f"sigma_max/{l}"] = float(self._spectra[f"whh_sigma_max/{l}"])
            if not CELL_KINDS[self.spec.cell].gated:
                row[f"rho/{l}"] = float(self._spectra[f"whh_rho/{l}"])
        return row

    def final_metrics(self, record: StepRecord) -> dict:
        """``record``'s metrics row as the run's last one (with the spectra); ``record`` must be the
        newest update."""
        return self._fill_spectra(dict(record.metrics)) if record.metrics else dict(record.metrics)

    def heavy_trace(self, record: StepRecord) -> Mapping[str, np.ndarray]:
        """The record's trace with the heavy parts, recomputed from the batch and parameters it holds."""
        if record.heavy:
            return record.trace
        tr = record.trace
        _, full = evaluate(self.spec, tr_params(tr, self.spec), tr["inputs"], tr["targets"], tr["loss_mask"],
                           self.loss, self.truncation, self._flow_sample(len(tr["inputs"])), flow_rows=self.flow_rows)
        return read_only(extend_trace(self, full, heavy=True, carry=tr))

    # -- checkpoints ---------------------------------------------------------------------------
    def checkpoint(self) -> dict[str, np.ndarray]:
        """Everything needed to resume exactly: weights, optimizer state, random stream, step."""
        arrays = {f"param/{k}": v for k, v in self.params.items()}
        arrays.update({f"opt/{k}": v for k, v in self.opt_state.items()})
        arrays["rng"] = np.array(json.dumps(self.rng.bit_generator.state))
        arrays["step"] = np.array(self.step_count, dtype=np.int64)
        arrays["config"] = np.array(self.config_json())
        arrays["live"] = np.array(json.dumps(self._live.as_dict()))
        return arrays

    @classmethod
    def from_checkpoint(cls, arrays: Mapping[str, np.ndarray], base_dir: Path | str | None = None,
                        source: str = "checkpoint", config: ExperimentConfig | None = None) -> Trainer:
        """A Trainer that continues exactly where ``checkpoint()`` left off.

        ``config``: the experiment to build it from (headless: the one on the command line, so the
        checkpoint never chooses which data file is read); default the checkpoint's own ``config``.
        Every entry is validated before anything is installed (experiment/restore.py); RunFileError
        or ConfigError naming ``source`` and the entry otherwise.
        """
        from .restore import checkpoint_config_text, restore_state

        saved = from_json(checkpoint_config_text(arrays, source), source)
        if config is None:
            config = saved
        elif config.model.weights is not None and config.model.cell is None:
            # The weights file decided the model when the run started and the checkpoint recorded it.
            config = dataclasses.replace(config, model=saved.model)
        trainer = cls(config, base_dir, read_weights=False)
        restore_state(trainer, arrays, source)
        return trainer


def tr_params(trace: Mapping[str, np.ndarray], spec: NetSpec) -> dict[str, np.ndarray]:
    """The parameters a trace was taken at."""
    return {k: trace[f"param/{k}"] for k in spec.param_shapes()}


def read_only(trace: Mapping[str, np.ndarray]) -> Mapping[str, np.ndarray]:
    """``trace`` as a read-only mapping of read-only arrays: the app's history keeps references to
    traces, so one in-place operation in a view must fail rather than corrupt a remembered step."""
    for value in trace.values():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
    return trace if isinstance(trace, MappingProxyType) else MappingProxyType(dict(trace))


def train(trainer: Trainer, steps: int | None = None, heavy_last: bool = True,
          level: str = "full") -> Generator[StepRecord, None, None]:
    """Yield one StepRecord per update of ``trainer``.

    ``steps`` None runs until the consumer stops iterating. The last of ``steps`` updates carries the
    heavy trace when ``heavy_last``. ``level``: the trace level of the other records (a heavy record
    is "full"). DivergenceError propagates to the consumer with all state intact.
    Live settings change between updates through ``trainer.set_live``.
    """
    done = 0
    while steps is None or done < steps:
        last = steps is not None and done == steps - 1
        yield trainer.step(heavy=heavy_last and last, level=level, final=last)
        done += 1
