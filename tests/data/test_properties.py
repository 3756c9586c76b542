"""Malformed input, thousands of times: every loader either loads or raises DataError, nothing else."""
from __future__ import annotations

import io
import os
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from rnn_viz.data import DataError, inspect_file, load_dataset

# 400 examples per loader keeps the suite fast; RNN_VIZ_FUZZ_EXAMPLES=5000 digs deeper before a release.
EXAMPLES = int(os.environ.get("RNN_VIZ_FUZZ_EXAMPLES", "400"))
FAST = settings(deadline=None, max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def _check_batch(ds):
    """A dataset that loaded must give batches the engine can take."""
    b = ds.sample(np.random.default_rng(0), 3)
    B, T = b.mask.shape
    assert (B, T) == (3, ds.seq_len)
    assert b.inputs.shape == (3, ds.seq_len, ds.input_size) and b.inputs.dtype == np.float64
    assert np.isfinite(b.inputs).all()
    assert b.mask.dtype == bool and b.mask.any(axis=1).all()
    if ds.loss == "cross_entropy":
        assert b.targets.shape == (3, ds.seq_len) and b.targets.dtype == np.int64
        assert ((b.targets[b.mask] >= 0) & (b.targets[b.mask] < ds.output_size)).all()
    else:
        assert b.targets.shape == (3, ds.seq_len, ds.output_size)
        assert np.isfinite(b.targets).all()
    assert np.isfinite(ds.chance_loss)


def _loads_or_refuses(path, section, with_preview=False):
    try:
        ds = load_dataset({"source": "file", "path": str(path), **section}, path.parent, 0)
    except DataError as exc:
        assert str(exc), "a DataError must carry a message"
        outcome = "refused"
    else:
        _check_batch(ds)
        outcome = "loaded"
    event(outcome)
    if with_preview:
        try:
            preview = inspect_file(path, section)
        except DataError:
            assert outcome == "refused", "inspect_file refused a file that load_dataset accepted"
        else:
            assert (preview.error is None) == (outcome == "loaded")
    return outcome


CELLS = st.sampled_from([
    "1", "-2.5", "3e2", ".5", "+7", "0", "", " ", "NA", "nan", "NaN", "null", "?", "abc", "12,5", "1,234.5",
    "2024-01-03", "2024-01-03T10:00", "10:30", "inf", "-inf", "1e999", '"4"', '"a,b"', '"', "#", "x y", "é",
    "\x00", "1_0", "0x1F", "TRUE", "--1", "1.2.3", "9" * 30,
])
SECTION = st.fixed_dictionaries({
    "seq_len": st.integers(1, 6),
    "header": st.sampled_from(["auto", True, False]),
    "missing": st.sampled_from(["interpolate", "ffill", "drop"]),
    "val_fraction": st.sampled_from([0.0, 0.2, 0.5, 0.9]),
    "horizon": st.integers(0, 2),
    "normalize": st.booleans(),
    "inputs": st.one_of(st.just([]), st.lists(st.one_of(st.integers(0, 4), st.sampled_from(["a", "b", "temp"])),
                                              max_size=2, unique=True)),
    "targets": st.one_of(st.just([]), st.lists(st.integers(0, 3), max_size=2, unique=True)),
})


def _table_text(draw_rows, delim):
    return "".join(delim.join(r) + nl for r, nl in draw_rows)


@st.composite
def tables(draw, delims):
    ncols = draw(st.integers(1, 4))
    rows = []
    if draw(st.booleans()):
        rows.append((draw(st.lists(st.sampled_from(["a", "b", "temp", "date", "", "x"]), min_size=ncols, max_size=ncols)), "\n"))
    bad = st.lists(st.tuples(st.lists(CELLS, min_size=max(0, ncols - 1), max_size=ncols + 1),
                             st.sampled_from(["\n", "\r\n", "\r", "\n\n"])), max_size=30)
    good = st.lists(st.tuples(st.lists(st.sampled_from(["1", "2.5", "-3", "4e-1", "", "7", "NA", "0.25"]),
                                       min_size=ncols, max_size=ncols), st.just("\n")), min_size=5, max_size=25)
    # Mostly-good tables get through the parser, so windowing and filling are exercised too.
    rows += draw(st.one_of(bad, good, good, st.tuples(good, bad).map(lambda p: p[0] + p[1][:1])))
    text = _table_text(rows, draw(st.sampled_from(delims)))
    if draw(st.integers(0, 9)) == 0:
        text = draw(st.text(max_size=200))
    return text


@FAST
@given(text=tables([",", ";", "\t"]), section=SECTION, delimiter=st.sampled_from(["auto", ",", ";"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]))
def test_csv_loads_or_raises_data_error(folder, text, section, delimiter, encoding):
    path = folder / "fuzz.csv"
    path.write_bytes(text.encode(encoding, "replace"))
    _loads_or_refuses(path, {**section, "delimiter": delimiter}, with_preview=True)


@FAST
@given(text=tables(["\t", ","]), section=SECTION)
def test_tsv_loads_or_raises_data_error(folder, text, section):
    path = folder / "fuzz.tsv"
    path.write_text(text, encoding="utf-8")
    _loads_or_refuses(path, section)


SHAPES = st.one_of(st.integers(3, 30).map(lambda n: (n,)), st.tuples(st.integers(3, 30), st.integers(1, 3)),
                   st.tuples(st.integers(1, 6), st.integers(3, 10), st.integers(1, 3)),
                   st.lists(st.integers(0, 6), min_size=0, max_size=5).map(tuple))
ARRAYS = st.one_of(
    st.builds(lambda shape, dt, seed: (np.random.default_rng(seed).normal(size=shape) * 3).astype(dt),
              SHAPES, st.sampled_from(["f8", "f4", "i4", "u1", ">f8", "<i8"]), st.integers(0, 3)),
    st.builds(lambda shape, dt, seed: np.random.default_rng(seed).normal(size=shape).astype(dt),
              st.lists(st.integers(0, 6), min_size=0, max_size=5).map(tuple),
              st.sampled_from(["f8", "f4", "f2", "i4", "u1", "?", ">f8", "c16"]), st.integers(0, 3)),
    st.builds(lambda n: np.where(np.arange(n) % 3 == 0, np.nan, np.arange(n, dtype=float)), st.integers(0, 20)),
    st.builds(lambda n: np.full((n, 2), 1.0), st.integers(0, 10)),
    st.builds(lambda n: np.array(["a"] * n), st.integers(1, 4)),
    st.just(np.array([np.inf, 1.0, 2.0, 3.0, 4.0, 5.0])),
)


def _npy_bytes(arr, allow_pickle=False):
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=allow_pickle)
    return buf.getvalue()


