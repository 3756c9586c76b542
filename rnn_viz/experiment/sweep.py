"""Sweeps: one experiment per point of a grid of settings, and the files they leave.

Qt-free and executor-free: ``rnn_viz.sweep_cli`` decides where the points run (this process, a pool
of processes, a Dask cluster); every one of them calls :func:`run_point` on a plain dict, so a point
computes the same numbers wherever it runs. Formats: docs/file-formats.md (sweep.csv, sweep.toml).
"""
from __future__ import annotations

import csv
import itertools
import math
import time
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import rnn_viz

from .config import ConfigError, ExperimentConfig, _parse_value, apply_overrides, from_json, to_json

__all__ = [
    "MEASURES", "MAX_GRIDS", "MAX_POINTS", "Grid", "parse_grid", "grid_points", "point_tasks", "run_point",
    "measure", "csv_columns", "SweepWriter", "read_rows", "write_sweep_toml", "check_resume",
]

MEASURES = ("top_lyapunov", "grad_decay", "memory_horizon", "final_loss", "final_val_loss")
MAX_GRIDS = 2
MAX_POINTS = 100_000
MEMORY_FRACTION = 1e-3  # memory_horizon: steps back until dL_dh_norm/0 falls below this share of its peak


@dataclass(frozen=True, slots=True)
class Grid:
    """One ``--grid KEY=VALUES``: the dotted key exactly as given and its values in order."""

    key: str
    values: tuple


def parse_grid(text: str) -> Grid:
    """``KEY=a,b,c`` (TOML values, as with ``--set``) or ``KEY=START:STOP:COUNT`` (numpy.linspace,
    ends included, to 15 significant digits; integers when START and STOP are integers and every
    value is whole).

    Raises ConfigError naming the argument and what is allowed.
    """
    key, sep, values = text.partition("=")
    key = key.strip()
    parts = key.split(".")
    if not sep or len(parts) < 2 or not all(p.strip() for p in parts) or not values.strip():
        raise ConfigError(f"--grid {text!r} is not allowed; allowed: SECTION.KEY=a,b,c or SECTION.KEY=START:STOP:COUNT, "
                          "e.g. model.gain=0.5:2.5:21")
    pieces = values.split(":")
    if len(pieces) == 3:
        start, stop, count = (_parse_value(p) for p in pieces)
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (start, stop)) \
                or isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_POINTS:
            raise ConfigError(f"--grid {text!r}: START:STOP:COUNT needs two numbers and a whole COUNT from 1 to "
                              f"{MAX_POINTS}")
        grid = np.linspace(float(start), float(stop), count)
        if isinstance(start, int) and isinstance(stop, int) and np.all(grid == np.round(grid)):
            return Grid(key, tuple(int(v) for v in grid))
        # 15 significant digits drop linspace's last-bit noise (1.2000000000000002 -> 1.2)
        return Grid(key, tuple(float(f"{v:.15g}") for v in grid))
    if len(pieces) != 1:
        raise ConfigError(f"--grid {text!r}: VALUES is a,b,c or START:STOP:COUNT")
    items = [_parse_value(v) for v in _split_values(values)]
    if not items or len(items) > MAX_POINTS:
        raise ConfigError(f"--grid {text!r}: needs 1 to {MAX_POINTS} values")
    return Grid(key, tuple(items))


def _split_values(text: str) -> list[str]:
    """Split on commas outside quotes and brackets (a value may be a TOML list or string)."""
    out, depth, quote, cur = [], 0, None, ""
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def grid_points(grids: Sequence[Grid]) -> list[tuple]:
    """Every combination of the grids' values, the first grid varying fastest (point 0, 1, ...)."""
    if not 1 <= len(grids) <= MAX_GRIDS:
        raise ConfigError(f"a sweep takes 1 to {MAX_GRIDS} --grid, got {len(grids)}")
    keys = [g.key for g in grids]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"--grid {keys[0]} is given twice; allowed: each key once")
    if math.prod(len(g.values) for g in grids) > MAX_POINTS:
        raise ConfigError(f"the grid has more than {MAX_POINTS} points")
    return [tuple(reversed(combo)) for combo in itertools.product(*(g.values for g in reversed(grids)))]


def _toml_literal(value) -> str:
    import tomli_w

    return tomli_w.dumps({"v": value}).split("=", 1)[1].strip()


