"""`rnn-viz sweep` end to end: processes, a Dask LocalCluster, failures, --resume, Ctrl-C, bad input."""
import math
import os
import signal
import subprocess
import sys
import time
import tomllib
import xml.etree.ElementTree as ET

import pytest

from rnn_viz import cli
from rnn_viz.experiment.sweep import read_rows

GRID = ["--grid", "model.spectral_radius=0.5,1.0,1.5"]


def sweep(capsys, *args):
    code = cli.main(["sweep", *map(str, args)])
    return code, capsys.readouterr().err


def assert_one_line_error(err, *fragments):
    assert "Traceback" not in err and err.startswith("rnn-viz sweep: ") and err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


def test_local_processes_write_the_csv_the_toml_and_a_figure_per_measure(tmp_path, capsys):
    out = tmp_path / "s"
    code, err = sweep(capsys, "3-edge-of-chaos", *GRID, "--measure", "top_lyapunov,grad_decay", "--out", out,
                      "--jobs", "2")
    assert code == 0, err
    assert "3/3 points" in err and "ETA" in err
    rows = sorted(read_rows(out / "sweep.csv"), key=lambda r: int(r["point"]))
    assert list(rows[0]) == ["point", "model.spectral_radius", "top_lyapunov", "grad_decay", "steps", "seconds",
                             "error"]
    for row, rho in zip(rows, (0.5, 1.0, 1.5)):
        assert float(row["model.spectral_radius"]) == rho and row["error"] == "" and row["steps"] == "0"
        assert float(row["top_lyapunov"]) == pytest.approx(math.log(rho), abs=1e-12)
        assert float(row["grad_decay"]) == pytest.approx(math.log(rho), abs=1e-12)
    doc = tomllib.loads((out / "sweep.toml").read_text())
    assert doc["grid"] == [{"key": "model.spectral_radius", "values": [0.5, 1.0, 1.5]}]
    assert doc["measures"] == ["top_lyapunov", "grad_decay"] and doc["command"].startswith("rnn-viz sweep 3-edge")
    for name in ("top_lyapunov", "grad_decay", "sweep"):
        assert (out / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        ET.parse(out / f"{name}.svg")


def test_a_dask_local_cluster_runs_the_same_points(tmp_path, capsys):
    import distributed  # in the test extra, as the optional rnn-viz[cluster]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None) as cluster:
        code, err = sweep(capsys, "3-edge-of-chaos", *GRID, "--grid", "training.seed=0,1", "--measure",
                          "grad_decay,final_loss", "--out", tmp_path / "d", "--scheduler", cluster.scheduler_address)
    assert code == 0, err
    code_local, _ = sweep(capsys, "3-edge-of-chaos", *GRID, "--grid", "training.seed=0,1", "--measure",
                          "grad_decay,final_loss", "--out", tmp_path / "l", "--jobs", "1", "--quiet")
    assert code_local == 0
    by_point = lambda d: {r["point"]: (r["grad_decay"], r["final_loss"]) for r in read_rows(d / "sweep.csv")}
    assert by_point(tmp_path / "d") == by_point(tmp_path / "l") and len(by_point(tmp_path / "d")) == 6
    ET.parse(tmp_path / "d" / "grad_decay.svg")  # two grids: a heatmap


def test_an_unreachable_scheduler_is_a_one_line_error(tmp_path, capsys):
    code, err = sweep(capsys, "3-edge-of-chaos", *GRID, "--measure", "final_loss", "--out", tmp_path / "x",
                      "--scheduler", "tcp://127.0.0.1:9")
    assert code == 2
    assert_one_line_error(err.splitlines()[-1] + "\n", "cannot reach the scheduler at tcp://127.0.0.1:9")


def test_failed_points_are_recorded_exit_2_and_resume_reruns_only_them(tmp_path, capsys):
    out = tmp_path / "f"
    args = ["2-exploding-gradients", "--grid", "training.clip_norm=0,1", "--measure", "final_loss", "--steps", "3",
            "--out", out, "--jobs", "1"]
    code, err = sweep(capsys, *args)
    assert code == 2
    assert "1 of 2 points failed (first: point 0: DivergenceError" in err
    rows = {r["point"]: r for r in read_rows(out / "sweep.csv")}
    assert rows["0"]["final_loss"] == "" and "update 2" in rows["0"]["error"] and rows["0"]["steps"] == "1"
    assert rows["1"]["error"] == "" and float(rows["1"]["final_loss"]) > 0
    kept = rows["1"]
    code, err = sweep(capsys, *args, "--resume")
    assert code == 2 and "2 points (1 done before)" in err
    rows = {r["point"]: r for r in read_rows(out / "sweep.csv")}
    assert rows["1"] == kept and rows["0"]["error"]  # the success kept as it was, the failure rerun
    code, err = sweep(capsys, *args[:2], "training.clip_norm=0,2", *args[3:], "--resume")
    assert code == 2 and "refuses a different grid" in err


@pytest.mark.parametrize("extra, fragment", [
    (["--grid", "model.hidden_size=8,8.5"], "model.hidden_size = 8.5 is not allowed; allowed: an integer"),
    (["--grid", "model.gain=1", "--grid", "training.seed=1", "--grid", "data.seq_len=5"], "1 to 2 --grid"),
    (["--grid", "model.spectral_radius=1", "--measure", "speed"], "--measure speed is not allowed"),
    (["--grid", "model.cells=1"], "unknown key model.cells"),
])
def test_bad_arguments_exit_2_with_one_line(tmp_path, capsys, extra, fragment):
    args = ["3-edge-of-chaos", "--out", tmp_path / "b", *extra]
    if "--measure" not in extra:
        args += ["--measure", "final_loss"]
    code, err = sweep(capsys, *args)
    assert code == 2
    assert_one_line_error(err, fragment)
    assert not (tmp_path / "b").exists()


def test_an_existing_directory_needs_force_or_resume(tmp_path, capsys):
    out = tmp_path / "e"
    out.mkdir()
    (out / "old.txt").write_text("x")
    code, err = sweep(capsys, "3-edge-of-chaos", *GRID, "--measure", "final_loss", "--out", out)
    assert code == 2
    assert_one_line_error(err, "already exists", "--force")
    code, _ = sweep(capsys, "3-edge-of-chaos", *GRID, "--measure", "final_loss", "--out", out, "--force",
                    "--jobs", "1", "--quiet")
    assert code == 0 and len(read_rows(out / "sweep.csv")) == 3


def test_ctrl_c_keeps_the_finished_rows_and_exits_130(tmp_path):
    out = tmp_path / "c"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rnn_viz.cli", "sweep", "7-transition-to-chaos", "--grid",
         "model.gain=0.5,0.6,0.7,0.8,0.9,1.0", "--measure", "top_lyapunov", "--out", str(out), "--jobs", "1",
         "--quiet"], env=env, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as from a terminal, whatever started pytest
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(read_rows(out / "sweep.csv")) < 1:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    rows = read_rows(out / "sweep.csv")
    assert 1 <= len(rows) < 6 and all(r["error"] == "" for r in rows)
    assert "interrupted" in err and "Traceback" not in err


def test_a_point_the_executor_loses_is_a_failed_row_not_a_crash():
    from concurrent.futures.process import BrokenProcessPool

    from rnn_viz import sweep_cli

    class Lost:
        def result(self):
            raise BrokenProcessPool("A process in the process pool was terminated abruptly")

    row = sweep_cli._outcome(Lost(), {"point": 4, "values": (1.5,)})
    assert row["point"] == 4 and row["values"] == (1.5,) and row["measures"] == {}
    assert row["error"] == "the worker failed: BrokenProcessPool: A process in the process pool was terminated abruptly"


def test_an_unknown_experiment_and_help(tmp_path, capsys):
    code, err = sweep(capsys, "no-such-preset", *GRID, "--measure", "final_loss", "--out", tmp_path / "u")
    assert code == 2
    assert_one_line_error(err, "no-such-preset", "no preset has that name", "7-transition-to-chaos")
    assert cli.main(["sweep", "--help"]) == 0
    assert "--scheduler" in capsys.readouterr().out
