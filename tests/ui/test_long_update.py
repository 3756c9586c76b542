"""Pause, Reset and closing the window in the middle of an update that would take minutes: the
update is cancelled (the engine polls the worker's stop flag), nothing of it is kept, and no
training thread is left running. The update is made slow on purpose: it keeps polling the
cancellation check, as the engine's time loops do, and never ends by itself."""
import threading

import numpy as np

from rnn_viz.engine import cancel
from rnn_viz.experiment.session import Session
from rnn_viz.ui.worker import running_threads

from .app_fixtures import make_window


class EndlessSession(Session):
    """A session whose update polls the cancellation check forever (a stand-in for seq_len 22,000
    at batch 1), after drawing its batch and moving its data stream, as a real update does."""

    def __init__(self, session: Session):
        super().__init__(session.runs, session.shares_batches, session.same_weights)
        self.entered = threading.Event()
        self.polls = 0

    def step(self, heavy=False, level="full", final=False):
        run = self.runs[0]
        run.dataset.sample(run.rng, run.config.data["batch_size"])  # the stream moves, as in a real update
        run.step_count += 1  # and so does what commit would change; all must be undone
        self.entered.set()
        while True:
            self.polls += 1
            cancel.poll()
            threading.Event().wait(0.001)


def _slow(window) -> EndlessSession:
    c = window.controller
    slow = EndlessSession(c.session)
    c.session = slow
    return slow


def _snapshot(trainer):
    return ({k: v.copy() for k, v in trainer.params.items()}, trainer.rng.bit_generator.state, trainer.step_count)


def _unchanged(trainer, before):
    params, rng, step = before
    assert trainer.step_count == step and trainer.rng.bit_generator.state == rng
    assert all(np.array_equal(trainer.params[k], params[k]) for k in params)


def test_pause_cancels_an_update_in_progress_and_keeps_nothing_of_it(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    c = window.controller
    slow = _slow(window)
    before = _snapshot(c.trainer)
    c.start()
    assert slow.entered.wait(30)
    c.stop()  # returns once the update has been cancelled: it would never end by itself
    assert not c.running and running_threads() == []
    _unchanged(c.trainer, before)
    assert slow.polls >= 1


def test_reset_during_a_long_update_builds_the_new_model(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    c = window.controller
    slow = _slow(window)
    old = c.trainer
    c.start()
    assert slow.entered.wait(30)
    assert window.reset_model()
    assert c.trainer is not old and not c.running and running_threads() == []


def test_closing_the_window_during_a_long_update_leaves_no_thread_running(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    c = window.controller
    slow = _slow(window)
    c.start()
    assert slow.entered.wait(30)
    window.close()
    assert running_threads() == []
