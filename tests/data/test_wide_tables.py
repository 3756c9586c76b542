"""Wide tables (a period per row, sub-periods as columns) and year + quarter/month time columns."""
from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest

from rnn_viz.data import DataError, inspect_file, load_dataset
from rnn_viz.data.window_keys import window_keys

MONTHS = "Jan,Feb,Mar,Apr,May,Jun,Jul,Aug,Sep,Oct,Nov,Dec".split(",")


def _wide(tmp_path, years=6):
    lines = ["Year," + ",".join(MONTHS)]
    lines += [f"{2000 + y}," + ",".join(f"{100 * y + m}" for m in range(12)) for y in range(years)]
    path = tmp_path / "passengers.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_wide_table_is_one_series_in_row_major_order_named_after_the_file(tmp_path):
    ds = load_dataset({"source": "file", "path": str(_wide(tmp_path)), "layout": "wide", "seq_len": 10,
                       "normalize": False, "val_fraction": 0})
    assert ds.input_names == ("passengers",) and ds.input_size == 1
    batch = ds.sample(np.random.default_rng(0), 5)
    keys = window_keys(ds, batch)
    for b in range(5):
        r0 = int(keys["data/row_start"][b])
        expected = [100 * (i // 12) + i % 12 for i in range(r0, r0 + 10)]
        np.testing.assert_array_equal(batch.inputs[b, :, 0], expected)
        first = datetime(2000 + r0 // 12, r0 % 12 + 1, 1, tzinfo=timezone.utc).timestamp()
        assert keys["data/time"][b, 0] == first
    assert str(keys["data/time_name"]) == "Year"


def test_wide_refuses_chosen_columns_text_and_arrays(tmp_path):
    path = _wide(tmp_path)
    with pytest.raises(DataError, match='data.inputs must be empty with data.layout = "wide"'):
        load_dataset({"source": "file", "path": str(path), "layout": "wide", "inputs": ["Jan"], "seq_len": 5})
    bad = tmp_path / "bad.csv"
    bad.write_text("Year,Q1,Note\n2000,1,x\n2001,2,y\n")
    with pytest.raises(DataError, match='column "Note" holds text'):
        load_dataset({"source": "file", "path": str(bad), "layout": "wide", "seq_len": 1})
    arr = tmp_path / "a.npy"
    np.save(arr, np.zeros((20, 2)))
    with pytest.raises(DataError, match="is for tables"):
        load_dataset({"source": "file", "path": str(arr), "layout": "wide", "seq_len": 5})
    with pytest.raises(DataError, match="data.layout"):
        load_dataset({"source": "file", "path": str(path), "layout": "tall", "seq_len": 5})


@pytest.mark.parametrize("kind, count, month", [("quarter", 4, lambda q: 3 * (q - 1) + 1), ("month", 12, lambda m: m)])
def test_year_with_quarter_or_month_is_the_time_axis_not_a_feature(tmp_path, kind, count, month):
    lines = [f"year,{kind},sales"]
    lines += [f"{2010 + i // count},{i % count + 1},{i * 1.5}" for i in range(3 * count)]
    path = tmp_path / "sales.csv"
    path.write_text("\n".join(lines) + "\n")
    ds = load_dataset({"source": "file", "path": str(path), "seq_len": 4, "val_fraction": 0})
    assert ds.input_names == ("sales",)  # year and the quarter/month are not features
    keys = window_keys(ds, ds.sample(np.random.default_rng(1), 3))
    for b, r0 in enumerate(keys["data/row_start"]):
        i = int(r0)
        assert keys["data/time"][b, 0] == datetime(2010 + i // count, month(i % count + 1), 1,
                                                  tzinfo=timezone.utc).timestamp()
    preview = inspect_file(path, {"source": "file", "path": str(path), "seq_len": 4})
    assert preview.numeric == (False, False, True)
    assert any(f'column "year" with column "{kind}" recognised' in note for note in preview.notes)


def test_a_month_column_with_other_values_stays_a_feature(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("year,month,x\n2000,13,1\n2001,2,2\n2002,3,3\n2003,4,4\n")
    ds = load_dataset({"source": "file", "path": str(path), "seq_len": 2, "val_fraction": 0})
    assert ds.input_names == ("month", "x")
