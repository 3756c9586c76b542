"""The selected sample's targets and outputs over time, or its text for character tasks.

Series (mse): per output (up to four) the target (dashed, with a short bar on each step that
carries a loss) and the model's output (solid). Classes (cross-entropy): the probability the model
gives the target class at each step, a rug under it marking the loss steps whose argmax is right
(upper lane) or wrong (lower lane), and (with a vocabulary) the input, target and argmax characters
around the selected step; without one, class indices. In compare mode a selector picks the run shown.
For a file, a second selector shows a training or a validation window, in the file's units against
its time column (prediction_series.resolve_sequence: the pure part).
"""
from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from rnn_viz.ui import colormaps as cm
from rnn_viz.ui.state import ViewState

from . import readouts as ro
from .base import (BaseView, StepAxis, _identical, item_key, legend_html, selection_line, set_title, step_axes,
                   style_axis, style_plot, text_label)
from .frames import frozen, same
from .prediction_series import SOURCES, resolve_sequence, sources
from .runs import RunSelector

__all__ = ["PredictionsView", "PredictionsFrame", "resolve", "resolve_text"]

MAX_OUTPUTS = 4
TEXT_WINDOW = 64       # characters shown around the selected step
CLASS_WINDOW = 24      # class indices shown around the selected step (wider per step)
RIGHT, WRONG = "#009E73", "#D55E00"  # Okabe-Ito bluish green / vermillion, told apart also by lane
RUG = {"right": -0.04, "wrong": -0.09}  # y of the two rug lanes under the probability curve
SERIES_TIP = ("The selected sample: the model's output (solid) against the target (dashed); a short bar "
              "marks the target on each step that carries a loss.")
CLASSES_TIP = ("The probability the model gives the target class at each step. Marks under the curve: "
               "the steps with a loss whose most likely class is right (upper lane) or wrong (lower lane).")


def _glyph(ch: str) -> str:
    """A visible, HTML-safe stand-in for one character (spaces and newlines would vanish)."""
    return {" ": "·", "\n": "⏎", "\t": "⇥"}.get(ch, html.escape(ch))


def _bars(x: np.ndarray, y: np.ndarray, half: float = 0.35) -> tuple[np.ndarray, np.ndarray]:
    """Endpoints of short horizontal bars centred on (x, y), for a connect="pairs" curve."""
    return np.column_stack([x - half, x + half]).ravel(), np.repeat(y, 2)


