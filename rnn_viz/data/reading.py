"""Getting a user's file off the disk safely: the path, its size against memory, its bytes as text."""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from .errors import DataError

SUFFIXES = (".csv", ".tsv", ".npy", ".npz", ".txt")
# Signatures of binary formats that users save under a text extension by mistake.
_MAGIC = (
    (b"\x93NUMPY", "a NumPy array (.npy), not text; give it the .npy extension"),
    (b"PK\x03\x04", "a zip archive (an .npz, or a spreadsheet such as .xlsx), not text; save tables as CSV"),
    (b"\x89PNG", "a PNG image, not text"),
    (b"%PDF", "a PDF document, not text"),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Office document, not text; save it as CSV"),
)


def display_name(path: Path) -> str:
    """How messages name a file: its name, which is what the user recognises."""
    return path.name or str(path)


def resolve_path(raw: str | os.PathLike, base_dir: Path | None) -> Path:
    """``data.path`` -> an absolute path; relative paths are taken from ``base_dir``."""
    try:
        path = Path(os.path.expanduser(os.fspath(raw)))
    except (TypeError, ValueError) as exc:
        raise DataError(f"data.path: {raw!r} is not a file path ({exc})") from None
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    return path


class FileProblem(DataError):
    """A path that cannot be opened as a regular file. ``kind``: "missing", "folder", "special"
    (FIFO, device, socket), "denied", "loop" (symlinks), "badname" (NUL byte, too long) or "other"."""

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.kind = kind


_SPECIAL = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
)


def open_regular(path: Path, name: str | None = None) -> BinaryIO:
    """``path`` opened for binary reading, if it is a regular file; FileProblem otherwise.

    O_NONBLOCK makes opening a FIFO return at once instead of waiting for a writer; fstat on the
    open descriptor then decides, so a path swapped between a check and the open cannot slip by.
    """
    name = display_name(Path(path)) if name is None else name
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(os.fspath(path), flags)
    except ValueError:  # an embedded NUL byte
        raise FileProblem(f"{name}: not a usable file path (it contains a NUL character)", "badname") from None
    except FileNotFoundError:
        raise FileProblem(f"{name}: no such file (looked for {Path(path).absolute()})", "missing") from None
    except IsADirectoryError:
        raise FileProblem(f"{name}: is a folder, not a file ({Path(path).absolute()})", "folder") from None
    except PermissionError:
        raise FileProblem(f"{name}: cannot be read: permission denied ({Path(path).absolute()})", "denied") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FileProblem(f"{name}: cannot be read: too many levels of symbolic links (a symlink loop?)",
                              "loop") from None
        if exc.errno == errno.ENAMETOOLONG:
            raise FileProblem(f"{name}: not a usable file path (the name is too long)", "badname") from None
        raise FileProblem(f"{name}: cannot be read ({_reason(exc)})", "other") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise FileProblem(f"{name}: is a folder, not a file ({Path(path).absolute()})", "folder")
        if not stat.S_ISREG(mode):
            what = next((words for test, words in _SPECIAL if test(mode)), "not a regular file")
            raise FileProblem(f"{name}: is {what}, not a regular file; only regular files are read", "special")
        if not os.access(path, os.R_OK):  # fstat says nothing of ACLs and other layers
            raise FileProblem(f"{name}: cannot be read: permission denied ({Path(path).absolute()})", "denied")
        if getattr(os, "O_NONBLOCK", 0):  # POSIX; back to blocking reads now that it is a regular file
            os.set_blocking(fd, True)
        f = open(fd, "rb")
    except OSError as exc:
        os.close(fd)
        raise FileProblem(f"{name}: cannot be read ({_reason(exc)})", "other") from None
    except BaseException:
        os.close(fd)
        raise
    return f


def check_file(path: Path) -> int:
    """Size in bytes of a readable regular file; DataError if it is missing, a folder, a FIFO or
    device, or unreadable. The size is what fstat says; :func:`read_bytes` does not trust it."""
    with open_regular(path) as f:
        return int(os.fstat(f.fileno()).st_size)


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def available_memory() -> int:
    """Bytes of memory available now (MemAvailable on Linux; 4 GiB where it cannot be read)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 4 * 1024**3


def memory_budget() -> int:
    """Bytes the data layer lets one file take once loaded: half of the memory available now."""
    return available_memory() // 2


def check_fits(name: str, needed: int, what: str) -> None:
    """DataError if loading needs more than ``memory_budget()`` bytes; called before reading it all."""
    budget = memory_budget()
    if needed > budget:
        raise DataError(
            f"{name}: too large to load: {what} needs about {_size(needed)} of memory, "
            f"but only {_size(budget)} can be spared; use a shorter excerpt of the data"
        )


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"


def read_bytes(path: Path, limit: int | None = None, what: str = "reading it") -> bytes:
    """The bytes of a regular file, at most ``limit`` of them (default: the memory budget).

    Bounded by reading, not by ``st_size``, which is 0 for /proc files and lies for devices.
    """
    name = display_name(path)
    limit = memory_budget() if limit is None else int(limit)
    try:
        with open_regular(path, name) as f:
            data = f.read(limit + 1)
    except MemoryError:
        raise DataError(f"{name}: too large to load into memory") from None
    except OSError as exc:
        raise DataError(f"{name}: cannot be read ({_reason(exc)})") from None
    if len(data) > limit:
        raise DataError(f"{name}: too large to load: {what} allows at most {_size(limit)}; "
                        "use a shorter excerpt of the data")
    return data


def decode_text(data: bytes, name: str) -> str:
    """File bytes -> text. UTF-8 (with or without BOM) or UTF-16 with a BOM; refuses binary files.

    Line endings are normalised to "\\n".
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DataError(f"{name}: starts like UTF-16 text but cannot be decoded ({exc.reason}); save it as UTF-8") from None
    else:
        for magic, what in _MAGIC:
            if data.startswith(magic):
                raise DataError(f"{name}: is {what}")
        if b"\x00" in data:
            at = data.index(b"\x00")
            line, col = _position(data, at)
            raise DataError(f"{name}: looks like a binary file, not text (a NUL byte at line {line}, column {col})")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line, col = _position(data, exc.start)
            byte = data[exc.start]
            raise DataError(
                f"{name}: not UTF-8 text: byte 0x{byte:02X} at line {line}, column {col} cannot be decoded; "
                "save the file as UTF-8"
            ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise DataError(f"{name}: looks like a binary file, not text (it contains NUL characters)")
    controls = sum(1 for ch in text[:100_000] if ord(ch) < 32 and ch not in "\t\n\f\v")
    if controls > max(8, len(text[:100_000]) // 100):
        raise DataError(f"{name}: looks like a binary file, not text ({controls} control characters)")
    return text


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and byte column of ``offset`` in ``data``."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1
