"""Hostile checkpoints (issue 11): every case ends in one RunFileError naming the file and the entry,
through the resume path (experiment's model known) and the app's path (model from the checkpoint)."""
import zipfile

import numpy as np
import pytest

from rnn_viz import cli
from rnn_viz.data import archive
from rnn_viz.experiment.config import ConfigError, apply_overrides, default_config, to_toml
from rnn_viz.experiment.io import RunFileError, load_checkpoint
from rnn_viz.experiment.loop import Trainer
from rnn_viz.experiment.restore import checkpoint_layout, restore_state

from . import hostile as h

ERRORS = (RunFileError, ConfigError)


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    return h.good_checkpoint(folder / "checkpoint.npz")


def resume(path):
    """The headless resume path: the model from the experiment, then the checkpoint's arrays."""
    trainer = Trainer(h.small_config())
    restore_state(trainer, load_checkpoint(path, checkpoint_layout(trainer)), str(path))
    return trainer


def app_load(path):
    """The window's path: the checkpoint's own config builds the model."""
    return Trainer.from_checkpoint(load_checkpoint(path), source=str(path))


def refused(path, *fragments):
    for how in (resume, app_load):
        with pytest.raises(ERRORS) as info:
            how(path)
        message = str(info.value)
        assert str(path) in message and "\n" not in message, message
        for fragment in fragments:
            assert fragment in message, (how.__name__, fragment, message)
    return message


def test_a_good_checkpoint_loads_both_ways_and_continues_exactly(good):
    a, b = resume(good), app_load(good)
    assert a.step_count == b.step_count == 2
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    assert a.step().metrics["loss"] == b.step().metrics["loss"]


def test_raw_bytes_instead_of_an_array(good, tmp_path):
    bad = h.rewrite(good, tmp_path / "c.npz", replace={"param/Why": b"these are not array bytes at all"})
    refused(bad, "[param/Why]", "not a NumPy .npy array")


def test_encrypted_member(good, tmp_path):
    refused(h.encrypted(good, tmp_path / "c.npz", "param/Whh.0"), "[param/Whh.0]", "encrypted")


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_unsupported_compression(good, tmp_path, method):
    bad = h.rewrite(good, tmp_path / "c.npz", compress={"param/by": method})
    refused(bad, "[param/by]", f"compression method {method}")


@pytest.mark.parametrize("header, fragment", [
    (h.npy_header((8, 8)).replace(b"'descr'", b"'dtype'"), "header cannot be read"),
    (h.npy_header((8, 8)).replace(b"False", b"Maybe"), "header cannot be read"),
    (h.npy_header((8, 8), version=9), "version 9.0 is not supported"),
    (h.npy_header((8, 8), descr="|O"), "pickled"),
    (h.npy_header((-8, 8)), "shape"),
])
def test_malformed_npy_headers(good, tmp_path, header, fragment):
    bad = h.rewrite(good, tmp_path / "c.npz", replace={"param/Whh.0": header + bytes(512)})
    refused(bad, "[param/Whh.0]", fragment)


def test_too_long_header_is_not_called_pickled(good, tmp_path):
    bad = h.rewrite(good, tmp_path / "c.npz", replace={"param/Whh.0": h.npy_header((8, 8), version=2, pad_to=60_000)})
    message = refused(bad, "[param/Whh.0]", "header is 60001 bytes long")
    assert "pickle" not in message


@pytest.mark.parametrize("key", ["live", "rng", "config"])
def test_deep_json(good, tmp_path, key):
    refused(h.with_json(good, tmp_path / "c.npz", key, h.deep_json(100_000)), f"[{key}]", "nested 100000 levels")


@pytest.mark.parametrize("key", ["live", "rng", "config"])
def test_malformed_json(good, tmp_path, key):
    refused(h.with_json(good, tmp_path / "c.npz", key, '{"learning_rate": 0.1,'), f"[{key}]", "not valid JSON")


def test_a_huge_json_integer(good, tmp_path):
    refused(h.with_json(good, tmp_path / "c.npz", "rng", '{"a": ' + "9" * 5000 + "}"), "[rng]", "5000 digits")


@pytest.mark.parametrize("live, fragment", [
    ('{"learning_rate": "0.1", "clip_norm": 0, "clip_value": 0}', "learning_rate must be a number"),
    ('{"learning_rate": true, "clip_norm": 0, "clip_value": 0}', "learning_rate must be a number"),
    ('{"learning_rate": 0.1, "clip_norm": -3, "clip_value": 0}', "clip_norm"),
    ('{"learning_rate": NaN, "clip_norm": 0, "clip_value": 0}', "NaN is not a number JSON allows"),
    ('{"learning_rate": 0.1}', "clip_norm must be a number"),
    ("[1, 2]", "expected a JSON object"),
])
def test_bad_live_settings(good, tmp_path, live, fragment):
    refused(h.with_json(good, tmp_path / "c.npz", "live", live), "[live]", fragment)


@pytest.mark.parametrize("rng, fragment", [
    ('{"bit_generator": "MT19937", "state": {}}', "PCG64"),
    ('{"bit_generator": "PCG64", "state": {"state": "x", "inc": 1}}', "not a valid PCG64 state"),
    ('"PCG64"', "PCG64"),
])
def test_bad_random_state(good, tmp_path, rng, fragment):
    refused(h.with_json(good, tmp_path / "c.npz", "rng", rng), "[rng]", fragment)


@pytest.mark.parametrize("key, value, fragment", [
    ("step", np.array(2**63 - 1, dtype=np.int64), "out of range"),
    ("step", np.array(-1, dtype=np.int64), "out of range"),
    ("step", np.array("12"), "text"),
    ("step", np.array(3.0), "floats"),
    ("opt/t", np.array(-5, dtype=np.int64), "out of range"),
])
def test_bad_counts(good, tmp_path, key, value, fragment):
    refused(h.rewrite(good, tmp_path / "c.npz", replace={key: value}), f"[{key}]", fragment)


