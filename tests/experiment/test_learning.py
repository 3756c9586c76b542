"""Built-in tasks are learnable: a small LSTM beats chance on a short copy and a short adding problem
(issue 3), with fixed seeds and explicit margins; the vanilla tanh RNN's result is recorded beside it."""
import pytest

from rnn_viz.engine.step import evaluate_loss
from rnn_viz.experiment.config import apply_overrides, default_config
from rnn_viz.experiment.loop import Trainer, train

COMMON = ["data.batch_size=32", "data.val_size=128", "model.hidden_size=16", "training.learning_rate=0.02",
          "training.val_every=1000"]
COPY = ["data.source='copy'", "data.length=3", "data.alphabet=4", "data.delay=3"]
ADDING = ["data.source='adding'", "data.seq_len=20"]


def trained_validation(task, cell, steps=200):
    trainer = Trainer(apply_overrides(default_config(), [*task, *COMMON, f"model.cell='{cell}'"]))
    for _ in train(trainer, steps, heavy_last=False):
        pass
    val = trainer.dataset.validation
    loss, accuracy = evaluate_loss(trainer.spec, trainer.params, val.inputs, val.targets, val.mask, trainer.loss)
    return trainer.dataset, loss, accuracy


def test_lstm_beats_chance_on_short_copy(record_property):
    data, loss, accuracy = trained_validation(COPY, "lstm")
    assert data.chance_accuracy == 0.25
    assert loss < 0.5 * data.chance_loss, f"LSTM copy: validation loss {loss:.3f}, chance {data.chance_loss:.3f}"
    assert accuracy > 0.6, f"LSTM copy: validation accuracy {accuracy:.2f}, chance 0.25"
    _, rnn_loss, rnn_accuracy = trained_validation(COPY, "rnn")
    record_property("rnn_copy", {"val_loss": rnn_loss, "val_accuracy": rnn_accuracy})


def test_lstm_beats_chance_on_short_adding(record_property):
    data, loss, _ = trained_validation(ADDING, "lstm")
    assert data.chance_loss == pytest.approx(1 / 6, abs=0.01)
    assert loss < 0.6 * data.chance_loss, f"LSTM adding: validation mse {loss:.3f}, chance {data.chance_loss:.3f}"
    _, rnn_loss, _ = trained_validation(ADDING, "rnn")
    record_property("rnn_adding", {"val_loss": rnn_loss})
