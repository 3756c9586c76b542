"""Synthetic tasks, each drawing fresh sequences from the generator it is given.

Every builder takes a resolved ``[data]`` table and a seed (for the fixed validation batch) and
returns a Dataset. Chance levels are exact expectations, not estimates: the loss of the best
prediction that ignores the inputs.
"""
from __future__ import annotations

import math
import string

import numpy as np

from .dataset import Batch, Dataset, frozen_batch

# Amplitudes of the sine components are uniform in [A_LO, A_HI].
A_LO, A_HI = 0.5, 1.0


def _validation(draw, seed: int, size: int) -> Batch | None:
    """A fixed batch drawn from a generator of its own, so it does not depend on training draws."""
    if size == 0:
        return None
    b = draw(np.random.default_rng([int(seed), 0x7A11D]), size)
    return frozen_batch(b.inputs, b.targets, b.mask)


# ---------------------------------------------------------------- sine
def _sine_draw(d: dict):
    T, K = d["seq_len"], d["components"]
    lo, hi, noise = d["min_period"], d["max_period"], d["noise"]
    scale = d.get("amplitude", 1.0)
    t = np.arange(T + 1, dtype=np.float64)

    def draw(rng: np.random.Generator, B: int) -> Batch:
        period = rng.uniform(lo, hi, size=(B, 1, K))
        phase = rng.uniform(0.0, 2.0 * np.pi, size=(B, 1, K))
        amp = rng.uniform(A_LO, A_HI, size=(B, 1, K))
        # Dividing by sqrt(K) keeps the variance, and so the chance level, independent of K.
        x = (amp * np.sin(2.0 * np.pi * t[None, :, None] / period + phase)).sum(-1) / math.sqrt(K)
        x = (x + noise * rng.standard_normal(x.shape)) * scale
        return Batch(x[:, :-1, None].copy(), x[:, 1:, None].copy(), np.ones((B, T), dtype=bool))

    return draw


def sine(d: dict, seed: int) -> Dataset:
    """Next-step forecasting of a noisy sum of sines; inputs (B, T, 1) x_t, targets (B, T, 1) x_{t+1}."""
    draw = _sine_draw(d)
    # E[x^2] with uniform phases: each component contributes E[a^2] / 2, scaled by 1/K, K of them.
    mean_a2 = (A_HI**3 - A_LO**3) / (3.0 * (A_HI - A_LO))
    scale2 = d.get("amplitude", 1.0) ** 2
    chance = (mean_a2 / 2.0 + d["noise"] ** 2) * scale2
    summary = (
        f"sine: next-step forecasting of a sum of {d['components']} sine(s), periods "
        f"{d['min_period']:g} to {d['max_period']:g} steps, noise sd {d['noise']:g}\n"
        f"T = {d['seq_len']}, loss (mse) on every step\n"
        f"chance (predict 0): mse {chance:.4f}; noise floor: mse {d['noise'] ** 2 * scale2:.4f}"
    )
    return Dataset(
        name="sine", loss="mse", allowed_losses=("mse",), input_size=1, output_size=1,
        seq_len=d["seq_len"], chance_loss=chance, chance_accuracy=None, summary=summary,
        validation=_validation(draw, seed, d["val_size"]), input_names=("x_t",), output_names=("x_t+1",),
        details={"noise_floor": d["noise"] ** 2 * scale2}, _draw=draw,
    )


# ---------------------------------------------------------------- adding
def _adding_draw(T: int):
    half = T // 2

    def draw(rng: np.random.Generator, B: int) -> Batch:
        values = rng.uniform(0.0, 1.0, size=(B, T))
        first = rng.integers(0, half, size=B)
        second = rng.integers(half, T, size=B)
        markers = np.zeros((B, T))
        rows = np.arange(B)
        markers[rows, first] = 1.0
        markers[rows, second] = 1.0
        targets = np.zeros((B, T, 1))
        targets[:, -1, 0] = values[rows, first] + values[rows, second]
        mask = np.zeros((B, T), dtype=bool)
        mask[:, -1] = True
        return Batch(np.stack([values, markers], axis=-1), targets, mask)

    return draw


def adding(d: dict, seed: int) -> Dataset:
    """The adding problem: inputs (B, T, 2) = (value, marker); target (B, T, 1), scored at T - 1 only."""
    T = d["seq_len"]
    draw = _adding_draw(T)
    chance = 1.0 / 6.0  # Var(u1 + u2) for two uniforms; the best constant guess is their mean, 1.
    summary = (
        f"adding problem: T = {T}, one marker in steps 0..{T // 2 - 1}, one in {T // 2}..{T - 1}\n"
        f"target: sum of the two marked values, scored at step {T - 1} only (mse)\n"
        f"chance (always predict 1): mse {chance:.4f}"
    )
    return Dataset(
        name="adding", loss="mse", allowed_losses=("mse",), input_size=2, output_size=1, seq_len=T,
        chance_loss=chance, chance_accuracy=None, summary=summary,
        validation=_validation(draw, seed, d["val_size"]), input_names=("value", "marker"),
        output_names=("sum",), _draw=draw,
    )


