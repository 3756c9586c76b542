"""Settle a view's geometry before Qt paints it, so a frame is painted once.

pyqtgraph applies a new range lazily: the ViewBox's transform is brought up to date at the start
of the next paint (``prepareForPaint``), which tells every curve its view changed, and an infinite
line works out its new bounding rect while being painted. Both call ``prepareGeometryChange`` in
the middle of the paint, so the scene marks those areas dirty again and Qt paints the view a second
time on the next turn of the event loop: with a range change per frame the flow and predictions
views painted 1.33 and 1.5 times per frame (measured with benchmarks/redraw.py). Doing the same work
right after a frame is applied leaves nothing for the paint to change.
"""
from __future__ import annotations

import pyqtgraph as pg

__all__ = ["settle"]


def settle(scene: pg.GraphicsScene, items) -> None:
    """Bring the view boxes of ``scene`` to their new ranges now, and the bounding rects of the
    infinite lines among ``items`` (the view's curves and lines, BaseView's cached list)."""
    scene.prepareForPaint()
    for item in items:
        if isinstance(item, pg.InfiniteLine):
            try:
                item.boundingRect()
            except RuntimeError:  # deleted since the list was taken: nothing to settle
                pass
