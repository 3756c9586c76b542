"""The unrolled graph's node colours on the colour-scale modes as the user sees them: the levels of
each mode, the node colour bar's title, what resets auto, and that the choice outlives the view."""
from dataclasses import replace

import numpy as np
from PySide6.QtWidgets import QApplication

from rnn_viz.engine.activations import OUTPUT_RANGES
from rnn_viz.ui.settings import AppSettings
from rnn_viz.ui.views import FlowMatrixView, UnrolledGraphView
from rnn_viz.ui.views import colour_scale as cs
from rnn_viz.ui.views import readouts as ro
from rnn_viz.ui.views.graph import node_index, resolve_runs
from tests.ui.app_fixtures import make_window, small_config, step, wait_idle
from tests.ui.synthetic import make_config, make_state


def shown(qtbot, settings=None):
    view = UnrolledGraphView()
    qtbot.addWidget(view)
    if settings is not None:
        view.use_settings(settings)
    view.resize(900, 450)
    view.show()
    QApplication.processEvents()
    return view


def bar_title(view):
    return view.node_bar.getAxis("left").labelText


def mean_abs_hidden(state, layers, b=0, trace=None):
    """(L, T) mean over units of |h_t| of sample ``b``, straight from the trace."""
    trace = trace or state.trace
    return np.stack([np.abs(trace[f"hidden/{l}"][b]).mean(axis=-1) for l in range(layers)])


def relu_state(factor=1.0, model_id=0):
    state = replace(make_state("rnn", 2, T=12, H=5), model_id=model_id)
    trace = dict(state.trace, **{f"hidden/{l}": np.abs(state.trace[f"hidden/{l}"]) * factor for l in range(2)})
    return replace(state, trace=trace, config=make_config("rnn", 2, 5, activation="relu"))


def test_fixed_is_the_activations_range_of_mean_abs_h_or_a_typed_range(qtbot):
    view = shown(qtbot)
    state = make_state("rnn", 2, T=12, H=5)  # tanh: fixed is the default
    view.render(state)
    lo, hi = OUTPUT_RANGES["tanh"]
    assert view.frame.node_levels == (0.0, max(abs(lo), abs(hi))) == tuple(view.node_bar.levels())
    assert bar_title(view) == "nodes: fixed"
    assert view.scale_button.actions[("nodes", "fixed")].isChecked()
    view.set_scale(cs.Scale("fixed", (0.1, 0.3)))
    assert view.frame.node_levels == (0.1, 0.3) == tuple(view.node_bar.levels())
    assert bar_title(view) == "nodes: fixed (typed)"
    values = mean_abs_hidden(state, 2)
    np.testing.assert_array_equal(view.frame.node_idx, node_index(values, (0.1, 0.3)))
    assert view.frame.node_idx.min() == 0 or view.frame.node_idx.max() == 63  # the range clips


def test_percentile_is_numpy_percentile_of_the_node_values_drawn(qtbot):
    view = shown(qtbot)
    state = make_state("lstm", 2, T=12, H=5)
    view.render(state)
    view.scale_button.pick("nodes", "percentile")  # as a click in the Colours menu
    values = mean_abs_hidden(state, 2)
    np.testing.assert_array_equal(view.frame.node_values, values)
    expected = tuple(float(v) for v in np.percentile(values, cs.PERCENTILES))
    assert view.frame.node_levels == expected == tuple(view.node_bar.levels())
    assert bar_title(view) == "nodes: 1–99 %"
    np.testing.assert_array_equal(view.frame.node_idx, node_index(values, expected))
    assert view.scale_button.actions[("nodes", "percentile")].isChecked()


