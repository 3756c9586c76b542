"""What the predictions view draws, for one run and for every run of a comparison (pure functions).

``resolve_run`` turns one run's selected sample into a ``PredictionsFrame``; ``resolve`` puts every
run of the state on one ``PredictionsPlot``: run A's window (its time axis, loss steps and targets)
drawn once, each further run's outputs over it, and that run's own targets only when its window
differs (a ``[compare]`` section may change the data). ``resolve_text`` gives the rows of characters
(or class indices) of a character task, one output row per run; ``table`` the CSV of what is drawn.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np

from rnn_viz.ui.state import ViewState

from . import readouts as ro
from .frames import frozen
from .prediction_series import resolve_sequence
from .runs import RunSelector

__all__ = ["PredictionsFrame", "PredictionsPlot", "resolve", "resolve_run", "resolve_text", "table",
           "MAX_OUTPUTS", "RIGHT", "WRONG", "rug_lanes"]

MAX_OUTPUTS = 4
TEXT_WINDOW = 64       # characters shown around the selected step
CLASS_WINDOW = 24      # class indices shown around the selected step (wider per step)
ROW_NAME = 8           # characters before a row's cells ("target" and two spaces)
RIGHT, WRONG = "#009E73", "#D55E00"  # Okabe-Ito bluish green / vermillion, told apart also by lane
RUG = {"right": -0.04, "wrong": -0.09}  # y of run A's two rug lanes under the probability curve
RUG_RUN = 0.11  # each further run's lanes sit this much lower: one band of two lanes per run


def rug_lanes(run: int) -> dict[str, float]:
    """y of run number ``run``'s (0 = A) "right" and "wrong" lanes."""
    return {lane: y - RUG_RUN * run for lane, y in RUG.items()}


def _glyph(ch: str) -> str:
    """A visible, HTML-safe stand-in for one character (spaces and newlines would vanish)."""
    return {" ": "·", "\n": "⏎", "\t": "⇥"}.get(ch, html.escape(ch))


def _bars(x: np.ndarray, y: np.ndarray, half: float = 0.35) -> tuple[np.ndarray, np.ndarray]:
    """Endpoints of short horizontal bars centred on (x, y), for a connect="pairs" curve."""
    ends = np.empty(2 * x.size)
    ends[0::2] = x - half
    ends[1::2] = x + half
    return ends, np.repeat(y, 2)


@dataclass(frozen=True, slots=True)
class PredictionsFrame:
    """What the view draws for one run's selected sample. ``mode``: "series" (mse: per output
    up to MAX_OUTPUTS, (T,) target and output, and the (x, y) bars of targets on loss steps) or
    "classes" (cross-entropy: (T,) p(target), target, argmax and input classes, the right and
    wrong rug bars). ``mask``: (T,) loss steps. ``x`` (T,): where each step is drawn (the time
    step, or a file's time column: Unix seconds when ``dates``, else rows), ``x_name`` the bottom
    axis label, ``x_span`` its range (half a step beyond either end). ``title`` is ``heading``
    after the run's compare-mode prefix."""

    mode: str
    T: int
    title: str
    y_span: tuple[float, float]
    mask: np.ndarray
    x: np.ndarray
    x_name: str
    dates: bool
    x_span: tuple[float, float]
    targets: tuple[np.ndarray, ...] = ()
    target_marks: tuple[tuple[np.ndarray, np.ndarray], ...] = ()
    outputs: tuple[np.ndarray, ...] = ()
    p_target: np.ndarray | None = None
    target: np.ndarray | None = None
    guess: np.ndarray | None = None
    input: np.ndarray | None = None
    right: tuple[np.ndarray, np.ndarray] | None = None
    wrong: tuple[np.ndarray, np.ndarray] | None = None
    vocab: tuple[str, ...] | None = None
    heading: str = ""


@dataclass(frozen=True, slots=True)
class PredictionsPlot:
    """Every run's frame on one plot. ``runs[i]``: run i's frame (runs without a trace yet, or
    whose kind of output differs from run A's, are left out); ``names``/``labels``: those runs'
    names ("A", "B", ...) and labels; ``own_window[i]``: run i's time axis, loss steps or targets
    differ from run A's, so its targets are drawn (and written) too (True for run A); ``lanes[i]``:
    the y of run i's right and wrong rug lanes (classes); ``compare``: the state has several runs;
    ``note``: runs not drawn, in words."""

    mode: str
    title: str
    runs: tuple[PredictionsFrame, ...]
    names: tuple[str, ...]
    labels: tuple[str, ...]
    own_window: tuple[bool, ...]
    compare: bool
    x_span: tuple[float, float]
    y_span: tuple[float, float]
    note: str = ""

    @property
    def first(self) -> PredictionsFrame:
        return self.runs[0]


def _median_step(t: np.ndarray) -> float:
    """The median of the (T - 1,) steps between the (T,) ``t``: the one step of evenly spaced steps
    without sorting them (np.median was a quarter of the view's frame)."""
    d = np.diff(t)
    if (d == d[0]).all():
        return float(d[0])
    return float(np.median(d))


