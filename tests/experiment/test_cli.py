"""`rnn-viz` in-process: the files `run` writes, its errors, --set, --resume, Ctrl-C, and the window's guard."""
import json
import signal
import sys
import tomllib
import types

import numpy as np
import pytest

from rnn_viz import cli
from rnn_viz.experiment.config import load_config
from rnn_viz.experiment.io import load_checkpoint, read_metrics, read_trace, save_checkpoint
from rnn_viz.experiment.loop import Trainer
from rnn_viz.experiment.presets import PRESETS_DIR

DEFAULT = PRESETS_DIR / "default.toml"
# Small enough that a run of a few updates takes milliseconds.
SMALL = ["--set", "data.seq_len=12", "--set", "data.batch_size=4", "--set", "data.val_size=8",
         "--set", "model.hidden_size=8", "--quiet"]


def run(capsys, *args):
    code = cli.main([str(a) for a in args])
    return code, capsys.readouterr().err


def assert_one_line_error(err: str, *fragments: str):
    assert "Traceback" not in err
    assert err.startswith("rnn-viz: ") and err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


def rows_without_timing(path):
    metrics = read_metrics(path)
    return {k: v for k, v in metrics.items() if k != "step_seconds"}


# --- the default experiment ----------------------------------------------------------------------

def test_default_experiment_writes_the_three_files_and_a_checkpoint(tmp_path, capsys):
    out = tmp_path / "run"
    code, err = run(capsys, "run", DEFAULT, "--steps", 2, "--out", out)
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.npz", "config.toml", "metrics.csv", "trace.npz"]
    assert "done: 2 updates" in err and "Traceback" not in err

    metrics = read_metrics(out / "metrics.csv")
    assert list(metrics) == ["step", "loss", "grad_norm", "step_seconds", "learning_rate",
                             "sigma_max/0", "rho/0", "val_loss"]
    assert metrics["step"].tolist() == [1, 2]
    assert np.all(np.isfinite(metrics["loss"])) and np.all(metrics["step_seconds"] > 0)
    assert np.isfinite(metrics["val_loss"][0]) and np.isnan(metrics["val_loss"][1])  # val_every = 10

    B, T, I, H, O = 32, 50, 1, 32, 1
    params = {"Wxh.0": (H, I), "Whh.0": (H, H), "bh.0": (H,), "Why": (O, H), "by": (O,)}
    expected = {
        "config": (), "inputs": (B, T, I), "targets": (B, T, O), "loss_mask": (B, T), "outputs": (B, T, O),
        "predictions": (B, T, O), "loss": (), "loss_share": (T,), "grad_norm": (), "window_start": (T,),
        "hidden/0": (B, T, H), "dL_dh/0": (B, T, H), "dL_dh_norm/0": (T,), "dL_dh_norm_sample/0": (B, T),
        "dWhh_step_norm/0": (T,), "saturation/0": (T,), "whh_rho/0": (), "whh_sigma_max/0": (),
        "flow_sample": (), "flow/0": (T, T), "jacobian_norm/0": (T,),
    }
    for name, shape in params.items():
        expected.update({f"param/{name}": shape, f"grad/{name}": shape,
                         f"param_norm/{name}": (), f"grad_norm/{name}": ()})
    trace = read_trace(out / "trace.npz")
    assert {k: v.shape for k, v in trace.items()} == expected
    assert trace["loss_mask"].dtype == bool and trace["flow_sample"].dtype.kind == "i"
    # The trace is update 2's batch at the parameters before update 2.
    assert float(trace["loss"]) == metrics["loss"][-1] and float(trace["grad_norm"]) == metrics["grad_norm"][-1]
    config = json.loads(str(trace["config"]))
    assert config["model"]["hidden_size"] == 32 and config["training"]["loss"] == "mse"

    written = load_config(out / "config.toml")
    assert written.training.loss == "mse"  # resolved: the task's loss instead of "auto"
    assert written.model == load_config(DEFAULT).model
    assert int(load_checkpoint(out / "checkpoint.npz")["step"]) == 2


