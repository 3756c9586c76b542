"""trace.npz, metrics.csv and checkpoints: round-trips, and clear errors for bad files."""
import json
import math
import zipfile

import numpy as np
import pytest

from rnn_viz.experiment.io import (
    MetricsWriter,
    RunFileError,
    load_checkpoint,
    read_metrics,
    read_trace,
    save_checkpoint,
    write_trace,
)

CONFIG_JSON = json.dumps({"data": {"source": "sine"}, "model": {"cell": "rnn"}})


def _trace():
    rng = np.random.default_rng(0)
    return {
        "inputs": rng.normal(size=(2, 5, 1)),
        "targets": rng.integers(0, 3, size=(2, 5)),
        "loss_mask": rng.random((2, 5)) > 0.5,
        "hidden/0": rng.normal(size=(2, 5, 4)),
        "param/Whh.0": rng.normal(size=(4, 4)),
        "loss": np.array(0.25),
        "flow_sample": np.array(1),
    }


def test_trace_round_trip_keeps_keys_dtypes_and_values(tmp_path):
    trace = _trace()
    path = tmp_path / "trace.npz"
    write_trace(path, trace, CONFIG_JSON)
    back = read_trace(path)
    assert set(back) == set(trace) | {"config"}
    for key, value in trace.items():
        assert back[key].dtype == value.dtype, key
        np.testing.assert_array_equal(back[key], value)
    assert back["config"].shape == () and json.loads(str(back["config"])) == json.loads(CONFIG_JSON)
    # Plain numpy with pickles refused must read it too: that is the documented contract.
    with np.load(path, allow_pickle=False) as npz:
        assert "hidden/0" in npz.files


def test_trace_config_argument_replaces_a_config_in_the_trace(tmp_path):
    trace = dict(_trace(), config=np.array("old"))
    write_trace(tmp_path / "t.npz", trace, CONFIG_JSON)
    assert str(read_trace(tmp_path / "t.npz")["config"]) == CONFIG_JSON


def test_trace_path_without_npz_suffix_is_written_as_named(tmp_path):
    write_trace(tmp_path / "trace.data", _trace(), CONFIG_JSON)
    assert (tmp_path / "trace.data").exists() and not (tmp_path / "trace.data.npz").exists()
    assert not list(tmp_path.glob(".*tmp*"))


def test_trace_refuses_object_arrays(tmp_path):
    with pytest.raises(TypeError, match="pickle"):
        write_trace(tmp_path / "t.npz", {"bad": np.array([{}], dtype=object)}, CONFIG_JSON)
    assert not (tmp_path / "t.npz").exists()


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "no such file"),
        (b"hello, this is text", "not an .npz archive"),
        (b"PK\x03\x04 truncated zip", "corrupt or truncated"),
    ],
)
def test_read_trace_bad_files_name_the_file(tmp_path, content, message):
    path = tmp_path / "trace.npz"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(RunFileError, match=message) as info:
        read_trace(path)
    assert str(path) in str(info.value)


def test_read_trace_refuses_npy_and_foreign_npz(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros(3))
    with pytest.raises(RunFileError, match="single .npy"):
        read_trace(tmp_path / "a.npy")
    np.savez(tmp_path / "foreign.npz", x=np.zeros(3))
    with pytest.raises(RunFileError, match="not an rnn-viz trace"):
        read_trace(tmp_path / "foreign.npz")


def test_read_trace_refuses_pickled_entries(tmp_path):
    np.savez(tmp_path / "p.npz", config=np.array("{}"), obj=np.array([{"a": 1}], dtype=object))
    with pytest.raises(RunFileError, match="pickled"):
        read_trace(tmp_path / "p.npz")


def test_metrics_round_trip_with_nan_as_empty_cells(tmp_path):
    path = tmp_path / "metrics.csv"
    rows = [
        {"step": 1, "loss": 0.5, "grad_norm": 1.25, "val_loss": math.nan, "sigma_max/0": 1.0},
        {"step": 2, "loss": 1 / 3, "grad_norm": np.float64(2e-300), "val_loss": 0.75, "sigma_max/0": 0.9},
    ]
    with MetricsWriter(path) as writer:
        for row in rows:
            writer.write(row)
    lines = path.read_text().splitlines()
    assert lines[0] == "step,loss,grad_norm,val_loss,sigma_max/0"
    assert lines[1].split(",")[3] == ""
    back = read_metrics(path)
    assert list(back) == list(rows[0])
    assert back["step"].dtype == np.int64 and back["step"].tolist() == [1, 2]
    assert back["loss"][1] == 1 / 3 and back["grad_norm"][1] == 2e-300  # exact, not rounded
    assert math.isnan(back["val_loss"][0]) and back["val_loss"][1] == 0.75


def test_metrics_rows_are_on_disk_before_close(tmp_path):
    path = tmp_path / "metrics.csv"
    writer = MetricsWriter(path)
    writer.write({"step": 1, "loss": 0.5})
    # An interrupted run never reaches close(); what is on disk must already be a valid file.
    assert read_metrics(path)["loss"].tolist() == [0.5]
    writer.close()


def test_metrics_header_only_and_missing_cells(tmp_path):
    path = tmp_path / "metrics.csv"
    with MetricsWriter(path, columns=["step", "loss", "accuracy"]):
        pass
    assert path.read_text() == "step,loss,accuracy\n"
    back = read_metrics(path)
    assert list(back) == ["step", "loss", "accuracy"] and all(len(v) == 0 for v in back.values())
    with MetricsWriter(path, columns=["step", "loss", "accuracy"]) as writer:
        writer.write({"step": 1, "loss": 0.5})
    assert math.isnan(read_metrics(path)["accuracy"][0])


