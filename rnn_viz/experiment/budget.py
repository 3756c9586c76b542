"""Memory an experiment needs for one update and its trace, checked against a budget before training.

Settings within the documented ranges can still not fit: ``seq_len = 100000`` makes the (T, T)
flow matrix 74.5 GiB per layer, ``batch_size = 65536, seq_len = 10000`` needs 156 GiB of hidden
states at H = 32. :func:`estimate` predicts the peak from the shapes alone (a pure function the app
can call before installing a trainer); :func:`check` refuses an estimate over the budget with a
message saying what is needed, what there is and which setting to lower.

The coefficients were measured with tracemalloc on the NumPy engine (docs/cli.md, "Memory
budget"); tests/experiment/test_budget.py checks that the estimate stays above the measured peak.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from rnn_viz.data.reading import available_memory
from rnn_viz.engine.trace import MAX_FLOW_ROWS

__all__ = ["MemoryEstimate", "estimate", "estimate_trainer", "budget_bytes", "check", "check_runs", "BudgetError",
           "BUDGET_ENV", "DEFAULT_FRACTION"]

BUDGET_ENV = "RNN_VIZ_MEMORY_GB"
DEFAULT_FRACTION = 0.8
GiB = 1024**3

# Bytes per (sample, step, unit, layer) of one update's forward caches, adjoints and trace, in units
# of the float size (measured: rnn 6.7, lstm 18.3, gru 16.2; rounded up).
_ACTIVATION = {"rnn": 8.0, "lstm": 21.0, "gru": 19.0}
# The step-Jacobian norms: float64 rows per step of (hidden_size x hidden_size), per cell
# (measured: rnn 1.9, lstm 13.0, gru 11.0; rounded up).
_JACOBIAN = {"rnn": 2.5, "lstm": 14.0, "gru": 12.0}
# dWhh_step_norm's two (T, B, B) Gram stacks and their product (one layer at a time).
_GRAM_STACKS = 3
# The flow matrix: (T, T) float64 per layer, plus the sweep's chain norms while it is built.
_FLOW_COPIES = 2
# Inputs, targets, outputs, predictions and their gradients, per (sample, step, feature).
_IO_COPIES = 6


class BudgetError(ValueError):
    """The experiment does not fit the memory budget; ``str()`` is the one-line message."""


@dataclass(frozen=True)
class MemoryEstimate:
    """Peak bytes of one update with the heavy trace, by part; ``total`` is their sum."""

    activations: int
    gram: int
    io: int
    flow: int
    jacobian: int

    @property
    def total(self) -> int:
        return self.activations + self.gram + self.io + self.flow + self.jacobian

    def largest(self) -> tuple[str, int]:
        parts = {"activations": self.activations, "gram": self.gram, "io": self.io, "flow": self.flow,
                 "jacobian": self.jacobian}
        name = max(parts, key=parts.get)
        return name, parts[name]


# What each part is called and which setting makes it smaller.
_ADVICE = {
    "activations": ("the hidden states and gradients of one batch (batch x steps x units x layers)",
                    "data.batch_size, data.seq_len or model.hidden_size"),
    "gram": ("the per-step gradient norms' (steps x batch x batch) stacks", "data.batch_size"),
    "io": ("the batch's inputs and targets (batch x steps x features)", "data.batch_size or data.seq_len"),
    "flow": ("the flow matrix (steps x steps per layer)", "data.seq_len"),
    "jacobian": ("the step-Jacobian norms (steps x units x units per layer)", "model.hidden_size or data.seq_len"),
}


def estimate(cell: str, batch_size: int, seq_len: int, hidden_size: int, num_layers: int,
             input_size: int, output_size: int, itemsize: int = 8, compare_runs: int = 1,
             flow_rows: int | None = None) -> MemoryEstimate:
    """Peak memory of one update plus its heavy trace (flow matrix, Jacobian norms), from shapes.

    ``itemsize``: 8 for float64, 4 for float32 (the heavy parts are float64 either way);
    ``compare_runs``: how many runs train side by side; ``flow_rows``: R kept flow rows (R x T) instead
    of the (T x T) matrix (Trainer.flow_rows).
    """
    B, T, H, L = int(batch_size), int(seq_len), int(hidden_size), int(num_layers)
    rows = T if flow_rows is None else min(int(flow_rows), T)
    n = int(compare_runs)
    return MemoryEstimate(
        activations=int(n * _ACTIVATION[cell] * B * T * H * L * itemsize),
        gram=int(n * _GRAM_STACKS * T * B * B * itemsize),
        io=int(n * _IO_COPIES * B * T * (int(input_size) + int(output_size)) * itemsize),
        flow=int(n * _FLOW_COPIES * L * rows * T * 8),
        jacobian=int(n * _JACOBIAN[cell] * L * T * H * H * 8),
    )


def estimate_trainer(trainer, compare_runs: int = 1, flow_rows: int | None = None) -> MemoryEstimate:
    """:func:`estimate` for a built Trainer (its shapes are known before its first update)."""
    spec, data = trainer.spec, trainer.config.data
    itemsize = 4 if trainer.config.training.dtype == "float32" else 8
    return estimate(spec.cell, data["batch_size"], trainer.dataset.seq_len, spec.hidden_size, spec.num_layers,
                    spec.input_size, spec.output_size, itemsize, compare_runs,
                    getattr(trainer, "flow_rows", None) if flow_rows is None else flow_rows)


def budget_bytes(gib: float | None = None, environ=None) -> tuple[int, str]:
    """The budget in bytes and where it came from: ``gib`` (``--memory-budget``), else the
    RNN_VIZ_MEMORY_GB variable, else 80% of the memory available now."""
    env = os.environ if environ is None else environ
    if gib is not None:
        return int(float(gib) * GiB), f"--memory-budget {gib:g}"
    raw = env.get(BUDGET_ENV, "").strip()
    if raw:
        try:
            value = float(raw)
        except ValueError:
            raise BudgetError(f"{BUDGET_ENV}={raw!r} is not a number of GiB") from None
        if not value > 0 or value == float("inf"):
            raise BudgetError(f"{BUDGET_ENV}={raw!r}: the budget must be a positive number of GiB")
        return int(value * GiB), f"{BUDGET_ENV}={raw}"
    return int(DEFAULT_FRACTION * available_memory()), f"{DEFAULT_FRACTION:.0%} of the memory available now"


def _gib(n: int) -> str:
    return f"{n / GiB:.1f} GiB" if n >= GiB / 10 else f"{n / 1024**2:.0f} MiB"


def check(need: MemoryEstimate, budget: int, source: str) -> None:
    """BudgetError if ``need.total`` exceeds ``budget`` bytes (``source``: where the budget came from)."""
    if need.total <= budget:
        return
    part, size = _ADVICE[need.largest()[0]], need.largest()[1]
    raise BudgetError(
        f"this experiment needs about {_gib(need.total)} of memory for one update and its trace, but the "
        f"budget is {_gib(budget)} ({source}); the largest part is {part[0]}, {_gib(size)}: lower {part[1]}, "
        f"or raise the budget with --memory-budget GiB or {BUDGET_ENV}"
    )


def check_runs(trainers, gib: float | None = None) -> None:
    """BudgetError unless the built, not yet updated ``trainers`` (side by side) fit the budget
    (``gib``: ``--memory-budget``, else RNN_VIZ_MEMORY_GB, else 80% of the available memory)."""
    trainers = list(trainers)
    budget, source = budget_bytes(gib)

    def total(rows):
        need = [estimate_trainer(t, flow_rows=rows) for t in trainers]
        return MemoryEstimate(*(sum(getattr(n, f) for n in need) for f in ("activations", "gram", "io", "flow", "jacobian")))

    full = total(None)
    if full.total <= budget:
        return
    kept = total(MAX_FLOW_ROWS)
    if kept.total <= budget:
        # the (T, T) flow matrix is what does not fit: the heavy traces keep MAX_FLOW_ROWS of its rows
        for t in trainers:
            t.flow_rows = MAX_FLOW_ROWS
        return
    # Even with the kept rows it does not fit: say what the run would need at the least.
    check(kept, budget, source)
