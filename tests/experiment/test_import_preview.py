"""experiment.import_preview: the experiment an import opens and what the dialog shows of it."""
from __future__ import annotations

from pathlib import Path

import pytest

from rnn_viz.experiment import config as cfgmod
from rnn_viz.experiment.import_preview import import_config, preview_import
from rnn_viz.experiment.parity import PARITY_LIMIT

from .torch_models import make_module, save

WEIGHTS = Path(__file__).resolve().parents[2] / "resources" / "presets" / "10-your-model.safetensors"


def _base(**training):
    return cfgmod.config_from_dict({"data": {"source": "sine", "seq_len": 10, "batch_size": 2},
                                    "model": {"cell": "lstm", "hidden_size": 7, "init": "orthogonal"},
                                    "training": {"seed": 2, **training}}, "test")


def test_the_model_section_holds_only_the_file_and_the_choices():
    cfg = import_config(_base(bptt="truncated", k1=2, k2=4), WEIGHTS, {"source": "sine", "seq_len": 12})
    assert cfg.model.weights == str(WEIGHTS) and cfg.model.cell is None and cfg.model.init != "orthogonal"
    assert (cfg.training.bptt, cfg.training.k1, cfg.training.k2) == ("truncated", 2, 4)  # kept
    assert cfg.data["seq_len"] == 12 and cfg.compare is None and cfg.preset is None


def test_preview_lines_end_with_parity_and_count_the_parameters():
    p = preview_import(import_config(_base(), WEIGHTS, {"source": "sine", "seq_len": 12}), None)
    assert p.cell == "gru" and p.parameters == 897 and not p.warning
    assert p.lines[-1] == p.parity and p.parity.startswith("parity with torch: ")
    assert any("sizes: input 1, hidden 16, output 1; 897 parameters" in line for line in p.lines)


def test_an_rnn_says_tanh_was_assumed_and_takes_the_chosen_activation(tmp_path):
    path = save(make_module("rnn", "relu", 1, True, inputs=1, hidden=4, outputs=1), tmp_path, "safetensors")
    data = {"source": "sine", "seq_len": 12}
    assumed = preview_import(import_config(_base(), path, data), None)
    assert any("cannot tell tanh from relu" in line for line in assumed.lines)
    chosen = preview_import(import_config(_base(), path, data, activation="relu"), None)
    assert any("activation relu" in line for line in chosen.lines)
    assert not any("cannot tell" in line for line in chosen.lines)
    # torch's module is built with the activation chosen, so parity checks the rest of the mapping
    assert not chosen.warning and float(chosen.parity.split(": ")[1]) < PARITY_LIMIT["float64"]


def test_data_that_does_not_fit_names_the_file_and_key():
    with pytest.raises(cfgmod.ConfigError, match=r"10-your-model.safetensors.*encoder.weight_ih_l0"):
        preview_import(import_config(_base(), WEIGHTS, {"source": "adding", "seq_len": 12}), None)
