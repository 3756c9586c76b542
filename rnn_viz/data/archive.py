"""One reader for every untrusted .npy/.npz archive: data files, checkpoints, traces, model weights.

Nothing is ever unpickled, and nothing is allocated before its declared size has been checked.

API (everything raises :class:`ArchiveError`, a DataError naming the file and the entry):

``Entry(kinds="biuf", shape=None, finite=False, low=None, high=None, max_bytes=None)``
    What one member may hold: numpy dtype kinds (``"f"`` floats only, ``"iu"`` integers, ``"U"``
    text, ``"b"`` booleans), a shape (``None`` any; a ``None`` inside the tuple is any length on that
    axis), finiteness, an inclusive value range, and a bound on its bytes.

``with open_archive(path, what="checkpoint", name=None) as ar:``
    Opens a regular file (no FIFO, device or socket; size checked against the memory budget) and
    checks the whole zip directory before any member is read: duplicate names, encrypted members,
    compression other than stored/deflate, and a compression ratio above :data:`MAX_RATIO` are
    refused. Then:

    - ``ar.names``: the array members (names without ``.npy``), in file order.
    - ``ar.header(key) -> Header(shape, dtype, fortran, nbytes)``: reads only the .npy header.
    - ``ar.array(key, entry=Entry())``: the header, checked against ``entry`` and against the zip's
      declared size, then exactly the announced bytes into a fresh writable array, then the values.
    - ``ar.text(key, max_chars)``: a 0-d string member.
    - ``ar.json(key, max_chars, max_depth)``: a 0-d string member holding JSON, parsed with
      :func:`parse_json`.

``read_arrays(path, entries, what=..., required=())``
    ``entries`` is a mapping key -> Entry or a function key -> Entry | None (None: member ignored,
    never read). Returns {key: array} for the members the format defines.

``parse_json(text, where, max_chars, max_depth)``
    JSON with its size, nesting depth and integer length bounded first; NaN and Infinity refused.

``read_npy(path, entry=Entry(), name=None)``
    A single .npy file under the same rules.

``check_zip(path, what, name=None)``
    Only the file and directory checks (for a reader such as ``torch.load(weights_only=True)`` that
    parses the members itself); returns the members' (name, declared size).

``ArchiveError.kind`` says which rule failed: "missing", "folder", "special", "denied", "loop",
"badname", "other" (opening), "not_zip", "corrupt", "pickled", "too_large", "invalid".
"""
from __future__ import annotations

import io
import json
import math
import os
import re
import warnings
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from .errors import DataError
from . import reading
from .reading import FileProblem, _size, open_regular

__all__ = [
    "ArchiveError", "Entry", "Header", "Archive", "open_archive", "read_arrays", "read_npy", "check_zip",
    "check_directory", "read_header",
    "parse_json", "MAX_RATIO", "MAX_HEADER_BYTES", "MAX_JSON_DEPTH", "MAX_JSON_CHARS", "MAX_INT_DIGITS",
]

# A .npy header numpy writes is under 200 bytes; numpy itself refuses more than 10,000.
MAX_HEADER_BYTES = 10_000
# Deflate reaches about 1030:1 on constant data; no array worth loading compresses 256:1 once it is
# large. Small members are exempt: their expansion cannot hurt.
MAX_RATIO = 256
RATIO_FREE_BYTES = 4 * 1024**2
MAX_MEMBERS = 100_000
MAX_JSON_DEPTH = 64
MAX_JSON_CHARS = 1_000_000
MAX_INT_DIGITS = 100  # a PCG64 state is 39 digits

_KIND_WORDS = {"c": "complex numbers", "U": "text", "S": "bytes", "M": "dates", "m": "time spans",
               "V": "raw records", "b": "booleans", "i": "integers", "u": "integers", "f": "floats", "O": "objects"}
_CHUNK = 1 << 24


