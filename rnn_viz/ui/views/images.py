"""An ImageItem whose image becomes pixels in one NumPy pass per new image.

pyqtgraph's ImageItem turns a float image into a QImage at the first paint after each setImage: it
averages blocks for ``autoDownsample`` (a mean over a short inner axis, 0.2 ms for a 128 x 200 panel),
rescales into a uint8 index, and builds an Indexed8 colour table from the lookup table in Python
(256 qRgb calls), about 0.5 ms per heatmap panel and frame (measured, docs/benchmarks.md); an lstm
window has eleven such images. ``FastImageItem`` does the same steps with strided sums, one clip and
one ``take`` into a cached 32-bit colour table, about 0.1 ms, and gives Qt an RGB32/ARGB32 image it
draws without converting. The colours are pyqtgraph's own: the same index (levels rescaled into
256 colours, truncated) and the same table, NaN transparent; anything else (colour images, callable
or long lookup tables) goes through pyqtgraph's conversion unchanged.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QImage

__all__ = ["FastImageItem", "block_mean", "colour_index", "argb_table"]


def block_mean(image: np.ndarray, fx: int, fy: int) -> np.ndarray:
    """``image`` (rows, columns) averaged over blocks of ``fy`` rows by ``fx`` columns, trailing
    partial blocks dropped (as pyqtgraph's ``downsample``; NaN propagates)."""
    out = image
    if fx > 1:
        n = out.shape[1] // fx
        cols = out[:, : n * fx]
        acc = cols[:, 0::fx].copy()
        for k in range(1, fx):
            acc += cols[:, k::fx]
        out = acc / fx
    if fy > 1:
        n = out.shape[0] // fy
        rows = out[: n * fy]
        acc = rows[0::fy].copy()
        for k in range(1, fy):
            acc += rows[k::fy]
        out = acc / fy
    return out


def colour_index(image: np.ndarray, levels, n_colours: int) -> np.ndarray:
    """uint8 index (same shape as ``image``) of each value into ``n_colours`` colours spread over
    ``levels`` (lo, hi), as pyqtgraph's rescale: trunc(clip((v - lo) * n / (hi - lo), 0, n - 1))."""
    lo, hi = float(levels[0]), float(levels[1])
    span = hi - lo
    scale = n_colours / (span if span != 0 else 1.0)
    work = np.subtract(image, lo, dtype=np.float64)
    work *= scale
    # fmax and fmin clip as np.clip does and also take NaN to 0 (a NaN's pixel is transparent, so
    # any index will do), in two passes where clip and nan_to_num took seven: 54 -> 38 us a panel
    np.fmax(work, 0, out=work)
    np.fmin(work, n_colours - 1, out=work)
    return work.astype(np.uint8)


def argb_table(lut: np.ndarray) -> tuple[np.ndarray, bool]:
    """(uint32 ARGB colour of each row of ``lut`` (n, 3|4) uint8, whether any is translucent)."""
    lut = np.asarray(lut, dtype=np.uint8)
    if lut.ndim == 1:
        lut = np.repeat(lut[:, None], 3, axis=1)
    r, g, b = (lut[:, i].astype(np.uint32) for i in range(3))
    a = lut[:, 3].astype(np.uint32) if lut.shape[1] == 4 else np.full(len(lut), 255, np.uint32)
    return (a << 24) | (r << 16) | (g << 8) | b, bool((a < 255).any())


class FastImageItem(pg.ImageItem):
    """``pg.ImageItem`` with a one-pass conversion of 2-D float or integer images on a uint8 lookup
    table of at most 256 colours with levels set (the views' heatmaps); same interface."""

    def __init__(self, *args, **kwargs):
        self._table_for = None  # the lookup table the cached colour table was built from
        self._table = None
        self._translucent = False
        super().__init__(*args, **kwargs)

    def _colour_table(self, lut):
        if lut is not self._table_for:
            self._table, self._translucent = argb_table(lut)
            self._table_for = lut
        return self._table

    def _fast_path(self) -> bool:
        image, lut, levels = self.image, self.lut, self.levels
        return (image is not None and image.ndim == 2 and image.dtype.kind in "fiu"
                and isinstance(lut, np.ndarray) and lut.dtype == np.uint8 and 0 < lut.shape[0] <= 256
                and (lut.ndim == 1 or lut.shape[1] in (3, 4))
                and levels is not None and np.ndim(levels) == 1)

    def render(self):
        if self.image is None or self.image.size == 0 or not self._fast_path():
            return super().render()
        self._unrenderable = True
        image = self.image
        if self._imageHasNans is None:
            self._imageHasNans = image.dtype.kind == "f" and bool(np.isnan(image.min()))
        if self.autoDownsample:
            fx, fy = self._computeDownsampleFactors()
            if fx is None:
                return
            self._lastDownsample = (fx, fy)
            if self.axisOrder == "col-major":  # x runs down the array's rows
                fx, fy = fy, fx
            image = block_mean(image, fx, fy)
            if image.size == 0:
                return
        if self.axisOrder == "col-major":
            image = image.T
        table = self._colour_table(self.lut)
        pixels = table.take(colour_index(image, self.levels, len(table)))
        translucent = self._translucent
        if self._imageHasNans:
            pixels[np.isnan(image)] = 0
            translucent = True
        fmt = QImage.Format.Format_ARGB32 if translucent else QImage.Format.Format_RGB32
        self.qimage = pg.functions.ndarray_to_qimage(np.ascontiguousarray(pixels), fmt)
        self._processingBuffer = None
        self._displayBuffer = None
        self._renderRequired = False
        self._unrenderable = False