def test_steps_zero_traces_the_first_batch_and_updates_nothing(tmp_path, capsys):
    out = tmp_path / "zero"
    assert run(capsys, "run", DEFAULT, "--steps", 0, "--out", out, *SMALL)[0] == 0
    header = (out / "metrics.csv").read_text()
    assert header == "step,loss,grad_norm,step_seconds,learning_rate,sigma_max/0,rho/0,val_loss\n"
    trace = read_trace(out / "trace.npz")
    assert "flow/0" in trace and trace["hidden/0"].shape == (4, 12, 8)
    checkpoint = load_checkpoint(out / "checkpoint.npz")
    assert int(checkpoint["step"]) == 0
    np.testing.assert_array_equal(trace["param/Whh.0"], checkpoint["param/Whh.0"])

    # ... and it is exactly the batch and parameters update 1 then uses.
    one = tmp_path / "one"
    assert run(capsys, "run", DEFAULT, "--steps", 1, "--out", one, *SMALL)[0] == 0
    first = read_trace(one / "trace.npz")
    for key in ("inputs", "targets", "param/Whh.0", "loss", "flow/0"):
        np.testing.assert_array_equal(first[key], trace[key], err_msg=key)


def test_set_overrides_reach_the_run(tmp_path, capsys):
    out = tmp_path / "lstm"
    code, err = run(capsys, "run", DEFAULT, "--steps", 1, "--out", out, *SMALL,
                    "--set", "model.cell=lstm", "--set", "model.num_layers=2",
                    "--set", "training.bptt=truncated", "--set", "training.k2=3")
    assert code == 0, err
    cfg = load_config(out / "config.toml")
    assert (cfg.model.cell, cfg.model.num_layers, cfg.training.bptt, cfg.training.k2) == ("lstm", 2, "truncated", 3)
    trace = read_trace(out / "trace.npz")
    assert trace["param/Whh.1"].shape == (32, 8) and "cell/1" in trace
    assert trace["window_start"].tolist() == [max(0, t - 2) for t in range(12)]
    assert list(read_metrics(out / "metrics.csv")) == [
        "step", "loss", "grad_norm", "step_seconds", "learning_rate", "sigma_max/0", "sigma_max/1", "val_loss"]


# --- --resume ------------------------------------------------------------------------------------

def test_resume_continues_exactly_where_the_checkpoint_left_off(tmp_path, capsys):
    whole, first, rest = tmp_path / "whole", tmp_path / "first", tmp_path / "rest"
    settings = [*SMALL, "--set", "training.optimizer=adam", "--set", "training.val_every=2"]
    assert run(capsys, "run", DEFAULT, "--steps", 6, "--out", whole, *settings)[0] == 0
    assert run(capsys, "run", DEFAULT, "--steps", 2, "--out", first, *settings)[0] == 0
    code, err = run(capsys, "run", DEFAULT, "--steps", 4, "--out", rest, *settings,
                    "--resume", first / "checkpoint.npz")
    assert code == 0, err

    a, b = rows_without_timing(whole / "metrics.csv"), rows_without_timing(rest / "metrics.csv")
    assert b["step"].tolist() == [3, 4, 5, 6]
    for column in a:
        np.testing.assert_array_equal(b[column], a[column][2:], err_msg=column)
    ta, tb = read_trace(whole / "trace.npz"), read_trace(rest / "trace.npz")
    assert set(ta) == set(tb)
    for key in ta:
        np.testing.assert_array_equal(tb[key], ta[key], err_msg=key)
    ca, cb = load_checkpoint(whole / "checkpoint.npz"), load_checkpoint(rest / "checkpoint.npz")
    assert set(ca) == set(cb)
    # The resumed run's checkpoint carries the whole history, updates 1-2 from the first checkpoint.
    assert cb["history/step"].tolist() == [1, 2, 3, 4, 5, 6]
    for key in ca:
        if key.startswith(("history/sigma_max/", "history/rho/")):
            # the first run's last update (2) has its spectra, the whole run's update 2 none
            kept = np.isfinite(ca[key])
            np.testing.assert_array_equal(cb[key][kept], ca[key][kept], err_msg=key)
            assert np.isfinite(cb[key][1]) and not kept[1]
        elif key != "history/step_seconds":  # wall time
            assert ca[key].tobytes() == cb[key].tobytes(), key


def test_resume_refuses_a_checkpoint_of_another_experiment(tmp_path, capsys):
    assert run(capsys, "run", DEFAULT, "--steps", 1, "--out", tmp_path / "a", *SMALL)[0] == 0
    code, err = run(capsys, "run", DEFAULT, "--steps", 1, "--out", tmp_path / "b", *SMALL,
                    "--set", "model.hidden_size=9", "--resume", tmp_path / "a" / "checkpoint.npz")
    assert code == 2
    assert_one_line_error(err, "checkpoint.npz: saved for a different experiment", "model.hidden_size = 8 there, 9 here")
    assert not (tmp_path / "b").exists()