# ---------------------------------------------------------------- copy
def _copy_draw(length: int, delay: int, alphabet: int):
    T = 2 * length + delay
    blank, go = alphabet, alphabet + 1

    def draw(rng: np.random.Generator, B: int) -> Batch:
        symbols = rng.integers(0, alphabet, size=(B, length))
        channel = np.full((B, T), blank)
        channel[:, :length] = symbols
        channel[:, length + delay:] = go
        inputs = np.zeros((B, T, alphabet + 2))
        np.put_along_axis(inputs, channel[..., None], 1.0, axis=-1)
        targets = np.zeros((B, T), dtype=np.int64)
        targets[:, length + delay:] = symbols
        mask = np.zeros((B, T), dtype=bool)
        mask[:, length + delay:] = True
        return Batch(inputs, targets, mask)

    return draw


def copy(d: dict, seed: int) -> Dataset:
    """Delayed recall. Steps 0..L-1 show the symbols, then `delay` blanks, then L steps of the "go"
    cue during which the model must name the symbols in order. inputs (B, T, alphabet + 2) one-hot
    (symbols, blank, go); targets (B, T) int64 symbol indices; mask True on the recall steps only.
    """
    length, delay, alphabet = d["length"], d["delay"], d["alphabet"]
    T = 2 * length + delay
    draw = _copy_draw(length, delay, alphabet)
    names = tuple(string.ascii_uppercase[:alphabet])
    chance = math.log(alphabet)
    summary = (
        f"copy: remember {length} symbols from an alphabet of {alphabet}, wait {delay} blank steps, "
        f"then recall them\nT = {length} + {delay} + {length} = {T}; cross-entropy on the recall steps "
        f"{length + delay}..{T - 1}\nchance (uniform guess): loss ln {alphabet} = {chance:.4f}, "
        f"accuracy {1 / alphabet:.1%}; each symbol must be carried {length + delay} steps"
    )
    return Dataset(
        name="copy", loss="cross_entropy", allowed_losses=("cross_entropy",), input_size=alphabet + 2,
        output_size=alphabet, seq_len=T, chance_loss=chance, chance_accuracy=1.0 / alphabet,
        summary=summary, vocab=names, validation=_validation(draw, seed, d["val_size"]),
        input_names=names + ("blank", "go"), output_names=names,
        details={"recall_start": length + delay, "gap": length + delay}, _draw=draw,
    )


# ---------------------------------------------------------------- temporal order
ORDER_CLASSES = ("XX", "XY", "YX", "YY")


