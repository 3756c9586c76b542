"""Training curves draw the history columns, the chance level, the clip threshold and the spectra."""
from dataclasses import replace

import numpy as np
import pytest

from rnn_viz.ui.views import TrainingCurvesView
from tests.ui.synthetic import make_config, make_history, make_state


@pytest.fixture
def view(qtbot):
    widget = TrainingCurvesView()
    qtbot.addWidget(widget)
    widget.resize(700, 700)
    widget.show()
    return widget


def original(item):
    x, y = item.getOriginalDataset()
    return np.asarray(x), np.asarray(y)


def test_loss_validation_and_grad_norm_are_the_history(view):
    state = make_state("rnn", 2)
    view.render(state)
    h = state.history
    x, y = original(view.loss_a)
    assert np.array_equal(x, h["step"]) and np.array_equal(y, h["loss"])
    x, y = original(view.val_a)
    finite = np.isfinite(h["val_loss"])
    assert np.array_equal(x, h["step"][finite]) and np.array_equal(y, h["val_loss"][finite])
    assert np.array_equal(original(view.grad_a)[1], h["grad_norm"])
    for l in range(2):
        x, y = original(view.sigma_items[l])
        keep = np.isfinite(h[f"sigma_max/{l}"])
        assert np.array_equal(y, h[f"sigma_max/{l}"][keep])
        assert np.array_equal(original(view.rho_items[l])[1], h[f"rho/{l}"][keep])
    assert not view.sigma_items[2].isVisible()


def test_chance_and_clip_lines_sit_at_their_values_on_the_log_axes(view):
    state = make_state("rnn", 1)
    view.render(replace(state, chance_loss=0.5, config=make_config(clip_norm=2.0)))
    assert view.chance_line.isVisible() and view.chance_line.value() == pytest.approx(np.log10(0.5))
    assert view.clip_line.isVisible() and view.clip_line.value() == pytest.approx(np.log10(2.0))
    assert "2" in view.clip_line.label.format
    view.render(replace(state, config=make_config(clip_norm=0.0)))
    assert not view.clip_line.isVisible() and "no clipping" in view.grad_plot.titleLabel.text


def test_compare_mode_draws_run_b_in_the_same_plots(view):
    state = make_state("rnn", 1, compare=True)
    view.render(state)
    assert view.loss_b.isVisible() and view.grad_b.isVisible()
    assert np.array_equal(original(view.loss_b)[1], state.history_b["loss"])
    runs = view.runs_text.plain_text
    assert view.runs_text.isVisible() and state.label_a in runs and state.label_b in runs
    columns, rows = view.csv_table()
    assert columns[0] == "step" and f"loss [{state.label_b}]" in columns
    assert np.array_equal(rows[:, columns.index("loss")], state.history["loss"])
    view.render(make_state("rnn", 1))
    assert not view.runs_text.isVisible()


def test_long_histories_are_downsampled_and_clipped(view):
    for plot in (view.loss_plot, view.grad_plot, view.spectra_plot):
        ds, auto, method = plot.downsampleMode()
        assert auto and method == "peak" and plot.clipToViewMode()


def test_a_growing_history_is_redrawn_a_few_times_a_second_and_the_last_state_always(view, qtbot):
    state = make_state("rnn", 1)
    view.render(state)
    grown = {k: np.append(v, v[-1] + (1 if k == "step" else 0)) for k, v in state.history.items()}
    view.render(replace(state, history=grown))
    # drawn within HISTORY_REDRAW_MS, not necessarily at once; asking for the data draws it
    qtbot.waitUntil(lambda: len(original(view.loss_a)[0]) == len(grown["step"]), timeout=2000)
    grown2 = {k: np.append(v, v[-1]) for k, v in grown.items()}
    view.render(replace(state, history=grown2))
    columns, rows = view.csv_table()
    assert len(rows) == len(grown2["step"]) and len(original(view.loss_a)[0]) == len(grown2["step"])
    # a new run (history that does not continue the old one) is drawn at once
    view.render(make_state("rnn", 2, seed=4))
    assert view.sigma_items[1].isVisible()


def test_a_run_that_blew_up_does_not_push_the_other_out_of_view(view):
    state = make_state("rnn", 1, compare=True)
    huge = {k: (v * 1e20 if k in ("loss", "val_loss", "grad_norm") else v) for k, v in state.history_b.items()}
    view.render(replace(state, history_b=huge))
    for plot, column in ((view.loss_plot, "loss"), (view.grad_plot, "grad_norm")):
        lo, hi = plot.viewRange()[1]
        for hist in (state.history, huge):
            values = np.log10(hist[column][np.isfinite(hist[column])])
            assert lo <= values.min() and values.max() <= hi


def test_a_curve_of_one_point_shows_a_dot_until_its_second_point(view, qtbot):
    # After updates 1..9 of the default cadence the spectra have one row: a line needs two points,
    # so without the dot the W_hh spectrum plot looked empty.
    state = make_state("rnn", 1)
    view.render(replace(state, history=make_history(n=7, layers=1, val_every=5, spectra_every=10)))
    assert view.sigma_items[0].getData()[0].size == 1
    assert view.sigma_items[0].opts["symbol"] == "o" and view.val_a.opts["symbol"] == "o"
    assert view.loss_a.opts["symbol"] is None  # seven points: a line
    view.render(replace(state, history=make_history(n=25, layers=1, val_every=5, spectra_every=10)))
    qtbot.waitUntil(lambda: view.sigma_items[0].getData()[0].size == 3, timeout=2000)  # redraws are throttled
    assert view.sigma_items[0].opts["symbol"] is None
