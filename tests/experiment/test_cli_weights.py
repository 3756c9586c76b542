"""`rnn-viz run` with [model] weights: resume without the weights file, and outside paths shown."""
from __future__ import annotations

import numpy as np

from rnn_viz import cli
from rnn_viz.experiment.io import load_checkpoint, read_metrics

from .torch_models import experiment, make_module, save


def run(capsys, *args):
    code = cli.main([str(a) for a in args])
    return code, capsys.readouterr().err


def test_resume_of_an_imported_run_never_rereads_the_weights_and_is_exact(tmp_path, capsys):
    weights = save(make_module("lstm", None, 2, True, 2, 3, 1), tmp_path, "safetensors")
    exp = experiment(tmp_path, "model.safetensors")
    assert run(capsys, "run", exp, "--steps", 4, "--out", tmp_path / "straight", "--quiet")[0] == 0
    assert run(capsys, "run", exp, "--steps", 2, "--out", tmp_path / "first", "--quiet")[0] == 0
    weights.unlink()
    code, err = run(capsys, "run", exp, "--steps", 2, "--out", tmp_path / "second", "--quiet",
                    "--resume", tmp_path / "first" / "checkpoint.npz")
    assert code == 0, err
    a, b = load_checkpoint(tmp_path / "straight" / "checkpoint.npz"), load_checkpoint(tmp_path / "second" / "checkpoint.npz")
    for key in (k for k in a if k.startswith("param/")):
        np.testing.assert_array_equal(a[key], b[key])
    np.testing.assert_array_equal(read_metrics(tmp_path / "straight" / "metrics.csv")["loss"][2:],
                                  read_metrics(tmp_path / "second" / "metrics.csv")["loss"])


def test_a_resume_with_a_contradicting_model_key_is_refused(tmp_path, capsys):
    save(make_module("gru", None, 1, True, 2, 3, 1), tmp_path, "safetensors")
    exp = experiment(tmp_path, "model.safetensors")
    assert run(capsys, "run", exp, "--steps", 1, "--out", tmp_path / "first", "--quiet")[0] == 0
    code, err = run(capsys, "run", exp, "--steps", 1, "--out", tmp_path / "second", "--quiet",
                    "--set", "model.hidden_size=4", "--resume", tmp_path / "first" / "checkpoint.npz")
    assert code == 2 and "saved for a different experiment: model.hidden_size = 3 there, 4 here" in err


def test_weights_outside_the_experiment_folder_are_named_before_they_are_read(tmp_path, capsys):
    save(make_module("gru", None, 1, True, 2, 3, 1), tmp_path, "safetensors")
    (tmp_path / "exp").mkdir()
    exp = experiment(tmp_path / "exp", "../model.safetensors")
    code, err = run(capsys, "run", exp, "--steps", 0, "--out", tmp_path / "r", "--quiet")
    assert code == 0 and "note: model.weights" in err and str(tmp_path / "model.safetensors") in err


def test_compare_runs_report_their_own_weights_and_record_them(tmp_path, capsys):
    import tomllib

    save(make_module("gru", None, 1, True, 2, 3, 1, seed=1), tmp_path, "safetensors", "a")
    save(make_module("lstm", None, 1, True, 2, 4, 1, seed=2), tmp_path, "safetensors", "b")
    exp = experiment(tmp_path, "a.safetensors", extra='\n[compare.model]\nweights = "b.safetensors"')
    code, err = run(capsys, "run", exp, "--steps", 1, "--out", tmp_path / "r", "--compare")
    assert code == 0, err
    assert 'nn.GRU at "net.rnn"' in err and 'nn.LSTM at "net.rnn"' in err and err.count("parity with torch: ") == 2
    b = tomllib.loads((tmp_path / "r" / "compare" / "config.toml").read_text())["model"]
    assert (b["cell"], b["hidden_size"], b["weights"]) == ("lstm", 4, str(tmp_path / "b.safetensors"))
