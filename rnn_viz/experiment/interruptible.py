"""One lockstep update of a Session that its caller can cancel midway, with nothing changed.

The app's worker stops in the middle of a long update (Pause, Reset, closing the window) by passing
its stop flag as the engine's cancellation check (rnn_viz.engine.cancel). The engine computes new
arrays and never touches its inputs; the trainers' own state (data stream, parameters, optimizer
state, step count, spectra cache) is put back here, so a cancelled update is as if it never began
and resuming stays bit-exact.
"""
from __future__ import annotations

from collections.abc import Callable

from ..engine.cancel import Cancelled, checking

__all__ = ["Cancelled", "step", "snapshot", "restore"]

_FIELDS = ("params", "opt_state", "step_count", "_spectra", "optimizer", "_live", "config")


def snapshot(trainer) -> dict:
    """What an update may change in ``trainer`` (its arrays are replaced, never modified, so
    references are enough), and its random stream's state."""
    saved = {name: getattr(trainer, name) for name in _FIELDS if hasattr(trainer, name)}
    saved["rng"] = trainer.rng.bit_generator.state
    return saved


def restore(trainer, saved: dict) -> None:
    for name, value in saved.items():
        if name == "rng":
            trainer.rng.bit_generator.state = value
        else:
            setattr(trainer, name, value)


def step(session, should_stop: Callable[[], bool], **kwargs) -> tuple:
    """``session.step(**kwargs)``, abandoned with Cancelled as soon as ``should_stop()`` is true;
    then every run is exactly as before the call. Anything with a ``step`` method will do; its
    ``runs`` (Trainers), if it has them, are what is restored."""
    runs = tuple(getattr(session, "runs", ()))
    saved = [snapshot(run) for run in runs]
    try:
        with checking(should_stop):
            return session.step(**kwargs)
    except Cancelled:
        for run, state in zip(runs, saved):
            restore(run, state)
        raise
