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
from pathlib import Path

import numpy as np

__all__ = [
    "FORMATS", "ExportError", "export_png", "export_svg", "export_csv", "export_view", "export_all",
    "write_metrics_csv", "safe_name",
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


def export_png(view, path: Path, width: int | None = None, height: int | None = None,
               dpi: float = 96.0) -> tuple[int, int]:
    """Render ``view.export_item()`` to a PNG of ``width`` x ``height`` pixels (either may be None:
    keep the on-screen size / aspect ratio), tagged with ``dpi``. Returns the written (width, height)."""
    from pyqtgraph.exporters import ImageExporter

    exporter = ImageExporter(_exporter_target(view))
    params = exporter.parameters()
    if width:
        params["width"] = int(width)  # also sets height from the aspect ratio
    if height:
        params.param("height").setValue(int(height), blockSignal=exporter.heightChanged)
    if params["width"] <= 0 or params["height"] <= 0:
        raise ExportError(f"cannot export an empty image ({params['width']} x {params['height']} px)")
    image = exporter.export(toBytes=True)
    dots_per_meter = int(round(dpi / INCH))
    image.setDotsPerMeterX(dots_per_meter)
    image.setDotsPerMeterY(dots_per_meter)
    path = Path(path)
    if not image.save(str(path), "PNG"):
        raise ExportError(f"could not write {path}: check that the folder exists and is writable")
    return image.width(), image.height()


def export_svg(view, path: Path) -> None:
    """Write ``view.export_item()`` as SVG through pyqtgraph's SVGExporter."""
    from pyqtgraph.exporters import SVGExporter

    from rnn_viz.ui import pyqtgraph_svg_3495

    pyqtgraph_svg_3495.install()

    data = SVGExporter(_exporter_target(view)).export(toBytes=True)
    _write_bytes(Path(path), data)


def _write_bytes(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise ExportError(f"could not write {path}: {exc.strerror or exc}") from exc


def _cell(value) -> str:
    if isinstance(value, (float, np.floating)):
        return "" if math.isnan(value) else repr(float(value))
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)


def export_csv(view, path: Path) -> list[str]:
    """Write ``view.csv_table()`` (columns, rows) as CSV with a header; returns the columns."""
    columns, rows = view.csv_table()
    _write_table(Path(path), list(columns), rows)
    return list(columns)


def _write_table(path: Path, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    try:
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            for row in rows:
                writer.writerow([_cell(v) for v in row])
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
        export_svg(view, path)
    else:
        export_csv(view, path)
    return path


def write_metrics_csv(path: Path, history: Mapping[str, np.ndarray]) -> None:
    """Write metrics columns (name -> (N,) array, ``step`` first when present) as metrics.csv."""
    names = sorted(history, key=lambda k: (k != "step", k))
    n = min((len(history[k]) for k in names), default=0)
    rows = []
    for i in range(n):
        row = []
        for k in names:
            v = float(history[k][i])
            row.append(int(v) if k == "step" and not math.isnan(v) else v)
        rows.append(row)
    _write_table(Path(path), names, rows)


def export_all(views: Sequence[tuple[str, object]], out_dir: Path, *, formats: Sequence[str] = FORMATS,
               history: Mapping[str, np.ndarray] | None = None, experiment_toml: str | None = None,
               width: int | None = None, height: int | None = None, dpi: float = 96.0) -> list[Path]:
    """Export every (name, view) in every format into ``out_dir`` (created), with ``metrics.csv``
    and ``experiment.toml`` when given. Returns the written paths."""
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
        write_metrics_csv(out_dir / "metrics.csv", history)
        written.append(out_dir / "metrics.csv")
    if experiment_toml is not None:
        _write_bytes(out_dir / "experiment.toml", experiment_toml.encode("utf-8"))
        written.append(out_dir / "experiment.toml")
    return written
