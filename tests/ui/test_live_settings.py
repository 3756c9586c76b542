"""Live settings owned by the controller: an edit typed while an update runs is never lost (Step,
Pause, checkpoint save, Reset), in one run and in compare mode, and a live edit of run A leaves
alone every run whose [compare] section sets that key itself."""
from __future__ import annotations

import json
import threading

import pytest

from rnn_viz.engine.errors import DivergenceError
from rnn_viz.experiment import config as cfgmod
from rnn_viz.ui.controller import Controller
from tests.ui.app_fixtures import small_config


class Gate:
    """Holds the worker inside its next update until ``release()``: the moment a user types."""

    def __init__(self, session):  # what the worker steps: a Trainer, or the compare pair
        self.entered, self.released = threading.Event(), threading.Event()
        self.armed = False
        original = session.step

        def step(heavy=False, **kwargs):
            if self.armed:
                self.armed = False
                self.entered.set()
                assert self.released.wait(10)
            return original(heavy, **kwargs)

        session.step = step

    def arm(self):
        self.entered.clear()
        self.released.clear()
        self.armed = True

    def release_soon(self, seconds=0.05):
        threading.Timer(seconds, self.released.set).start()


def compare_config(**b_training):
    d = cfgmod.to_dict(small_config())
    d["compare"] = {"label": "clipped to norm 1", "training": {"clip_norm": 1.0, **b_training}}
    return cfgmod.config_from_dict(d, "test")


def make_controller(qtbot, tmp_path, config):
    c = Controller(config, tmp_path)
    c.reset(config, compare=config.compare is not None)
    return c


def wait_until_stopped(qtbot, c):
    qtbot.waitUntil(lambda: not c.running, timeout=10_000)


def trained_with(c):
    """(learning rate, clip_norm) every run will use in its next update."""
    runs = (c.trainer.a, c.trainer.b) if c.compare else (c.trainer,)
    return [(run.optimizer.learning_rate, run.clip_norm) for run in runs]


@pytest.fixture(params=["single", "compare"])
def controller(request, qtbot, tmp_path):
    config = small_config() if request.param == "single" else compare_config()
    c = make_controller(qtbot, tmp_path, config)
    yield c
    c.shutdown()


def expected(c, lr, clip):
    # Run B's [compare] section sets clip_norm = 1 itself: the edit of run A never reaches it.
    return [(lr, clip)] if not c.compare else [(lr, clip), (lr, 1.0)]


def test_edit_during_the_last_update_of_step_is_kept(qtbot, controller):
    c = controller
    gate = Gate(c.trainer)
    gate.arm()
    c.step_once()
    assert gate.entered.wait(10)
    c.set_learning_rate(0.5)
    c.set_clipping(0.25, 0.0)
    gate.released.set()
    wait_until_stopped(qtbot, c)
    assert trained_with(c) == expected(c, 0.5, 0.25)
    c.step_once()
    qtbot.waitUntil(lambda: c.trainer.step_count == 2 and not c.running, timeout=10_000)
    assert c.metrics.columns()["learning_rate"].tolist() == [0.01, 0.5]
    if c.compare:
        assert c.metrics_b.columns()["learning_rate"].tolist() == [0.01, 0.5]


def test_edit_just_before_pause_is_kept(qtbot, controller):
    c = controller
    gate = Gate(c.trainer)
    c.start()
    qtbot.waitUntil(lambda: c.trainer.step_count >= 2, timeout=10_000)
    gate.arm()
    assert gate.entered.wait(10)
    c.set_learning_rate(0.5)
    c.set_clipping(0.25, 0.0)
    gate.release_soon()
    c.stop()  # Pause while that update runs
    assert not c.running
    assert trained_with(c) == expected(c, 0.5, 0.25)