class PredictionsView(BaseView):
    """What the model outputs for the selected sample, against the targets."""

    OBJECT_NAME = "predictionsView"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.run_selector = RunSelector("predictionsRun")
        self.run_selector.changed.connect(self.redraw)
        self.layout().insertWidget(0, self.run_selector)
        self.sequence = QComboBox()
        self.sequence.setObjectName("predictionsSequence")
        self.sequence.setToolTip("Draw a window of the training batch, or one of the held-out validation "
                                 "windows (how the model does on data it does not train on)")
        for source in SOURCES:
            self.sequence.addItem(f"{source} sequence", source)
        self.sequence.setHidden(True)  # only a file's trace has validation windows (val/*)
        self.sequence.currentIndexChanged.connect(lambda _: self.redraw())
        self.layout().insertWidget(1, self.sequence)
        self._dates = False
        self.plot = style_plot(self.canvas.addPlot(row=0, col=0, axisItems=step_axes("bottom")), bottom="time step t")
        self.follow_data(self.plot)
        self.selection = selection_line(self.plot)
        self.text = text_label(size="10pt")
        self.canvas.addItem(self.text, row=1, col=0)
        self.on_click(self.plot, lambda x, y: self._click(x))

        # Plain curves (connect="pairs" for marks): a scatter plot costs ~1 ms per update per 200 points.
        self.targets: list[pg.PlotCurveItem] = []
        self.outputs: list[pg.PlotCurveItem] = []
        self.target_marks: list[pg.PlotCurveItem] = []
        self.p_target = pg.PlotCurveItem(pen=pg.mkPen(cm.LAYER_COLORS[0], width=1.5))
        self.right_marks = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(RIGHT, width=3))
        self.wrong_marks = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(WRONG, width=3))
        for item in (self.p_target, self.right_marks, self.wrong_marks):
            self.plot.addItem(item)

        self._mode: str | None = None
        self._legend_key = None
        self.legend = ""  # HTML legend line under the title
        self._T = 0
        self._text: str | None = None

    def _ensure_outputs(self, n: int) -> None:
        while len(self.outputs) < n:
            o = len(self.outputs)
            color = cm.layer_color(o)
            target = pg.PlotCurveItem(pen=pg.mkPen(color, width=1, style=Qt.PenStyle.DashLine))
            mark = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(color, width=3))
            output = pg.PlotCurveItem(pen=pg.mkPen(color, width=2))
            for item in (target, mark, output):
                self.plot.addItem(item)
            self.targets.append(target)
            self.target_marks.append(mark)
            self.outputs.append(output)

    # -- drawing ---------------------------------------------------------------------------------
    def _render(self, state: ViewState) -> None:
        run, trace, prefix = self.run_selector.select(state)
        if trace is None:
            return
        offered = sources(trace)
        if self.sequence.isHidden() != (len(offered) < 2):
            self.sequence.setHidden(len(offered) < 2)
        source = self.sequence.currentData() if self.sequence.currentData() in offered else offered[0]
        inputs = (trace, state.sample, state.vocab, prefix, source)
        applied = False
        if self._inputs is None or not _identical(inputs, self._inputs):
            self._inputs = inputs
            frame = resolve(state, run, source)
            if self.frame is None or not same(frame, self.frame):
                self.frames_applied += 1
                self.apply(frame)
                applied = True
        if self.time_step_changed(state) or applied:
            x = self.frame.x  # the selected step drawn where the step is (a date, a row of the file)
            self.selection.setValue(float(x[min(state.time_step, x.size - 1)]) if x.size else state.time_step)
        if self.frame.mode == "classes":
            text = resolve_text(self.frame, state.time_step)
            if text != self._text:
                self._text = text
                self.text.setText(text)

    def _click(self, x: float) -> None:
        if self.frame is not None and self.frame.x.size:
            self.emit_step(float(np.argmin(np.abs(self.frame.x - x))), self._T)

    def _set_time_axis(self, frame: "PredictionsFrame") -> None:
        """A date axis for a date column, else whole-number ticks; named after the column."""
        if frame.dates != self._dates:
            self._dates = frame.dates
            axis = pg.DateAxisItem("bottom", utcOffset=0) if frame.dates else StepAxis("bottom")
            self.plot.setAxisItems({"bottom": axis})
            style_axis(axis)
            self._x_name = None
        if frame.x_name != getattr(self, "_x_name", None):
            # Setting even the same label clears the axis' tick picture: 1.5 ms to draw again per frame.
            self._x_name = frame.x_name
            self.plot.setLabel("bottom", frame.x_name, color=cm.FOREGROUND)

    def apply(self, frame: "PredictionsFrame") -> None:
        self.frame = frame
        self._T = frame.T
        self._set_mode(frame.mode, len(frame.targets))
        self._set_time_axis(frame)
        t = frame.x
        for o, (target, marks, output) in enumerate(zip(frame.targets, frame.target_marks, frame.outputs)):
            self.targets[o].setData(t, target)
            self.target_marks[o].setData(*marks)
            self.outputs[o].setData(t, output)
        if frame.mode == "classes":
            self.p_target.setData(t, frame.p_target)
            self.right_marks.setData(*frame.right)
            self.wrong_marks.setData(*frame.wrong)
        self.set_span(self.plot, x=frame.x_span, y=frame.y_span)
        set_title(self.plot, frame.title, legend=self.legend, tip=SERIES_TIP if frame.mode == "series" else CLASSES_TIP)
        self._text = None

    def _set_mode(self, mode: str, n_outputs: int) -> None:
        self._ensure_outputs(n_outputs)
        for o, items in enumerate(zip(self.targets, self.target_marks, self.outputs)):
            for item in items:
                item.setVisible(mode == "series" and o < n_outputs)
        for item in (self.p_target, self.right_marks, self.wrong_marks):
            item.setVisible(mode == "classes")
        self.text.setVisible(mode == "classes")
        if mode == "series":
            self.text.setText("")
        key = (mode, n_outputs)
        if key != self._legend_key:
            self._legend_key = key
            if mode == "series":
                entries = []
                for o in range(n_outputs):
                    entries += [(item_key(self.outputs[o]), f"output {o}"), (item_key(self.targets[o]), f"target {o}")]
                if n_outputs:
                    mark = pg.mkPen(self.target_marks[0].opts["pen"]).color().name()
                    entries.append((f"<span style='color:{mark}'>▬</span>", "target on a loss step"))
                self.plot.setLabel("left", "value", color=cm.FOREGROUND)
            else:
                entries = [(item_key(self.p_target), "p(target class)"),
                           (item_key(self.right_marks), "argmax right (upper)"),
                           (item_key(self.wrong_marks), "argmax wrong (lower)")]
                self.plot.setLabel("left", "p(target)", color=cm.FOREGROUND)
            self.legend = legend_html(entries)
        self._mode = mode

    def _csv_table(self) -> tuple[list[str], np.ndarray]:
        frame = self.frame
        if frame is None:
            return ["t"], np.zeros((0, 1))
        t = frame.x  # the file's time column (Unix seconds, rows) or the time step
        if frame.mode == "series":
            n = len(frame.targets)
            cols = ["t", "loss_step"] + [f"target/{o}" for o in range(n)] + [f"prediction/{o}" for o in range(n)]
            return cols, np.column_stack([t, frame.mask, *frame.targets, *frame.outputs]).astype(np.float64)
        return _class_table(t, frame.mask, frame.target, frame.guess, frame.p_target, frame.vocab)


