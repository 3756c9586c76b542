"""Realistic trace dicts, metrics histories and configs for view tests and benchmarks (no engine run).

The numbers are made up but keep the structure the engine guarantees (docs/trace-keys.md): shapes,
masks, truncation windows, F zero where k > t / cut / no loss, ||dL_t/dh_k|| bounded by the product of
Jacobian norms, dL_dh_norm equal to the Frobenius norm of dL_dh, softmax predictions for
cross-entropy. Everything is seeded. ``shown_view``, ``drawn_view``: a view widget shown (and drawn) for a test.
"""
from __future__ import annotations

import numpy as np

from rnn_viz.engine.bptt import Truncation, block_chains
from rnn_viz.engine.network import GATES
from rnn_viz.ui.state import ViewState


def window_starts(T: int, bptt: str, k1: int, k2: int) -> np.ndarray:
    """(T,) first step a loss at t reaches, from the engine's own block chains (full BPTT: 0; a
    last block shorter than k1 keeps the start of a whole one, as the engine truncates)."""
    truncation = None if bptt == "full" else Truncation(k1, k2)
    return np.asarray(block_chains(T, truncation).window_start(), dtype=np.int64)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def make_trace(cell: str = "rnn", layers: int = 1, T: int = 20, H: int = 8, B: int = 4, I: int = 3,
               O: int = 2, loss: str = "mse", loss_at: str = "all", bptt: str = "full", k1: int = 5,
               k2: int = 5, heavy: bool = True, decay: float = 0.8, flow_sample: int = 0,
               seed: int = 0) -> dict[str, np.ndarray]:
    """A trace of one step. loss_at: "all" (a loss at every step) or "last" (only at T-1).

    decay: the typical step-Jacobian norm, < 1 for vanishing and > 1 for exploding gradients.
    """
    rng = np.random.default_rng(seed)
    G = GATES[cell]
    tr: dict[str, np.ndarray] = {}
    if loss == "cross_entropy":
        idx = rng.integers(0, I, size=(B, T))
        tr["inputs"] = np.eye(I)[idx]
        targets = np.roll(idx, -1, axis=1) % O
        tr["targets"] = targets.astype(np.int64)
    else:
        tr["inputs"] = rng.normal(size=(B, T, I))
        tr["targets"] = np.sin(np.linspace(0, 3, T))[None, :, None] * rng.normal(1, 0.2, size=(B, 1, O))
    mask = np.ones((B, T), bool) if loss_at == "all" else np.zeros((B, T), bool)
    mask[:, -1] = True
    tr["loss_mask"] = mask
    ws = window_starts(T, bptt, k1, k2)
    tr["window_start"] = ws

    x = tr["inputs"]
    for l in range(layers):
        drive = rng.normal(scale=0.8, size=(B, T, H)) + 0.3 * np.cumsum(rng.normal(size=(B, T, H)), 1) / np.sqrt(T)
        if cell == "rnn":
            h = np.tanh(drive)
        else:
            gates = _sigmoid(rng.normal(size=(B, T, G * H)))
            gates[..., 2 * H:3 * H] = np.tanh(drive)  # the tanh block: lstm g, gru n
            tr[f"gates/{l}"] = gates
            if cell == "lstm":
                c = np.cumsum(gates[..., 0:H] * gates[..., 2 * H:3 * H], axis=1) * 0.3
                tr[f"cell/{l}"] = c
                h = gates[..., 3 * H:4 * H] * np.tanh(c)
            else:
                h = (1 - gates[..., H:2 * H]) * gates[..., 2 * H:3 * H]
        tr[f"hidden/{l}"] = h
        x = h
        jn = np.clip(decay * rng.lognormal(0, 0.15, size=T), 1e-3, None)
        jn[0] = 0.0  # no step before 0
        sigma = decay * 1.1 + 0.1 * l
        tr[f"whh_sigma_max/{l}"] = np.float64(sigma)
        tr[f"whh_rho/{l}"] = np.float64(sigma * 0.9)
        # Per-sample flow matrices: the product bound shrunk by a random factor in (0.3, 1].
        logj = np.log(np.where(jn > 0, jn, 1.0))
        cum = np.concatenate([[0.0], np.cumsum(logj[1:])])  # cum[t] = sum log jn[1..t]
        lag_log = cum[:, None] - cum[None, :]  # log prod jn[k+1..t] at [t, k]
        tt, kk = np.meshgrid(np.arange(T), np.arange(T), indexing="ij")
        on_path = (kk <= tt) & (kk >= ws[:, None])
        norm_sample = np.zeros((B, T))
        for b in range(B):
            base = 0.1 * (1 + 0.5 * l) * rng.uniform(0.5, 1.5, size=T)
            F = np.exp(lag_log) * base[:, None] * rng.uniform(0.3, 1.0, size=(T, T))
            F = np.where(on_path & mask[b][:, None], F, 0.0)
            np.fill_diagonal(F, np.where(mask[b], base, 0.0))
            norm_sample[b] = np.sqrt((F ** 2).sum(axis=0))
            if b == flow_sample and heavy:
                tr[f"flow/{l}"] = F
                tr[f"jacobian_norm/{l}"] = jn
        direction = rng.normal(size=(B, T, H))
        direction /= np.linalg.norm(direction, axis=2, keepdims=True)
        tr[f"dL_dh/{l}"] = direction * norm_sample[..., None]
        tr[f"dL_dh_norm_sample/{l}"] = np.linalg.norm(tr[f"dL_dh/{l}"], axis=2)
        tr[f"dL_dh_norm/{l}"] = np.sqrt((tr[f"dL_dh/{l}"] ** 2).sum(axis=(0, 2)))
        tr[f"saturation/{l}"] = (np.abs(h) > 0.99).mean(axis=(0, 2))
    if heavy:
        tr["flow_sample"] = np.int64(flow_sample)
    W = rng.normal(scale=0.5, size=(O, H))
    out = x @ W.T
    tr["outputs"] = out
    if loss == "cross_entropy":
        e = np.exp(out - out.max(axis=2, keepdims=True))
        tr["predictions"] = e / e.sum(axis=2, keepdims=True)
    else:
        tr["predictions"] = out
    share = rng.uniform(0.5, 1.0, size=T) * mask.any(0)
    tr["loss_share"] = share
    tr["loss"] = np.float64(share.sum())
    tr["grad_norm"] = np.float64(1.7)
    tr["param/Why"] = W
    return tr


