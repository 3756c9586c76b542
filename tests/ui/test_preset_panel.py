"""The guided-experiment panel: shows a preset's text, and for the edge-of-chaos experiment plots the
measured per-step decay against log(rho) on the line y = x."""
import math

import numpy as np
import pytest

from rnn_viz.experiment import presets
from rnn_viz.experiment.config import PresetConfig, apply_overrides, load_config
from rnn_viz.experiment.loop import Trainer
from rnn_viz.ui.preset_panel import PresetPanel


@pytest.fixture
def panel(qtbot):
    widget = PresetPanel()
    qtbot.addWidget(widget)
    return widget


def info(name):
    return presets.preset_info(presets.find_preset(name))


def test_panel_shows_title_explanation_what_to_look_at_and_equation(panel):
    vanish = info("1-vanishing-gradients")
    panel.set_preset(vanish)
    assert panel.objectName() == "presetPanel"
    assert panel.title.text() == "1. Gradients vanish"
    assert "0.9^50 = 5.2e-3" in panel.explanation.text()
    assert panel.look_at.text() == vanish.look_at.strip() and not panel.look_at.isHidden()
    assert "sigma_max(W_hh)" in panel.equation.text()
    assert panel.compare.isHidden() and not panel.plot_visible


def test_compare_run_is_named_and_missing_parts_are_hidden(panel):
    panel.set_preset(info("4-truncation-blind-spot"))
    assert not panel.compare.isHidden() and "truncated, k1 = 1, k2 = 10" in panel.compare.text()
    assert "Training > Compare mode (Ctrl+M)" in panel.compare.text() and "View >" not in panel.compare.text()
    panel.set_preset(PresetConfig(title="Mine", explanation="Only this."))
    assert panel.title.text() == "Mine" and panel.explanation.text() == "Only this."
    assert panel.look_at.isHidden() and panel.look_at_heading.isHidden() and panel.equation.isHidden()
    panel.set_preset(None)
    assert "Guided experiments" in panel.explanation.text() and panel.compare.isHidden()


def test_edge_of_chaos_points_land_on_the_theoretical_line(panel, qtbot):
    edge = info(presets.EDGE_OF_CHAOS)
    panel.set_preset(edge)
    assert panel.plot_visible and panel.points == ()
    for rho in (0.5, 1.0, 1.5):
        # What the window does when the spectral-radius control moves: re-initialise and measure.
        cfg = apply_overrides(edge.config, [f"model.spectral_radius={rho}"])
        decay = presets.measured_decay(Trainer(cfg).evaluate(heavy=True).trace)
        with qtbot.waitSignal(panel.pointsChanged, timeout=1000):
            assert panel.add_point(rho, decay)
    x, y = panel.points_item.getData()
    np.testing.assert_allclose(x, np.log([0.5, 1.0, 1.5]))
    np.testing.assert_allclose(y, x, atol=1e-9)  # on y = x
    tx, ty = panel.theory_curve.getData()
    np.testing.assert_array_equal(tx, ty)
    assert tx[0] < math.log(0.5) and tx[-1] > math.log(1.5)
    assert "0.50" in panel.decay_readout.text() and "1.50" in panel.decay_readout.text()


def test_a_repeated_rho_replaces_its_point_and_bad_values_are_refused(panel):
    panel.set_preset(info(presets.EDGE_OF_CHAOS))
    panel.add_point(1.2, 0.1)
    panel.add_point(0.8, -0.2)
    panel.add_point(1.2, 0.18)
    assert panel.points == ((1.2, 0.18), (0.8, -0.2))
    assert not panel.add_point(1.0, float("nan"))
    assert "no measurement" in panel.decay_readout.text()
    assert not panel.add_point(0.0, -1.0)
    assert len(panel.points_item.getData()[0]) == 2
    # A point beyond the control's range widens the plot instead of falling outside it.
    panel.add_point(3.0, math.log(3.0))
    x_range, y_range = panel.decay_plot.getPlotItem().viewRange()
    assert x_range[1] > math.log(3.0) and y_range[1] > math.log(3.0)


def test_another_preset_clears_the_points_and_hides_the_plot(panel):
    panel.set_preset(info(presets.EDGE_OF_CHAOS))
    panel.add_point(0.5, math.log(0.5))
    panel.set_preset(info("2-exploding-gradients"))
    assert panel.points == () and not panel.plot_visible
    # A PresetConfig (what the window holds) can ask for the plot explicitly.
    panel.set_preset(load_config(presets.find_preset(presets.EDGE_OF_CHAOS)).preset, decay_plot=True)
    assert panel.plot_visible
