"""The views' text: titles with their legend line, legend keys, and labels that wrap to their width."""
from __future__ import annotations

import html

import pyqtgraph as pg
from PySide6.QtCore import Qt

from rnn_viz.ui import colormaps as cm

__all__ = ["LABEL_SIZE", "LEGEND_SIZE", "NOWRAP_NAME", "WrappingLabel", "PlotTitle", "set_title", "legend_html",
           "line_key", "item_key", "text_label"]

LABEL_SIZE = "9pt"
LEGEND_SIZE = "8pt"


def set_title(plot: pg.PlotItem, text: str, legend: str | None = None, tip: str | None = None) -> None:
    """Set a plot's title, with an optional ``legend`` line under it (HTML from ``legend_html``) and
    a ``tip`` for the explanation that does not fit; only when they change (pyqtgraph re-lays out
    the HTML every time). Legends live in the title rather than over the data they describe."""
    full = text if not legend else f"{text}<br><span style='font-size:{LEGEND_SIZE}'>{legend}</span>"
    if getattr(plot, "_rnn_viz_title", None) != full:
        plot._rnn_viz_title = full
        plot.setTitle(full, color=cm.FOREGROUND, size="10pt")
    if tip is not None and plot.titleLabel.toolTip() != tip:
        plot.titleLabel.setToolTip(tip)


def line_key(pen) -> str:
    """HTML: a short sample of a curve drawn with ``pen`` (solid, dashed or dotted, in its colour)."""
    pen = pg.mkPen(pen)
    style = pen.style()
    if style == Qt.PenStyle.DashLine:
        glyph = "<b>\u2011&nbsp;\u2011</b>"  # non-breaking hyphens: a line may not break inside the key
    elif style == Qt.PenStyle.DotLine:
        glyph = "<b>···</b>"
    else:
        glyph = "━━"
    return f"<span style='color:{pen.color().name()}'>{glyph}</span>"


def item_key(item) -> str:
    """``line_key`` of a PlotDataItem or PlotCurveItem's pen."""
    return line_key(item.opts["pen"])


NOWRAP_NAME = 24  # legend names up to this many characters never break across lines


def legend_html(entries) -> str:
    """A line of legend entries ``(key_html, name)``. It wraps between entries; a name breaks inside
    only when it is long (a narrow dock must still show it whole)."""
    def name_html(name: str) -> str:
        text = html.escape(name)
        return text.replace(" ", "&nbsp;") if len(name) <= NOWRAP_NAME else text

    return "&nbsp;&nbsp; ".join(f"{key}&nbsp;{name_html(name)}" for key, name in entries)


class WrappingLabel(pg.LabelItem):
    """A LabelItem that wraps its text to the width the layout gives it.

    pyqtgraph's LabelItem asks for its whole single-line width as a minimum, so one long readout
    would push every plot in the layout out of a narrow dock.
    """

    MIN_WIDTH = 120.0

    def setText(self, text, **args):
        # Re-laying out rich text costs ~0.3 ms; readouts are set every frame but rarely change.
        if not args and text == getattr(self, "text", None):
            return
        super().setText(text, **args)

    def resizeEvent(self, ev):
        width = self.rect().width()
        if width > 0 and abs(self.item.textWidth() - width) > 0.5:
            self.item.setTextWidth(width)
        if self.opts.get("justify") == "center":
            # Justify only places the text block; lines inside a wrapped block are aligned here.
            option = self.item.document().defaultTextOption()
            if option.alignment() != Qt.AlignmentFlag.AlignHCenter:
                option.setAlignment(Qt.AlignmentFlag.AlignHCenter)
                self.item.document().setDefaultTextOption(option)
        super().resizeEvent(ev)

    def updateMin(self):
        height = self.itemRect().height()
        self._same_size = self._sizeHint.get(Qt.SizeHint.MinimumSize) == (self.MIN_WIDTH, height) \
            if hasattr(self, "_sizeHint") else False
        if self._same_size:
            return  # asking the layout again would lay out, and repaint, the whole view
        self.setMinimumWidth(self.MIN_WIDTH)
        self.setMinimumHeight(height)
        self._sizeHint = {
            Qt.SizeHint.MinimumSize: (self.MIN_WIDTH, height),
            Qt.SizeHint.PreferredSize: (self.MIN_WIDTH, height),
            Qt.SizeHint.MaximumSize: (-1, -1),
            Qt.SizeHint.MinimumDescent: (0, 0),
        }
        self.updateGeometry()

    def updateGeometry(self):
        # LabelItem.setText asks for a new geometry after every text; only a new size needs one.
        if not getattr(self, "_same_size", False):
            super().updateGeometry()

    @property
    def plain_text(self) -> str:
        return self.item.toPlainText()


class PlotTitle(WrappingLabel):
    """A plot title that wraps onto more lines in a narrow dock instead of being cut off, and takes
    the height it needs (pyqtgraph fixes the title row at 30 px, one line)."""

    MIN_WIDTH = 40.0
    # The least height of its row (px), e.g. that of a neighbour plot's title wrapped onto more
    # lines: plots side by side keep their data areas level.
    min_height = 0.0

    def __init__(self, plot: pg.PlotItem):
        self._plot = plot
        super().__init__("", parent=plot, color=cm.FOREGROUND, justify="center")

    def updateMin(self):
        super().updateMin()
        if self.isVisible() and self.text:
            height = max(self.itemRect().height(), 20.0, self.min_height)
            self.setMaximumHeight(height)
            self._plot.layout.setRowFixedHeight(0, height)


def text_label(justify: str = "left", size: str = LABEL_SIZE) -> WrappingLabel:
    return WrappingLabel("", color=cm.FOREGROUND, size=size, justify=justify)
