"""Live settings: the part of an experiment that may change between two updates of a run.

One frozen record per run. The app's controller owns it and hands the training worker a
:class:`LiveRef`; the trainer takes it in at the start of each update, and the controller writes it
into the trainer itself once the worker has stopped, so an edit can never fall between the two.
``rnn-viz run --resume`` accepts a changed value for any of these keys (and only these).
"""
from __future__ import annotations

import dataclasses
import threading
from .config import TRAINING_SETTINGS, ConfigError, ExperimentConfig, TrainingConfig

__all__ = ["LiveSettings", "LiveRef", "LIVE_KEYS", "live_of", "overridden_by_compare"]


class _LiveMethods:
    """Behaviour of LiveSettings; its fields are the schema's live settings (see below)."""

    __slots__ = ()

    def __post_init__(self):
        # The bounds and the message style of the experiment file: one owner for both.
        for s in _LIVE:
            object.__setattr__(self, s.name, s.check(getattr(self, s.name)))

    @classmethod
    def of(cls, training: TrainingConfig) -> LiveSettings:
        return cls(**{k: getattr(training, k) for k in LIVE_KEYS})

    def into(self, training: TrainingConfig) -> TrainingConfig:
        """``training`` with these values."""
        return dataclasses.replace(training, **self.as_dict())

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in LIVE_KEYS}

    def replace(self, **changes) -> LiveSettings:
        unknown = set(changes) - set(LIVE_KEYS)
        if unknown:
            raise ConfigError(f"training.{sorted(unknown)[0]} is not a live setting; live: {', '.join(LIVE_KEYS)}")
        return dataclasses.replace(self, **changes)


# The live keys are the schema's (config.TrainingConfig fields declared live=True): a new live key
# is one `setting(..., live=True)` line there, and this record, the panel's marks, `--resume` and
# the checkpoint's "live" entry follow.
_LIVE = tuple(s for s in TRAINING_SETTINGS if s.live)
LIVE_KEYS: tuple[str, ...] = tuple(s.name for s in _LIVE)
LiveSettings = dataclasses.make_dataclass(
    "LiveSettings", [(s.name, type(s.default), dataclasses.field(default=s.default)) for s in _LIVE],
    bases=(_LiveMethods,), frozen=True, slots=True, namespace={"__module__": __name__})
LiveSettings.__doc__ = ("The training.<key> values a run uses from its next update on, one field per live "
                        "setting: " + ", ".join(LIVE_KEYS) + ".")


def live_of(config: ExperimentConfig) -> LiveSettings:
    return LiveSettings.of(config.training)


def overridden_by_compare(config: ExperimentConfig, key: str) -> bool:
    """True if ``config``'s ``[compare]`` section sets ``training.<key>`` for run B itself: a live
    edit of run A then leaves run B alone (its label may describe that value)."""
    compare = config.compare or {}
    return key in (compare.get("training") or {})


class LiveRef:
    """The current live settings of every run of a session, one tuple, swapped whole.

    Written by the UI thread, read by the worker thread at the top of each update: a tuple of
    frozen records is replaced in one assignment, so a reader sees either the old or the new one,
    never a mix.
    """

    def __init__(self, settings: tuple[LiveSettings, ...]):
        self._lock = threading.Lock()
        self._value = tuple(settings)

    @property
    def value(self) -> tuple[LiveSettings, ...]:
        with self._lock:
            return self._value

    def set(self, settings: tuple[LiveSettings, ...]) -> None:
        settings = tuple(settings)
        with self._lock:
            if len(settings) != len(self._value):
                raise ValueError(f"expected live settings for {len(self._value)} runs, got {len(settings)}")
            self._value = settings
