"""The divergence advice works when followed (experiment 2, gradients explode): the unclipped update 1
wrecks W_hh, so the advice is to start over with clipping, and doing so (CLI: --set
training.clip_norm=1 without --resume) trains; a mild divergence advises going on instead."""
from __future__ import annotations

import math
import shlex

import numpy as np
import pytest

from rnn_viz import cli
from rnn_viz.engine import DivergenceError
from rnn_viz.experiment import config as cfgmod
from rnn_viz.experiment.advice import WRECKED_FACTOR, divergence_advice, initial_sigma_max, whh_sigma_max
from rnn_viz.experiment.io import read_metrics
from rnn_viz.experiment.loop import Trainer
from rnn_viz.experiment.presets import PRESETS_DIR

EXPLODE = PRESETS_DIR / "2-exploding-gradients.toml"


def _diverge(trainer, steps=10):
    for _ in range(steps):
        try:
            trainer.step()
        except DivergenceError as exc:
            return exc
    raise AssertionError("did not diverge")


def test_experiment_2_advises_starting_over_and_starting_over_trains():
    config = cfgmod.load_config(EXPLODE)
    trainer = Trainer(config, PRESETS_DIR)
    error = _diverge(trainer)
    advice = divergence_advice(error, trainer.config, trainer)
    assert advice.start_over and advice.sigma_now > WRECKED_FACTOR * advice.sigma_initial
    assert math.isclose(advice.sigma_initial, 1.2, rel_tol=1e-6)
    assert "Reset with clipping" in advice.tips[0]
    # What following the old advice did: clipping on, Train again from the last good state
    trainer.set_clipping(1.0, 0.0)
    with pytest.raises(DivergenceError):
        for _ in range(5):
            trainer.step()
    # Following the new one: a fresh model with clip_norm = 1
    fresh = Trainer(cfgmod.config_from_dict(
        {**cfgmod.to_dict(config), "training": {**cfgmod.to_dict(config)["training"], "clip_norm": 1.0}},
        "test"), PRESETS_DIR)
    losses = [fresh.step().loss for _ in range(10)]
    assert all(np.isfinite(losses)) and losses[-1] < losses[0]


def test_a_mild_divergence_advises_going_on():
    config = cfgmod.load_config(EXPLODE)
    trainer = Trainer(config, PRESETS_DIR)
    error = DivergenceError("loss", 1)  # nothing has moved yet: the state is the initial one
    advice = divergence_advice(error, trainer.config, trainer)
    assert not advice.start_over
    assert advice.sigma_now == pytest.approx(initial_sigma_max(trainer)) == pytest.approx(whh_sigma_max(trainer))
    assert advice.tips[0].startswith("Turn on gradient clipping")


def test_without_a_trainer_the_advice_cannot_say_start_over():
    config = cfgmod.load_config(EXPLODE)
    advice = divergence_advice(DivergenceError("loss", 2), config)
    assert not advice.start_over and advice.sigma_now is None


def test_the_cli_advice_when_followed_trains(tmp_path, capsys):
    out = tmp_path / "explode"
    code = cli.main(["run", str(EXPLODE), "--steps", "20", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "start over with clipping" in err and "(without --resume)" in err
    # the command it prints, with NEW_DIR filled in
    command = err.split("start over with clipping: ", 1)[1].split(" (without --resume)")[0]
    argv = shlex.split(command.replace("NEW_DIR", str(tmp_path / "again")))
    assert argv[:2] == ["rnn-viz", "run"] and "--resume" not in argv
    assert cli.main(argv[1:] + ["--steps", "20", "--quiet"]) == 0, capsys.readouterr().err
    metrics = read_metrics(tmp_path / "again" / "metrics.csv")
    assert metrics["step"].tolist() == list(range(1, 21)) and np.all(np.isfinite(metrics["loss"]))
    assert metrics["loss"][-1] < metrics["loss"][0]


def test_the_cli_form_of_going_on_names_the_checkpoint():
    config = cfgmod.load_config(EXPLODE)
    trainer = Trainer(config, PRESETS_DIR)
    advice = divergence_advice(DivergenceError("loss", 1), trainer.config, trainer, cli=True,
                               checkpoint="runs/x/checkpoint.npz", experiment="runs/x/config.toml")
    line = " ".join(advice.tips)
    assert not advice.start_over
    assert "--set training.clip_norm=1 --resume runs/x/checkpoint.npz" in line
    assert "--set training.learning_rate=0.01 --resume runs/x/checkpoint.npz" in line


@pytest.mark.parametrize("cell, activation, warned", [
    ("rnn", "relu", True), ("rnn", "linear", True), ("rnn", "tanh", False), ("lstm", None, False), ("gru", None, False),
])
def test_the_unbounded_state_tip_names_exactly_the_rnn_activations_without_an_upper_bound(cell, activation, warned):
    raw = cfgmod.to_dict(cfgmod.load_config(EXPLODE))
    model = {k: v for k, v in raw["model"].items() if k != "activation"}
    model["cell"] = cell
    if activation is not None:
        model["activation"] = activation
    config = cfgmod.config_from_dict({**raw, "model": model}, "test")
    tips = divergence_advice(DivergenceError("loss", 2), config).tips
    assert any("nothing that bounds its state" in tip for tip in tips) is warned
    if warned:
        assert any(tip.startswith(f"A {activation} rnn") for tip in tips)
