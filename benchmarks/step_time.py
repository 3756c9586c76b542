"""One training update as `rnn-viz run` performs it, against PyTorch CPU autograd (issue 13).

rnn-viz: forward, loss, BPTT, the "metrics" trace level, clipping + Adam, and the W_hh spectra at
their default cadence (update 1, every 10th, the last), single-layer tanh RNN, float64, one BLAS
thread. torch: nn.RNN + nn.Linear + mse_loss, backward, Adam.step(), float64, one thread. All
contenders run one update each in turn (interleaved), so they see the same machine load. The
GEMM floor runs only the matrix products an update needs, on preallocated buffers, in the same run.

    python benchmarks/step_time.py [--updates 100] [--threads 1] [--before DIR] [--shapes 2,3] [--only main]

``--before DIR``: an earlier rnn-viz source tree (e.g. from `git archive`) timed in the same run
as it trained then (an engine without trace levels: full cheap trace and both spectra after every
update). ``--shapes``: the shapes to time, numbered 1-4 as in docs/benchmarks.md, for every table
(the gated and TBPTT rows exist at shapes 1 and 3 only). The whole run takes about 6 min at load 3
with ``--before``. Prints tables only, each with the load average before and after it.
"""
from __future__ import annotations

import argparse
import importlib
import os
import random
import statistics
import sys
import time

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SHAPES = [(32, 100, 1, 64), (1, 25, 65, 100), (64, 500, 8, 128), (32, 200, 8, 256)]
TARGETS = {SHAPES[0]: 0.5, SHAPES[1]: 0.5, SHAPES[2]: 0.6, SHAPES[3]: 0.8}
SPECTRA_EVERY = 10  # training.spectra_every's default
VAL_SEQUENCES = 256  # data.val_size's default


def load_engine(root: str):
    """The rnn_viz package under ``root`` as a dict of its engine modules, imported under their own
    names and then removed from sys.modules, so two source trees can be timed side by side."""
    saved = {k: v for k, v in sys.modules.items() if k == "rnn_viz" or k.startswith("rnn_viz.")}
    for k in saved:
        del sys.modules[k]
    sys.path.insert(0, root)
    try:
        names = ["engine", "engine.step", "engine.optim", "engine.network", "engine.losses", "engine.bptt"]
        mods = {n: importlib.import_module(f"rnn_viz.{n}") for n in names}
    finally:
        sys.path.pop(0)
        for k in [k for k in sys.modules if k == "rnn_viz" or k.startswith("rnn_viz.")]:
            del sys.modules[k]
        sys.modules.update(saved)
    mods["has_levels"] = "level" in mods["engine.step"].evaluate.__code__.co_varnames
    return mods


def problem(e, cell, B, T, I, H, seed=0):
    rng = np.random.default_rng(seed)
    spec = e["engine"].NetSpec(cell, I, H, 1, 1, "tanh")
    params = e["engine"].init_params(spec, rng, "orthogonal", 0.9)
    x, y, m = rng.normal(size=(B, T, I)), rng.normal(size=(B, T, 1)), np.ones((B, T), bool)
    return spec, params, x, y, m


class EngineRun:
    """A run of rnn-viz updates as its `rnn-viz run` did them: ``before`` = an engine without trace
    levels (full cheap trace, spectra after every update), else the "metrics" level and the spectra
    at the default cadence. ``spectra=False``: no spectra at all (for the median without them)."""

    def __init__(self, e, cell, shape, truncation=None, spectra=True):
        self.e, self.spectra = e, spectra
        self.spec, self.params, self.x, self.y, self.m = problem(e, cell, *shape)
        self.opt = e["engine"].Optimizer("adam", 1e-3)
        self.state = e["engine.optim"].init_state(self.opt, self.params)
        self.trunc = e["engine"].Truncation(*truncation) if truncation else None
        self.known = e["engine"].whh_spectra(self.spec, self.params) if not e["has_levels"] else None
        self.n = 0

    def __call__(self):
        e, step = self.e, self.e["engine"].train_step
        self.n += 1
        if not e["has_levels"]:
            self.params, self.state, _ = step(self.spec, self.params, self.state, self.opt, self.x, self.y, self.m,
                                              "mse", self.trunc, spectra=self.known)
            if self.spectra:
                self.known = e["engine"].whh_spectra(self.spec, self.params)
            return
        self.params, self.state, _ = step(self.spec, self.params, self.state, self.opt, self.x, self.y, self.m,
                                          "mse", self.trunc, level="metrics")
        if self.spectra and (self.n == 1 or self.n % SPECTRA_EVERY == 0):
            e["engine"].whh_spectra(self.spec, self.params)