class ArchiveError(DataError):
    """An archive (or one of its entries) that cannot be used; ``str()`` is the whole message.

    ``path``: the file; ``entry``: the member at fault or None; ``kind``: which rule failed.
    """

    def __init__(self, message: str, kind: str = "invalid", path: str | os.PathLike | None = None,
                 entry: str | None = None):
        super().__init__(message)
        self.kind, self.path, self.entry = kind, path, entry


@dataclass(frozen=True)
class Entry:
    """What one member may hold (see the module docstring)."""

    kinds: str = "biuf"
    shape: tuple[int | None, ...] | None = None
    finite: bool = False
    low: float | None = None
    high: float | None = None
    max_bytes: int | None = None


@dataclass(frozen=True)
class Header:
    """A .npy header: shape, dtype, Fortran order and the bytes of data it announces."""

    shape: tuple[int, ...]
    dtype: np.dtype
    fortran: bool
    nbytes: int
    offset: int  # bytes of magic + header before the data


def _kind_words(dtype: np.dtype) -> str:
    if dtype.fields is not None:
        return "a structured array (named fields)"
    return _KIND_WORDS.get(dtype.kind, f"dtype {dtype}")


def _allowed_words(kinds: str) -> str:
    if set("iuf") <= set(kinds):
        return "numbers (or booleans)" if "b" in kinds else "numbers"
    return " or ".join(dict.fromkeys(_KIND_WORDS[k] for k in kinds))


def _read_exact(fp: BinaryIO, n: int) -> bytes:
    data = fp.read(n)
    return data if data is not None else b""


def read_header(fp: BinaryIO, where: str, kind_ok: str | None = None) -> Header:
    """Parse and check a .npy header from ``fp`` (left at the first data byte).

    ``where`` names the file (and entry) in messages; ``kind_ok``: dtype kinds allowed (None: any
    but objects).
    """
    magic = _read_exact(fp, 8)
    if len(magic) < 8 or not magic.startswith(b"\x93NUMPY"):
        if magic[:1] == b"\x80":
            raise ArchiveError(f"{where}: is a Python pickle, not a NumPy array; pickles are refused because "
                               "loading one can run arbitrary code", "pickled")
        raise ArchiveError(f"{where}: not a NumPy .npy array (it does not start with the .npy signature)", "invalid")
    major, minor = magic[6], magic[7]
    if (major, minor) not in ((1, 0), (2, 0)):
        raise ArchiveError(f"{where}: .npy format version {major}.{minor} is not supported (1.0 and 2.0 are)")
    width = 2 if major == 1 else 4
    raw_len = _read_exact(fp, width)
    if len(raw_len) < width:
        raise ArchiveError(f"{where}: truncated .npy header", "corrupt")
    hlen = int.from_bytes(raw_len, "little")
    if hlen > MAX_HEADER_BYTES:
        raise ArchiveError(f"{where}: its .npy header is {hlen} bytes long, more than the {MAX_HEADER_BYTES} "
                           "a real array needs; not a file numpy wrote", "invalid")
    text = _read_exact(fp, hlen)
    if len(text) < hlen:
        raise ArchiveError(f"{where}: truncated .npy header", "corrupt")
    reader = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
    try:
        # numpy parses the header with Python's literal parser, which warns (a SyntaxWarning from
        # Python 3.12) about escapes such as "\\M" in a crafted header: the file's fault, reported
        # below as an error, never as a warning in the user's terminal
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            shape, fortran, dtype = reader(io.BytesIO(raw_len + text))
    except Exception as exc:  # numpy's header parser raises a zoo of types for garbage
        reason = " ".join(str(exc).split())[:200]
        raise ArchiveError(f"{where}: not a valid .npy array (its header cannot be read: {reason})", "invalid") from None
    if not isinstance(shape, tuple) or any(type(s) is not int or s < 0 for s in shape) or len(shape) > 32:
        raise ArchiveError(f"{where}: not a valid .npy array (shape {shape!r})", "invalid")
    if dtype.hasobject:
        raise ArchiveError(f"{where}: holds Python objects (pickled, dtype {dtype}), which could only be loaded "
                           "by unpickling; refused, because unpickling a file can run arbitrary code. "
                           "Save a numeric array instead", "pickled")
    if kind_ok is not None and (dtype.fields is not None or dtype.kind not in kind_ok):
        raise ArchiveError(f"{where}: holds {_kind_words(dtype)}; only arrays of {_allowed_words(kind_ok)} can be "
                           f"used here (this one is {dtype})", "invalid")
    count = math.prod(shape)
    return Header(shape, dtype, bool(fortran), count * dtype.itemsize, 8 + width + hlen)


