"""The pure halves of the views: resolve(state) -> frame, on synthetic states (no Qt widgets), and
the view applying a frame only when it changed."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from rnn_viz.engine.analysis import memory_horizon
from rnn_viz.ui.views import ALL_VIEWS, curves, flow, gradients, graph, heatmaps, predictions
from rnn_viz.ui.views.frames import frozen, same
from tests.ui.synthetic import make_config, make_history, make_state, make_trace
from tests.ui.test_views_three_runs import three_runs


def test_same_compares_arrays_by_value_and_nan_equal_to_nan():
    a = frozen([1.0, np.nan])
    assert same(a, frozen([1.0, np.nan])) and not same(a, frozen([1.0, 2.0]))
    assert not same(a, frozen([1, 0], dtype=np.int64)) and not same((a,), (a, a))
    assert same({"x": (a, "t")}, {"x": (frozen([1.0, np.nan]), "t")}) and not same("a", "b")
    with pytest.raises(ValueError):
        a[0] = 2.0  # frames are read-only


def test_same_on_big_arrays_finds_a_difference_its_sample_misses_and_any_layout():
    """Big arrays are looked at on a sample first; the answer is still the whole comparison's."""
    a = frozen(np.arange(128 * 200, dtype=np.float64).reshape(128, 200))
    b = a.copy()
    b[0, 1] = -1.0  # not among every 61st value in memory order
    assert not same(a, b)
    c = a.copy()
    c[0, 0] = np.nan
    d = c.copy()
    assert same(c, d)  # NaN in the sample is equal to NaN
    d[0, 0] = 0.0
    assert not same(c, d)
    f = np.asfortranarray(a)  # equal values, another memory order: equal
    assert same(a, f) and same(a.T.copy().T, a)
    g = np.asfortranarray(b)
    assert not same(a, g) and not same(f, g)


def test_gradient_frame_of_a_three_run_state_has_every_runs_curves():
    state = three_runs()
    frame = gradients.resolve(state, 1e-3)
    assert len(frame.curves) == 3 and frame.L == 1 and frame.T == 12
    for i, run in enumerate(state.runs):
        np.testing.assert_allclose(10 ** frame.curves[i][0], run.trace["dL_dh_norm/0"], rtol=1e-12)
        assert not frame.curves[i][0].flags.writeable
        assert frame.horizons[i] == (memory_horizon(np.asarray(run.trace["dL_dh_norm/0"]), 1e-3),)
        assert run.label in frame.horizon_text
    assert [name for _, _, name in frame.legend] == [r.label for r in state.runs] + ["envelope"]
    assert "dL_dh_norm/0 [truncated k1=1 k2=2]" in frame.columns
    assert frame.rows.shape == (12, len(frame.columns))


def test_gradient_frame_follows_the_fraction_and_the_cell():
    state = make_state("rnn", 2, T=30, H=6)
    loose, strict = gradients.resolve(state, 1e-1), gradients.resolve(state, 1e-6)
    assert not same(loose, strict) and "0.1 × peak" in loose.horizon_text
    assert all(h1 <= h2 for h1, h2 in zip(loose.horizons[0], strict.horizons[0]))
    assert all(env is not None for env in loose.envelopes) and "σ_max" in loose.envelope_text
    gated = gradients.resolve(make_state("lstm", 1, T=30, H=6), 1e-3)
    assert gated.envelopes == (None,) and "not for lstm cells" in gated.envelope_text
    assert gradients.resolve(replace(state, trace=None), 1e-3) is None


def test_resolve_is_pure_the_same_state_gives_the_same_frame():
    state = three_runs()
    assert same(gradients.resolve(state), gradients.resolve(state))
    moved = replace(state, time_step=5)  # the selected step is not part of the frame
    assert same(gradients.resolve(state), gradients.resolve(moved))


