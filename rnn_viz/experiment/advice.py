"""What to do after a divergence: one builder for the app's dialog and ``rnn-viz run``'s message.

The model is always left as it was before the update that overflowed, but that last good state may
already be wrecked: in the exploding-gradient experiment the unclipped update 1 throws sigma_max(W_hh)
from 1.2 to about 3e6, so turning clipping on and going on from there diverges again. When sigma_max at
the last good state is more than :data:`WRECKED_FACTOR` times its value at initialisation, the advice
is to start over with clipping; otherwise to go on with a lower learning rate or clipping.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..engine import whh_spectra
from ..engine.activations import OUTPUT_RANGES
from ..engine.cell_kinds import CELL_KINDS, hidden_nonlinearity
from ..engine.network import DEFAULT_ACTIVATION

__all__ = ["DivergenceAdvice", "divergence_advice", "whh_sigma_max", "initial_sigma_max", "WRECKED_FACTOR",
           "RESTART_CLIP_NORM"]

WRECKED_FACTOR = 10.0  # sigma_max grown beyond this multiple of its initial value: start over
RESTART_CLIP_NORM = 1.0  # the clip norm a fresh start uses (Pascanu et al. 2013; experiment 2)


@dataclass(frozen=True)
class DivergenceAdvice:
    """``happened``: one paragraph; ``tips``: what to change, best first; ``start_over``: the last good
    weights are wrecked (then the first tip is to start over with ``training.clip_norm`` =
    RESTART_CLIP_NORM); ``sigma_now`` / ``sigma_initial``: max over layers of sigma_max(W_hh), when known."""

    happened: str
    tips: tuple[str, ...]
    start_over: bool
    sigma_now: float | None = None
    sigma_initial: float | None = None

    def tips_text(self) -> str:
        return "What to change:\n" + "\n".join(f"\u2022 {tip}" for tip in self.tips)


def whh_sigma_max(trainer) -> float:
    """max over layers l of sigma_max(W_hh.l) of ``trainer``'s current parameters (nan if non-finite)."""
    spectra = whh_spectra(trainer.spec, trainer.params)
    values = [float(spectra[f"whh_sigma_max/{l}"]) for l in range(trainer.spec.num_layers)]
    return max(values) if all(math.isfinite(v) for v in values) else math.nan


def initial_sigma_max(trainer) -> float:
    """The same maximum for the model a Reset of ``trainer``'s experiment builds (same seed, same
    weights file): what "starting over" starts from. Reuses the trainer's data set."""
    from .loop import Trainer

    fresh = Trainer(trainer.config, trainer.base_dir, dataset=trainer.dataset)
    return whh_sigma_max(fresh)


def divergence_advice(error, config, trainer=None, *, cli: bool = False, checkpoint: str | None = None,
                      experiment: str | None = None) -> DivergenceAdvice:
    """The advice for DivergenceError ``error`` raised by ``trainer`` (its last good state; None:
    unknown, no start-over test) under ``config``. ``cli``: phrase the tips as command-line options,
    ``checkpoint`` the file a resume would read, ``experiment`` the file to start over from."""
    t, m = config.training, config.model
    at = f"at update {error.step}" if getattr(error, "step", None) else "in the last update"
    what = getattr(error, "what", "value")
    sigma_now = sigma_initial = None
    start_over = False
    if trainer is not None:
        sigma_now, sigma_initial = whh_sigma_max(trainer), initial_sigma_max(trainer)
        start_over = not math.isfinite(sigma_now) or (
            sigma_initial > 0 and sigma_now > WRECKED_FACTOR * sigma_initial)
    happened = (f"Training stopped {at}: the {what} became infinite or not a number. "
                "This is an exploding gradient: the error signal grew at every step back in time until it "
                "overflowed. The model was left exactly as it was before that update")
    if start_over:
        happened += (f", but that state is already wrecked: sigma_max(W_hh) is {_num(sigma_now)}, against "
                     f"{_num(sigma_initial)} at the start, so going on from it diverges again, even with "
                     "clipping. Start over with clipping on.")
    else:
        happened += (". You can change a setting and press Train again." if not cli else
                     ". You can go on from it with other settings.")
    tips: list[str] = []
    clip = f"training.clip_norm={RESTART_CLIP_NORM:g}"
    if start_over:
        if cli:
            again = f"rnn-viz run {experiment or 'EXPERIMENT'}"
            tips.append(f"sigma_max(W_hh) there is {_num(sigma_now)}, against {_num(sigma_initial)} at the start, "
                        f"so going on from it diverges again, even with clipping: start over with clipping: "
                        f"{again} --set {clip} (without --resume).")
        else:
            tips.append(f"Start over with clipping: press \u201cReset with clipping\u201d (sets Clip norm to "
                        f"{RESTART_CLIP_NORM:g} and builds a fresh model), then Train.")
        tips.append("Or start over with a lower learning rate "
                    f"(now {t.learning_rate:g}; try {t.learning_rate / 10:g}).")
    else:
        resume = f" --resume {checkpoint}" if cli and checkpoint else ""
        if cli:
            tips.append("to go on from there:")
        if t.clip_norm == 0 and t.clip_value == 0:
            tips.append(f"Turn on gradient clipping: --set {clip}{resume}." if cli else
                        f"Turn on gradient clipping: set Clip norm to {RESTART_CLIP_NORM:g} (it applies at once).")
        else:
            tips.append(f"Clip harder: Clip norm is {t.clip_norm:g}; try a smaller value"
                        + (f" (--set training.clip_norm=...{resume})." if cli else "."))
        lower = t.learning_rate / 10
        tips.append(f"Lower the learning rate (now {t.learning_rate:g}; try {lower:g})"
                    + (f": --set training.learning_rate={lower:g}{resume}." if cli else "."))
    if m.spectral_radius is not None and m.spectral_radius > 1.0:  # None: the weights came from a file
        tips.append(f"Lower the spectral radius (now {m.spectral_radius:g}): below 1 the recurrent "
                    "weights shrink the signal instead of growing it (a new model: "
                    + ("a run without --resume)." if cli else "applies on Reset)."))
    if _state_unbounded(m.cell, m.activation):
        tips.append(f"A {m.activation} rnn has nothing that bounds its state; tanh, an LSTM or a GRU does "
                    + ("(a new model)." if cli else "(applies on Reset)."))
    return DivergenceAdvice(happened, tuple(tips), start_over, sigma_now, sigma_initial)


def _state_unbounded(cell: str | None, activation: str | None) -> bool:
    """h_t has no upper bound (an rnn with relu or linear). False when the cell is not known (None:
    the model came from a weights file and its config names no cell)."""
    if cell not in CELL_KINDS:
        return False
    return OUTPUT_RANGES[hidden_nonlinearity(cell, activation or DEFAULT_ACTIVATION)][1] == math.inf


def _num(x: float | None) -> str:
    if x is None or not np.isfinite(x):
        return "not finite"
    return f"{x:.3g}"
