"""Compare mode in the predictions view (issue 9): every run on one plot, named by the runs' labels,
with every run's columns in the CSV; character tasks get one row of guesses per run."""
import html
from dataclasses import replace

import numpy as np
import pytest

from rnn_viz.ui.views import PredictionsView
from rnn_viz.ui.views import prediction_frames as pf
from tests.ui.synthetic import make_state, shown_view

VOCAB = tuple("ab cd\n")


@pytest.fixture
def view(qtbot):
    return shown_view(qtbot, PredictionsView(), 700, 450)


def shared_batch(state):
    """Run B trained on run A's batch (as compare mode does unless [compare] changes the data)."""
    b = dict(state.trace_b)
    for key in ("inputs", "targets", "loss_mask"):
        b[key] = state.trace[key]
    return replace(state, trace_b=b)


def test_compare_draws_both_runs_outputs_over_one_target(view):
    state = shared_batch(make_state("rnn", 1, T=16, sample=2, O=2, compare=True))
    view.render(state)
    for o in range(2):
        for r, tr in enumerate((state.trace, state.trace_b)):
            curve = view.run_outputs[r][o]
            assert curve.isVisible()
            np.testing.assert_array_equal(curve.getData()[1], tr["predictions"][2, :, o])
        np.testing.assert_array_equal(view.targets[o].getData()[1], state.trace["targets"][2, :, o])
        assert view.targets[o].isVisible() and not view.run_targets[1][o].isVisible()  # the target once
    # run B in its own pen: the same colour per output, dashed
    pen_a, pen_b = view.run_outputs[0][0].opts["pen"], view.run_outputs[1][0].opts["pen"]
    assert pen_a.color() == pen_b.color() and pen_a.style() != pen_b.style()
    assert view.legend_names == ["output 0, full BPTT", f"output 0, {state.label_b}", "target 0",
                                 "output 1, full BPTT", f"output 1, {state.label_b}", "target 1",
                                 "target on a loss step"]
    title = html.unescape(view.plot.titleLabel.text).replace("\u00a0", " ")
    assert "Run A" not in title and state.label_a in title and state.label_b in title
    assert not view.findChildren(type(view.sequence), "predictionsRun")  # no run selector any more
    columns, rows = view.csv_table()
    assert columns == ["t", "loss_step", "target/0", "target/1", "prediction/0", "prediction/1",
                       f"prediction/0 [{state.label_b}]", f"prediction/1 [{state.label_b}]"]
    np.testing.assert_array_equal(rows[:, columns.index(f"prediction/1 [{state.label_b}]")],
                                  state.trace_b["predictions"][2, :, 1])


def test_one_output_compared_names_the_runs_alone(view):
    state = shared_batch(make_state("rnn", 1, T=10, O=1, compare=True))
    view.render(state)
    assert view.legend_names == ["full BPTT", state.label_b, "target", "target on a loss step"]


def test_a_run_on_other_data_draws_its_own_targets(view):
    state = make_state("rnn", 1, T=12, O=1, compare=True)  # run B's synthetic targets differ
    view.render(state)
    target_b = view.run_targets[1][0]
    assert target_b.isVisible()
    np.testing.assert_array_equal(target_b.getData()[1], state.trace_b["targets"][0, :, 0])
    assert f"target, {state.label_b}" in view.legend_names
    columns, rows = view.csv_table()
    label = state.label_b
    assert columns == ["t", "loss_step", "target/0", "prediction/0", f"t [{label}]", f"loss_step [{label}]",
                       f"target/0 [{label}]", f"prediction/0 [{label}]"]
    np.testing.assert_array_equal(rows[:, 6], state.trace_b["targets"][0, :, 0])


def test_a_shorter_run_b_is_padded_in_the_csv(view):
    state = make_state("rnn", 1, T=12, O=1, compare=True)
    short = make_state("rnn", 1, T=8, O=1, seed=5).trace
    view.render(replace(state, trace_b=short))
    assert np.array_equal(view.run_outputs[1][0].getData()[1], short["predictions"][0, :, 0])
    columns, rows = view.csv_table()
    assert rows.shape == (12, len(columns))
    b = rows[:, columns.index(f"prediction/0 [{state.label_b}]")]
    np.testing.assert_array_equal(b[:8], short["predictions"][0, :, 0])
    assert np.isnan(b[8:]).all()


def test_leaving_compare_hides_run_bs_curves(view):
    view.render(shared_batch(make_state("rnn", 1, T=10, O=1, compare=True)))
    view.render(make_state("rnn", 1, T=10, O=1))
    assert not view.run_outputs[1][0].isVisible() and view.outputs[0].isVisible()
    assert view.legend_names == ["output 0", "target 0", "target on a loss step"]
    assert view.csv_table()[0] == ["t", "loss_step", "target/0", "prediction/0"]


