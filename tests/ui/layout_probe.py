"""Measure every view of the window on the screen Qt was started with; print the faults as JSON.

Run in a subprocess per screen (tests/ui/test_layouts_screens.py): the offscreen platform takes the
screen's size from ``QT_QPA_PLATFORM=offscreen:configfile=<json>`` and the pixel ratio from
``QT_SCALE_FACTOR``, both fixed when the process starts. The window is built with empty settings, so
it opens in the default layout for that screen; each case (an experiment, single then compare mode)
gets one or two updates, then every visible view is measured, with each tab of a tab group brought to
the front in turn. Sizes are logical pixels (scene coordinates of a view's canvas).

A fault names the view, the screen, the case and what is wrong: a plot area under MIN_PLOT px, a
text or plot outside the canvas (cut off at the dock edge), two texts that intersect (axis labels,
titles, legends and other text items by their drawn lines, tick labels as pyqtgraph lays them out in
``AxisItem.generateDrawSpecs``), or a line of text broken inside a word.

    python -m tests.ui.layout_probe OUT.json
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QPoint, QRect, QRectF
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication, QGraphicsTextItem

MIN_PLOT = 150  # logical px: the smallest plot area, both ways, a view may give its data
# A plot that declares itself an overview strip (``plot.overview_strip = True``: the unrolled graph's
# binned whole-sequence strip under its detail plot) is a navigator, not a data area: as wide as a
# plot, and at least this tall.
MIN_STRIP = 16
TICK_GAP = 3.0  # logical px: tick labels of one axis closer than this read as one number
SLACK = 0.75  # logical px of overlap (anti-aliased glyph edges) that is not a collision


@dataclass
class Fault:
    view: str
    kind: str  # "plot-size", "cut-off", "overlap", "mid-word", "window"
    what: str
    screen: str = ""
    case: str = ""
    front: str = ""


def _rect(r: QRectF) -> list[float]:
    return [round(r.x(), 1), round(r.y(), 1), round(r.width(), 1), round(r.height(), 1)]


# --- what a view draws ------------------------------------------------------------------------

def _owner(item) -> str:
    """A short name for what a text item belongs to: a plot title, an axis label, a legend..."""
    parent = item.parentItem()
    while parent is not None:
        if isinstance(parent, pg.AxisItem):
            return f"{parent.orientation} axis label"
        if isinstance(parent, pg.LegendItem):
            return "legend"
        if isinstance(parent, pg.LabelItem):
            grand = parent.parentItem()
            if isinstance(grand, pg.PlotItem) and grand.titleLabel is parent:
                return "title"
            return "label"
        if isinstance(parent, pg.InfiniteLine):
            return "line label"
        if isinstance(parent, pg.TextItem):
            return "text"
        parent = parent.parentItem()
    return "text"


def _clip_rect(item) -> QRectF | None:
    """The scene rectangle a ViewBox clips ``item`` to (None: not inside a ViewBox)."""
    parent = item.parentItem()
    while parent is not None:
        if isinstance(parent, pg.ViewBox):
            return parent.sceneBoundingRect()
        parent = parent.parentItem()
    return None


def text_lines(item: QGraphicsTextItem) -> list[tuple[str, QRectF, bool]]:
    """(text, scene rect, broken inside a word) of each drawn line of ``item``."""
    doc = item.document()
    layout = doc.documentLayout()
    transform = item.sceneTransform()
    margin = doc.documentMargin()
    lines = []
    block = doc.begin()
    while block.isValid():
        text = block.text()
        tl = block.layout()
        origin = layout.blockBoundingRect(block).topLeft()
        for i in range(tl.lineCount()):
            line = tl.lineAt(i)
            piece = text[line.textStart(): line.textStart() + line.textLength()]
            if not piece.strip():
                continue
            end = line.textStart() + line.textLength()
            mid_word = (i < tl.lineCount() - 1 and end < len(text) and end > 0
                        and text[end - 1].isalnum() and text[end].isalnum())
            r = line.naturalTextRect().translated(origin)
            r = QRectF(r.x(), r.y(), max(r.width(), 0.0), r.height())
            lines.append((piece.strip(), transform.mapRect(r), mid_word))
        block = block.next()
    del margin
    return lines


def tick_texts(axis: pg.AxisItem) -> list[tuple[str, QRectF]]:
    """(text, scene rect) of each tick label ``axis`` draws, as generateDrawSpecs lays them out."""
    if not axis.style.get("showValues", True):
        return []
    image = QImage(4, 4, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    if specs is None:
        return []
    transform = axis.sceneTransform()
    return [(text, transform.mapRect(QRectF(rect))) for rect, _flags, text in specs[2] if text]


@dataclass
class Text:
    name: str
    rect: QRectF
    group: str  # tick labels of one axis share a group (checked with TICK_GAP)


def view_texts(view) -> tuple[list[Text], list[Fault]]:
    scene = view.canvas.scene()
    texts, faults = [], []
    for item in scene.items():
        if not item.isVisible() or item.opacity() == 0:
            continue
        if isinstance(item, QGraphicsTextItem):
            owner = _owner(item)
            clip = _clip_rect(item)
            for text, rect, mid_word in text_lines(item):
                if clip is not None:
                    rect = rect.intersected(clip)
                    if rect.isEmpty():
                        continue
                name = f"{owner} {text[:60]!r}"
                texts.append(Text(name, rect, f"text:{id(item)}"))
                if mid_word:
                    faults.append(Fault("", "mid-word", f"{name} breaks inside a word (line ends {text[-12:]!r})"))
        elif isinstance(item, pg.AxisItem) and item.isVisible():
            plot = item.parentItem()
            where = _plot_name(plot)
            for text, rect in tick_texts(item):
                texts.append(Text(f"tick {text!r} of the {item.orientation} axis of {where}", rect,
                                  f"ticks:{id(item)}"))
    return texts, faults


def _plot_name(plot) -> str:
    title = getattr(getattr(plot, "titleLabel", None), "item", None)
    text = title.toPlainText().splitlines()[0] if title is not None and title.toPlainText() else ""
    return f"plot {text[:40]!r}" if text else f"a plot at {_rect(plot.sceneBoundingRect())[:2]}" \
        if plot is not None else "a plot"


def overlaps(texts: list[Text]) -> list[str]:
    out = []
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            if a.group == b.group and not a.group.startswith("ticks:"):
                continue  # lines of one text item
            pad = TICK_GAP / 2 if a.group == b.group else -SLACK
            ra, rb = a.rect.adjusted(-pad, -pad, pad, pad), b.rect.adjusted(-pad, -pad, pad, pad)
            if a.group == b.group:  # ticks of one axis: along the axis only
                ra, rb = a.rect.adjusted(-pad, 0, pad, 0), b.rect.adjusted(-pad, 0, pad, 0)
            hit = ra.intersected(rb)
            if hit.width() > 0 and hit.height() > 0:
                out.append(f"{a.name} at {_rect(a.rect)} intersects {b.name} at {_rect(b.rect)}")
    return out


def plot_areas(view) -> list[tuple[str, QRectF]]:
    """(name, scene rect) of every visible plot area (ViewBox) of ``view``, colour bars left out."""
    out = []
    for item in view.canvas.scene().items():
        if isinstance(item, pg.ViewBox) and item.isVisible():
            parent = item.parentItem()
            if isinstance(parent, (pg.ColorBarItem, pg.HistogramLUTItem)):
                continue
            out.append((_plot_name(parent) if isinstance(parent, pg.PlotItem) else "a view box",
                        item.sceneBoundingRect()))
    return out


def strips(view) -> set[str]:
    """Names (as plot_areas gives them) of the visible plots of ``view`` that are overview strips."""
    return {_plot_name(item) for item in view.canvas.scene().items()
            if isinstance(item, pg.PlotItem) and item.isVisible() and getattr(item, "overview_strip", False)}


def measure_view(name: str, view) -> list[Fault]:
    canvas = view.canvas
    visible = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
    texts, faults = view_texts(view)
    for f in faults:
        f.view = name
    size = f"{canvas.viewport().width()}x{canvas.viewport().height()}"
    for plot, rect in plot_areas(view):
        if plot in strips(view):
            if rect.height() < MIN_STRIP or rect.width() < MIN_PLOT:
                faults.append(Fault(name, "plot-size", f"overview strip {plot} is {rect.width():.0f}x"
                                    f"{rect.height():.0f} px (at least {MIN_PLOT}x{MIN_STRIP})"))
            continue
        if rect.height() < MIN_PLOT or rect.width() < MIN_PLOT:
            faults.append(Fault(name, "plot-size", f"{plot} is {rect.width():.0f}x{rect.height():.0f} px "
                                f"(at least {MIN_PLOT}x{MIN_PLOT}) in a {size} canvas"))
        if not visible.adjusted(-1, -1, 1, 1).contains(rect):
            faults.append(Fault(name, "cut-off", f"{plot} at {_rect(rect)} is outside the {size} canvas"))
    for text in texts:
        if not visible.adjusted(-1, -1, 1, 1).contains(text.rect):
            faults.append(Fault(name, "cut-off", f"{text.name} at {_rect(text.rect)} is cut off by the "
                                f"{size} canvas"))
    faults += [Fault(name, "overlap", what) for what in overlaps(texts)]
    return faults


# --- the window -------------------------------------------------------------------------------

def settle(app, passes: int = 6) -> None:
    for _ in range(passes):
        app.processEvents()


def visible_views(window) -> list[tuple[str, object]]:
    """The views in front: Qt moves a dock tabbed behind another outside the window, still visible."""
    inside = window.rect()
    return [(name, view) for name, view, _ in window.views if view.isVisible()
            and inside.contains(QRect(view.mapTo(window, QPoint(0, 0)), view.size()))]


def measure_window(app, window) -> list[Fault]:
    """Every view visible in each arrangement of the fronts of the window's tab groups."""
    faults = []
    groups = _tab_groups(window)
    seen: set[str] = set()
    for i in range(max((len(g) for g in groups), default=1)):
        fronts = [g[min(i, len(g) - 1)] for g in groups]
        for name in fronts:
            window.view_docks[name].raise_()
        settle(app)
        window.controller.render_now()
        settle(app)
        for name, view in visible_views(window):
            for f in measure_view(name, view):
                f.front = "+".join(fronts)
                faults.append(f)
            seen.add(name)
    for name in window.view_docks:
        if name not in seen:
            faults.append(Fault(name, "hidden", f"no tab brings the {name} view to the front"))
    return faults


