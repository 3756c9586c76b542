"""The one archive reader's API (rnn_viz/data/archive.py), as the data layer, the checkpoints and the
weights import use it: members chosen by the caller, declared sizes checked, typed errors."""
import io
import warnings
import zipfile

import numpy as np
import pytest

from rnn_viz.data import archive
from rnn_viz.data.archive import ArchiveError, Entry, check_zip, open_archive, parse_json, read_arrays, read_npy


def _npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def test_read_arrays_reads_only_the_members_it_is_given(tmp_path, monkeypatch):
    path = _npz(tmp_path / "w.npz", a=np.ones((2, 3)), b=np.arange(4), big=np.zeros(1000))
    opened = []
    real = archive.Archive.array
    monkeypatch.setattr(archive.Archive, "array", lambda self, key, entry=Entry(): opened.append(key) or real(self, key, entry))
    out = read_arrays(path, {"a": Entry(kinds="f", shape=(2, None), finite=True)}, "weights", required=["a", "b"])
    assert list(out) == ["a"] and opened == ["a"] and out["a"].flags.writeable
    with pytest.raises(ArchiveError, match=r"w\.npz\[c\]: missing from the archive") as info:
        read_arrays(path, {"c": Entry()}, required=["c"])
    assert info.value.entry == "c" and info.value.path == path


@pytest.mark.parametrize("entry, fragment", [
    (Entry(kinds="iu"), "holds floats; only arrays of integers can be used here"),
    (Entry(shape=(3, 2)), "has shape (2, 3); expected (3, 2)"),
    (Entry(shape=(None,)), "has shape (2, 3); expected (any,)"),
    (Entry(high=0.5), "is out of range; allowed: -inf to 0.5"),
    (Entry(max_bytes=8), "at most 8 bytes allowed here"),
])
def test_entries_are_checked_with_the_file_and_entry_named(tmp_path, entry, fragment):
    path = _npz(tmp_path / "w.npz", a=np.ones((2, 3)))
    with pytest.raises(ArchiveError) as info:
        read_arrays(path, {"a": entry})
    assert str(info.value).startswith(f"{path}[a]: ") and fragment in str(info.value), str(info.value)


def test_non_finite_values_are_refused_only_where_asked(tmp_path):
    path = _npz(tmp_path / "w.npz", a=np.array([1.0, np.nan]))
    assert np.isnan(read_arrays(path, {"a": Entry()})["a"][1])
    with pytest.raises(ArchiveError, match="1 non-finite values"):
        read_arrays(path, {"a": Entry(finite=True)})


def test_headers_are_read_without_the_data(tmp_path):
    path = _npz(tmp_path / "w.npz", a=np.ones((20, 30), dtype=np.float32))
    with open_archive(path) as ar:
        h = ar.header("a")
    assert (h.shape, h.dtype, h.nbytes) == ((20, 30), np.float32, 2400)


def test_a_header_with_a_bad_escape_is_an_error_and_prints_no_warning(tmp_path):
    # numpy reads the header with Python's literal parser, which warns about "\\M" (hypothesis
    # found this one); the reader turns the file into an ArchiveError and nothing else
    header = b"{'descr': '\\M<f8', 'fortran_order': False, 'shape': (2,), }"
    header += b" " * (63 - len(header) % 64) + b"\n"
    raw = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + bytes(16)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(ArchiveError, match="not a valid .npy array"):
            archive.read_header(io.BytesIO(raw), "x.npy")
    assert [str(w.message) for w in seen] == []


def test_check_zip_for_readers_that_parse_members_themselves(tmp_path):
    good = tmp_path / "m.pt"
    with zipfile.ZipFile(good, "w") as zf:
        zf.writestr("archive/data.pkl", b"x" * 10)
        zf.writestr("archive/data/0", b"y" * 100)
    assert check_zip(good) == [("archive/data.pkl", 10), ("archive/data/0", 100)]
    dup = tmp_path / "dup.pt"
    with zipfile.ZipFile(dup, "w") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zf.writestr("archive/data/0", b"a")
        zf.writestr("archive/data/0", b"b")
    with pytest.raises(ArchiveError, match="twice"):
        check_zip(dup)
    (tmp_path / "no.pt").write_bytes(b"\x80\x02pickle")
    with pytest.raises(ArchiveError, match="not a valid .npz") as info:
        check_zip(tmp_path / "no.pt")
    assert info.value.kind == "not_zip"


def test_a_member_without_a_name_is_refused_in_words(tmp_path):
    # Found by the checkpoint fuzz test: a flipped byte in a central-directory entry left a member
    # named "", on which zipfile's own is_dir() raised IndexError (a traceback, not a message).
    path = tmp_path / "damaged.npz"
    buffer = io.BytesIO()
    np.savez(buffer, a=np.zeros(3))
    raw = bytearray(buffer.getvalue())
    central = raw.rindex(b"PK\x01\x02")
    name, extra, comment = (int.from_bytes(raw[central + i:central + i + 2], "little") for i in (28, 30, 32))
    # the entry's name and extra field become part of its comment: its name is empty
    raw[central + 28:central + 34] = b"\x00\x00\x00\x00" + (name + extra + comment).to_bytes(2, "little")
    path.write_bytes(bytes(raw))
    with pytest.raises(ArchiveError, match="without a name") as info:
        open_archive(path, "checkpoint")
    assert str(path) in str(info.value) and info.value.kind == "corrupt"


def test_read_npy_follows_the_same_rules(tmp_path):
    buf = io.BytesIO()
    np.save(buf, np.arange(6.0).reshape(2, 3))
    (tmp_path / "a.npy").write_bytes(buf.getvalue())
    np.testing.assert_array_equal(read_npy(tmp_path / "a.npy", Entry(kinds="f", shape=(2, 3))), np.arange(6.0).reshape(2, 3))
    with pytest.raises(ArchiveError, match="expected"):
        read_npy(tmp_path / "a.npy", Entry(shape=(6,)))


@pytest.mark.parametrize("text, fragment", [
    ("[" * 65 + "]" * 65, "nested 65 levels deep; at most 64"),
    ('{"a": ' + "1" * 101 + "}", "101 digits"),
    ('{"a": NaN}', "NaN is not a number JSON allows"),
    ('{"a": 1', "not valid JSON"),
    ("x" * 20, "at most 10 allowed"),
])
def test_parse_json_bounds(text, fragment):
    with pytest.raises(ArchiveError, match=fragment):
        parse_json(text, "f.npz[config]", max_chars=10 if fragment.startswith("at most 10") else archive.MAX_JSON_CHARS)


def test_brackets_inside_json_strings_are_not_depth():
    assert parse_json('{"a": "' + "[" * 500 + '"}', "x") == {"a": "[" * 500}
