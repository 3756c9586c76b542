"""Reset and checkpoint loading build the model and its first full trace off the GUI thread, with
the event loop turning and a progress message, and stay transactional."""
from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from rnn_viz.experiment import session as session_mod
from rnn_viz.ui.background import run_while_painting
from rnn_viz.ui.controller import BUILD_MESSAGE, Controller
from tests.ui.app_fixtures import small_config


@pytest.fixture
def controller(qtbot, tmp_path):
    parent = QWidget()
    qtbot.addWidget(parent)
    c = Controller(small_config(), tmp_path, [], parent)
    c.reset()
    yield c
    c.shutdown()


def test_the_first_trace_is_computed_off_the_gui_thread_while_events_run(controller, monkeypatch):
    seen = {}
    timer_fired = threading.Event()
    original = session_mod.Session.evaluate

    def evaluate(self, *args, **kwargs):
        seen["thread"] = threading.current_thread()
        # Wait for a timer of the GUI thread: it can fire only if that thread processes events.
        seen["events_ran"] = timer_fired.wait(5.0)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(session_mod.Session, "evaluate", evaluate)
    messages = []
    controller.busyChanged.connect(messages.append)
    QTimer.singleShot(0, timer_fired.set)
    old = controller.trainer
    controller.reset()
    assert seen["thread"] is not threading.main_thread() and seen["events_ran"]
    assert messages == [BUILD_MESSAGE, ""] and "flow matrix" in BUILD_MESSAGE
    assert controller.trainer is not old and controller.record.heavy


def test_a_failing_build_keeps_the_old_model_and_its_worker(controller, monkeypatch, qtbot):
    controller.start()
    qtbot.waitUntil(lambda: controller.trainer.step_count >= 1, timeout=10_000)
    trainer, generation = controller.trainer, controller.generation

    def evaluate(self, *args, **kwargs):
        raise ValueError("no memory for this flow matrix")

    monkeypatch.setattr(session_mod.Session, "evaluate", evaluate)
    with pytest.raises(ValueError, match="no memory"):
        controller.reset()
    assert controller.trainer is trainer and controller.generation == generation and controller.running
    monkeypatch.undo()
    controller.stop()


def test_run_while_painting_returns_the_result_or_raises_in_the_caller(qtbot):
    assert run_while_painting(lambda: threading.current_thread().name) == "rnn-viz-build"

    def fail():
        raise KeyError("flow/0")

    with pytest.raises(KeyError, match="flow/0"):
        run_while_painting(fail)


def test_a_second_build_during_the_first_is_refused_in_words(controller, monkeypatch):
    from rnn_viz.ui.controller import BuildBusyError
    from rnn_viz.ui.files import explain_error

    original = session_mod.Session.evaluate
    inner = {}

    def second():  # runs on the GUI thread while the first build's job is in its thread
        try:
            controller.reset()
        except BuildBusyError as exc:
            inner["error"] = exc

    gate = threading.Event()
    QTimer.singleShot(0, lambda: (second(), gate.set()))

    def slow(self, *args, **kwargs):
        gate.wait(5.0)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(session_mod.Session, "evaluate", slow)
    controller.reset()
    assert "being built already" in str(inner["error"])
    shown = []
    monkeypatch.setattr("rnn_viz.ui.files.show_message", lambda parent, title, text: shown.append(text))
    explain_error(None, "Cannot build this model", inner["error"])
    assert shown and not shown[0].startswith("Something unexpected")