def torch_run(cell, B, T, I, H, seed=0):
    import torch

    torch.manual_seed(seed)
    rnn = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](I, H, batch_first=True,
                                                                                 dtype=torch.float64)
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


def gemm_floor(B, T, I, H, O=1, seed=0):
    """Only the matrix products of one full-BPTT update of a 1-layer rnn, on preallocated buffers:
    input projection, T recurrent products forward and T backward, readout and its adjoint, and the
    three weight-gradient contractions."""
    rng = np.random.default_rng(seed)
    x2 = rng.normal(size=(T * B, I))
    Wxh, Whh, Why = rng.normal(size=(H, I)), rng.normal(size=(H, H)) * 0.1, rng.normal(size=(O, H))
    hs = rng.normal(size=(T * B, H))
    xp, y, dh_out, da = np.empty((T * B, H)), np.empty((T * B, O)), np.empty((T * B, H)), rng.normal(size=(T * B, H))
    dy = rng.normal(size=(T * B, O))
    z, carry = np.empty((B, H)), np.empty((B, H))
    gx, gh, gy = np.empty((H, I)), np.empty((H, H)), np.empty((O, H))
    h3, da3 = hs.reshape(T, B, H), da.reshape(T, B, H)

    def run():
        np.matmul(x2, Wxh.T, out=xp)
        for t in range(T):
            np.matmul(h3[t], Whh.T, out=z)
        np.matmul(hs, Why.T, out=y)
        np.matmul(dy, Why, out=dh_out)
        for t in reversed(range(T)):
            np.matmul(da3[t], Whh, out=carry)
        np.matmul(da.T, x2, out=gx)
        np.matmul(da.T, hs, out=gh)
        np.matmul(dy.T, hs, out=gy)
    return run


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def interleaved(runs: dict, updates: int, seed: int = 0) -> dict[str, list[float]]:
    """Seconds of each update of each run, taking turns; one warm-up update each first.

    Each round takes the contenders in a new random order (seeded): whatever runs right after
    torch's update pays for the caches it left (0.14 ms more for the forward pass at B = 1, T = 25,
    H = 100, measured), so every contender must follow every other equally often. (A rotating
    order, used before 2026-12-01 20:30 UTC, keeps the cyclic order: the run listed after torch's
    followed it in 4 rounds of 5.)"""
    for fn in runs.values():
        fn()
    for fn in runs.values():
        if isinstance(fn, EngineRun):
            fn.n = 0  # the cadence counts from the first timed update
    times = {k: [] for k in runs}
    keys, order = list(runs), random.Random(seed)
    for _ in range(updates):
        order.shuffle(keys)
        for k in keys:
            times[k].append(timed(runs[k]))
    return times


def load() -> str:
    """The time and the 1, 5 and 15 min load averages (os.getloadavg), for the header of a table."""
    return time.strftime("%H:%M:%S UTC", time.gmtime()) + ", load average " + \
        ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main_table(after, before, torch_ok, updates, shapes=SHAPES):
    print(f"\n## One update, mean over {updates} (spectra at their cadence), 1-layer tanh rnn, Adam, MSE")
    print(f"# {load()}")
    head = f"{'B, T, I, H':>17} | {'rnn-viz ms':>10} | {'median no-sp':>12} | {'torch ms':>8} | {'ratio':>5} | " \
           f"{'target':>6} | {'GEMM floor':>10} | {'floor ratio':>11}"
    if before:
        head += f" | {'before ms':>9} | {'before ratio':>12}"
    print(head)
    print("-" * len(head))
    for shape in shapes:
        runs = {"after": EngineRun(after, "rnn", shape), "nosp": EngineRun(after, "rnn", shape, spectra=False),
                "gemm": gemm_floor(*shape)}
        if before:
            runs["before"] = EngineRun(before, "rnn", shape)
        if torch_ok:
            runs["torch"] = torch_run("rnn", *shape)
        t = interleaved(runs, updates)
        mean = {k: statistics.fmean(v) * 1e3 for k, v in t.items()}
        nosp = statistics.median(t["nosp"]) * 1e3
        tm = mean.get("torch", float("nan"))
        line = (f"{str(shape)[1:-1]:>17} | {mean['after']:10.2f} | {nosp:12.2f} | {tm:8.2f} | {mean['after'] / tm:5.2f} | "
                f"{TARGETS[shape]:6.2f} | {mean['gemm']:10.2f} | {mean['gemm'] / tm:11.2f}")
        if before:
            line += f" | {mean['before']:9.2f} | {mean['before'] / tm:12.2f}"
        print(line, flush=True)
    print(f"# {load()}")


