"""The network's shape: which cell, how many layers, and the names and shapes of its parameters."""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from . import cells
from .cell_kinds import CELL_KINDS
from .errors import EngineError
from .workspace import pack, scratch

CELLS = tuple(CELL_KINDS)
ACTIVATIONS = ("tanh", "relu", "linear")
DEFAULT_ACTIVATION = "tanh"  # the rnn cell's when none is given (PyTorch's nn.RNN default too)
GATES = {name: kind.blocks for name, kind in CELL_KINDS.items()}
MAX_LAYERS = 4


@dataclass(frozen=True, slots=True)
class NetSpec:
    """A stack of ``num_layers`` recurrent layers of ``hidden_size`` units and a linear readout.

    ``activation`` applies to the vanilla ``rnn`` cell only; gated cells use PyTorch's fixed
    nonlinearities (sigmoid gates, tanh candidate).
    """

    cell: str
    input_size: int
    hidden_size: int
    output_size: int
    num_layers: int = 1
    activation: str = DEFAULT_ACTIVATION

    def __post_init__(self):
        if self.cell not in CELLS:
            raise EngineError(f"unknown cell {self.cell!r}; allowed: {', '.join(CELLS)}")
        if self.activation not in ACTIVATIONS:
            raise EngineError(f"unknown activation {self.activation!r}; allowed: {', '.join(ACTIVATIONS)}")
        if not 1 <= self.num_layers <= MAX_LAYERS:
            raise EngineError(f"num_layers must be 1 to {MAX_LAYERS}, got {self.num_layers}")
        for name in ("input_size", "hidden_size", "output_size"):
            if getattr(self, name) < 1:
                raise EngineError(f"{name} must be at least 1, got {getattr(self, name)}")

    @property
    def gates(self) -> int:
        """G: 1 for rnn, 4 for lstm (i, f, g, o), 3 for gru (r, z, n)."""
        return GATES[self.cell]

    def layer_input_size(self, layer: int) -> int:
        return self.input_size if layer == 0 else self.hidden_size

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """Names and shapes of every parameter, in a fixed order (a fresh dict, the caller's to change)."""
        return dict(_param_shapes(self))


@functools.lru_cache(maxsize=64)
def _param_shapes(spec: NetSpec) -> dict[str, tuple[int, ...]]:
    """NetSpec.param_shapes, made once per spec (every update asks for it; callers get a copy)."""
    G, H = spec.gates, spec.hidden_size
    shapes: dict[str, tuple[int, ...]] = {}
    for l in range(spec.num_layers):
        shapes[f"Wxh.{l}"] = (G * H, spec.layer_input_size(l))
        shapes[f"Whh.{l}"] = (G * H, H)
        shapes[f"bh.{l}"] = (G * H,)
        if spec.cell == "gru":
            shapes[f"bhn.{l}"] = (H,)
    shapes["Why"] = (spec.output_size, H)
    shapes["by"] = (spec.output_size,)
    return shapes


def forward(spec: NetSpec, params: dict, inputs: np.ndarray, transient: bool = False) -> tuple[list[dict], np.ndarray]:
    """Run every layer over the whole sequence, then the readout.

    inputs: (B, T, I). Returns (caches, y): one cells.forward cache per layer (time-major arrays
    (T, B, X), ``x`` the layer's input), and y (T, B, O) with y_t = W_hy h_t + b_y on the top layer.
    Layers run one after another over the whole sequence so that each layer's input projection is
    one matrix product for all steps. (Products over a few steps at a time, made while in cache,
    took 10 ms off 131 at B = 64, T = 500, H = 128, but BLAS rounds a block of rows differently
    from the same rows in a larger product, so the numbers would no longer be the engine's own of
    before, bit for bit: measured, not done.) ``transient``: the caches are this thread's scratch
    arrays (workspace.scratch), for a caller that lets none of them outlive its computation: a
    fresh (T, B, H) state per update was a fresh mapping of memory once it is larger than the
    allocator keeps (lstm at B = 64, T = 500, H = 128: 230 MB per update).
    """
    if inputs.ndim != 3 or inputs.shape[-1] != spec.input_size:
        raise EngineError(f"inputs must have shape (B, T, {spec.input_size}), got {inputs.shape}")
    caches = []
    x = np.ascontiguousarray(inputs.transpose(1, 0, 2))
    for l in range(spec.num_layers):
        # the projection is read inside cells.forward only, so one scratch array serves every layer
        buf = scratch("xproj", (*x.shape[:-1], spec.gates * spec.hidden_size), x.dtype)
        xproj = _affine(x, params[f"Wxh.{l}"], params[f"bh.{l}"], out=buf)
        alloc = (lambda name, shape, dtype, l=l: scratch(f"forward.{l}.{name}", shape, dtype)) if transient else None
        cache = cells.forward(spec.cell, spec.activation, xproj, params[f"Whh.{l}"], params.get(f"bhn.{l}"), alloc)
        cache["x"] = x
        caches.append(cache)
        x = cache["h"]
    return caches, _affine(x, params["Why"], params["by"])


