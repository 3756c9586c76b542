"""How long the six views take to redraw: render() per view, and render plus Qt painting per frame.

    python benchmarks/redraw.py [--frames 60] [--cells rnn lstm] [--T 200] [--H 128] [--layers 2]

The issue's budget (T = 200, H = 128, 2 layers, all views visible): a full redraw under 10 ms
typical and never over 33 ms. Every frame gets a new trace (as during training), so nothing is
skipped as unchanged; "unchanged" is the same state rendered again (the ~30 Hz timer between
updates). "paint" is Qt painting the window after the frame's render() calls (offscreen platform
unless a display is set). Traces are synthetic (tests/ui/synthetic.py) with the engine's shapes.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtWidgets import QApplication, QGridLayout, QWidget  # noqa: E402

from rnn_viz.ui.views import ALL_VIEWS  # noqa: E402
from tests.ui.synthetic import make_history, make_state, make_trace  # noqa: E402

DISTINCT_TRACES = 6  # cycled; each frame still hands the views a trace object they have not seen


def _ms(seconds: list[float]) -> tuple[float, float]:
    return 1e3 * statistics.median(seconds), 1e3 * max(seconds)


def run(cell: str, T: int, H: int, layers: int, frames: int, compare: bool, batch: int) -> list[tuple]:
    window = QWidget()
    grid = QGridLayout(window)
    views = []
    for i, (name, cls, _) in enumerate(ALL_VIEWS):
        view = cls()
        grid.addWidget(view, i // 3, i % 3)
        views.append((name, view))
    window.resize(1800, 1000)
    window.show()
    app = QApplication.instance()

    base = make_state(cell, layers, T=T, H=H, compare=compare, B=batch, time_step=T // 2)
    history = make_history(n=2000, layers=layers)
    traces = [make_trace(cell, layers, T, H, B=batch, seed=s) for s in range(DISTINCT_TRACES)]
    states = []
    for f in range(frames + 5):
        # a fresh dict each frame: the views compare by identity, as with the controller's records
        trace = dict(traces[f % DISTINCT_TRACES])
        hist = {k: v.copy() for k, v in history.items()}
        states.append(replace(base, trace=trace, history=hist, time_step=(T // 2 + f) % T))

    per_view = {name: [] for name, _ in views}
    unchanged = {name: [] for name, _ in views}
    totals, paints = [], []
    for f, state in enumerate(states):
        frame = 0.0
        for name, view in views:
            t0 = time.perf_counter()
            view.render(state)
            dt = time.perf_counter() - t0
            frame += dt
            if f >= 5:
                per_view[name].append(dt)
        t0 = time.perf_counter()
        app.processEvents()
        paint = time.perf_counter() - t0
        for name, view in views:
            t0 = time.perf_counter()
            view.render(state)
            if f >= 5:
                unchanged[name].append(time.perf_counter() - t0)
        if f >= 5:
            totals.append(frame)
            paints.append(paint)

    rows = []
    for name, _ in views:
        rows.append((name, *_ms(per_view[name]), 1e3 * statistics.median(unchanged[name])))
    rows.append(("all six: render()", *_ms(totals), sum(r[3] for r in rows)))
    rows.append(("Qt paint of the window", *_ms(paints), float("nan")))
    rows.append(("render + paint", *_ms([a + b for a, b in zip(totals, paints)]), float("nan")))
    window.close()
    window.deleteLater()
    app.processEvents()
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--cells", nargs="+", default=["rnn", "lstm"])
    parser.add_argument("--T", type=int, default=200)
    parser.add_argument("--H", type=int, default=128)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--compare", action="store_true", help="also draw run B (compare mode)")
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication([])
    print(f"Qt platform: {app.platformName()}; T = {args.T}, H = {args.H}, layers = {args.layers}, "
          f"batch = {args.batch}, {args.frames} frames, compare = {args.compare}")
    for cell in args.cells:
        rows = run(cell, args.T, args.H, args.layers, args.frames, args.compare, args.batch)
        print(f"\n{cell}\n")
        print("| view | median ms | max ms | unchanged ms |")
        print("|---|---:|---:|---:|")
        for name, med, mx, same in rows:
            same_text = "" if same != same else f"{same:.3f}"
            print(f"| {name} | {med:.2f} | {mx:.2f} | {same_text} |")


if __name__ == "__main__":
    main()
