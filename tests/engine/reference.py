"""A deliberately plain re-implementation of the forward pass, one sample-batch step at a time,
written from the equations (PyTorch's documentation) and not from rnn_viz.engine.cells.
It also starts from a given state, which the truncated-BPTT surrogate needs."""
import numpy as np


def _sig(a):
    return 1.0 / (1.0 + np.exp(-a))


def _act(name, a):
    return {"tanh": np.tanh, "relu": lambda v: np.maximum(v, 0), "linear": lambda v: v}[name](a)


def cell_step(cell, act, p, l, x, state):
    """One step of layer l. x (B, I_l); state (h,) or (h, c). Returns the new state."""
    Wx, Wh, b = p[f"Wxh.{l}"], p[f"Whh.{l}"], p[f"bh.{l}"]
    h = state[0]
    H = Wh.shape[1]
    if cell == "rnn":
        return (_act(act, x @ Wx.T + h @ Wh.T + b),)
    if cell == "lstm":
        z = x @ Wx.T + h @ Wh.T + b
        i, f, g, o = _sig(z[:, :H]), _sig(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), _sig(z[:, 3 * H:])
        c = f * state[1] + i * g
        return (o * np.tanh(c), c)
    W_ir, W_iz, W_in = Wx[:H], Wx[H:2 * H], Wx[2 * H:]
    W_hr, W_hz, W_hn = Wh[:H], Wh[H:2 * H], Wh[2 * H:]
    r = _sig(x @ W_ir.T + b[:H] + h @ W_hr.T)
    z = _sig(x @ W_iz.T + b[H:2 * H] + h @ W_hz.T)
    n = np.tanh(x @ W_in.T + b[2 * H:] + r * (h @ W_hn.T + p[f"bhn.{l}"]))
    return ((1 - z) * n + z * h,)


def zero_states(cell, L, B, H):
    return [(np.zeros((B, H)),) * (2 if cell == "lstm" else 1) for _ in range(L)]


def run(cell, act, p, L, inputs, start=0, states=None):
    """Outputs y (B, T-start, O) for steps start..T-1 from the given per-layer states, and the
    per-layer states after every step (list over steps of lists over layers)."""
    B, T, _ = inputs.shape
    H = p["Whh.0"].shape[1]
    states = states or zero_states(cell, L, B, H)
    ys, history = [], []
    for t in range(start, T):
        x = inputs[:, t]
        new = []
        for l in range(L):
            s = cell_step(cell, act, p, l, x, states[l])
            new.append(s)
            x = s[0]
        states = new
        history.append(states)
        ys.append(x @ p["Why"].T + p["by"])
    return np.stack(ys, 1), history


def step_losses(kind, y, targets, mask, n_total):
    """Per-(sample, step) loss terms with the full loss's normalisation: (B, T')."""
    m = mask.astype(float)
    if kind == "mse":
        return ((y - targets) ** 2).sum(-1) * m / (n_total * y.shape[-1])
    z = y - y.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    idx = np.where(mask, targets, 0)
    return -np.take_along_axis(logp, idx[..., None], -1)[..., 0] * m / n_total


def loss(kind, cell, act, p, L, inputs, targets, mask):
    y, _ = run(cell, act, p, L, inputs)
    return step_losses(kind, y, targets, mask, mask.sum()).sum()


def truncated_surrogate(kind, cell, act, p, p0, L, inputs, targets, mask, k1, k2):
    """sum over blocks j of block j's losses, run from its window start with the state before the
    window computed at the fixed parameters p0 (held constant)."""
    B, T, _ = inputs.shape
    _, hist0 = run(cell, act, p0, L, inputs)
    total = 0.0
    for j in range(-(-T // k1)):
        lo, hi = j * k1, min(T, (j + 1) * k1)
        s = max(0, (j + 1) * k1 - k2)
        states = hist0[s - 1] if s > 0 else None
        y, _ = run(cell, act, p, L, inputs[:, :hi], start=s, states=states)
        terms = step_losses(kind, y, targets[:, s:hi], mask[:, s:hi], mask.sum())
        total += terms[:, lo - s:].sum()
    return total
