"""CSV and TSV: header and time column detection, column choice, missing values, split, z-scores, windows."""
import numpy as np
import pytest

from rnn_viz.data import DataError

from .conftest import series_csv


def test_default_is_every_numeric_column_in_and_the_next_step_out(load_file):
    ds = load_file("s.csv", series_csv(40), seq_len=5, val_fraction=0.25)
    assert ds.loss == "mse" and ds.allowed_losses == ("mse",)
    assert ds.input_names == ("t", "temp", "hum") and ds.output_names == ds.input_names
    assert ds.input_size == ds.output_size == 3 and ds.seq_len == 5
    b = ds.sample(np.random.default_rng(0), 8)
    assert b.inputs.shape == (8, 5, 3) and b.targets.shape == (8, 5, 3) and b.mask.all()
    np.testing.assert_allclose(b.targets[:, :-1], b.inputs[:, 1:]), "targets are the next step"
    assert ds.details["train_size"] == 30 and ds.details["val_size"] == 10
    assert ds.validation.inputs.shape == (1, 5, 3)  # 10 held-out steps: one window of 5 + 1


def test_windows_come_from_the_training_part_only_and_follow_the_stride(load_file):
    text = "x\n" + "".join(f"{i}\n" for i in range(100))
    ds = load_file("r.csv", text, seq_len=4, val_fraction=0.2, stride=3, normalize=False)
    seen = set()
    rng = np.random.default_rng(0)
    for _ in range(50):
        b = ds.sample(rng, 16)
        seen.update(b.inputs[:, 0, 0].astype(int).tolist())
        assert b.targets.max() <= 79, "no target from the held-out last 20 steps"
    assert seen == set(range(0, 76, 3))
    np.testing.assert_array_equal(ds.validation.inputs[:, 0, 0], [80, 84, 88, 92])
    assert ds.chance_accuracy is None


def test_z_scores_use_training_statistics(load_file):
    values = np.r_[np.arange(80.0), np.full(20, 1000.0)]
    text = "v\n" + "".join(f"{v}\n" for v in values)
    ds = load_file("z.csv", text, seq_len=4, val_fraction=0.2)
    train = values[:80]
    assert ds.details["input_mean"][0] == pytest.approx(train.mean())
    assert ds.details["input_std"][0] == pytest.approx(train.std())
    assert ds.validation.inputs.max() == pytest.approx((1000 - train.mean()) / train.std())
    assert ds.chance_loss == pytest.approx(1.0, abs=0.05)
    assert "z-scores with the training part" in ds.summary


def test_choose_columns_by_name_and_index_and_horizon(load_file):
    ds = load_file("s.csv", series_csv(40), inputs=["temp", 2], targets=["hum"], horizon=3, normalize=False)
    assert ds.input_names == ("temp", "hum") and ds.output_names == ("hum",)
    b = ds.sample(np.random.default_rng(0), 4)
    np.testing.assert_array_equal(b.targets[:, :-3, 0], b.inputs[:, 3:, 1])
    assert "3 steps ahead" in ds.summary


def test_unknown_column_and_index_out_of_range(load_file):
    with pytest.raises(DataError, match=r'data\.inputs: s\.csv has no column named "pressure"; its columns: t, temp, hum'):
        load_file("s.csv", series_csv(40), inputs=["pressure"])
    with pytest.raises(DataError, match=r"data\.targets: column index 7 is out of range; s\.csv has columns 0 to 2"):
        load_file("s.csv", series_csv(40), targets=[7])


def test_header_is_optional_and_detected(load_file):
    ds = load_file("n.csv", series_csv(40, header=None))
    assert ds.input_names == ("column 0", "column 1", "column 2")
    ds = load_file("n.csv", series_csv(40, header="a,b,c"), header=True)
    assert ds.input_names == ("a", "b", "c")


def test_explicit_header_false_reads_a_text_first_row_as_data(load_file):
    with pytest.raises(DataError, match=r'row 1, column 1: "temp" is not a number \(if this row is a header'):
        load_file("h.csv", "1,temp\n" + "".join(f"{i},{i * i}\n" for i in range(10)), header=False)


def test_date_first_column_is_recognised_and_skipped(load_file):
    rows = ["when,load"] + [f"2024-01-{d:02d} 12:00,{d * 1.5}" for d in range(1, 29)]
    ds = load_file("d.csv", "\n".join(rows), seq_len=3)
    assert ds.input_names == ("load",)
    assert 'time column "when" recognised and skipped (2024-01-01 12:00 to 2024-01-28 12:00)' in ds.summary


def test_date_column_without_header_and_time_name_with_numbers(load_file):
    rows = [f"2024-02-{d:02d},{d % 5}" for d in range(1, 29)]
    assert load_file("d.csv", "\n".join(rows), seq_len=3).input_names == ("column 1",)
    rows = ["year,gdp"] + [f"{1990 + i},{i * i % 7}" for i in range(30)]
    assert load_file("y.csv", "\n".join(rows), seq_len=3).input_names == ("gdp",)


