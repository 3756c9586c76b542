"""Predictions: targets against outputs for series, characters for character tasks."""
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication

from rnn_viz.ui.views import PredictionsView
from tests.ui.synthetic import make_state, shown_view

VOCAB = tuple("ab cd\n")


@pytest.fixture
def view(qtbot):
    return shown_view(qtbot, PredictionsView(), 700, 450)


def test_series_outputs_and_targets_of_the_selected_sample(view):
    state = make_state("rnn", 1, T=16, sample=2, O=2, loss_at="last")
    view.render(state)
    tr = state.trace
    for o in range(2):
        assert np.array_equal(view.outputs[o].getData()[1], tr["predictions"][2, :, o])
        assert np.array_equal(view.targets[o].getData()[1], tr["targets"][2, :, o])
        x, y = view.target_marks[o].getData()
        assert np.allclose(x, [14.65, 15.35]) and np.allclose(y, tr["targets"][2, 15, o])  # loss step only
    columns, rows = view.csv_table()
    assert columns == ["t", "loss_step", "target/0", "target/1", "prediction/0", "prediction/1"]
    assert not view.p_target.isVisible()


def test_character_task_shows_probability_and_text(view):
    state = make_state("rnn", 1, T=40, loss="cross_entropy", vocab=VOCAB, time_step=10)
    view.render(state)
    tr = state.trace
    target = tr["targets"][0]
    p = tr["predictions"][0][np.arange(40), target]
    assert np.allclose(view.p_target.getData()[1], p)
    right = np.argmax(tr["predictions"][0], axis=1) == target
    assert np.allclose(view.right_marks.getData()[0][0::2] + 0.35, np.nonzero(right)[0])
    assert np.allclose(view.wrong_marks.getData()[0][0::2] + 0.35, np.nonzero(~right)[0])
    text = view.text.plain_text
    glyphs = {" ": "·", "\n": "⏎"}
    expected = "".join(glyphs.get(VOCAB[i], VOCAB[i]) for i in target[:40])
    assert expected[:30] in text.replace("\u00a0", " ")
    columns, rows = view.csv_table()
    assert columns[-2:] == ["target_char", "predicted_char"] and rows[3, -2] == VOCAB[target[3]]


def test_text_window_follows_the_selected_step(view):
    state = make_state("rnn", 1, T=200, loss="cross_entropy", vocab=VOCAB, time_step=150)
    view.render(state)
    assert "steps 118..181" in view.text.plain_text
    view.render(replace(state, time_step=5))
    assert "steps 0..63" in view.text.plain_text


def test_clicking_selects_a_step(view, qtbot):
    view.render(make_state("rnn", 1, T=20))
    QApplication.processEvents()
    point = view.canvas.mapFromScene(view.plot.getViewBox().mapViewToScene(QPointF(13, 0)))
    with qtbot.waitSignal(view.timeStepSelected) as blocker:
        qtbot.mouseClick(view.canvas.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert blocker.args == [13]


def test_new_outputs_over_the_same_targets_set_only_the_outputs(view):
    """A target drawn again with the same values is left as it is (its setData, and the view box's
    bookkeeping, cost as much as an output's); the outputs follow the new trace."""
    state = make_state("rnn", 1, T=16, sample=2, O=2, loss_at="last")
    view.render(state)
    changed = []
    for o in range(2):
        for item in (view.targets[o], view.target_marks[o], view.outputs[o]):
            item.sigPlotChanged.connect(lambda *_, item=item: changed.append(item))
    trace = dict(state.trace)
    trace["predictions"] = state.trace["predictions"] * 0.5  # same sample, same targets
    view.render(replace(state, trace=trace))
    assert set(changed) == {view.outputs[0], view.outputs[1]}
    for o in range(2):
        assert np.array_equal(view.outputs[o].getData()[1], trace["predictions"][2, :, o])
        assert np.array_equal(view.targets[o].getData()[1], trace["targets"][2, :, o])


def test_the_half_step_of_uneven_steps_is_their_median():
    from rnn_viz.ui.views.prediction_frames import _median_step

    for t in (np.arange(7.0), np.array([0.0, 1.0, 3.0, 4.0, 10.0]), np.array([5.0, 5.0, 6.0]),
              np.array([0.0, np.nan, 2.0, 3.0])):
        assert _median_step(t) == pytest.approx(float(np.median(np.diff(t))), nan_ok=True)