def _class_table(t, mask, target, guess, p, vocab) -> tuple[list[str], np.ndarray]:
    cols = ["t", "loss_step", "target", "predicted", "p_target"]
    rows = np.column_stack([t, mask, target, guess, p]).astype(object)
    if vocab is not None:
        cols += ["target_char", "predicted_char"]
        chars = np.array([[vocab[i] if i < len(vocab) else "?" for i in target],
                          [vocab[i] if i < len(vocab) else "?" for i in guess]], dtype=object).T
        rows = np.concatenate([rows, chars], axis=1)
    return cols, rows


@dataclass(frozen=True, slots=True)
class PredictionsFrame:
    """What the view draws for one run's selected sample. ``mode``: "series" (mse: per output
    up to MAX_OUTPUTS, (T,) target and output, and the (x, y) bars of targets on loss steps) or
    "classes" (cross-entropy: (T,) p(target), target, argmax and input classes, the right and
    wrong rug bars). ``mask``: (T,) loss steps. ``x`` (T,): where each step is drawn (the time
    step, or a file's time column: Unix seconds when ``dates``, else rows), ``x_name`` the bottom
    axis label, ``x_span`` its range (half a step beyond either end)."""

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


def _pairs(xy) -> tuple[np.ndarray, np.ndarray]:
    return frozen(xy[0]), frozen(xy[1])