def test_a_view_applies_a_frame_only_when_it_changed(qtbot):
    view = gradients.GradientProfileView()
    qtbot.addWidget(view)
    view.show()
    state = make_state("rnn", 1, T=12, H=5)
    view.render(state)
    assert view.frames_applied == 1
    # an equal state built from new objects: resolved again, but nothing is applied
    copy = replace(state, trace={k: np.array(v) for k, v in state.trace.items()})
    view.render(copy)
    view.render(replace(copy, time_step=3))
    assert view.frames_applied == 1 and view.selection.value() == 3
    view.render(three_runs())
    assert view.frames_applied == 2
    view.fraction_box.setCurrentIndex(0)
    assert view.frames_applied == 3 and "0.1 × peak" in view.horizon_text.plain_text


# ------------------------------------------------------------------------------------ curves
def test_curves_frame_gives_each_run_its_own_clip_threshold():
    state = three_runs()
    configs = [make_config(clip_norm=0.0), make_config(clip_norm=1.0), make_config(clip_norm=5.0)]
    runs = tuple(replace(r, config=c) for r, c in zip(state.runs[2:], configs[2:]))
    state = replace(state, config=configs[0], config_b=configs[1], more_runs=runs)
    frame = curves.resolve(state)
    assert [r.clip for r in frame.runs] == [0.0, 1.0, 5.0]
    assert frame.runs[1].clip_label == "clip B = 1" and "A: no clipping" in frame.grad_note
    assert "C: clip_norm = 5" in frame.grad_note
    assert frame.grad_span[0] <= 0.0 and frame.grad_span[1] >= np.log10(5.0)  # both lines in view
    for i, run in enumerate(state.runs):
        np.testing.assert_array_equal(frame.runs[i].loss[1], run.history["loss"])
        assert not frame.runs[i].loss[1].flags.writeable
    single = curves.resolve(make_state("rnn", 1))
    assert len(single.runs) == 1 and single.runs[0].clip_label.startswith("clip_norm")


def test_curves_frame_drops_what_a_log_axis_cannot_draw():
    state = make_state("rnn", 2)
    h = dict(state.history)
    h["loss"] = np.where(np.arange(h["loss"].size) == 3, np.nan, h["loss"])
    h["grad_norm"] = np.where(np.arange(h["grad_norm"].size) == 4, 0.0, h["grad_norm"])
    frame = curves.resolve(replace(state, history=h, chance_loss=0.0))
    assert frame.runs[0].loss[0].size == h["step"].size - 1 and 4.0 + 1 not in frame.runs[0].grad[0]
    assert frame.chance is None and frame.layers == (0, 1)


def test_the_curves_view_draws_one_clip_line_per_run(qtbot):
    view = curves.TrainingCurvesView()
    qtbot.addWidget(view)
    view.show()
    state = make_state("rnn", 1, compare=True)
    view.render(replace(state, config=make_config(clip_norm=0.0), config_b=make_config(clip_norm=1.0)))
    view.csv_table()
    assert not view.clip_lines[0].isVisible() and view.clip_lines[1].isVisible()
    assert view.clip_lines[1].value() == pytest.approx(0.0) and view.clip_lines[1].label.format == "clip B = 1"
    applied = view.frames_applied
    view.render(replace(state, config=make_config(clip_norm=0.0), config_b=make_config(clip_norm=1.0)))
    view.csv_table()
    assert view.frames_applied == applied  # new but equal configs: nothing to apply


# -------------------------------------------------------------------------------------- flow
def test_flow_frames_of_each_run_of_a_three_run_state():
    state = three_runs()
    for run in state.runs:
        frame, chain = flow.resolve(state, run.name, cell=(11, 4))
        F = run.trace["flow/0"]
        assert frame.title.startswith(f"Run {run.name} (") and frame.T == 12
        np.testing.assert_array_equal(np.isnan(frame.log_flow), F <= 0)
        assert frame.index.dtype == np.uint8 and np.all(frame.index[F <= 0] == flow.NO_PATH)
        assert not frame.flow.flags.writeable and not frame.index.flags.writeable
        inspected = dict(chain.inspected)
        assert inspected["t"] == 11 and inspected["k"] == 4 and "h_4 → h_11" in chain.text
        np.testing.assert_allclose(10 ** chain.bound[1][0], inspected["product"], rtol=1e-12)  # from h_t back to h_k
    c = flow.resolve(state, "C")[0]
    assert c.band[0].size > 0 and "truncation" in c.explanation  # run C is truncated (k2 = 2)


