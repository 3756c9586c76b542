"""Every error case of issue 3, one test each: a DataError whose message a person can act on."""
import io
import os
import pickle

import numpy as np
import pytest

from rnn_viz.data import DataError, load_dataset
from rnn_viz.data import files as files_module
from rnn_viz.data import reading

from .conftest import series_csv


def test_data_error_is_a_value_error():
    assert issubclass(DataError, ValueError)


def test_empty_file(load_file):
    with pytest.raises(DataError, match=r"^e\.csv: the file is empty"):
        load_file("e.csv", "")
    with pytest.raises(DataError, match=r"^w\.csv: the file is empty"):
        load_file("w.csv", "\n\n  \n")
    with pytest.raises(DataError, match=r"^e\.txt: the file is empty"):
        load_file("e.txt", "")


def test_only_a_header(load_file):
    with pytest.raises(DataError, match=r"^h\.csv: holds only a header \(date, temp\) and no rows of data"):
        load_file("h.csv", "date,temp\n")


def test_non_numeric_cell_names_row_column_and_cell(load_file):
    rows = ["date;temp"] + [f"2024-01-{d:02d};{d}.5" for d in range(1, 16)] + ["2024-01-16;12,5", "2024-01-17;3"]
    with pytest.raises(DataError) as err:
        load_file("my.csv", "\n".join(rows))
    assert str(err.value).startswith('my.csv: row 17, column "temp": "12,5" is not a number')


def test_non_numeric_cell_in_a_headerless_file(load_file):
    with pytest.raises(DataError, match=r'^n\.csv: row 3, column 1: "oops" is not a number'):
        load_file("n.csv", "1,2\n3,4\n5,oops\n")


def test_ragged_rows(load_file):
    with pytest.raises(DataError, match=r"^r\.csv: row 4 has 2 cells, but the header has 3"):
        load_file("r.csv", "a,b,c\n1,2,3\n4,5,6\n7,8\n9,10,11\n")


def test_wrong_encoding(load_file):
    with pytest.raises(DataError) as err:
        load_file("l.csv", "city,temp\nMünchen,3\n".encode("latin-1"))
    assert str(err.value) == ("l.csv: not UTF-8 text: byte 0xFC at line 2, column 2 cannot be decoded; "
                              "save the file as UTF-8")


def test_binary_file_with_a_text_extension(load_file):
    with pytest.raises(DataError, match=r"^b\.csv: looks like a binary file, not text"):
        load_file("b.csv", bytes(range(256)) * 3)
    with pytest.raises(DataError, match=r"^b\.txt: looks like a binary file"):
        load_file("b.txt", b"abc\x00def" * 20)
    buf = io.BytesIO()
    np.save(buf, np.arange(5.0))
    with pytest.raises(DataError, match=r"^n\.csv: is a NumPy array \(\.npy\), not text; give it the \.npy extension"):
        load_file("n.csv", buf.getvalue())


def test_npy_with_pickled_objects_is_refused_with_the_reason(load_file, tmp_path):
    np.save(tmp_path / "o.npy", np.array([{"a": 1}, [2]], dtype=object), allow_pickle=True)
    with pytest.raises(DataError) as err:
        load_file("o.npy")
    msg = str(err.value)
    assert msg.startswith("o.npy: holds Python objects") and "refused" in msg and "arbitrary code" in msg


def test_a_raw_pickle_named_npy_is_refused(load_file):
    with pytest.raises(DataError, match=r"^p\.npy: is a Python pickle.*refused because loading one can run arbitrary code"):
        load_file("p.npy", pickle.dumps({"x": [1, 2, 3]}))


def test_npz_member_with_pickled_objects_is_refused(load_file, tmp_path):
    np.savez(tmp_path / "o.npz", inputs=np.array([None, 1], dtype=object), targets=np.zeros(2))
    with pytest.raises(DataError, match=r"^o\.npz\[inputs\]: holds Python objects"):
        load_file("o.npz")


def test_array_of_the_wrong_rank(load_file, tmp_path):
    np.save(tmp_path / "r.npy", np.zeros((2, 3, 4, 5)))
    with pytest.raises(DataError, match=r"^r\.npy: holds a 4-D array \(shape \(2, 3, 4, 5\)\); expected 1-D or 2-D"):
        load_file("r.npy")
    np.save(tmp_path / "s.npy", np.float64(3.0))
    with pytest.raises(DataError, match=r"^s\.npy: holds a 0-D array"):
        load_file("s.npy")


