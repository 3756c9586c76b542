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

import functools
import math
from dataclasses import dataclass

import numpy as np

from .errors import EngineError
from .workspace import pack, packed_vector, scratch

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
    dtypes as the inputs; when all share one dtype, views of one fresh vector per kind, see
    _update_flat); ``params``, ``grads`` and ``state`` are left untouched.

    The result may hold non-finite values (e.g. a huge learning rate); checking that is the caller's
    job (``train_step`` raises DivergenceError and keeps the old arrays).
    Raises EngineError if the names or shapes of ``grads`` or ``state`` do not match ``params``.
    """
    _check_matching(opt, params, grads, state)
    t = int(state["t"]) + 1
    plan = _layout(opt.name, tuple(params), tuple(p.shape if isinstance(p, np.ndarray) else np.shape(p)
                                                  for p in params.values()))
    arrays = [*params.values(), *grads.values(), *(state[k] for keys in plan.state_keys for k in keys)]
    if all(isinstance(a, np.ndarray) for a in arrays) and len({a.dtype for a in arrays}) == 1:
        return _update_flat(opt, plan, params, grads, state, t)
    new_params: dict[str, np.ndarray] = {}
    new_state: dict[str, np.ndarray] = {"t": np.array(t, dtype=np.int64)}
    for name, p in params.items():
        step, bufs = _step(opt, t, grads[name], {b: state[f"{b}/{name}"] for b in _BUFFERS[opt.name]})
        for b, value in bufs.items():
            new_state[f"{b}/{name}"] = value.astype(state[f"{b}/{name}"].dtype, copy=False)
        new_params[name] = (p - step).astype(p.dtype, copy=False)
    return new_params, new_state


def _step(opt: Optimizer, t: int, g: np.ndarray, old: dict[str, np.ndarray]):
    """The step to subtract and the new buffers {"m": ..., "v": ...} for gradient ``g`` (any shape)
    and the buffers ``old`` of the same shape; elementwise, so a flat vector of every parameter
    gives the same numbers entry for entry as one call per parameter."""
    lr = opt.learning_rate
    if opt.name == "sgd":
        return lr * g, {}
    if opt.name == "momentum":
        m = opt.momentum * old["m"] + g
        return (lr * (g + opt.momentum * m) if opt.nesterov else lr * m), {"m": m}
    if opt.name == "adam":
        m = opt.beta1 * old["m"] + (1.0 - opt.beta1) * g
        v = opt.beta2 * old["v"] + (1.0 - opt.beta2) * (g * g)
        # Bias correction arranged as in torch's _single_tensor_adam (step size and denominator).
        bias1 = 1.0 - opt.beta1**t
        bias2_sqrt = math.sqrt(1.0 - opt.beta2**t)
        return (lr / bias1) * (m / (np.sqrt(v) / bias2_sqrt + opt.eps)), {"m": m, "v": v}
    # rmsprop
    v = opt.decay * old["v"] + (1.0 - opt.decay) * (g * g)
    return lr * (g / (np.sqrt(v) + opt.eps)), {"v": v}


@dataclass(frozen=True, slots=True)
class _Layout:
    """How one set of parameters lies in the flat vectors of _update_flat: ``names`` in order,
    their ``shapes`` and [start, stop) ``spans`` in the vector of ``size`` entries, and for each of
    the optimiser's buffers (_BUFFERS order) its state keys."""

    names: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]
    spans: tuple[tuple[int, int], ...]
    size: int
    state_keys: tuple[tuple[str, ...], ...]


@functools.lru_cache(maxsize=32)
def _layout(opt_name: str, names: tuple[str, ...], shapes: tuple[tuple[int, ...], ...]) -> _Layout:
    """The _Layout of these parameters (made once: every update of a run asks for the same)."""
    spans, o = [], 0
    for shape in shapes:
        n = math.prod(shape)
        spans.append((o, o + n))
        o += n
    keys = tuple(tuple(f"{b}/{n}" for n in names) for b in _BUFFERS[opt_name])
    return _Layout(names, shapes, tuple(spans), o, keys)


