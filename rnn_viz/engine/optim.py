"""Optimisers and gradient clipping as pure functions of (params, grads, state).

Nothing here mutates its inputs: every call returns fresh arrays. That is what lets a training step
compute an update, find it non-finite and throw it away with the parameters and optimiser state left
exactly as they were.

Parameters, gradients and state are ``dict[str, np.ndarray]`` keyed by parameter name (``Wxh.0``,
``Whh.0``, ... as in ``NetSpec.param_shapes()``); every array has the shape of its parameter. State keys
are ``"t"`` (0-d int64, updates done so far) and per parameter ``"m/<name>"`` (momentum buffer or
Adam's first moment) and ``"v/<name>"`` (Adam's or RMSprop's second moment); all plain arrays, so a
state saved with ``np.savez`` and read back with ``np.load(..., allow_pickle=False)`` continues
bit for bit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import EngineError

__all__ = ["OPTIMIZERS", "Optimizer", "init_state", "update", "clip_gradients", "global_norm"]

OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")

# Which per-parameter buffers each optimiser keeps.
_BUFFERS = {"sgd": (), "momentum": ("m",), "adam": ("m", "v"), "rmsprop": ("v",)}


@dataclass(frozen=True, slots=True)
class Optimizer:
    """An optimiser and its hyper-parameters, defined as in PyTorch (no weight decay).

    - ``sgd``: torch.optim.SGD(lr), p <- p - lr g.
    - ``momentum``: torch.optim.SGD(lr, momentum, dampening=0, nesterov): b <- momentum b + g (b
      starts at 0, so b_1 = g as in torch); p <- p - lr b, or with ``nesterov`` p <- p - lr (g + momentum b).
    - ``adam``: torch.optim.Adam(lr, betas=(beta1, beta2), eps): m <- beta1 m + (1-beta1) g,
      v <- beta2 v + (1-beta2) g^2, p <- p - (lr / (1-beta1^t)) m / (sqrt(v) / sqrt(1-beta2^t) + eps),
      t counting updates from 1 (bias correction, eps outside the sqrt, as torch computes it).
    - ``rmsprop``: torch.optim.RMSprop(lr, alpha=decay, eps, centered=False, momentum=0):
      v <- decay v + (1-decay) g^2, p <- p - lr g / (sqrt(v) + eps) (eps outside the sqrt).

    Fields an optimiser does not use are ignored. Bad values raise EngineError naming the field.
    """

    name: str
    learning_rate: float
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    decay: float = 0.99
    nesterov: bool = False

    def __post_init__(self):
        if self.name not in OPTIMIZERS:
            raise EngineError(f"unknown optimizer {self.name!r}; allowed: {', '.join(OPTIMIZERS)}")
        _check_number("learning_rate", self.learning_rate, "a finite number > 0", lambda x: x > 0)
        for field in ("momentum", "beta1", "beta2", "decay"):
            _check_number(field, getattr(self, field), "a number in [0, 1)", lambda x: 0 <= x < 1)
        _check_number("eps", self.eps, "a finite number > 0", lambda x: x > 0)
        if not isinstance(self.nesterov, (bool, np.bool_)):
            raise EngineError(f"nesterov must be true or false, got {self.nesterov!r}")
        if self.nesterov and (self.name != "momentum" or self.momentum == 0):
            raise EngineError("nesterov needs optimizer 'momentum' with momentum > 0")


def init_state(opt: Optimizer, params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Zero optimiser state for ``params``: ``"t"`` = 0 (0-d int64) and zero buffers shaped like
    each parameter (``"m/<name>"``, ``"v/<name>"`` as the optimiser needs)."""
    state: dict[str, np.ndarray] = {"t": np.array(0, dtype=np.int64)}
    for buf in _BUFFERS[opt.name]:
        for name, p in params.items():
            state[f"{buf}/{name}"] = np.zeros_like(np.asarray(p))
    return state


