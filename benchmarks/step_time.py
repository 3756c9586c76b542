"""Median time of one full-BPTT training step (forward, loss, backward, cheap trace, Adam update),
single-layer tanh RNN, float64, against PyTorch CPU autograd on the same shapes when torch is
installed (nn.RNN + nn.Linear + MSE, backward, Adam step), interleaved, same thread count.

    python benchmarks/step_time.py [--repeats 15] [--threads N]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from rnn_viz.engine import NetSpec, Optimizer, init_params, optim, train_step, whh_spectra  # noqa: E402

SHAPES = [(32, 100, 1, 64), (1, 25, 65, 100), (64, 500, 8, 128), (32, 200, 8, 256)]


def engine_step(B, T, I, H, seed=0, spectra=True):
    """One update as the Trainer does it: forward, loss, BPTT, the cheap trace, Adam. With
    ``spectra`` also the spectral radius and largest singular value of W_hh after the update, which
    metrics.csv reports for every update (an O(H^3) eigen-solve that torch's loop does not do)."""
    rng = np.random.default_rng(seed)
    spec = NetSpec("rnn", I, H, 1, 1, "tanh")
    params = init_params(spec, rng, "orthogonal", 0.9)
    opt = Optimizer("adam", 1e-3)
    state = optim.init_state(opt, params)
    x, y, m = rng.normal(size=(B, T, I)), rng.normal(size=(B, T, 1)), np.ones((B, T), bool)
    box = {"p": params, "s": state, "spectra": whh_spectra(spec, params)}

    def run():
        box["p"], box["s"], _ = train_step(spec, box["p"], box["s"], opt, x, y, m, "mse", spectra=box["spectra"])
        if spectra:
            box["spectra"] = whh_spectra(spec, box["p"])
    return run


def torch_step(B, T, I, H, seed=0):
    import torch

    torch.manual_seed(seed)
    rnn = torch.nn.RNN(I, H, batch_first=True, dtype=torch.float64)
    lin = torch.nn.Linear(H, 1, dtype=torch.float64)
    opt = torch.optim.Adam(list(rnn.parameters()) + list(lin.parameters()), lr=1e-3)
    x = torch.randn(B, T, I, dtype=torch.float64)
    y = torch.randn(B, T, 1, dtype=torch.float64)

    def run():
        opt.zero_grad()
        out, _ = rnn(x)
        loss = torch.nn.functional.mse_loss(lin(out), y)
        loss.backward()
        opt.step()
    return run


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--threads", type=int, default=None, help="BLAS/torch threads (default: as found)")
    args = ap.parse_args(argv)
    try:
        import torch

        if args.threads:
            torch.set_num_threads(args.threads)
        threads = torch.get_num_threads()
    except ImportError:
        torch = None
        threads = os.cpu_count()
    print(f"numpy {np.__version__}" + (f", torch {torch.__version__} ({threads} threads)" if torch else ", torch not installed"))
    print("trace: forward, loss, BPTT, cheap trace, Adam;  + spectra: also rho and sigma_max of W_hh")
    print(f"{'B, T, I, H':>20} | {'trace ms':>9} | {'+spectra ms':>11} | {'torch ms':>9} | {'ratio':>5} | {'ratio+sp':>8}")
    print("-" * 78)
    for shape in SHAPES:
        runs = {"trace": engine_step(*shape, spectra=False), "full": engine_step(*shape)}
        if torch:
            runs["torch"] = torch_step(*shape)
        times = {k: [] for k in runs}
        for fn in runs.values():
            fn()  # warm-up
        for _ in range(args.repeats):  # interleaved so all see the same machine load
            for k, fn in runs.items():
                times[k].append(timed(fn))
        ms = {k: statistics.median(v) * 1e3 for k, v in times.items()}
        if torch:
            print(f"{str(shape):>20} | {ms['trace']:9.2f} | {ms['full']:11.2f} | {ms['torch']:9.2f} | "
                  f"{ms['trace'] / ms['torch']:5.2f} | {ms['full'] / ms['torch']:8.2f}")
        else:
            print(f"{str(shape):>20} | {ms['trace']:9.2f} | {ms['full']:11.2f} | {'-':>9} | {'-':>5} | {'-':>8}")

if __name__ == "__main__":
    main()
