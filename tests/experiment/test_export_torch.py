"""`rnn-viz export-torch`: back into the user's own torch module (strict), and back into rnn-viz bit for bit."""
from __future__ import annotations

import sys

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from rnn_viz import cli
from rnn_viz.data.weights import read_state_dict
from rnn_viz.engine.network import forward
from rnn_viz.experiment.io import load_checkpoint, read_trace
from rnn_viz.experiment.torch_map import map_state_dict

from .torch_models import Encoder, experiment, make_module, rnn_of, save


def run(capsys, *args):
    code = cli.main([str(a) for a in args])
    return code, capsys.readouterr().err


def train_imported(tmp_path, capsys, module, model: str = "", steps: int = 2):
    save(module, tmp_path, "safetensors")
    code, err = run(capsys, "run", experiment(tmp_path, "model.safetensors", model), "--steps", steps,
                    "--out", tmp_path / "run")
    assert code == 0, err
    return tmp_path / "run" / "checkpoint.npz", err


def engine_outputs(ckpt, x):
    from rnn_viz.experiment.config import from_json
    from rnn_viz.engine.network import NetSpec

    arrays = load_checkpoint(ckpt)
    cfg = from_json(str(arrays["config"][()]))
    params = {k[6:]: v for k, v in arrays.items() if k.startswith("param/")}
    spec = NetSpec(cfg.model.cell, x.shape[-1], cfg.model.hidden_size, params["by"].shape[0], cfg.model.num_layers,
                   cfg.model.activation or "tanh")
    _, y = forward(spec, params, x)
    return y.transpose(1, 0, 2), params


@pytest.mark.parametrize("fmt", ["safetensors", "npz", "pt"])
@pytest.mark.parametrize("cell, activation, bias", [("rnn", "relu", True), ("lstm", None, True), ("gru", None, True),
                                                    ("gru", None, False)])
def test_export_loads_strictly_into_the_users_module_with_identical_outputs(tmp_path, capsys, cell, activation,
                                                                           bias, fmt):
    module = make_module(cell, activation, 2, bias, inputs=2, hidden=3, outputs=1)
    ckpt, _ = train_imported(tmp_path, capsys, module, f'activation = "{activation}"' if activation else "")
    out = tmp_path / f"back.{fmt}"
    code, err = run(capsys, "export-torch", ckpt, out)
    assert code == 0 and "wrote" in err, err
    state = read_state_dict(out)
    fresh = make_module(cell, activation, 2, bias, inputs=2, hidden=3, outputs=1, seed=9)
    fresh.load_state_dict({k: torch.from_numpy(v) for k, v in state.items() if not k.startswith("embed.")}
                          | {"embed.weight": fresh.embed.weight.detach()}, strict=True)
    x = np.random.default_rng(0).normal(size=(2, 6, 2))
    with torch.no_grad():
        y_torch = fresh.head(rnn_of(fresh)(torch.from_numpy(x))[0]).numpy()
    y, params = engine_outputs(ckpt, x)
    assert np.max(np.abs(y - y_torch)) <= 1e-12 * np.max(np.abs(y_torch))
    assert all(v.dtype == np.float64 for v in state.values())
    assert any(k.startswith("bias_") or ".bias_" in k for k in state) == bias
    # back into rnn-viz: bit-identical parameters
    again = map_state_dict(state, str(out))
    for name, p in again.params.items():
        np.testing.assert_array_equal(p, params[name])
        assert p.tobytes() == params[name].tobytes()


def test_a_run_without_weights_exports_under_rnn_and_readout(tmp_path, capsys):
    path = experiment(tmp_path, None, 'cell = "lstm"\nhidden_size = 4\nnum_layers = 2')
    assert run(capsys, "run", path, "--steps", 1, "--out", tmp_path / "run")[0] == 0
    out = tmp_path / "m.safetensors"
    assert run(capsys, "export-torch", tmp_path / "run" / "checkpoint.npz", out)[0] == 0

    class M(torch.nn.Module):  # the class docs/file-formats.md shows
        def __init__(self):
            super().__init__()
            self.rnn = torch.nn.LSTM(2, 4, num_layers=2, batch_first=True, dtype=torch.float64)
            self.readout = torch.nn.Linear(4, 1, dtype=torch.float64)

    M().load_state_dict(load_file(str(out)), strict=True)


