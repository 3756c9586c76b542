"""The experiment file: defaults, every key's validation message, round-trips, --set, [compare], [preset]."""
import copy
import pickle
import tomllib
from dataclasses import replace

import pytest

from rnn_viz.experiment.config import (
    ConfigError,
    ExperimentConfig,
    ModelConfig,
    PresetConfig,
    TrainingConfig,
    apply_overrides,
    compare_config,
    compare_label,
    config_from_dict,
    default_config,
    from_json,
    load_config,
    to_dict,
    to_json,
    to_toml,
)
from rnn_viz.experiment.presets import PRESETS_DIR

DEFAULT_TOML = PRESETS_DIR / "default.toml"


def _error(d, source="exp.toml") -> str:
    with pytest.raises(ConfigError) as info:
        config_from_dict(d, source)
    return str(info.value)


def test_defaults_are_the_documented_ones():
    cfg = default_config()
    assert cfg.data["source"] == "sine"
    assert cfg.model == ModelConfig("rnn", "tanh", 32, 1, "orthogonal", 1.0)
    t = cfg.training
    assert (t.bptt, t.k1, t.k2, t.optimizer, t.learning_rate) == ("full", 1, 5, "adam", 0.01)
    assert (t.momentum, t.beta1, t.beta2, t.eps, t.decay) == (0.9, 0.9, 0.999, 1e-8, 0.99)
    assert (t.clip_norm, t.clip_value, t.loss, t.seed, t.dtype, t.flow_sample, t.val_every) == (
        0.0, 0.0, "auto", 0, "float64", 0, 10)
    assert cfg.preset is None and cfg.compare is None
    assert config_from_dict({}, "empty.toml") == cfg


def test_default_toml_is_the_default_experiment():
    cfg = load_config(DEFAULT_TOML)
    assert replace(cfg, preset=None) == default_config()
    assert cfg.preset is not None and cfg.preset.title


@pytest.mark.parametrize(
    "d",
    [
        {},
        {"model": {"cell": "lstm", "num_layers": 2, "hidden_size": 8}},
        {"model": {"cell": "gru", "init": "identity", "spectral_radius": 0.5}},
        {"data": {"source": "copy", "delay": 20}, "training": {"bptt": "truncated", "k1": 3, "k2": 7, "loss": "cross_entropy"}},
        {"preset": {"title": "Vanish", "explanation": "Look.", "look_at": "flow", "equation": "h = tanh(s)"},
         "compare": {"label": "B \"quoted\"", "model": {"cell": "lstm"}, "training": {"bptt": "truncated"}}},
        {"training": {"learning_rate": 1e300, "eps": 1e-12, "seed": 2**63 - 1, "dtype": "float32"}},
    ],
)
def test_toml_and_json_round_trip(tmp_path, d):
    cfg = config_from_dict(d, "exp.toml")
    path = tmp_path / "exp.toml"
    path.write_text(to_toml(cfg), encoding="utf-8")
    assert load_config(path) == cfg
    assert from_json(to_json(cfg)) == cfg
    assert config_from_dict(to_dict(cfg)) == cfg


def test_to_dict_leaves_out_unset_optional_keys_and_orders_sections():
    cfg = config_from_dict({"model": {"cell": "lstm"}, "preset": {"title": "T", "explanation": "E"}})
    d = to_dict(cfg)
    assert list(d) == ["preset", "data", "model", "training"]
    assert "activation" not in d["model"] and cfg.model.activation is None
    assert d["preset"] == {"title": "T", "explanation": "E"}


def test_integers_are_accepted_where_numbers_are_meant():
    cfg = config_from_dict({"training": {"learning_rate": 1, "clip_norm": 5}, "model": {"spectral_radius": 2}})
    assert cfg.training.learning_rate == 1.0 and isinstance(cfg.training.learning_rate, float)
    assert isinstance(cfg.training.clip_norm, float) and isinstance(cfg.model.spectral_radius, float)


