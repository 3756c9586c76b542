"""The heatmaps' colour-scale modes as the user sees them: levels, colour-bar titles, what resets
them, and that the choice (and the panels shown) outlive the window."""
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from rnn_viz.ui.settings import AppSettings
from rnn_viz.ui.views import FlowMatrixView, HiddenStateView
from rnn_viz.ui.views import colour_scale as cs
from rnn_viz.ui.views import readouts as ro
from tests.ui.app_fixtures import make_window, small_config, step, wait_idle
from tests.ui.synthetic import make_config, make_state


def shown(qtbot, cls, w=900, h=600, settings=None):
    view = cls()
    qtbot.addWidget(view)
    if settings is not None:
        view.use_settings(settings)
    view.resize(w, h)
    view.show()
    return view


def bar_title(view, key):
    return view._bars[key].getAxis("bottom").labelText


def column(view, key):
    """Every layer's drawn values of column ``key``, as the colour bar covers them."""
    return [d for (_, k), d in view._data.items() if k == key]


def test_percentile_levels_are_numpy_percentiles_of_the_columns_panels(qtbot):
    view = shown(qtbot, HiddenStateView)
    state = make_state("lstm", 2, T=30, H=6, sample=2)
    view.render(state)
    assert bar_title(view, "gates") == "fixed" and view._bars["gates"].levels() == (0.0, 1.0)
    for key in ("hidden", "cell", "gates", "candidate"):
        view.set_scale(key, cs.Scale("percentile"))
        data = np.concatenate([d.ravel() for d in column(view, key)])
        want = tuple(float(v) for v in np.percentile(data, [1, 99]))
        assert view._bars[key].levels() == want and bar_title(view, key) == "1–99 %"
        images = [image for _, col, _, image in view._panels if col.key == key]
        assert len(images) == 2 and all(tuple(im.getLevels()) == want for im in images)
    # gates of both layers: i, f and o of the sample drawn
    gates = np.concatenate([state.trace[f"gates/{l}"][2] for l in range(2)])
    H = 6
    sig = np.concatenate([gates[:, :2 * H], gates[:, 3 * H:]], axis=1)
    assert view._bars["gates"].levels() == tuple(float(v) for v in np.percentile(sig, [1, 99]))


def test_fixed_takes_a_typed_range_and_the_title_says_so(qtbot):
    view = shown(qtbot, HiddenStateView)
    view.render(make_state("lstm", 1, T=10, H=4))
    view.set_scale("cell", cs.Scale("fixed", (-3.0, 0.5)))
    assert view._bars["cell"].levels() == (-3.0, 0.5) and bar_title(view, "cell") == "fixed (typed)"
    view.set_scale("cell", cs.Scale("fixed"))  # no range typed: the unit span of an unbounded value
    assert view._bars["cell"].levels() == (-1.0, 1.0) and bar_title(view, "cell") == "fixed"
    assert "−1…1" in view._bars["cell"].toolTip()


def test_auto_grows_resets_with_a_new_model_and_not_with_another_frame_of_the_same(qtbot):
    view = shown(qtbot, HiddenStateView)
    config = make_config("rnn", 1, 5, activation="linear")
    state = replace(make_state("rnn", 1, T=12, H=5), config=config, model_id=3)
    big = dict(state.trace, **{"hidden/0": state.trace["hidden/0"] * 40})
    view.render(replace(state, trace=big))
    s = ro.nice_ceiling(float(np.abs(big["hidden/0"][0]).max()))
    assert view._bars["hidden"].levels() == (-s, s) and bar_title(view, "hidden") == "auto"
    # another frame of the same model (a history move, the next update): never shrinks
    view.render(state)
    assert view._bars["hidden"].levels() == (-s, s)
    # a new model: from its first frame
    view.render(replace(state, model_id=4))
    small = ro.nice_ceiling(float(np.abs(state.trace["hidden/0"][0]).max()))
    assert small < s and view._bars["hidden"].levels() == (-small, small)


