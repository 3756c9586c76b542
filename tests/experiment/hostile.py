"""Builders of hostile checkpoints for the tests: a real checkpoint with one member replaced,
added, duplicated or re-encoded. Bombs are built from declared sizes, never by allocating them."""
from __future__ import annotations

import io
import json
import struct
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np

from rnn_viz.experiment.config import apply_overrides, default_config
from rnn_viz.experiment.io import save_checkpoint
from rnn_viz.experiment.loop import Trainer, train

SMALL = ["data.seq_len=12", "data.batch_size=4", "model.hidden_size=8", "data.val_size=8"]


def small_config(*extra):
    return apply_overrides(default_config(), [*SMALL, *extra])


def trained(steps: int = 2) -> Trainer:
    trainer = Trainer(small_config())
    for _ in train(trainer, steps, heavy_last=False):
        pass
    return trainer


def good_checkpoint(path: Path, trainer: Trainer | None = None) -> Path:
    save_checkpoint(path, (trainer or trained()).checkpoint())
    return path


def npy_bytes(array) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(array), allow_pickle=False)
    return buf.getvalue()


def npy_header(shape, descr="<f8", version=1, pad_to=None) -> bytes:
    """Only the header of a .npy announcing ``shape`` (no data follows)."""
    text = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {tuple(shape)!r}, }}"
    if pad_to:
        text = text.ljust(pad_to)
    text += "\n"
    length = struct.pack("<H", len(text)) if version == 1 else struct.pack("<I", len(text))
    return b"\x93NUMPY" + bytes([version, 0]) + length + text.encode("latin1")


def rewrite(src: Path, dst: Path, replace: dict | None = None, add: list | None = None,
            drop: tuple = (), compress: dict | None = None) -> Path:
    """Copy checkpoint ``src`` to ``dst``: members (keys without .npy) replaced by raw bytes or
    arrays, dropped, added as (key, payload) pairs (duplicates allowed), or stored with another
    zip compression method."""
    replace, add, compress = replace or {}, add or [], compress or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name" is the point of some cases
        for info in zin.infolist():
            key = info.filename[:-4]
            if key in drop:
                continue
            payload = replace.get(key, zin.read(info.filename))
            if not isinstance(payload, bytes):
                payload = npy_bytes(payload)
            zout.writestr(zipfile.ZipInfo(info.filename), payload,
                          compress_type=compress.get(key, zipfile.ZIP_STORED))
        for key, payload in add:
            zout.writestr(zipfile.ZipInfo(key + ".npy"),
                          payload if isinstance(payload, bytes) else npy_bytes(payload))
    return dst


def with_json(src: Path, dst: Path, key: str, text: str) -> Path:
    return rewrite(src, dst, replace={key: np.array(text)})


def deep_json(depth: int) -> str:
    return "[" * depth + "]" * depth


def encrypted(src: Path, dst: Path, key: str) -> Path:
    """``key``'s member marked encrypted (flag bit 0) in both its local and central headers."""
    data = bytearray(src.read_bytes())
    name = (key + ".npy").encode()
    for sig, flag_at, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        at = 0
        while (at := data.find(sig, at)) >= 0:
            n = struct.unpack_from("<H", data, at + (26 if sig == b"PK\x03\x04" else 28))[0]
            if bytes(data[at + name_at:at + name_at + n]) == name:
                flags = struct.unpack_from("<H", data, at + flag_at)[0]
                struct.pack_into("<H", data, at + flag_at, flags | 1)
            at += 4
    dst.write_bytes(bytes(data))
    return dst


def deflate_bomb(src: Path, dst: Path, key: str, nbytes: int) -> Path:
    """``key`` replaced by a deflated member that expands to ``nbytes`` of zeros (after a header
    announcing them), compressed chunk by chunk so the test never holds ``nbytes``."""
    header = npy_header((nbytes // 8,))
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = [comp.compress(header)]
    chunk = bytes(1 << 20)
    crc = zlib.crc32(header)
    left = nbytes
    while left > 0:
        piece = chunk[: min(left, len(chunk))]
        body.append(comp.compress(piece))
        crc = zlib.crc32(piece, crc)
        left -= len(piece)
    body.append(comp.flush())
    deflated = b"".join(body)
    info = zipfile.ZipInfo(key + ".npy")
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            if item.filename != info.filename:
                zout.writestr(zipfile.ZipInfo(item.filename), zin.read(item.filename))
        # Write the member by hand: zipfile would compress again.
        zout.fp.flush()
        info.header_offset = zout.fp.tell()
        info.CRC, info.compress_size, info.file_size = crc, len(deflated), len(header) + nbytes
        zout.fp.write(info.FileHeader(zip64=False))
        zout.fp.write(deflated)
        zout.filelist.append(info)
        zout.NameToInfo[info.filename] = info
        zout.start_dir = zout.fp.tell()
    return dst


def json_of(arrays, key):
    return json.loads(str(arrays[key][()]))