def test_compare_shares_one_node_scale_in_every_mode():
    state = make_state("rnn", 1, T=12, H=4, compare=True)
    trace_b = dict(state.trace_b, **{"hidden/0": state.trace_b["hidden/0"] * 30})
    state = replace(state, trace_b=trace_b, config=make_config("rnn", 1, activation="relu"),
                    config_b=make_config("rnn", 1, activation="relu"))
    a, b = mean_abs_hidden(state, 1), mean_abs_hidden(state, 1, trace=trace_b)
    frames, _ = resolve_runs(state, ["A", "B"], scale=cs.Scale("percentile"))
    both = np.concatenate([a.ravel(), b.ravel()])
    expected = tuple(float(v) for v in np.percentile(both, cs.PERCENTILES))
    assert frames[0].node_levels == frames[1].node_levels == expected
    frames, scales = resolve_runs(state, ["A", "B"], scale=cs.Scale("auto"))
    assert frames[0].node_levels == frames[1].node_levels == (0.0, ro.nice_ceiling(float(b.max())))
    assert scales[state.run("A").id] == ro.nice_ceiling(float(a.max()))  # each run's own auto state
    frames, _ = resolve_runs(state, ["A", "B"], scale=cs.Scale("fixed", (0.0, 2.0)))
    assert frames[0].node_levels == frames[1].node_levels == (0.0, 2.0)


def test_auto_grows_and_resets_with_a_new_model_not_with_another_frame_of_it(qtbot):
    view = shown(qtbot)
    state = relu_state(40.0, model_id=3)
    view.render(state)
    s = ro.nice_ceiling(float(mean_abs_hidden(state, 2).max()))
    assert s >= 10 and view.frame.node_levels == (0.0, s) and bar_title(view) == "nodes: auto"
    smaller = relu_state(1.0, model_id=3)  # another frame of the same model: never shrinks
    view.render(smaller)
    assert view.frame.node_levels == (0.0, s)
    view.render(replace(smaller, model_id=4))  # a new model: from its first frame
    small = ro.nice_ceiling(float(mean_abs_hidden(smaller, 2).max()))
    assert small < s and view.frame.node_levels == (0.0, small)


def test_the_mode_persists_into_a_new_view_with_the_same_settings(qtbot, tmp_path):
    path = tmp_path / "settings.ini"
    first = shown(qtbot, AppSettings(path))
    state = make_state("gru", 1, T=10, H=4)
    first.render(state)
    first.scale_button.pick("nodes", "percentile")
    AppSettings(path).sync()
    again = shown(qtbot, AppSettings(path))
    again.render(state)
    assert bar_title(again) == "nodes: 1–99 %"
    assert again.scale_button.actions[("nodes", "percentile")].isChecked()
    assert again.frame.node_levels == tuple(float(v) for v in np.percentile(mean_abs_hidden(state, 1),
                                                                              cs.PERCENTILES))


def test_a_new_model_in_the_window_resets_auto_and_the_history_slider_does_not(qtbot, tmp_path):
    # the flow view asks for the heavy trace parts, with which the history keeps updates
    views = (("graph", UnrolledGraphView, "Unrolled graph"), ("flow", FlowMatrixView, "Gradient flow"))
    window = make_window(qtbot, tmp_path, config=small_config(model={"activation": "linear"}), views=views)
    view = window.views[0][1]
    window.controller.render_now()
    assert bar_title(view) == "nodes: auto"
    step(qtbot, window, 3)
    wait_idle(qtbot, window)
    model = window.controller.generation
    assert set(view._node_scales) == {f"{model}:A"}
    view._node_scales[f"{model}:A"] = 1000.0  # as if an earlier update had reached mean |h| ~ 1000
    assert len(window.controller.traces) >= 2
    window.controller.set_history_index(0)
    window.controller.render_now()
    remembered = window.controller.traces[0].trace["hidden/0"][window.controller.sample]
    np.testing.assert_allclose(view.frame.node_values[0], np.abs(remembered).mean(axis=-1))  # drawn
    assert view.frame.node_levels == (0.0, 1000.0)  # the same model: auto kept
    window.acts.reset.trigger()
    qtbot.waitUntil(lambda: window.controller.generation != model, timeout=10_000)
    window.controller.render_now()
    assert set(view._node_scales) == {f"{window.controller.generation}:A"}
    assert view.frame.node_levels[1] < 1000.0  # a new model: afresh
