"""Pens the views draw with: every curve and line capped at MAX_PEN_WIDTH, for Qt's fast line drawer."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QPen

__all__ = ["MAX_PEN_WIDTH", "thin_pen", "pen_items", "thin_pens"]

# Qt's raster engine strokes a cosmetic pen up to 1 px wide with its fast line drawer and anything
# wider as a filled outline: a 2,000-point curve paints in 0.3 ms at 1 px, 1.6 ms at 1.5 px and
# 7 ms at 1.5 px antialiased; at 1 px a dashed curve costs what a solid one does (measured, see
# docs/benchmarks.md). So every curve and line a view draws is capped at this width (thin_pens),
# dashes are kept (they tell runs apart), and antialiasing stays off (pyqtgraph's default).
MAX_PEN_WIDTH = 1.0


def thin_pen(pen: QPen) -> QPen:
    """``pen`` itself if it is a cosmetic pen at most MAX_PEN_WIDTH wide, else such a copy of it."""
    if pen.isCosmetic() and pen.widthF() <= MAX_PEN_WIDTH:
        return pen
    thin = QPen(pen)
    thin.setWidthF(min(pen.widthF(), MAX_PEN_WIDTH))
    thin.setCosmetic(True)
    return thin


def pen_items(scene) -> list:
    """The curves and infinite lines of ``scene`` that thin_pens caps. Sets of separate short
    segments (``connect="pairs"``: edges whose width shows a magnitude, markers) keep their width:
    they are cheap to stroke and their width carries meaning. ``scene``: a scene or its items."""
    items = scene.items() if hasattr(scene, "items") else scene
    return [item for item in items if isinstance(item, pg.InfiniteLine)
            or (isinstance(item, pg.PlotCurveItem) and not _is_pairs(item.opts.get("connect")))]


def _is_pairs(connect) -> bool:
    return isinstance(connect, str) and connect == "pairs"


def thin_pens(items) -> None:
    """Cap the pen of every curve and infinite line in ``items`` at MAX_PEN_WIDTH. A PlotDataItem
    keeps the pen it was given (its curve child is what paints), so legends built from it
    (item_key) still show the colour and dash meant."""
    for item in items:
        pen = item.opts["pen"] if isinstance(item, pg.PlotCurveItem) else item.pen
        if isinstance(pen, QPen) and thin_pen(pen) is not pen:
            item.setPen(thin_pen(pen))
