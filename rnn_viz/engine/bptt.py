"""Backpropagation through time: one reversed sweep, with truncation as a limit on its window.

A *chain* is a group of loss steps [lo, hi) whose error is carried back to step ``start`` and no
further (the hidden state before ``start`` is held constant). Full BPTT is one chain [0, T) reaching
step 0. Williams & Peng's TBPTT(k1, k2) is one chain per block of k1 steps,
[j k1, min(T, (j+1) k1)), reaching back to max(0, (j+1) k1 - k2). The gradient is the sum over chains.
The sweep walks t = T-1 .. 0 once, carrying an adjoint per chain alive at t; since ``lo``, ``hi`` and
``start`` never decrease from one chain to the next, the chains alive at t are a contiguous range.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import backward_steps as steps
from .cancel import polled
from .errors import EngineError
from .network import adjoint_steps
from .workspace import scratch


@dataclass(frozen=True, slots=True)
class Truncation:
    """TBPTT(k1, k2): every k1 steps, backpropagate the last k1 losses through k2 steps."""

    k1: int = 1
    k2: int = 5

    def __post_init__(self):
        if not 1 <= self.k1 <= self.k2:
            raise EngineError(f"truncated BPTT needs 1 <= k1 <= k2, got k1={self.k1}, k2={self.k2}")


@dataclass(frozen=True, slots=True)
class Chains:
    """lo, hi, start: (C,) int arrays; ``owner``: (T,) the chain whose losses include step t."""

    lo: np.ndarray
    hi: np.ndarray
    start: np.ndarray
    owner: np.ndarray

    def alive(self, t: int) -> tuple[int, int]:
        """The range [a, b) of chains whose window covers step t."""
        a = int(self.owner[t])
        b = int(np.searchsorted(self.start, t, side="right"))
        return a, b

    def window_start(self) -> np.ndarray:
        """(T,) for a loss at step t, the first step its gradient reaches."""
        return self.start[self.owner]


def block_chains(T: int, truncation: Truncation | None) -> Chains:
    """The chains of full BPTT (truncation None) or TBPTT(k1, k2) over T steps."""
    if truncation is None:
        one = np.zeros(1, dtype=np.intp)
        return Chains(one, np.full(1, T, dtype=np.intp), one, np.zeros(T, dtype=np.intp))
    k1, k2 = truncation.k1, truncation.k2
    j = np.arange(-(-T // k1), dtype=np.intp)
    lo = j * k1
    return Chains(lo, np.minimum(T, lo + k1), np.maximum(0, lo + k1 - k2), np.arange(T, dtype=np.intp) // k1)


def per_step_chains(blocks: Chains, rows: np.ndarray | None = None) -> Chains:
    """One chain per loss step t, reaching back as far as t's block does (for the flow matrix).

    rows: (R,) increasing loss steps to keep (None: all T). A step between kept rows is owned by the
    next kept one; the caller zeroes its loss so it adds nothing (``trace.flow_matrices``).
    """
    T = len(blocks.owner)
    steps = np.arange(T, dtype=np.intp)
    if rows is None:
        return Chains(steps, steps + 1, blocks.window_start(), steps)
    rows = np.asarray(rows, dtype=np.intp)
    return Chains(rows, rows + 1, blocks.window_start()[rows], np.searchsorted(rows, steps, side="left"))


def sweep(spec, params: dict, caches: list[dict], dh_out: np.ndarray, chains: Chains,
          want_weight_terms: bool = True, record_chain_norms: bool = False, want_dh: bool = True,
          keep_dc: bool = True, keep_dh: bool = True) -> dict:
    """The reversed time loop over all layers.

    spec: NetSpec. caches: one forward cache per layer (cells.forward, time-major). dh_out: (T, B, H)
    the loss's adjoint arriving at the top layer's h_t from the readout (dL/dy_t W_hy), or a
    network.ReadoutAdjoint that makes it a chunk of steps at a time.
    Returns per layer l (lists indexed by layer), time-major:
      ``dh`` (T, B, H): adjoint dL/dh_t summed over chains (if want_dh; a scratch array unless
      keep_dh); ``dc`` (T, B, H) for lstm (a scratch array unless keep_dc);
      ``dax``, ``dah`` (T, B, G*H): pre-activation adjoints summed over chains (if want_weight_terms;
      per-thread scratch arrays, overwritten by the next sweep);
      ``chain_norms`` (C, T): ||adjoint of chain c at h_t|| (if record_chain_norms; flow matrix).
    Each step runs in place on buffers made once per sweep (backward_steps; cells.step_backward
    states the same step plainly).
    """
    L, cell, act = spec.num_layers, spec.cell, spec.activation
    T, B, H = dh_out.shape
    C, GH = len(chains.lo), spec.gates * H
    dt = dh_out.dtype
    single = C == 1  # full BPTT: the per-chain sums are the arrays themselves
    carry = [np.zeros((C, B, H), dt) for _ in range(L)]
    carry_c = [np.zeros((C, B, H), dt) for _ in range(L)] if cell == "lstm" else None
    out = {
        # scratch when the caller keeps only numbers made from it (the norms): a fresh (T, B, H)
        # array per update was page faults (+3 ms of 18 at B = 32, T = 200, H = 128, 2 layers)
        "dh": ([np.empty((T, B, H), dt) if keep_dh else scratch(f"dh.{l}", (T, B, H), dt) for l in range(L)]
               if want_dh else None),
        "dc": ([np.empty((T, B, H), dt) if keep_dc else scratch(f"dc.{l}", (T, B, H), dt) for l in range(L)]
               if cell == "lstm" else None),
        # scratch: these never leave the evaluate() call that asked for them
        "dax": [scratch(f"dax.{l}", (T, B, GH), dt) for l in range(L)] if want_weight_terms else None,
        "dah": None,
        "chain_norms": [np.zeros((C, T), dt) for _ in range(L)] if record_chain_norms else None,
    }
    if want_weight_terms:
        # the input- and recurrent-side adjoints differ only in gru's n gate
        out["dah"] = [scratch(f"dah.{l}", (T, B, GH), dt) for l in range(L)] if cell == "gru" else out["dax"]
    Whh = [params[f"Whh.{l}"] for l in range(L)]
    Wxh = [params[f"Wxh.{l}"] for l in range(L)]
    # What a step needs that does not depend on the adjoint is computed for a chunk of K steps at a
    # time: few NumPy calls per step, and the chunk stays in cache (a whole (T, B, G*H) sequence at
    # once was memory-bound at B = 64, T = 500, H = 128).
    K = max(1, _CHUNK_ELEMENTS // (B * GH))
    F, lo_chunk = None, T
    cell_deriv = cell == "rnn" and act != "linear"
    if _SINGLE_CHAIN_LOOP and single and cell == "rnn" and want_weight_terms and not record_chain_norms:
        _rnn_single_chain(caches, dh_out, int(chains.start[0]), act, K, Whh, Wxh, carry, out)
        return out
    down_buf, work = np.empty((C, B, H), dt), np.empty((C, B, H), dt)
    da_buf, dah_buf, dc_buf = np.empty((C, B, GH), dt), np.empty((C, B, GH), dt), np.empty((C, B, H), dt)
    # the alive ranges as plain ints, once, instead of a search per step
    first = chains.owner.tolist()
    last = np.searchsorted(chains.start, np.arange(T), side="right").tolist()
    for t in polled(range(T - 1, -1, -1)):
        a, b = first[t], last[t]
        if a >= b:  # no chain alive (only with kept flow rows: after the last one or between windows)
            continue
        own = 0  # the chain that owns step t is the first alive one
        if t < lo_chunk:
            lo_chunk = max(0, t + 1 - K)
            F = [steps.factors(cell, act, {k: v[lo_chunk : t + 1] for k, v in c.items()}, f"sweep.{l}")
                 for l, c in enumerate(caches)]
            arriving = adjoint_steps(dh_out, lo_chunk, t + 1)
        k = t - lo_chunk
        down = None
        for l in reversed(range(L)):
            dh = carry[l][a:b]
            if l == L - 1:
                dh[own] += arriving[k]
            else:
                dh += down
            if want_dh:
                _chain_sum(dh, out["dh"][l][t])
            if record_chain_norms:
                out["chain_norms"][l][a:b, t] = np.sqrt(np.einsum("cbh,cbh->c", dh, dh))
            # with one chain a step writes straight into the output arrays; with more, into buffers
            # that are then summed over chains
            direct = single and want_weight_terms
            dax = out["dax"][l][t][None] if direct else da_buf[: b - a]
            if cell == "rnn":
                steps.rnn_step_backward_into(dh, F[l]["deriv"][k] if cell_deriv else 1.0, Whh[l], dax, dh)
            elif cell == "lstm":
                dc_t = out["dc"][l][t][None] if single else dc_buf[: b - a]
                steps.lstm_step_backward_into(dh, carry_c[l][a:b], F[l], k, Whh[l], dax, dc_t)
                if not single:
                    dc_t.sum(0, out=out["dc"][l][t])
            else:
                dah = out["dah"][l][t][None] if direct else dah_buf[: b - a]
                steps.gru_step_backward_into(dh, F[l], k, Whh[l], dax, dah, work[: b - a])
                if want_weight_terms and not single:
                    dah.sum(0, out=out["dah"][l][t])
            if want_weight_terms and not single:
                dax.sum(0, out=out["dax"][l][t])
            if l > 0:
                down = np.matmul(dax, Wxh[l], out=down_buf[: b - a])
    return out



# The vanilla cell's one-chain loop below instead of the general one (tests compare the two).
_SINGLE_CHAIN_LOOP = True


def _rnn_single_chain(caches, dh_out, start, act, K, Whh, Wxh, carry, out) -> None:
    """sweep() for the vanilla cell and one chain (full BPTT), its usual case: the same operations
    on the same numbers as the general loop, with the per-step bookkeeping of chains, buffers and
    cells taken out of the loop (at B = 1 that bookkeeping cost as much as the arithmetic)."""
    T, B, H = dh_out.shape
    L = len(caches)
    dh = [c[0] for c in carry]  # (B, H): the one chain's adjoint per layer
    # every step's views made once per sweep (at B = 1 indexing per use was a tenth of the step)
    dax = [list(a) for a in out["dax"]]
    dh_keep = [list(a) for a in out["dh"]] if out["dh"] is not None else None
    down = np.empty((B, H), dh_out.dtype) if L > 1 else None
    lo_chunk, deriv = T, None
    layers = list(reversed(range(L)))
    dot, add, multiply = np.dot, np.add, np.multiply  # dot: as cells.forward says
    for t in polled(range(T - 1, start - 1, -1)):
        if t < lo_chunk:
            lo_chunk = max(0, t + 1 - K)
            if act != "linear":
                deriv = [list(steps.factors("rnn", act, {"h": c["h"][lo_chunk : t + 1]}, f"sweep.{l}")["deriv"])
                         for l, c in enumerate(caches)]
            arriving = list(adjoint_steps(dh_out, lo_chunk, t + 1))
        k = t - lo_chunk
        for l in layers:
            d = dh[l]
            add(d, arriving[k] if l == L - 1 else down, out=d)
            if dh_keep is not None and d is not dh_keep[l][t]:
                dh_keep[l][t][...] = d
            da = dax[l][t]
            if deriv is None:
                da[...] = d  # linear: dh * 1.0
            else:
                multiply(d, deriv[l][k], out=da)
            # with dL/dh kept, the product lands in its row for step t - 1, which the next step then
            # completes in place: no copy per step
            nxt = dh_keep[l][t - 1] if dh_keep is not None and t > start else carry[l][0]
            dot(da, Whh[l], out=nxt)
            dh[l] = nxt
            if l > 0:
                dot(da, Wxh[l], out=down)


# Elements of one chunk of per-step factors (8 bytes each: 256 KiB, about a core's L2 cache).
_CHUNK_ELEMENTS = 1 << 15


def _chain_sum(per_chain: np.ndarray, out: np.ndarray) -> None:
    """Sum (C, B, X) over chains into out (B, X); a plain copy for the single chain of full BPTT."""
    if len(per_chain) == 1:
        out[...] = per_chain[0]
    else:
        per_chain.sum(0, out=out)
