"""Imported PyTorch weights: the engine's outputs and every parameter gradient equal torch autograd's.

Each case saves a random torch module (safetensors and torch.save), reads it back through the same
path as ``[model] weights``, and compares one full-BPTT forward/backward on the same batch in float64.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from rnn_viz.data.weights import read_state_dict
from rnn_viz.engine.network import NetSpec
from rnn_viz.engine.step import evaluate
from rnn_viz.experiment.torch_map import map_state_dict

from .torch_models import make_module, rnn_of, save

CELLS = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", None), ("gru", None)]
B, T, I, H, O = 2, 5, 2, 3, 2


def rel_err(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def torch_grads_by_engine_name(cell: str, layers: int, bias: bool, rnn, head) -> dict[str, np.ndarray]:
    """torch's gradients expressed for the engine's parameters (bh.l is b_ih + b_hh: both biases get
    the same gradient, except gru's n gate, split into bh.l (b_in) and bhn.l (b_hn))."""
    g = {}
    for k in range(layers):
        g[f"Wxh.{k}"] = getattr(rnn, f"weight_ih_l{k}").grad.numpy()
        g[f"Whh.{k}"] = getattr(rnn, f"weight_hh_l{k}").grad.numpy()
        if bias:
            b_ih = getattr(rnn, f"bias_ih_l{k}").grad.numpy()
            b_hh = getattr(rnn, f"bias_hh_l{k}").grad.numpy()
            shared = slice(0, 2 * H) if cell == "gru" else slice(None)
            assert rel_err(b_ih[shared], b_hh[shared]) < 1e-12  # torch adds them before the gate
            if cell == "gru":
                g[f"bhn.{k}"] = b_hh[2 * H :]
            g[f"bh.{k}"] = b_ih
    g["Why"], g["by"] = head.weight.grad.numpy(), head.bias.grad.numpy()
    return g


@pytest.mark.parametrize("fmt", ["safetensors", "pt"])
@pytest.mark.parametrize("readout", [True, False], ids=["readout", "no-readout"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell, activation", CELLS, ids=["rnn-tanh", "rnn-relu", "lstm", "gru"])
def test_forward_and_every_gradient_equal_torch_autograd(tmp_path, cell, activation, layers, bias, readout, fmt):
    module = make_module(cell, activation, layers, bias, I, H, O if readout else None)
    w = map_state_dict(read_state_dict(save(module, tmp_path, fmt)), "model")
    assert (w.cell, w.num_layers, w.input_size, w.hidden_size, w.bias) == (cell, layers, I, H, bias)
    assert w.weights_module == ("net.rnn" if readout else "")
    assert w.readout_module == ("head" if readout else "none")
    assert w.ignored == (("embed.weight",) if readout else ())

    rng = np.random.default_rng(1)
    x = rng.normal(size=(B, T, I))
    target = rng.normal(size=(B, T, O))
    mask = np.ones((B, T), dtype=bool)
    spec = NetSpec(cell, I, H, O, layers, activation or "tanh")
    params = {name: np.zeros(shape) for name, shape in spec.param_shapes().items()}
    params["Why"], params["by"] = rng.normal(size=(O, H)), rng.normal(size=O)  # a fresh readout
    params.update(w.params)
    grads, tr = evaluate(spec, params, x, target, mask, "mse")

    rnn = rnn_of(module)
    head = module.head if readout else torch.nn.Linear(H, O, dtype=torch.float64)
    if not readout:
        with torch.no_grad():
            head.weight.copy_(torch.from_numpy(params["Why"]))
            head.bias.copy_(torch.from_numpy(params["by"]))
    h, _ = rnn(torch.from_numpy(x))
    y = head(h)
    loss = ((y - torch.from_numpy(target)) ** 2).mean()
    loss.backward()

    assert rel_err(tr["outputs"], y.detach().numpy()) < 1e-10
    assert rel_err(tr[f"hidden/{layers - 1}"], h.detach().numpy()) < 1e-10
    assert abs(float(tr["loss"]) - loss.item()) <= 1e-12 * loss.item()
    expected = torch_grads_by_engine_name(cell, layers, bias, rnn, head)
    for name in expected:
        assert rel_err(grads[name], expected[name]) < 1e-10, name
    if not bias:  # the biases the module does not have are zero in the engine and never compared
        assert all(not np.any(params[n]) for n in params if n.startswith(("bh.", "bhn.")))


def test_npz_with_torch_key_names_reads_like_safetensors(tmp_path):
    module = make_module("lstm", None, 2, True)
    a = read_state_dict(save(module, tmp_path, "safetensors"))
    b = read_state_dict(save(module, tmp_path, "npz"))
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_float32_and_float16_files_are_read_and_cast_to_the_run_dtype(tmp_path):
    module = make_module("gru", None, 1, True).float()
    path = save(module, tmp_path, "safetensors")
    w = map_state_dict(read_state_dict(path), "m", dtype=np.float64)
    assert all(p.dtype == np.float64 for p in w.params.values())
    np.testing.assert_array_equal(w.params["Wxh.0"], module.net.rnn.weight_ih_l0.detach().numpy().astype(np.float64))
    half = save(module.half(), tmp_path, "safetensors", "half")
    assert read_state_dict(half)["net.rnn.weight_ih_l0"].dtype == np.float16
