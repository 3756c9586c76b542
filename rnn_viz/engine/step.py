"""One training step: forward, loss, BPTT, the trace, and the guarded optimizer update."""
from __future__ import annotations

from types import MappingProxyType

import numpy as np

from . import bptt, losses, network, optim, trace
from .errors import DivergenceError, EngineError
from .init import sigma_max, spectral_radius
from .levels import TRACE_LEVELS
from .workspace import packed_cover


# trace keys that hold arrays of the forward caches themselves
_CACHE_KEYS = frozenset({"hidden/<l>", "gates/<l>", "cell/<l>"})
# glibc's largest mmap threshold (64-bit): a larger array is a fresh mapping, faulted in and zeroed
# on every update (lstm at B = 64, T = 500, H = 128: 230 MB of them, 0.63x the CPU time without);
# smaller ones come back warm from the allocator, and scratch ones were slower then (measured at
# B = 1, H = 100 with other work in between: 0.37 against 0.23 ms for the forward pass)
_FRESH_MAPPING_BYTES = 32 << 20


def whh_spectra(spec, params: dict) -> dict[str, np.ndarray]:
    """``whh_rho/<l>`` and ``whh_sigma_max/<l>`` (0-d) for every layer (gate-block maxima)."""
    out = {}
    for l in range(spec.num_layers):
        W = params[f"Whh.{l}"]
        out[f"whh_rho/{l}"] = np.array(spectral_radius(W))
        out[f"whh_sigma_max/{l}"] = np.array(sigma_max(W))
    return out


