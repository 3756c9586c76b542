"""Train the weights guided experiment 9 ships: resources/presets/9-flip-flop-fixed-points.safetensors.

The recipe the preset described before it shipped weights: the 3-bit flip-flop of the preset's
[data], a tanh RNN of 32 units with orthogonal W_hh at spectral radius 1, Adam 0.01, clip_norm 1,
1,500 updates, seed 0, trained by rnn-viz's own loop (no torch needed). The weights are written as a
PyTorch state dict (``rnn.`` nn.RNN, ``readout.`` nn.Linear) in float64, so the fixed points of the
shipped network are those of the trained one. Seeded: running it again gives the same weights on
the same machine (BLAS may differ in the last bits elsewhere).

    .venv/bin/python scripts/train_preset_9.py          # ~25 s on one core
"""
from __future__ import annotations

import tomllib
from pathlib import Path

from rnn_viz.experiment import config as cfgmod
from rnn_viz.experiment.export_torch import write_state_dict
from rnn_viz.experiment.loop import Trainer, train
from rnn_viz.experiment.torch_map import to_state_dict

PRESETS = Path(__file__).resolve().parents[1] / "resources" / "presets"
TOML = PRESETS / "9-flip-flop-fixed-points.toml"
OUT = PRESETS / "9-flip-flop-fixed-points.safetensors"
UPDATES = 1500
MODEL = {"cell": "rnn", "activation": "tanh", "hidden_size": 32, "num_layers": 1, "init": "orthogonal",
         "spectral_radius": 1.0}


def recipe() -> cfgmod.ExperimentConfig:
    """The preset's experiment with the recipe's initial model instead of the shipped weights."""
    table = tomllib.loads(TOML.read_text(encoding="utf-8"))
    table.pop("preset", None)
    table["model"] = dict(MODEL)
    return cfgmod.config_from_dict(table, str(TOML))


def trained() -> Trainer:
    trainer = Trainer(recipe())
    for _record in train(trainer, UPDATES, heavy_last=False):
        pass
    return trainer


def main() -> None:
    trainer = trained()
    print(f"after {UPDATES} updates: loss {trainer.evaluate(heavy=False).trace['loss']:.4f}")
    state = to_state_dict("rnn", 1, trainer.params, bias=True, weights_module="rnn", readout_module="readout")
    write_state_dict(OUT, state, "safetensors")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