def weight_gradients(spec: NetSpec, caches: list[dict], sweep_out: dict, dy: np.ndarray,
                     out: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Parameter gradients from the sweep's per-step pre-activation adjoints, outside the time loop.

    dy: (T, B, O) dL/dy; the sweep's and caches' arrays are time-major too. Each weight gradient is
    one contraction over (batch, time): the sum over steps that the time loop would otherwise
    accumulate term by term. ``out``: a vector (N,) of dy's dtype, N the parameter count: the
    gradients are then written into it, as consecutive pieces in param_shapes() order (the same
    numbers), and returned as views of it.
    """
    shapes = spec.param_shapes()
    into: dict[str, np.ndarray | None] = dict.fromkeys(shapes)
    if out is not None:
        o = 0
        for name, shape in shapes.items():
            n = math.prod(shape)
            into[name] = out[o : o + n].reshape(shape)
            o += n
    grads: dict[str, np.ndarray] = {}
    H = spec.hidden_size
    for l, cache in enumerate(caches):
        dax, dah = sweep_out["dax"][l], sweep_out["dah"][l]
        grads[f"Wxh.{l}"] = _contract(dax, cache["x"], into[f"Wxh.{l}"])
        grads[f"Whh.{l}"] = _contract(dah, cache["h_prev"], into[f"Whh.{l}"])
        grads[f"bh.{l}"] = dax.sum((0, 1), out=into[f"bh.{l}"])
        if spec.cell == "gru":
            grads[f"bhn.{l}"] = dah[..., 2 * H :].sum((0, 1), out=into[f"bhn.{l}"])
    grads["Why"] = _contract(dy, caches[-1]["h"], into["Why"])
    grads["by"] = dy.sum((0, 1), out=into["by"])
    grads = {name: grads[name] for name in shapes}
    if out is not None:
        pack(out, list(grads.values()))
    return grads


def readout_adjoint(dy: np.ndarray, Why: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """dL/dh_t arriving at the top layer from the readout: dy (T, B, O) @ W_hy (O, H) -> (T, B, H),
    as one 2-D GEMM (into ``out`` (T, B, H) when given)."""
    T, B, O = dy.shape
    res = np.empty((T, B, Why.shape[1]), dy.dtype) if out is None else out
    np.matmul(dy.reshape(-1, O), Why, out=res.reshape(T * B, -1))
    return res


class ReadoutAdjoint:
    """readout_adjoint(dy, Why) of one output (O = 1), made a chunk of steps at a time as the
    reversed sweep reaches them, for an update where nothing else needs the whole (T, B, H) array
    (no flow matrix): at B = 64, T = 500, H = 128 writing it to memory and reading it back was
    about 3 ms of the update. dy: (T, B, 1) (time-major, any strides); Why: (1, H). ``shape``,
    ``dtype``: the whole array's."""

    def __init__(self, dy: np.ndarray, Why: np.ndarray):
        self.dy, self.Why = dy, Why
        self.shape = (*dy.shape[:2], Why.shape[1])
        self.dtype = dy.dtype

    def steps(self, lo: int, hi: int) -> np.ndarray:
        """Steps lo .. hi - 1, (hi - lo, B, H): the whole array's rows, bit for bit (one output:
        each entry is one product, whatever the block), in this thread's scratch array (valid
        until the next call)."""
        out = scratch("readout_adjoint.steps", (hi - lo, *self.shape[1:]), self.dtype)
        # the GEMM's numbers: each entry is 0 + dy w, one rounded product (the + 0.0 turns the
        # product's -0.0 into the sum's +0.0), written without the GEMM's packing
        np.multiply(self.dy[lo:hi], self.Why[0], out=out)
        out += 0.0
        return out


def readout_adjoint_source(dy: np.ndarray, Why: np.ndarray, whole: bool = False):
    """What the sweep reads dL/dh_t from: a ReadoutAdjoint for one output, else (or when ``whole``:
    a caller needs the array itself) the whole readout_adjoint (T, B, H) in this thread's scratch
    array. With more outputs it is a GEMM, and BLAS rounds a block of rows differently from the
    same rows of a larger product."""
    if dy.shape[-1] == 1 and not whole:
        return ReadoutAdjoint(dy, Why)
    return readout_adjoint(dy, Why, out=scratch("dh_out", (*dy.shape[:2], Why.shape[1]), dy.dtype))


def adjoint_steps(dh_out, lo: int, hi: int) -> np.ndarray:
    """Steps lo .. hi - 1 of ``dh_out``: a (T, B, H) array or a ReadoutAdjoint."""
    return dh_out[lo:hi] if isinstance(dh_out, np.ndarray) else dh_out.steps(lo, hi)


def _affine(x: np.ndarray, W: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """x @ W.T + b for x (T, B, N) as one 2-D GEMM (a 3-D matmul would loop over T); into ``out``
    (T, B, M), contiguous, when given."""
    res = np.empty((*x.shape[:-1], W.shape[0]), x.dtype) if out is None else out
    flat = res.reshape(-1, W.shape[0])
    np.matmul(x.reshape(-1, x.shape[-1]), W.T, out=flat)
    flat += b
    return res


def _contract(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """sum over time and batch of outer products: (T, B, M), (T, B, N) -> (M, N), as one GEMM
    (into ``out`` (M, N), contiguous, when given)."""
    return np.matmul(a.reshape(-1, a.shape[-1]).T, b.reshape(-1, b.shape[-1]), out=out)