def test_gaps_in_the_dates_are_reported(load_file):
    days = [1, 2, 3, 4, 7, 8, 9, 10, 11, 12, 13, 14]
    rows = ["date,x"] + [f"2024-03-{d:02d},{d % 4}" for d in days]
    ds = load_file("g.csv", "\n".join(rows), seq_len=3, val_fraction=0)
    assert "not evenly spaced" in ds.summary and "2024-03-04 and 2024-03-07" in ds.summary


def test_text_columns_are_left_out_by_default_and_refused_when_chosen(load_file):
    rows = ["station,temp"] + [f"north,{i % 6}" for i in range(30)]
    ds = load_file("t.csv", "\n".join(rows))
    assert ds.input_names == ("temp",) and 'column "station" (text)' in ds.summary
    with pytest.raises(DataError, match=r'data\.inputs: t\.csv, column "station" cannot be used: it holds text, not numbers \(row 2: "north"\)'):
        load_file("t.csv", inputs=["station"])


def test_semicolon_separated_with_comma_decimals_is_detected(load_file):
    with pytest.raises(DataError, match=r'row 3, column "b": "2,5" is not a number \(write numbers with a decimal point'):
        load_file("e.csv", "a;b\n1;2\n2;2,5\n")


def test_tsv_and_utf16_and_bom_and_crlf(load_file):
    tsv = series_csv(30, header="a\tb\tc", sep="\t")
    assert load_file("x.tsv", tsv).input_size == 3
    assert load_file("x16.tsv", tsv.encode("utf-16")).input_size == 3
    assert load_file("bom.csv", ("\ufeff" + series_csv(30)).replace("\n", "\r\n").encode("utf-8")).input_names[0] == "t"


def test_quoted_cells_comments_blank_lines_and_trailing_separators(load_file):
    text = '# weather log\n"a","b"\n\n' + "".join(f'"{i}",{i % 3},\n' for i in range(20))
    ds = load_file("q.csv", text, normalize=False)
    assert ds.input_names == ("a", "b")


def test_duplicate_header_names_get_a_suffix(load_file):
    ds = load_file("dup.csv", "a,a\n" + "".join(f"{i},{i % 3}\n" for i in range(20)))
    assert ds.input_names == ("a", "a.1")


# ------------------------------------------------------------------ missing values
GAPPY = "x,y\n" + "".join(
    f"{'' if i in (5, 6, 7) else i},{'NA' if i == 12 else ('NaN' if i == 30 else i * 2)}\n" for i in range(40))


def test_missing_values_are_counted_located_and_interpolated_by_default(load_file):
    ds = load_file("m.csv", GAPPY, normalize=False, val_fraction=0)
    assert 'missing values: 5 (column "x": 3 (rows 7-9); column "y": 2 (rows 14, 32)), filled by linear interpolation' in ds.summary
    assert ds.details["filled"] == 5
    rng = np.random.default_rng(0)
    xs = np.concatenate([ds.sample(rng, 64).inputs[..., 0].ravel() for _ in range(5)])
    assert {5.0, 6.0, 7.0} <= set(xs.tolist()), "interpolated across the gap"


def test_spreadsheet_na_markers_are_missing_not_comments(load_file):
    text = "a,b\n" + "".join(f"{'#N/A' if i == 3 else i},{i % 4}\n" for i in range(20))
    ds = load_file("na.csv", text, val_fraction=0)
    assert 'missing values: 1 (column "a": 1 (row 5))' in ds.summary


def test_forward_fill(load_file):
    ds = load_file("m.csv", GAPPY, normalize=False, val_fraction=0, missing="ffill", seq_len=10)
    rng = np.random.default_rng(0)
    seen = np.concatenate([ds.sample(rng, 64).inputs[..., 0] for _ in range(5)])
    assert not {5.0, 6.0, 7.0} & set(seen.ravel().tolist())
    assert "carrying the last value forward" in ds.summary


def test_drop_removes_the_rows(load_file):
    ds = load_file("m.csv", GAPPY, normalize=False, val_fraction=0, missing="drop")
    assert "35 time steps (5 rows dropped for missing values)" in ds.summary


def test_leading_gap_is_filled_from_the_first_value(load_file):
    text = "x\nNA\nnan\n" + "".join(f"{i}\n" for i in range(2, 20))
    for policy in ("interpolate", "ffill"):
        b = load_file("l.csv", text, normalize=False, val_fraction=0, missing=policy, seq_len=19).sample(np.random.default_rng(0), 1)
        np.testing.assert_array_equal(b.inputs[0, :3, 0], [2, 2, 2])


def test_a_column_with_no_values_is_left_out_unless_chosen(load_file):
    text = "a,b\n" + "".join(f"{i},\n" for i in range(20))
    assert load_file("e.csv", text).input_names == ("a",)
    with pytest.raises(DataError, match=r'column "b" cannot be used: every cell is empty'):
        load_file("e.csv", text, inputs=["b"])
