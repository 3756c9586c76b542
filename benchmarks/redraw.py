"""How long the six views take to redraw: render() per view, and render plus Qt painting per frame.

    python benchmarks/redraw.py [--frames 60] [--cells rnn lstm] [--T 200] [--H 128] [--layers 2]

The issue's budget (T = 200, H = 128, 2 layers, all views visible): a full redraw under 10 ms
typical and never over 33 ms. Every frame gets a new trace and history (as during training), so
nothing is skipped as unchanged; "scrub" is the same trace with another selected time step (the
user dragging the time-step scrubber); "unchanged" is the same state rendered again (the ~30 Hz
timer between updates). "paint" is Qt painting the window after the frame's render() calls (offscreen platform
unless a display is set); "repaint CPU" is one view's canvas painted again at once, whole (no layout,
nothing changed): the share of the window's paint that view costs. Traces are synthetic (tests/ui/synthetic.py) with the engine's shapes.

Wall-clock times include waiting for a core when other processes compete for the machine; the
"CPU" columns (this thread's CPU time) do not, and are the fairer figure on a busy machine.

Python's garbage collector runs as in the app (rnn_viz/ui/app.py): automatic collection off, each
generation collected on the GUI thread's 1 s timer, which fires inside whichever frame's paint it
falls in, so its cost shows in that frame (and in the worst frame) as it would on screen.
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

from rnn_viz.ui.gc_timer import GarbageCollector  # noqa: E402
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
        states.append(replace(base, trace=trace, history=hist))

    per_view = {name: [] for name, _ in views}
    cpu_view = {name: [] for name, _ in views}
    unchanged = {name: [] for name, _ in views}
    scrub = {name: [] for name, _ in views}
    repaint = {name: [] for name, _ in views}
    totals, paints, cpu_totals, cpu_paints = [], [], [], []
    for f, state in enumerate(states):
        frame = cpu_frame = 0.0
        for name, view in views:
            t0, c0 = time.perf_counter(), time.thread_time()
            view.render(state)
            dt, dc = time.perf_counter() - t0, time.thread_time() - c0
            frame += dt
            cpu_frame += dc
            if f >= 5:
                per_view[name].append(dt)
                cpu_view[name].append(dc)
        t0, c0 = time.perf_counter(), time.thread_time()
        app.processEvents()
        paint, cpu_paint = time.perf_counter() - t0, time.thread_time() - c0
        for name, view in views:
            c0 = time.thread_time()
            view.canvas.viewport().repaint()
            if f >= 5:
                repaint[name].append(time.thread_time() - c0)
        moved = replace(state, time_step=(state.time_step + 1 + f) % T)
        for name, view in views:
            t0 = time.perf_counter()
            view.render(state)
            t1 = time.perf_counter()
            view.render(moved)
            t2 = time.perf_counter()
            view.render(state)
            if f >= 5:
                unchanged[name].append(t1 - t0)
                scrub[name].append(t2 - t1)
        app.processEvents()
        if f >= 5:
            totals.append(frame)
            paints.append(paint)
            cpu_totals.append(cpu_frame)
            cpu_paints.append(cpu_paint)

    rows = []
    for name, _ in views:
        rows.append((name, *_ms(per_view[name]), *_ms(cpu_view[name]), 1e3 * statistics.median(scrub[name]),
                     1e3 * statistics.median(unchanged[name]), 1e3 * statistics.median(repaint[name])))
    rows.append(("all six: render()", *_ms(totals), *_ms(cpu_totals), sum(r[5] for r in rows),
                 sum(r[6] for r in rows), sum(r[7] for r in rows)))
    nan = float("nan")
    rows.append(("Qt paint of the window", *_ms(paints), *_ms(cpu_paints), nan, nan, nan))
    rows.append(("render + paint", *_ms([a + b for a, b in zip(totals, paints)]),
                 *_ms([a + b for a, b in zip(cpu_totals, cpu_paints)]), nan, nan, nan))
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
    collector = GarbageCollector(interval=1.0)  # noqa: F841 (the app's, kept alive for the run)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Qt platform: {app.platformName()}; T = {args.T}, H = {args.H}, layers = {args.layers}, "
          f"batch = {args.batch}, {args.frames} frames, compare = {args.compare}; "
          f"{os.cpu_count()} cores, load average {load:.1f}")
    for cell in args.cells:
        rows = run(cell, args.T, args.H, args.layers, args.frames, args.compare, args.batch)
        print(f"\n{cell}\n")
        print("| view | median ms | max ms | CPU median ms | CPU max ms | scrub ms | unchanged ms | repaint CPU ms |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for name, med, mx, cmed, cmx, moved, same, again in rows:
            moved_text = "" if moved != moved else f"{moved:.2f}"
            same_text = "" if same != same else f"{same:.3f}"
            again_text = "" if again != again else f"{again:.2f}"
            print(f"| {name} | {med:.2f} | {mx:.2f} | {cmed:.2f} | {cmx:.2f} | {moved_text} | {same_text} | {again_text} |")


if __name__ == "__main__":
    main()
