"""The training loop: one Trainer, used by `rnn-viz run` and by the app's worker thread.

A Trainer owns everything that changes while training (parameters, optimizer state, the data
random stream, the update count) and hands out one frozen StepRecord per update. ``train`` wraps it
as a generator that accepts commands between updates, so the CLI and the app run identical code.
"""
from __future__ import annotations

import copy
import dataclasses
import json
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data import load_dataset
from ..engine import DivergenceError, NetSpec, Optimizer, Truncation, init_params, train_step, whh_spectra
from ..engine import optim
from ..engine.step import evaluate, evaluate_loss
from .config import ConfigError, ExperimentConfig, from_json, to_json
from .record import StepRecord

_DTYPES = {"float64": np.float64, "float32": np.float32}


@dataclass(frozen=True, slots=True)
class Command:
    """What the app can change between two updates (None = leave as it is)."""

    learning_rate: float | None = None
    clip_norm: float | None = None
    clip_value: float | None = None
    heavy: bool = False  # the next record carries the flow matrix and Jacobian norms


class Trainer:
    """Model, optimizer and data stream of one experiment.

    ``config``: a validated ExperimentConfig; ``base_dir``: where relative data paths start.
    Seeding: ``training.seed`` spawns two independent streams, one for the initial weights and one
    for the batches, so the same experiment always trains identically.
    """

    def __init__(self, config: ExperimentConfig, base_dir: Path | str | None = None, dataset=None):
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
        self.config = dataclasses.replace(config, training=dataclasses.replace(tc, loss=loss))
        self.spec = NetSpec(mc.cell, self.dataset.input_size, mc.hidden_size, self.dataset.output_size,
                            mc.num_layers, mc.activation or "tanh")
        self.params = init_params(self.spec, np.random.default_rng(init_seq), mc.init, mc.spectral_radius,
                                  _DTYPES[tc.dtype], gain=mc.gain)
        self.optimizer = Optimizer(tc.optimizer, tc.learning_rate, tc.momentum, tc.beta1, tc.beta2, tc.eps, tc.decay)
        self.opt_state = optim.init_state(self.optimizer, self.params)
        self.truncation = Truncation(tc.k1, tc.k2) if tc.bptt == "truncated" else None
        self.clip_norm, self.clip_value = tc.clip_norm, tc.clip_value
        self.rng = np.random.default_rng(data_seq)
        self.step_count = 0
        self._spectra: dict | None = None  # whh_spectra of self.params once computed; None = not yet

    # -- live settings -------------------------------------------------------------------------
    def set_learning_rate(self, lr: float) -> None:
        self.optimizer = dataclasses.replace(self.optimizer, learning_rate=float(lr))

    def set_clipping(self, clip_norm: float, clip_value: float) -> None:
        if clip_norm < 0 or clip_value < 0:
            raise ConfigError("clipping thresholds must be >= 0 (0 = off)", key="training.clip_norm")
        self.clip_norm, self.clip_value = float(clip_norm), float(clip_value)

    def set_flow_sample(self, sample: int) -> None:
        """Which sample of the batch the next heavy traces inspect (flow matrix, Jacobian norms)."""
        if sample < 0:
            raise ConfigError(f"the flow sample counts from 0, got {sample}", key="training.flow_sample")
        tc = self.config.training
        self.config = dataclasses.replace(self.config, training=dataclasses.replace(tc, flow_sample=int(sample)))

    def set_spectra_every(self, every: int) -> None:
        """metrics.csv's sigma_max/rho: after update 1, every ``every``-th update and the last."""
        tc = self.config.training
        self.config = dataclasses.replace(self.config, training=dataclasses.replace(tc, spectra_every=int(every)))

    def apply(self, command: Command | None) -> None:
        if command is None:
            return
        if command.learning_rate is not None:
            self.set_learning_rate(command.learning_rate)
        if command.clip_norm is not None or command.clip_value is not None:
            self.set_clipping(
                self.clip_norm if command.clip_norm is None else command.clip_norm,
                self.clip_value if command.clip_value is None else command.clip_value,
            )

    # -- metrics -------------------------------------------------------------------------------
    def metric_columns(self) -> list[str]:
        """The columns of metrics.csv, in order (docs/file-formats.md)."""
        cols = ["step", "loss", "grad_norm", "step_seconds", "learning_rate"]
        cols += [f"sigma_max/{l}" for l in range(self.spec.num_layers)]
        if self.spec.cell == "rnn":
            cols += [f"rho/{l}" for l in range(self.spec.num_layers)]
        if self.loss == "cross_entropy":
            cols.append("accuracy")
        if self.dataset.validation is not None:
            cols.append("val_loss")
            if self.loss == "cross_entropy":
                cols.append("val_accuracy")
        return cols

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
                         self.truncation, self._flow_sample(len(batch.inputs)) if heavy else None, self._spectra)
        return StepRecord(self.step_count, tr, {}, heavy, self.optimizer.learning_rate)

    def propose(self, heavy: bool = False, batch=None, level: str = "full") -> dict:
        """Compute one update without applying it (so two runs can commit in lockstep).

        ``level``: the trace level of the record (engine.levels); a heavy record is always "full".
        Raises DivergenceError (naming the update) with nothing changed.
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
                "full" if heavy else level,
            )
        except DivergenceError as err:
            self.rng.bit_generator.state = rng_state
            raise DivergenceError(err.what, self.step_count + 1, err.hint) from None
        return {"params": params, "state": state, "trace": tr, "t0": t0, "heavy": heavy, "rng": rng_state}

    def commit(self, proposal: dict, final: bool = False) -> StepRecord:
        """Apply a proposal from :meth:`propose` and return the update's record. ``final``: this is
        the run's last update (its metrics row gets the spectra whatever the cadence)."""
        tr = proposal["trace"]
        self.params, self.opt_state = proposal["params"], proposal["state"]
        self._spectra = None
        self.step_count += 1
        row: dict[str, float] = {
            "step": self.step_count, "loss": float(tr["loss"]), "grad_norm": float(tr["grad_norm"]),
            "learning_rate": self.optimizer.learning_rate,
        }
        every = self.config.training.spectra_every
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
        """One update. Raises DivergenceError and leaves every piece of state as it was."""
        return self.commit(self.propose(heavy, batch, level), final)

    def _fill_spectra(self, row: dict) -> dict:
        """Write sigma_max/<l> (and rho/<l> for rnn) of the current W_hh into ``row``; returns it."""
        if self._spectra is None:
            self._spectra = whh_spectra(self.spec, self.params)
        for l in range(self.spec.num_layers):
            row[f"sigma_max/{l}"] = float(self._spectra[f"whh_sigma_max/{l}"])
            if self.spec.cell == "rnn":
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
                           self.loss, self.truncation, self._flow_sample(len(tr["inputs"])))
        return full

    # -- checkpoints ---------------------------------------------------------------------------
    def checkpoint(self) -> dict[str, np.ndarray]:
        """Everything needed to resume exactly: weights, optimizer state, random stream, step."""
        arrays = {f"param/{k}": v for k, v in self.params.items()}
        arrays.update({f"opt/{k}": v for k, v in self.opt_state.items()})
        arrays["rng"] = np.array(json.dumps(self.rng.bit_generator.state))
        arrays["step"] = np.array(self.step_count, dtype=np.int64)
        arrays["config"] = np.array(self.config_json())
        arrays["live"] = np.array(json.dumps({
            "learning_rate": self.optimizer.learning_rate, "clip_norm": self.clip_norm, "clip_value": self.clip_value,
        }))
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

        if config is None:
            config = from_json(checkpoint_config_text(arrays, source), source)
        trainer = cls(config, base_dir)
        restore_state(trainer, arrays, source)
        return trainer