def test_metrics_row_with_a_new_column_is_refused(tmp_path):
    with MetricsWriter(tmp_path / "m.csv") as writer:
        writer.write({"step": 1, "loss": 0.5})
        with pytest.raises(ValueError, match="surprise"):
            writer.write({"step": 2, "loss": 0.4, "surprise": 1.0})


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "no header"),
        ("step,loss\n1,0.5\n2\n", "line 3 has 1 cells"),
        ("step,loss\n1,abc\n", "line 2, column 2 \\(loss\\): 'abc' is not a number"),
    ],
)
def test_read_metrics_bad_files_name_file_and_line(tmp_path, text, message):
    path = tmp_path / "metrics.csv"
    path.write_text(text)
    with pytest.raises(RunFileError, match=message) as info:
        read_metrics(path)
    assert str(path) in str(info.value)
    with pytest.raises(RunFileError, match="no such file"):
        read_metrics(tmp_path / "missing.csv")


def _checkpoint():
    return {
        "config": np.array(CONFIG_JSON),
        "step": np.array(7, dtype=np.int64),
        "param/Whh.0": np.arange(4.0).reshape(2, 2),
        "opt/t": np.array(7, dtype=np.int64),
        "rng": np.array(json.dumps({"bit_generator": "PCG64", "state": {"state": 2**127 + 3, "inc": 5}})),
    }


def test_checkpoint_round_trip_is_bit_exact(tmp_path):
    path = tmp_path / "checkpoint.npz"
    arrays = _checkpoint()
    save_checkpoint(path, arrays)
    back = load_checkpoint(path)
    assert set(back) == set(arrays)
    for key, value in arrays.items():
        assert back[key].dtype == value.dtype and back[key].tobytes() == value.tobytes(), key


def test_checkpoint_members_outside_the_format_are_never_returned(tmp_path):
    # Only the members docs/file-formats.md defines are read (issue 11); others are ignored.
    path = tmp_path / "checkpoint.npz"
    save_checkpoint(path, dict(_checkpoint(), rng_state=np.array([1, 2, 3], dtype=np.uint64)))
    assert set(load_checkpoint(path)) == set(_checkpoint())


def test_checkpoint_overwrite_replaces_the_file_whole(tmp_path):
    path = tmp_path / "checkpoint.npz"
    save_checkpoint(path, _checkpoint())
    save_checkpoint(path, dict(_checkpoint(), step=np.array(9)))
    assert int(load_checkpoint(path)["step"]) == 9
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.npz"]


def test_checkpoint_needs_config_and_keeps_its_marks_reserved(tmp_path):
    with pytest.raises(ValueError, match="config"):
        save_checkpoint(tmp_path / "c.npz", {"step": np.array(1)})
    with pytest.raises(ValueError, match="reserved"):
        save_checkpoint(tmp_path / "c.npz", dict(_checkpoint(), checkpoint_format=np.array("x")))


def test_load_checkpoint_bad_files(tmp_path):
    with pytest.raises(RunFileError, match="no such file"):
        load_checkpoint(tmp_path / "missing.npz")
    (tmp_path / "text.npz").write_text("not a checkpoint")
    with pytest.raises(RunFileError, match="not an .npz archive"):
        load_checkpoint(tmp_path / "text.npz")
    np.savez(tmp_path / "foreign.npz", **_checkpoint())
    with pytest.raises(RunFileError, match="written by something else"):
        load_checkpoint(tmp_path / "foreign.npz")
    write_trace(tmp_path / "trace.npz", _trace(), CONFIG_JSON)
    with pytest.raises(RunFileError, match="not an rnn-viz checkpoint"):
        load_checkpoint(tmp_path / "trace.npz")


def test_load_checkpoint_truncated_and_newer_format(tmp_path):
    path = tmp_path / "checkpoint.npz"
    save_checkpoint(path, _checkpoint())
    data = path.read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(RunFileError, match="corrupt or truncated"):
        load_checkpoint(tmp_path / "cut.npz")
    newer = dict(_checkpoint(), checkpoint_format=np.array("rnn-viz checkpoint"),
                 checkpoint_version=np.array(99))
    np.savez(tmp_path / "newer.npz", **newer)
    with pytest.raises(RunFileError, match="version 99 is newer"):
        load_checkpoint(tmp_path / "newer.npz")


def test_load_checkpoint_with_a_damaged_member(tmp_path):
    path = tmp_path / "checkpoint.npz"
    save_checkpoint(path, _checkpoint())
    damaged = tmp_path / "damaged.npz"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(damaged, "w") as dst:
        for item in src.infolist():
            payload = src.read(item.filename)
            if item.filename == "param/Whh.0.npy":
                payload = payload[:20]  # the header says 4 floats; the data is gone
            dst.writestr(item, payload)
    with pytest.raises(RunFileError) as info:
        load_checkpoint(damaged)
    assert str(damaged) in str(info.value)


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="FIFOs are POSIX")
def test_run_files_that_are_fifos_are_refused_at_once(tmp_path):
    import os

    for name, read in (("metrics.csv", read_metrics), ("trace.npz", read_trace), ("checkpoint.npz", load_checkpoint)):
        os.mkfifo(tmp_path / name)
        with pytest.raises(RunFileError, match=r"is a FIFO \(named pipe\), not a regular file") as info:
            read(tmp_path / name)
        assert str(tmp_path / name) in str(info.value)
