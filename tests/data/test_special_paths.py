"""Data paths that are not regular files (issue 11): FIFOs, devices, symlink loops, NUL bytes and
/proc files whose st_size is 0. Each is one DataError at once; nothing blocks or reads unbounded."""
import os
import sys
from pathlib import Path

import pytest

from rnn_viz.data import DataError, inspect_file, load_dataset, reading
from rnn_viz.data.archive import ArchiveError, check_zip, open_archive, read_npy

POSIX = pytest.mark.skipif(sys.platform == "win32", reason="POSIX special files")


def load(path, source="file", **keys):
    return load_dataset({"source": source, "path": str(path), "seq_len": 5, **keys}, None, 0)


@POSIX
@pytest.mark.parametrize("name, source", [("pipe.csv", "file"), ("pipe.txt", "text"), ("pipe.npz", "file"),
                                          ("pipe.npy", "file")])
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path, name, source):
    fifo = tmp_path / name
    os.mkfifo(fifo)
    with pytest.raises(DataError, match=rf"^{name}: is a FIFO \(named pipe\), not a regular file"):
        load(fifo, source)
    with pytest.raises(DataError, match="FIFO"):
        inspect_file(fifo)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_dev_zero_is_a_device_not_six_gigabytes_of_text(tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "memory_budget", lambda: 10_000)  # nothing big may be read
    with pytest.raises(DataError, match=r"^zero: is a character device, not a regular file"):
        load("/dev/zero", "text")
    os.symlink("/dev/zero", tmp_path / "zero.csv")  # a device behind an ordinary-looking name
    with pytest.raises(DataError, match=r"^zero\.csv: is a character device, not a regular file"):
        load(tmp_path / "zero.csv")


@POSIX
def test_a_symlink_loop_and_a_nul_byte_are_messages(tmp_path):
    loop = tmp_path / "loop.csv"
    os.symlink(loop, loop)
    with pytest.raises(DataError, match=r"^loop\.csv: cannot be read: too many levels of symbolic links"):
        load(loop)
    with pytest.raises(DataError, match="NUL character"):
        load(tmp_path / "a\x00.csv")
    with pytest.raises(DataError, match="NUL character"):
        load(tmp_path / "a\x00.txt", "text")


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc")
def test_a_file_whose_size_lies_is_read_only_up_to_the_bound(tmp_path, monkeypatch):
    proc = Path("/proc/self/status")
    assert proc.stat().st_size == 0  # the lie: it holds about 1 KB
    assert len(reading.read_bytes(proc)) > 100
    with pytest.raises(DataError, match="too large to load: reading it allows at most 50 bytes"):
        reading.read_bytes(proc, limit=50)


@POSIX
def test_archive_reader_refuses_special_files_with_their_kind(tmp_path):
    fifo = tmp_path / "w.npz"
    os.mkfifo(fifo)
    for call in (lambda: open_archive(fifo), lambda: read_npy(fifo), lambda: check_zip(fifo)):
        with pytest.raises(ArchiveError, match="FIFO") as info:
            call()
        assert info.value.kind == "special" and info.value.path == fifo
