"""One training session: 1..N runs (Trainers) updated in lockstep, without Qt.

``rnn-viz run`` (one run), ``rnn-viz run --compare`` (two) and the app's worker thread all step a
Session, so they share the rules: runs whose data settings agree train on the same batches, runs
whose models have the same shapes and init settings start from the same weights, and an update is
applied to every run or to none.
"""
from __future__ import annotations

from collections.abc import Generator, Sequence
from pathlib import Path

from ..engine import DivergenceError
from .config import ExperimentConfig
from .live import LiveSettings
from .loop import Trainer
from .record import StepRecord

__all__ = ["Session", "CompareTrainer", "RunDivergenceError", "run_name"]


def run_name(index: int) -> str:
    """"A", "B", "C", ... for run 0, 1, 2, ..."""
    return chr(ord("A") + index) if index < 26 else str(index)


class RunDivergenceError(DivergenceError):
    """A DivergenceError that knows which run of a session diverged (``run``, from 0)."""

    def __init__(self, what: str, step: int | None, hint: str, run: int):
        super().__init__(what, step, hint)
        self.run = run


class Session:
    """Runs in lockstep. ``runs``: the trainers, run 0 first; ``shares_batches[i]``: run i trains on
    run 0's batches (run 0's data stream draws them); ``same_weights[i]``: run i started from run
    0's weights."""

    def __init__(self, runs: Sequence[Trainer], shares_batches: Sequence[bool] | None = None,
                 same_weights: Sequence[bool] | None = None):
        if not runs:
            raise ValueError("a session needs at least one run")
        self.runs: tuple[Trainer, ...] = tuple(runs)
        n = len(self.runs)
        self.shares_batches = tuple(shares_batches) if shares_batches is not None else (False,) * n
        self.same_weights = tuple(same_weights) if same_weights is not None else (True,) + (False,) * (n - 1)

    @classmethod
    def from_configs(cls, configs: Sequence[ExperimentConfig], base_dir: Path | str | None = None) -> Session:
        """Build every run (raising the loop's errors before anything is shared). Runs after the first
        reuse run 0's dataset and batches when their ``[data]`` tables are equal, and its initial
        weights when their parameter shapes and init settings agree (a comparison of inits keeps
        its own inits: it then starts from the same seed instead)."""
        first = Trainer(configs[0], base_dir)
        runs, shares, same = [first], [False], [True]
        for cfg in configs[1:]:
            same_data = dict(cfg.data) == dict(configs[0].data)
            run = Trainer(cfg, base_dir, dataset=first.dataset if same_data else None)
            same_shapes = {k: v.shape for k, v in first.params.items()} == {k: v.shape for k, v in run.params.items()}
            ma, mb = configs[0].model, cfg.model
            equal = same_shapes and (ma.init, ma.spectral_radius, ma.gain, ma.weights) == (mb.init, mb.spectral_radius, mb.gain, mb.weights)
            if equal:
                run.params = {k: v.copy() for k, v in first.params.items()}
                run._spectra = None  # computed when a metrics row needs it
            runs.append(run)
            shares.append(same_data)
            same.append(equal)
        return cls(runs, shares, same)

    def __len__(self) -> int:
        return len(self.runs)

    @property
    def step_count(self) -> int:
        return self.runs[0].step_count

    # -- live settings -----------------------------------------------------------------------------
    @property
    def live(self) -> tuple[LiveSettings, ...]:
        return tuple(run.live for run in self.runs)

    def set_live(self, live: Sequence[LiveSettings]) -> None:
        """Every run's live settings for the next update (one record per run, in order)."""
        if len(live) != len(self.runs):
            raise ValueError(f"expected live settings for {len(self.runs)} runs, got {len(live)}")
        for run, settings in zip(self.runs, live):
            run.set_live(settings)

    def set_flow_sample(self, sample: int) -> None:
        self.set_live(tuple(s.replace(flow_sample=sample) for s in self.live))

    # -- stepping ----------------------------------------------------------------------------------
    def _shared_batch(self, rng):
        first = self.runs[0]
        return first.dataset.sample(rng, first.config.data["batch_size"])

    def evaluate(self, heavy: bool = True) -> tuple[StepRecord, ...]:
        """Every run's trace of the batch the next lockstep update would use; no update."""
        batch = self.runs[0].next_batch()
        return tuple(run.evaluate(heavy, batch if i == 0 or self.shares_batches[i] else None)
                     for i, run in enumerate(self.runs))

    def step(self, heavy: bool = False, level: str = "full", final: bool = False) -> tuple[StepRecord, ...]:
        """One update of every run; all or none are applied. ``level``: how much trace each record
        carries (Trainer.propose); ``final``: the runs' last update (Trainer.commit). A divergence raises RunDivergenceError naming the run ("in run B"
        when there are several)."""
        if len(self.runs) == 1:
            return (self.runs[0].step(heavy, level=level, final=final),)  # names the update and keeps state itself
        saved = [run.rng.bit_generator.state for run in self.runs]
        batch = self._shared_batch(self.runs[0].rng)
        proposals = []
        for i, run in enumerate(self.runs):
            try:
                proposals.append(run.propose(heavy, batch if i == 0 or self.shares_batches[i] else None, level))
            except DivergenceError as err:
                for r, state in zip(self.runs, saved):
                    r.rng.bit_generator.state = state
                raise RunDivergenceError(f"{err.what} in run {run_name(i)}", err.step, err.hint, i) from None
        return tuple(run.commit(p, final) for run, p in zip(self.runs, proposals))

    def run(self, steps: int | None = None, heavy_last: bool = True,
            level: str = "full") -> Generator[tuple[StepRecord, ...], None, None]:
        """Yield one tuple of records per lockstep update; the last of ``steps`` is heavy when
        ``heavy_last`` (and ``final``); ``level``: as for :meth:`step`. Live settings may change
        between updates (``set_live``)."""
        done = 0
        while steps is None or done < steps:
            last = steps is not None and done == steps - 1
            yield self.step(heavy=heavy_last and last, level=level, final=last)
            done += 1


class CompareTrainer(Session):
    """A two-run Session: run A and run B of a ``[compare]`` experiment."""

    def __init__(self, config_a: ExperimentConfig, config_b: ExperimentConfig, base_dir=None):
        built = Session.from_configs((config_a, config_b), base_dir)
        super().__init__(built.runs, built.shares_batches, built.same_weights)

    @property
    def a(self) -> Trainer:
        return self.runs[0]

    @property
    def b(self) -> Trainer:
        return self.runs[1]

    @property
    def shared_batches(self) -> bool:
        return self.shares_batches[1]

    @property
    def same_init(self) -> bool:
        return self.same_weights[1]
