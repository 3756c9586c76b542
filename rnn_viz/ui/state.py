"""What every view draws from: one frozen snapshot, built by the controller on each redraw tick."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

__all__ = ["ViewState", "RunView"]


@dataclass(frozen=True, slots=True)
class RunView:
    """One run of a snapshot. ``name``: "A", "B", "C", ...; ``label``: what the user calls it;
    ``trace``: its engine trace (trace.npz keys -> arrays); ``history``: its metrics.csv columns;
    ``config``: its own resolved experiment (nested dict); ``id``: changes with every new model, so
    a view's growing scales start afresh (``"<model_id>:<name>"``)."""

    name: str
    label: str
    trace: Mapping[str, np.ndarray] | None
    history: Mapping[str, np.ndarray]
    config: Mapping[str, object]
    id: str = ""


@dataclass(frozen=True, slots=True)
class ViewState:
    """A snapshot of everything the views show.

    ``runs``: the runs to draw, run A first, as RunView records; views iterate over it (a third run
    needs no change in any view). It is built from the fields below: ``trace``/``history``/
    ``config``/``label_a`` are run A's, ``trace_b``/``history_b``/``config_b``/``label_b`` run B's
    (compare mode: any of them set; all None: one run), and ``more_runs`` any runs after B. ``time_step``,
    ``sample``: the shared selection (from 0). ``model_id``: changes with every new model (Reset,
    open, checkpoint load). Views must treat every array as read-only and draw only numbers found
    here.
    """

    trace: Mapping[str, np.ndarray] | None
    history: Mapping[str, np.ndarray]
    config: Mapping[str, object]
    time_step: int = 0
    sample: int = 0
    trace_b: Mapping[str, np.ndarray] | None = None
    history_b: Mapping[str, np.ndarray] | None = None
    label_a: str = "run A"
    label_b: str = "run B"
    config_b: Mapping[str, object] | None = None  # run B's resolved experiment, in compare mode
    chance_loss: float | None = None
    chance_accuracy: float | None = None
    vocab: tuple[str, ...] | None = None
    model_id: int = 0
    more_runs: tuple[RunView, ...] = ()
    history_note: str = ""  # run A's history is incomplete, in words (a checkpoint that carried none)
    runs: tuple[RunView, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        runs = [RunView("A", self.label_a, self.trace, self.history or {}, self.config or {}, f"{self.model_id}:A")]
        if self.trace_b is not None or self.history_b is not None or self.config_b is not None:
            runs.append(RunView("B", self.label_b, self.trace_b, self.history_b or {},
                                self.config_b if self.config_b is not None else (self.config or {}),
                                f"{self.model_id}:B"))
            runs.extend(self.more_runs)
        object.__setattr__(self, "runs", tuple(runs))

    @property
    def compare(self) -> bool:
        return len(self.runs) > 1

    def run(self, name: str) -> RunView:
        """The run called ``name`` ("A", "B", ...), or run A if there is none of that name."""
        for r in self.runs:
            if r.name == name:
                return r
        return self.runs[0]