def evaluate(spec, params: dict, inputs: np.ndarray, targets: np.ndarray, mask: np.ndarray, loss: str,
             truncation: bptt.Truncation | None = None, flow_sample: int | None = None,
             spectra: dict | None = None, level: str = "full", flow_rows: int | None = None):
    """Loss, gradient and trace of one batch at fixed parameters.

    inputs (B, T, I); targets (B, T, O) float or (B, T) int; mask (B, T) bool. ``truncation`` None
    means full BPTT. ``flow_sample`` (a sample index) adds the heavy parts. ``spectra``: the result
    of whh_spectra for these parameters, if already known (else computed when the level needs it).
    ``flow_rows`` (an int R): instead of ``flow/<l>`` (T, T), keep R of the flow sample's loss steps
    (``flow_rows`` (R,), ``flow_window/<l>`` (R, T)); for a T whose (T, T) matrix does not fit.
    ``level``: "metrics", "live" or "full" (levels.TRACE_LEVELS); keys outside it are not computed.
    Returns (grads, trace): grads a dict of parameter gradients (the truncated gradient under
    truncation), trace a read-only mapping with the level's keys of docs/trace-keys.md.
    """
    if level not in TRACE_LEVELS:
        raise EngineError(f"unknown trace level {level!r}; allowed: {', '.join(TRACE_LEVELS)}")
    want = TRACE_LEVELS[level]
    dtype = params["Why"].dtype
    inputs = np.asarray(inputs, dtype=dtype)
    B, T, _ = inputs.shape
    if mask.shape != (B, T):
        raise EngineError(f"loss mask must have shape {(B, T)}, got {mask.shape}")
    if flow_sample is not None and not 0 <= flow_sample < B:
        raise EngineError(f"flow_sample must be in 0..{B - 1}, got {flow_sample}")
    # caches the trace does not hold come from (and go back to) scratch arrays when they are large
    # enough to be mapped fresh each time
    big = (T + 1) * B * spec.gates * spec.hidden_size * dtype.itemsize >= _FRESH_MAPPING_BYTES
    transient = big and not want & _CACHE_KEYS
    caches, y_tm = network.forward(spec, params, inputs, transient=transient)
    y = y_tm.transpose(1, 0, 2)
    res = losses.compute(loss, y, targets.astype(dtype) if loss == "mse" else targets, mask)
    dy = res.dy.transpose(1, 0, 2)  # time-major, as the sweep runs
    # the flow matrices read the whole adjoint; the sweep alone can take it a chunk at a time
    dh_out = network.readout_adjoint_source(dy, params["Why"], whole=flow_sample is not None)
    chains = bptt.block_chains(T, truncation)
    want_dh = bool(want & {"dL_dh/<l>", "dL_dh_norm/<l>", "dL_dh_norm_sample/<l>"})
    swept = bptt.sweep(spec, params, caches, dh_out, chains, want_dh=want_dh, keep_dc=not transient,
                       keep_dh="dL_dh/<l>" in want)
    # one vector holds every gradient (workspace.pack) when all are float64, for global_norm and
    # the optimizer
    packed = None
    if dtype == np.float64 and all(p.dtype == dtype for p in params.values()):
        packed = np.empty(sum(p.size for p in params.values()), dtype)
    grads = network.weight_gradients(spec, caches, swept, dy, out=packed)

    tr: dict[str, np.ndarray] = {"inputs": inputs, "targets": targets, "loss_mask": np.asarray(mask, dtype=bool),
                                 "loss": np.array(res.loss)}
    if "outputs" in want:
        tr.update(outputs=y, predictions=res.predictions, loss_share=res.share, window_start=chains.window_start())
    if res.accuracy is not None:
        tr["accuracy"] = np.array(res.accuracy)
    for name, p in params.items():
        tr[f"param/{name}"] = p
        if "grad/<name>" in want:
            tr[f"grad/{name}"] = grads[name]
        if "param_norm/<name>" in want:
            tr[f"param_norm/{name}"] = np.array(np.linalg.norm(p))
            tr[f"grad_norm/{name}"] = np.array(np.linalg.norm(grads[name]))
    tr["grad_norm"] = np.array(optim.global_norm(grads))
    for l, cache in enumerate(caches):
        if "hidden/<l>" in want:
            tr[f"hidden/{l}"] = cache["h"].transpose(1, 0, 2)  # trace arrays are batch-major (B, T, ...)
        if want_dh:
            dh = swept["dh"][l].transpose(1, 0, 2)
            per_sample = np.sqrt(np.einsum("bth,bth->bt", dh, dh))
            tr[f"dL_dh_norm_sample/{l}"] = per_sample
            tr[f"dL_dh_norm/{l}"] = np.sqrt((per_sample * per_sample).sum(0))
            if "dL_dh/<l>" in want:
                tr[f"dL_dh/{l}"] = dh
        if "dWhh_step_norm/<l>" in want:
            tr[f"dWhh_step_norm/{l}"] = trace.step_contribution_norms(swept["dah"][l], cache["h_prev"])
        if "saturation/<l>" in want:
            tr[f"saturation/{l}"] = trace.saturation(spec.cell, spec.activation, cache)
        if "gates/<l>" in want and spec.cell != "rnn":
            tr[f"gates/{l}"] = cache["gates"].transpose(1, 0, 2)
        if "cell/<l>" in want and spec.cell == "lstm":
            tr[f"cell/{l}"] = cache["c"].transpose(1, 0, 2)
            tr[f"dL_dc/{l}"] = swept["dc"][l].transpose(1, 0, 2)
    if "whh_sigma_max/<l>" in want:
        known = spectra if spectra is not None else {}
        for l in range(spec.num_layers):
            W = params[f"Whh.{l}"]
            for key, fn in (("whh_sigma_max", sigma_max), ("whh_rho", spectral_radius)):
                if f"{key}/<l>" in want:
                    value = known.get(f"{key}/{l}")
                    tr[f"{key}/{l}"] = np.array(fn(W)) if value is None else value
    if flow_sample is not None:
        tr["flow_sample"] = np.array(flow_sample)
        rows = None if flow_rows is None else trace.kept_flow_rows(mask[flow_sample], flow_rows)
        if rows is not None:
            tr["flow_rows"] = rows
        for l, F in enumerate(trace.flow_matrices(spec, params, caches, dh_out, chains, flow_sample, rows)):
            tr[f"flow/{l}" if rows is None else f"flow_window/{l}"] = F
        for l, n in enumerate(trace.jacobian_norms(spec, params, caches, flow_sample)):
            tr[f"jacobian_norm/{l}"] = n
    return grads, MappingProxyType(tr)