BAD_VALUES = [
    ("model", "cell", "cnn", '"rnn", "lstm", "gru"'),
    ("model", "activation", "sigmoid", '"tanh", "relu", "linear"'),
    ("model", "hidden_size", 0, "an integer from 1 to 4096"),
    ("model", "hidden_size", 32.0, "an integer from 1 to 4096"),
    ("model", "num_layers", 5, "an integer from 1 to 4"),
    ("model", "num_layers", True, "an integer from 1 to 4"),
    ("model", "init", "xavier", '"orthogonal", "gaussian", "identity"'),
    ("model", "spectral_radius", -0.1, "a finite number >= 0"),
    ("model", "spectral_radius", float("inf"), "a finite number >= 0"),
    ("model", "gain", -1.0, "a finite number >= 0"),
    ("model", "bias", 0, "true or false"),
    ("model", "weights", "", "a path to a .safetensors, .pt, .pth or .npz state dict"),
    ("model", "weights_module", 3, 'a module name such as "encoder.rnn" ("" = top level)'),
    ("model", "readout_module", " head", 'a Linear module name such as "head" ("" = top level, "none" = a fresh readout)'),
    ("training", "bptt", "partial", '"full", "truncated"'),
    ("training", "k1", 0, "an integer >= 1"),
    ("training", "k2", "5", "an integer >= 1"),
    ("training", "optimizer", "adagrad", '"sgd", "momentum", "adam", "rmsprop"'),
    ("training", "learning_rate", 0, "a finite number > 0"),
    ("training", "learning_rate", float("nan"), "a finite number > 0"),
    ("training", "momentum", 1.0, "a number in [0, 1)"),
    ("training", "beta1", -0.5, "a number in [0, 1)"),
    ("training", "beta2", 1, "a number in [0, 1)"),
    ("training", "eps", 0.0, "a finite number > 0"),
    ("training", "decay", 1.5, "a number in [0, 1)"),
    ("training", "clip_norm", -1, "a finite number >= 0"),
    ("training", "clip_value", "off", "a finite number >= 0"),
    ("training", "loss", "l1", '"auto", "mse", "cross_entropy"'),
    ("training", "seed", -1, "an integer from 0 to 9223372036854775807"),
    ("training", "dtype", "float16", '"float64", "float32"'),
    ("training", "flow_sample", -1, "an integer >= 0"),
    ("training", "val_every", 0, "an integer >= 1"),
    ("training", "nesterov", 1, "true or false"),
    ("training", "spectra_every", 0, "an integer >= 1"),
    ("training", "train", "gates", '"all", "readout"'),
    ("preset", "title", "", "a non-empty string"),
    ("preset", "explanation", 3, "a non-empty string"),
    ("preset", "look_at", ["a"], "a non-empty string"),
    ("preset", "equation", False, "a non-empty string"),
]


def _show(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, list):
        return "[" + ", ".join(_show(x) for x in v) + "]"
    return repr(v)


@pytest.mark.parametrize("section, key, value, allowed", BAD_VALUES)
def test_every_key_names_itself_and_what_is_allowed(section, key, value, allowed):
    table = {key: value}
    if section == "preset":
        table = {"title": "T", "explanation": "E", **table}
    message = _error({section: table})
    assert message == f"exp.toml: {section}.{key} = {_show(value)} is not allowed; allowed: {allowed}"


def test_every_key_of_model_training_and_preset_is_covered_above():
    covered = {(s, k) for s, k, _, _ in BAD_VALUES}
    from dataclasses import fields
    for section, cls in (("model", ModelConfig), ("training", TrainingConfig), ("preset", PresetConfig)):
        assert {(section, f.name) for f in fields(cls)} <= covered


def test_unknown_keys_and_sections_list_what_exists():
    assert _error({"training": {"lr": 0.1}}).startswith(
        "exp.toml: unknown key training.lr; allowed: bptt, k1, k2, optimizer, learning_rate")
    assert _error({"model": {"cells": "rnn"}}) == (
        "exp.toml: unknown key model.cells; allowed: cell, activation, hidden_size, num_layers, init, spectral_radius, "
        "gain, bias, weights, weights_module, readout_module")
    assert _error({"optimiser": {}}) == (
        "exp.toml: unknown section [optimiser]; allowed: [preset], [data], [model], [training], [dynamics], [compare]")
    assert _error({"seed": 1}).startswith("exp.toml: unknown section [seed]")
    assert _error({"model": 3}) == "exp.toml: model = 3 is not allowed; allowed: a table"


def test_activation_is_for_the_vanilla_cell_only():
    message = _error({"model": {"cell": "lstm", "activation": "tanh"}})
    assert message.startswith('exp.toml: model.activation = "tanh" is not allowed for model.cell = "lstm"')
    assert config_from_dict({"model": {"cell": "gru"}}).model.activation is None
    assert config_from_dict({"model": {"activation": "relu"}}).model.activation == "relu"


