"""What every view draws from: one frozen snapshot, built by the controller on each redraw tick."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class ViewState:
    """A snapshot of everything the views show.

    ``trace``/``trace_b``: engine traces (Mapping of trace.npz keys to arrays) of run A and, in
    compare mode, run B. ``history``/``history_b``: metrics.csv columns as 1-D arrays (bounded,
    decimated for long runs). ``time_step``, ``sample``: the shared selection (from 0). Views must
    treat every array as read-only and draw only numbers found here. ``model_id``: changes with
    every new model (Reset, open, checkpoint load), so a scale that only grows starts afresh.
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
