"""Training from imported weights: what learns, what stays frozen, resume and compare."""
from __future__ import annotations

import numpy as np

from rnn_viz.engine import optim
from rnn_viz.engine.step import evaluate
from rnn_viz.experiment.config import apply_overrides, compare_config, load_config
from rnn_viz.experiment.io import load_checkpoint
from rnn_viz.experiment.loop import Trainer
from rnn_viz.experiment.session import CompareTrainer  # moved there by state (#8)

from .torch_models import experiment, make_module, save


def test_imported_parameters_replace_the_initial_ones_and_config_records_the_model(tmp_path):
    module = make_module("gru", None, 2, True, inputs=2, hidden=3, outputs=1)
    path = save(module, tmp_path, "safetensors")
    trainer = Trainer(load_config(experiment(tmp_path, "model.safetensors")), tmp_path)
    np.testing.assert_array_equal(trainer.params["Whh.1"], module.net.rnn.weight_hh_l1.detach().numpy())
    np.testing.assert_array_equal(trainer.params["bhn.0"], module.net.rnn.bias_hh_l0.detach().numpy()[6:])
    m = trainer.config.model
    assert (m.cell, m.hidden_size, m.num_layers, m.weights, m.weights_module, m.readout_module) == \
        ("gru", 3, 2, str(path), "net.rnn", "head")
    assert trainer.parity is not None and trainer.parity < 1e-10
    assert any("ignored (1 keys outside these modules): embed.weight" in line for line in trainer.import_summary)


def test_train_readout_changes_only_the_readout_and_keeps_no_state_for_the_rest(tmp_path):
    save(make_module("lstm", None, 1, True, inputs=2, hidden=3, outputs=1), tmp_path, "safetensors")
    cfg = load_config(experiment(tmp_path, "model.safetensors", training='train = "readout"\nclip_norm = 0.01'))
    cfg = apply_overrides(cfg, ["training.optimizer=momentum", "training.momentum=0.5"])
    trainer = Trainer(cfg, tmp_path)
    before = {k: v.copy() for k, v in trainer.params.items()}
    batch = trainer.next_batch()
    grads, _ = evaluate(trainer.spec, before, batch.inputs, batch.targets, batch.mask, trainer.loss)
    record = trainer.step()
    assert set(trainer.opt_state) == {"t", "m/Why", "m/by"}
    for name, p in trainer.params.items():
        if name in ("Why", "by"):
            # clipping scales by the norm over every parameter, frozen ones included
            norm = optim.global_norm(grads)
            # momentum's first buffer is the gradient itself, so update 1 is lr * clipped gradient
            np.testing.assert_allclose(before[name] - p, 0.1 * grads[name] * 0.01 / norm, rtol=1e-12)
        else:
            np.testing.assert_array_equal(p, before[name])
    assert record.grad_norm == optim.global_norm(grads)
    assert set(k for k in record.trace if k.startswith("grad/")) == {f"grad/{n}" for n in before}


def test_train_readout_works_without_weights_too(tmp_path):
    path = experiment(tmp_path, None, "hidden_size = 4", training='train = "readout"')
    trainer = Trainer(load_config(path), tmp_path)
    whh = trainer.params["Whh.0"].copy()
    trainer.step()
    np.testing.assert_array_equal(trainer.params["Whh.0"], whh)
    assert trainer.step_count == 1


def test_bias_false_modules_keep_their_biases_at_zero_while_training(tmp_path):
    save(make_module("gru", None, 1, False, inputs=2, hidden=3, outputs=1), tmp_path, "safetensors")
    cfg = apply_overrides(load_config(experiment(tmp_path, "model.safetensors")), ["training.optimizer=adam"])
    trainer = Trainer(cfg, tmp_path)
    assert trainer.config.model.bias is False
    for _ in range(3):
        trainer.step()
    assert not trainer.params["bh.0"].any() and not trainer.params["bhn.0"].any()
    assert trainer.trainable == ("Wxh.0", "Whh.0", "Why", "by")
    assert set(trainer.opt_state) == {"t"} | {f"{b}/{n}" for b in "mv" for n in trainer.trainable}


def test_resume_never_rereads_the_weights_file_and_continues_exactly(tmp_path):
    weights = save(make_module("rnn", "relu", 1, True, inputs=2, hidden=3, outputs=1), tmp_path, "safetensors")
    cfg = load_config(experiment(tmp_path, "model.safetensors", 'activation = "relu"'))
    straight = Trainer(cfg, tmp_path)
    for _ in range(4):
        straight.step()
    first = Trainer(cfg, tmp_path)
    first.step()
    first.step()
    arrays = first.checkpoint()
    weights.unlink()  # a resume that read it would fail now
    resumed = Trainer.from_checkpoint(arrays, tmp_path)
    resumed.step()
    resumed.step()
    for k in straight.params:
        np.testing.assert_array_equal(resumed.params[k], straight.params[k])
    assert resumed.imported is None and resumed.config.model.activation == "relu"


def test_compare_run_b_takes_its_own_weights(tmp_path):
    save(make_module("gru", None, 1, True, inputs=2, hidden=3, outputs=1, seed=1), tmp_path, "safetensors", "a")
    save(make_module("gru", None, 1, True, inputs=2, hidden=3, outputs=1, seed=2), tmp_path, "safetensors", "b")
    path = experiment(tmp_path, "a.safetensors", extra='\n[compare.model]\nweights = "b.safetensors"')
    cfg = load_config(path)
    pair = CompareTrainer(cfg, compare_config(cfg), tmp_path)
    assert not pair.same_init
    assert not np.array_equal(pair.a.params["Whh.0"], pair.b.params["Whh.0"])
    assert pair.b.config.model.weights == str(tmp_path / "b.safetensors")