def _mutate(draw, data: bytes) -> bytes:
    how = draw(st.sampled_from(["keep", "keep", "truncate", "flip", "insert", "header"]))
    if not data or how == "keep":
        return data
    at = draw(st.integers(0, len(data) - 1))
    if how == "truncate":
        return data[:at]
    if how == "flip":
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]
    if how == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    return data[:10] + draw(st.binary(max_size=40)) + data[10:]


@st.composite
def npy_files(draw):
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.binary(max_size=200))
    if kind == 1:
        header = draw(st.sampled_from([
            "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }",
            "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
            "{'descr': '<f8', 'fortran_order': False, 'shape': (-3,), }",
            "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2,), }",
            "{'descr': '<f8', 'shape': (2,)}", "not a dict at all", "{'descr': 'zz', 'fortran_order': 1, 'shape': 3}",
        ]))
        raw = header.encode("latin-1") + b" " * 3 + b"\n"
        return b"\x93NUMPY\x01\x00" + len(raw).to_bytes(2, "little") + raw + draw(st.binary(max_size=64))
    if kind == 2:
        return _npy_bytes(np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    return _mutate(draw, _npy_bytes(draw(ARRAYS)))


@FAST
@given(data=npy_files(), section=SECTION.map(lambda s: {**s, "inputs": [], "targets": []}))
def test_npy_loads_or_raises_data_error(folder, data, section):
    path = folder / "fuzz.npy"
    path.write_bytes(data)
    _loads_or_refuses(path, section)


@st.composite
def npz_files(draw):
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300))
    names = draw(st.one_of(
        st.lists(st.sampled_from(["inputs", "targets", "mask", "x", "series"]), min_size=0, max_size=3, unique=True),
        st.sampled_from([["inputs", "targets"], ["inputs", "targets", "mask"], ["x"]])))
    N, T = draw(st.integers(0, 6)), draw(st.integers(0, 9))
    rng = np.random.default_rng(draw(st.integers(0, 3)))
    choices = {
        "inputs": [rng.normal(size=(N, T, 2)), rng.normal(size=(N, T)), rng.normal(size=(T,)), np.full((N, T), np.nan)],
        "targets": [rng.integers(-1, 4, size=(N, T)), rng.normal(size=(N, T, 1)), rng.normal(size=(N + 1, T)),
                    np.zeros((N, T), dtype=bool), np.full((N, T), np.nan)],
        "mask": [rng.random((N, T)) < 0.3, np.zeros((N, T)), rng.integers(0, 3, size=(N, T)), np.ones((N, T + 1), bool)],
        "x": [rng.normal(size=(T, 2)), rng.normal(size=(N, T, 1))],
        "series": [rng.normal(size=(T,))],
    }
    buf = io.BytesIO()
    compression = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name in names:
            zf.writestr(name + ".npy", _npy_bytes(draw(st.sampled_from(choices[name]))))
        if draw(st.booleans()):
            zf.writestr("readme.txt", "not an array")
    return _mutate(draw, buf.getvalue())


@FAST
@given(data=npz_files(), section=SECTION.map(lambda s: {**s, "inputs": [], "targets": []}))
def test_npz_loads_or_raises_data_error(folder, data, section):
    path = folder / "fuzz.npz"
    path.write_bytes(data)
    _loads_or_refuses(path, section)


@FAST
@given(data=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
                      st.text(alphabet="ab \n", max_size=60).map(str.encode)),
       seq_len=st.integers(1, 20), val_fraction=st.sampled_from([0.0, 0.1, 0.5]))
def test_txt_loads_or_raises_data_error(folder, data, seq_len, val_fraction):
    path = folder / "fuzz.txt"
    path.write_bytes(data)
    outcome = _loads_or_refuses(path, {"seq_len": seq_len, "val_fraction": val_fraction})
    try:
        ds = load_dataset({"source": "text", "path": "fuzz.txt", "seq_len": seq_len, "val_fraction": val_fraction}, folder, 0)
    except DataError:
        return
    assert outcome == "loaded"
    _check_batch(ds)