def resolve(state: ViewState, run: str = "A", source: str = "training") -> PredictionsFrame | None:
    """Pure: the frame of run ``run``'s selected sample in ``state`` (None without a trace), from
    its training batch or (``source`` "validation", a file's trace) its validation windows."""
    trace = state.run(run).trace
    if trace is None:
        return None
    prefix = RunSelector.title_prefix(state, run)
    seq = resolve_sequence(trace, source, state.sample)
    b, mask, pred = seq.index, frozen(seq.mask, dtype=bool), seq.predictions
    T = mask.size
    t = np.asarray(seq.x, dtype=np.float64)
    half = float(np.median(np.diff(t))) / 2 if T > 1 else 0.5  # a step's half width, in the axis' units
    bar = 0.35 * 2 * half
    axis = dict(x=frozen(t), x_name=seq.x_name, dates=seq.dates, x_span=(float(t[0]) - half, float(t[-1]) + half))
    which = f"validation window {b} of {seq.count}" if seq.source == "validation" else f"sample {b}"
    if seq.targets.ndim == 2:
        target = seq.targets
        n = min(target.shape[1], MAX_OUTPUTS)
        more = f" · first {n} of {target.shape[1]} outputs" if target.shape[1] > n else ""
        units = f" · {seq.units}" if seq.units else ""
        return PredictionsFrame(
            "series", T, f"{prefix}Predictions · {which}{more}{units}", ro.nice_span(target[:, :n], pred[:, :n]),
            mask, **axis,
            targets=tuple(frozen(target[:, o]) for o in range(n)),
            target_marks=tuple(_pairs(_bars(t[mask], target[mask, o], bar)) for o in range(n)),
            outputs=tuple(frozen(pred[:, o]) for o in range(n)))
    target = seq.targets
    guess = np.argmax(pred, axis=1)
    right = guess == target
    inputs = seq.inputs
    vocab = state.vocab
    lanes = {lane: _pairs(_bars(t[keep], np.full(int(keep.sum()), RUG[lane]), bar))
             for lane, keep in (("right", mask & right), ("wrong", mask & ~right))}
    return PredictionsFrame(
        "classes", T, f"{prefix}Predictions · {which}", (RUG["wrong"] - 0.03, 1.0), mask, **axis,
        p_target=frozen(ro.target_probability(pred, target)), target=frozen(target, dtype=np.int64),
        guess=frozen(guess, dtype=np.int64),
        input=frozen(np.argmax(inputs, axis=1), dtype=np.int64) if vocab is not None and inputs.shape[1] == len(vocab) else None,
        right=lanes["right"], wrong=lanes["wrong"], vocab=vocab)


def resolve_text(frame: PredictionsFrame, step: int) -> str:
    """Pure: rows of characters (or class indices) around ``step``: input, target, argmax output."""
    T = frame.target.size
    vocab = frame.vocab
    width = TEXT_WINDOW if vocab is not None else CLASS_WINDOW
    first = int(np.clip(step - width // 2, 0, max(T - width, 0)))
    span = range(first, min(first + width, T))
    digits = len(str(max(int(frame.target.max(initial=0)), int(frame.guess.max(initial=0)))))

    def cell(i: int, value: int, row: str) -> str:
        if vocab is not None and value < len(vocab):
            s = _glyph(vocab[value])
        else:  # class indices, padded so the rows stay aligned
            s = f"{value:>{digits}}".replace(" ", "&nbsp;") + "&nbsp;"
        style = []
        if row == "guess" and frame.mask[i]:
            style.append(f"color:{RIGHT if value == frame.target[i] else WRONG}")
        if i == step:
            style.append("background-color:#f4c7e0")
        return f"<span style='{';'.join(style)}'>{s}</span>" if style else s

    rows = []
    if frame.input is not None:
        rows.append(("input ", "".join(cell(i, frame.input[i], "input") for i in span)))
    rows.append(("target", "".join(cell(i, frame.target[i], "target") for i in span)))
    rows.append(("output", "".join(cell(i, frame.guess[i], "guess") for i in span)))
    body = "<br>".join(f"{name}&nbsp;&nbsp;{text}" for name, text in rows)
    where = f"steps {span.start}..{span.stop - 1} of {T}"
    return (f"<span style='font-family:monospace'>{body}</span><br>"
            f"<span style='font-size:8pt'>{where}; highlighted: selected step {step}</span>")
