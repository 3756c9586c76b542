"""Reset and checkpoint loading build the model and its first full trace off the GUI thread, with
the event loop turning and a progress message, and stay transactional."""
from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from rnn_viz.experiment import session as session_mod
from rnn_viz.ui.background import run_while_painting
from rnn_viz.ui.controller import BUILD_MESSAGE, BuildBusyError, Controller
from rnn_viz.ui.files import explain_error
from tests.ui.app_fixtures import small_config


@pytest.fixture
def controller(qtbot, tmp_path):
    parent = QWidget()
    qtbot.addWidget(parent)
    c = Controller(small_config(), tmp_path, [], parent)
    c.reset()
    yield c
    c.shutdown()


def in_event_loop(qtbot, fn, meanwhile=None):
    """``fn()`` called from inside a running event loop, as a click on Reset is; ``meanwhile`` is
    posted to the GUI thread just before, so it runs only if events are processed during ``fn``.
    Returns ``fn``'s result or raises its exception."""
    out = {}

    def call():
        if meanwhile is not None:
            QTimer.singleShot(0, meanwhile)
        try:
            out["value"] = fn()
        except BaseException as exc:
            out["error"] = exc

    QTimer.singleShot(0, call)
    qtbot.waitUntil(lambda: bool(out), timeout=10_000)
    if "error" in out:
        raise out["error"]
    return out["value"]


def test_the_first_trace_is_computed_off_the_gui_thread_while_events_run(qtbot, controller, monkeypatch):
    seen = {}
    timer_fired = threading.Event()
    original = session_mod.Session.evaluate

    def evaluate(self, *args, **kwargs):
        seen["thread"] = threading.current_thread()
        # Wait for a timer posted to the GUI thread: it can fire only if that thread processes events.
        seen["events_ran"] = timer_fired.wait(5.0)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(session_mod.Session, "evaluate", evaluate)
    messages = []
    controller.busyChanged.connect(messages.append)
    old = controller.trainer
    in_event_loop(qtbot, controller.reset, meanwhile=timer_fired.set)
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
        in_event_loop(qtbot, controller.reset)
    assert controller.trainer is trainer and controller.generation == generation and controller.running
    monkeypatch.undo()
    controller.stop()


def test_a_second_build_during_the_first_is_refused_in_words(qtbot, controller, monkeypatch):
    original = session_mod.Session.evaluate
    inner = {}
    gate = threading.Event()

    def second():  # runs on the GUI thread while the first build's job is in its thread
        try:
            controller.reset()
        except BuildBusyError as exc:
            inner["error"] = exc
        gate.set()

    def slow(self, *args, **kwargs):
        gate.wait(5.0)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(session_mod.Session, "evaluate", slow)
    in_event_loop(qtbot, controller.reset, meanwhile=second)
    assert "being built already" in str(inner["error"])
    shown = []
    monkeypatch.setattr("rnn_viz.ui.files.show_message", lambda parent, title, text: shown.append(text))
    explain_error(None, "Cannot build this model", inner["error"])
    assert shown and not shown[0].startswith("Something unexpected")


def test_run_while_painting_returns_the_result_or_raises_in_the_caller(qtbot):
    name = lambda: threading.current_thread().name  # noqa: E731
    assert in_event_loop(qtbot, lambda: run_while_painting(name)) == "rnn-viz-build"
    # before any event loop runs (the window's first model at start-up) there is nothing to paint
    assert run_while_painting(name) == threading.main_thread().name

    def fail():
        raise KeyError("flow/0")

    with pytest.raises(KeyError, match="flow/0"):
        in_event_loop(qtbot, lambda: run_while_painting(fail))
