"""What one frame of the unrolled graph costs at any length: resolve, apply, pan, paint.

    python benchmarks/graph_frame.py [--frames 40] [--H 128] [--size 900x300]

Per (cell, T, layers, single/compare) case: "resolve" is the pure frame(s) from the trace, "apply"
is handing them to the plot items (the detail window's nodes and edges, the overview's strips),
"render" both as the window calls them (a new trace every frame, as during training), "scrub"
another selected step (the detail window re-centred when the step leaves it), "pan" one press of
a pan button, "paint" Qt painting the view afterwards (offscreen). Medians in ms, this thread's
CPU time (fairer than wall clock on a busy machine). Traces are synthetic (tests/ui/synthetic.py).
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

from rnn_viz.ui.views import graph  # noqa: E402
from rnn_viz.ui.views.graph import UnrolledGraphView  # noqa: E402
from tests.ui.synthetic import make_state, make_trace  # noqa: E402

DISTINCT_TRACES = 4


def _cpu(fn) -> float:
    c0 = time.thread_time()
    fn()
    return time.thread_time() - c0


def case(app, cell: str, T: int, layers: int, compare: bool, H: int, frames: int, size) -> dict:
    view = UnrolledGraphView()
    view.resize(*size)
    view.show()
    base = make_state(cell, layers, T=T, H=H, compare=compare, time_step=T // 2,
                      bptt="truncated", k1=20, k2=40)
    traces = [make_trace(cell, layers, T, H, seed=s, bptt="truncated", k1=20, k2=40)
              for s in range(DISTINCT_TRACES)]
    states = [replace(base, trace=dict(traces[f % DISTINCT_TRACES])) for f in range(frames + 4)]
    names = [r.name for r in base.runs] if compare else ["A"]
    view.render(states[0])
    app.processEvents()
    out = {k: [] for k in ("resolve", "apply", "render", "scrub", "pan", "paint")}
    for f, state in enumerate(states[1:-1]):
        out["render"].append(_cpu(lambda: view.render(state)))
        out["resolve"].append(_cpu(lambda: graph.resolve_runs(state, names, {})))
        # apply alone, of another trace's frames than the one drawn (and the next one rendered)
        other, _ = graph.resolve_runs(states[f + 3 if f + 3 < len(states) else 0], names, {})
        out["apply"].append(_cpu(lambda: view.apply(other, 0)))
        step = (T // 2 + (f % 2) * T // 3) % T  # alternately inside and outside the window
        out["scrub"].append(_cpu(lambda: view.render(replace(state, time_step=step))))
        out["pan"].append(_cpu(lambda: view.pan(1 if f % 2 else -1)))
        out["paint"].append(_cpu(app.processEvents))
    view.close()
    return {k: 1e3 * statistics.median(v) for k, v in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--H", type=int, default=128)
    parser.add_argument("--size", default="900x300")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    app = QApplication.instance() or QApplication([])
    print(f"unrolled graph at {args.size}, H = {args.H}; median CPU ms per frame")
    print(f"{'case':<24}" + "".join(f"{k:>9}" for k in ("resolve", "apply", "render", "scrub", "pan", "paint")))
    for cell, T, layers, compare in [("rnn", 50, 1, False), ("rnn", 200, 2, False), ("lstm", 200, 2, False),
                                     ("rnn", 1000, 2, False), ("lstm", 1000, 4, False),
                                     ("rnn", 1000, 2, True), ("gru", 1000, 4, True)]:
        r = case(app, cell, T, layers, compare, args.H, args.frames, size)
        name = f"{cell} T={T} L={layers}{' compare' if compare else ''}"
        print(f"{name:<24}" + "".join(f"{r[k]:>9.2f}" for k in r))


if __name__ == "__main__":
    main()