def make_history(n: int = 60, layers: int = 1, seed: int = 0, val_every: int = 10,
                 spectra_every: int = 5) -> dict[str, np.ndarray]:
    """metrics.csv columns over ``n`` updates; NaN where a column was not evaluated."""
    rng = np.random.default_rng(seed)
    step = np.arange(1, n + 1, dtype=np.float64)
    loss = 1.0 / np.sqrt(step) + 0.05 * rng.random(n)
    val = np.full(n, np.nan)
    val[val_every - 1::val_every] = loss[val_every - 1::val_every] * 1.1
    hist = {"step": step, "loss": loss, "val_loss": val,
            "grad_norm": 2.0 * np.exp(-step / n) + 0.2 * rng.random(n),
            "accuracy": np.full(n, np.nan)}
    for l in range(layers):
        s = np.full(n, np.nan)
        s[::spectra_every] = 1.0 + 0.1 * l + 0.05 * np.sin(step[::spectra_every] / 10)
        hist[f"sigma_max/{l}"] = s
        hist[f"rho/{l}"] = s * 0.9
    return hist


def make_config(cell: str = "rnn", layers: int = 1, H: int = 8, bptt: str = "full", k1: int = 5,
                k2: int = 5, clip_norm: float = 1.0, activation: str | None = None,
                loss: str = "mse") -> dict:
    if cell == "rnn" and activation is None:
        activation = "tanh"
    return {
        "data": {"task": "synthetic", "loss": loss},
        "model": {"cell": cell, "activation": activation, "hidden_size": H, "num_layers": layers},
        "training": {"bptt": bptt, "k1": k1, "k2": k2, "clip_norm": clip_norm, "loss": loss},
    }


def make_state(cell: str = "rnn", layers: int = 1, T: int = 20, H: int = 8, *, compare: bool = False,
               time_step: int = 0, sample: int = 0, bptt: str = "full", k1: int = 5, k2: int = 5,
               loss: str = "mse", vocab: tuple[str, ...] | None = None, heavy: bool = True,
               seed: int = 0, **trace_kw) -> ViewState:
    """A ViewState with run A (and run B = truncated BPTT when ``compare``)."""
    if vocab is not None:
        trace_kw.setdefault("I", len(vocab))
        trace_kw.setdefault("O", len(vocab))
    trace = make_trace(cell, layers, T, H, bptt=bptt, k1=k1, k2=k2, loss=loss, heavy=heavy, seed=seed,
                       **trace_kw)
    history = make_history(layers=layers, seed=seed)
    kw = {}
    if compare:
        kw = dict(trace_b=make_trace(cell, layers, T, H, bptt="truncated", k1=k1, k2=k2, loss=loss,
                                     heavy=heavy, seed=seed + 1, **trace_kw),
                  history_b=make_history(layers=layers, seed=seed + 1),
                  label_a="full BPTT", label_b=f"truncated k1={k1} k2={k2}",
                  config_b=make_config(cell, layers, H, "truncated", k1, k2, loss=loss))
    return ViewState(trace=trace, history=history,
                     config=make_config(cell, layers, H, bptt, k1, k2, loss=loss), time_step=time_step,
                     sample=sample, chance_loss=1.0 if loss == "mse" else float(np.log(trace["predictions"].shape[2])),
                     vocab=vocab, **kw)


def shown_view(qtbot, view, width: int = 600, height: int = 450):
    """``view`` (a widget) handed to ``qtbot`` to close after the test, resized and shown; returns it."""
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    return view


def drawn_view(qtbot, cls):
    """A shown view of class ``cls`` that has drawn a two-layer LSTM trace, the cell with every panel
    a view can have (gates, cell state)."""
    view = shown_view(qtbot, cls())
    view.render(make_state("lstm", 2, T=20, H=6, time_step=5))
    return view
