"""Where the view docks go: the window's three layouts and the screen rule that picks the default.

- ``all``: every view at once, in two rows (the wide-and-short views on top) beside a full-height
  column for the flow matrix, the Dynamics view tabbed behind it.
- ``tabs``: tabbed dock groups, each view as large as the area allows; two groups side by side when
  the area is wide enough for two legible views, else one.
- ``focus``: one large view with the others as a strip of tabs below it.

The settings column stays on the left in every layout. The layout is remembered (AppSettings
``layout``); without a remembered one, the default follows the screen: ``all`` on a screen of at least
ALL_VIEWS_MIN_SCREEN logical pixels, ``tabs`` below.
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow

__all__ = ["LAYOUTS", "LAYOUT_TITLES", "LAYOUT_TIPS", "ALL_VIEWS_MIN_SCREEN", "SETTINGS_WIDTH", "DockLayouts",
           "default_layout", "tab_groups"]

# name -> menu title; the order is the View menu's and the shortcuts' (Ctrl+1, Ctrl+2, Ctrl+3).
LAYOUT_TITLES = {"all": "All views", "tabs": "Tabs", "focus": "Focus"}
LAYOUTS = tuple(LAYOUT_TITLES)
ALL_VIEWS_MIN_SCREEN = QSize(1600, 900)
LAYOUT_TIPS = {"all": "Every view at once (the default on a screen of at least "
                      f"{ALL_VIEWS_MIN_SCREEN.width()} x {ALL_VIEWS_MIN_SCREEN.height()})",
               "tabs": "Views in tabbed groups, each as large as the window allows",
               "focus": "One large view (the one last clicked) with the others as tabs below it"}
SETTINGS_WIDTH = 330  # the settings column's width when a layout is applied

# All views: (row share of the height, [(view, width share)]) left of a full-height COLUMN (the flow
# matrix needs height for a square matrix and its Jacobian chain), Dynamics tabbed behind it. The
# top row is tall enough for the graph's plot area (150 px) under its title, legend and readouts.
ROWS = ((45, (("graph", 62), ("predictions", 38))),
        (55, (("heatmaps", 36), ("gradients", 32), ("curves", 32))))
COLUMN = ("flow", 27)
TABBED = {"dynamics": "flow"}

# Tabs: the groups side by side when there is room for two; the first of each group is in front.
# The graph and the gradient profile are the pair the tool is about, so they lead the two groups.
TAB_GROUPS = (("graph", "heatmaps", "predictions", "curves"), ("gradients", "flow", "dynamics"))
TWO_GROUPS_MIN_WIDTH = 960  # logical px of view area: two groups of 480 px

# Focus: the large view's share of the height; the strip below holds the others as tabs.
FOCUS_SHARE = 70
DEFAULT_FOCUS = "graph"


def default_layout(screen: QSize) -> str:
    """``all`` on a screen at least ALL_VIEWS_MIN_SCREEN (logical px), else ``tabs``."""
    if screen.width() >= ALL_VIEWS_MIN_SCREEN.width() and screen.height() >= ALL_VIEWS_MIN_SCREEN.height():
        return "all"
    return "tabs"


def tab_groups(names, view_width: int) -> list[list[str]]:
    """The Tabs layout's groups of ``names`` for a view area ``view_width`` px wide: TAB_GROUPS (views
    it does not know join the last group), merged into one when two would not fit."""
    names = list(names)
    groups = [[n for n in group if n in names] for group in TAB_GROUPS]
    known = {n for g in groups for n in g}
    groups[-1] += [n for n in names if n not in known]
    groups = [g for g in groups if g]
    if view_width < TWO_GROUPS_MIN_WIDTH and len(groups) > 1:
        groups = [[n for g in groups for n in g]]
    return groups


class DockLayouts:
    """Arranges ``docks`` (view name -> dock) of ``window`` beside ``settings_dock`` in one of LAYOUTS.

    ``apply`` takes the docks out and puts them back in the new arrangement (every view dock shown);
    the sizes follow once the window has its size (at once when shown, else at its first show).
    """

    def __init__(self, window: QMainWindow, docks: dict[str, QDockWidget], settings_dock: QDockWidget):
        self.window = window
        self.docks = docks
        self.settings_dock = settings_dock
        self.current: str | None = None
        self._groups: list[list[str]] | None = None  # the Tabs groups as arranged
        self.focus = DEFAULT_FOCUS if DEFAULT_FOCUS in docks else next(iter(docks), None)

    def refit(self) -> None:
        """Arrange the Tabs layout again if the window's width now calls for other groups (the
        window got its size after the layout was applied); docks the user closed stay closed."""
        if self.current != "tabs" or tab_groups(self.docks, self._view_width()) == self._groups:
            return
        closed = [dock for dock in self.docks.values() if dock.isHidden()]
        self.apply("tabs")
        for dock in closed:
            dock.hide()

    def apply(self, name: str, focus: str | None = None) -> None:
        if name not in LAYOUT_TITLES:
            raise ValueError(f"layout {name!r}: one of {', '.join(LAYOUTS)}")
        if focus in self.docks:
            self.focus = focus
        self.current = name
        if not self.docks:
            return
        w = self.window
        for dock in self.docks.values():
            dock.setFloating(False)
            w.removeDockWidget(dock)
        getattr(self, f"_arrange_{name}")()
        for dock in self.docks.values():
            dock.show()
        self._raise_fronts()
        if w.isVisible():
            QTimer.singleShot(0, self.apply_sizes)

    def _rows(self) -> list[list[str]]:
        d = self.docks
        rows = [[n for n, _ in row if n in d] for _, row in ROWS]
        placed = ({n for row in rows for n in row} | {n for n, behind in TABBED.items() if behind in d}
                  | {COLUMN[0]})
        rows[-1] += [n for n in d if n not in placed]  # views this layout does not know go last
        return [r for r in rows if r]

    def _grid(self, rows: list[list[str]], column: str | None = None) -> None:
        """Rows first (vertical splits), then the columns inside each row: splitting in the other
        order nests a later row under one dock instead of across the window. ``column``: a dock
        right of all the rows, as tall as they are together."""
        d, w = self.docks, self.window
        w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, d[rows[0][0]])
        if column is not None:
            w.splitDockWidget(d[rows[0][0]], d[column], Qt.Orientation.Horizontal)
        for above, row in zip(rows, rows[1:]):
            w.splitDockWidget(d[above[0]], d[row[0]], Qt.Orientation.Vertical)
        for row in rows:
            for left, right in zip(row, row[1:]):
                w.splitDockWidget(d[left], d[right], Qt.Orientation.Horizontal)

    def _tabify(self, group: list[str]) -> None:
        d = self.docks
        for name in group[1:]:
            self.window.tabifyDockWidget(d[group[0]], d[name])

    def _arrange_all(self) -> None:
        rows = self._rows()
        column = COLUMN[0] if COLUMN[0] in self.docks else None
        if not rows:
            rows, column = [[column]], None
        self._grid(rows, column)
        for name, behind in TABBED.items():
            if name in self.docks and behind in self.docks:
                self.window.tabifyDockWidget(self.docks[behind], self.docks[name])

    def _view_width(self) -> int:
        return max(0, self.window.width() - SETTINGS_WIDTH)

    def _arrange_tabs(self) -> None:
        groups = self._groups = tab_groups(self.docks, self._view_width())
        self._grid([[g[0] for g in groups]])
        for group in groups:
            self._tabify(group)

    def _arrange_focus(self) -> None:
        others = [n for n in self.docks if n != self.focus]
        self._grid([[self.focus]] + ([others[:1]] if others else []))
        if others:
            self._tabify(others)

    def _fronts(self) -> list[str]:
        if self.current == "tabs":
            return [g[0] for g in tab_groups(self.docks, self._view_width())]
        if self.current == "focus":
            return [self.focus, *[n for n in self.docks if n != self.focus][:1]]
        return [behind for behind in TABBED.values() if behind in self.docks]

    def _raise_fronts(self) -> None:
        for name in self._fronts():
            self.docks[name].raise_()

    def apply_sizes(self) -> None:
        """The settings column SETTINGS_WIDTH wide, the views sharing the rest as the layout says."""
        w, d = self.window, self.docks
        if self.current is None or not d:
            return
        w.resizeDocks([self.settings_dock], [SETTINGS_WIDTH], Qt.Orientation.Horizontal)
        width, height = max(100, self._view_width()), w.height()
        if self.current == "all":
            rows = self._rows()
            if COLUMN[0] in d and rows:
                column = COLUMN[1] * width // 100
                w.resizeDocks([d[rows[0][0]], d[COLUMN[0]]], [width - column, column], Qt.Orientation.Horizontal)
                width -= column
            shares = {name: share for _, row in ROWS for name, share in row}
            heights = [h for h, _ in ROWS][: len(rows)]
            w.resizeDocks([d[r[0]] for r in rows], [h * height // 100 for h in heights], Qt.Orientation.Vertical)
            for row in rows:
                w.resizeDocks([d[n] for n in row], [shares.get(n, 20) * width // 100 for n in row],
                              Qt.Orientation.Horizontal)
        elif self.current == "tabs":
            groups = tab_groups(d, self._view_width())
            w.resizeDocks([d[g[0]] for g in groups], [width // len(groups)] * len(groups),
                          Qt.Orientation.Horizontal)
        else:
            others = [n for n in d if n != self.focus]
            if others:
                w.resizeDocks([d[self.focus], d[others[0]]],
                              [FOCUS_SHARE * height // 100, (100 - FOCUS_SHARE) * height // 100],
                              Qt.Orientation.Vertical)
        self._raise_fronts()
