"""Compare mode on the default experiment: the status bar says, from the two traces, how much of the
gradient flow truncation cuts and why the runs look alike on this task; it is gone outside compare mode."""
from __future__ import annotations

from rnn_viz.experiment import config as cfgmod
from rnn_viz.experiment.compare_readout import truncation_effect
from tests.ui.app_fixtures import make_window, step


def test_compare_mode_on_the_default_experiment_says_why_the_runs_look_alike(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, config=cfgmod.default_config())
    readout = window.compare_readout
    window.controller.render_now()
    assert not readout.label.isVisible()
    window.set_compare(True)
    step(qtbot, window, 3)
    state = window.controller.render_now()
    assert readout.label.isVisible()
    b = window.controller.config_b.training
    effect = truncation_effect(state.trace, state.trace_b, b.k1, b.k2,
                               float(state.history["loss"][-1]), float(state.history_b["loss"][-1]))
    assert readout.text.startswith(f"TBPTT({b.k1}, {b.k2}) cuts {effect.cut_share:.0%} of the gradient flow")
    assert "this task needs only the last few steps" in readout.text
    assert readout.label.toolTip() == readout.text
    window.set_compare(False)
    window.controller.render_now()
    assert not readout.label.isVisible()