def train_step(spec, params: dict, opt_state: dict, optimizer: optim.Optimizer, inputs, targets, mask,
               loss: str, truncation: bptt.Truncation | None = None, clip_norm: float = 0.0,
               clip_value: float = 0.0, flow_sample: int | None = None, spectra: dict | None = None,
               level: str = "full", trainable: tuple[str, ...] | None = None, flow_rows: int | None = None):
    """evaluate() (trace keys of ``level``, ``flow_rows`` as there), then one optimizer update with clipping.

    ``trainable``: the parameters the update changes (None = all); the others are returned as they
    are and ``opt_state`` holds buffers for the trainable ones only. The gradient norm, the trace's
    gradients and clipping still cover every parameter.
    Returns (new_params, new_opt_state, trace); the inputs are never modified. Raises
    DivergenceError if the loss, a gradient, or the updated parameters or optimizer state are not
    finite; the caller's params and opt_state are then exactly what they were.
    """
    # Overflow is expected on the way to divergence; the finite checks below report it in words.
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        grads, tr = evaluate(spec, params, inputs, targets, mask, loss, truncation, flow_sample, spectra, level,
                             flow_rows)
    if not np.isfinite(tr["loss"]):
        raise DivergenceError("loss")
    norm = float(tr["grad_norm"])
    if not np.isfinite(norm):  # finite gradients give a finite norm unless it overflows
        _check_finite(grads, "gradient of")
    # no copy when nothing is clipped: update() never modifies its inputs
    clipped, _ = optim.clip_gradients(grads, clip_norm, clip_value, norm=norm, copy=False)
    if trainable is not None:
        learn = {k: params[k] for k in trainable}
        with np.errstate(over="ignore", invalid="ignore"):
            learned, new_state = optim.update(optimizer, learn, {k: clipped[k] for k in trainable}, opt_state)
        new_params = {k: learned.get(k, p) for k, p in params.items()}
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            new_params, new_state = optim.update(optimizer, params, clipped, opt_state)
    _check_finite(new_params, "update of", new_state, "optimizer state")
    return new_params, new_state, tr


def _check_finite(*named) -> None:
    """``named``: dicts of arrays, each followed by its name in words. Raise DivergenceError naming
    the first array with a non-finite entry, as "<words> <key>"."""
    arrays = [a for d in named[::2] for a in d.values()]
    with np.errstate(over="ignore", invalid="ignore"):
        # one sum per array, or per vector that arrays are views of (workspace.pack): a finite sum
        # means finite entries; only a non-finite (or overflowing) one needs the entry-wise look
        if np.isfinite(sum(float(np.add.reduce(a, axis=None)) for a in packed_cover(arrays))):
            return
    for d, what in zip(named[::2], named[1::2]):
        for name, a in d.items():
            if not np.all(np.isfinite(a)):
                raise DivergenceError(f"{what} {name}")


def evaluate_loss(spec, params: dict, inputs, targets, mask, loss: str) -> tuple[float, float | None]:
    """Forward pass and loss only (no gradient): (loss, accuracy or None). For validation batches.

    The caches die here, so they are scratch arrays: a validation set of 256 sequences at T = 200,
    H = 128 was 52 MB per layer mapped fresh at every validation row, and its input projection
    pushed the training batch's out of the scratch pool."""
    _, y = network.forward(spec, params, np.asarray(inputs, dtype=params["Why"].dtype), transient=True)
    res = losses.compute(loss, y.transpose(1, 0, 2), targets.astype(y.dtype) if loss == "mse" else targets, mask)
    return res.loss, res.accuracy