@pytest.mark.parametrize("value, fragment", [
    (np.full((8, 8), np.nan), "non-finite"),
    (np.full((8, 8), "1.0"), "text"),
    (np.ones((8, 8), dtype=bool), "booleans"),
    (np.full((8, 8), np.datetime64("2024-01-01")), "dates"),
    (np.ones((8, 8), dtype=np.int64), "integers"),
    (np.ones((8, 9)), "shape (8, 9)"),
])
def test_parameters_that_are_not_the_model_s_floats(good, tmp_path, value, fragment):
    refused(h.rewrite(good, tmp_path / "c.npz", replace={"param/Whh.0": value}), "param/Whh.0", fragment)


def test_negative_second_moments(good, tmp_path):
    bad = h.rewrite(good, tmp_path / "c.npz", replace={"opt/v/Whh.0": -np.ones((8, 8))})
    refused(bad, "opt/v/Whh.0", "negative")


@pytest.mark.parametrize("version, fragment", [(0, "never written"), (-1, "never written"), (99, "newer")])
def test_format_versions(good, tmp_path, version, fragment):
    bad = h.rewrite(good, tmp_path / "c.npz", replace={"checkpoint_version": np.array(version, dtype=np.int64)})
    refused(bad, fragment)


def test_duplicate_members(good, tmp_path):
    bad = h.rewrite(good, tmp_path / "c.npz", add=[("param/Whh.0", np.zeros((8, 8)))])
    refused(bad, "param/Whh.0.npy", "twice")


@pytest.mark.parametrize("key", ["opt/m/Whh.0", "opt/v/by", "opt/t"])
def test_missing_optimizer_state_is_refused_at_load(good, tmp_path, key):
    # issue 8 defect 5: the first update used to raise an "unexpected error" instead
    refused(h.rewrite(good, tmp_path / "c.npz", drop=(key,)), key)


def no_big_arrays(monkeypatch):
    real = np.empty

    def empty(shape, *args, **kwargs):
        assert np.prod(shape) < 10**6, f"np.empty{shape} before the size check"
        return real(shape, *args, **kwargs)
    monkeypatch.setattr(np, "empty", empty)


def test_a_huge_declared_array_is_refused_from_its_header(good, tmp_path, monkeypatch):
    bad = h.rewrite(good, tmp_path / "c.npz", replace={"param/Whh.0": h.npy_header((10**12,))})
    no_big_arrays(monkeypatch)
    with pytest.raises(RunFileError, match=r"\[param/Whh\.0\]: has shape \(1000000000000,\); expected \(8, 8\)"):
        resume(bad)
    with pytest.raises(RunFileError, match=r"\[param/Whh\.0\]: truncated: its header announces 8000000000000 bytes"):
        load_checkpoint(bad)


def test_a_deflate_bomb_is_refused_before_it_expands(good, tmp_path, monkeypatch):
    bad = h.deflate_bomb(good, tmp_path / "c.npz", "param/Whh.0", 48 * 2**20)
    assert bad.stat().st_size < 200_000
    no_big_arrays(monkeypatch)
    refused(bad, "[param/Whh.0]", "zip bomb")


def test_a_bomb_within_the_ratio_is_bounded_by_the_memory_budget(good, tmp_path, monkeypatch):
    bad = h.deflate_bomb(good, tmp_path / "c.npz", "param/Whh.0", 2 * 2**20)  # below RATIO_FREE_BYTES
    monkeypatch.setattr(archive.reading, "memory_budget", lambda: 1_000_000)
    with pytest.raises(RunFileError, match=r"\[param/Whh\.0\]: too large to load"):
        load_checkpoint(bad)


def test_resume_checks_the_experiment_before_reading_any_data(good, tmp_path, capsys, monkeypatch):
    # The checkpoint's embedded config never chooses the file: a mismatch is refused first, and a
    # matching resume reads the data the experiment names.
    experiment = tmp_path / "other.toml"
    text = apply_overrides(default_config(), ['data.source="text"', 'data.path="secret.txt"', "model.hidden_size=8"])
    experiment.write_text(to_toml(text), encoding="utf-8")
    calls = []
    monkeypatch.setattr(Trainer, "__init__", lambda *a, **k: calls.append(a) or pytest.fail("data loaded"))
    code = cli.main(["run", str(experiment), "--steps", "1", "--out", str(tmp_path / "o"), "--resume", str(good)])
    err = capsys.readouterr().err
    assert code == 2 and "saved for a different experiment" in err
    assert calls == [] and "Traceback" not in err


@pytest.mark.parametrize("case", ["nan", "deep", "dup", "missing-opt"])
def test_cli_resume_gives_one_line(good, tmp_path, capsys, case):
    bad = tmp_path / "c.npz"
    if case == "nan":
        h.rewrite(good, bad, replace={"param/Why": np.full((1, 8), np.nan)})
    elif case == "deep":
        h.with_json(good, bad, "config", h.deep_json(100_000))
    elif case == "dup":
        h.rewrite(good, bad, add=[("step", np.array(1))])
    else:
        h.rewrite(good, bad, drop=("opt/m/Why",))
    experiment = tmp_path / "e.toml"
    experiment.write_text(to_toml(h.small_config()), encoding="utf-8")
    code = cli.main(["run", str(experiment), "--steps", "1", "--out", str(tmp_path / "o"), "--resume", str(bad), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("rnn-viz: ") and err.count("\n") == 1 and str(bad) in err, err
