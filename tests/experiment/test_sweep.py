"""The sweep's pieces without processes: grids, tasks, one point, the files and --resume's check."""
import math

import numpy as np
import pytest

import rnn_viz
from rnn_viz.experiment import sweep
from rnn_viz.experiment.config import ConfigError, load_config
from rnn_viz.experiment.presets import find_preset

EDGE = find_preset("3-edge-of-chaos")


def test_grid_values_are_toml_lists_or_linspace_with_ends():
    assert sweep.parse_grid("model.spectral_radius=0.5,1,1.5").values == (0.5, 1, 1.5)
    assert sweep.parse_grid('training.bptt="full",truncated').values == ("full", "truncated")
    g = sweep.parse_grid("model.gain=0.5:2.5:21")
    assert g.key == "model.gain" and len(g.values) == 21 and g.values[0] == 0.5 and g.values[-1] == 2.5
    assert g.values[7] == 1.2  # linspace's 1.2000000000000002, to 15 significant digits
    np.testing.assert_allclose(g.values, np.linspace(0.5, 2.5, 21), rtol=1e-15)
    assert sweep.parse_grid("model.hidden_size=8:32:4").values == (8, 16, 24, 32)
    assert all(isinstance(v, int) for v in sweep.parse_grid("model.hidden_size=8:32:4").values)
    assert sweep.parse_grid("model.hidden_size=8:32:3").values == (8, 20, 32)


@pytest.mark.parametrize("text, fragment", [
    ("gain=1,2", "SECTION.KEY=a,b,c"), ("model.gain", "SECTION.KEY=a,b,c"), ("model.gain=", "SECTION.KEY"),
    ("model.gain=1:2", "a,b,c or START:STOP:COUNT"), ("model.gain=1:2:0", "whole COUNT"),
    ("model.gain=a:2:3", "two numbers"),
])
def test_bad_grids_say_what_is_allowed(text, fragment):
    with pytest.raises(ConfigError, match=fragment):
        sweep.parse_grid(text)


def test_points_first_grid_fastest_and_at_most_two_grids():
    a, b = sweep.Grid("model.gain", (1, 2, 3)), sweep.Grid("training.seed", (0, 1))
    assert sweep.grid_points([a, b]) == [(1, 0), (2, 0), (3, 0), (1, 1), (2, 1), (3, 1)]
    with pytest.raises(ConfigError, match="1 to 2 --grid"):
        sweep.grid_points([a, b, sweep.Grid("model.hidden_size", (4,))])
    with pytest.raises(ConfigError, match="given twice"):
        sweep.grid_points([a, a])


def test_every_point_is_validated_before_anything_runs(tmp_path):
    cfg = load_config(EDGE)
    with pytest.raises(ConfigError, match=r"model\.hidden_size = 8\.5 is not allowed; allowed: an integer"):
        sweep.point_tasks(cfg, [sweep.parse_grid("model.hidden_size=8,8.5")], tmp_path, 0, ["final_loss"])
    with pytest.raises(ConfigError, match="--measure speed is not allowed; allowed: top_lyapunov, grad_decay"):
        sweep.point_tasks(cfg, [sweep.parse_grid("model.hidden_size=8")], tmp_path, 0, ["speed"])
    tasks = sweep.point_tasks(cfg, [sweep.parse_grid("model.spectral_radius=0.5,2")], tmp_path, 0, ["final_loss"])
    assert [t["point"] for t in tasks] == [0, 1] and tasks[1]["values"] == (2,)


def test_a_point_measures_what_the_edge_of_chaos_predicts():
    cfg = load_config(EDGE)
    names = list(sweep.MEASURES)
    task = sweep.point_tasks(cfg, [sweep.parse_grid("model.spectral_radius=0.8")], EDGE.parent, 0, names)[0]
    result = sweep.run_point(task)
    assert result["error"] == "" and result["steps"] == 0
    m = result["measures"]
    # linear orthogonal rnn: both growth rates are exactly log(rho)
    assert m["top_lyapunov"] == pytest.approx(math.log(0.8), abs=1e-12)
    assert m["grad_decay"] == pytest.approx(math.log(0.8), abs=1e-12)
    assert m["memory_horizon"] >= 1 and m["final_loss"] > 0 and m["final_val_loss"] > 0
    assert list(m) == names


def test_a_failed_point_is_recorded_not_raised():
    cfg = load_config(find_preset("2-exploding-gradients"))
    task = sweep.point_tasks(cfg, [sweep.parse_grid("training.clip_norm=0")], EDGE.parent, 3, ["final_loss"])[0]
    result = sweep.run_point(task)
    assert result["error"].startswith("DivergenceError:") and "update 2" in result["error"]
    assert result["measures"] == {} and result["steps"] == 1 and "\n" not in result["error"]


def test_a_worker_with_another_version_fails_the_point_with_a_message():
    cfg = load_config(EDGE)
    task = sweep.point_tasks(cfg, [sweep.parse_grid("model.spectral_radius=1")], EDGE.parent, 0, ["final_loss"])[0]
    result = sweep.run_point({**task, "version": "0.0.1"})
    assert f"this worker has rnn-viz {rnn_viz.__version__}, the sweep runs 0.0.1" in result["error"]


def test_csv_columns_rows_and_resume_check(tmp_path):
    grids = [sweep.Grid("model.spectral_radius", (0.5, 1.0))]
    columns = sweep.csv_columns(grids, ["grad_decay", "final_loss"])
    assert columns == ["point", "model.spectral_radius", "grad_decay", "final_loss", "steps", "seconds", "error"]
    with sweep.SweepWriter(tmp_path / "sweep.csv", columns) as w:
        w.write({"point": 1, "values": (1.0,), "measures": {"grad_decay": 0.0, "final_loss": 2.5}, "steps": 0,
                 "seconds": 0.25, "error": ""})
        w.write({"point": 0, "values": (0.5,), "measures": {}, "steps": 1, "seconds": 0.1, "error": "boom"})
    rows = sweep.read_rows(tmp_path / "sweep.csv")
    assert rows[0] == {"point": "1", "model.spectral_radius": "1.0", "grad_decay": "0.0", "final_loss": "2.5",
                       "steps": "0", "seconds": "0.250", "error": ""}
    assert rows[1]["grad_decay"] == rows[1]["final_loss"] == "" and rows[1]["error"] == "boom"
    sweep.write_sweep_toml(tmp_path / "sweep.toml", "rnn-viz sweep ...", "x.toml", grids, ["grad_decay"], 0)
    sweep.check_resume(tmp_path / "sweep.toml", grids, ["grad_decay"], 0)
    with pytest.raises(ConfigError, match="refuses a different grid"):
        sweep.check_resume(tmp_path / "sweep.toml", [sweep.Grid("model.spectral_radius", (0.5, 2.0))],
                           ["grad_decay"], 0)
    with pytest.raises(ConfigError, match="same --measure and --steps"):
        sweep.check_resume(tmp_path / "sweep.toml", grids, ["grad_decay"], 5)
