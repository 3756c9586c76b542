"""The window trains: views get the engine's own numbers, settings apply live or on Reset, BPTT mode
bands the flow matrix, divergence pauses with an explanation, closing while training is clean."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from rnn_viz.experiment.loop import Trainer
from rnn_viz.ui.views import ALL_VIEWS
from tests.ui.app_fixtures import make_window, small_config, step, wait_idle


@pytest.fixture
def real_window(qtbot, tmp_path):
    """With the six real views (slower to build): for what the views themselves must receive."""
    return make_window(qtbot, tmp_path, views=ALL_VIEWS)


@pytest.fixture
def window(qtbot, tmp_path):
    """With light stand-in views: for the window's own behaviour."""
    return make_window(qtbot, tmp_path)


def _record_renders(window):
    seen = {}
    for name, view, _ in window.views:
        original = view.render

        def render(state, name=name, original=original):
            seen[name] = state
            original(state)

        view.render = render
    return seen


def test_window_has_six_view_docks_settings_toolbar_and_status(real_window):
    names = {dock.objectName() for dock in real_window.view_docks.values()}
    assert names == {f"{n}Dock" for n, _, _ in ALL_VIEWS}
    for child in ("SettingsDock", "SettingsPanel", "TrainingToolbar", "TimeStepSlider", "SampleSpin",
                  "HistorySlider", "SpeedCombo", "StatusStep", "StatusLoss", "StatusRate"):
        assert real_window.findChild(object, child) is not None, child
    assert real_window.acts.train.shortcut().toString() == "Space"
    assert real_window.acts.open_sequence.shortcut().toString() == "Ctrl+O"
    # Before any update the views already show the initial model on the first batch.
    assert real_window.controller.record is not None and real_window.controller.record.heavy


def test_views_receive_exactly_the_engines_trace(qtbot, real_window):
    seen = _record_renders(real_window)
    step(qtbot, real_window, 3)
    reference = Trainer(small_config(), real_window.controller.base_dir)
    expected = [reference.step(heavy=(i == 2)) for i in range(3)]
    assert set(seen) == {n for n, _, _ in ALL_VIEWS}
    for name, state in seen.items():
        assert state.trace.keys() == expected[-1].trace.keys(), name
        for key, value in expected[-1].trace.items():
            np.testing.assert_array_equal(state.trace[key], value, err_msg=f"{name}: {key}")
        np.testing.assert_array_equal(state.history["loss"], [r.metrics["loss"] for r in expected])
        np.testing.assert_array_equal(state.history["step"], [1, 2, 3])
    assert real_window.status_step.text() == "update 3"


def test_train_and_pause(qtbot, window):
    window.acts.train.trigger()
    assert window.controller.running and window.acts.train.text() == "Pause"
    qtbot.waitUntil(lambda: len(window.controller.metrics) >= 5, timeout=10_000)
    window.acts.train.trigger()
    assert not window.controller.running and window.acts.train.text() == "Train"
    steps = window.controller.trainer.step_count
    # Every update's metrics row arrived, though only some traces were drawn.
    qtbot.waitUntil(lambda: window.controller.metrics.rows_seen == steps)
    np.testing.assert_array_equal(window.controller.metrics.columns()["step"], np.arange(1, steps + 1))


def test_truncated_bptt_bands_the_flow_matrix(qtbot, real_window):
    panel = real_window.panel
    panel.widget("training", "bptt").setCurrentText("truncated")
    panel.widget("training", "k1").setValue(1)
    panel.widget("training", "k2").setValue(3)
    assert "training.bptt" in panel.pending_keys() and panel.pending_label.isVisibleTo(panel)
    real_window.acts.reset.trigger()
    assert real_window.controller.config.training.bptt == "truncated"
    assert not panel.pending_keys()
    step(qtbot, real_window)
    flow = np.asarray(real_window.controller.record.trace["flow/0"])
    t, k = np.indices(flow.shape)
    assert np.all(flow[(k < t - 2) | (k > t)] == 0)  # k1 = 1, k2 = 3: each error reaches t-2 at most
    assert np.all(flow[(t - 2 <= k) & (k <= t)] > 0)
    # The flow view draws (and exports) the same band.
    flow_view = dict((n, v) for n, v, _ in real_window.views)["flow"]
    columns, rows = flow_view.csv_table()
    drawn = np.asarray(rows, dtype=float)[:, 1:]
    np.testing.assert_array_equal(drawn, flow)


def test_learning_rate_and_clipping_apply_live_others_wait_for_reset(qtbot, window):
    c = window.controller
    trainer = c.trainer
    window.acts.train.trigger()
    window.panel.widget("training", "learning_rate").setValue(0.002)
    window.panel.widget("training", "clip_norm").setValue(0.5)
    qtbot.waitUntil(lambda: trainer.optimizer.learning_rate == 0.002 and trainer.clip_norm == 0.5)
    window.panel.widget("model", "hidden_size").setValue(9)
    window.acts.train.trigger()
    assert c.trainer is trainer and trainer.spec.hidden_size == 6
    assert window.panel.pending_keys() == ["model.hidden_size"]
    window.acts.reset.trigger()
    assert c.trainer is not trainer and c.trainer.spec.hidden_size == 9
    assert c.trainer.optimizer.learning_rate == 0.002 and c.trainer.clip_norm == 0.5
    assert c.record.trace["hidden/0"].shape[-1] == 9