def validation_table(after, updates, shapes=SHAPES):
    print(f"\n## A validation row on its own ({VAL_SEQUENCES} sequences, forward + loss), mean of {max(5, updates // 10)}")
    print(f"# {load()}")
    print(f"{'B, T, I, H':>17} | {'val row ms':>10}")
    for shape in shapes:
        _, T, I, H = shape
        spec, params, x, y, m = problem(after, "rnn", VAL_SEQUENCES, T, I, H)
        fn = lambda: after["engine.step"].evaluate_loss(spec, params, x, y, m, "mse")  # noqa: E731
        fn()
        ms = statistics.fmean(timed(fn) for _ in range(max(5, updates // 10))) * 1e3
        print(f"{str(shape)[1:-1]:>17} | {ms:10.2f}", flush=True)


def cells_table(after, before, torch_ok, updates, shapes=SHAPES):
    print(f"\n## Gated cells and truncated BPTT, mean over {updates} ({max(5, updates // 10)} at T = 500; "
          "vs torch's full-BPTT update of the same cell)")
    print(f"# {load()}")
    head = f"{'case':>30} | {'rnn-viz ms':>10} | {'torch ms':>8} | {'ratio':>5}"
    if before:
        head += f" | {'before ms':>9} | {'before ratio':>12}"
    print(head)
    print("-" * len(head))
    cases = [(c, SHAPES[i], None) for c in ("lstm", "gru") for i in (0, 2)]
    cases += [("rnn", SHAPES[0], (1, 5)), ("rnn", SHAPES[0], (10, 20))]
    cases = [case for case in cases if case[1] in shapes]
    for cell, shape, trunc in cases:
        runs = {"after": EngineRun(after, cell, shape, trunc)}
        if before:
            runs["before"] = EngineRun(before, cell, shape, trunc)
        if torch_ok:
            runs["torch"] = torch_run(cell, *shape)
        t = interleaved(runs, updates if shape != SHAPES[2] else max(5, updates // 10))
        mean = {k: statistics.fmean(v) * 1e3 for k, v in t.items()}
        tm = mean.get("torch", float("nan"))
        name = f"{cell} {str(shape)[1:-1]}" + (f" TBPTT{trunc}" if trunc else "")
        line = f"{name:>30} | {mean['after']:10.2f} | {tm:8.2f} | {mean['after'] / tm:5.2f}"
        if before:
            line += f" | {mean['before']:9.2f} | {mean['before'] / tm:12.2f}"
        print(line, flush=True)
    print(f"# {load()}")


def parts(e, shape, updates):
    """Milliseconds of each part of one update (by subtraction, see docs/benchmarks.md)."""
    spec, params, x, y, m = problem(e, "rnn", *shape)
    net, losses, bptt, optim = e["engine.network"], e["engine.losses"], e["engine.bptt"], e["engine.optim"]
    opt = e["engine"].Optimizer("adam", 1e-3)
    state = optim.init_state(opt, params)
    T = shape[1]

    # the bare pass as train_step runs it at the metrics level (scratch caches where the engine has them)
    fwd_kw = {"transient": True} if "transient" in net.forward.__code__.co_varnames else {}

    def core_of(spec, params, x, y, m):
        def core():
            caches, y_tm = net.forward(spec, params, x, **fwd_kw)
            res = losses.compute("mse", y_tm.transpose(1, 0, 2), y, m)
            dy = res.dy.transpose(1, 0, 2)
            dh_out = dy @ params["Why"]
            kw = {"want_dh": False} if e["has_levels"] else {}
            swept = bptt.sweep(spec, params, caches, dh_out, bptt.block_chains(T, None), **kw)
            net.weight_gradients(spec, caches, swept, dy)
        return core

    grads = e["engine"].evaluate(spec, params, x, y, m, "mse")[0]
    chained = {"params": params, "state": state}

    def optimizer():
        # clipping, the update and its finiteness checks as train_step does them, on the gradients
        # of one evaluate() and the parameters of the previous call (so a packed engine sees its own)
        clipped, _ = optim.clip_gradients(grads, 0.0, 0.0)
        new, new_state = optim.update(opt, chained["params"], clipped, chained["state"])
        check = getattr(e["engine.step"], "_check_finite", None)
        for d, what in ((new, "update of"), (new_state, "optimizer state")):
            check(d, what) if check else [np.all(np.isfinite(v)) for v in d.values()]
        chained.update(params=new, state=new_state)

    run, core = EngineRun(e, "rnn", shape), core_of(spec, params, x, y, m)
    tiny = core_of(*problem(e, "rnn", 1, T, 1, 1)[:5])
    times = interleaved({"total": run, "core": core, "tiny": tiny, "gemm": gemm_floor(*shape), "opt": optimizer},
                        updates)
    ms = {k: statistics.fmean(v) * 1e3 for k, v in times.items()}
    overhead_loop = max(0.0, min(ms["tiny"], ms["core"] - ms["gemm"]))
    elementwise = max(0.0, ms["core"] - ms["gemm"] - overhead_loop)
    trace = max(0.0, ms["total"] - ms["core"] - ms["opt"])
    return {"total": ms["total"], "GEMM": ms["gemm"], "elementwise": elementwise, "trace+spectra": trace,
            "optimizer": ms["opt"], "overhead": overhead_loop}


def parts_table(after, before, updates, shapes=SHAPES):
    print(f"\n## Where the time goes (ms, share of the update), mean over {updates}")
    print(f"# {load()}")
    keys = ["GEMM", "elementwise", "trace+spectra", "optimizer", "overhead"]
    print(f"{'B, T, I, H':>17} | {'engine':>6} | {'total':>7} | " + " | ".join(f"{k:>16}" for k in keys))
    for shape in shapes:
        for name, e in (("before", before), ("after", after)):
            if e is None:
                continue
            p = parts(e, shape, updates if shape[1] < 500 else max(5, updates // 10))
            cells = " | ".join(f"{p[k]:7.2f} ({100 * p[k] / p['total']:3.0f}%)" for k in keys)
            print(f"{str(shape)[1:-1]:>17} | {name:>6} | {p['total']:7.2f} | {cells}", flush=True)
    print(f"# {load()}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--updates", type=int, default=100, help="timed updates per contender (default 100)")
    ap.add_argument("--threads", type=int, default=1, help="BLAS and torch threads (default 1)")
    ap.add_argument("--before", metavar="DIR", help="an earlier rnn-viz source tree to time alongside")
    ap.add_argument("--only", choices=["main", "validation", "cells", "parts"], action="append",
                    help="print only these tables (repeatable; default all)")
    ap.add_argument("--shapes", help="only these shapes, numbered 1-4, e.g. 2,3 (default all four)")
    args = ap.parse_args(argv)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=args.threads)
    after = load_engine(ROOT)
    before = load_engine(os.path.abspath(args.before)) if args.before else None
    try:
        import torch

        torch.set_num_threads(args.threads)
        torch_ok, tv = True, f"torch {torch.__version__}"
    except ImportError:
        torch_ok, tv = False, "torch not installed"
    print(f"# {load()}")
    print(f"# numpy {np.__version__}, {tv}, {args.threads} thread(s) each; float64")
    only = set(args.only or ["main", "validation", "cells", "parts"])
    shapes = SHAPES
    if args.shapes:
        try:
            shapes = [SHAPES[int(i) - 1] for i in args.shapes.split(",") if 1 <= int(i) <= len(SHAPES)]
        except ValueError:
            shapes = []
        if not shapes:
            ap.error(f"--shapes: numbers 1 to {len(SHAPES)} separated by commas, got {args.shapes!r}")
    t0 = time.perf_counter()
    if "main" in only:
        main_table(after, before, torch_ok, args.updates, shapes)
    if "validation" in only:
        validation_table(after, args.updates, shapes)
    if "cells" in only:
        cells_table(after, before, torch_ok, args.updates, shapes)
    if "parts" in only:
        parts_table(after, before, args.updates, shapes)
    print(f"\n# {load()}; {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