def test_edit_racing_a_checkpoint_save_is_in_the_checkpoint(qtbot, tmp_path):
    c = make_controller(qtbot, tmp_path, small_config())
    try:
        gate = Gate(c.trainer)
        c.start()
        qtbot.waitUntil(lambda: c.trainer.step_count >= 2, timeout=10_000)
        gate.arm()
        assert gate.entered.wait(10)
        c.set_learning_rate(0.5)
        gate.release_soon()
        saved = c.checkpoint()
        assert json.loads(str(saved["live"][()]))["learning_rate"] == 0.5
        assert c.running  # training goes on after the save, with the edited value, and keeps going
        # (the first worker's late end is not taken for the second's)
        after = int(saved["step"]) + 30
        qtbot.waitUntil(lambda: len(c.metrics) and c.metrics.columns()["step"][-1] >= after, timeout=10_000)
        assert c.running
        assert c.metrics.columns()["learning_rate"][-1] == 0.5
    finally:
        c.shutdown()


def test_edit_racing_reset_reaches_the_new_model(qtbot, controller):
    c = controller
    gate = Gate(c.trainer)
    c.start()
    qtbot.waitUntil(lambda: c.trainer.step_count >= 1, timeout=10_000)
    gate.arm()
    assert gate.entered.wait(10)
    c.set_learning_rate(0.5)
    c.set_clipping(0.25, 0.0)
    gate.release_soon()
    c.reset()
    assert c.trainer.step_count == 0 and not c.running
    assert trained_with(c) == expected(c, 0.5, 0.25)


def test_compare_live_clipping_leaves_run_b_its_own_setting_and_label(qtbot, tmp_path):
    # Defect: a live clipping change overwrote run B's own [compare] clipping, label unchanged.
    c = make_controller(qtbot, tmp_path, compare_config())
    try:
        label_b = c.labels[1]
        c.set_clipping(0.0, 0.0)
        c.set_learning_rate(0.003)
        assert trained_with(c) == [(0.003, 0.0), (0.003, 1.0)]
        assert c.config_b.training.clip_norm == 1.0 and c.labels[1] == label_b == "clipped to norm 1"
        c.step_once()
        qtbot.waitUntil(lambda: c.trainer.step_count == 1 and not c.running, timeout=10_000)
        assert trained_with(c) == [(0.003, 0.0), (0.003, 1.0)]
    finally:
        c.shutdown()


def test_divergence_advice_uses_the_settings_of_the_run_that_diverged(qtbot, tmp_path):
    c = make_controller(qtbot, tmp_path, compare_config(optimizer="sgd", learning_rate=1e300))
    try:
        seen = []
        c.diverged.connect(lambda error, config: seen.append((error, config)))
        c.start()
        qtbot.waitUntil(lambda: bool(seen), timeout=10_000)
        error, config = seen[0]
        assert isinstance(error, DivergenceError) and "run B" in str(error)
        assert config.training.learning_rate == 1e300 and config.training.optimizer == "sgd"
    finally:
        c.shutdown()


def test_a_failing_reset_leaves_the_running_model_as_it_was(qtbot, tmp_path):
    c = make_controller(qtbot, tmp_path, small_config())
    try:
        c.start()
        qtbot.waitUntil(lambda: c.trainer.step_count >= 1, timeout=10_000)
        trainer, generation, record = c.trainer, c.generation, c.record
        bad = cfgmod.config_from_dict({"data": {"source": "file", "path": "missing.csv"}}, "test")
        with pytest.raises(Exception):
            c.reset(bad)
        assert c.trainer is trainer and c.generation == generation and c.running
        assert c.config.data["source"] == "sine" and c.record.step >= record.step
    finally:
        c.shutdown()


def test_every_new_model_has_a_new_model_id_for_the_views(qtbot, tmp_path):
    c = make_controller(qtbot, tmp_path, small_config())
    try:
        first = c.render_now().model_id
        c.reset()
        second = c.render_now().model_id
        c.load_checkpoint(c.checkpoint())
        assert len({first, second, c.render_now().model_id}) == 3
    finally:
        c.shutdown()