def point_tasks(cfg: ExperimentConfig, grids: Sequence[Grid], base_dir: Path, steps: int,
                measures: Sequence[str]) -> list[dict]:
    """One task (a plain, picklable dict for :func:`run_point`) per grid point, every point's settings
    validated first, so a bad value stops the sweep before anything runs (ConfigError names it)."""
    unknown = [m for m in measures if m not in MEASURES]
    if unknown or not measures:
        raise ConfigError(f"--measure {','.join(unknown) or '(none)'} is not allowed; allowed: {', '.join(MEASURES)}")
    if len(set(measures)) != len(measures):
        raise ConfigError("--measure lists a measure twice")
    tasks = []
    for i, values in enumerate(grid_points(grids)):
        sets = [f"{g.key}={_toml_literal(v)}" for g, v in zip(grids, values)]
        point_cfg = apply_overrides(cfg, sets, source=f"--grid point {i} ({', '.join(sets)})")
        tasks.append({"point": i, "values": values, "config": to_json(point_cfg), "base_dir": str(base_dir),
                      "steps": int(steps), "measures": list(measures), "version": rnn_viz.__version__})
    return tasks


# --- one point ------------------------------------------------------------------------------------

def measure(trainer, trace: Mapping[str, np.ndarray], names: Sequence[str]) -> dict[str, float]:
    """The named measures of ``trace`` (the batch the next update would use, at the trainer's current
    parameters): top_lyapunov (natural log per step, layer 0, mean over the batch), grad_decay (slope
    of log F[t, k] against lag on the last loss step's flow row), memory_horizon (of dL_dh_norm/0 at
    1e-3 of its peak), final_loss (this batch's loss), final_val_loss (validation loss; nan without
    a validation set)."""
    from ..engine import analysis, bptt, losses, network
    from ..engine.dynamics import flow_row, last_loss_step, lyapunov_spectrum, row_decay
    from ..engine.step import evaluate_loss
    from .dynamics import settings_for
    from .loop import tr_params

    spec = trainer.spec
    params = tr_params(trace, spec)
    inputs = np.asarray(trace["inputs"])
    B, T, _ = inputs.shape
    out: dict[str, float] = {}
    caches = None
    if "top_lyapunov" in names or "grad_decay" in names:
        caches, y = network.forward(spec, params, inputs.astype(params["Why"].dtype))
    if "top_lyapunov" in names:
        transient = settings_for(trainer, T).transient
        out["top_lyapunov"] = float(lyapunov_spectrum(spec, params, caches, 0, 1, transient)[0])
    if "grad_decay" in names:
        b = min(trainer.config.training.flow_sample, B - 1)
        t = last_loss_step(trace["loss_mask"], b)
        if t is None:
            out["grad_decay"] = math.nan
        else:
            targets = np.asarray(trace["targets"])
            res = losses.compute(trainer.loss, y.transpose(1, 0, 2),
                                 targets.astype(y.dtype) if trainer.loss == "mse" else targets, trace["loss_mask"])
            dh_out = res.dy.transpose(1, 0, 2) @ params["Why"]
            row = flow_row(spec, params, caches, dh_out, bptt.block_chains(T, trainer.truncation), b, t)[0]
            out["grad_decay"] = row_decay(row, t)
    if "memory_horizon" in names:
        out["memory_horizon"] = float(analysis.memory_horizon(trace["dL_dh_norm/0"], MEMORY_FRACTION))
    if "final_loss" in names:
        out["final_loss"] = float(trace["loss"])
    if "final_val_loss" in names:
        val = trainer.dataset.validation
        out["final_val_loss"] = math.nan if val is None else float(
            evaluate_loss(spec, params, val.inputs, val.targets, val.mask, trainer.loss)[0])
    return {name: out[name] for name in names}