def _tab_groups(window) -> list[list[str]]:
    """The view docks grouped as they are tabbed (a dock alone is a group of one)."""
    groups, placed = [], set()
    for name, dock in window.view_docks.items():
        if name in placed:
            continue
        group = [name] + [n for n, d in window.view_docks.items()
                          if d in window.tabifiedDockWidgets(dock) and n not in placed and n != name]
        placed.update(group)
        groups.append(group)
    return groups


def _wait(app, condition, passes=20_000):
    import time

    deadline = time.monotonic() + 120
    while not condition():
        app.processEvents()
        time.sleep(0.002)
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not get there in 120 s")


def _updates(app, window, n: int) -> None:
    c = window.controller
    _wait(app, lambda: not c._building)
    for _ in range(n):
        target = c.trainer.step_count + 1
        window.acts.step.trigger()
        _wait(app, lambda: c.trainer.step_count >= target and not c.running)
    _wait(app, lambda: not c._building)
    window.controller.render_now()


def cases():
    """(name, config) of the experiments measured: the default one, and a long two-layer LSTM."""
    from rnn_viz.experiment import config as cfgmod

    default = cfgmod.default_config()
    d = cfgmod.to_dict(default)
    d["model"].update(cell="lstm", num_layers=2)
    d["model"].pop("activation", None)
    d["data"]["seq_len"] = 400
    return [("default", default), ("lstm2-T400", cfgmod.config_from_dict(d, "layout probe"))]