def _pairs(xy) -> tuple[np.ndarray, np.ndarray]:
    """_bars' two new arrays, read-only (made float64 without a further copy when they are)."""
    out = tuple(np.asarray(a, dtype=np.float64) for a in xy)
    for a in out:
        a.setflags(write=False)
    return out


def resolve_run(state: ViewState, run: str = "A", source: str = "training", index: int = 0) -> PredictionsFrame | None:
    """Pure: the frame of run ``run``'s selected sample in ``state`` (None without a trace), from
    its training batch or (``source`` "validation", a file's trace) its validation windows; its rug
    lanes are those of run number ``index``."""
    trace = state.run(run).trace
    if trace is None:
        return None
    prefix = RunSelector.title_prefix(state, run)
    seq = resolve_sequence(trace, source, state.sample)
    b, mask, pred = seq.index, frozen(seq.mask, dtype=bool), seq.predictions
    T = mask.size
    t = np.asarray(seq.x, dtype=np.float64)
    half = _median_step(t) / 2 if T > 1 else 0.5  # a step's half width, in the axis' units
    bar = 0.35 * 2 * half
    axis = dict(x=frozen(t), x_name=seq.x_name, dates=seq.dates, x_span=(float(t[0]) - half, float(t[-1]) + half))
    which = f"validation window {b} of {seq.count}" if seq.source == "validation" else f"sample {b}"
    if seq.targets.ndim == 2:
        target = seq.targets
        n = min(target.shape[1], MAX_OUTPUTS)
        more = f" · first {n} of {target.shape[1]} outputs" if target.shape[1] > n else ""
        units = f" · {seq.units}" if seq.units else ""
        heading = f"Predictions · {which}{more}{units}"
        return PredictionsFrame(
            "series", T, prefix + heading, ro.nice_span(target[:, :n], pred[:, :n]), mask, **axis,
            targets=tuple(frozen(target[:, o]) for o in range(n)),
            target_marks=tuple(_pairs(_bars(t[mask], target[mask, o], bar)) for o in range(n)),
            outputs=tuple(frozen(pred[:, o]) for o in range(n)), heading=heading)
    target = seq.targets
    guess = np.argmax(pred, axis=1)
    right = guess == target
    inputs = seq.inputs
    vocab = state.vocab
    y = rug_lanes(index)
    lanes = {lane: _pairs(_bars(t[keep], np.full(int(keep.sum()), y[lane]), bar))
             for lane, keep in (("right", mask & right), ("wrong", mask & ~right))}
    heading = f"Predictions · {which}"
    return PredictionsFrame(
        "classes", T, prefix + heading, (y["wrong"] - 0.03, 1.0), mask, **axis,
        p_target=frozen(ro.target_probability(pred, target)), target=frozen(target, dtype=np.int64),
        guess=frozen(guess, dtype=np.int64),
        input=frozen(np.argmax(inputs, axis=1), dtype=np.int64) if vocab is not None and inputs.shape[1] == len(vocab) else None,
        right=lanes["right"], wrong=lanes["wrong"], vocab=vocab, heading=heading)


def _same_window(a: PredictionsFrame, b: PredictionsFrame) -> bool:
    """Whether ``b`` is drawn over ``a``'s targets: the same steps, loss steps and targets."""
    if a.T != b.T or not np.array_equal(a.x, b.x) or not np.array_equal(a.mask, b.mask):
        return False
    if a.mode == "series":
        return len(a.targets) == len(b.targets) and all(np.array_equal(p, q) for p, q in zip(a.targets, b.targets))
    return np.array_equal(a.target, b.target)


def resolve(state: ViewState, source: str = "training") -> PredictionsPlot | None:
    """Pure: every run of ``state`` on one plot (None before run A's first trace)."""
    first = resolve_run(state, "A", source, 0)
    if first is None:
        return None
    frames, names, labels, own, skipped = [first], ["A"], [state.runs[0].label], [True], []
    for run in state.runs[1:]:
        frame = resolve_run(state, run.name, source, len(frames))
        if frame is None or frame.mode != first.mode:
            skipped.append(f"run {run.name} ({'no trace yet' if frame is None else 'another kind of output'})")
            continue
        frames.append(frame)
        names.append(run.name)
        labels.append(run.label)
        own.append(not _same_window(first, frame))
    if first.mode == "series" and len(frames) == 1:
        y_span = first.y_span  # the nice span of its targets and outputs, as below
    elif first.mode == "series":
        y_span = ro.nice_span(*(a for f in frames for a in (*f.targets, *f.outputs)))
    else:
        y_span = (min(f.y_span[0] for f in frames), 1.0)
    x_span = (min(f.x_span[0] for f in frames), max(f.x_span[1] for f in frames))
    note = "not drawn: " + ", ".join(skipped) if skipped else ""
    return PredictionsPlot(first.mode, first.heading if state.compare else first.title, tuple(frames),
                           tuple(names), tuple(labels), tuple(own), state.compare, x_span, y_span, note)