def test_resume_may_change_the_learning_rate_and_clipping(tmp_path, capsys):
    assert run(capsys, "run", DEFAULT, "--steps", 1, "--out", tmp_path / "a", *SMALL)[0] == 0
    code, err = run(capsys, "run", DEFAULT, "--steps", 2, "--out", tmp_path / "b", *SMALL,
                    "--set", "training.learning_rate=0.001", "--set", "training.clip_norm=0.5",
                    "--resume", tmp_path / "a" / "checkpoint.npz")
    assert code == 0, err
    assert read_metrics(tmp_path / "b" / "metrics.csv")["learning_rate"].tolist() == [0.001, 0.001]
    written = load_config(tmp_path / "b" / "config.toml")
    assert (written.training.learning_rate, written.training.clip_norm) == (0.001, 0.5)


def test_resume_accepts_a_new_value_of_every_live_key(tmp_path, capsys):
    from rnn_viz.experiment.live import LIVE_KEYS

    assert run(capsys, "run", DEFAULT, "--steps", 1, "--out", tmp_path / "a", *SMALL)[0] == 0
    new = {"learning_rate": 0.002, "clip_norm": 0.5, "clip_value": 0.25, "flow_sample": 3, "spectra_every": 7}
    assert set(new) == set(LIVE_KEYS)
    sets = [x for k, v in new.items() for x in ("--set", f"training.{k}={v}")]
    code, err = run(capsys, "run", DEFAULT, "--steps", 1, "--out", tmp_path / "b", *SMALL, *sets,
                    "--resume", tmp_path / "a" / "checkpoint.npz")
    assert code == 0, err
    written = load_config(tmp_path / "b" / "config.toml").training
    assert {k: getattr(written, k) for k in new} == new
    assert int(read_trace(tmp_path / "b" / "trace.npz")["flow_sample"]) == 3


@pytest.mark.parametrize("content, message", [(b"junk", "not an .npz archive"), (None, "no such file")])
def test_resume_from_a_bad_checkpoint(tmp_path, capsys, content, message):
    path = tmp_path / "checkpoint.npz"
    if content is not None:
        path.write_bytes(content)
    code, err = run(capsys, "run", DEFAULT, "--steps", 1, "--out", tmp_path / "out", *SMALL, "--resume", path)
    assert code == 2
    assert_one_line_error(err, str(path), message)


# --- errors --------------------------------------------------------------------------------------

def test_bad_toml_is_one_line_naming_file_and_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[model]\ncell = 'rnn'\nhidden_size = = 3\n")
    code, err = run(capsys, "run", bad, "--steps", 1, "--out", tmp_path / "out")
    assert code == 2
    assert_one_line_error(err, str(bad), "TOML syntax error", "line 3")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "extra, fragments",
    [
        (["--set", "training.bptt=partial"], ['training.bptt = "partial" is not allowed', '"full", "truncated"']),
        (["--set", "training.k2"], ["allowed: section.key=value"]),
        (["--set", "training.loss=cross_entropy"], ["training.loss", "cross_entropy"]),
    ],
)
def test_bad_settings_end_with_one_line_and_no_directory(tmp_path, capsys, extra, fragments):
    code, err = run(capsys, "run", DEFAULT, "--steps", 1, "--out", tmp_path / "out", *SMALL, *extra)
    assert code == 2
    assert_one_line_error(err, *fragments)
    assert not (tmp_path / "out").exists()


def test_missing_data_file_is_one_line_naming_it(tmp_path, capsys):
    exp = tmp_path / "exp.toml"
    exp.write_text('[data]\nsource = "file"\npath = "missing.csv"\n')
    code, err = run(capsys, "run", exp, "--steps", 1, "--out", tmp_path / "out")
    assert code == 2
    assert_one_line_error(err, "missing.csv")
    assert not (tmp_path / "out").exists()


def test_bad_value_in_the_file_names_file_and_key(tmp_path, capsys):
    exp = tmp_path / "exp.toml"
    exp.write_text('[training]\nbptt = "partial"\n')
    code, err = run(capsys, "run", exp, "--steps", 1, "--out", tmp_path / "out")
    assert code == 2
    assert err == f'rnn-viz: {exp}: training.bptt = "partial" is not allowed; allowed: "full", "truncated"\n'


