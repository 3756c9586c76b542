"""Importing PyTorch weights: parity with torch per cell, and the time to read and map a state dict.

    python benchmarks/weights_import.py [--T 100] [--H 16] [--big-H 256]

Parity is max|y_torch - y| / max|y_torch| of the readout outputs on a random batch (B = 8), torch
and the engine both in float64, for random modules with weights U(-0.8, 0.8) (larger than torch's
default init, so long relu runs grow and amplify rounding). Read + map is read_state_dict +
map_state_dict of a 2-layer LSTM of --big-H units, as `[model] weights` does it. Needs torch.
Wall-clock numbers: run on an idle machine.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

from rnn_viz.data.weights import read_state_dict  # noqa: E402
from rnn_viz.engine.init import init_params  # noqa: E402
from rnn_viz.engine.network import NetSpec, forward  # noqa: E402
from rnn_viz.experiment.parity import torch_parity  # noqa: E402
from rnn_viz.experiment.torch_map import map_state_dict  # noqa: E402

CLASSES = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}


def module(cell, act, layers, bias, I, H, O, seed=0):
    torch.manual_seed(seed)
    kwargs = {"nonlinearity": act} if cell == "rnn" else {}
    net = torch.nn.Module()
    net.rnn = CLASSES[cell](I, H, num_layers=layers, bias=bias, batch_first=True, dtype=torch.float64, **kwargs)
    net.head = torch.nn.Linear(H, O, dtype=torch.float64)
    with torch.no_grad():
        for p in net.rnn.parameters():
            p.uniform_(-0.8, 0.8)
    return net


def best_ms(fn, repeat=5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--T", type=int, default=100)
    ap.add_argument("--H", type=int, default=16)
    ap.add_argument("--big-H", type=int, default=256)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp())
    print(f"| cell | layers | bias | parity (B=8, T={args.T}, H={args.H}) |\n|---|---|---|---|")
    for cell, act in (("rnn", "tanh"), ("rnn", "relu"), ("lstm", None), ("gru", None)):
        for layers in (1, 2):
            for bias in (True, False):
                path = folder / "m.safetensors"
                save_file(module(cell, act, layers, bias, 3, args.H, 2).state_dict(), str(path))
                w = map_state_dict(read_state_dict(path), str(path))
                spec = NetSpec(cell, 3, args.H, 2, layers, act or "tanh")
                params = init_params(spec, np.random.default_rng(0))
                params.update(w.params)
                x = np.random.default_rng(1).normal(size=(8, args.T, 3))
                caches, y = forward(spec, params, x)
                parity = torch_parity(w, act, x, y.transpose(1, 0, 2), caches[-1]["h"].transpose(1, 0, 2))
                print(f"| {cell}{'-' + act if act else ''} | {layers} | {bias} | {parity:.1e} |")
    big = module("lstm", None, 2, True, 32, args.big_H, 8)
    print(f"\n| file (2-layer LSTM, H={args.big_H}) | size | read + map |\n|---|---|---|")
    for suffix in ("safetensors", "pt", "npz"):
        path = folder / f"big.{suffix}"
        state = big.state_dict()
        if suffix == "safetensors":
            save_file(state, str(path))
        elif suffix == "pt":
            torch.save(state, path)
        else:
            np.savez(path, **{k: v.numpy() for k, v in state.items()})
        ms = best_ms(lambda: map_state_dict(read_state_dict(path), str(path)))
        print(f"| .{suffix} | {path.stat().st_size / 1e6:.1f} MB | {ms:.1f} ms |")


if __name__ == "__main__":
    main()
