"""The guided experiments shipped in resources/presets: list them and read their [preset] text.

Qt-free, so the app's menu, its preset panel and the CLI share one listing. A preset is an ordinary
experiment file with a ``[preset]`` section (title, explanation, optionally look_at and equation)
and, where it has a second run, a ``[compare]`` section. Files are listed in file-name order, which
is the order of the experiments (``1-...``, ``2-...``); ``default.toml`` comes last.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..engine.analysis import per_step_decay
from .config import ConfigError, ExperimentConfig, compare_label, load_config

__all__ = [
    "PRESETS_DIR", "EDGE_OF_CHAOS", "PresetInfo", "preset_info", "list_presets", "find_preset",
    "measured_decay", "decay_row",
]

PRESETS_DIR = Path(__file__).resolve().parents[2] / "resources" / "presets"

# The one preset whose panel plots measured decay against log(rho) (experiment 3).
EDGE_OF_CHAOS = "3-edge-of-chaos"


@dataclass(frozen=True, slots=True)
class PresetInfo:
    """What a menu entry and the preset panel show for one experiment file.

    ``name`` is the file stem (``3-edge-of-chaos``); ``title``/``explanation``/``look_at``/
    ``equation`` come from ``[preset]`` (``title`` falls back to the name for a file without one);
    ``compare`` describes the ``[compare]`` run or is None; ``error`` is the reason a file could not
    be loaded (then the other text fields are empty and ``config`` is None).
    """

    path: Path
    name: str
    title: str
    explanation: str = ""
    look_at: str | None = None
    equation: str | None = None
    compare: str | None = None
    config: ExperimentConfig | None = None
    error: str | None = None

    @property
    def decay_plot(self) -> bool:
        """True for the edge-of-chaos experiment, whose panel plots decay against log(rho)."""
        return self.name == EDGE_OF_CHAOS


def preset_info(path: str | Path, config: ExperimentConfig | None = None) -> PresetInfo:
    """The panel/menu text of the experiment at ``path`` (``config``: already loaded, else read).

    Raises ConfigError (naming the file, key and what is allowed) when the file is not a valid
    experiment.
    """
    path = Path(path)
    cfg = config if config is not None else load_config(path)
    p = cfg.preset
    if p is None:
        return PresetInfo(path, path.stem, path.stem, compare=compare_label(cfg), config=cfg)
    return PresetInfo(path, path.stem, p.title, p.explanation, p.look_at, p.equation, compare_label(cfg), cfg)


def list_presets(folder: str | Path = PRESETS_DIR) -> list[PresetInfo]:
    """Every ``*.toml`` in ``folder``, in the order of their numbers (``default.toml`` last).

    A file that does not load is still listed, with ``error`` set and its name as title, so one bad
    file (say, one a user dropped into the folder) cannot hide the others. A missing folder gives [].
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    # By the experiment's number (10 after 9, not after 1), then by name; default.toml last.
    paths = sorted(folder.glob("*.toml"), key=lambda p: (p.stem == "default", _number(p.stem), p.name))
    out = []
    for path in paths:
        try:
            out.append(preset_info(path))
        except ConfigError as exc:
            out.append(PresetInfo(path, path.stem, path.stem, error=str(exc)))
    return out


def _number(stem: str) -> int:
    digits = len(stem) - len(stem.lstrip("0123456789"))
    return int(stem[:digits]) if digits else 10**9


def find_preset(name: str, folder: str | Path = PRESETS_DIR) -> Path:
    """The preset file called ``name`` (its stem, e.g. ``3-edge-of-chaos``, or its file name).

    Raises ConfigError listing the names that exist.
    """
    folder = Path(folder)
    stem = name[:-5] if name.endswith(".toml") else name
    path = folder / f"{stem}.toml"
    if path.is_file():
        return path
    known = ", ".join(p.stem for p in sorted(folder.glob("*.toml"))) if folder.is_dir() else "(none)"
    raise ConfigError(f"no guided experiment called {name!r}; allowed: {known}", source=str(folder))


# --- experiment 3: the measured per-step decay ---------------------------------------------------

def decay_row(trace: Mapping[str, np.ndarray]) -> int | None:
    """The flow-matrix row the decay is measured on: the last step carrying a loss for the flow
    sample (the longest path back), or None when that sample has no loss step.

    trace: a heavy trace (``flow_sample``, ``loss_mask`` (B, T)).
    """
    steps = np.nonzero(np.asarray(trace["loss_mask"])[int(trace["flow_sample"])])[0]
    return int(steps[-1]) if steps.size else None


def measured_decay(trace: Mapping[str, np.ndarray], layer: int = 0) -> float:
    """Per-step log-decay of the error signal: the least-squares slope of log F[t, k] against the lag
    t - k along one row t of the flow matrix (``analysis.per_step_decay``), t = :func:`decay_row`.

    One loss term at a time is what makes this exact: F[t, k] = ||(W^T)^(t-k) dL_t/dh_t|| for a
    linear rnn, and with W = rho * Q (Q orthogonal) that is rho^(t-k) F[t, t], so the slope is
    log(rho) to rounding. Summing several loss terms (``dL_dh_norm``) mixes paths of different
    lengths and bends the line. Returns nan without a loss row or a non-zero path.
    """
    t = decay_row(trace)
    if t is None:
        return math.nan
    return per_step_decay(np.asarray(trace[f"flow/{layer}"]), t)
