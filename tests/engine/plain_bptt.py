"""A deliberately plain BPTT: one chain at a time, written from the chain definitions in
rnn_viz.engine.bptt's docstring, allocating freely. The engine's sweep (all chains in one reversed
loop, in-place steps) must agree with it."""
import numpy as np

from rnn_viz.engine import cells, losses, network
from rnn_viz.engine.bptt import block_chains


def run(spec, p, inputs, targets, mask, loss, truncation=None):
    """(grads, dh, flow): the gradient, dL/dh_t per layer (B, T, H) and sample 0's flow matrix per
    layer (T, T), each chain backpropagated on its own and the results summed."""
    caches, y_tm = network.forward(spec, p, inputs)
    res = losses.compute(loss, y_tm.transpose(1, 0, 2), targets, mask)
    dy = res.dy.transpose(1, 0, 2)
    dh_out = np.einsum("tbo,oh->tbh", dy, p["Why"])
    T, B, H = dh_out.shape
    L = spec.num_layers
    chains = block_chains(T, truncation)
    GH = spec.gates * H
    dh_sum = [np.zeros((T, B, H)) for _ in range(L)]
    dax_sum = [np.zeros((T, B, GH)) for _ in range(L)]
    dah_sum = [np.zeros((T, B, GH)) for _ in range(L)]
    for lo, hi, start in zip(chains.lo, chains.hi, chains.start):
        _backprop(spec, p, caches, dh_out, lo, hi, start, dh_sum, dax_sum, dah_sum)
    grads = {}
    for l, c in enumerate(caches):
        grads[f"Wxh.{l}"] = np.einsum("tbg,tbi->gi", dax_sum[l], c["x"])
        grads[f"Whh.{l}"] = np.einsum("tbg,tbh->gh", dah_sum[l], c["h_prev"])
        grads[f"bh.{l}"] = dax_sum[l].sum((0, 1))
        if spec.cell == "gru":
            grads[f"bhn.{l}"] = dah_sum[l][..., 2 * H:].sum((0, 1))
    grads["Why"] = np.einsum("tbo,tbh->oh", dy, caches[-1]["h"])
    grads["by"] = dy.sum((0, 1))
    flow = [np.zeros((T, T)) for _ in range(L)]
    one = [{k: v[:, :1] for k, v in c.items()} for c in caches]
    for t in range(T):  # one chain per loss step of sample 0, as far back as its block reaches
        rows = [np.zeros((T, 1, H)) for _ in range(L)]
        start = int(chains.window_start()[t])
        _backprop(spec, p, one, dh_out[:, :1], t, t + 1, start, rows, None, None)
        for l in range(L):
            flow[l][t] = np.linalg.norm(rows[l][:, 0], axis=-1)
    return grads, [d.transpose(1, 0, 2) for d in dh_sum], flow


def _backprop(spec, p, caches, dh_out, lo, hi, start, dh_sum, dax_sum, dah_sum):
    """Carry the losses of steps [lo, hi) back to step ``start``, adding into the sums."""
    L, H = spec.num_layers, dh_out.shape[-1]
    B = dh_out.shape[1]
    carry = [np.zeros((B, H)) for _ in range(L)]
    carry_c = [np.zeros((B, H)) for _ in range(L)]
    for t in range(hi - 1, start - 1, -1):
        down = None
        for l in reversed(range(L)):
            dh = carry[l] + (dh_out[t] if l == L - 1 and lo <= t < hi else 0.0) + (down if down is not None else 0.0)
            dh_sum[l][t] += dh
            at = {k: v[t] for k, v in caches[l].items()}
            dc = carry_c[l] if spec.cell == "lstm" else None
            dax, dah, dh_prev, dc_prev, _ = cells.step_backward(spec.cell, spec.activation, dh, dc, at, p[f"Whh.{l}"])
            if dax_sum is not None:
                dax_sum[l][t] += dax
                dah_sum[l][t] += dah
            carry[l] = dh_prev
            if dc_prev is not None:
                carry_c[l] = dc_prev
            down = dax @ p[f"Wxh.{l}"] if l > 0 else None
