"""The guided experiments shipped in resources/presets: list them, find them by name, read their
[preset] text.

Qt-free, so the app's menu, its preset panel and the CLI share one listing. A preset is an ordinary
experiment file with a ``[preset]`` section (title, explanation, optionally look_at and equation)
and, where it has a second run, a ``[compare]`` section. Its name is the file's stem
(``1-vanishing-gradients``). They are listed ``default`` first, then in the order of the experiments:
by number, then suffix (``5`` < ``5b`` < ``10``). The folder is found through importlib.resources
(``rnn_viz.package_data``), so this works from a clone and from an installed wheel alike.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data.reading import FileProblem, open_regular
from ..engine.analysis import per_step_decay
from ..package_data import resource_path
from .config import ConfigError, ExperimentConfig, compare_label, load_config

__all__ = [
    "PRESETS_DIR", "EDGE_OF_CHAOS", "PresetInfo", "preset_info", "list_presets", "preset_paths",
    "preset_order", "find_preset", "resolve_experiment", "measured_decay", "decay_row",
]

PRESETS_DIR = resource_path("presets")

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


def preset_order(stem: str) -> tuple:
    """Sort key of a preset name: ``default`` first, then by number and suffix (``2`` before ``10``,
    ``5`` before ``5b``), then names without a number."""
    m = re.match(r"(\d+)([a-z]*)", stem)
    if stem == "default":
        return (0, 0, "", stem)
    if m is None:
        return (2, 0, "", stem)
    return (1, int(m.group(1)), m.group(2), stem)


def preset_paths(folder: str | Path = PRESETS_DIR) -> list[Path]:
    """Every ``*.toml`` file in ``folder`` in :func:`preset_order`; a missing folder gives []."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.glob("*.toml") if p.is_file()), key=lambda p: preset_order(p.stem))


def list_presets(folder: str | Path = PRESETS_DIR) -> list[PresetInfo]:
    """Every preset in ``folder``, in :func:`preset_order` (``default`` first).

    A file that does not load is still listed, with ``error`` set and its name as title, so one bad
    file (say, one a user dropped into the folder) cannot hide the others. A missing folder gives [].
    """
    out = []
    for path in preset_paths(folder):
        try:
            out.append(preset_info(path))
        except ConfigError as exc:
            out.append(PresetInfo(path, path.stem, path.stem, error=str(exc)))
    return out


def _known(folder: Path) -> str:
    return ", ".join(p.stem for p in preset_paths(folder)) or "(none installed)"


def find_preset(name: str, folder: str | Path = PRESETS_DIR) -> Path:
    """The preset file called ``name`` (its stem, e.g. ``3-edge-of-chaos``, or its file name).

    Raises ConfigError listing the names that exist.
    """
    folder = Path(folder)
    stem = name[:-5] if name.endswith(".toml") else name
    path = folder / f"{stem}.toml"
    if stem and "/" not in stem and "\\" not in stem and path.is_file():
        return path
    raise ConfigError(f"no guided experiment called {name!r}; allowed: {_known(folder)}", source=str(folder))


def resolve_experiment(arg: str | Path, folder: str | Path = PRESETS_DIR) -> Path:
    """What an experiment argument of ``rnn-viz run``/``gui``/``NAME`` (and later ``sweep``) means:
    an existing regular file first, else the preset called ``arg`` (or ``arg`` minus ``.toml``).

    Raises ConfigError naming ``arg`` and listing the preset names when it is neither.
    """
    path = Path(arg)
    if path.is_file():
        return path
    folder = Path(folder)
    try:
        return find_preset(str(arg), folder)
    except ConfigError:
        pass
    # Not a preset either: if something is at that path, only not a readable regular file (a FIFO,
    # a folder, a symlink loop, a NUL in the name), say what it is in the words every reader uses.
    try:
        open_regular(path, name=str(arg)).close()
    except FileProblem as exc:
        if exc.kind != "missing":
            raise ConfigError(str(exc)) from None
    raise ConfigError(f"no such experiment file, and no preset has that name; presets: {_known(folder)}",
                      source=str(arg))


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
    if f"flow/{layer}" not in trace and f"flow_window/{layer}" in trace:
        # a long T keeps some rows only (flow_rows, always with the last loss step): that row as row t
        i = int(np.searchsorted(trace["flow_rows"], t))
        row = np.asarray(trace[f"flow_window/{layer}"])[i]
        return per_step_decay(np.broadcast_to(row, (t + 1, row.size)), t)
    return per_step_decay(np.asarray(trace[f"flow/{layer}"]), t)