def _check_shape(header: Header, entry: Entry, where: str) -> None:
    if entry.shape is None:
        return
    want = entry.shape
    if len(want) != len(header.shape) or any(w is not None and w != s for w, s in zip(want, header.shape)):
        shown = "(" + ", ".join("any" if w is None else str(w) for w in want) + ("," if len(want) == 1 else "") + ")"
        raise ArchiveError(f"{where}: has shape {header.shape}; expected {shown}", "invalid")


def _read_data(fp: BinaryIO, header: Header, where: str, damaged: str | None = None) -> np.ndarray:
    """Exactly ``header.nbytes`` bytes from ``fp`` into a fresh writable array. ``damaged``: the
    message start for a read error (default: ``where``)."""
    arr = np.empty(math.prod(header.shape), dtype=header.dtype)
    buf = memoryview(arr.view(np.uint8).reshape(-1)) if header.nbytes else memoryview(b"")
    got = 0
    try:
        while got < header.nbytes:
            n = fp.readinto(buf[got:got + _CHUNK])
            if not n:
                break
            got += n
    except ArchiveError:
        raise
    except Exception as exc:  # zip members: CRC errors, bad compression
        raise ArchiveError(f"{damaged or where + ': damaged'} ({type(exc).__name__}: {exc})", "corrupt") from None
    if got < header.nbytes:
        raise ArchiveError(f"{where}: truncated: its header announces {header.nbytes} bytes of data (shape "
                           f"{header.shape}, {header.dtype}), but only {got} follow", "corrupt")
    return arr.reshape(header.shape, order="F" if header.fortran else "C")


def _check_values(arr: np.ndarray, entry: Entry, where: str) -> np.ndarray:
    if arr.dtype.kind in "fc" and (entry.finite or entry.low is not None or entry.high is not None):
        bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
        if bad:
            raise ArchiveError(f"{where}: holds {bad} non-finite values (NaN or infinity); only finite numbers "
                               "are allowed", "invalid")
    if arr.dtype.kind in "iuf" and arr.size and (entry.low is not None or entry.high is not None):
        lo, hi = arr.min(), arr.max()
        if entry.low is not None and lo < entry.low or entry.high is not None and hi > entry.high:
            rng = f"{entry.low if entry.low is not None else '-inf'} to {entry.high if entry.high is not None else 'inf'}"
            found = f"{lo}" if arr.size == 1 else f"values from {lo} to {hi}"
            raise ArchiveError(f"{where}: {found} is out of range; allowed: {rng}", "invalid")
    return arr


def check_budget(where: str, needed: int, what: str) -> None:
    budget = reading.memory_budget()  # looked up each time: tests lower it
    if needed > budget:
        raise ArchiveError(f"{where}: too large to load: {what} needs about {_size(needed)} of memory, but only "
                           f"{_size(budget)} can be spared", "too_large")


# --- JSON ----------------------------------------------------------------------------------------

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)