def test_k1_may_not_exceed_k2():
    assert _error({"training": {"k1": 6, "k2": 5}}) == (
        "exp.toml: training.k1 = 6 is not allowed with training.k2 = 5; allowed: 1 <= k1 <= k2")
    assert config_from_dict({"training": {"k1": 5, "k2": 5}}).training.k1 == 5


def test_flow_sample_must_be_inside_the_batch():
    assert _error({"data": {"batch_size": 4}, "training": {"flow_sample": 4}}) == (
        "exp.toml: training.flow_sample = 4 is not allowed with data.batch_size = 4; "
        "allowed: an integer from 0 to 3")


def test_data_errors_come_back_naming_the_file_and_key():
    message = _error({"data": {"source": "sine", "seq_len": 0}})
    assert message.startswith("exp.toml: data.seq_len")
    assert _error({"data": {"source": "sound"}}).startswith("exp.toml: data.source")
    assert "data.wobble" in _error({"data": {"wobble": 1}})


def test_data_section_is_resolved_and_read_only():
    cfg = default_config()
    assert cfg.data["seq_len"] >= 1 and cfg.data["batch_size"] >= 1
    with pytest.raises(TypeError):
        cfg.data["seq_len"] = 3
    assert isinstance(cfg.data, dict)  # still usable wherever a dict is expected


def test_configs_pickle_copy_and_compare_by_value():
    cfg = apply_overrides(default_config(), ["compare.training.bptt=truncated"])
    assert pickle.loads(pickle.dumps(cfg)) == cfg
    assert copy.deepcopy(cfg) == cfg and copy.copy(cfg) == cfg


def test_records_validate_when_built_directly():
    with pytest.raises(ConfigError, match="training.k2 = 0"):
        TrainingConfig(k2=0)
    with pytest.raises(ConfigError, match="model.activation"):
        replace(ModelConfig(), cell="lstm")
    assert replace(ModelConfig(), cell="lstm", activation=None).activation is None


def test_toml_syntax_error_names_file_and_line(tmp_path):
    path = tmp_path / "exp.toml"
    path.write_text("[model]\ncell = 'rnn'\nhidden_size = \n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: TOML syntax error") and "line 3" in message
    assert "\n" not in message


