"""Reading a PyTorch state dict from an untrusted weights file: ``.safetensors``, ``.pt``/``.pth``, ``.npz``.

Every file is first read whole with a size bound (a regular file only), and its structure checked
before any tensor is made: the safetensors header (safetensors_check), the zip member list, declared
sizes and compression ratio of ``.npz`` and zip-based ``.pt``. Only then is it parsed: safetensors
with the ``safetensors`` package's NumPy API (no torch needed), ``.npz`` with ``allow_pickle=False``,
``.pt`` with ``torch.load(weights_only=True)`` and only when torch is installed.
"""
from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

import numpy as np

from .errors import DataError
from .safetensors_check import check_safetensors

__all__ = ["MAX_WEIGHTS_BYTES", "SUFFIXES", "read_state_dict", "SAFETENSORS_SNIPPET"]

# 1 GiB: an RNN of 4 layers x 4096 hidden LSTM units in float64 is ~4 GiB, far beyond what the
# engine trains interactively; real recurrent models worth inspecting here are megabytes.
MAX_WEIGHTS_BYTES = 2**30
MAX_COMPRESSION_RATIO = 200
MAX_MEMBERS = 4096
SUFFIXES = (".safetensors", ".pt", ".pth", ".npz")
SAFETENSORS_SNIPPET = ('from safetensors.torch import save_file; '
                       'save_file(model.state_dict(), "model.safetensors")')
_FLOATS = ("float64", "float32", "float16")


def _read_bounded(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (st_size is not trusted: read limit + 1)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise DataError(f"{path}: no such weights file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, not a weights file") from None
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot open ({getattr(exc, 'strerror', None) or exc})") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise DataError(f"{path}: not a regular file (a device, FIFO or socket); weights must be a file")
        data = f.read(limit + 1)
    if len(data) > limit:
        raise DataError(f"{path}: larger than the {limit // 2**20} MiB allowed for a weights file")
    return data


def _check_zip(data: bytes, path: Path, what: str) -> zipfile.ZipFile:
    """An opened zip whose members are unique, few, and small when inflated."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise DataError(f"{path}: not a valid {what} (corrupt zip: {exc})") from None
    if len(infos) > MAX_MEMBERS:
        raise DataError(f"{path}: {len(infos)} members; at most {MAX_MEMBERS} are allowed")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise DataError(f"{path}: member {dup!r} appears twice")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise DataError(f"{path}: member {info.filename!r} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise DataError(f"{path}: member {info.filename!r} uses an unsupported compression")
        total += info.file_size
        if info.file_size > MAX_WEIGHTS_BYTES or total > MAX_WEIGHTS_BYTES:
            raise DataError(f"{path}: member {info.filename!r} declares {info.file_size} bytes; "
                            f"at most {MAX_WEIGHTS_BYTES // 2**20} MiB in all are allowed")
        if info.file_size > 2**20 and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise DataError(f"{path}: member {info.filename!r} inflates {info.file_size // max(info.compress_size, 1)}"
                            f"-fold; at most {MAX_COMPRESSION_RATIO}-fold is allowed")
    return zf


def _float_array(path: Path, key: str, value) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.name not in _FLOATS:
        raise DataError(f"{path}: {key} has dtype {arr.dtype}; allowed: float64, float32, float16")
    return arr


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


def _read_npz(data: bytes, path: Path) -> dict[str, np.ndarray]:
    zf = _check_zip(data, path, ".npz archive")
    for info in zf.infolist():
        if not info.filename.endswith(".npy"):
            raise DataError(f"{path}: member {info.filename!r} is not an .npy array")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {key: _float_array(path, key, npz[key]) for key in npz.files}
    except DataError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc):
            raise DataError(f"{path}: holds Python objects (pickled); rnn-viz never loads those") from None
        raise DataError(f"{path}: unreadable .npz ({exc})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: corrupt .npz ({exc})") from None


def _read_pt(data: bytes, path: Path) -> dict[str, np.ndarray]:
    try:
        import torch
    except ImportError:
        raise DataError(f"{path}: reading .pt/.pth needs PyTorch (pip install torch); or save the weights as "
                        f"safetensors in your training script: {SAFETENSORS_SNIPPET}") from None
    if data[:4] != b"PK\x03\x04":
        raise DataError(f"{path}: not a zip-based torch.save file (saved by torch < 1.6 or not by torch.save); "
                        f"save it again with a current torch.save, or as safetensors: {SAFETENSORS_SNIPPET}")
    _check_zip(data, path, ".pt file")
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
            raise DataError(f"{path}: entry {key!r} is a {type(value).__name__}, not a tensor; "
                            "save model.state_dict() instead")
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
    data = _read_bounded(path, MAX_WEIGHTS_BYTES)
    if suffix == ".safetensors":
        return _read_safetensors(data, path)
    if suffix == ".npz":
        return _read_npz(data, path)
    return _read_pt(data, path)