def run_point(task: Mapping) -> dict:
    """Train one point ``task["steps"]`` updates and measure it. Never raises for a failed point:
    the result's ``error`` says what went wrong in one line (measures then absent).

    Returns {"point", "values", "measures" (name -> float), "steps", "seconds", "error"}.
    """
    from .loop import Trainer, train

    t0 = time.perf_counter()
    result = {"point": task["point"], "values": tuple(task["values"]), "measures": {}, "steps": 0, "error": ""}
    try:
        if task["version"] != rnn_viz.__version__:
            raise RuntimeError(f"this worker has rnn-viz {rnn_viz.__version__}, the sweep runs {task['version']}; "
                               "install the same version on every worker")
        trainer = Trainer(from_json(task["config"], f"point {task['point']}"), task["base_dir"])
        # Overflow on the way to divergence or in a chaotic network's gradients is what is measured.
        with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
            for _ in train(trainer, task["steps"], heavy_last=False):
                result["steps"] = trainer.step_count
            trace = trainer.evaluate(heavy=False).trace
            result["measures"] = measure(trainer, trace, task["measures"])
        result["steps"] = trainer.step_count
    except Exception as exc:  # a point's failure is data for the sweep, not its end
        result["error"] = " ".join(f"{type(exc).__name__}: {exc}".split()) or type(exc).__name__
    result["seconds"] = time.perf_counter() - t0
    return result


# --- files ----------------------------------------------------------------------------------------

def csv_columns(grids: Sequence[Grid], measures: Sequence[str]) -> list[str]:
    """sweep.csv's columns in order: point, the grid keys as given, the measures, steps, seconds, error."""
    return ["point", *(g.key for g in grids), *measures, "steps", "seconds", "error"]


def _cell(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, dict, tuple)):
        return _toml_literal(list(value) if isinstance(value, tuple) else value)
    return str(value)


class SweepWriter:
    """sweep.csv, one row per finished point, flushed at once so an interrupted sweep keeps its rows.

    ``keep``: rows (dicts of strings, as read back) to write first, e.g. the successes a resume skips.
    """

    def __init__(self, path: Path, columns: Sequence[str], keep: Sequence[Mapping[str, str]] = ()):
        self.columns = list(columns)
        self._fh = open(path, "w", newline="", encoding="utf-8")
        self._csv = csv.writer(self._fh)
        self._csv.writerow(self.columns)
        for row in keep:
            self._csv.writerow([row.get(c, "") for c in self.columns])
        self._fh.flush()

    def write(self, result: Mapping) -> None:
        measures = result["measures"]
        row = [str(result["point"]), *(_cell(v) for v in result["values"])]
        for name in self.columns[1 + len(result["values"]) : -3]:
            row.append(repr(float(measures[name])) if name in measures and not result["error"] else "")
        row += [str(result["steps"]), f"{result['seconds']:.3f}", result["error"]]
        self._csv.writerow(row)
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_rows(path: Path) -> list[dict[str, str]]:
    """sweep.csv's rows as dicts of strings ([] when the file does not exist)."""
    if not Path(path).is_file():
        return []
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write_sweep_toml(path: Path, command: str, experiment: str, grids: Sequence[Grid], measures: Sequence[str],
                     steps: int) -> None:
    """sweep.toml: the command, the experiment, the grid and measures, so a sweep can be resumed or redone."""
    import tomli_w

    doc = {"command": command, "experiment": experiment, "rnn_viz_version": rnn_viz.__version__,
           "steps": int(steps), "measures": list(measures),
           "grid": [{"key": g.key, "values": list(g.values)} for g in grids]}
    Path(path).write_text(tomli_w.dumps(doc), encoding="utf-8")


def check_resume(path: Path, grids: Sequence[Grid], measures: Sequence[str], steps: int) -> None:
    """Refuse to resume a sweep whose sweep.toml has another grid, measures or steps (ConfigError)."""
    try:
        doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("no sweep.toml to resume from; start the sweep without --resume", source=str(path)) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read the sweep to resume ({exc})", source=str(path)) from None
    saved = [(g.get("key"), list(g.get("values", []))) for g in doc.get("grid", []) if isinstance(g, dict)]
    given = [(g.key, list(g.values)) for g in grids]
    if saved != given:
        raise ConfigError(f"--resume refuses a different grid: this sweep has {_show_grid(saved)}, "
                          f"the command gives {_show_grid(given)}", source=str(path))
    if list(doc.get("measures", [])) != list(measures) or doc.get("steps") != steps:
        raise ConfigError(f"--resume needs the same --measure and --steps as the sweep: "
                          f"{','.join(doc.get('measures', []))} and {doc.get('steps')}", source=str(path))


def _show_grid(grid) -> str:
    return " ".join(f"{k}={','.join(_cell(v) for v in vals)}" for k, vals in grid) or "no grid"
