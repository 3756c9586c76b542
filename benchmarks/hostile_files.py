"""The issue's heaviest hostile checkpoints, loaded as `--resume` loads them: time to refusal and the
peak memory NumPy allocated meanwhile (tracemalloc), against the sizes the files declare.

    python benchmarks/hostile_files.py [--bomb-gib 3]

Cases: a checkpoint with one member deflated from ``--bomb-gib`` GiB of zeros (about 3 MB on disk;
building it compresses that many bytes once, ~10 s per GiB), and a 37 KB checkpoint whose
``param/Whh.0`` header declares a (10**12,) float64 array (7.28 TiB). Before issue 11 the first
loaded whole (17 s, 3.2 GB resident) and the second asked numpy for 7.28 TiB. Wall-clock numbers:
run on an idle machine.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rnn_viz.experiment.io import RunFileError, load_checkpoint  # noqa: E402
from rnn_viz.experiment.loop import Trainer  # noqa: E402
from rnn_viz.experiment.restore import checkpoint_layout, restore_state  # noqa: E402
from tests.experiment import hostile as h  # noqa: E402


def _resume(path: Path) -> str:
    trainer = Trainer(h.small_config())
    try:
        restore_state(trainer, load_checkpoint(path, checkpoint_layout(trainer)), str(path))
    except RunFileError as exc:
        return str(exc)
    return "loaded (!)"


def _measure(path: Path) -> tuple[float, int, str]:
    tracemalloc.start()
    t0 = time.perf_counter()
    message = _resume(path)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak, message


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bomb-gib", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        good = h.good_checkpoint(folder / "good.npz")
        t0 = time.perf_counter()
        bomb = h.deflate_bomb(good, folder / "bomb.npz", "param/Whh.0", int(args.bomb_gib * 2**30))
        built = time.perf_counter() - t0
        huge = h.rewrite(good, folder / "huge.npz", replace={"param/Whh.0": h.npy_header((10**12,))})
        rows = [
            (f"deflate bomb ({args.bomb_gib:g} GiB declared)", bomb, args.bomb_gib * 2**30),
            ("(10**12,) float64 header", huge, 8 * 10**12),
            ("good checkpoint", good, good.stat().st_size),
        ]
        print(f"(built the bomb in {built:.1f} s)")
        print(f"| case | file size | declared | time to answer | peak allocated | answer |")
        print("|---|---|---|---|---|---|")
        for name, path, declared in rows:
            seconds, peak, message = _measure(path)
            answer = message.split(": ", 1)[-1][:90] if message != "loaded (!)" else "refused? no: loaded"
            if path is good:
                answer = "loads" if "Traceback" not in message else message
            print(f"| {name} | {path.stat().st_size / 1e6:.2f} MB | {declared / 2**30:,.2f} GiB | "
                  f"{seconds * 1e3:.1f} ms | {peak / 2**20:.1f} MiB | {answer} |")


if __name__ == "__main__":
    main()