def _update_flat(opt: Optimizer, plan: _Layout, params: dict, grads: dict, state: dict, t: int):
    """update() for arrays of one dtype: every parameter concatenated into one vector, so a step is
    a few vector operations instead of a few per parameter (at B = 1, H = 100 the per-parameter
    calls were most of the optimizer's time). The inputs are gathered into this thread's scratch
    vectors and the arithmetic runs in place (a fresh vector per operation cost more than the
    arithmetic); the results are views of one fresh vector per kind (parameters, each buffer), with
    the numbers of _step, entry for entry."""
    dtype = params[plan.names[0]].dtype
    N = plan.size

    def gather(d, keys, key):
        arrays = [d[k] for k in keys]
        known = packed_vector(arrays)  # this update's gradients, the last update's results
        if known is not None and known.dtype == dtype:
            return known
        return np.concatenate([np.ravel(a) for a in arrays], out=scratch(f"optim.{key}", (N,), dtype))

    g, work = gather(grads, plan.names, "g"), np.empty(N, dtype)
    new_params = np.empty(N, dtype)
    new_state: dict[str, np.ndarray] = {"t": np.array(t, dtype=np.int64)}
    lr = opt.learning_rate
    keys = dict(zip(_BUFFERS[opt.name], plan.state_keys))
    # each line below is _step's expression, operation for operation (products commute exactly)
    if opt.name == "sgd":
        step = np.multiply(g, lr, out=work)
    elif opt.name == "momentum":
        m = np.multiply(gather(state, keys["m"], "m"), opt.momentum)
        m += g
        if opt.nesterov:
            step = np.multiply(m, opt.momentum, out=work)
            np.add(g, step, out=step)
            step *= lr
        else:
            step = np.multiply(m, lr, out=work)
        new_state.update(_split(m, plan, keys["m"]))
    elif opt.name == "adam":
        m = np.multiply(gather(state, keys["m"], "m"), opt.beta1)
        m += np.multiply(g, 1.0 - opt.beta1, out=work)
        v = np.multiply(gather(state, keys["v"], "v"), opt.beta2)
        gg = np.multiply(g, g, out=work)
        gg *= 1.0 - opt.beta2
        v += gg
        bias1 = 1.0 - opt.beta1**t
        bias2_sqrt = math.sqrt(1.0 - opt.beta2**t)
        step = np.sqrt(v, out=work)
        step /= bias2_sqrt
        step += opt.eps
        np.divide(m, step, out=step)
        step *= lr / bias1
        new_state.update(_split(m, plan, keys["m"]))
        new_state.update(_split(v, plan, keys["v"]))
    else:  # rmsprop
        v = np.multiply(gather(state, keys["v"], "v"), opt.decay)
        gg = np.multiply(g, g, out=work)
        gg *= 1.0 - opt.decay
        v += gg
        step = np.sqrt(v, out=work)
        step += opt.eps
        np.divide(g, step, out=step)
        step *= lr
        new_state.update(_split(v, plan, keys["v"]))
    np.subtract(gather(params, plan.names, "p"), step, out=new_params)
    return _split(new_params, plan, plan.names), new_state


