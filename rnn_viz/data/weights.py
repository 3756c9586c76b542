"""Reading a PyTorch state dict from an untrusted weights file: ``.safetensors``, ``.pt``/``.pth``, ``.npz``.

Every file passes the bounded readers of the issue on untrusted files first (a regular file only,
read with a size bound; data/archive.py for the zip member list, declared sizes and compression ratio
of ``.npz`` and zip-based ``.pt``; safetensors_check for the safetensors header). Only then is it parsed: safetensors
with the ``safetensors`` package's NumPy API (no torch needed), ``.npz`` with ``allow_pickle=False``,
``.pt`` with ``torch.load(weights_only=True)`` and only when torch is installed.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from .archive import Entry, check_zip, read_arrays
from .errors import DataError
from .reading import read_bytes
from .safetensors_check import check_safetensors

__all__ = ["MAX_WEIGHTS_BYTES", "SUFFIXES", "read_state_dict", "SAFETENSORS_SNIPPET"]

# 1 GiB: far beyond what the engine trains interactively (a 2-layer LSTM of 1024 units in float64
# is 134 MB); recurrent models worth inspecting here are megabytes.
MAX_WEIGHTS_BYTES = 2**30
SUFFIXES = (".safetensors", ".pt", ".pth", ".npz")
SAFETENSORS_SNIPPET = ('from safetensors.torch import save_file; '
                       'save_file(model.state_dict(), "model.safetensors")')


def _read_safetensors(data: bytes, path: Path) -> dict[str, np.ndarray]:
    entries = check_safetensors(data, str(path))
    from safetensors.numpy import load  # a runtime dependency (pyproject.toml)

    try:
        out = load(data)
    except Exception as exc:  # the package's own SafetensorError; the header passed our checks
        raise DataError(f"{path}: unreadable .safetensors file ({exc})") from None
    for key, arr in out.items():
        e = entries.get(key)
        if e is None or arr.dtype != np.dtype(e.dtype) or arr.shape != e.shape:
            raise DataError(f"{path}: tensor {key!r} does not match its header")
    return out


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    # Torch's names hold dots, which .npz member names keep; every member must be a float array.
    return read_arrays(path, lambda key: Entry(kinds="f", max_bytes=MAX_WEIGHTS_BYTES), what="weights file")


def _read_pt(path: Path) -> dict[str, np.ndarray]:
    try:
        import torch
    except ImportError:
        raise DataError(f"{path}: reading .pt/.pth needs PyTorch (pip install torch); or save the weights as "
                        f"safetensors in your training script: {SAFETENSORS_SNIPPET}") from None
    data = read_bytes(path, MAX_WEIGHTS_BYTES, "a weights file")
    if data[:4] != b"PK\x03\x04":
        raise DataError(f"{path}: not a zip-based torch.save file (saved by torch < 1.6 or not by torch.save); "
                        f"save it again with a current torch.save, or as safetensors: {SAFETENSORS_SNIPPET}")
    check_zip(path, "weights file")
    try:
        obj = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError, RuntimeError, ... for what it refuses
        text = str(exc)
        if "Unsupported global" in text or "weights_only" in text.lower():
            raise DataError(f"{path}: holds a pickled module or other Python objects, not a state dict; "
                            "save model.state_dict() instead (torch.save(model.state_dict(), PATH))") from None
        raise DataError(f"{path}: torch cannot read it ({text.splitlines()[0] if text else type(exc).__name__})") from None
    if isinstance(obj, torch.nn.Module) or not isinstance(obj, dict):
        raise DataError(f"{path}: holds a {type(obj).__name__}, not a state dict; save model.state_dict() instead")
    out = {}
    for key, value in obj.items():
        if not isinstance(key, str) or not isinstance(value, torch.Tensor):
            raise DataError(f"{path}: entry {key!r} is not a tensor ({type(value).__name__}); a training "
                            "checkpoint? save model.state_dict() instead")
        if value.dtype not in (torch.float64, torch.float32, torch.float16):
            raise DataError(f"{path}: {key} has dtype {value.dtype}; allowed: float64, float32, float16")
        out[key] = value.detach().cpu().numpy().copy()
    return out


def read_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """Every tensor of a weights file as float arrays keyed by their state-dict names.

    The format comes from the suffix (``.safetensors``, ``.pt``, ``.pth``, ``.npz``). Raises
    DataError naming the file (and the entry) for anything that is not a bounded, well-formed state
    dict of float64/float32/float16 tensors.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataError(f"{path}: unknown weights format {suffix or '(no suffix)'!r}; allowed: "
                        + ", ".join(SUFFIXES))
    if suffix == ".safetensors":
        return _read_safetensors(read_bytes(path, MAX_WEIGHTS_BYTES, "a weights file"), path)
    if suffix == ".npz":
        return _read_npz(path)
    return _read_pt(path)