def test_series_shorter_than_seq_len_plus_one(load_file):
    with pytest.raises(DataError) as err:
        load_file("s.csv", "v\n1\n2\n3\n4\n5\n", seq_len=5)
    assert str(err.value) == ("s.csv: the series has 5 time steps, but a window needs data.seq_len + 1 = 6; "
                              "lower data.seq_len to at most 4")
    with pytest.raises(DataError, match=r"^t\.txt: the text has 4 characters, but a window needs data\.seq_len \+ 1 = 6"):
        load_file("t.txt", "abcd", seq_len=5)


def test_training_part_shorter_than_a_window(load_file):
    with pytest.raises(DataError, match=r"^s\.csv: the training part \(10 of 20 steps, data\.val_fraction = 0\.5\) is shorter"):
        load_file("s.csv", "v\n" + "".join(f"{i}\n" for i in range(20)), seq_len=12, val_fraction=0.5)


def test_constant_column(load_file):
    text = "a,flag\n" + "".join(f"{i},3\n" for i in range(30))
    with pytest.raises(DataError) as err:
        load_file("c.csv", text)
    msg = str(err.value)
    assert msg.startswith('c.csv: column "flag" is constant (3 everywhere in the training part)')
    assert "data.normalize = false" in msg
    assert load_file("c.csv", text, normalize=False).input_size == 2


def test_file_too_large_for_memory_is_refused_before_it_is_read(load_file, tmp_path, monkeypatch):
    (tmp_path / "big.csv").write_text(series_csv(200), encoding="utf-8")
    monkeypatch.setattr(reading, "memory_budget", lambda: 1000)

    def never(path):
        raise AssertionError("the file was read although it cannot fit")

    monkeypatch.setattr(files_module, "read_bytes", never)
    with pytest.raises(DataError, match=r"^big\.csv: too large to load: parsing it needs about .* of memory, but only 1000 bytes can be spared"):
        load_file("big.csv")


def test_npy_too_large_for_memory_is_refused_from_its_header(load_file, tmp_path, monkeypatch):
    np.save(tmp_path / "big.npy", np.zeros((1000, 3)))
    monkeypatch.setattr(reading, "memory_budget", lambda: 10_000)
    monkeypatch.setattr(np, "frombuffer", lambda *a, **k: pytest.fail("data read before the size check"))
    with pytest.raises(DataError, match=r"^big\.npy: too large to load: an array of shape \(1000, 3\) needs about"):
        load_file("big.npy")


def test_path_that_does_not_exist(tmp_path):
    with pytest.raises(DataError) as err:
        load_dataset({"source": "file", "path": "missing.csv"}, tmp_path, 0)
    assert str(err.value) == f"missing.csv: no such file (looked for {tmp_path / 'missing.csv'})"


def test_path_that_cannot_be_read(load_file, tmp_path, monkeypatch):
    (tmp_path / "locked.csv").write_text(series_csv(20), encoding="utf-8")
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if str(p).endswith("locked.csv") else real_access(p, mode))
    with pytest.raises(DataError, match=r"^locked\.csv: cannot be read: permission denied"):
        load_file("locked.csv")


def test_read_failure_is_a_data_error(load_file, tmp_path, monkeypatch):
    (tmp_path / "io.csv").write_text(series_csv(20), encoding="utf-8")

    def broken_open(*args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(reading, "open", broken_open, raising=False)
    with pytest.raises(DataError, match=r"^io\.csv: cannot be read \(Input/output error\)"):
        load_file("io.csv")


def test_a_folder_is_not_a_file(load_file, tmp_path):
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(DataError, match=r"^dir\.csv: is a folder, not a file"):
        load_file("dir.csv")


def test_unsupported_extension(load_file):
    with pytest.raises(DataError, match=r'^d\.xlsx: unsupported file type \("\.xlsx"\); allowed: \.csv, \.tsv, \.npy, \.npz, \.txt'):
        load_file("d.xlsx", "a,b\n1,2\n")


def test_no_numeric_column(load_file):
    with pytest.raises(DataError, match=r'^w\.csv: no column holds numbers; e\.g\. column "name": it holds text'):
        load_file("w.csv", "name,city\nann,oslo\nbob,rome\n")