def resolve_text(frame: PredictionsFrame | PredictionsPlot, step: int, columns: int | None = None) -> str:
    """Pure: rows of characters (or class indices) around ``step``: run A's input and target, each
    run's argmax output (and a run's own target when its window differs from run A's). ``columns``:
    the characters a row may take (the width of the view), so rows never wrap; None: no limit."""
    plot = frame if isinstance(frame, PredictionsPlot) else None
    first = plot.first if plot else frame
    runs = list(zip(plot.runs, plot.names, plot.own_window)) if plot else [(first, "A", True)]
    compare = bool(plot and plot.compare)
    T = first.target.size
    vocab = first.vocab
    digits = len(str(max(max(int(f.target.max(initial=0)), int(f.guess.max(initial=0))) for f, _, _ in runs)))
    width = TEXT_WINDOW if vocab is not None else CLASS_WINDOW
    if columns is not None:  # a row: its name (6 characters and 2 spaces), then one cell per step
        width = max(min(width, (columns - ROW_NAME) // (1 if vocab is not None else digits + 1)), 4)
    start = int(np.clip(step - width // 2, 0, max(T - width, 0)))
    span = range(start, min(start + width, T))

    def cell(f: PredictionsFrame, i: int, value: int | None, row: str) -> str:
        if value is None:  # a run with fewer steps than run A
            s = "&nbsp;" * (1 if vocab is not None else digits + 1)
        elif vocab is not None and value < len(vocab):
            s = _glyph(vocab[value])
        else:  # class indices, padded so the rows stay aligned
            s = f"{value:>{digits}}".replace(" ", "&nbsp;") + "&nbsp;"
        style = []
        if row == "guess" and value is not None and f.mask[i]:
            style.append(f"color:{RIGHT if value == f.target[i] else WRONG}")
        if i == step:
            style.append("background-color:#f4c7e0")
        return f"<span style='{';'.join(style)}'>{s}</span>" if style else s

    def row(f: PredictionsFrame, values: np.ndarray, kind: str) -> str:
        return "".join(cell(f, i, int(values[i]) if i < values.size else None, kind) for i in span)

    rows = []
    if first.input is not None:
        rows.append(("input ", row(first, first.input, "input")))
    for n, (f, name, own) in enumerate(runs):
        if n == 0 or own:
            rows.append((f"tgt {name} " if compare and n else "target", row(f, f.target, "target")))
        rows.append((f"out {name} " if compare else "output", row(f, f.guess, "guess")))
    body = "<br>".join(f"{name.replace(' ', '&nbsp;')}&nbsp;&nbsp;{text}" for name, text in rows)
    where = f"steps {span.start}..{span.stop - 1} of {T}"
    if compare:
        where += "; " + ", ".join(f"out {name}: {html.escape(label)}" for name, label in zip(plot.names, plot.labels))
    if plot and plot.note:
        where += f"; {html.escape(plot.note)}"
    return (f"<span style='font-family:monospace'>{body}</span><br>"
            f"<span style='font-size:8pt'>{where}; highlighted: selected step {step}</span>")


def _suffix(label: str, n: int) -> str:
    """A further run's column suffix, as the other views name them: "loss [truncated ...]"."""
    return "" if n == 0 else f" [{label}]"


def _padded(values, rows: int, dtype=np.float64) -> np.ndarray:
    out = np.full(rows, np.nan if dtype is np.float64 else "", dtype=dtype)
    out[: len(values)] = values
    return out


def table(plot: PredictionsPlot | None) -> tuple[list[str], np.ndarray]:
    """(columns, rows) of what is drawn: run A's t, loss_step, targets and outputs, then each
    further run's outputs ("prediction/0 [label]"), with its own t, loss_step and targets when its
    window differs. Rows: the longest run's steps (shorter runs padded with NaN or "")."""
    if plot is None:
        return ["t"], np.zeros((0, 1))
    rows = max(f.T for f in plot.runs)
    cols: list[str] = []
    data: list[np.ndarray] = []

    def add(name: str, values, dtype=np.float64) -> None:
        cols.append(name)
        data.append(_padded(values, rows, dtype))

    for n, (f, label, own) in enumerate(zip(plot.runs, plot.labels, plot.own_window)):
        s = _suffix(label, n)
        if own:
            add("t" + s, f.x)
            add("loss_step" + s, f.mask)
        if plot.mode == "series":
            if own:
                for o, target in enumerate(f.targets):
                    add(f"target/{o}{s}", target)
            for o, output in enumerate(f.outputs):
                add(f"prediction/{o}{s}", output)
            continue
        if own:
            add("target" + s, f.target)
        add("predicted" + s, f.guess)
        add("p_target" + s, f.p_target)
        if f.vocab is not None:
            chars = lambda idx: [f.vocab[i] if i < len(f.vocab) else "?" for i in idx]  # noqa: E731
            if own:
                add("target_char" + s, chars(f.target), object)
            add("predicted_char" + s, chars(f.guess), object)
    if plot.mode == "series":
        return cols, np.column_stack(data).astype(np.float64)
    return cols, np.column_stack([d.astype(object) for d in data])
