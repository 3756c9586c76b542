"""The selected sample's targets and outputs over time, or its text for character tasks.

Series (mse): per output (up to four) the target (dotted, with a short bar on each step that
carries a loss) and the model's output (solid). Classes (cross-entropy): the probability the model
gives the target class at each step, a rug under it marking the loss steps whose argmax is right
(upper lane) or wrong (lower lane), and (with a vocabulary) the input, target and argmax characters
around the selected step; without one, class indices. In compare mode every run is drawn on the
one plot: the target once, each run's outputs in its pen (run A solid, B dashed, ...), named by the
runs' labels; each run's rug in its own band of two lanes and its own row of characters. For a
file, a selector shows a training or a validation window, in the file's units against its time
column (prediction_series.resolve_sequence). The pure part is prediction_frames.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QComboBox

from rnn_viz.ui import colormaps as cm
from rnn_viz.ui.state import ViewState

from .axes import StepAxis, step_axes, style_axis
from .base import BaseView, _identical, selection_line, style_plot
from .labels import item_key, legend_html, set_title, text_label
from .frames import same
from .item_updates import set_curve
from .prediction_frames import (RIGHT, WRONG, PredictionsFrame, PredictionsPlot, resolve, resolve_run,
                                resolve_text, table)
from .prediction_series import SOURCES, sources

__all__ = ["PredictionsView", "PredictionsFrame", "PredictionsPlot", "resolve", "resolve_run", "resolve_text"]

TEXT_MARGIN = 24  # px of the canvas not given to the rows of characters (layout margins, one spare)
SERIES_TIP = ("The selected sample: the model's output (solid; in compare mode one pen per run) against "
              "the target (dotted); a short bar marks the target on each step that carries a loss.")
CLASSES_TIP = ("The probability the model gives the target class at each step. Marks under the curve: "
               "the steps with a loss whose most likely class is right (upper lane) or wrong (lower lane); "
               "in compare mode one band of two lanes per run, run A's on top.")


class PredictionsView(BaseView):
    """What the model outputs for the selected sample, against the targets (every run at once)."""

    OBJECT_NAME = "predictionsView"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.sequence = QComboBox()
        self.sequence.setObjectName("predictionsSequence")
        self.sequence.setToolTip("Draw a window of the training batch, or one of the held-out validation "
                                 "windows (how the model does on data it does not train on)")
        for source in SOURCES:
            self.sequence.addItem(f"{source} sequence", source)
        self.sequence.setHidden(True)  # only a file's trace has validation windows (val/*)
        self.sequence.currentIndexChanged.connect(lambda _: self.redraw())
        self.layout().insertWidget(0, self.sequence)
        self._dates = False
        self.plot = style_plot(self.canvas.addPlot(row=0, col=0, axisItems=step_axes("bottom")), bottom="time step t")
        self.follow_data(self.plot)
        self.selection = selection_line(self.plot)
        self.text = text_label(size="10pt")
        self.canvas.addItem(self.text, row=1, col=0)
        self.on_click(self.plot, lambda x, y: self._click(x))

        # Per run (0 = A), created when a run first needs them, then only setData. Plain curves
        # (connect="pairs" for marks): a scatter plot costs ~1 ms per update per 200 points.
        self.run_targets: list[list[pg.PlotCurveItem]] = []   # [run][output]
        self.run_marks: list[list[pg.PlotCurveItem]] = []
        self.run_outputs: list[list[pg.PlotCurveItem]] = []
        self.run_p: list[pg.PlotCurveItem] = []               # [run]: p(target) curve
        self.run_right: list[pg.PlotCurveItem] = []
        self.run_wrong: list[pg.PlotCurveItem] = []
        self._ensure_items(1, 0)

        self._legend_key = None
        self.legend = ""  # HTML legend line under the title
        self.legend_names: list[str] = []
        self._T = 0
        self._text: str | None = None
        self._columns_for = (-1, 0)  # (canvas width, characters that fit in it)

    # run A's items by their old names (tests, exports)
    targets = property(lambda self: self.run_targets[0])
    target_marks = property(lambda self: self.run_marks[0])
    outputs = property(lambda self: self.run_outputs[0])
    p_target = property(lambda self: self.run_p[0])
    right_marks = property(lambda self: self.run_right[0])
    wrong_marks = property(lambda self: self.run_wrong[0])

    def _ensure_items(self, runs: int, n_outputs: int) -> None:
        while len(self.run_p) < runs:
            r = len(self.run_p)
            self.run_targets.append([])
            self.run_marks.append([])
            self.run_outputs.append([])
            p = pg.PlotCurveItem(pen=cm.layer_pen(0, run=r, width=1.5))
            right = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(RIGHT, width=3))
            wrong = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(WRONG, width=3))
            p.setZValue(-r)  # run A on top
            for item in (p, right, wrong):
                self.plot.addItem(item)
            self.run_p.append(p)
            self.run_right.append(right)
            self.run_wrong.append(wrong)
        for r in range(len(self.run_p)):
            outputs = self.run_outputs[r]
            while len(outputs) < n_outputs:
                o = len(outputs)
                color = cm.layer_color(o)
                target = pg.PlotCurveItem(pen=pg.mkPen(color, width=1, style=Qt.PenStyle.DotLine))
                mark = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(color, width=3))
                output = cm.layer_pen(o, run=r)
                output = pg.PlotCurveItem(pen=output)
                output.setZValue(-r)
                for item in (target, mark, output):
                    self.plot.addItem(item)
                self.run_targets[r].append(target)
                self.run_marks[r].append(mark)
                outputs.append(output)

    # -- drawing ---------------------------------------------------------------------------------
    def _render(self, state: ViewState) -> None:
        trace = state.trace
        if trace is None:
            return
        offered = sources(trace)
        if self.sequence.isHidden() != (len(offered) < 2):
            self.sequence.setHidden(len(offered) < 2)
        source = self.sequence.currentData() if self.sequence.currentData() in offered else offered[0]
        inputs = (tuple((r.name, r.label) for r in state.runs), state.compare, state.sample, state.vocab, source,
                  *(r.trace for r in state.runs))
        applied = False
        if self._inputs is None or not _identical(inputs, self._inputs):
            self._inputs = inputs
            frame = resolve(state, source)
            if self.frame is None or not same(frame, self.frame):
                self.frames_applied += 1
                self.apply(frame)
                applied = True
        if self.time_step_changed(state) or applied:
            x = self.frame.first.x  # the selected step drawn where the step is (a date, a row of the file)
            self.selection.setValue(float(x[min(state.time_step, x.size - 1)]) if x.size else state.time_step)
        if self.frame.mode == "classes":
            text = resolve_text(self.frame, state.time_step, self._text_columns())
            if text != self._text:
                self._text = text
                self.text.setText(text)

    def _text_columns(self) -> int:
        """How many monospace characters of the rows fit across the canvas (so no row wraps)."""
        width = self.canvas.viewport().width() - TEXT_MARGIN
        if width != self._columns_for[0]:
            font = QFont("monospace")
            font.setStyleHint(QFont.StyleHint.Monospace)
            font.setPointSizeF(10)
            # one column spare: a glyph such as ⏎ may come from a wider fallback font
            self._columns_for = (width, int(width // QFontMetricsF(font).horizontalAdvance("M")) - 1)
        return self._columns_for[1]

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.frame is not None and self.frame.mode == "classes" and self._last_state is not None:
            text = resolve_text(self.frame, self._last_state.time_step, self._text_columns())
            if text != self._text:
                self._text = text
                self.text.setText(text)

    def _click(self, x: float) -> None:
        if self.frame is not None and self.frame.first.x.size:
            self.emit_step(float(np.argmin(np.abs(self.frame.first.x - x))), self._T)

    def _set_time_axis(self, frame: PredictionsFrame) -> None:
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

    def apply(self, plot: PredictionsPlot) -> None:
        self.frame = plot
        first = plot.first
        self._T = first.T
        n = len(first.targets)
        self._ensure_items(len(plot.runs), n)
        self._set_time_axis(first)
        series = plot.mode == "series"
        for r in range(len(self.run_p)):
            f = plot.runs[r] if r < len(plot.runs) else None
            drawn = f is not None
            own = drawn and plot.own_window[r]
            for o, (target, marks, output) in enumerate(zip(self.run_targets[r], self.run_marks[r],
                                                           self.run_outputs[r])):
                shown = series and drawn and o < len(f.outputs)
                output.setVisible(shown)
                target.setVisible(shown and own)
                marks.setVisible(shown and own)
                if shown:
                    output.setData(f.x, f.outputs[o])  # new every frame: no use comparing
                    if own:
                        set_curve(target, f.x, f.targets[o])
                        set_curve(marks, *f.target_marks[o])
            for item in (self.run_p[r], self.run_right[r], self.run_wrong[r]):
                item.setVisible(not series and drawn)
            if drawn and not series:
                self.run_p[r].setData(f.x, f.p_target)
                set_curve(self.run_right[r], *f.right)
                set_curve(self.run_wrong[r], *f.wrong)
        self.text.setVisible(not series)
        if series:
            self.text.setText(plot.note)
            self.text.setVisible(bool(plot.note))
        self.set_span(self.plot, x=plot.x_span, y=plot.y_span)
        self._set_legend(plot)
        set_title(self.plot, plot.title, legend=self.legend, tip=SERIES_TIP if series else CLASSES_TIP)
        self._text = None

    def _set_legend(self, plot: PredictionsPlot) -> None:
        n = len(plot.first.targets)
        key = (plot.mode, n, plot.compare, plot.labels, plot.own_window)
        if key == self._legend_key:
            return
        self._legend_key = key
        entries = []
        runs = list(enumerate(zip(plot.labels, plot.own_window)))
        if plot.mode == "series":
            for o in range(n):
                what = f"output {o}" if n > 1 else "output"
                for r, (label, own) in runs:
                    name = (f"{what}, {label}" if n > 1 else label) if plot.compare else f"output {o}"
                    entries.append((item_key(self.run_outputs[r][o]), name))
                for r, (label, own) in runs:
                    if own:
                        target = f"target {o}" if n > 1 or not plot.compare else "target"
                        entries.append((item_key(self.run_targets[r][o]), f"{target}, {label}" if r else target))
            if n:
                mark = pg.mkPen(self.run_marks[0][0].opts["pen"]).color().name()
                entries.append((f"<span style='color:{mark}'>▬</span>", "target on a loss step"))
            self.plot.setLabel("left", "value", color=cm.FOREGROUND)
        else:
            for r, (label, _) in runs:
                entries.append((item_key(self.run_p[r]), f"p(target), {label}" if plot.compare else "p(target class)"))
            entries += [(item_key(self.run_right[0]), "argmax right (upper)"),
                        (item_key(self.run_wrong[0]), "argmax wrong (lower)")]
            if plot.compare:  # the rows of characters below name the runs A, B, ... by label
                entries.append(("", "rug bands top to bottom: " + ", ".join(plot.names)))
            self.plot.setLabel("left", "p(target)", color=cm.FOREGROUND)
        self.legend_names = [name for _, name in entries]
        self.legend = legend_html(entries)

    def _csv_table(self) -> tuple[list[str], np.ndarray]:
        return table(self.frame)