def test_export_refusals_exit_2_and_write_nothing(tmp_path, capsys):
    ckpt, _ = train_imported(tmp_path, capsys, make_module("gru", None, 1, True, 2, 3, 1))
    code, err = run(capsys, "export-torch", ckpt, tmp_path / "m.safetensors", "--format", "npz")
    assert code == 2 and "the suffix .safetensors says safetensors, --format says npz" in err
    code, err = run(capsys, "export-torch", ckpt, tmp_path / "m.bin")
    assert code == 2 and "cannot tell the format" in err
    existing = tmp_path / "there.npz"
    existing.write_bytes(b"keep")
    code, err = run(capsys, "export-torch", ckpt, existing)
    assert code == 2 and "already exists; add --force" in err and existing.read_bytes() == b"keep"
    assert run(capsys, "export-torch", ckpt, existing, "--force")[0] == 0 and existing.read_bytes() != b"keep"
    (tmp_path / "lin").mkdir()
    linear = experiment(tmp_path / "lin", None, 'activation = "linear"')
    assert run(capsys, "run", linear, "--steps", 0, "--out", tmp_path / "lin" / "run")[0] == 0
    code, err = run(capsys, "export-torch", tmp_path / "lin" / "run" / "checkpoint.npz", tmp_path / "lin.npz")
    assert code == 2 and 'model.activation = "linear" has no torch equivalent' in err
    assert not (tmp_path / "lin.npz").exists()
    code, err = run(capsys, "export-torch", tmp_path / "none.npz", tmp_path / "x.npz")
    assert code == 2 and err.startswith("rnn-viz: ") and "Traceback" not in err


def test_run_steps_0_writes_the_trace_at_the_imported_weights_and_prints_parity(tmp_path, capsys):
    module = make_module("lstm", None, 1, True, 2, 3, 1)
    _, err = train_imported(tmp_path, capsys, module, steps=0)
    assert "parity with torch: " in err and "not checked" not in err
    value = float(err.split("parity with torch: ")[1].split()[0])
    assert value < 1e-10
    trace = read_trace(tmp_path / "run" / "trace.npz")
    np.testing.assert_array_equal(trace["param/Whh.0"], module.net.rnn.weight_hh_l0.detach().numpy())
    assert {"flow/0", "dL_dh/0", "grad/Whh.0"} <= set(trace)


def test_parity_is_not_checked_without_torch(tmp_path, capsys, monkeypatch):
    save(make_module("gru", None, 1, True, 2, 3, 1), tmp_path, "safetensors")
    monkeypatch.setitem(sys.modules, "torch", None)
    code, err = run(capsys, "run", experiment(tmp_path, "model.safetensors"), "--steps", 0, "--out", tmp_path / "r")
    assert code == 0 and "parity with torch: not checked" in err


def test_a_parity_above_the_bound_warns_even_with_quiet_and_exits_0(tmp_path, capsys, monkeypatch):
    from rnn_viz.experiment import loop

    save(make_module("gru", None, 1, True, 2, 3, 1), tmp_path, "safetensors")
    monkeypatch.setattr(loop, "torch_parity", lambda *args: 3e-6)
    code, err = run(capsys, "run", experiment(tmp_path, "model.safetensors"), "--steps", 0, "--out", tmp_path / "r",
                    "--quiet")
    assert code == 0
    assert err == ("warning: parity with torch: 3.0e-06, above the 1e-10 expected in float64; the engine "
                   "does not reproduce this module's outputs\n")


def test_a_checkpoint_whose_parameters_do_not_fit_its_config_is_refused(tmp_path, capsys):
    from rnn_viz.experiment.io import save_checkpoint

    ckpt, _ = train_imported(tmp_path, capsys, make_module("gru", None, 1, True, 2, 3, 1))
    arrays = load_checkpoint(ckpt)
    arrays["param/Whh.0"] = np.zeros((9, 4))
    save_checkpoint(tmp_path / "bad.npz", {k: v for k, v in arrays.items()})
    code, err = run(capsys, "export-torch", tmp_path / "bad.npz", tmp_path / "x.safetensors")
    assert code == 2 and "param/Whh.0 is of shape (9, 4)" in err and "needs (9, 3)" in err
    assert not (tmp_path / "x.safetensors").exists()