def json_depth(text: str) -> int:
    """Deepest nesting of arrays and objects in JSON ``text`` (brackets inside strings ignored)."""
    code = _STRING.sub('""', text).encode("utf-8", "replace")
    b = np.frombuffer(code, dtype=np.uint8)
    step = np.isin(b, (ord("["), ord("{"))).astype(np.int64) - np.isin(b, (ord("]"), ord("}")))
    return int(np.cumsum(step).max(initial=0))


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"an integer of {len(text.lstrip('-'))} digits (at most {MAX_INT_DIGITS} allowed)")
    return int(text)


def parse_json(text: str, where: str, max_chars: int = MAX_JSON_CHARS, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads(text)`` after bounding its size and depth; integers of at most MAX_INT_DIGITS
    digits, no NaN or Infinity. ArchiveError naming ``where`` otherwise."""
    if not isinstance(text, str):
        raise ArchiveError(f"{where}: expected JSON text, got {type(text).__name__}")
    if len(text) > max_chars:
        raise ArchiveError(f"{where}: its JSON is {len(text)} characters long; at most {max_chars} allowed", "too_large")
    depth = json_depth(text)
    if depth > max_depth:
        raise ArchiveError(f"{where}: its JSON is nested {depth} levels deep; at most {max_depth} allowed", "invalid")
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_int=_bounded_int)
    except (ValueError, RecursionError) as exc:
        reason = " ".join(str(exc).split())[:200]
        raise ArchiveError(f"{where}: not valid JSON ({reason})", "invalid") from None


# --- archives ------------------------------------------------------------------------------------

def _wrap_open(exc: FileProblem, path) -> ArchiveError:
    return ArchiveError(str(exc), exc.kind, path)


class Archive:
    """An open, directory-checked .npz; see the module docstring. Use through :func:`open_archive`."""

    def __init__(self, path: str | os.PathLike, what: str = "archive", name: str | None = None):
        self.path, self.what = path, what
        self.name = str(path) if name is None else name
        try:
            self._file = open_regular(Path(path), self.name)
        except FileProblem as exc:
            raise _wrap_open(exc, path) from None
        try:
            self._open_zip()
        except BaseException:
            self._file.close()
            raise

    def _fail(self, message: str, kind: str = "invalid", entry: str | None = None) -> ArchiveError:
        where = self.name if entry is None else f"{self.name}[{entry}]"
        return ArchiveError(f"{where}: {message}", kind, self.path, entry)

    def _open_zip(self) -> None:
        self._zip = open_zip(self._file, self.name, self.path)
        self._members = {info.filename[:-4]: info for info in check_directory(self._zip, self.name, self.path, ".npy")}

    def _damaged(self, key: str) -> str:
        return f"{self.name}: not a valid .npz: corrupt or truncated member {key}"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._members)

    def __contains__(self, key: str) -> bool:
        return key in self._members

    def close(self) -> None:
        try:
            self._zip.close()
        finally:
            self._file.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _open_member(self, key: str):
        if key not in self._members:
            raise self._fail("missing from the archive", "invalid", key)
        try:
            return self._zip.open(self._members[key])
        except Exception as exc:  # bad local header, unsupported feature
            raise ArchiveError(f"{self._damaged(key)} ({type(exc).__name__}: {exc})", "corrupt", self.path, key) from None

    def header(self, key: str, kinds: str | None = None) -> Header:
        with self._open_member(key) as fp:
            return self._header(fp, key, kinds)

    def _header(self, fp, key: str, kinds: str | None, entry: Entry | None = None) -> Header:
        where = f"{self.name}[{key}]"
        try:
            header = read_header(fp, where, kinds)
            if entry is not None:
                _check_shape(header, entry, where)
        except ArchiveError as exc:
            exc.path, exc.entry = self.path, key
            raise
        except Exception as exc:  # decompression errors inside the header
            raise ArchiveError(f"{self._damaged(key)} ({type(exc).__name__}: {exc})", "corrupt", self.path, key) from None
        declared = self._members[key].file_size
        if declared != header.offset + header.nbytes:
            if declared < header.offset + header.nbytes:
                raise self._fail(f"truncated: its header announces {header.nbytes} bytes of data (shape "
                                 f"{header.shape}, {header.dtype}), but the archive holds "
                                 f"{max(declared - header.offset, 0)}", "corrupt", key)
            raise self._fail(f"the archive declares {declared} bytes for it, but its header implies "
                             f"{header.offset + header.nbytes}", "invalid", key)
        return header

    def array(self, key: str, entry: Entry = Entry()) -> np.ndarray:
        with self._open_member(key) as fp:
            header = self._header(fp, key, entry.kinds, entry)
            where = f"{self.name}[{key}]"
            if entry.max_bytes is not None and header.nbytes > entry.max_bytes:
                raise self._fail(f"announces {_size(header.nbytes)} of data (shape {header.shape}); at most "
                                 f"{_size(entry.max_bytes)} allowed here", "too_large", key)
            check_budget(where, header.nbytes, f"an array of shape {header.shape}")
            try:
                arr = _read_data(fp, header, where, self._damaged(key))
            except ArchiveError as exc:
                exc.path, exc.entry = self.path, key
                raise
        return _check_values(arr, entry, where)

    def text(self, key: str, max_chars: int = MAX_JSON_CHARS) -> str:
        arr = self.array(key, Entry(kinds="U", shape=(), max_bytes=4 * max_chars))
        return str(arr[()])

    def json(self, key: str, max_chars: int = MAX_JSON_CHARS, max_depth: int = MAX_JSON_DEPTH) -> Any:
        text = self.text(key, max_chars)
        try:
            return parse_json(text, f"{self.name}[{key}]", max_chars, max_depth)
        except ArchiveError as exc:
            exc.path, exc.entry = self.path, key
            raise


def open_archive(path: str | os.PathLike, what: str = "archive", name: str | None = None) -> Archive:
    """An open :class:`Archive` (a context manager); ``name`` is how messages call the file
    (default: the path as given)."""
    return Archive(path, what, name)


def read_arrays(path: str | os.PathLike, entries: Mapping[str, Entry] | Callable[[str], Entry | None],
                what: str = "archive", required: Iterable[str] = (), name: str | None = None) -> dict[str, np.ndarray]:
    """{key: array} for every member ``entries`` defines (others are never read); every key of
    ``required`` must be present."""
    choose = entries.get if isinstance(entries, Mapping) else entries
    with open_archive(path, what, name) as ar:
        for key in required:
            if key not in ar:
                raise ar._fail("missing from the archive", "invalid", key)
        wanted = {key: choose(key) for key in ar.names}
        wanted = {k: e for k, e in wanted.items() if e is not None}
        declared = sum(ar._members[k].file_size for k in wanted)
        check_budget(ar.name, declared, f"its {len(wanted)} arrays")
        return {key: ar.array(key, entry) for key, entry in wanted.items()}


def open_zip(f: BinaryIO, name: str, path) -> zipfile.ZipFile:
    """The zip in the open regular file ``f``, after its size fits the memory budget."""
    check_budget(name, os.fstat(f.fileno()).st_size, "the file")
    magic = f.read(4)
    f.seek(0)
    if magic != b"PK\x03\x04":
        kind = "a single .npy array" if magic == b"\x93NUM" else "not an .npz archive"
        raise ArchiveError(f"{name}: not a valid .npz (zip) file ({kind})", "not_zip", path)
    try:
        return zipfile.ZipFile(f)
    except Exception as exc:  # zipfile's zoo: BadZipFile, NotImplementedError (version), struct.error, ...
        raise ArchiveError(f"{name}: not a valid .npz (zip) file: corrupt or truncated ({exc})", "corrupt", path) from None


def check_directory(zf: zipfile.ZipFile, name: str, path, suffix: str = "") -> list[zipfile.ZipInfo]:
    """The members ending in ``suffix`` (not folders), after the directory rules: no duplicate names
    anywhere; for those members no encryption, only stored/deflate, a bounded expansion ratio and a
    total declared size within the memory budget. Members are not read."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ArchiveError(f"{name}: holds {len(infos)} members; at most {MAX_MEMBERS} allowed", "too_large", path)
    seen: set[str] = set()
    out = []
    for info in infos:
        if not info.filename:  # a damaged directory entry (zipfile's is_dir would fail on it)
            raise ArchiveError(f"{name}: holds a member without a name: corrupt (a damaged zip directory)",
                               "corrupt", path)
        if info.filename in seen:
            raise ArchiveError(f"{name}: holds the member {info.filename!r} twice; an archive with duplicate "
                               "members is ambiguous and refused", "invalid", path, info.filename)
        seen.add(info.filename)
        if info.is_dir() or not info.filename.endswith(suffix):
            continue  # not an array: never read
        key = info.filename[: len(info.filename) - len(suffix)]
        where = f"{name}[{key}]"
        if info.flag_bits & 0x1:
            raise ArchiveError(f"{where}: is encrypted; encrypted archives are not supported", "invalid", path, key)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ArchiveError(f"{where}: uses zip compression method {info.compress_type}; only stored and "
                               "deflate (what numpy writes) are supported", "invalid", path, key)
        if info.file_size > RATIO_FREE_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise ArchiveError(f"{where}: expands {ratio:.0f}:1 (to {_size(info.file_size)}); at most "
                               f"{MAX_RATIO}:1 is allowed (a zip bomb?)", "too_large", path, key)
        out.append(info)
    return out


def check_zip(path: str | os.PathLike, what: str = "archive", name: str | None = None,
              suffix: str = "") -> list[tuple[str, int]]:
    """The file and directory checks of :class:`Archive` for any zip (members ending in ``suffix``
    get the per-member checks; ``""`` = all), for readers that parse members themselves such as
    ``torch.load(weights_only=True)``. Returns [(member name, declared size)]."""
    shown = str(path) if name is None else name
    try:
        f = open_regular(Path(path), shown)
    except FileProblem as exc:
        raise _wrap_open(exc, path) from None
    with f, open_zip(f, shown, path) as zf:
        members = check_directory(zf, shown, path, suffix)
        check_budget(shown, sum(info.file_size for info in members), "its members")
        return [(info.filename, info.file_size) for info in members]


def read_npy(path: str | os.PathLike, entry: Entry = Entry(), name: str | None = None,
             check: Callable[[Header], None] | None = None) -> np.ndarray:
    """The array of a single .npy file under the archive rules. ``check(header)``, if given, runs
    before anything is allocated (a caller's own memory rule)."""
    shown = str(path) if name is None else name
    try:
        f = open_regular(Path(path), shown)
    except FileProblem as exc:
        raise _wrap_open(exc, path) from None
    with f:
        size = os.fstat(f.fileno()).st_size
        try:
            header = read_header(f, shown, entry.kinds)
            _check_shape(header, entry, shown)
            if header.offset + header.nbytes > size:
                raise ArchiveError(f"{shown}: truncated: its header announces {header.nbytes} bytes of data (shape "
                                   f"{header.shape}, {header.dtype}), but the file holds fewer", "corrupt")
            if entry.max_bytes is not None and header.nbytes > entry.max_bytes:
                raise ArchiveError(f"{shown}: announces {_size(header.nbytes)} of data; at most "
                                   f"{_size(entry.max_bytes)} allowed here", "too_large")
            check_budget(shown, header.nbytes, f"an array of shape {header.shape}")
            if check is not None:
                check(header)
            arr = _read_data(f, header, shown)
        except ArchiveError as exc:
            exc.path = path
            raise
        except OSError as exc:
            raise ArchiveError(f"{shown}: cannot be read ({exc.strerror or exc})", "other", path) from None
    return _check_values(arr, entry, shown)
