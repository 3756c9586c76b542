"""What compare mode's two runs show, in one line, computed from their traces: how much of full BPTT's
gradient flow truncation cuts, and whether that makes a visible difference for this task.

On the default experiment (noisy sines, TBPTT(1, 5)) truncation cuts about half of the flow matrix's
mass, yet the per-step gradient norms stay within a factor of about 1.5 and the losses agree to 1%:
the next value of a sum of sines depends on the last few steps only. Without a line saying so, the
two runs look the same and the comparison seems broken.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..engine.bptt import Truncation, block_chains

__all__ = ["TruncationEffect", "truncation_effect", "ALIKE_RATIO", "ALIKE_LOSS"]

ALIKE_RATIO = 2.0  # per-step gradient norms within this factor of each other look alike on a log axis
ALIKE_LOSS = 0.05  # and losses within 5% of each other


@dataclass(frozen=True, slots=True)
class TruncationEffect:
    """``cut_share``: share of run A's flow mass sum F_A[t, k] outside run B's truncation windows;
    ``profile_ratio``: max over t of the ratio of the two runs' ||dL/dh_t|| (>= 1); ``loss_gap``:
    |loss_A - loss_B| / loss_A (None when a loss is unknown); ``alike``: the two look the same."""

    k1: int
    k2: int
    cut_share: float
    profile_ratio: float
    loss_gap: float | None
    alike: bool

    def text(self) -> str:
        cut = f"TBPTT({self.k1}, {self.k2}) cuts {self.cut_share:.0%} of the gradient flow"
        loss = "" if self.loss_gap is None else f", losses within {max(self.loss_gap, 0.0005):.1%}"
        if self.alike:
            return (f"{cut}, yet per-step gradients stay within {self.profile_ratio:.1f}x{loss}: this task needs "
                    "only the last few steps (the long paths truncation cuts matter in guided experiment 4).")
        return (f"{cut} (0 outside the band of B's flow matrix): per-step gradients differ up to "
                f"{self.profile_ratio:.3g}x{loss}.")


def _flow(trace: Mapping[str, np.ndarray], layer: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(rows, F) with F (R, T): the flow matrix's rows that the trace holds (all T, or flow_rows)."""
    if f"flow/{layer}" in trace:
        F = np.asarray(trace[f"flow/{layer}"], dtype=np.float64)
        return np.arange(F.shape[0]), F
    if f"flow_window/{layer}" in trace and "flow_rows" in trace:
        return np.asarray(trace["flow_rows"], dtype=np.intp), np.asarray(trace[f"flow_window/{layer}"], np.float64)
    return None


def truncation_effect(trace_a: Mapping[str, np.ndarray], trace_b: Mapping[str, np.ndarray], k1: int, k2: int,
                      loss_a: float | None = None, loss_b: float | None = None, layer: int = 0) -> TruncationEffect | None:
    """The effect of run B's TBPTT(k1, k2) against run A's full BPTT, from their heavy traces on the
    same batch (``flow/<l>`` or ``flow_rows``/``flow_window/<l>``, and ``dL_dh_norm/<l>`` (T,)).
    None when the traces carry no flow matrix or no gradient at all."""
    flow = _flow(trace_a, layer)
    if flow is None or f"dL_dh_norm/{layer}" not in trace_a or f"dL_dh_norm/{layer}" not in trace_b:
        return None
    rows, F = flow
    T = F.shape[1]
    starts = block_chains(T, Truncation(k1, k2)).window_start()[rows]  # (R,) first step each row reaches
    total = float(F.sum())
    if not total > 0 or not math.isfinite(total):
        return None
    outside = np.arange(T)[None, :] < starts[:, None]
    cut = float(F[outside].sum()) / total
    a = np.asarray(trace_a[f"dL_dh_norm/{layer}"], dtype=np.float64)
    b = np.asarray(trace_b[f"dL_dh_norm/{layer}"], dtype=np.float64)
    both = (a > 0) & (b > 0) & np.isfinite(a) & np.isfinite(b)
    ratio = float(np.exp(np.max(np.abs(np.log(a[both] / b[both]))))) if both.any() else math.inf
    gap = None
    if loss_a is not None and loss_b is not None and math.isfinite(loss_a) and math.isfinite(loss_b) and loss_a > 0:
        gap = abs(loss_a - loss_b) / loss_a
    alike = ratio < ALIKE_RATIO and (gap is None or gap < ALIKE_LOSS)
    return TruncationEffect(k1, k2, cut, ratio, gap, alike)