def test_existing_directory_is_refused_unless_forced(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    code, err = run(capsys, "run", DEFAULT, "--steps", 1, "--out", out, *SMALL)
    assert code == 2
    assert_one_line_error(err, str(out), "already exists", "--force")
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    code, err = run(capsys, "run", DEFAULT, "--steps", 1, "--out", out, *SMALL, "--force")
    assert code == 0, err
    assert (out / "notes.txt").read_text() == "mine" and read_metrics(out / "metrics.csv")["step"].tolist() == [1]


def test_out_that_cannot_be_a_directory(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, err = run(capsys, "run", DEFAULT, "--steps", 1, "--out", blocker, *SMALL, "--force")
    assert code == 2
    assert_one_line_error(err, "is not a directory")
    code, err = run(capsys, "run", DEFAULT, "--steps", 1, "--out", blocker / "sub", *SMALL)
    assert code == 2
    assert_one_line_error(err, str(blocker))


def test_divergence_names_the_update_and_the_remedy_and_keeps_valid_files(tmp_path, capsys):
    out = tmp_path / "out"
    code, err = run(capsys, "run", DEFAULT, "--steps", 5, "--out", out, *SMALL,
                    "--set", "training.optimizer=sgd", "--set", "training.learning_rate=1e300")
    assert code == 2
    assert_one_line_error(err, "diverged at update 2", "learning rate", "--resume", "update 1;")
    assert read_metrics(out / "metrics.csv")["step"].tolist() == [1]
    assert "flow/0" in read_trace(out / "trace.npz")
    checkpoint = load_checkpoint(out / "checkpoint.npz")
    assert int(checkpoint["step"]) == 1 and np.all(np.isfinite(checkpoint["param/Whh.0"]))


@pytest.mark.parametrize("args", [["run", "x.toml", "--out", "d"], ["run", "x.toml", "--steps", "-1", "--out", "d"],
                                  ["run"]])
def test_usage_errors_exit_2(capsys, args):
    assert cli.main(args) == 2
    assert "usage:" in capsys.readouterr().err


def test_help_exits_0(capsys):
    assert cli.main(["run", "--help"]) == 0
    assert "--resume CHECKPOINT" in capsys.readouterr().out


# --- Ctrl-C, checkpoints, plots ------------------------------------------------------------------

def test_ctrl_c_stops_after_the_current_update_with_valid_files(tmp_path, capsys, monkeypatch):
    original = Trainer.step

    def step_then_ctrl_c(self, *args, **kwargs):
        record = original(self, *args, **kwargs)
        if record.step == 2:
            signal.raise_signal(signal.SIGINT)  # as if the user pressed Ctrl-C during update 2
        return record

    monkeypatch.setattr(Trainer, "step", step_then_ctrl_c)
    handler_before = signal.getsignal(signal.SIGINT)
    out = tmp_path / "out"
    code, err = run(capsys, "run", DEFAULT, "--steps", 50, "--out", out, *SMALL)
    assert code == 130
    assert signal.getsignal(signal.SIGINT) is handler_before
    metrics = read_metrics(out / "metrics.csv")
    assert metrics["step"].tolist() == [1, 2]
    trace = read_trace(out / "trace.npz")
    assert "flow/0" in trace and float(trace["loss"]) == metrics["loss"][1]  # update 2's heavy trace
    assert int(load_checkpoint(out / "checkpoint.npz")["step"]) == 2


def test_checkpoint_every_saves_along_the_way(tmp_path, capsys, monkeypatch):
    saved = []

    def recording_save(path, arrays):
        saved.append(int(arrays["step"]))
        save_checkpoint(path, arrays)

    monkeypatch.setattr(cli, "save_checkpoint", recording_save)
    out = tmp_path / "out"
    assert run(capsys, "run", DEFAULT, "--steps", 5, "--out", out, *SMALL, "--checkpoint-every", 2)[0] == 0
    assert saved == [2, 4, 5]


def test_plots_are_rendered_by_the_ui_layer_into_the_run_directory(tmp_path, capsys, monkeypatch):
    calls = []
    fake = types.ModuleType("rnn_viz.ui.plots")
    fake.render_run_plots = lambda out_dir, trace, metrics_path, config: calls.append(
        (out_dir, set(trace), metrics_path, config))
    monkeypatch.setitem(sys.modules, "rnn_viz.ui.plots", fake)
    out = tmp_path / "out"
    code, err = run(capsys, "run", DEFAULT, "--steps", 1, "--out", out, *SMALL, "--plots")
    assert code == 0, err
    (out_dir, keys, metrics_path, config), = calls
    assert out_dir == out and metrics_path == out / "metrics.csv" and "flow/0" in keys
    assert config.model.hidden_size == 8


def test_progress_lines_come_about_once_a_second(capsys):
    now = [0.0]
    progress = cli._Progress(total=100, first_step=0, quiet=False, clock=lambda: now[0])
    record = types.SimpleNamespace(step=1, loss=0.5, grad_norm=2.0)
    progress.update(record)
    assert capsys.readouterr().err == ""
    now[0] = 2.0
    record.step = 40
    progress.update(record)
    assert capsys.readouterr().err == "step 40/100  loss 0.5  grad_norm 2  20.0 steps/s  ETA 3 s\n"


# --- the window ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "env, ok",
    [
        ({}, False),
        ({"DISPLAY": ":0"}, True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, True),
        ({"QT_QPA_PLATFORM": "xcb"}, False),
        ({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "w"}, False),
        ({"QT_QPA_PLATFORM": "wayland;xcb", "DISPLAY": ":1"}, True),
        ({"QT_QPA_PLATFORM": "offscreen"}, True),
        ({"QT_QPA_PLATFORM": "vnc:size=800x600"}, True),
    ],
)
def test_display_detection(env, ok):
    assert (cli.display_problem(env, platform="linux") is None) == ok
    assert cli.display_problem(env, platform="win32") is None


def test_without_a_display_the_app_explains_how_to_run_headless(capsys, monkeypatch):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(cli.sys, "platform", "linux")
    opened = []
    fake = types.ModuleType("rnn_viz.ui.app")
    fake.run_app = opened.append
    monkeypatch.setitem(sys.modules, "rnn_viz.ui.app", fake)
    for argv in ([], ["gui"], ["gui", str(DEFAULT)], [str(DEFAULT)]):
        code, err = run(capsys, *argv)
        assert code == 2 and "rnn-viz run" in err and "xvfb-run" in err and "Traceback" not in err
    assert opened == []


def test_the_app_opens_through_run_app(capsys, monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    opened = []
    fake = types.ModuleType("rnn_viz.ui.app")
    fake.run_app = lambda path: opened.append(path) or 0
    monkeypatch.setitem(sys.modules, "rnn_viz.ui.app", fake)
    assert run(capsys, "gui", DEFAULT)[0] == 0
    assert run(capsys)[0] == 0
    assert run(capsys, DEFAULT)[0] == 0
    assert opened == [str(DEFAULT), None, str(DEFAULT)]
    code, err = run(capsys, "gui", "missing.toml")
    assert code == 2
    assert_one_line_error(err, "missing.toml: no such experiment file")


def test_written_config_is_a_valid_experiment_file(tmp_path, capsys):
    out = tmp_path / "out"
    assert run(capsys, "run", DEFAULT, "--steps", 1, "--out", out, *SMALL)[0] == 0
    text = (out / "config.toml").read_text()
    assert tomllib.loads(text)["data"]["seq_len"] == 12
    again = tmp_path / "again"
    assert run(capsys, "run", out / "config.toml", "--steps", 1, "--out", again, "--quiet")[0] == 0
    np.testing.assert_array_equal(read_metrics(again / "metrics.csv")["loss"], read_metrics(out / "metrics.csv")["loss"])


def test_a_data_file_next_to_the_experiment_is_found_from_the_run_folder_too(tmp_path, capsys):
    folder = tmp_path / "project"
    (folder / "data").mkdir(parents=True)
    values = np.sin(np.arange(200) / 5.0)
    (folder / "data" / "series.csv").write_text("x\n" + "\n".join(f"{v:.6f}" for v in values) + "\n")
    exp = folder / "exp.toml"
    exp.write_text('[data]\nsource = "file"\npath = "data/series.csv"\nseq_len = 12\nbatch_size = 4\n'
                   "[model]\nhidden_size = 8\n")
    out = tmp_path / "out"
    code, err = run(capsys, "run", exp, "--steps", 2, "--out", out, "--quiet")
    assert code == 0, err
    written = load_config(out / "config.toml")
    assert written.data["path"] == str(folder / "data" / "series.csv")
    again = tmp_path / "again"
    assert run(capsys, "run", out / "config.toml", "--steps", 1, "--out", again, "--quiet")[0] == 0
    code, err = run(capsys, "run", exp, "--steps", 1, "--out", tmp_path / "resumed", "--quiet",
                    "--resume", out / "checkpoint.npz")
    assert code == 0, err
    assert read_metrics(tmp_path / "resumed" / "metrics.csv")["step"].tolist() == [3]
    code, err = run(capsys, "run", out / "config.toml", "--steps", 1, "--out", tmp_path / "resumed2", "--quiet",
                    "--resume", out / "checkpoint.npz")
    assert code == 0, err


def test_settings_found_wrong_when_the_data_loads_name_the_experiment(tmp_path, capsys):
    code, err = run(capsys, "run", DEFAULT, "--steps", 1, "--out", tmp_path / "out", *SMALL,
                    "--set", "training.loss=cross_entropy")
    assert code == 2
    assert_one_line_error(err, f"{DEFAULT}: training.loss")
