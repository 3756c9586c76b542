"""What the flow-matrix view costs per update: resolve (pure frames), render (resolve + apply),
a click on a cell (the chain only), and Qt painting, at T = 200 and T = 1000, single and compare.

    python benchmarks/flow_view.py [--T 200 1000] [--frames 30] [--size 1000 900]

Each frame hands the view a new heavy trace (as a training update does), so the matrix is resolved
and applied every frame; "click" re-inspects another cell of the same matrix (the chain plot only).
Traces are synthetic (tests/ui/synthetic.py) with the engine's shapes. Medians and maxima in ms;
the CPU columns (this thread's CPU time) do not count waiting for a core on a busy machine.
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

from PySide6.QtWidgets import QApplication  # noqa: E402

from rnn_viz.ui.views import FlowMatrixView  # noqa: E402
from rnn_viz.ui.views.flow import resolve_chain, resolve_flow, shared_top  # noqa: E402
from tests.ui.synthetic import make_state, make_trace  # noqa: E402

DISTINCT = 4  # traces cycled; each frame still gets a mapping the view has not seen


def timed(fn) -> tuple[float, float]:
    t0, c0 = time.perf_counter(), time.thread_time()
    fn()
    return time.perf_counter() - t0, time.thread_time() - c0


def ms(values: list[float]) -> str:
    return f"{1e3 * statistics.median(values):7.2f} {1e3 * max(values):7.2f}"


def run(T: int, compare: bool, frames: int, size: tuple[int, int]) -> dict[str, list[tuple[float, float]]]:
    app = QApplication.instance() or QApplication([])
    view = FlowMatrixView()
    view.resize(*size)
    view.show()
    base = make_state("rnn", 2, T=T, H=16, B=2, compare=compare, time_step=T // 3, decay=0.97)
    traces = [make_trace("rnn", 2, T, 16, B=2, seed=s, decay=0.97) for s in range(DISTINCT)]
    out = {"resolve": [], "render": [], "click": [], "paint": []}
    for f in range(frames + 3):
        trace = dict(traces[f % DISTINCT])
        state = replace(base, trace=trace, trace_b=dict(traces[(f + 1) % DISTINCT]) if compare else None)
        runs = [trace] + ([state.trace_b] if compare else [])

        def resolve():
            top = shared_top(runs) if compare else None  # as the view: one scale for runs side by side
            frames_ = [resolve_flow(t, 0, top=top) for t in runs]
            resolve_chain(frames_[0], None, T // 3)

        r = timed(resolve)
        d = timed(lambda: view.render(state))
        c = timed(lambda: view.select_cell(T - 1 - f % 7, T // 4 + f % 5))
        p = timed(app.processEvents)
        if f >= 3:  # the first frames build the layout
            for key, value in zip(out, (r, d, c, p)):
                out[key].append(value)
    view.close()
    view.deleteLater()
    app.processEvents()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--T", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--size", type=int, nargs=2, default=[1000, 900])
    args = parser.parse_args()
    print(f"flow view at {args.size[0]}x{args.size[1]}, {args.frames} frames: median / max ms (wall, then CPU)")
    print(f"{'T':>5} {'mode':8} {'part':8} {'wall med':>7} {'max':>7}   {'cpu med':>7} {'max':>7}")
    for T in args.T:
        for compare in (False, True):
            out = run(T, compare, args.frames, tuple(args.size))
            for part, values in out.items():
                wall, cpu = [v[0] for v in values], [v[1] for v in values]
                print(f"{T:5d} {'compare' if compare else 'single':8} {part:8} {ms(wall)}   {ms(cpu)}")


if __name__ == "__main__":
    main()
