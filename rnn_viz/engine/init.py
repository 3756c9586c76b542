"""Initial parameters, and the spectral measures of a recurrent matrix that the trace reports.

Input weights ``Wxh.l`` and the readout ``Why`` are Glorot-uniform; biases start at zero; each gate's
H x H block of ``Whh.l`` is ``orthogonal``, ``gaussian`` or ``identity``, scaled so that its spectral
radius (largest |eigenvalue|) is exactly ``spectral_radius``.
"""
from __future__ import annotations

import math

import numpy as np

from .errors import EngineError
from .network import NetSpec

__all__ = ["INITS", "init_params", "spectral_radius", "sigma_max"]

INITS = ("orthogonal", "gaussian", "identity")
_DTYPES = (np.float64, np.float32)


def init_params(
    spec: NetSpec,
    rng: np.random.Generator,
    init: str = "orthogonal",
    spectral_radius: float = 1.0,
    dtype=np.float64,
    gain: float | None = None,
) -> dict[str, np.ndarray]:
    """Fresh parameters for ``spec``: names, shapes and order exactly ``spec.param_shapes()``.

    - ``Wxh.l`` (G*H, I_l): Glorot-uniform, U(-a, a) with a = sqrt(6 / (I_l + H)). For gated cells
      the fan is that of one gate's H x I_l block, not of the stacked G*H x I_l matrix, because each
      gate is its own linear map of the input (as if the G gates were separate layers); for ``rnn``
      (G = 1) the two are the same.
    - ``Why`` (O, H): Glorot-uniform, a = sqrt(6 / (H + O)).
    - ``bh.l`` (G*H,), ``bhn.l`` (H,), ``by`` (O,): zero. LSTM's forget-gate bias is also 0 (no
      "+1 forget bias" trick), so the cells start as PyTorch's would with zero biases.
    - ``Whh.l`` (G*H, H): each of the G gate blocks (rows g*H:(g+1)*H) is drawn independently:
      ``orthogonal`` = Q of the QR factorisation of a standard Gaussian, column signs corrected by
      sign(diag R) (Haar-distributed), times rho; ``gaussian`` = N(0, 1/H) rescaled by
      rho / (its spectral radius); ``identity`` = rho * I. ``spectral_radius = 0`` gives zeros.

    Random numbers are drawn from ``rng`` in the parameter order above and every init draws the same
    amount (``identity`` discards its Gaussian draw), so for one seed the input and readout weights
    are the same whatever ``init`` and ``spectral_radius`` are, and changing only
    ``spectral_radius`` only rescales ``Whh`` (same directions, e.g. for an edge-of-chaos sweep).
    Everything is computed in float64 and cast to ``dtype`` (float64 or float32) at the end; the
    spectral radius is exact to ~1e-12 relative in float64 only.

    ``gain`` g (``gaussian`` only): each block is N(0, g^2 / H) as drawn, not rescaled, so its
    spectral radius is only about g (the circular law); ``spectral_radius`` is then ignored.

    Raises EngineError for an unknown ``init``, a negative or non-finite ``spectral_radius`` or an
    unsupported ``dtype``.
    """
    if not isinstance(spec, NetSpec):
        raise EngineError(f"init_params needs a NetSpec, got {type(spec).__name__}")
    if not isinstance(rng, np.random.Generator):
        raise EngineError(
            f"init_params needs a numpy Generator (np.random.default_rng(seed)), got {type(rng).__name__}"
        )
    if init not in INITS:
        raise EngineError(f"unknown init {init!r}; allowed: {', '.join(INITS)}")
    rho = _check_radius(spectral_radius)
    if gain is not None and (init != "gaussian" or not _check_radius(gain) >= 0):
        raise EngineError(f"gain needs init 'gaussian', got init {init!r}")
    dt = _check_dtype(dtype)

    G, H, O = spec.gates, spec.hidden_size, spec.output_size
    params: dict[str, np.ndarray] = {}
    for name, shape in spec.param_shapes().items():
        kind = name.split(".")[0]
        if kind == "Wxh":
            fan_in = shape[1]
            value = _glorot(rng, shape, fan_in=fan_in, fan_out=H)
        elif kind == "Whh":
            value = np.concatenate([_recurrent_block(rng, H, init, rho, gain) for _ in range(G)], axis=0)
        elif kind == "Why":
            value = _glorot(rng, shape, fan_in=H, fan_out=O)
        else:  # biases
            value = np.zeros(shape)
        params[name] = value.astype(dt, copy=False)
    return params


