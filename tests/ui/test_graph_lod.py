"""The unrolled graph's level of detail: overview bins reduce the trace as documented, windows stay
inside the sequence, and the frame's overview is the trace's numbers binned."""
import numpy as np
import pytest

from rnn_viz.ui.views import graph
from rnn_viz.ui.views import graph_lod as lod
from rnn_viz.ui.views import readouts as ro
from tests.ui.synthetic import make_state


@pytest.mark.parametrize("T", [1, 5, 199, 200, 201, 400, 1000, 1001])
def test_bins_cover_every_step_once_and_never_exceed_the_column_budget(T):
    size = lod.bin_size(T)
    edges = lod.bin_edges(T, size)
    assert edges[0] == 0 and edges[-1] == T and np.all(np.diff(edges) >= 1)
    assert np.all(np.diff(edges)[:-1] == size) and np.diff(edges)[-1] <= size
    assert len(edges) - 1 <= lod.MAX_OVERVIEW_BINS
    assert size == 1 or len(edges) - 1 > lod.MAX_OVERVIEW_BINS // 2  # no coarser than needed


def test_bin_mean_and_max_reduce_each_bin_and_keep_nan_apart():
    values = np.array([[1.0, 3.0, 2.0, np.nan, 5.0, 4.0, 7.0]])
    np.testing.assert_allclose(lod.bin_max(values, 3), [[3.0, 5.0, 7.0]])
    np.testing.assert_allclose(lod.bin_mean(values, 3), [[2.0, np.nan, 7.0]])
    assert np.isnan(lod.bin_max(np.array([np.nan, np.nan, 1.0]), 2)[0])


@pytest.mark.parametrize("T, t, steps", [(10, 0, 4), (10, 9, 4), (10, 5, 20), (1000, 500, 30), (1000, 999, 31)])
def test_window_around_holds_the_step_and_stays_inside(T, t, steps):
    first, last = lod.window_around(t, steps, T)
    assert 0 <= first <= t <= last <= T - 1
    assert last - first + 1 == min(steps, T)


def test_detail_steps_fit_the_width_at_readable_spacing():
    assert lod.fit_steps(540, 1000) == int(540 // lod.DETAIL_PX_PER_STEP)
    assert lod.fit_steps(540, 12) == 12
    assert lod.max_readable_steps(540, 1000) * lod.MIN_PX_PER_STEP <= 540
    assert lod.fit_steps(10, 1000) == lod.MIN_DETAIL_STEPS


@pytest.mark.parametrize("T", [5, 50, 400, 1000])
@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_frame_overview_is_the_trace_binned_as_documented(T, cell):
    state = make_state(cell, 2, T=T, H=4, sample=1, decay=0.5)
    frame = graph.resolve(state)
    size = lod.bin_size(T)
    assert frame.bin_size == size and frame.overview_bins == -(-T // size)
    for l in range(2):
        h = ro.mean_abs(state.trace[f"hidden/{l}"][1])
        g = state.trace[f"dL_dh_norm_sample/{l}"][1]
        for c in range(frame.overview_bins):
            steps = slice(c * size, min((c + 1) * size, T))
            assert frame.overview_grad[l, c] == pytest.approx(g[steps].max())
            assert frame.overview_nodes[l, c] == pytest.approx(h[steps].mean())
    # the overview's decades count from the edges' largest value: the largest bin is the top one
    top = np.nanmax(frame.grad)
    np.testing.assert_array_equal(frame.overview_grad_bins, ro.decade_bins(frame.overview_grad, graph.N_BINS, top))
    assert frame.overview_grad_bins.max() == graph.N_BINS - 1
    if size > 1:
        assert f"{size} steps a column" in frame.tip


def test_compare_frames_share_one_node_scale():
    from dataclasses import replace

    from tests.ui.synthetic import make_config
    state = make_state("rnn", 1, T=12, H=4, compare=True)
    trace_b = dict(state.trace_b, **{"hidden/0": state.trace_b["hidden/0"] * 30})
    state = replace(state, trace_b=trace_b, config=make_config("rnn", 1, activation="relu"),
                    config_b=make_config("rnn", 1, activation="relu"))
    frames, scales = graph.resolve_runs(state, ["A", "B"])
    assert frames[0].node_levels == frames[1].node_levels == (0.0, max(scales.values()))
    assert frames[0].node_levels[1] >= 10
    values = frames[0].node_values
    expected = graph.node_index(values, frames[0].node_levels)
    np.testing.assert_array_equal(frames[0].node_idx, expected)
