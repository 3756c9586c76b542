"""Trace levels: which trace keys one step computes (docs/trace-keys.md lists them).

A key template holds ``<l>`` (a layer index) or ``<name>`` (a parameter name). Each level contains the
one below it. ``metrics`` is what metrics.csv needs plus the free references from which the fuller
trace of the same step can be recomputed (batch and parameters); ``live`` adds what the app's views
draw every frame; ``full`` is everything trace.npz holds except the heavy parts (flow matrix,
step-Jacobian norms), which ``flow_sample`` asks for at any level.
"""
from __future__ import annotations

TRACE_METRICS = frozenset({
    "loss", "grad_norm", "accuracy", "inputs", "targets", "loss_mask", "param/<name>",
})
TRACE_LIVE = TRACE_METRICS | frozenset({
    "outputs", "predictions", "loss_share", "window_start", "param_norm/<name>", "grad_norm/<name>",
    "hidden/<l>", "dL_dh_norm/<l>", "dL_dh_norm_sample/<l>", "saturation/<l>", "gates/<l>", "cell/<l>",
    "dL_dc/<l>", "whh_sigma_max/<l>",
})
# Not in live: arrays no view draws per frame (dL_dh, grad) and the two keys that cost the most for
# what they show (the eigen-solve behind whh_rho, the per-step dW_hh norms).
TRACE_FULL = TRACE_LIVE | frozenset({"grad/<name>", "dL_dh/<l>", "dWhh_step_norm/<l>", "whh_rho/<l>"})

TRACE_LEVELS = {"metrics": TRACE_METRICS, "live": TRACE_LIVE, "full": TRACE_FULL}
HEAVY_KEYS = frozenset({"flow_sample", "flow/<l>", "jacobian_norm/<l>"})


def template(key: str) -> str:
    """The template a concrete key belongs to: ``hidden/1`` -> ``hidden/<l>``, ``grad/Why`` -> ``grad/<name>``."""
    head, sep, tail = key.partition("/")
    if not sep:
        return key
    return f"{head}/<l>" if tail.isdigit() else f"{head}/<name>"
