"""Losses with a per-step mask, and their gradient with respect to the readout y.

Both are one global mean over the masked elements (torch's reduction="mean"):
    mse            L = sum_{(b,t) in mask} sum_o (y - target)^2 / (N * O)
    cross_entropy  L = sum_{(b,t) in mask} -log softmax(y)[target] / N
where N is the number of masked (sample, step) pairs.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import EngineError

LOSSES = ("mse", "cross_entropy")


@dataclass(frozen=True, slots=True)
class LossResult:
    """loss: float; dy: (B, T, O) dL/dy; share: (T,) per-step shares summing to loss;
    predictions: (B, T, O) (y for mse, softmax(y) for cross-entropy); accuracy: float or None."""

    loss: float
    dy: np.ndarray
    share: np.ndarray
    predictions: np.ndarray
    accuracy: float | None


def compute(kind: str, y: np.ndarray, targets: np.ndarray, mask: np.ndarray) -> LossResult:
    """y: (B, T, O); targets: (B, T, O) float for mse, (B, T) int for cross_entropy; mask: (B, T) bool."""
    m = np.asarray(mask, dtype=bool)
    n = int(np.count_nonzero(m))
    if n == 0:
        raise EngineError("the loss mask selects no (sample, step) pair; nothing to learn from")
    w = m.astype(y.dtype)
    if kind == "mse":
        if targets.shape != y.shape:
            raise EngineError(f"mse targets must have shape {y.shape}, got {targets.shape}")
        err = y - targets
        scale = 1.0 / (n * y.shape[-1])
        sq = (err * err).sum(-1)
        dy = (2.0 * scale) * err
        if n < m.size:  # a weight of 1 changes nothing, so a full mask skips the products
            sq *= w
            dy *= w[..., None]
        return LossResult(float(sq.sum() * scale), dy, sq.sum(0) * scale, y, None)
    if kind == "cross_entropy":
        if targets.shape != y.shape[:2]:
            raise EngineError(f"cross_entropy targets must have shape {y.shape[:2]}, got {targets.shape}")
        idx = np.where(m, targets, 0).astype(np.intp)
        if np.any((idx < 0) | (idx >= y.shape[-1])):
            raise EngineError(f"class targets must lie in 0..{y.shape[-1] - 1}")
        shifted = y - y.max(-1, keepdims=True)
        logz = np.log(np.exp(shifted).sum(-1, keepdims=True))
        logp = shifted - logz
        probs = np.exp(logp)
        nll = -np.take_along_axis(logp, idx[..., None], -1)[..., 0] * w
        dy = probs.copy()
        np.put_along_axis(dy, idx[..., None], np.take_along_axis(dy, idx[..., None], -1) - 1.0, -1)
        dy *= w[..., None] / n
        correct = (probs.argmax(-1) == idx) & m
        return LossResult(float(nll.sum() / n), dy, nll.sum(0) / n, probs, float(correct.sum() / n))
    raise EngineError(f"unknown loss {kind!r}; allowed: {', '.join(LOSSES)}")