def _split(vector: np.ndarray, plan: _Layout, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The pieces of ``vector`` (1-D, plan.size entries) as views shaped like the parameters,
    under ``keys`` (one per parameter, in order), and pack()ed, so the next update finds the vector."""
    views = [vector[a:b].reshape(shape) for (a, b), shape in zip(plan.spans, plan.shapes)]
    pack(vector, views)
    return dict(zip(keys, views))


def global_norm(grads: dict[str, np.ndarray]) -> float:
    """sqrt of the sum of squares of every entry of every array in ``grads`` (0 for none).

    Computed with a max-abs scale so finite gradients as large as 1e200 (or as small as 1e-300)
    still give a finite, exact norm; any non-finite entry gives inf or nan. Gradients that are the
    pieces of one float64 vector (workspace.pack, as network.weight_gradients makes them) give the
    same number from a few vector operations instead of a few per array.

    The scale is applied even when a plain sum of squares would not overflow: it is 1.3x the cost
    there, but a plain sum rounds differently, and with clipping on that last bit is carried into
    every later update, so a run would no longer reproduce the weights it made before (the recipe
    of resources/presets/9-flip-flop-fixed-points.safetensors, scripts/train_preset_9.py, then
    trains a network with 6 stable fixed points instead of 8; measured).
    """
    packed = packed_vector(list(grads.values()))
    if packed is not None and packed.dtype == np.float64:
        if not packed.size:
            return 0.0
        # the temporaries in one scratch vector: two fresh ones per update cost more than the passes
        sq = scratch("global_norm", packed.shape, packed.dtype)
        scale = float(np.maximum.reduce(np.abs(packed, out=sq)))
        if not math.isfinite(scale):
            return math.nan if np.isnan(packed).any() else math.inf
        if scale == 0.0:
            return 0.0
        np.square(np.divide(packed, scale, out=sq), out=sq)
        sums, o = [], 0
        # one sum per gradient, in order: a contiguous piece sums pairwise exactly as the array
        # does, and sum() adds the pieces' sums as it adds the arrays' below
        for g in grads.values():
            n = g.size
            if n:
                sums.append(float(np.add.reduce(sq[o : o + n])))
            o += n
        return scale * math.sqrt(sum(sums))
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


def _plainly_matching(buffers: tuple[str, ...], params, grads, state) -> bool:
    """True when every name and shape fits and every value is an array: the usual case, decided
    with one pass instead of _check_matching's per-field messages (which also accept lists)."""
    if len(grads) != len(params) or len(state) != 1 + len(buffers) * len(params) or "t" not in state:
        return False
    try:
        for name, p in params.items():
            shape = p.shape
            if grads[name].shape != shape:
                return False
            for b in buffers:
                if state[f"{b}/{name}"].shape != shape:
                    return False
    except (KeyError, AttributeError):
        return False
    return True


def _check_number(field: str, value, allowed: str, ok) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise EngineError(f"{field} must be {allowed}, got {value!r}") from None
    if isinstance(value, bool) or not math.isfinite(x) or not ok(x):
        raise EngineError(f"{field} must be {allowed}, got {value!r}")
    return x


def _check_matching(opt: Optimizer, params, grads, state) -> None:
    buffers = _BUFFERS[opt.name]
    if _plainly_matching(buffers, params, grads, state):
        return
    if len(grads) != len(params) or len(state) != 1 + len(buffers) * len(params) or "t" not in state \
            or any(n not in grads or any(f"{b}/{n}" not in state for b in buffers) for n in params):
        missing = sorted(set(params) - set(grads))
        extra = sorted(set(grads) - set(params))
        if missing or extra:
            raise EngineError(f"gradients do not match parameters: missing {missing}, unexpected {extra}")
        expected = {"t"} | {f"{b}/{n}" for b in buffers for n in params}
        missing = sorted(expected - set(state))
        extra = sorted(set(state) - expected)
        raise EngineError(
            f"optimizer state does not fit {opt.name!r}: missing {missing}, unexpected {extra}"
        )
    shape_of = lambda a: a.shape if isinstance(a, np.ndarray) else np.shape(a)  # noqa: E731
    for name, p in params.items():
        shape = shape_of(p)
        if shape_of(grads[name]) != shape:
            raise EngineError(f"gradient of {name} has shape {np.shape(grads[name])}, parameter {shape}")
        for b in buffers:
            if shape_of(state[f"{b}/{name}"]) != shape:
                raise EngineError(
                    f"optimizer state {b}/{name} has shape {np.shape(state[f'{b}/{name}'])}, "
                    f"parameter {shape}"
                )
