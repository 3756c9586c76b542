"""This engine against another source tree's, bit for bit, over 1,020 configurations.

    python scripts/compare_engines.py OTHER_TREE      (e.g. a `git archive` of an earlier commit)

Every cell and activation, 1-2 layers, (B, T) from (1, 7) to (32, 30) and (1, 4500), 1 or 3 outputs, full and
truncated BPTT, both losses, and the metrics, live and full trace levels (the full level's last
update with a flow matrix, except at T = 4500): four clipped Adam updates from the same start, after which the
parameters, the optimizer state and every array of the last trace must be equal entry for entry.
Against a tree from before trace levels (issue 13's first round), whose engine computes its whole
trace at every update, the traces are compared on the keys both hold.
Prints each configuration that differs, then the count; exits 1 if any differs (NEAR below names the
keys allowed to differ in their last bits, and how far). A speed-up of the
engine must not change a single bit (issue 13 was checked with this; about 3 min): a run must reproduce what it
gave before, since with clipping on a last-bit difference grows into a different trained network.
"""
from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from step_time import load_engine  # noqa: E402  (imports a tree's engine under its own names)

SIZES = [(1, 7), (3, 9), (1, 40), (2, 120), (32, 30), (1, 4500)]  # (B, T)
# long enough that the engine's loops work in several chunks of steps (no flow matrix: it is T x T)
LONG = 1000
UPDATES = 4


def cell_activations(network) -> list[str]:
    """"cell/activation" for every cell the engine has: each activation for a cell that takes one,
    the default for the others (which ignore it)."""
    return [f"{cell}/{act}" for cell in network.CELLS
            for act in (network.ACTIVATIONS if network.CELL_KINDS[cell].takes_activation else (network.DEFAULT_ACTIVATION,))]


def last_update(e, cell: str, act: str, layers: int, B: int, T: int, outputs: int, trunc, loss: str, level: str):
    """(params, optimizer state, trace) after UPDATES updates with engine ``e``."""
    spec = e["engine"].NetSpec(cell, 4, 16, outputs, layers, act)
    params = e["engine"].init_params(spec, np.random.default_rng(1), "orthogonal", 0.95)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(B, T, 4))
    y = rng.normal(size=(B, T, outputs)) if loss == "mse" else rng.integers(0, outputs, size=(B, T))
    mask = rng.random((B, T)) > 0.3
    mask[0, -1] = True
    opt = e["engine"].Optimizer("adam", 1e-2)
    state = e["engine.optim"].init_state(opt, params)
    truncation = e["engine"].Truncation(*trunc) if trunc else None
    for i in range(UPDATES):
        flow = 0 if level == "full" and i == UPDATES - 1 else None
        # an engine from before trace levels computes its whole trace at every update
        kw = {"level": level} if e["has_levels"] else {}
        params, state, trace = e["engine"].train_step(spec, params, state, opt, x, y, mask, loss, truncation,
                                                      clip_norm=0.5, flow_sample=flow, **kw)
    return params, state, dict(trace)


# Trace keys that may differ in their last bits, with the largest relative difference allowed: the
# step-Jacobian norms come from an eigen-solve of the scaled Gram matrix since issue 13's seventh
# round (the SVD before, a third slower), equal to a few units in the last place. Nothing trained or
# written into another key depends on them, so a run still reproduces what it gave before.
NEAR = {"jacobian_norm/": 1e-13}
_worst_near = [0.0]


def differences(a: tuple, b: tuple, common_only: bool = False) -> list[str]:
    """The names of the arrays that differ (or exist on one side only, unless ``common_only``)."""
    out = []
    for da, db in zip(a, b):
        if not common_only:
            out += sorted(set(da) ^ set(db))
        out += [k for k in da if k in db and not _same(k, np.asarray(da[k]), np.asarray(db[k]))]
    return out


def _same(key: str, a: np.ndarray, b: np.ndarray) -> bool:
    if _same_bits(a, b):
        return True
    rtol = next((tol for prefix, tol in NEAR.items() if key.startswith(prefix)), None)
    if rtol is None:
        return False
    finite = np.isfinite(a)
    if a.shape != b.shape or a.dtype != b.dtype or not np.array_equal(finite, np.isfinite(b)):
        return False
    if not np.array_equal(a[~finite], b[~finite], equal_nan=True):
        return False
    rel = np.abs(a[finite] - b[finite]) / np.maximum(np.abs(a[finite]), np.finfo(a.dtype).tiny)
    _worst_near[0] = max(_worst_near[0], float(rel.max(initial=0.0)))
    return bool(np.all(rel <= rtol))


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal entries, NaN where NaN, and the same sign of every zero (== alone takes -0.0 for 0.0)."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind not in "fc":
        return bool(np.array_equal(a, b))
    return bool(np.array_equal(a, b, equal_nan=True) and np.array_equal(np.signbit(a.real), np.signbit(b.real)))


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0], "rnn_viz").is_dir():
        print("usage: python scripts/compare_engines.py OTHER_TREE (a folder holding rnn_viz/)", file=sys.stderr)
        return 2
    other, this = load_engine(str(Path(argv[0]).resolve())), load_engine(str(ROOT))
    count = bad = 0
    for cellact, layers, (B, T), outputs, trunc, loss, level in itertools.product(
            cell_activations(this["engine.network"]), [1, 2], SIZES, [1, 3], [None, (2, 3)],
            this["engine.losses"].LOSSES, ["metrics", "live", "full"]):
        if loss != "mse" and outputs == 1 or T > LONG and level == "full":  # classes need 2 or more outputs
            continue
        cell, act = cellact.split("/")
        count += 1
        case = (cell, act, layers, B, T, outputs, trunc, loss, level)
        # against an engine without trace levels: the keys both traces hold
        names = differences(last_update(other, *case), last_update(this, *case), common_only=not other["has_levels"])
        if names:
            bad += 1
            print(f"differs: {cellact}, {layers} layer(s), B = {B}, T = {T}, O = {outputs}, truncation {trunc}, "
                  f"{loss}, level {level}: {', '.join(names[:6])}")
    print(f"{count} configurations, {bad} differ (the largest relative difference of a key in NEAR: "
          f"{_worst_near[0]:.1e})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
