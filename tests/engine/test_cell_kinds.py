"""The cells' facts (engine/cell_kinds.py) agree with the equations the engine computes."""
import numpy as np
import pytest

from rnn_viz.engine import NetSpec, evaluate
from rnn_viz.engine.activations import GATED_HIDDEN, OUTPUT_RANGES
from rnn_viz.engine.cell_kinds import CELL_KINDS, hidden_nonlinearity
from rnn_viz.engine.network import ACTIVATIONS, CELLS, DEFAULT_ACTIVATION, GATES

from .test_gradients import make_problem


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def test_cells_and_gate_counts_come_from_the_facts():
    assert CELLS == tuple(CELL_KINDS) == ("rnn", "lstm", "gru")
    for name, kind in CELL_KINDS.items():
        assert kind.name == name
        assert GATES[name] == kind.blocks
        assert kind.gated == (name != "rnn")
        if kind.gated:
            assert len(kind.gates) == GATES[name], name
        H = 5
        shapes = NetSpec(name, 2, H, 3).param_shapes()
        assert shapes["Whh.0"] == (kind.blocks * H, H) and shapes["Wxh.0"] == (kind.blocks * H, 2)


def test_gate_names_split_into_sigmoid_gates_and_one_candidate_in_order():
    assert CELL_KINDS["lstm"].gates == ("i", "f", "g", "o") and CELL_KINDS["gru"].gates == ("r", "z", "n")
    for kind in CELL_KINDS.values():
        if not kind.gated:
            assert kind.sigmoid_gates == () and kind.candidate is None
            continue
        assert kind.candidate in kind.gates and kind.candidate not in kind.sigmoid_gates
        assert set(kind.sigmoid_gates) | {kind.candidate} == set(kind.gates)
        assert list(kind.sigmoid_gates) == [g for g in kind.gates if g in kind.sigmoid_gates]
        assert [kind.block(g) for g in kind.gates] == list(range(len(kind.gates)))


def test_only_the_rnn_cell_takes_an_activation_and_only_lstm_has_a_cell_state():
    assert [c for c, k in CELL_KINDS.items() if k.takes_activation] == ["rnn"]
    assert [c for c, k in CELL_KINDS.items() if k.cell_state] == ["lstm"]


def _named_blocks(trace, kind, layer):
    """{gate name: (B, T, H) block} of the trace's gates/<layer>, sliced by the facts' order."""
    g = np.asarray(trace[f"gates/{layer}"])
    H = g.shape[-1] // kind.blocks
    return {name: g[..., kind.block(name) * H:(kind.block(name) + 1) * H] for name in kind.gates}


def _pre_activations(spec, p, x, trace, layer):
    """(B, T, G*H) W_xh x_t + b_h + W_hh h_{t-1} of ``layer`` from the trace's hidden states."""
    below = x if layer == 0 else np.asarray(trace[f"hidden/{layer - 1}"])
    h = np.asarray(trace[f"hidden/{layer}"])
    h_prev = np.concatenate([np.zeros_like(h[:, :1]), h[:, :-1]], axis=1)
    return below @ p[f"Wxh.{layer}"].T + p[f"bh.{layer}"] + h_prev @ p[f"Whh.{layer}"].T, h_prev


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_the_named_gates_are_the_blocks_the_engine_computes(cell):
    """Sliced by the facts' names, the trace's gates satisfy the cell's equations (engine/cells.py),
    so a view that labels or colours a block by its name shows the gate it says."""
    kind = CELL_KINDS[cell]
    spec, p, x, y, m = make_problem(cell, DEFAULT_ACTIVATION, "mse", "every", 2, seed=4, B=3, T=7, H=4)
    _, trace = evaluate(spec, p, x, y, m, "mse")
    H = spec.hidden_size
    for layer in range(2):
        gates = _named_blocks(trace, kind, layer)
        a, h_prev = _pre_activations(spec, p, x, trace, layer)
        h = np.asarray(trace[f"hidden/{layer}"])
        for name in kind.sigmoid_gates:
            b = kind.block(name)
            np.testing.assert_allclose(gates[name], _sigmoid(a[..., b * H:(b + 1) * H]), rtol=1e-12, atol=1e-14,
                                       err_msg=f"{cell} gate {name} of layer {layer}")
        if cell == "lstm":
            c = np.asarray(trace[f"cell/{layer}"])
            c_prev = np.concatenate([np.zeros_like(c[:, :1]), c[:, :-1]], axis=1)
            g = kind.block("g")
            np.testing.assert_allclose(gates["g"], np.tanh(a[..., g * H:(g + 1) * H]), rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(c, gates["f"] * c_prev + gates["i"] * gates["g"], rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(h, gates["o"] * np.tanh(c), rtol=1e-12, atol=1e-14)
        else:
            n = kind.block("n")
            W_hn, b_hn = p[f"Whh.{layer}"][n * H:(n + 1) * H], p[f"bhn.{layer}"]
            below = x if layer == 0 else np.asarray(trace[f"hidden/{layer - 1}"])
            xn = below @ p[f"Wxh.{layer}"][n * H:(n + 1) * H].T + p[f"bh.{layer}"][n * H:(n + 1) * H]
            np.testing.assert_allclose(gates["n"], np.tanh(xn + gates["r"] * (h_prev @ W_hn.T + b_hn)),
                                       rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(h, (1 - gates["z"]) * gates["n"] + gates["z"] * h_prev, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cell, activation", [("rnn", a) for a in ACTIVATIONS] + [("lstm", "tanh"), ("gru", "tanh")])
def test_hidden_states_lie_in_the_range_named_for_them(cell, activation):
    name = hidden_nonlinearity(cell, activation)
    assert name == (activation if cell == "rnn" else GATED_HIDDEN)
    lo, hi = OUTPUT_RANGES[name]
    spec, p, x, y, m = make_problem(cell, activation, "mse", "every", 2, seed=9, B=4, T=30, H=6)
    p = {k: 3.0 * v for k, v in p.items()}  # large weights: saturated gates and states at the bounds
    _, trace = evaluate(spec, p, 5.0 * x, y, m, "mse")
    for layer in range(2):
        h = np.asarray(trace[f"hidden/{layer}"])
        assert np.all(np.isfinite(h)) and h.min() >= lo and h.max() <= hi, (cell, activation, layer)
