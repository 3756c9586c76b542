"""Checks on a ``.safetensors`` file's header before any tensor is read.

The format (https://huggingface.co/docs/safetensors): 8 bytes little-endian u64 N, then N bytes of
JSON ``{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}``,
then the tensors' bytes, offsets counted from the end of the header. A hostile file can declare a
gigabyte header, nest its JSON 100,000 deep, name dtypes rnn-viz cannot train, or point offsets past
the end of the file; each of those is refused here with a message naming the file and the entry.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from .archive import json_depth
from .errors import DataError

__all__ = ["MAX_HEADER_BYTES", "MAX_JSON_DEPTH", "MAX_TENSORS", "DTYPES", "TensorEntry", "check_safetensors"]

MAX_HEADER_BYTES = 16 * 2**20
# A valid header is two levels deep (tensor -> {dtype, shape: [...]}); anything deeper is not one.
MAX_JSON_DEPTH = 4
# Far more than any RNN state dict (4 keys per layer, 4 layers, plus a readout).
MAX_TENSORS = 4096
DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16}


@dataclass(frozen=True, slots=True)
class TensorEntry:
    """One tensor the header declares: ``shape``, numpy ``dtype`` and ``begin``/``end`` byte offsets
    in the file (header included)."""

    name: str
    dtype: type
    shape: tuple[int, ...]
    begin: int
    end: int


def check_safetensors(data: bytes, name: str) -> dict[str, TensorEntry]:
    """The tensors a ``.safetensors`` file's bytes declare, after checking the header.

    ``data``: the whole file; ``name``: the file name for messages. Raises DataError naming the file
    and the entry for a header over MAX_HEADER_BYTES or past the file, JSON that is malformed or
    nested deeper than MAX_JSON_DEPTH, more than MAX_TENSORS entries, a dtype other than F64/F32/F16,
    a shape that is not a list of integers >= 0, and offsets that do not match the shape or leave
    the file's data section, overlap or leave holes.
    """
    if len(data) < 8:
        raise DataError(f"{name}: not a .safetensors file ({len(data)} bytes, shorter than its 8-byte header size)")
    n = int.from_bytes(data[:8], "little")
    if n > MAX_HEADER_BYTES:
        raise DataError(f"{name}: .safetensors header of {n} bytes is larger than the {MAX_HEADER_BYTES} allowed")
    if 8 + n > len(data):
        raise DataError(f"{name}: .safetensors header of {n} bytes runs past the end of the file ({len(data)} bytes)")
    try:
        text = data[8 : 8 + n].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{name}: .safetensors header is not UTF-8 (byte {8 + exc.start})") from None
    if json_depth(text) > MAX_JSON_DEPTH:
        raise DataError(f"{name}: .safetensors header nests deeper than {MAX_JSON_DEPTH} levels; not a tensor list")
    try:
        header = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise DataError(f"{name}: .safetensors header is not valid JSON ({exc})") from None
    if not isinstance(header, dict):
        raise DataError(f"{name}: .safetensors header must be a JSON object of tensors")
    header.pop("__metadata__", None)
    if len(header) > MAX_TENSORS:
        raise DataError(f"{name}: declares {len(header)} tensors; at most {MAX_TENSORS} are allowed")
    body, size = 8 + n, len(data) - 8 - n
    entries = {key: _entry(name, key, value, body, size) for key, value in header.items()}
    spans = sorted((e.begin, e.end, e.name) for e in entries.values())
    at = body
    for begin, end, key in spans:
        if begin != at:
            what = "overlaps the tensor before it" if begin < at else "leaves a gap before it"
            raise DataError(f"{name}: tensor {key!r}: data_offsets {what}")
        at = end
    return entries


def _entry(name: str, key: str, value, body: int, size: int) -> TensorEntry:
    if not isinstance(value, dict) or set(value) != {"dtype", "shape", "data_offsets"}:
        raise DataError(f"{name}: tensor {key!r}: needs exactly dtype, shape and data_offsets")
    dtype = value["dtype"]
    if dtype not in DTYPES:
        raise DataError(f"{name}: tensor {key!r}: dtype {dtype!r} is not supported; allowed: F64, F32, F16 "
                        "(convert with tensor.double() before saving)")
    shape, offsets = value["shape"], value["data_offsets"]
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise DataError(f"{name}: tensor {key!r}: shape {shape!r} must be a list of integers >= 0")
    if (not isinstance(offsets, list) or len(offsets) != 2
            or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)):
        raise DataError(f"{name}: tensor {key!r}: data_offsets {offsets!r} must be two integers")
    begin, end = offsets
    if not 0 <= begin <= end <= size:
        raise DataError(f"{name}: tensor {key!r}: data_offsets {offsets} lie outside the file's "
                        f"{size} data bytes")
    need = int(np.prod(shape, dtype=object)) * np.dtype(DTYPES[dtype]).itemsize
    if end - begin != need:
        raise DataError(f"{name}: tensor {key!r}: shape {shape} of {dtype} needs {need} bytes, "
                        f"data_offsets give {end - begin}")
    return TensorEntry(key, DTYPES[dtype], tuple(shape), body + begin, body + end)
