"""`rnn-viz run --dynamics`: the dyn/ keys in trace.npz with the documented shapes and dtypes."""
import numpy as np
import pytest

from rnn_viz import cli
from rnn_viz.experiment.io import read_trace
from rnn_viz.experiment.presets import PRESETS_DIR

DEFAULT = PRESETS_DIR / "default.toml"
SMALL = ["--set", "data.seq_len=12", "--set", "data.batch_size=4", "--set", "data.val_size=8",
         "--set", "model.hidden_size=6", "--quiet"]


def dyn_keys(trace):
    return {k: v for k, v in trace.items() if k.startswith("dyn/")}


@pytest.mark.parametrize("cell, layers", [("rnn", 1), ("lstm", 2), ("gru", 1)])
def test_dynamics_keys_and_shapes(tmp_path, capsys, cell, layers):
    out = tmp_path / "run"
    code = cli.main(["run", str(DEFAULT), "--steps", "1", "--out", str(out), "--dynamics", *SMALL,
                     "--set", f"model.cell={cell}", "--set", f"model.num_layers={layers}",
                     "--set", "dynamics.fixed_point_starts=16"])
    assert code == 0, capsys.readouterr().err
    trace = read_trace(out / "trace.npz")
    H, T, G = 6, 12, {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    S = 2 * H if cell == "lstm" else H
    got = {k: v.shape for k, v in dyn_keys(trace).items()}
    P = got["dyn/fp/q"][0]
    Q = got["dyn/slow/q"][0]
    expected = {"dyn/lag": (), "dyn/step": (), "dyn/fp/state": (P, layers * S), "dyn/fp/q": (P,),
                "dyn/fp/max_abs_eig": (P,), "dyn/fp/unstable": (P,), "dyn/fp/input": (1,),
                "dyn/fp/pca": (3, layers * S), "dyn/slow/state": (Q, layers * S), "dyn/slow/q": (Q,),
                "dyn/slow/max_abs_eig": (Q,), "dyn/slow/unstable": (Q,)}
    for l in range(layers):
        expected.update({f"dyn/lyapunov/{l}": (min(H, 10),), f"dyn/kaplan_yorke/{l}": (), f"dyn/flow_slope/{l}": (),
                         f"dyn/jacobian_sv/{l}": (S,), f"dyn/whh_eig/{l}": (G, H),
                         f"dyn/step_jacobian_eig/{l}": (S,)})
    assert got == expected
    assert int(trace["dyn/lag"]) == T - 1 and int(trace["dyn/step"]) == T - 1
    assert trace["dyn/whh_eig/0"].dtype == np.complex128 and trace["dyn/step_jacobian_eig/0"].dtype == np.complex128
    assert trace["dyn/fp/unstable"].dtype == np.int64 and np.all(trace["dyn/fp/q"] <= 1e-10)
    # the stored eigenvalues are those of the stored weights, gate block by gate block
    W = trace["param/Whh.0"]
    for g in range(G):
        np.testing.assert_allclose(np.sort_complex(trace["dyn/whh_eig/0"][g]),
                                   np.sort_complex(np.linalg.eigvals(W[g * H:(g + 1) * H])), atol=1e-10)


def test_without_the_flag_no_dynamics_keys(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["run", str(DEFAULT), "--steps", "0", "--out", str(out), *SMALL]) == 0
    assert dyn_keys(read_trace(out / "trace.npz")) == {}


def test_dynamics_settings_that_do_not_fit_the_network_are_one_line_errors(tmp_path, capsys):
    code = cli.main(["run", str(DEFAULT), "--steps", "0", "--out", str(tmp_path / "r"), "--dynamics", *SMALL,
                     "--set", "dynamics.exponents=7"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert f"{DEFAULT}: dynamics.exponents = 7 is not allowed here; allowed: at most the state size S = 6" in err
    assert not (tmp_path / "r" / "metrics.csv").exists()  # refused before training
    code = cli.main(["run", str(DEFAULT), "--steps", "0", "--out", str(tmp_path / "r2"), "--dynamics", *SMALL,
                     "--set", "dynamics.fixed_point_input=[1.0, 2.0]"])
    err = capsys.readouterr().err
    assert code == 2 and 'dynamics.fixed_point_input has 2 value(s); allowed: "zero" or 1 number(s)' in err


def test_compare_runs_both_get_the_dynamics(tmp_path, capsys):
    out = tmp_path / "pair"
    code = cli.main(["run", "8-dynamical-isometry", "--steps", "0", "--out", str(out), "--dynamics", "--compare",
                     "--quiet"])
    assert code == 0, capsys.readouterr().err
    a, b = read_trace(out / "trace.npz"), read_trace(out / "compare" / "trace.npz")
    sa, sb = a["dyn/jacobian_sv/0"], b["dyn/jacobian_sv/0"]
    assert sa[0] / sa[-1] < 10 and np.percentile(sb, 90) / np.percentile(sb, 10) > 1e6