def tr_params(trace: Mapping[str, np.ndarray], spec: NetSpec) -> dict[str, np.ndarray]:
    """The parameters a trace was taken at."""
    return {k: trace[f"param/{k}"] for k in spec.param_shapes()}


def train(trainer: Trainer, steps: int | None = None, heavy_last: bool = True,
          level: str = "full") -> Generator[StepRecord, Command | None, None]:
    """Yield one StepRecord per update; ``send(Command(...))`` changes settings between updates.

    ``steps`` None runs until the consumer stops iterating. The last of ``steps`` updates carries the
    heavy trace when ``heavy_last``. ``level``: the trace level of the other records (a heavy record
    is "full"). DivergenceError propagates to the consumer with all state intact.
    """
    done, heavy = 0, False
    while steps is None or done < steps:
        last = steps is not None and done == steps - 1
        command = yield trainer.step(heavy=heavy or (heavy_last and last), level=level, final=last)
        trainer.apply(command)
        heavy = bool(command and command.heavy)
        done += 1


class CompareTrainer:
    """Two runs in lockstep on the same batches (when their data settings agree), from the same
    initial weights wherever the two models have the same shapes and the same init settings
    (otherwise from the same seed: a comparison of inits must keep its two inits)."""

    def __init__(self, config_a: ExperimentConfig, config_b: ExperimentConfig, base_dir=None):
        self.a = Trainer(config_a, base_dir)
        same_data = dict(config_a.data) == dict(config_b.data)
        self.b = Trainer(config_b, base_dir, dataset=self.a.dataset if same_data else None)
        self.shared_batches = same_data
        same_shapes = {k: v.shape for k, v in self.a.params.items()} == {k: v.shape for k, v in self.b.params.items()}
        ma, mb = config_a.model, config_b.model
        if same_shapes and (ma.init, ma.spectral_radius, ma.gain) == (mb.init, mb.spectral_radius, mb.gain):
            self.b.params = {k: v.copy() for k, v in self.a.params.items()}
            self.b._spectra = None
            self.same_init = True
        else:
            self.same_init = False

    @property
    def step_count(self) -> int:
        return self.a.step_count

    def evaluate(self, heavy: bool = True) -> tuple[StepRecord, StepRecord]:
        """Both runs' traces of the batch the next lockstep update would use; no update."""
        batch = self.a.next_batch() if self.shared_batches else None
        return self.a.evaluate(heavy), self.b.evaluate(heavy, batch)

    def set_flow_sample(self, sample: int) -> None:
        self.a.set_flow_sample(sample)
        self.b.set_flow_sample(sample)

    def step(self, heavy: bool = False, final: bool = False, level: str = "full") -> tuple[StepRecord, StepRecord]:
        """One update of each run; both or neither are applied (DivergenceError names the run).
        ``final``, ``level``: as for Trainer.step."""
        saved = self.a.rng.bit_generator.state
        batch = self.a.dataset.sample(self.a.rng, self.a.config.data["batch_size"]) if self.shared_batches else None
        run = "A"
        try:
            pa = self.a.propose(heavy, batch, level)
            run = "B"
            pb = self.b.propose(heavy, batch, level)
        except DivergenceError as err:
            self.a.rng.bit_generator.state = saved
            raise DivergenceError(f"{err.what} in run {run}", err.step, err.hint) from None
        return self.a.commit(pa, final), self.b.commit(pb, final)