def spectral_radius(W: np.ndarray) -> float:
    """Largest |eigenvalue| of a recurrent matrix ``W`` of shape (G*H, H).

    For G > 1 (gated cells; G is read from the shape as rows / columns) this is the maximum over
    the G square gate blocks. Returns nan if ``W`` holds non-finite values.
    """
    scale, blocks = _scaled_blocks(W)
    if scale == 0.0 or not math.isfinite(scale):
        return 0.0 if scale == 0.0 else math.nan
    try:
        return scale * float(np.max(np.abs(np.linalg.eigvals(blocks))))
    except np.linalg.LinAlgError:
        return math.nan


def sigma_max(W: np.ndarray) -> float:
    """Largest singular value (spectral norm) of a recurrent matrix ``W`` of shape (G*H, H).

    For G > 1 the maximum over the G square gate blocks, as for :func:`spectral_radius`.
    Returns nan if ``W`` holds non-finite values.
    """
    scale, blocks = _scaled_blocks(W)
    if scale == 0.0 or not math.isfinite(scale):
        return 0.0 if scale == 0.0 else math.nan
    # sqrt of the top eigenvalue of W^T W: the same number to rounding as an SVD, at about a
    # third of the cost, which matters because metrics.csv reports it after every update.
    gram = blocks.transpose(0, 2, 1) @ blocks
    try:
        return scale * float(np.sqrt(max(np.max(np.linalg.eigvalsh(gram)), 0.0)))
    except np.linalg.LinAlgError:
        return math.nan


def _scaled_blocks(W: np.ndarray) -> tuple[float, np.ndarray]:
    """(s, blocks / s) with s = max |W|: huge but finite weights (on the way to divergence) must not
    overflow the eigen-solvers. s is nan for non-finite W and 0 for W = 0."""
    blocks = _gate_blocks(W)
    if not np.all(np.isfinite(blocks)):
        return math.nan, blocks
    scale = float(np.max(np.abs(blocks))) if blocks.size else 0.0
    return scale, (blocks / scale if scale > 0 else blocks)


def _glorot(rng: np.random.Generator, shape, fan_in: int, fan_out: int) -> np.ndarray:
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape)


def _recurrent_block(rng: np.random.Generator, H: int, init: str, rho: float, gain: float | None = None) -> np.ndarray:
    """One gate's (H, H) block with spectral radius ``rho`` (or N(0, gain^2 / H) as drawn)."""
    # Every init consumes the same draw so the stream stays aligned across init choices.
    Z = rng.standard_normal((H, H))
    if gain is not None:
        return Z * (float(gain) / math.sqrt(H))
    if init == "identity":
        return rho * np.eye(H)
    if init == "orthogonal":
        Q, R = np.linalg.qr(Z)
        # Without the sign fix QR's convention biases the distribution away from Haar.
        signs = np.where(np.diag(R) < 0, -1.0, 1.0)
        return (Q * signs) * rho
    W = Z / math.sqrt(H)
    if rho == 0.0:
        return np.zeros((H, H))
    W = W * (rho / _radius(W))
    # A second pass removes the rounding of the first scale (the eigenvalues of a non-normal
    # matrix are sensitive), bringing the radius to within a few ulps of rho.
    return W * (rho / _radius(W))


def _radius(W: np.ndarray) -> float:
    r = float(np.max(np.abs(np.linalg.eigvals(W))))
    if not r > 0.0:  # a singular nilpotent draw; probability zero, but never divide by it
        raise EngineError("gaussian init drew a matrix with spectral radius 0; use another seed")
    return r


def _gate_blocks(W: np.ndarray) -> np.ndarray:
    W = np.asarray(W)
    if W.ndim != 2 or W.shape[1] < 1 or W.shape[0] % W.shape[1] != 0:
        raise EngineError(f"expected a recurrent matrix of shape (G*H, H), got shape {W.shape}")
    H = W.shape[1]
    return W.astype(np.float64, copy=False).reshape(W.shape[0] // H, H, H)


def _check_radius(value) -> float:
    try:
        rho = float(value)
    except (TypeError, ValueError):
        raise EngineError(f"spectral_radius must be a number >= 0, got {value!r}") from None
    if isinstance(value, bool) or not math.isfinite(rho) or rho < 0.0:
        raise EngineError(f"spectral_radius must be a finite number >= 0, got {value!r}")
    return rho


def _check_dtype(dtype) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.type not in _DTYPES:
        raise EngineError(f"unsupported dtype {dtype!r}; allowed: float64, float32")
    return dt
