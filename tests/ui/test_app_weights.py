"""The window opens an experiment with [model] weights (the import dialog itself is not built yet)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from rnn_viz.data.weights import read_state_dict
from tests.ui.app_fixtures import make_window, step

PRESET = Path(__file__).resolve().parents[2] / "resources" / "presets" / "10-your-model.toml"


def test_opening_an_experiment_with_weights_trains_the_imported_model(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    window.prompts.unsaved_answer = "discard"
    assert window.files.open_experiment(PRESET)
    trainer = window.controller.trainer
    assert trainer.imported is not None and trainer.spec.cell == "gru"
    state = read_state_dict(PRESET.with_suffix(".safetensors"))
    np.testing.assert_array_equal(trainer.params["Whh.0"], state["encoder.weight_hh_l0"].astype(np.float64))
    step(qtbot, window, 1)
    assert window.controller.trainer.step_count == 1


def test_divergence_advice_for_an_imported_model_leaves_out_the_spectral_radius():
    from rnn_viz.engine import DivergenceError
    from rnn_viz.experiment.config import load_config
    from rnn_viz.ui.dialogs import divergence_advice

    cfg = load_config(PRESET)
    assert cfg.model.spectral_radius is None  # the file holds the trained matrices
    _, advice = divergence_advice(DivergenceError("loss", 3), cfg)
    assert "learning rate" in advice and "spectral radius" not in advice
