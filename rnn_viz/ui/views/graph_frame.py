"""What the unrolled graph draws, as a value: ``resolve(state, run) -> GraphFrame`` (pure, no Qt).

Every number comes from the run's trace for the selected sample: mean |h_t| on the nodes (their
levels come from ``colour_scale`` in one place, ``node_colours``: the mode chosen in the view's
Colours menu, fixed, auto or percentile), ||dL/dh_t|| on the edges by decade below
the largest, the truncation windows and cuts, and the overview's bins (``graph_lod``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from rnn_viz.ui.state import ViewState

from . import colour_scale as cs
from . import graph_lod as lod
from . import readouts as ro
from .frames import frozen
from .runs import RunSelector

__all__ = ["GraphFrame", "resolve", "resolve_runs", "node_colours", "node_quantity", "node_index", "N_BINS",
           "NODE_LEVELS", "NODE_SCALE_KEY"]

N_BINS = 5  # decade bins of the edges (and the overview's edge strips)
NODE_LEVELS = 64  # node colours: indices into a fixed table, so the scatter's symbol atlas stays small
NODE_SCALE_KEY = "nodes"  # the node colours' key in the view's colour-scale choices and settings


@dataclass(frozen=True, slots=True)
class GraphFrame:
    """What the view draws for one run's selected sample. ``node_values``/``grad``: (L, T) mean
    |h_t| and ||dL/dh_t||; ``node_idx``: (L, T) colour index of each node on ``node_levels``;
    ``loss_at``: (T,) loss steps; ``edge_bins``/``edge_cut``: per edge in the view's order (per
    layer T-1 recurrent then T input edges) its decade bin (-1: no gradient) and whether no
    backward window crosses it; ``windows``: (starts, ends) of truncation windows (empty: full
    BPTT); ``input_norms``: (T,) ||x_t||; ``outputs``: (T, O) predictions (hover readouts);
    ``node_scales``: run id -> the auto node state after this frame (colour_scale.levels);
    ``node_quantity``/``node_scale``: what the node colours show and the colour scale they are on;
    ``node_bar_title``: the node colour bar's title, naming the mode. The overview: ``bin_size``
    steps a column, ``overview_bins`` columns; ``overview_nodes``/``overview_grad`` (L, nbins) the
    mean of ``node_values`` and the max of ``grad`` over each column's steps, ``overview_node_idx``
    their node colour index and ``overview_grad_bins`` their decade bin (on the edges' scale)."""

    T: int
    L: int
    sample: int
    title: str
    tip: str
    node_values: np.ndarray
    grad: np.ndarray
    node_levels: tuple[float, float]
    node_idx: np.ndarray
    loss_at: np.ndarray
    window_start: np.ndarray
    edge_bins: np.ndarray
    edge_cut: np.ndarray
    windows: tuple[np.ndarray, np.ndarray]
    input_norms: np.ndarray
    outputs: np.ndarray
    node_scales: tuple[tuple[str, float], ...]
    bin_size: int
    overview_bins: int
    overview_nodes: np.ndarray
    overview_grad: np.ndarray
    overview_node_idx: np.ndarray
    overview_grad_bins: np.ndarray
    node_quantity: cs.Quantity
    node_scale: cs.Scale
    node_bar_title: str


@lru_cache(maxsize=8)
def _windows(window_start: bytes, loss_at: bytes, L: int):
    """What the truncation windows decide, from (T,) int64 window_start and (T,) bool loss_at as
    bytes (the same on nearly every frame of a run, so kept here by their content): (cut (E,) bool
    per edge in the view's order, read-only; (starts, ends) of the windows, empty under full BPTT;
    whether some loss's gradient stops before step 0)."""
    ws = np.frombuffer(window_start, dtype=np.int64)
    steps = np.frombuffer(loss_at, dtype=bool)
    T = ws.size
    carries = ro.recurrent_edge_carries(ws, steps)
    cut = frozen(np.concatenate([np.concatenate([~carries[1:], np.zeros(T, bool)])] * L), dtype=bool)
    truncated = ro.is_truncated(ws, steps)
    starts, ends = ro.truncation_windows(ws, steps)
    if not truncated:
        starts, ends = starts[:0], ends[:0]
    return cut, (frozen(starts), frozen(ends)), truncated


def _mode(config, truncated: bool) -> str:
    training = config.get("training", {}) if config else {}
    if not training:  # no config for this run here: its windows say whether it truncates
        return "truncated BPTT" if truncated else "full BPTT"
    if training.get("bptt", "full") == "truncated":
        return f"truncated BPTT k1={training.get('k1')} k2={training.get('k2')}"
    return "full BPTT"


def _unsaid(mode: str, label: str) -> str:
    """`` · mode`` without what the run's label says already ("" if it says all of it); labels
    write "k1 = 1," where the mode writes "k1=1"."""
    said = set(re.sub(r"\s*=\s*", "=", label.lower()).replace(",", " ").split())
    words = mode.split()
    if all(w.lower() in said | {"bptt"} for w in words) and "bptt" in said:
        return ""
    kept = [w for w in words if w.lower() not in said or w.lower() in ("full", "truncated", "bptt")]
    return " · " + " ".join(kept)


def node_quantity(state: ViewState, run: str) -> cs.Quantity:
    """What the node colours show, mean |h_t|: |act| of the run's activation for a plain RNN, |h| of
    a gated cell's hidden state (within 0..1) for an LSTM or GRU."""
    return cs.Quantity.of(ro.hidden_nonlinearity(state, run), magnitude=True)


def node_colours(values, quantity: cs.Quantity, scale: cs.Scale, previous: float | None = None,
                 levels: tuple[float, float] | None = None):
    """The node colour levels, in one place: (levels (lo, hi), the auto state after them or None).

    values: (L, T) mean |h_t| (or a list of such arrays: every run the bar covers). ``scale``: the
    colour scale (colour_scale.levels: fixed, auto from ``previous``, this run's state so far (None:
    a new model, start afresh), or percentile). ``levels`` given (compare mode: one scale for every
    run) overrides the levels; the auto state is still this run's own."""
    lv, state = cs.levels(quantity, scale, values, previous)
    if levels is not None:
        lv = levels
    return (float(lv[0]), float(lv[1])), state


def node_index(values: np.ndarray, levels: tuple[float, float]) -> np.ndarray:
    """(...) int colour index 0..NODE_LEVELS-1 of ``values`` on ``levels``; a non-finite value (a run
    about to diverge) takes the lowest colour rather than failing."""
    lo, hi = levels
    scaled = np.nan_to_num(np.clip((values - lo) / (hi - lo), 0, 1), nan=0.0)
    return np.rint(scaled * (NODE_LEVELS - 1)).astype(np.int64)


def resolve_runs(state: ViewState, names, node_scales=None, scale: cs.Scale | None = None):
    """Pure: the frames of runs ``names`` on one node-colour scale, and the node auto states after
    them. ``scale``: the node colours' colour scale (None: the default mode of run A's quantity).
    The shared levels: fixed and auto, the widest of the runs' own (each run's auto state grows
    on its own values); percentile, the percentiles of every run's node values together (what the
    one colour bar covers). Returns (tuple of GraphFrame, {run id: auto state})."""
    scales = dict(node_scales or {})
    frames = [resolve(state, name, scales, scale=scale) for name in names]
    frames = [f for f in frames if f is not None]
    if len(frames) > 1:
        if frames[0].node_scale.mode == "percentile":
            shared, _ = node_colours([f.node_values for f in frames], frames[0].node_quantity,
                                     frames[0].node_scale)
        else:
            shared = (min(f.node_levels[0] for f in frames), max(f.node_levels[1] for f in frames))
        if any(f.node_levels != shared for f in frames):
            frames = [resolve(state, name, scales, levels=shared, scale=scale) for name in names]
            frames = [f for f in frames if f is not None]
    # only the drawn runs' states: an older model's (other run ids) is never drawn again
    return tuple(frames), {k: v for f in frames for k, v in f.node_scales}


def resolve(state: ViewState, run: str = "A", node_scales=None,
            levels: tuple[float, float] | None = None, scale: cs.Scale | None = None) -> GraphFrame | None:
    """Pure: the frame of run ``run``'s selected sample (None without a trace). ``node_scales``:
    {run id: auto state} reached so far; only this run's entry counts, so a new model starts afresh.
    ``levels``: the node colour levels to use (see ``node_colours``); ``scale``: the node colours'
    colour scale (None: the default mode of the run's quantity)."""
    r = state.run(run)
    trace = r.trace
    if trace is None:
        return None
    L = ro.layer_count(trace)
    T = int(trace["loss_mask"].shape[1])
    b = min(state.sample, trace["loss_mask"].shape[0] - 1)
    loss_at = frozen(ro.loss_steps(trace["loss_mask"], b), dtype=bool)
    window_start = frozen(trace["window_start"], dtype=np.int64)
    cut, (starts, ends), truncated = _windows(window_start.tobytes(), loss_at.tobytes(), L)
    values = np.stack([ro.mean_abs(trace[f"hidden/{l}"][b]) for l in range(L)])
    grad = np.stack([np.asarray(trace[f"dL_dh_norm_sample/{l}"][b], dtype=np.float64) for l in range(L)])

    quantity = node_quantity(state, run)
    scale = scale or cs.Scale(quantity.default_mode)
    node_levels, auto = node_colours(values, quantity, scale, (node_scales or {}).get(r.id), levels)
    scales = {} if auto is None else {r.id: auto}

    mags = []
    for l in range(L):
        mags += [grad[l, 1:], grad[l]]
    magnitudes = np.where(cut, 0.0, np.concatenate(mags))
    bins = ro.decade_bins(magnitudes, N_BINS)
    good = magnitudes[np.isfinite(magnitudes) & (magnitudes > 0)]
    size = lod.bin_size(T)
    overview_nodes = lod.bin_mean(values, size)
    overview_grad = lod.bin_max(grad, size)
    # the overview's decades count from the same largest value as the edges', so colours agree
    overview_bins = ro.decade_bins(overview_grad, N_BINS, top=good.max() if good.size else None)
    inputs = np.asarray(trace["inputs"][b], dtype=np.float64).reshape(T, -1)
    outputs = np.asarray(trace["predictions"][b], dtype=np.float64).reshape(T, -1)
    mode = _mode(r.config, truncated)
    if state.compare:  # side by side: short titles (the sample is in the legend line)
        title = RunSelector.title_prefix(state, run).rstrip(" ·") + _unsaid(mode, r.label)
    else:
        title = f"Unrolled network · sample {b} · {mode}"
    tip = ("Nodes: mean |h_t| over the sample's units. Edges: ||dL/dh_t|| of the node the edge "
           "enters, by decade below the largest. Dotted: cut by truncation. Shaded: truncation windows.")
    if size > 1:
        tip += f"\nOverview: {size} steps a column; {lod.OVERVIEW_REDUCTIONS}."
    return GraphFrame(
        T=T, L=L, sample=b, title=title, tip=tip,
        node_values=frozen(values), grad=frozen(grad), node_levels=node_levels,
        node_idx=frozen(node_index(values, node_levels), dtype=np.int64), loss_at=loss_at,
        window_start=window_start, edge_bins=frozen(bins, dtype=np.int64), edge_cut=cut,
        windows=(starts, ends), input_norms=frozen(np.linalg.norm(inputs, axis=1)),
        outputs=frozen(outputs), node_scales=tuple(scales.items()), bin_size=size,
        overview_bins=int(overview_grad.shape[1]), overview_nodes=frozen(overview_nodes),
        overview_grad=frozen(overview_grad),
        overview_node_idx=frozen(node_index(overview_nodes, node_levels), dtype=np.int64),
        overview_grad_bins=frozen(overview_bins, dtype=np.int64), node_quantity=quantity, node_scale=scale,
        node_bar_title=f"nodes: {cs.label(scale)}")  # short: the bar can be 100 px tall
