"""Exporting views: PNG (chosen size and DPI), SVG and CSV, one view or all of them at once.

All image output goes through pyqtgraph's exporters on the item or scene a view offers
(``view.export_item()``). SVG goes through pyqtgraph's SVGExporter, patched for Qt >= 6.11 by
``pyqtgraph_svg_3495`` (pyqtgraph #3495); tests export SVG and parse it on the oldest and newest Qt.
"""
from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

__all__ = [
    "FORMATS", "ExportError", "export_png", "export_svg", "export_csv", "export_view", "export_all",
    "write_metrics_csv", "safe_name", "laid_out", "export_size", "integer_columns", "INTEGER_COLUMNS",
    "summary",
]

FORMATS = ("png", "svg", "csv")
INCH = 0.0254


class ExportError(OSError):
    """An export that could not be written (unwritable path, empty view); the message says which."""


def safe_name(text: str) -> str:
    """A file-name-safe version of a view name ("Gradient flow" -> "gradient_flow")."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "view"


def _exporter_target(view):
    item = view.export_item()
    if item is None:
        raise ExportError(f"the view {view.objectName() or type(view).__name__} has nothing to export")
    return item


def export_size(view, width: int | None = None, height: int | None = None) -> tuple[int, int]:
    """The (width, height) in pixels an export of ``view`` is laid out at: as given, a missing one
    from the on-screen aspect ratio, both missing the on-screen size."""
    rect = _exporter_target(view).sceneBoundingRect()
    w0, h0 = max(rect.width(), 1.0), max(rect.height(), 1.0)
    if width and height:
        return int(width), int(height)
    if width:
        return int(width), max(1, int(round(width * h0 / w0)))
    if height:
        return max(1, int(round(height * w0 / h0))), int(height)
    return int(round(w0)), int(round(h0))


def _settle_layouts() -> None:
    # Only the posted layout requests of the scene's items (sizes, wrapped text): no timer and no
    # training record is handled in the middle of an export.
    from PySide6.QtCore import QCoreApplication, QEvent

    for _ in range(4):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)


def _tell_size(view, size, old) -> None:
    """Let the view adapt to ``size`` as on a resize (the graph's legend columns, ...); its own
    widget layout keeps the real geometry (QLayout lays out from the widget's rect, not the event)."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtGui import QResizeEvent

    QCoreApplication.sendEvent(view, QResizeEvent(size, old))


@contextmanager
def laid_out(view, width: int, height: int):
    """``view`` laid out at ``width`` x ``height`` scene pixels and without its interactive hints
    (``set_export_mode``) while the block runs; afterwards as it was. Works for a view that is
    docked, hidden in a tab or alone: only its scene's layout is resized, never the window's."""
    from PySide6.QtCore import QRectF, QSize
    from PySide6.QtWidgets import QWidget

    item = _exporter_target(view)
    canvas = getattr(view, "canvas", None)
    old_rect = item.geometry() if hasattr(item, "geometry") else None
    real = view.size() if isinstance(view, QWidget) else None  # a figure that only offers export_item
    set_mode = getattr(view, "set_export_mode", None)
    if set_mode is not None:
        set_mode(True)
    try:
        if old_rect is not None:
            if real is not None:
                _tell_size(view, QSize(int(width), int(height)), real)
            item.setGeometry(QRectF(0.0, 0.0, float(width), float(height)))
            _settle_layouts()
        yield item
    finally:
        if old_rect is not None:
            if real is not None:
                _tell_size(view, real, QSize(int(width), int(height)))
            if canvas is not None and hasattr(canvas, "range"):
                item.setGeometry(QRectF(canvas.range))  # what pyqtgraph's GraphicsView keeps it at
            else:
                item.setGeometry(old_rect)
            _settle_layouts()
        if set_mode is not None:
            set_mode(False)


def export_png(view, path: Path, width: int | None = None, height: int | None = None,
               dpi: float = 96.0) -> tuple[int, int]:
    """Render ``view`` to a PNG of ``width`` x ``height`` pixels (either may be None: keep the
    on-screen size / aspect ratio), tagged with ``dpi``. The view is laid out at that size first
    (``laid_out``: plots fill the image, texts keep their size) and drawn without its interactive
    hints. Returns the written (width, height)."""
    from pyqtgraph.exporters import ImageExporter

    width, height = export_size(view, width, height)
    if width <= 0 or height <= 0:
        raise ExportError(f"cannot export an empty image ({width} x {height} px)")
    with laid_out(view, width, height) as item:
        exporter = ImageExporter(item)
        params = exporter.parameters()
        params["width"] = int(width)  # also sets height from the aspect ratio
        params.param("height").setValue(int(height), blockSignal=exporter.heightChanged)
        image = exporter.export(toBytes=True)
    dots_per_meter = int(round(dpi / INCH))
    image.setDotsPerMeterX(dots_per_meter)
    image.setDotsPerMeterY(dots_per_meter)
    path = Path(path)
    if not image.save(str(path), "PNG"):
        raise ExportError(f"could not write {path}: check that the folder exists and is writable")
    return image.width(), image.height()


def export_svg(view, path: Path, width: int | None = None, height: int | None = None) -> None:
    """Write ``view`` as SVG through pyqtgraph's SVGExporter, laid out at ``width`` x ``height``
    (as export_png; default: as on screen) and without its interactive hints."""
    from pyqtgraph.exporters import SVGExporter

    from rnn_viz.ui import pyqtgraph_svg_3495

    pyqtgraph_svg_3495.install()

    width, height = export_size(view, width, height)
    with laid_out(view, width, height) as item:
        data = SVGExporter(item).export(toBytes=True)
    _write_bytes(Path(path), data)


def _write_bytes(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise ExportError(f"could not write {path}: {exc.strerror or exc}") from exc


# Columns that count things (updates, time steps, indices, 0/1 flags): written as integers when
# every value is a whole number (a file's time column may hold fractional seconds, then floats).
# A compare-mode column "step [run B]" is its run's "step".
INTEGER_COLUMNS = frozenset({"step", "t", "k", "i", "layer", "unit", "window_start", "loss_step",
                             "target", "predicted"})


def _cell(value) -> str:
    if isinstance(value, (float, np.floating)):
        return "" if math.isnan(value) else repr(float(value))
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    return str(value)


def _whole(values: np.ndarray) -> bool:
    try:
        v = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    finite = v[np.isfinite(v)]
    return bool(np.all(finite == np.round(finite)) and np.all(np.abs(finite) < 2.0**53))


def integer_columns(columns: Sequence[str], rows) -> list[bool]:
    """Per column: whether it is written as integers (INTEGER_COLUMNS, whole numbers only)."""
    table = np.asarray(rows, dtype=object) if not isinstance(rows, np.ndarray) else rows
    out = []
    for j, name in enumerate(columns):
        base = str(name).split(" [", 1)[0]
        out.append(base in INTEGER_COLUMNS and (table.ndim < 2 or table.shape[0] == 0 or _whole(table[:, j])))
    return out


def export_csv(view, path: Path) -> list[str]:
    """Write ``view.csv_table()`` (columns, rows) as CSV with a header; returns the columns."""
    columns, rows = view.csv_table()
    _write_table(Path(path), list(columns), rows)
    return list(columns)


def _write_table(path: Path, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    if not isinstance(rows, np.ndarray):
        rows = list(rows)
    as_int = integer_columns(columns, rows) if len(rows) else [False] * len(columns)

    def cell(value, integer: bool) -> str:
        if integer and not isinstance(value, str):
            v = float(value)
            return "" if math.isnan(v) else str(int(v))
        return _cell(value)

    try:
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            for row in rows:
                writer.writerow([cell(v, i) for v, i in zip(row, as_int)])
    except OSError as exc:
        raise ExportError(f"could not write {path}: {exc.strerror or exc}") from exc


def export_view(view, path: Path, fmt: str | None = None, *, width: int | None = None,
                height: int | None = None, dpi: float = 96.0) -> Path:
    """Export one view in ``fmt`` (png, svg or csv; default: from the file suffix)."""
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise ExportError(f"cannot export {path.name}: format {fmt!r} is not one of {', '.join(FORMATS)}")
    if fmt == "png":
        export_png(view, path, width, height, dpi)
    elif fmt == "svg":
        export_svg(view, path, width, height)
    else:
        export_csv(view, path)
    return path


def write_metrics_csv(path: Path, history: Mapping[str, np.ndarray], columns: Sequence[str] | None = None) -> None:
    """Write metrics columns (name -> (N,) array) as metrics.csv: in the order of ``columns`` (the
    run's ``metric_columns()``, metrics.csv's documented order; default: the mapping's order, which
    a MetricsHistory keeps from the rows), then any others; ``step`` as integers."""
    names = [k for k in (columns or ()) if k in history] + [k for k in history if k not in (columns or ())]
    n = min((len(history[k]) for k in names), default=0)
    rows = np.column_stack([np.asarray(history[k][:n], dtype=np.float64) for k in names]) if names else []
    _write_table(Path(path), names, rows)


def export_all(views: Sequence[tuple[str, object]], out_dir: Path, *, formats: Sequence[str] = FORMATS,
               history: Mapping[str, np.ndarray] | None = None, experiment_toml: str | None = None,
               width: int | None = None, height: int | None = None, dpi: float = 96.0,
               metric_columns: Sequence[str] | None = None) -> list[Path]:
    """Export every (name, view) in every format into ``out_dir`` (created), each laid out at
    ``width`` x ``height``, with ``metrics.csv`` (columns in ``metric_columns``' order) and
    ``experiment.toml`` when given. Returns the written paths."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"could not create the folder {out_dir}: {exc.strerror or exc}") from exc
    written = []
    for name, view in views:
        for fmt in formats:
            written.append(export_view(view, out_dir / f"{safe_name(name)}.{fmt}", fmt,
                                       width=width, height=height, dpi=dpi))
    if history is not None:
        write_metrics_csv(out_dir / "metrics.csv", history, metric_columns)
        written.append(out_dir / "metrics.csv")
    if experiment_toml is not None:
        _write_bytes(out_dir / "experiment.toml", experiment_toml.encode("utf-8"))
        written.append(out_dir / "experiment.toml")
    return written


def summary(written: Sequence[Path], folder: Path) -> str:
    """One line saying where an export wrote what: "Exported 20 files to DIR: graph, flow (.png,
    .svg, .csv), metrics.csv, experiment.toml"."""
    views: dict[str, list[str]] = {}
    others = []
    for path in written:
        path = Path(path)
        if path.stem in ("metrics", "metrics_b", "experiment"):
            others.append(path.name)
        else:
            views.setdefault(path.stem, []).append(path.suffix)
    suffixes = sorted({tuple(v) for v in views.values()})
    what = ", ".join(views)
    if len(suffixes) == 1:
        what += f" ({', '.join(suffixes[0])})"
    parts = [p for p in (what, *others) if p]
    return f"Exported {len(written)} files to {folder}: {', '.join(parts)}"
