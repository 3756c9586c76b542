"""The compact controls of a view's colour scales and panels: two tool buttons with menus.

``ScaleChoices`` holds the colour scale the user chose for each quantity of one view (in memory, and
in QSettings once the window hands the view its AppSettings), ``ScaleButton`` offers the modes of
``colour_scale.MODES`` (and a typed range) per quantity, ``PanelButton`` which panels to show.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QHBoxLayout, QInputDialog, QLabel, QMenu, QMessageBox, QToolButton, QWidget

from .colour_scale import MODE_TIPS, MODES, Quantity, Scale, parse_range

__all__ = ["ScaleChoices", "ScaleButton", "PanelButton", "controls_row"]


class ScaleChoices:
    """The colour scales chosen in view ``view`` for the quantities ``keys``: ``scale(key, q)`` is
    the user's choice, else ``q``'s default mode. ``use_settings`` loads and later keeps them."""

    def __init__(self, view: str, keys: Iterable[str]):
        self.view = view
        self.keys = tuple(keys)
        self._chosen: dict[str, Scale] = {}
        self._settings = None

    def use_settings(self, settings) -> None:
        self._settings = settings
        self._chosen = {k: s for k in self.keys if (s := settings.colour_scale(self.view, k)) is not None}

    def chosen(self) -> dict[str, Scale]:
        return dict(self._chosen)

    def scale(self, key: str, quantity: Quantity) -> Scale:
        return self._chosen.get(key) or Scale(quantity.default_mode)

    def choose(self, key: str, scale: Scale) -> None:
        self._chosen[key] = scale
        if self._settings is not None:
            self._settings.set_colour_scale(self.view, key, scale)


def _button(name: str, text: str, tip: str, parent) -> tuple[QToolButton, QMenu]:
    button = QToolButton(parent)
    button.setObjectName(name)
    button.setText(text)
    button.setToolTip(tip)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    button.setAutoRaise(True)
    menu = QMenu(button)
    button.setMenu(menu)
    return button, menu


class ScaleButton(QWidget):
    """A "Colours" tool button: per quantity a submenu of the modes and "Type a range…".

    ``set_quantities([(key, title, quantity)])`` rebuilds it; ``changed(key)`` fires after the user
    picked (the choice is already in ``choices``). ``levels_now(key)`` gives the levels drawn, to
    pre-fill the range dialog."""

    changed = Signal(str)

    def __init__(self, name: str, choices: ScaleChoices,
                 levels_now: Callable[[str], tuple[float, float] | None], parent=None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.button, self.menu = _button(name, "Colours ▾", "Colour scale of each panel: fixed, auto "
                                         "or percentile (remembered)", self)
        layout.addWidget(self.button)
        self._levels_now = levels_now
        self._shown: tuple = ()
        self._choices = choices
        self.actions: dict[tuple[str, str], QAction] = {}

    def set_quantities(self, items: list[tuple[str, str, Quantity]]) -> None:
        shown = tuple((k, t, q, self._choices.scale(k, q)) for k, t, q in items)
        if shown == self._shown:
            return
        self._shown = shown
        self.menu.clear()
        self.actions = {}
        for key, title, quantity, scale in shown:
            sub = self.menu.addMenu(title) if len(shown) > 1 else self.menu
            group = QActionGroup(sub)
            for mode in MODES:
                act = sub.addAction(mode)
                act.setCheckable(True)
                act.setChecked(mode == scale.mode)
                act.setToolTip(MODE_TIPS[mode])
                act.setStatusTip(MODE_TIPS[mode])
                group.addAction(act)
                act.triggered.connect(lambda _=False, k=key, m=mode: self.pick(k, m))
                self.actions[(key, mode)] = act
            sub.setToolTipsVisible(True)
            typed = sub.addAction("Type a range…")
            typed.triggered.connect(lambda _=False, k=key, q=quantity: self._ask_range(k, q))

    def pick(self, key: str, mode: str, typed: tuple[float, float] | None = None) -> None:
        """Choose ``mode`` for ``key`` (``typed``: the range of ``fixed``; kept from before if None)."""
        old = self._choices.chosen().get(key)
        if typed is None and mode == "fixed" and old is not None:
            typed = old.typed
        self._choices.choose(key, Scale(mode, typed))
        self._shown = ()  # the check marks follow on the next set_quantities
        self.changed.emit(key)

    def _ask_range(self, key: str, quantity: Quantity) -> None:
        now = self._levels_now(key)
        text, ok = QInputDialog.getText(self, "Colour range", "Fixed colour range, low and high "
                                        "(e.g. -2, 2):", text=f"{now[0]:.4g}, {now[1]:.4g}" if now else "")
        if not ok:
            return
        typed = parse_range(text)
        if typed is None:
            QMessageBox.warning(self, "Colour range", f"'{text}' is not a range: type two numbers, "
                                "low then high, e.g. -2, 2")
            return
        self.pick(key, "fixed", typed)


class PanelButton(QWidget):
    """A "Panels" tool button with one checkable item per panel; the last shown one cannot be hidden.
    ``changed`` fires with the set of hidden keys."""

    changed = Signal(object)

    def __init__(self, name: str, parent=None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.button, self.menu = _button(name, "Panels ▾", "Which panels to show (remembered)", self)
        layout.addWidget(self.button)
        self._items: tuple = ()
        self.actions: dict[str, QAction] = {}

    def set_panels(self, items: list[tuple[str, str]], hidden: set[str],
                   rows: list[tuple[str, str]] = ()) -> None:
        """``items``: (key, title) of the columns, ``rows``: of the rows (layers), each group with
        at least one shown; ``hidden``: the keys hidden now."""
        state = (tuple(items), tuple(rows), frozenset(hidden))
        if state == self._items:
            return
        self._items = state
        self.menu.clear()
        self.actions = {}
        for group in (items, rows):
            if self.actions and group:
                self.menu.addSeparator()
            shown = [k for k, _ in group if k not in hidden]
            for key, title in group:
                act = self.menu.addAction(title)
                act.setCheckable(True)
                act.setChecked(key not in hidden)
                act.setEnabled(not (key in shown and len(shown) == 1))
                act.toggled.connect(lambda on, k=key: self.toggle(k, on))
                self.actions[key] = act
        self.setVisible(len(items) + len(rows) > 1)

    def toggle(self, key: str, on: bool) -> None:
        items, rows, hidden = self._items
        hidden = set(hidden) - {key} if on else set(hidden) | {key}
        if any(group and all(k in hidden for k, _ in group) for group in (items, rows)):
            return
        self.changed.emit(hidden)


def controls_row(run_selector: QWidget, *widgets: QWidget) -> QWidget:
    """One row above a view's plots: the run selector (shown in compare mode only) on the left,
    ``widgets`` after it; the first QLabel among them (a readout) takes the free width, else a
    stretch does."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 4, 0)
    layout.setSpacing(2)
    layout.addWidget(run_selector)
    stretched = False
    for widget in widgets:
        if isinstance(widget, QLabel) and not stretched:
            layout.addWidget(widget, 1)
            stretched = True
        else:
            if not stretched:
                layout.addStretch(1)
                stretched = True
            layout.addWidget(widget)
    return row