def test_classes_compare_gives_each_run_its_rug_band_and_row_of_guesses(view):
    state = shared_batch(make_state("rnn", 1, T=40, loss="cross_entropy", vocab=VOCAB, time_step=10, compare=True))
    view.render(state)
    target = state.trace["targets"][0]
    for r, tr in enumerate((state.trace, state.trace_b)):
        p = tr["predictions"][0][np.arange(40), target]
        np.testing.assert_allclose(view.run_p[r].getData()[1], p)
        guess = np.argmax(tr["predictions"][0], axis=1)
        lanes = pf.rug_lanes(r)
        x, y = view.run_right[r].getData()
        np.testing.assert_allclose(x[0::2] + 0.35, np.nonzero(guess == target)[0])
        assert np.all(y == lanes["right"])
        x, y = view.run_wrong[r].getData()
        np.testing.assert_allclose(x[0::2] + 0.35, np.nonzero(guess != target)[0])
        assert np.all(y == lanes["wrong"])
    assert pf.rug_lanes(1)["right"] < pf.rug_lanes(0)["wrong"]  # B's band below A's
    assert view.legend_names[:2] == ["p(target), full BPTT", f"p(target), {state.label_b}"]
    text = view.text.plain_text.replace("\u00a0", " ")
    glyphs = {" ": "·", "\n": "⏎"}
    for name, tr in (("A", state.trace), ("B", state.trace_b)):
        guess = np.argmax(tr["predictions"][0], axis=1)
        row = [line for line in text.splitlines() if line.startswith(f"out {name}")]
        assert row and "".join(glyphs.get(VOCAB[i], VOCAB[i]) for i in guess[:30]) in row[0]
    assert f"out B: {state.label_b}" in text
    columns, rows = view.csv_table()
    b = state.label_b
    assert columns == ["t", "loss_step", "target", "predicted", "p_target", "target_char", "predicted_char",
                       f"predicted [{b}]", f"p_target [{b}]", f"predicted_char [{b}]"]
    guess_b = np.argmax(state.trace_b["predictions"][0], axis=1)
    assert list(rows[:, 7]) == list(guess_b) and rows[5, 9] == VOCAB[guess_b[5]]


def test_class_indices_without_a_vocabulary_get_a_row_per_run(view):
    state = shared_batch(make_state("rnn", 1, T=30, loss="cross_entropy", O=3, compare=True))
    view.render(state)
    lines = view.text.plain_text.replace("\u00a0", " ").splitlines()
    assert [line[:6] for line in lines[:3]] == ["target", "out A ", "out B "]
    guess_b = np.argmax(state.trace_b["predictions"][0], axis=1)
    assert lines[2].split()[2:2 + 24] == [str(g) for g in guess_b[:24]]


def test_redraw_keeps_the_items(view):
    state = shared_batch(make_state("rnn", 1, T=10, O=1, compare=True))
    view.render(state)
    items = [view.run_outputs[r][0] for r in range(2)]
    applied = view.frames_applied
    view.render(replace(state, time_step=4))  # only the selected step moved
    assert [view.run_outputs[r][0] for r in range(2)] == items and view.frames_applied == applied
    assert view.selection.value() == 4


def test_rows_of_characters_fit_a_narrow_dock_without_wrapping(qtbot):
    from PySide6.QtGui import QFont, QFontMetricsF

    view = PredictionsView()
    qtbot.addWidget(view)
    view.resize(420, 400)
    view.show()
    state = shared_batch(make_state("rnn", 1, T=120, loss="cross_entropy", vocab=VOCAB, time_step=60, compare=True))
    view.render(state)
    font = QFont("monospace")
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setPointSizeF(10)
    metrics = QFontMetricsF(font)
    rows = view.text.plain_text.splitlines()[:4]  # input, target, out A, out B
    assert [r[:5] for r in rows] == ["input", "targe", "out A", "out B"]
    assert all(metrics.horizontalAdvance(r) <= view.text.item.textWidth() for r in rows)
    shown = len(rows[2]) - len("out A   ")
    assert 10 < shown < 64  # fewer steps than the 64 of a wide dock, and still a useful stretch
    view.resize(900, 400)
    qtbot.waitUntil(lambda: len(view.text.plain_text.splitlines()[2]) - len("out A   ") == 64)


def test_a_run_with_another_kind_of_output_is_named_not_drawn(view):
    state = make_state("rnn", 1, T=10, O=1, compare=True)
    view.render(replace(state, trace_b=make_state("rnn", 1, T=10, loss="cross_entropy", O=3).trace))
    assert view.outputs[0].isVisible() and not any(out[0].isVisible() for out in view.run_outputs[1:])
    assert "run B (another kind of output)" in view.text.plain_text
    assert view.csv_table()[0] == ["t", "loss_step", "target/0", "prediction/0"]