def test_bad_setting_is_explained_and_nothing_changes(qtbot, window):
    trainer = window.controller.trainer
    window.panel.widget("data", "min_period").setValue(30.0)
    window.panel.widget("data", "max_period").setValue(10.0)
    assert "data.min_period" in window.panel.error_label.text()
    window.acts.reset.trigger()
    assert window.controller.trainer is trainer
    box = window.findChild(QMessageBox, "ErrorDialog")
    assert box is not None and "data.min_period" in box.text()


def test_new_data_source_shows_its_defaults_and_derived_length(qtbot, window):
    panel = window.panel
    panel.widget("data", "source").setCurrentText("copy")
    assert panel.widget("data", "length").value() == 5 and panel.widget("data", "delay").value() == 10
    assert panel.widget("data", "seq_len").value() == 20 and not panel.widget("data", "seq_len").isEnabled()
    panel.widget("data", "delay").setValue(30)
    assert panel.widget("data", "seq_len").value() == 40
    window.acts.reset.trigger()
    assert window.controller.record.trace["inputs"].shape[1] == 40
    assert window.controller.dataset.loss == "cross_entropy"


def test_sample_selector_recomputes_the_flow_matrix_for_that_sample(qtbot, window):
    step(qtbot, window)
    window.toolbar.sample_spin.setValue(2)
    assert int(window.controller.record.trace["flow_sample"]) == 2
    qtbot.waitUntil(lambda: window.controller._state is not None and window.controller._state.sample == 2)
    step(qtbot, window)
    assert int(window.controller.record.trace["flow_sample"]) == 2


def test_time_step_is_shared_by_views_and_toolbar(qtbot, window):
    views = dict((n, v) for n, v, _ in window.views)
    views["graph"].timeStepSelected.emit(7)
    assert window.controller.time_step == 7 and window.toolbar.time_spin.value() == 7
    window.toolbar.time_spin.setValue(3)
    state = window.controller.render_now()
    assert state.time_step == 3


def test_history_slider_revisits_earlier_traces(qtbot, window):
    step(qtbot, window, 3)
    c = window.controller
    assert len(c.traces) == 3 and window.toolbar.history_slider.maximum() == 3
    window.toolbar.history_slider.setValue(0)
    assert window.toolbar.history_label.text() == "update 1"
    assert c.render_now().trace is c.traces[0].trace
    window.toolbar.history_slider.setValue(3)
    assert window.toolbar.history_label.text() == "live" and c.render_now().trace is c.record.trace


def test_divergence_pauses_keeps_the_state_and_explains(qtbot, tmp_path):
    config = small_config(model={"activation": "linear", "spectral_radius": 1.5},
                          training={"optimizer": "sgd", "learning_rate": 1e308})
    window = make_window(qtbot, tmp_path, config=config)
    before = {k: v.copy() for k, v in window.controller.trainer.params.items()}
    window.acts.train.trigger()
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "DivergenceDialog") is not None, timeout=10_000)
    wait_idle(qtbot, window)
    box = window.findChild(QMessageBox, "DivergenceDialog")
    assert "update 1" in box.text() and "left exactly as it was" in box.text()
    assert "Clip norm" in box.informativeText() and "learning rate" in box.informativeText()
    assert window.acts.train.text() == "Train"
    for k, v in window.controller.trainer.params.items():
        np.testing.assert_array_equal(v, before[k])
    # The user follows the advice and training goes on.
    window.panel.widget("training", "learning_rate").setValue(0.001)
    step(qtbot, window)
    assert window.controller.trainer.step_count == 1


def test_close_while_training_stops_the_thread_cleanly(qtbot, qtlog, window):
    window.acts.train.trigger()
    qtbot.waitUntil(lambda: window.controller.trainer.step_count >= 2, timeout=10_000)
    thread = window.controller._handle.thread
    assert window.close()
    assert not window.controller.running and thread.isFinished()
    assert not [r for r in qtlog.records if "QThread" in r.message]


def test_reset_while_training_drops_records_of_the_old_model(qtbot, window):
    c = window.controller
    window.acts.train.trigger()
    qtbot.waitUntil(lambda: c.trainer.step_count >= 2, timeout=10_000)
    old_generation = c.generation
    window.acts.reset.trigger()
    assert not c.running and c.generation == old_generation + 1
    assert c.trainer.step_count == 0 and len(c.metrics) == 0
    # A record from before the Reset arriving late is ignored.
    from rnn_viz.ui.worker import Post

    c._on_post(Post(old_generation, (c.record,), rows=(({"step": 99, "loss": 1.0},),)))
    assert len(c.metrics) == 0


def test_every_start_of_one_model_shares_its_pace_and_a_reset_begins_a_new_one(qtbot, window):
    c = window.controller
    pace = c.pace
    step(qtbot, window)
    window.acts.train.trigger()
    assert c._handle.worker.pace is pace
    qtbot.waitUntil(lambda: c.trainer.step_count >= 3, timeout=10_000)
    window.acts.train.trigger()
    assert pace.cost.cheap is not None or pace.cost.heavy is not None  # it learnt the model's costs
    window.acts.train.trigger()
    assert c._handle.worker.pace is pace  # Start after Pause: what was learnt stays
    window.acts.train.trigger()
    wait_idle(qtbot, window)
    window.acts.reset.trigger()
    assert c.pace is not pace and c.pace.cost.heavy is None and c.pace.cost.cheap is None
