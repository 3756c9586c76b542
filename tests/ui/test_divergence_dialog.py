"""Experiment 2 in the window: after the divergence the dialog's advice works when followed. The
unclipped update 1 wrecked W_hh, so turning clipping on and training again diverges again; the
dialog's "Reset with clipping" sets Clip norm to 1, builds a fresh model, and training then proceeds."""
from __future__ import annotations


import numpy as np
from PySide6.QtWidgets import QMessageBox, QPushButton

from rnn_viz.experiment.presets import PRESETS_DIR
from tests.ui.app_fixtures import make_window, wait_idle


def _open_and_diverge(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    assert window.files.open_experiment(PRESETS_DIR / "2-exploding-gradients.toml", ask=False)
    window.set_compare(False)  # run A alone: the one without clipping
    assert not window.controller.compare and window.controller.config.training.clip_norm == 0
    window.acts.train.trigger()
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "DivergenceDialog") is not None, timeout=20_000)
    wait_idle(qtbot, window)
    return window, window.findChild(QMessageBox, "DivergenceDialog")


def test_reset_with_clipping_is_offered_and_training_then_proceeds(qtbot, tmp_path):
    window, box = _open_and_diverge(qtbot, tmp_path)
    assert "wrecked" in box.text() and "Reset with clipping" in box.informativeText()
    button = box.findChild(QPushButton, "ResetWithClippingButton")
    assert button is not None
    button.click()
    c = window.controller
    assert c.config.training.clip_norm == 1.0 and c.trainer.step_count == 0
    assert window.panel.values()["training"]["clip_norm"] == 1.0  # the panel shows what was applied
    window.acts.train.trigger()
    qtbot.waitUntil(lambda: c.trainer.step_count >= 5, timeout=20_000)
    window.acts.train.trigger()
    wait_idle(qtbot, window)
    # Every update's metrics row reaches the window (queued, also after the thread stops); the views'
    # trace is only as new as the last traced post, so the losses are read from the rows.
    qtbot.waitUntil(lambda: len(c.metrics.columns().get("loss", ())) >= 5, timeout=20_000)
    losses = np.asarray(c.metrics.columns()["loss"], dtype=float)
    assert np.isfinite(losses).all() and c.record is not None
    assert window.findChild(QMessageBox, "DivergenceDialog") is None or \
        not window.findChild(QMessageBox, "DivergenceDialog").isVisible()


def test_clipping_on_the_wrecked_state_is_what_fails(qtbot, tmp_path):
    # The reason for the button: the old advice (clip, Train again) diverges again at once.
    window, _ = _open_and_diverge(qtbot, tmp_path)
    step = window.controller.trainer.step_count
    window.controller.edit_live(clip_norm=1.0)
    seen = []
    window.controller.diverged.connect(lambda error, config: seen.append(error))
    window.acts.train.trigger()
    qtbot.waitUntil(lambda: bool(seen), timeout=20_000)
    wait_idle(qtbot, window)
    assert window.controller.trainer.step_count == step
