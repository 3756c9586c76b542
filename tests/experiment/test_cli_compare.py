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


def test_compare_honours_plots_checkpoint_every_set_force_and_quiet(tmp_path, capsys, monkeypatch):
    # Defect: --compare was a third training loop that ignored --plots and --checkpoint-every.
    import sys
    import types

    from rnn_viz import cli
    from rnn_viz.experiment.io import load_checkpoint, save_checkpoint

    exp = tmp_path / "exp.toml"
    exp.write_text(EXPERIMENT)
    out = tmp_path / "run"
    out.mkdir()  # exists: only --force lets the run write into it
    saved, plotted = [], []

    def recording_save(path, arrays):
        saved.append((path.parent.name, int(arrays["step"])))
        save_checkpoint(path, arrays)

    fake = types.ModuleType("rnn_viz.ui.plots")
    fake.render_run_plots = lambda out_dir, trace, metrics_path, config, compare=None: plotted.append(
        (out_dir, "flow/0" in trace, metrics_path, config.model.hidden_size, config.training.bptt,
         compare and (compare[1], compare[2].training.bptt)))
    monkeypatch.setattr(cli, "save_checkpoint", recording_save)
    monkeypatch.setitem(sys.modules, "rnn_viz.ui.plots", fake)
    args = ["run", str(exp), "--steps", "5", "--out", str(out), "--compare", "--checkpoint-every", "2",
            "--set", "model.hidden_size=6", "--plots", "--quiet"]
    assert main(args) == 2 and "already exists" in capsys.readouterr().err
    assert main(args + ["--force"]) == 0
    assert capsys.readouterr().err == ""  # --quiet
    assert sorted(saved) == [("compare", 2), ("compare", 4), ("compare", 5), ("run", 2), ("run", 4), ("run", 5)]
    # DIR: both runs as compare mode draws them; DIR/compare: run B alone.
    assert plotted == [(out, True, out / "metrics.csv", 6, "full", (out / "compare" / "metrics.csv", "truncated")),
                       (out / "compare", True, out / "compare" / "metrics.csv", 6, "truncated", None)]
    assert load_checkpoint(out / "compare" / "checkpoint.npz")["param/Whh.0"].shape == (6, 6)


def test_compare_with_resume_stays_refused(tmp_path, capsys):
    exp = tmp_path / "exp.toml"
    exp.write_text(EXPERIMENT)
    code = main(["run", str(exp), "--steps", "1", "--out", str(tmp_path / "o"), "--compare", "--resume", "x.npz"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot be combined with --resume" in err and "Traceback" not in err


def test_compare_divergence_in_run_b_names_run_b_and_keeps_both_runs_files(tmp_path, capsys):
    exp = tmp_path / "exp.toml"
    exp.write_text(EXPERIMENT + 'optimizer = "sgd"\nlearning_rate = 1e300\n')
    out = tmp_path / "run"
    assert main(["run", str(exp), "--steps", "4", "--out", str(out), "--compare", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "in run B" in err and len(err.strip().splitlines()) == 1
    steps_a = read_metrics(out / "metrics.csv")["step"].tolist()
    assert steps_a == read_metrics(out / "compare" / "metrics.csv")["step"].tolist()  # all runs or none
    assert np.load(out / "compare" / "trace.npz", allow_pickle=False)["loss"].shape == ()