def test_unreadable_files(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(tmp_path)
    (tmp_path / "latin1.toml").write_bytes(b"[preset]\ntitle = '\xe9'\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(tmp_path / "latin1.toml")


def test_load_config_reports_bad_values_with_the_path(tmp_path):
    path = tmp_path / "exp.toml"
    path.write_text('[training]\nbptt = "partial"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f'{path}: training.bptt = "partial" is not allowed; allowed: "full", "truncated"'
    assert info.value.key == "training.bptt" and info.value.source == str(path)


# --- --set ---------------------------------------------------------------------------------------

def test_overrides_parse_toml_literals_and_bare_words():
    cfg = apply_overrides(default_config(), [
        "training.k2=10", "training.bptt=truncated", "training.learning_rate=1e-3",
        'model.init="identity"', " model.hidden_size = 8 ", "training.clip_norm=1",
    ])
    assert (cfg.training.k2, cfg.training.bptt, cfg.training.learning_rate) == (10, "truncated", 1e-3)
    assert (cfg.model.init, cfg.model.hidden_size, cfg.training.clip_norm) == ("identity", 8, 1.0)
    assert apply_overrides(cfg, []) is cfg


def test_overrides_are_validated_and_name_the_key():
    with pytest.raises(ConfigError) as info:
        apply_overrides(default_config(), ["training.bptt=partial"])
    assert str(info.value) == '--set: training.bptt = "partial" is not allowed; allowed: "full", "truncated"'
    with pytest.raises(ConfigError, match="unknown key training.kk"):
        apply_overrides(default_config(), ["training.kk=1"])


@pytest.mark.parametrize("item", ["training.k2", "k2=5", "training.=5", "=5"])
def test_malformed_overrides(item):
    with pytest.raises(ConfigError, match="allowed: section.key=value"):
        apply_overrides(default_config(), [item])


def test_override_of_an_unknown_section():
    with pytest.raises(ConfigError, match=r"unknown section \[optim\]"):
        apply_overrides(default_config(), ["optim.lr=1"])


def test_switching_the_cell_drops_the_vanilla_activation():
    cfg = apply_overrides(default_config(), ["model.activation=relu"])
    lstm = apply_overrides(cfg, ["model.cell=lstm"])
    assert lstm.model.activation is None
    assert apply_overrides(lstm, ["model.cell=rnn"]).model.activation == "tanh"
    with pytest.raises(ConfigError, match="model.activation"):
        apply_overrides(cfg, ["model.cell=lstm", "model.activation=relu"])


def test_switching_the_data_source_starts_its_table_afresh():
    cfg = apply_overrides(default_config(), ["data.noise=0.5"])
    copy_task = apply_overrides(cfg, ["data.source=copy", "data.delay=7"])
    assert copy_task.data["source"] == "copy" and "noise" not in copy_task.data
    assert copy_task.data["delay"] == 7


def test_copy_task_length_delay_and_seq_len_stay_consistent():
    cfg = config_from_dict({"data": {"source": "copy", "length": 5, "delay": 10}})
    longer = apply_overrides(cfg, ["data.delay=50"])
    assert (longer.data["delay"], longer.data["seq_len"]) == (50, 60)
    by_len = apply_overrides(cfg, ["data.seq_len=30"])
    assert (by_len.data["delay"], by_len.data["seq_len"]) == (20, 30)


# --- [compare] and [preset] ---------------------------------------------------------------------

def test_compare_builds_run_b_from_overrides():
    cfg = config_from_dict({
        "training": {"k2": 7},
        "compare": {"label": "truncated, k2 = 7", "training": {"bptt": "truncated"}},
    })
    b = compare_config(cfg)
    assert b.training.bptt == "truncated" and b.training.k2 == 7
    assert b.compare is None and b.preset is None and b.data == cfg.data
    assert compare_label(cfg) == "truncated, k2 = 7"
    assert compare_config(default_config()) is None and compare_label(default_config()) is None


def test_compare_without_label_describes_its_changes():
    cfg = config_from_dict({"compare": {"model": {"cell": "lstm"}}})
    assert compare_label(cfg) == 'model.cell = "lstm"'
    assert compare_config(cfg).model.activation is None  # the main rnn's tanh does not carry over


@pytest.mark.parametrize(
    "compare, expected",
    [
        ({"training": {"bptt": "partial"}},
         'exp.toml: compare.training.bptt = "partial" is not allowed; allowed: "full", "truncated"'),
        ({"training": {"k1": 9}}, "exp.toml: compare.training.k1 = 9 is not allowed with training.k2 = 5"),
        ({"model": {"cell": "gru", "activation": "relu"}}, "exp.toml: compare.model.activation"),
        ({"training": {"lr": 1}}, "exp.toml: unknown key compare.training.lr"),
        ({"preset": {}}, "exp.toml: unknown key compare.preset; allowed: label, data, model, training"),
        ({"model": "lstm"}, 'exp.toml: compare.model = "lstm" is not allowed; allowed: a table'),
        ({"label": ""}, 'exp.toml: compare.label = "" is not allowed; allowed: a non-empty string'),
        ({"data": {"seq_len": -1}}, "exp.toml: [compare] data.seq_len"),
    ],
)
def test_compare_errors_name_the_compare_key(compare, expected):
    assert _error({"compare": compare}).startswith(expected)


def test_compare_keys_can_be_set_from_the_command_line():
    cfg = apply_overrides(default_config(), ["compare.training.bptt=truncated", "compare.label=B"])
    cfg = apply_overrides(cfg, ["compare.training.k2=3"])
    assert dict(cfg.compare) == {"training": {"bptt": "truncated", "k2": 3}, "label": "B"}
    with pytest.raises(ConfigError, match="compare.training.k2 = 0"):
        apply_overrides(cfg, ["compare.training.k2=0"])


def test_preset_needs_title_and_explanation():
    assert _error({"preset": {"title": "T"}}) == (
        "exp.toml: preset.explanation is missing; allowed: a non-empty string")
    assert _error({"preset": {"title": "T", "explanation": "E", "note": "x"}}).startswith(
        "exp.toml: unknown key preset.note; allowed: title, explanation, look_at, equation")
    cfg = config_from_dict({"preset": {"title": "T", "explanation": "E", "equation": "h_t = tanh(s_t)"}})
    assert cfg.preset == PresetConfig("T", "E", None, "h_t = tanh(s_t)")


def test_every_shipped_preset_is_a_valid_experiment():
    presets = sorted(DEFAULT_TOML.parent.glob("*.toml"))
    assert DEFAULT_TOML in presets
    for path in presets:
        cfg = load_config(path)
        assert isinstance(cfg, ExperimentConfig) and cfg.preset is not None, path.name
        assert tomllib.loads(to_toml(cfg))  # writes back to valid TOML
