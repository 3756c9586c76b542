"""What importing a trained PyTorch model with some data gives, before the window switches to it.

The app's File > Import trained model shows this preview: the experiment it would open (``[model]
weights`` plus the chosen data and modules) and what the Trainer found in the file. It builds the
Trainer exactly as opening that experiment does (weights_init, run_notes), so the preview cannot
disagree with what then trains.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import config as cfgmod
from .parity import parity_line
from .run_notes import import_lines

__all__ = ["ImportPreview", "import_config", "preview_import"]


@dataclass(frozen=True)
class ImportPreview:
    """``lines``: what the file gave (run_notes.import_lines), the output size and the parameter
    count, ending with the parity line; ``parity``: that line; ``warning``: the parity is above
    the limit; ``cell``: the inferred cell."""

    lines: tuple[str, ...]
    parity: str
    warning: bool
    parameters: int
    cell: str


def import_config(base: cfgmod.ExperimentConfig, weights: str | Path, data: Mapping[str, object],
                  weights_module: str | None = None, readout_module: str | None = None,
                  activation: str | None = None) -> cfgmod.ExperimentConfig:
    """The experiment an import opens: ``base``'s training and dynamics settings, ``data`` as
    ``[data]``, and a ``[model]`` of only the weights file (absolute), the modules and the
    activation chosen (None: found from the file); the file decides everything else."""
    d = cfgmod.to_dict(base)
    for section in ("preset", "compare"):
        d.pop(section, None)
    model: dict[str, object] = {"weights": str(Path(weights).resolve())}
    for key, value in (("weights_module", weights_module), ("readout_module", readout_module),
                       ("activation", activation)):
        if value is not None:
            model[key] = value
    d["model"] = model
    d["data"] = dict(data)
    return cfgmod.config_from_dict(d, str(weights))


def preview_import(config: cfgmod.ExperimentConfig, base_dir: Path | str | None) -> ImportPreview:
    """Build the Trainer of ``config`` (which has ``[model] weights``) and say what it found.

    Raises what the Trainer raises for a bad file or a misfit (DataError, ConfigError naming the
    file and the key); nothing is written.
    """
    from .loop import Trainer

    trainer = Trainer(config, base_dir)
    lines = import_lines(trainer)
    parity, warning = parity_line(trainer.parity, config.training.dtype)
    count = int(sum(np.size(v) for v in trainer.params.values()))
    spec = trainer.spec
    sizes = (f"  sizes: input {spec.input_size}, hidden {spec.hidden_size}, output {spec.output_size}; "
             f"{count:,} parameters")
    return ImportPreview((*lines[:-1], sizes, lines[-1]), parity, warning, count, spec.cell)
