"""inspect_file: what the "Open sequence" dialog shows, and the shipped sample file."""

import numpy as np
import pytest

from rnn_viz.data import DataError, FilePreview, inspect_file, load_dataset
from rnn_viz.package_data import resource_path

SAMPLE = resource_path("samples", "weather_daily.csv")


def test_preview_of_a_table(tmp_path):
    path = tmp_path / "w.csv"
    rows = ["date,temp,station"] + [f"2024-05-{d:02d},{'' if d == 9 else d % 7},north" for d in range(1, 31)]
    path.write_text("\n".join(rows), encoding="utf-8")
    p = inspect_file(path, {"seq_len": 5})
    assert isinstance(p, FilePreview) and p.kind == "table" and p.error is None
    assert p.columns == ("date", "temp", "station") and p.numeric == (False, True, False)
    assert p.header is True and p.time_column == "date" and p.delimiter == ","
    assert p.rows[0] == ("2024-05-01", "1", "north") and len(p.rows) == 10
    assert [(m.column, m.count, m.where) for m in p.missing] == [('column "temp"', 1, "row 10")]
    assert "filled by linear interpolation" in p.missing_text
    assert p.summary.startswith("w.csv: 30 time steps")


def test_preview_keeps_going_when_the_choices_do_not_fit(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("a,b\n" + "".join(f"{i},{i % 3}\n" for i in range(10)), encoding="utf-8")
    p = inspect_file(path, {"seq_len": 50, "source": "sine", "components": 3})
    assert p.error.startswith("s.csv: the series has 10 time steps, but a window needs data.seq_len + 1 = 51")
    assert p.columns == ("a", "b") and "10 time steps, 2 numeric column(s)" in p.summary
    p = inspect_file(path, {"seq_len": 3, "inputs": ["c"]})
    assert p.error.startswith('data.inputs: s.csv has no column named "c"')


def test_preview_raises_for_a_bad_file_like_load_dataset(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n3\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"^bad\.csv: row 3 has 1 cell, but the header has 2"):
        inspect_file(path)
    with pytest.raises(DataError, match=r"no such file"):
        inspect_file(tmp_path / "nope.npy")


def test_preview_of_arrays_and_text(tmp_path):
    np.save(tmp_path / "q.npy", np.random.default_rng(0).normal(size=(6, 20, 2)))
    p = inspect_file(tmp_path / "q.npy", {"seq_len": 5})
    assert p.kind == "sequences" and p.shape == (6, 20, 2) and p.columns == ("0", "1") and p.header is None
    (tmp_path / "t.txt").write_text("one line\nanother line\n" * 10, encoding="utf-8")
    p = inspect_file(tmp_path / "t.txt", {"seq_len": 5})
    assert p.kind == "text" and p.rows[0] == ("one line",) and "vocabulary of" in p.summary


def test_relative_path_is_taken_from_base_dir(tmp_path):
    (tmp_path / "r.csv").write_text("v\n" + "".join(f"{i % 5}\n" for i in range(30)), encoding="utf-8")
    assert inspect_file("r.csv", {"seq_len": 4}, base_dir=tmp_path).error is None
    assert load_dataset({"source": "file", "path": "r.csv", "seq_len": 4}, str(tmp_path), 0).input_size == 1


def test_the_shipped_sample_has_a_date_column_and_a_gap_and_loads_with_defaults():
    ds = load_dataset({"source": "file", "path": str(SAMPLE)}, None, 0)
    assert ds.input_names == ("temp_c", "humidity_pct") and ds.seq_len == 50 and ds.validation is not None
    assert 'time column "date" recognised and skipped' in ds.summary
    assert "missing values: 4" in ds.summary and "filled by linear interpolation" in ds.summary
    assert "not evenly spaced" in ds.summary
    p = inspect_file(SAMPLE)
    assert p.time_column == "date" and sum(m.count for m in p.missing) == 4
