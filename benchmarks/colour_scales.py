"""What the colour-scale modes cost per redraw: the heatmaps' resolve() in each mode, and one
column's percentile levels exact (np.percentile of every value) against the strided sample
colour_scale uses above EXACT_LIMIT values.

    python benchmarks/colour_scales.py [--T 200 1000] [--H 128] [--layers 2] [--repeats 30]

No Qt: resolve() and colour_scale are pure. Traces are synthetic (tests/ui/synthetic.py) with the
engine's shapes. Wall-clock medians; "CPU" is this thread's CPU time (fairer on a busy machine).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rnn_viz.ui.views import colour_scale as cs  # noqa: E402
from rnn_viz.ui.views import heatmaps  # noqa: E402
from tests.ui.synthetic import make_state  # noqa: E402


def _time(fn, repeats: int) -> tuple[float, float]:
    wall, cpu = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.thread_time()
        fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.thread_time() - c)
    return 1e3 * statistics.median(wall), 1e3 * statistics.median(cpu)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--T", type=int, nargs="+", default=[200, 1000])
    ap.add_argument("--H", type=int, default=128)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=30)
    args = ap.parse_args(argv)

    print(f"heatmaps resolve(), lstm, H = {args.H}, {args.layers} layers, every column in one mode")
    print(f"{'T':>6} {'mode':>11} {'wall ms':>9} {'CPU ms':>8}")
    for T in args.T:
        state = make_state("lstm", args.layers, T=T, H=args.H)
        for mode in cs.MODES:
            chosen = {k: cs.Scale(mode) for k in heatmaps.COLUMN_KEYS}
            wall, cpu = _time(lambda: heatmaps.resolve(state, "A", {}, chosen), args.repeats)
            print(f"{T:>6} {mode:>11} {wall:>9.2f} {cpu:>8.2f}")

    print()
    print("one column's percentile levels (the LSTM gates: 3H rows x T steps x layers values)")
    print(f"{'values':>9} {'np.percentile ms':>17} {'colour_scale ms':>16} {'max |error|':>12}")
    rng = np.random.default_rng(0)
    for T in args.T:
        values = 1 / (1 + np.exp(-rng.normal(size=3 * args.H * T * args.layers)))
        exact = lambda: np.percentile(values, cs.PERCENTILES)  # noqa: E731
        ours = lambda: cs.percentile_levels(values)  # noqa: E731
        t_exact, _ = _time(exact, args.repeats)
        t_ours, _ = _time(ours, args.repeats)
        err = float(np.max(np.abs(np.array(ours()) - exact())))
        print(f"{values.size:>9} {t_exact:>17.2f} {t_ours:>16.2f} {err:>12.2e}")


if __name__ == "__main__":
    main()
