""".npy and .npz files, read without ever unpickling: the header is checked before the data is read."""
from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np

from .errors import DataError
from .reading import check_fits, display_name

NPZ_KEYS = ("inputs", "targets", "mask")
_ACCEPTED_KINDS = "biuf"  # bool, signed and unsigned integers, floats
_KIND_WORDS = {"c": "complex numbers", "U": "text", "S": "bytes", "M": "dates", "m": "time spans", "V": "raw records"}


def _header(fp, name: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """Read and check a .npy header; leaves ``fp`` at the first data byte."""
    head = fp.read(8)
    if len(head) < 8 or not head.startswith(b"\x93NUMPY"):
        if head[:1] == b"\x80":
            raise DataError(f"{name}: is a Python pickle, not a NumPy array file; pickles are refused "
                            "because loading one can run arbitrary code")
        raise DataError(f"{name}: not a NumPy .npy array (it does not start with the .npy signature)")
    version = (head[6], head[7])
    try:
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp)
        else:
            raise DataError(f"{name}: .npy format version {version[0]}.{version[1]} is not supported (1.0 and 2.0 are)")
    except DataError:
        raise
    except Exception as exc:  # numpy's header parser raises a zoo of types for garbage
        raise DataError(f"{name}: not a valid .npy file (its header cannot be read: {exc})") from None
    if dtype.hasobject:
        raise DataError(f"{name}: holds Python objects (dtype {dtype}), which could only be loaded by unpickling; "
                        "refused, because unpickling a file can run arbitrary code. Save a numeric array instead")
    if dtype.fields is not None or dtype.kind not in _ACCEPTED_KINDS:
        what = _KIND_WORDS.get(dtype.kind, f"dtype {dtype}")
        if dtype.fields is not None:
            what = "a structured array (named fields)"
        raise DataError(f"{name}: holds {what}; only arrays of numbers (or booleans) can be used")
    if not isinstance(shape, tuple) or any(not isinstance(s, int) or s < 0 for s in shape):
        raise DataError(f"{name}: not a valid .npy file (shape {shape!r})")
    return shape, bool(fortran), dtype


def _read_array(fp, name: str, available: int | None) -> np.ndarray:
    """Header, memory check, then exactly the bytes it announces -> array of its own dtype."""
    shape, fortran, dtype = _header(fp, name)
    count = math.prod(shape)
    nbytes = count * dtype.itemsize
    if available is not None and nbytes > available:
        raise DataError(f"{name}: truncated: its header announces {nbytes} bytes of data (shape {shape}, "
                        f"{dtype}), but the file holds fewer")
    check_fits(name, nbytes + count * 8, f"an array of shape {shape}")
    try:
        data = fp.read(nbytes)
    except Exception as exc:  # zip members: CRC errors, bad compression, encryption
        raise DataError(f"{name}: cannot be read ({exc})") from None
    if len(data) < nbytes:
        raise DataError(f"{name}: truncated: its header announces {nbytes} bytes of data (shape {shape}, "
                        f"{dtype}), but only {len(data)} follow")
    arr = np.frombuffer(data, dtype=dtype, count=count)
    return arr.reshape(shape, order="F" if fortran else "C")


def read_npy(path: Path) -> np.ndarray:
    """The array of a .npy file (never unpickled). DataError for anything but a numeric array."""
    name = display_name(path)
    try:
        with open(path, "rb") as fp:
            return _read_array(fp, name, path.stat().st_size)
    except OSError as exc:
        raise DataError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    except MemoryError:
        raise DataError(f"{name}: too large to load into memory") from None


def read_npz(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an .npz that matter: ``inputs`` (and ``targets``, ``mask``) if present, else
    its only array (under the key "series"). DataError for anything else."""
    name = display_name(path)
    try:
        with zipfile.ZipFile(path) as zf:
            members = {}
            for info in zf.infolist():
                if info.filename.endswith(".npy") and not info.is_dir():
                    members.setdefault(info.filename[:-4], info)
            if not members:
                raise DataError(f"{name}: holds no arrays (an .npz is a zip of .npy files, as numpy.savez writes)")
            if "inputs" in members:
                wanted = {k: k for k in NPZ_KEYS if k in members}
            elif len(members) == 1:
                wanted = {next(iter(members)): "series"}
            else:
                listed = ", ".join(sorted(members)[:10])
                raise DataError(f"{name}: holds several arrays ({listed}); expected a single array, or one "
                                "named inputs (with targets and mask optional)")
            check_fits(name, sum(members[k].file_size * 2 for k in wanted), "its arrays")
            out = {}
            for key, as_key in wanted.items():
                with zf.open(members[key]) as fp:
                    out[as_key] = _read_array(fp, f"{name}[{key}]", members[key].file_size)
            return out
    except DataError:
        raise
    except MemoryError:
        raise DataError(f"{name}: too large to load into memory") from None
    except zipfile.BadZipFile as exc:
        raise DataError(f"{name}: not a valid .npz (zip) file ({exc})") from None
    except OSError as exc:
        raise DataError(f"{name}: cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    except Exception as exc:  # zlib.error, EOFError, encrypted members, unsupported compression, ...
        raise DataError(f"{name}: not a valid .npz file ({type(exc).__name__}: {exc})") from None
