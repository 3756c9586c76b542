"""`rnn-viz run`'s speed settings: the spectra cadence in metrics.csv and trace.npz, --threads,
and a changed training.spectra_every on --resume."""
import math

import numpy as np
import pytest

from rnn_viz import cli
from rnn_viz.experiment.io import read_metrics, read_trace

from .test_cli import DEFAULT, SMALL, run


def test_metrics_have_spectra_on_the_cadence_and_the_trace_always(tmp_path, capsys):
    code, err = run(capsys, "run", DEFAULT, "--steps", 12, "--out", tmp_path / "r", *SMALL,
                    "--set", "training.spectra_every=5")
    assert code == 0, err
    m = read_metrics(tmp_path / "r" / "metrics.csv")
    filled = [int(s) for s, v in zip(m["step"], m["rho/0"]) if not math.isnan(v)]
    assert filled == [1, 5, 10, 12]
    assert not any(math.isnan(v) for v in m["loss"])
    trace = read_trace(tmp_path / "r" / "trace.npz")
    for key in ("whh_rho/0", "whh_sigma_max/0", "dWhh_step_norm/0", "dL_dh/0", "flow/0"):
        assert key in trace, key
    text = (tmp_path / "r" / "metrics.csv").read_text().splitlines()
    header = text[0].split(",")
    assert text[2].split(",")[header.index("rho/0")] == ""  # update 2: an empty cell


def test_resume_may_change_spectra_every(tmp_path, capsys):
    code, err = run(capsys, "run", DEFAULT, "--steps", 4, "--out", tmp_path / "a", *SMALL)
    assert code == 0, err
    code, err = run(capsys, "run", DEFAULT, "--steps", 4, "--out", tmp_path / "b", *SMALL,
                    "--set", "training.spectra_every=2", "--resume", tmp_path / "a" / "checkpoint.npz")
    assert code == 0, err
    m = read_metrics(tmp_path / "b" / "metrics.csv")
    assert [int(s) for s, v in zip(m["step"], m["sigma_max/0"]) if not math.isnan(v)] == [6, 8]


def test_threads_sets_the_blas_pool(tmp_path, capsys, monkeypatch):
    import threadpoolctl

    seen = []
    real = threadpoolctl.threadpool_limits

    def spy(limits=None, **kw):
        seen.append(limits)
        return real(limits=limits, **kw)

    monkeypatch.setattr(threadpoolctl, "threadpool_limits", spy)
    code, err = run(capsys, "run", DEFAULT, "--steps", 1, "--out", tmp_path / "t", *SMALL, "--threads", 2)
    assert code == 0, err
    assert seen == [2]
    code, err = run(capsys, "run", DEFAULT, "--steps", 1, "--out", tmp_path / "u", *SMALL)
    assert seen == [2, 1]  # one thread unless asked


@pytest.mark.parametrize("bad", ["0", "-1", "two"])
def test_threads_must_be_a_positive_integer(tmp_path, capsys, bad):
    code = cli.main(["run", str(DEFAULT), "--steps", "1", "--out", str(tmp_path / "x"), "--threads", bad])
    err = capsys.readouterr().err
    assert code == 2 and "--threads" in err and "whole number >= 1" in err
    assert not (tmp_path / "x").exists()
