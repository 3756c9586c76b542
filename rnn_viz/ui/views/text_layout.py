"""Keep the shaped glyphs of the views' text items from one paint to the next.

A QGraphicsTextItem (plot titles, axis labels, readouts, line labels) draws a QTextDocument whose
blocks are laid out by QTextLayout, and QTextLayout throws its shaped glyphs away after laying a
block out and again after every draw unless its cache is enabled (``QTextLayout.setCacheEnabled``).
So every paint of a view shaped all its text again with HarfBuzz: about a tenth of the six views'
paint (0.66 of 6.5 ms CPU, measured with benchmarks/redraw.py's layout). With the cache on, the
same glyphs are drawn the same way, from the kept shaping (pixel-identical).

A document makes new blocks when its text is set again (``setHtml``), so the cache is enabled on
every block each time the document's contents change.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QGraphicsTextItem

__all__ = ["keep_text_layouts", "layouts_kept"]


class _LayoutKeeper(QObject):
    """Lives as a child of its document (so it goes with it) and enables the cache of every new block."""

    def __init__(self, document: QTextDocument):
        super().__init__(document)
        document.contentsChanged.connect(self.keep)
        self.keep()

    @Slot()
    def keep(self) -> None:
        block = self.parent().begin()
        while block.isValid():
            layout = block.layout()
            if layout is not None and not layout.cacheEnabled():
                layout.setCacheEnabled(True)
            block = block.next()


def keep_text_layouts(items) -> None:
    """Keep the shaping of every QGraphicsTextItem among ``items`` (a scene's items) from now on;
    items already kept are passed over."""
    for item in items:
        if isinstance(item, QGraphicsTextItem):
            document = item.document()
            if document.findChild(_LayoutKeeper) is None:
                _LayoutKeeper(document)


def layouts_kept(item: QGraphicsTextItem) -> bool:
    """Whether every block of ``item``'s document keeps its shaped glyphs between paints."""
    block = item.document().begin()
    while block.isValid():
        if not block.layout().cacheEnabled():
            return False
        block = block.next()
    return True