def test_modes_and_hidden_panels_persist_in_the_settings(qtbot, tmp_path):
    path = tmp_path / "settings.ini"
    first = shown(qtbot, HiddenStateView, settings=AppSettings(path))
    state = make_state("lstm", 2, T=10, H=4)
    first.render(state)
    first.scale_button.pick("candidate", "percentile")
    first.panel_button.actions["cell"].setChecked(False)  # as a click in the Panels menu
    assert (0, "cell") not in {(l, c.key) for l, c, _, _ in first._panels}
    AppSettings(path).sync()
    first._settings.sync()
    again = shown(qtbot, HiddenStateView, settings=AppSettings(path))
    again.render(state)
    keys = {c.key for _, c, _, _ in again._panels}
    assert keys == {"hidden", "gates", "candidate"} and bar_title(again, "candidate") == "1–99 %"
    assert not again.panel_button.actions["cell"].isChecked()


def test_panels_hide_and_show_columns_and_layers_but_never_all(qtbot):
    view = shown(qtbot, HiddenStateView)
    view.render(make_state("gru", 2, T=10, H=4))
    assert {c.key for _, c, _, _ in view._panels} == {"hidden", "gates", "candidate"}
    view.panel_button.actions["gates"].setChecked(False)
    view.panel_button.actions["layer:1"].setChecked(False)
    assert {(l, c.key) for l, c, _, _ in view._panels} == {(0, "hidden"), (0, "candidate")}
    assert set(view._bars) == {"hidden", "candidate"}
    view.panel_button.actions["hidden"].setChecked(False)
    assert not view.panel_button.actions["candidate"].isEnabled()  # the last column stays
    assert not view.panel_button.actions["layer:0"].isEnabled()    # and so does the last layer
    view.panel_button.actions["gates"].setChecked(True)
    assert {(l, c.key) for l, c, _, _ in view._panels} == {(0, "gates"), (0, "candidate")}
    columns, rows = view.csv_table()
    assert columns[0] == "t" and all("/0" in c for c in columns[1:]) and rows.shape[0] == 10


def test_a_new_model_in_the_window_resets_auto_and_the_history_slider_does_not(qtbot, tmp_path):
    # the flow view asks for the heavy trace parts, with which the history keeps updates
    views = (("heatmaps", HiddenStateView, "Hidden states"), ("flow", FlowMatrixView, "Gradient flow"))
    window = make_window(qtbot, tmp_path, config=small_config(model={"activation": "linear"}), views=views)
    view = window.views[0][1]
    window.controller.render_now()
    assert bar_title(view, "hidden") == "auto"
    step(qtbot, window, 3)
    wait_idle(qtbot, window)
    model = window.controller.generation
    assert set(k[0] for k in view._scales) == {f"{model}:A"}
    # as if an earlier update of this model had reached |h| ~ 1000: a scale no frame here reaches
    view._scales[(f"{model}:A", "hidden")] = 1000.0
    assert len(window.controller.traces) >= 2
    window.controller.set_history_index(0)
    window.controller.render_now()
    remembered = window.controller.traces[0].trace["hidden/0"][window.controller.sample].T
    assert np.array_equal(view._data[(0, "hidden")], remembered)  # the remembered update is drawn
    assert view._bars["hidden"].levels() == (-1000.0, 1000.0)  # the same model: auto kept
    window.acts.reset.trigger()
    qtbot.waitUntil(lambda: window.controller.generation != model, timeout=10_000)
    window.controller.render_now()
    assert set(k[0] for k in view._scales) == {f"{window.controller.generation}:A"}
    assert view._bars["hidden"].levels()[1] < 1000.0  # a new model: afresh
    model = window.controller.generation
    view._scales[(f"{model}:A", "hidden")] = 1000.0
    window.acts.compare.trigger()  # compare mode: new models for runs A and B
    qtbot.waitUntil(lambda: window.controller.generation != model, timeout=10_000)
    window.controller.render_now()
    assert window.controller.compare and view._bars["hidden"].levels()[1] < 1000.0


def test_the_mode_chosen_in_one_window_is_the_mode_of_the_next(qtbot, tmp_path):
    views = (("heatmaps", HiddenStateView, "Hidden states"),)
    window = make_window(qtbot, tmp_path, views=views)
    window.views[0][1].scale_button.pick("hidden", "percentile")
    window.close()
    again = make_window(qtbot, tmp_path, views=views)
    again.controller.render_now()
    assert bar_title(again.views[0][1], "hidden") == "1–99 %"
    assert again.views[0][1].scale_button.actions[("hidden", "percentile")].isChecked()
