"""What the weights import refuses, and how it says so: the file, the key, what would fit."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from rnn_viz.data.weights import read_state_dict
from rnn_viz.experiment.config import ConfigError, apply_overrides, config_from_dict, load_config
from rnn_viz.experiment.loop import Trainer
from rnn_viz.experiment.torch_map import map_state_dict

from .torch_models import experiment, make_module, save


def state_of(module) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy() for k, v in module.state_dict().items()}


def refusal(state, **kwargs) -> str:
    with pytest.raises(ConfigError) as err:
        map_state_dict(state, "m.safetensors", **kwargs)
    assert str(err.value).startswith("m.safetensors: ")
    return str(err.value)


def test_bidirectional_and_projections_are_refused_naming_the_key():
    bi = state_of(torch.nn.LSTM(2, 3, bidirectional=True))
    assert "weight_ih_l0_reverse: bidirectional=True is not supported" in refusal(bi)
    proj = state_of(torch.nn.LSTM(2, 4, proj_size=2))
    assert "weight_hr_l0: LSTM proj_size > 0 is not supported" in refusal(proj)


def test_unknown_key_under_the_module_is_refused():
    state = {**state_of(torch.nn.GRU(2, 3)), "extra_l0": np.zeros(3)}
    assert "extra_l0: not a key of torch.nn.RNN/LSTM/GRU" in refusal(state)


def test_missing_and_misshapen_keys_name_the_key_and_the_expected_shape():
    state = {f"enc.{k}": v for k, v in state_of(torch.nn.LSTM(2, 3, num_layers=2)).items()}
    missing = {k: v for k, v in state.items() if k != "enc.bias_hh_l1"}
    assert "enc.bias_hh_l1 is missing" in refusal(missing)
    bad = {**state, "enc.weight_hh_l1": np.zeros((12, 4))}
    assert "enc.weight_hh_l1 has shape (12, 4); expected (12, 3)" in refusal(bad)
    gap = {k: v for k, v in state.items() if not k.endswith("_l1")}
    gap.update({k.replace("_l0", "_l2"): v for k, v in gap.items() if k.endswith("_l0") and "ih" not in k})
    assert "layers of enc are [0, 2]; expected 0 to 1" in refusal(gap)


def test_two_recurrent_modules_need_weights_module_and_a_wrong_choice_lists_the_candidates():
    state = {**{f"a.{k}": v for k, v in state_of(torch.nn.GRU(2, 3)).items()},
             **{f"b.{k}": v for k, v in state_of(torch.nn.RNN(2, 3)).items()}}
    assert 'several recurrent modules; choose one with model.weights_module; candidates: "a", "b"' in refusal(state)
    assert map_state_dict(state, "m", weights_module="b").cell == "rnn"
    assert 'model.weights_module = "c" holds no recurrent module' in refusal(state, weights_module="c")
    assert "no recurrent module" in refusal({"head.weight": np.zeros((1, 3))})


def test_two_fitting_readouts_need_readout_module():
    state = {**{f"rnn.{k}": v for k, v in state_of(torch.nn.GRU(2, 3)).items()},
             "h1.weight": np.zeros((1, 3)), "h1.bias": np.zeros(1),
             "h2.weight": np.zeros((2, 3)), "h2.bias": np.zeros(2), "emb.weight": np.zeros((7, 5))}
    assert 'several Linear modules take the hidden size 3; choose one with model.readout_module; ' \
           'candidates: "h1", "h2" or "none"' in refusal(state)
    w = map_state_dict(state, "m", readout_module="h2")
    assert w.output_size == 2 and set(w.ignored) == {"h1.weight", "h1.bias", "emb.weight"}
    assert map_state_dict(state, "m", readout_module="none").output_size is None
    assert "hidden size 3 (expected (O, 3))" in refusal(state, readout_module="emb")
    assert 'model.readout_module = "zz" is not a Linear module' in refusal(state, readout_module="zz")


def test_a_readout_without_bias_is_refused_with_the_way_out():
    state = {**{f"rnn.{k}": v for k, v in state_of(torch.nn.GRU(2, 3)).items()}, "head.weight": np.zeros((1, 3))}
    assert 'head.bias is missing' in refusal(state) and 'readout_module = "none"' in refusal(state)


@pytest.fixture
def lstm_file(tmp_path):
    return save(make_module("lstm", None, 1, True, inputs=2, hidden=3, outputs=1), tmp_path, "safetensors")


def trainer_error(tmp_path, model: str = "", set_: tuple[str, ...] = ()) -> str:
    path = experiment(tmp_path, "model.safetensors", model)
    with pytest.raises(ConfigError) as err:
        Trainer(apply_overrides(load_config(path), set_), tmp_path)
    return str(err.value)


def test_given_model_keys_that_contradict_the_file_name_both(tmp_path, lstm_file):
    text = trainer_error(tmp_path, 'cell = "gru"')
    assert text.startswith(f"{lstm_file}: model.cell = \"gru\" contradicts the weights file") and "lstm" in text
    assert "model.hidden_size = 8 contradicts" in trainer_error(tmp_path, set_=("model.hidden_size=8",))
    assert "model.num_layers = 2 contradicts" in trainer_error(tmp_path, "num_layers = 2")
    assert "model.bias = false contradicts" in trainer_error(tmp_path, "bias = false")
    assert 'model.activation = "relu" is not allowed: the weights are a lstm' in trainer_error(tmp_path, 'activation = "relu"')


def test_keys_that_agree_with_the_file_are_accepted(tmp_path, lstm_file):
    path = experiment(tmp_path, "model.safetensors", 'cell = "lstm"\nhidden_size = 3\nnum_layers = 1')
    assert Trainer(load_config(path), tmp_path).spec.cell == "lstm"


def test_data_of_another_size_names_the_weight_and_expected_shape(tmp_path):
    save(make_module("gru", None, 1, True, inputs=5, hidden=3, outputs=1), tmp_path, "safetensors")
    assert "weight_ih_l0 has shape (9, 5): the model takes 5 inputs, the data gives 2" in trainer_error(tmp_path)
    save(make_module("gru", None, 1, True, inputs=2, hidden=3, outputs=4), tmp_path, "safetensors")
    text = trainer_error(tmp_path)
    assert "head.weight has shape (4, 3); expected (1, 3) for the data's 1 outputs" in text


def test_init_and_spectral_radius_with_weights_and_modules_without_weights_are_config_errors():
    for key, value in (("init", "identity"), ("spectral_radius", 0.5)):
        with pytest.raises(ConfigError, match=rf"exp.toml: model.{key} cannot be used with model.weights"):
            config_from_dict({"model": {"weights": "m.safetensors", key: value}}, "exp.toml")
    with pytest.raises(ConfigError, match="model.weights_module needs model.weights"):
        config_from_dict({"model": {"weights_module": "rnn"}}, "exp.toml")


def test_set_model_weights_on_a_file_without_weights_takes_the_architecture_from_the_weights(tmp_path, lstm_file):
    path = experiment(tmp_path, None, "hidden_size = 16\ninit = \"identity\"")
    cfg = apply_overrides(load_config(path), ["model.weights=model.safetensors"])
    trainer = Trainer(cfg, tmp_path)
    assert (trainer.spec.cell, trainer.spec.hidden_size) == ("lstm", 3)
