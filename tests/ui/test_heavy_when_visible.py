"""Training computes a trace's heavy parts (flow matrix, Jacobian norms) only while a view that
draws them can be seen, and the cheapest trace level for updates no view will see."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from rnn_viz.experiment.record import StepRecord
from rnn_viz.ui.controller import Controller
from rnn_viz.ui.views import ALL_VIEWS, FlowMatrixView, HiddenStateView
from rnn_viz.ui.worker import ROW_LEVEL, SPEED_MAX, TRACE_LEVEL, TrainingWorker, WorkerHandle
from tests.ui.app_fixtures import make_window, small_config, step


class LevelRecorder:
    """Stands in for a Session and remembers what each update was asked for: (heavy, level)."""

    def __init__(self):
        self.step_count = 0
        self.asked = []

    def set_live(self, live):
        pass

    def step(self, heavy=False, level="full"):
        self.step_count += 1
        self.asked.append((heavy, level))
        return (StepRecord(self.step_count, {"n": np.array(self.step_count)},
                           {"step": self.step_count, "loss": 1.0}, heavy),)


def _run(qtbot, worker):
    posts = []
    worker.posted.connect(posts.append)
    handle = WorkerHandle(worker)
    with qtbot.waitSignal(worker.finished, timeout=10_000):
        handle.start()
    assert handle.stop()
    return posts


@pytest.mark.parametrize("wanted", [True, False])
def test_posted_traces_carry_heavy_parts_only_when_wanted(qtbot, wanted):
    session = LevelRecorder()
    worker = TrainingWorker(session, generation=0, speed=SPEED_MAX, max_steps=40, interval=0.0, frame_timeout=0)
    worker.heavy_wanted = wanted
    posts = _run(qtbot, worker)
    traced = [p.records[0] for p in posts if p.records is not None]
    assert traced and traced[-1].step == 40
    assert all(rec.heavy == wanted for rec in traced)
    assert all(heavy == (wanted and level == TRACE_LEVEL) for heavy, level in session.asked)


def test_updates_no_view_will_see_compute_only_their_metrics_row(qtbot):
    session = LevelRecorder()
    # Traces at most every 30 s: all but the last of these updates post their metrics rows alone.
    worker = TrainingWorker(session, generation=0, speed=SPEED_MAX, max_steps=30, interval=30.0, frame_timeout=0)
    posts = _run(qtbot, worker)
    levels = [level for _, level in session.asked]
    assert levels == [ROW_LEVEL] * 29 + [TRACE_LEVEL]
    assert [row["step"] for p in posts for row in p.rows[0]] == list(range(1, 31))


def test_the_controller_wants_heavy_parts_while_a_view_of_them_can_be_seen(qtbot, tmp_path):
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    flow, hidden = FlowMatrixView(), HiddenStateView()
    tabs.addTab(hidden, "hidden")
    tabs.addTab(flow, "flow")
    tabs.show()
    controller = Controller(small_config(), tmp_path, [hidden, flow])
    assert not controller.heavy_wanted(), "the flow view's tab is not the current one"
    tabs.setCurrentWidget(flow)
    assert controller.heavy_wanted()
    flow.hide()
    assert not controller.heavy_wanted()
    # A view that does not say what it draws is given everything.
    holder = QWidget()
    qtbot.addWidget(holder)
    QVBoxLayout(holder).addWidget(unknown := QWidget())
    holder.show()
    assert Controller(small_config(), tmp_path, [hidden, unknown]).heavy_wanted()


def test_showing_the_flow_view_of_a_paused_run_computes_its_heavy_parts(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, views=ALL_VIEWS)
    dock = window.view_docks["flow"]
    dock.hide()
    step(qtbot, window, 2)
    record = window.controller.record
    assert record.step == 2 and not record.heavy and "flow/0" not in record.trace
    dock.show()
    qtbot.waitUntil(lambda: window.controller.record.heavy, timeout=10_000)
    assert window.controller.record.step == 2 and "flow/0" in window.controller.record.trace