def test_flow_frame_without_the_heavy_part_says_not_computed():
    state = make_state("rnn", 1, T=10, heavy=False)
    frame, chain = flow.resolve(state)
    assert frame.flow is None and "not computed" in frame.title and "heavy part" in chain.text
    frame, chain = flow.resolve(make_state("rnn", 1, T=10, loss_at="last"), cell=(4, 7))
    assert chain.inspected == () and "after t = 4" in chain.text


def test_flow_view_applies_the_matrix_only_when_it_changed(qtbot):
    view = flow.FlowMatrixView()
    qtbot.addWidget(view)
    view.show()
    state = make_state("rnn", 1, T=10)
    view.render(state)
    assert view.frames_applied == 1
    view.render(replace(state, trace=dict(state.trace), time_step=4))  # same numbers, new mapping
    assert view.frames_applied == 1 and view.inspected["k"] == 4
    view.render(make_state("rnn", 1, T=10, seed=3))
    assert view.frames_applied == 2


# ---------------------------------------------------------------------------------- heatmaps
def test_heatmap_frame_follows_each_runs_cell_and_sample():
    state = make_state("rnn", 1, T=12, H=5, sample=1, compare=True)
    state = replace(state, trace_b=make_trace("lstm", 1, T=12, H=5, seed=3), config_b=make_config("lstm", 1, 5))
    a = heatmaps.resolve(state, "A")
    b = heatmaps.resolve(state, "B")
    assert a.structure[0] == "rnn" and [key for _, key, _, _ in a.panels] == ["hidden"]
    assert b.structure[0] == "lstm" and "cell" in [key for _, key, _, _ in b.panels]
    hidden = dict(((l, k), d) for l, k, d, _ in b.panels)[(0, "hidden")]
    np.testing.assert_array_equal(hidden, state.trace_b["hidden/0"][1].T)
    assert not hidden.flags.writeable and b.title.startswith("Run B (")


def test_heatmap_scales_grow_within_a_run_and_start_afresh_for_a_new_one():
    state = replace(make_state("rnn", 1, T=12, H=5), config=make_config("rnn", 1, 5, activation="linear"))
    first = heatmaps.resolve(state, "A")
    s = dict(first.scales)[("0:A", "hidden")]
    assert dict(first.levels)["hidden"] == (-s, s) and s >= np.abs(state.trace["hidden/0"][0]).max()
    small = dict(state.trace, **{"hidden/0": state.trace["hidden/0"] * 1e-3})
    kept = heatmaps.resolve(replace(state, trace=small), "A", dict(first.scales))
    assert dict(kept.levels)["hidden"] == (-s, s)  # never shrinks within a run
    fresh = heatmaps.resolve(replace(state, trace=small, model_id=1), "A", dict(first.scales))
    assert dict(fresh.levels)["hidden"][1] < s  # a new model: a new run id, a new scale


# ------------------------------------------------------------------------------- predictions
def test_predictions_frame_of_each_run_and_its_text():
    state = three_runs()
    for run in state.runs:
        frame = predictions.resolve_run(state, run.name)
        assert frame.mode == "series" and frame.title.startswith(f"Run {run.name} (")
        np.testing.assert_array_equal(frame.outputs[0], run.trace["predictions"][1][:, 0])
        np.testing.assert_array_equal(frame.targets[0], run.trace["targets"][1][:, 0])
        assert frame.target_marks[0][0].size == 2 * int(run.trace["loss_mask"][1].sum())
    vocab = ("a", "b", "c")
    state = make_state("rnn", 1, T=16, loss="cross_entropy", vocab=vocab, sample=1)
    frame = predictions.resolve_run(state)
    tr = state.trace
    assert frame.mode == "classes" and np.array_equal(frame.guess, np.argmax(tr["predictions"][1], axis=1))
    right = frame.guess == tr["targets"][1]
    assert frame.right[0].size == 2 * int((right & tr["loss_mask"][1]).sum())
    text = predictions.resolve_text(frame, 3)
    assert "selected step 3" in text and "input" in text
    assert predictions.resolve_text(frame, 3) == text != predictions.resolve_text(frame, 4)


