"""Live settings: the part of an experiment that may change between two updates of a run.

One frozen record per run. The app's controller owns it and hands the training worker a
:class:`LiveRef`; the trainer takes it in at the start of each update, and the controller writes it
into the trainer itself once the worker has stopped, so an edit can never fall between the two.
``rnn-viz run --resume`` accepts a changed value for any of these keys (and only these).
"""
from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass

from .config import ConfigError, ExperimentConfig, TrainingConfig

__all__ = ["LiveSettings", "LiveRef", "LIVE_KEYS", "live_of", "overridden_by_compare"]


@dataclass(frozen=True, slots=True)
class LiveSettings:
    """``training.<key>`` values a run uses from its next update on.

    ``flow_sample``: the batch sample the heavy traces (flow matrix, Jacobian norms) inspect.
    """

    learning_rate: float
    clip_norm: float
    clip_value: float
    flow_sample: int = 0

    def __post_init__(self):
        # The same bounds as the experiment file (TrainingConfig validates them, one message style).
        TrainingConfig(learning_rate=self.learning_rate, clip_norm=self.clip_norm,
                       clip_value=self.clip_value, flow_sample=self.flow_sample)
        for name in ("learning_rate", "clip_norm", "clip_value"):
            object.__setattr__(self, name, float(getattr(self, name)))

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


# The one list of live keys (each is `training.<key>`): the settings panel, `--resume` and the
# checkpoint's "live" entry all read it from here.
LIVE_KEYS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(LiveSettings))


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
