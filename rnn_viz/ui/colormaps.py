"""Colour maps and colours shared by the views: perceptually uniform and colour-blind safe.

One place decides which map means what, so the same quantity looks the same in every view:

- ``SIGNED`` (Kovesi's CET-CBD1, blue - white - yellow, safe for red-green colour blindness): signed
  values around 0 (tanh hidden states, the LSTM/GRU candidate, cell state).
- ``UNIT`` (viridis): values in [0, 1] (sigmoid gates, mean |h| of a node).
- ``MAGNITUDE`` (cividis): positive magnitudes on a log scale (gradient flow, gradient edges).
- ``LAYER_COLORS``: the Okabe-Ito palette, one colour per layer (distinct under every common colour
  vision deficiency); run B reuses the layer's colour with a dashed line.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QPen

__all__ = [
    "SIGNED", "UNIT", "MAGNITUDE", "LAYER_COLORS", "FOREGROUND", "BACKGROUND", "ACCENT",
    "colormap", "lookup_table", "brush_table", "layer_color", "layer_pen",
]

SIGNED = "CET-CBD1"
UNIT = "viridis"
MAGNITUDE = "cividis"

# Okabe & Ito (2008), "Color Universal Design": blue, vermillion, bluish green, reddish purple, ...
LAYER_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
FOREGROUND = "#202020"
BACKGROUND = "#ffffff"
# The selected time step: a colour no map above produces, so the marker never blends into an image.
ACCENT = "#E6007E"


@lru_cache(maxsize=None)
def colormap(name: str) -> pg.ColorMap:
    """The pyqtgraph ColorMap called ``name`` (cached: building one parses a CSV)."""
    return pg.colormap.get(name)


@lru_cache(maxsize=None)
def lookup_table(name: str, n: int = 256) -> np.ndarray:
    """(n, 4) uint8 RGBA lookup table of map ``name`` (for ImageItem.setLookupTable)."""
    table = colormap(name).getLookupTable(nPts=n, alpha=True)
    table.setflags(write=False)
    return table


@lru_cache(maxsize=None)
def brush_table(name: str, n: int) -> tuple[QBrush, ...]:
    """n brushes sampling map ``name`` evenly from its low to its high end.

    Scatter plots colour their points from this fixed table, so pyqtgraph's symbol atlas holds at most
    n entries however the values change.
    """
    rgba = lookup_table(name, n)
    return tuple(QBrush(QColor(int(r), int(g), int(b), int(a))) for r, g, b, a in rgba)


def layer_color(layer: int) -> str:
    return LAYER_COLORS[layer % len(LAYER_COLORS)]


RUN_STYLES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DashDotLine, Qt.PenStyle.DashDotDotLine)


def layer_pen(layer: int, run_b: bool = False, width: float = 2.0, run: int = 0) -> QPen:
    """The pen of layer ``layer``'s curve of run number ``run`` (0 = A): solid for run A, dashed
    for run B (``run_b``), dash-dot for C, dash-dot-dot for D and so on."""
    pen = pg.mkPen(layer_color(layer), width=width)
    style = RUN_STYLES[(1 if run_b else run) % len(RUN_STYLES)]
    if style != Qt.PenStyle.SolidLine:
        pen.setStyle(style)
    pen.setCosmetic(True)
    return pen
