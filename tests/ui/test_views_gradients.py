"""The gradient profile: curves equal dL_dh_norm, run B overlaid, the envelope, the memory horizon."""
import numpy as np
import pytest
from dataclasses import replace

from rnn_viz.engine.analysis import envelope, memory_horizon
from rnn_viz.ui.views import GradientProfileView
from tests.ui.synthetic import make_state


@pytest.fixture
def view(qtbot):
    widget = GradientProfileView()
    qtbot.addWidget(widget)
    widget.resize(800, 500)
    widget.show()
    return widget


def original(item):
    """The values a curve shows: the views hand log10 values to curves on the log axis."""
    x, y = item.getData()
    return np.asarray(x), 10.0 ** np.asarray(y)


def test_curves_are_the_batch_gradient_norms(view):
    state = make_state("rnn", 2, T=30, bptt="truncated", k1=10, k2=10, loss_at="last")
    view.render(state)
    for l in range(2):
        x, y = original(view.curves_a[l])
        profile = state.trace[f"dL_dh_norm/{l}"]
        assert np.array_equal(x, np.arange(30))
        # zeros (cut by truncation) become gaps on the log axis
        assert np.array_equal(np.isnan(y), profile <= 0)
        assert np.allclose(y[profile > 0], profile[profile > 0])
    assert not view.curves_b[0].isVisible()


def test_compare_mode_overlays_run_b_with_a_legend(view):
    state = make_state("rnn", 2, T=25, compare=True)
    view.render(state)
    for l in range(2):
        assert view.curves_b[l].isVisible()
        _, y = original(view.curves_b[l])
        assert np.allclose(y, state.trace_b[f"dL_dh_norm/{l}"])
    labels = view.legend_names
    assert any(state.label_a in t for t in labels) and any(state.label_b in t for t in labels)
    columns, _ = view.csv_table()
    assert f"dL_dh_norm/1 [{state.label_b}]" in columns


def test_envelope_is_anchored_at_the_last_loss_step(view):
    state = make_state("rnn", 1, T=20, loss_at="last", decay=0.9)
    view.render(state)
    tr = state.trace
    profile = tr["dL_dh_norm/0"]
    expected = profile[19] * envelope(float(tr["whh_sigma_max/0"]), 19 - np.arange(20))
    columns, rows = view.csv_table()
    assert np.allclose(rows[:, columns.index("envelope/0")], expected)
    text = view.envelope_text.plain_text
    assert "t' = 19" in text and "one layer" in text


def test_gated_cells_get_no_envelope_and_say_why(view):
    view.render(make_state("lstm", 1, T=10))
    assert not view.envelopes[0].isVisible()
    assert "lstm" in view.envelope_text.plain_text


def test_memory_horizon_readout_follows_the_chosen_fraction(view):
    state = make_state("rnn", 2, T=60, loss_at="last", decay=0.7)
    view.render(state)
    profiles = [state.trace[f"dL_dh_norm/{l}"] for l in range(2)]
    assert view.horizons[0] == [memory_horizon(p, 1e-3) for p in profiles]
    assert f"layer 0: {view.horizons[0][0]} steps" in view.horizon_text.plain_text
    view.fraction_box.setCurrentIndex(view.fraction_box.findData(1e-1))
    assert view.horizons[0] == [memory_horizon(p, 1e-1) for p in profiles]
    assert view.horizons[0][0] < memory_horizon(profiles[0], 1e-3)


def test_unchanged_state_is_not_redrawn(view):
    state = make_state("rnn", 1, T=10)
    view.render(state)
    view.curves_a[0].setData([0.0], [1.0])  # a redraw would overwrite this
    view.render(replace(state, time_step=4))
    assert len(original(view.curves_a[0])[0]) == 1
    assert view.selection.value() == 4


def test_a_signal_that_never_fades_is_said_to_reach_step_0(view):
    state = make_state("rnn", 1, T=30, loss_at="all", decay=1.0)
    view.render(state)
    profile = state.trace["dL_dh_norm/0"]
    peak = int(np.argmax(profile))
    assert profile.min() >= 1e-3 * profile.max() and view.horizons[0][0] == peak + 1
    assert "layer 0: reaches t = 0" in view.horizon_text.plain_text
    assert "steps" not in view.horizon_text.plain_text


def test_the_drawn_envelope_stays_inside_the_axes(view):
    state = make_state("rnn", 1, T=30, loss_at="last", decay=1.0)  # sigma_max > 1: the bound grows back in time
    view.render(state)
    _, shown = view.envelopes[0].getData()  # log10 units, as the axis
    shown = shown[np.isfinite(shown)]
    lo, hi = view.plot.viewRange()[1]
    assert shown.size and lo <= shown.min() and shown.max() <= hi


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_a_new_trace_shows_and_hides_no_item_again(view, cell):
    """Items keep their visibility from frame to frame: a curve shown and hidden again within one
    frame is a change Qt repaints (run B's curves and an lstm's envelopes were, every frame)."""
    from tests.ui.synthetic import make_trace

    state = make_state(cell, 2, T=30, H=4, compare=False)
    view.render(state)
    items = [*view.envelopes, *(c for curves in view.run_curves for c in curves)]
    changes = []
    for item in items:
        original = item.itemChange

        def counted(change, value, item=item, original=original):
            if change == item.GraphicsItemChange.ItemVisibleHasChanged:
                changes.append(item)
            return original(change, value)

        item.itemChange = counted
    view.render(replace(state, trace=make_trace(cell, 2, 30, 4, seed=7)))
    assert view.frames_applied >= 2 and changes == []
