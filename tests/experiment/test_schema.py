"""One schema for every [model] and [training] setting: engine constants feed it, validation, live
keys and the docs table are read from it, and every setting speaks in one message style."""
import dataclasses
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from rnn_viz import engine
from rnn_viz.data import DataError, resolve_data_section
from rnn_viz.engine.network import MAX_LAYERS
from rnn_viz.experiment.config import (
    MODEL_SETTINGS, TRAINING_SETTINGS, ConfigError, ModelConfig, TrainingConfig, apply_overrides, config_from_dict,
    default_config,
)
from rnn_viz.experiment.live import LIVE_KEYS, LiveSettings
from rnn_viz.experiment.loop import Trainer
from rnn_viz.experiment.schema import markdown_table, replace_tables

ROOT = Path(__file__).resolve().parents[2]


def test_every_field_of_the_records_is_a_schema_setting():
    for cls, settings in ((ModelConfig, MODEL_SETTINGS), (TrainingConfig, TRAINING_SETTINGS)):
        assert [f.name for f in dataclasses.fields(cls)] == [s.name for s in settings]
        for f, s in zip(dataclasses.fields(cls), settings):
            assert f.default == s.default and s.doc and s.label


def test_engine_constants_feed_the_choices_and_bounds():
    model = {s.name: s for s in MODEL_SETTINGS}
    training = {s.name: s for s in TRAINING_SETTINGS}
    assert model["cell"].allows.values == engine.CELLS
    assert model["activation"].allows.values == engine.ACTIVATIONS
    assert model["init"].allows.values == engine.INITS
    assert model["num_layers"].allows.hi == MAX_LAYERS
    assert training["optimizer"].allows.values == engine.OPTIMIZERS
    assert training["loss"].allows.values == ("auto", *engine.LOSSES)


def test_live_keys_and_the_live_record_come_from_the_schema():
    assert LIVE_KEYS == tuple(s.name for s in TRAINING_SETTINGS if s.live)
    assert {"learning_rate", "clip_norm", "clip_value", "flow_sample", "spectra_every"} == set(LIVE_KEYS)
    assert tuple(f.name for f in dataclasses.fields(LiveSettings)) == LIVE_KEYS
    assert LiveSettings.of(default_config().training) == LiveSettings(0.01, 0.0, 0.0, 0, 10)
    with pytest.raises(ConfigError, match=r"^training.clip_norm = -1.0 is not allowed; allowed: a finite number >= 0$"):
        LiveSettings(0.01, -1.0, 0.0)


def test_docs_tables_are_the_schema():
    doc = (ROOT / "docs" / "file-formats.md").read_text(encoding="utf-8")
    tables = {"model": markdown_table(MODEL_SETTINGS), "training": markdown_table(TRAINING_SETTINGS)}
    assert replace_tables(doc, tables) == doc, "run scripts/update_schema_docs.py"


def test_one_message_style_for_data_and_training_values():
    style = re.compile(r"^(data|training|model)\.\w+ = .+ is not allowed; allowed: .+$")
    messages = []
    for d in ({"data": {"seq_len": 0}}, {"data": {"batch_size": 2.5}}, {"training": {"k2": 0}},
              {"model": {"hidden_size": 0}}, {"data": {"noise": -1}}):
        with pytest.raises(ConfigError) as err:
            config_from_dict(d, "exp.toml")
        messages.append(str(err.value).removeprefix("exp.toml: "))
    with pytest.raises(DataError) as err:
        resolve_data_section({"seq_len": 0})
    messages.append(str(err.value))
    for m in messages:
        assert style.match(m), m


def test_nesterov_is_reachable_and_only_with_momentum():
    cfg = apply_overrides(default_config(), ["training.optimizer=momentum", "training.nesterov=true",
                                             "data.seq_len=10", "data.batch_size=4", "model.hidden_size=5"])
    assert cfg.training.nesterov is True
    with pytest.raises(ConfigError, match=r'training.nesterov = true is not allowed with training.optimizer = "adam"'):
        apply_overrides(default_config(), ["training.nesterov=true"])
    with pytest.raises(ConfigError, match="momentum > 0"):
        apply_overrides(default_config(), ["training.optimizer=momentum", "training.momentum=0",
                                           "training.nesterov=true"])
    nesterov = Trainer(cfg)
    plain = Trainer(apply_overrides(cfg, ["training.nesterov=false"]))
    assert nesterov.optimizer.nesterov and not plain.optimizer.nesterov
    for _ in range(2):
        a, b = nesterov.step(), plain.step()
    # Same first gradient, different update rule: the weights part after the first update.
    np.testing.assert_array_equal(a.trace["inputs"], b.trace["inputs"])
    assert not np.allclose(nesterov.params["Whh.0"], plain.params["Whh.0"])


def test_the_schema_script_rewrites_the_docs(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import update_schema_docs
    finally:
        sys.path.pop(0)
    doc = tmp_path / "file-formats.md"
    doc.write_text("x\n<!-- schema:model -->\nold\n<!-- /schema:model -->\n<!-- schema:training -->\n"
                   "<!-- /schema:training -->\n")
    text = replace_tables(doc.read_text(), update_schema_docs.tables())
    assert "old" not in text and "| `cell` |" in text and "| `nesterov` |" in text