def update(
    opt: Optimizer,
    params: dict[str, np.ndarray],
    grads: dict[str, np.ndarray],
    state: dict[str, np.ndarray],
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """One optimiser step. Returns ``(new_params, new_state)`` as fresh arrays (same keys, shapes and
    dtypes as the inputs); ``params``, ``grads`` and ``state`` are left untouched.

    The result may hold non-finite values (e.g. a huge learning rate); checking that is the caller's
    job (``train_step`` raises DivergenceError and keeps the old arrays).
    Raises EngineError if the names or shapes of ``grads`` or ``state`` do not match ``params``.
    """
    _check_matching(opt, params, grads, state)
    t = int(state["t"]) + 1
    lr = opt.learning_rate
    new_params: dict[str, np.ndarray] = {}
    new_state: dict[str, np.ndarray] = {"t": np.array(t, dtype=np.int64)}
    for name, p in params.items():
        g = grads[name]
        if opt.name == "sgd":
            step = lr * g
        elif opt.name == "momentum":
            m = opt.momentum * state[f"m/{name}"] + g
            new_state[f"m/{name}"] = m
            step = lr * (g + opt.momentum * m) if opt.nesterov else lr * m
        elif opt.name == "adam":
            m = opt.beta1 * state[f"m/{name}"] + (1.0 - opt.beta1) * g
            v = opt.beta2 * state[f"v/{name}"] + (1.0 - opt.beta2) * (g * g)
            new_state[f"m/{name}"] = m
            new_state[f"v/{name}"] = v
            # Bias correction arranged as in torch's _single_tensor_adam (step size and denominator).
            bias1 = 1.0 - opt.beta1**t
            bias2_sqrt = math.sqrt(1.0 - opt.beta2**t)
            step = (lr / bias1) * (m / (np.sqrt(v) / bias2_sqrt + opt.eps))
        else:  # rmsprop
            v = opt.decay * state[f"v/{name}"] + (1.0 - opt.decay) * (g * g)
            new_state[f"v/{name}"] = v
            step = lr * (g / (np.sqrt(v) + opt.eps))
        new_params[name] = (p - step).astype(p.dtype, copy=False)
    for key, value in new_state.items():
        if key != "t":
            new_state[key] = value.astype(state[key].dtype, copy=False)
    return new_params, new_state


def global_norm(grads: dict[str, np.ndarray]) -> float:
    """sqrt of the sum of squares of every entry of every array in ``grads`` (0 for none).

    Computed with a max-abs scale so finite gradients as large as 1e200 still give a finite norm;
    any non-finite entry gives inf or nan.
    """
    arrays = [np.asarray(g, dtype=np.float64) for g in grads.values() if np.size(g)]
    if not arrays:
        return 0.0
    scale = max(float(np.max(np.abs(a))) for a in arrays)
    if not math.isfinite(scale):
        return math.nan if any(np.isnan(a).any() for a in arrays) else math.inf
    if scale == 0.0:
        return 0.0
    total = sum(float(np.sum(np.square(a / scale))) for a in arrays)
    return scale * math.sqrt(total)


def clip_gradients(
    grads: dict[str, np.ndarray], clip_norm: float = 0.0, clip_value: float = 0.0,
    norm: float | None = None, copy: bool = True,
) -> tuple[dict[str, np.ndarray], float]:
    """Clip by global norm, then by value. Returns ``(clipped_grads, pre_clip_global_norm)``.

    By norm (Pascanu et al. 2013): if ``clip_norm`` > 0 and the global norm ||g|| > clip_norm, every
    gradient is multiplied by clip_norm / ||g||. By value: if ``clip_value`` > 0, every entry is
    clipped to [-clip_value, clip_value]. 0 turns either off. The returned norm is the global norm
    of ``grads`` before any clipping. The result is always fresh arrays; ``grads`` is untouched.
    A non-finite norm skips norm clipping (scaling by 0 would hide the problem) so the caller's
    finiteness check still sees it. ``norm``: global_norm(grads) if the caller has it already.
    ``copy=False`` returns the caller's own arrays (in a new dict) when nothing is clipped.
    """
    clip_norm = _check_number("clip_norm", clip_norm, "a finite number >= 0 (0 = off)", lambda x: x >= 0)
    clip_value = _check_number("clip_value", clip_value, "a finite number >= 0 (0 = off)", lambda x: x >= 0)
    norm = global_norm(grads) if norm is None else norm
    scale = clip_norm / norm if clip_norm > 0 and math.isfinite(norm) and norm > clip_norm else None
    if scale is None and clip_value == 0 and not copy:
        return dict(grads), norm
    clipped: dict[str, np.ndarray] = {}
    for name, g in grads.items():
        g = np.asarray(g)
        out = (g * scale).astype(g.dtype, copy=False) if scale is not None else g.copy()
        if clip_value > 0:
            np.clip(out, -clip_value, clip_value, out=out)
        clipped[name] = out
    return clipped, norm


def _check_number(field: str, value, allowed: str, ok) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise EngineError(f"{field} must be {allowed}, got {value!r}") from None
    if isinstance(value, bool) or not math.isfinite(x) or not ok(x):
        raise EngineError(f"{field} must be {allowed}, got {value!r}")
    return x


def _check_matching(opt: Optimizer, params, grads, state) -> None:
    if set(grads) != set(params):
        missing = sorted(set(params) - set(grads))
        extra = sorted(set(grads) - set(params))
        raise EngineError(f"gradients do not match parameters: missing {missing}, unexpected {extra}")
    expected = {"t"} | {f"{b}/{n}" for b in _BUFFERS[opt.name] for n in params}
    if set(state) != expected:
        missing = sorted(expected - set(state))
        extra = sorted(set(state) - expected)
        raise EngineError(
            f"optimizer state does not fit {opt.name!r}: missing {missing}, unexpected {extra}"
        )
    for name, p in params.items():
        if np.shape(grads[name]) != np.shape(p):
            raise EngineError(f"gradient of {name} has shape {np.shape(grads[name])}, parameter {np.shape(p)}")
        for b in _BUFFERS[opt.name]:
            if np.shape(state[f"{b}/{name}"]) != np.shape(p):
                raise EngineError(
                    f"optimizer state {b}/{name} has shape {np.shape(state[f'{b}/{name}'])}, "
                    f"parameter {np.shape(p)}"
                )
