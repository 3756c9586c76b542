"""Compare mode: two runs in lockstep on the same batches, overlaid in the views, stored as [compare]."""
from __future__ import annotations

import numpy as np

from rnn_viz.experiment import config as cfgmod
from rnn_viz.experiment.session import CompareTrainer
from rnn_viz.ui import files
from rnn_viz.ui.views import ALL_VIEWS
from tests.ui.app_fixtures import make_window, small_config, step


def test_default_compare_is_full_against_truncated_with_current_k1_k2(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, config=small_config(training={"k1": 2, "k2": 4}), views=ALL_VIEWS)
    window.acts.compare.trigger()
    c = window.controller
    assert c.compare and isinstance(c.trainer, CompareTrainer)
    assert c.config.training.bptt == "full"
    assert c.config_b.training.bptt == "truncated" and (c.config_b.training.k1, c.config_b.training.k2) == (2, 4)
    step(qtbot, window, 2)
    state = c.render_now()
    assert state.trace_b is not None and state.history_b is not None
    assert state.label_a.startswith("full BPTT") and "k2=4" in state.label_b
    # Same batches, same initial weights: only the gradient differs.
    np.testing.assert_array_equal(state.trace["inputs"], state.trace_b["inputs"])
    np.testing.assert_array_equal(state.history["step"], state.history_b["step"])
    first_a, first_b = c.traces[0].trace, c.traces[0].trace_b
    np.testing.assert_array_equal(first_a["param/Whh.0"], first_b["param/Whh.0"])
    flow_a, flow_b = np.asarray(state.trace["flow/0"]), np.asarray(state.trace_b["flow/0"])
    t, k = np.indices(flow_b.shape)
    assert np.all(flow_b[k < np.asarray(state.trace_b["window_start"])[t]] == 0)
    assert np.count_nonzero(flow_a) > np.count_nonzero(flow_b)
    assert "B:" in window.status_mode.text() and "(B)" in window.status_loss.text()
    assert not window.acts.save_checkpoint.isEnabled()

    window.acts.compare.trigger()
    assert not c.compare and c.config.compare is None and c.render_now().trace_b is None


def test_compare_section_is_saved_and_reopens_in_compare_mode(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    window.acts.compare.trigger()
    path = tmp_path / "pair.toml"
    window.prompts.save_answer = path
    assert window.files.save_experiment()
    saved = cfgmod.load_config(path)
    assert saved.compare["training"]["bptt"] == "truncated"

    other = make_window(qtbot, tmp_path, path=path)
    assert other.controller.compare and other.acts.compare.isChecked()


def test_any_two_configurations_from_a_compare_section(qtbot, tmp_path):
    d = cfgmod.to_dict(small_config())
    d["compare"] = {"label": "LSTM", "model": {"cell": "lstm"}}
    path = tmp_path / "rnn_vs_lstm.toml"
    path.write_text(cfgmod.to_toml(cfgmod.config_from_dict(d)), encoding="utf-8")
    window = make_window(qtbot, tmp_path, path=path)
    c = window.controller
    assert c.compare and c.trainer.b.spec.cell == "lstm" and not c.trainer.same_init
    step(qtbot, window)
    state = c.render_now()
    assert state.label_b == "LSTM" and "gates/0" in state.trace_b and "gates/0" not in state.trace
    # the views read run B's own experiment, not run A's
    assert state.config_b["model"]["cell"] == "lstm" and state.config["model"]["cell"] == "rnn"
