"""`rnn-viz run --compare`: both runs of a [compare] experiment, in lockstep, written side by side."""
import numpy as np

from rnn_viz.cli import main
from rnn_viz.experiment.io import read_metrics

EXPERIMENT = """
[data]
source = "sine"
seq_len = 12
batch_size = 4
[model]
hidden_size = 8
[compare]
label = "truncated, k2 = 3"
[compare.training]
bptt = "truncated"
k2 = 3
"""


def test_compare_writes_both_runs_with_the_same_batches(tmp_path):
    exp = tmp_path / "exp.toml"
    exp.write_text(EXPERIMENT)
    out = tmp_path / "run"
    assert main(["run", str(exp), "--steps", "3", "--out", str(out), "--compare", "--quiet"]) == 0
    a = np.load(out / "trace.npz", allow_pickle=False)
    b = np.load(out / "compare" / "trace.npz", allow_pickle=False)
    np.testing.assert_array_equal(a["inputs"], b["inputs"])
    F = b["flow/0"]
    t, k = np.indices(F.shape)
    assert np.all(F[t - k >= 3] == 0) and np.any(a["flow/0"][t - k >= 3] > 0)
    assert len(read_metrics(out / "metrics.csv")["step"]) == len(read_metrics(out / "compare" / "metrics.csv")["step"]) == 3
    assert 'bptt = "truncated"' in (out / "compare" / "config.toml").read_text()


def test_compare_without_a_compare_section_is_a_clear_error(tmp_path, capsys):
    exp = tmp_path / "plain.toml"
    exp.write_text("[data]\nsource = 'sine'\n")
    assert main(["run", str(exp), "--steps", "1", "--out", str(tmp_path / "o"), "--compare"]) == 2
    err = capsys.readouterr().err
    assert "needs a [compare] section" in err and "Traceback" not in err