# ------------------------------------------------------------------------------------- graph
def test_graph_frame_of_each_run_of_a_three_run_state():
    state = three_runs()
    for run in state.runs:
        frame = graph.resolve(state, run.name)
        tr = run.trace
        np.testing.assert_allclose(frame.node_values[0], np.abs(tr["hidden/0"][1]).mean(axis=1))
        np.testing.assert_array_equal(frame.grad[0], tr["dL_dh_norm_sample/0"][1])
        assert frame.edge_bins.shape == frame.edge_cut.shape == (2 * 12 - 1,)
        assert run.label.split()[0] in frame.title or "BPTT" in frame.title
    full, cut = graph.resolve(state, "A"), graph.resolve(state, "C")
    assert not full.edge_cut.any() and full.windows[0].size == 0
    assert cut.windows[0].size > 0 and "k1=1 k2=2" in cut.title  # run C truncates with k2 = 2
    last = graph.resolve(make_state("rnn", 1, T=12, bptt="truncated", k1=4, k2=4, loss_at="last"))
    # one loss at t = 11 whose window starts at 8: the recurrent edges into steps 1..8 carry nothing
    np.testing.assert_array_equal(last.edge_cut[:11], np.arange(1, 12) <= 8)


def test_graph_node_scale_grows_per_run_and_starts_afresh_with_a_new_model():
    state = replace(make_state("rnn", 1, T=12, H=5), config=make_config("rnn", 1, 5, activation="relu"))
    big = dict(state.trace, **{"hidden/0": state.trace["hidden/0"] * 40})
    first = graph.resolve(replace(state, trace=big), "A")
    scale = dict(first.node_scales)["0:A"]
    assert first.node_levels == (0.0, scale) and scale >= 10
    kept = graph.resolve(state, "A", dict(first.node_scales))
    fresh = graph.resolve(replace(state, model_id=1), "A", dict(first.node_scales))
    assert kept.node_levels == (0.0, scale) and fresh.node_levels[1] < scale
    assert graph.resolve(make_state("lstm", 1, T=12, H=5), "A").node_levels == (0.0, 1.0)


def test_heatmap_frames_of_every_run_of_a_three_run_state():
    state = three_runs()
    for run in state.runs:
        frame = heatmaps.resolve(state, run.name)
        hidden = dict(((l, k), d) for l, k, d, _ in frame.panels)[(0, "hidden")]
        np.testing.assert_array_equal(hidden, run.trace["hidden/0"][1].T)
        assert frame.title.startswith(f"Run {run.name} (") and frame.sample == 1


@pytest.mark.parametrize("name, cls", [(n, c) for n, c, _ in ALL_VIEWS])
def test_every_view_applies_only_a_changed_frame(qtbot, name, cls):
    view = cls()
    qtbot.addWidget(view)
    view.show()
    state = three_runs()
    view.render(state)
    view.csv_table()  # flushes the curves' throttle
    applied = view.frames_applied
    assert applied >= 1
    # the same numbers in new objects, and another selected step: nothing to apply again
    copy = replace(state, trace={k: np.array(v) for k, v in state.trace.items()}, time_step=4)
    view.render(copy)
    view.csv_table()
    assert view.frames_applied == applied
    # a new update (new trace and history): applied once
    view.render(replace(state, trace=make_trace("rnn", 1, T=12, H=5, seed=11), history=make_history(layers=1, seed=11)))
    view.csv_table()
    assert view.frames_applied == applied + 1