def main(out: Path) -> int:
    from rnn_viz.ui.main_window import MainWindow
    from rnn_viz.ui.settings import AppSettings

    app = QApplication.instance() or QApplication([])
    screen = app.primaryScreen()
    area = screen.availableGeometry()
    label = f"{area.width()}x{area.height()}@{screen.devicePixelRatio():g}"
    faults: list[Fault] = []
    with tempfile.TemporaryDirectory() as tmp:
        window = MainWindow(settings=AppSettings(Path(tmp) / "settings.ini"), config=cases()[0][1])
        window.show()
        settle(app)
        frame = window.frameGeometry()
        if not area.contains(frame):
            faults.append(Fault("window", "window", f"the window {_rect(QRectF(frame))} does not fit the "
                                f"screen's available area {_rect(QRectF(area))}"))
        report = {"screen": label, "layout": window.layouts.current, "window": _rect(QRectF(frame)),
                  "groups": _tab_groups(window)}
        # The Dynamics analysis (seconds per model) runs for the first case only; the other cases
        # measure that view in its "not computed yet" state, which is the same layout.
        runner, compute = window.dynamics, window.dynamics.request
        runner.request = lambda *_a, **_k: None
        for case, config in cases():
            for compare in (False, True):
                if case != "default" or compare:
                    window.apply_config(config, compare=compare)
                _updates(app, window, 1)
                if case == "default" and not compare:
                    compute()
                    _wait(app, lambda: not runner.busy)
                settle(app)
                for f in measure_window(app, window):
                    f.screen, f.case = label, f"{case} {'compare' if compare else 'single'}"
                    faults.append(f)
        window.files.maybe_save = lambda *_: True  # nothing to ask on the way out
        window.close()
    report["faults"] = [asdict(f) for f in faults]
    out.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.exit(main(Path(sys.argv[1])))
