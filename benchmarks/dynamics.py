"""Time of the dynamics analysis pieces (median of repeats, one BLAS thread): the Lyapunov spectrum,
the end-to-end Jacobian's singular values, the fixed-point finder and one sweep point.

    python benchmarks/dynamics.py [--repeats 3]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from rnn_viz.engine import NetSpec, init_params, network  # noqa: E402
from rnn_viz.engine.dynamics import jacobian_singular_values, lyapunov_spectrum  # noqa: E402
from rnn_viz.engine.fixed_points import find_fixed_points, visited_states  # noqa: E402


def _median(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for cell, H, T, B, k in (("rnn", 200, 3500, 4, 10), ("rnn", 64, 50, 8, 10), ("lstm", 64, 200, 8, 10),
                             ("gru", 64, 200, 8, 10)):
        spec = NetSpec(cell, 1, H, 1)
        params = init_params(spec, np.random.default_rng(0), "gaussian", 1.5)
        x = np.random.default_rng(1).standard_normal((B, T, 1))
        caches, _ = network.forward(spec, params, x)
        lyap = _median(lambda: lyapunov_spectrum(spec, params, caches, 0, k, min(100, T // 4)), args.repeats)
        lag = min(T - 1, 100)
        sv = _median(lambda: jacobian_singular_values(spec, params, caches, 0, 0, lag), args.repeats)
        states = visited_states(spec, caches)
        starts = 32 if H > 100 else 256
        fp = _median(lambda: find_fixed_points(spec, params, states, np.zeros(1), starts, 1e-10, 1e-3,
                                               np.random.default_rng(2)), args.repeats)
        rows.append((cell, H, T, B, k, lyap, lag, sv, starts, fp))
    print("| cell | H | T | B | k | Lyapunov s | lag | singular values s | fp starts | fixed points s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| {} | {} | {} | {} | {} | {:.2f} | {} | {:.2f} | {} | {:.2f} |".format(*r))


if __name__ == "__main__":
    main()