def order_positions(T: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """Ranges [lo, hi) of the two relevant symbols' steps: 10-20% and 50-60% of the sequence."""
    def span(a: float, b: float) -> tuple[int, int]:
        lo = int(a * T)
        return lo, max(lo + 1, int(b * T))
    return span(0.1, 0.2), span(0.5, 0.6)


def _order_draw(T: int, distractors: int):
    (a0, a1), (b0, b1) = order_positions(T)

    def draw(rng: np.random.Generator, B: int) -> Batch:
        channel = rng.integers(2, 2 + distractors, size=(B, T))
        rows = np.arange(B)
        which = rng.integers(0, 2, size=(B, 2))  # 0 = X, 1 = Y
        channel[rows, rng.integers(a0, a1, size=B)] = which[:, 0]
        channel[rows, rng.integers(b0, b1, size=B)] = which[:, 1]
        inputs = np.zeros((B, T, 2 + distractors))
        np.put_along_axis(inputs, channel[..., None], 1.0, axis=-1)
        targets = np.zeros((B, T), dtype=np.int64)
        targets[:, -1] = 2 * which[:, 0] + which[:, 1]
        mask = np.zeros((B, T), dtype=bool)
        mask[:, -1] = True
        return Batch(inputs, targets, mask)

    return draw


def temporal_order(d: dict, seed: int) -> Dataset:
    """Temporal order (Hochreiter & Schmidhuber 1997; Pascanu et al. 2013): two symbols, X or Y,
    hidden among distractors; the class at the last step is their order (XX, XY, YX, YY).
    inputs (B, T, 2 + distractors) one-hot; targets (B, T) int64; mask True at T - 1 only.
    """
    T, k = d["seq_len"], d["distractors"]
    draw = _order_draw(T, k)
    (a0, a1), (b0, b1) = order_positions(T)
    names = tuple(f"d{i}" for i in range(k))
    summary = (
        f"temporal order: T = {T}; X or Y at a step in {a0}..{a1 - 1} and another in {b0}..{b1 - 1}, "
        f"among {k} distractor symbols\nclassify the order (XX, XY, YX, YY) at step {T - 1}\n"
        f"chance: loss ln 4 = {math.log(4):.4f}, accuracy 25%"
    )
    return Dataset(
        name="temporal_order", loss="cross_entropy", allowed_losses=("cross_entropy",),
        input_size=2 + k, output_size=4, seq_len=T, chance_loss=math.log(4), chance_accuracy=0.25,
        summary=summary, vocab=ORDER_CLASSES, validation=_validation(draw, seed, d["val_size"]),
        input_names=("X", "Y") + names, output_names=ORDER_CLASSES, _draw=draw,
    )


# ---------------------------------------------------------------- impulse
def _impulse_draw(T: int):
    def draw(rng: np.random.Generator, B: int) -> Batch:
        x0 = rng.standard_normal(B)
        inputs = np.zeros((B, T, 1))
        inputs[:, 0, 0] = x0
        targets = np.broadcast_to(x0[:, None, None], (B, T, 1)).copy()
        return Batch(inputs, targets, np.ones((B, T), dtype=bool))

    return draw


def impulse(d: dict, seed: int) -> Dataset:
    """One input impulse x_0 ~ N(0, 1), then x_t = 0: the network's own dynamics after a kick (a zero
    start without input would stay at h = 0). inputs (B, T, 1); targets (B, T, 1) = x_0 at every step
    (hold the impulse), mse on every step."""
    T = d["seq_len"]
    draw = _impulse_draw(T)
    summary = (
        f"impulse: x_0 ~ N(0, 1) at step 0, then 0 for {T - 1} steps\n"
        f"T = {T}, target x_0 at every step (mse): what the network's own dynamics keep of one kick\n"
        "chance (predict 0): mse 1.0000"
    )
    return Dataset(
        name="impulse", loss="mse", allowed_losses=("mse",), input_size=1, output_size=1, seq_len=T,
        chance_loss=1.0, chance_accuracy=None, summary=summary,
        validation=_validation(draw, seed, d["val_size"]), input_names=("x_t",), output_names=("x_0",),
        _draw=draw,
    )


# ---------------------------------------------------------------- flip-flop
def _flip_flop_draw(T: int, bits: int, p: float):
    def draw(rng: np.random.Generator, B: int) -> Batch:
        pulse = rng.uniform(size=(B, T, bits)) < p
        sign = np.where(rng.uniform(size=(B, T, bits)) < 0.5, -1.0, 1.0)
        inputs = np.where(pulse, sign, 0.0)
        # the target holds the sign of the channel's last pulse: carry the last non-zero input forward
        steps = np.where(pulse, np.arange(T)[None, :, None], -1)
        last = np.maximum.accumulate(steps, axis=1)
        targets = np.where(last >= 0, np.take_along_axis(inputs, np.maximum(last, 0), axis=1), 0.0)
        return Batch(inputs, targets, np.ones((B, T), dtype=bool))

    return draw


def flip_flop(d: dict, seed: int) -> Dataset:
    """The 3-bit (or n-bit) flip-flop (Sussillo and Barak 2013): each of ``bits`` input channels
    carries sparse +1/-1 pulses (each step, with probability ``pulse_probability``); each output
    holds the sign of its channel's last pulse (0 before the first). inputs, targets (B, T, bits);
    mse on every step."""
    T, bits, p = d["seq_len"], d["bits"], d["pulse_probability"]
    draw = _flip_flop_draw(T, bits, p)
    # Predicting 0 is the best constant (the signs are symmetric); its mse is the expected fraction of
    # steps after a channel's first pulse: P(a pulse by step t) = 1 - (1 - p)^(t + 1).
    chance = float(np.mean(1.0 - (1.0 - p) ** np.arange(1, T + 1)))
    summary = (
        f"flip-flop: {bits} channel(s) of +-1 pulses (probability {p:g} per step); each output holds the "
        f"sign of its channel's last pulse (0 before the first)\nT = {T}, mse on every step\n"
        f"chance (predict 0): mse {chance:.4f}"
    )
    names = tuple(f"bit {i}" for i in range(bits))
    return Dataset(
        name="flip_flop", loss="mse", allowed_losses=("mse",), input_size=bits, output_size=bits,
        seq_len=T, chance_loss=chance, chance_accuracy=None, summary=summary,
        validation=_validation(draw, seed, d["val_size"]), input_names=names, output_names=names,
        _draw=draw,
    )


BUILDERS = {
    "sine": sine, "adding": adding, "copy": copy, "temporal_order": temporal_order, "impulse": impulse,
    "flip_flop": flip_flop,
}
