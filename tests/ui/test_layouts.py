"""The View menu's layouts: All views (Ctrl+1), Tabs (Ctrl+2), Focus (Ctrl+3), the default by
screen size, the choice remembered, and the window kept inside the screen."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QApplication

from rnn_viz.ui import layouts
from rnn_viz.ui.settings import AppSettings

from .app_fixtures import make_window


@pytest.mark.parametrize(("size", "expected"), [
    ((1280, 720), "tabs"), ((1366, 768), "tabs"), ((960, 540), "tabs"), ((1599, 1200), "tabs"),
    ((2000, 899), "tabs"), ((1600, 900), "all"), ((1920, 1080), "all"), ((2560, 1440), "all")])
def test_the_default_layout_follows_the_screen(size, expected):
    assert layouts.default_layout(QSize(*size)) == expected


def test_tab_groups_merge_when_two_would_not_fit():
    names = ["graph", "heatmaps", "gradients", "flow", "curves", "predictions", "dynamics", "mine"]
    two = layouts.tab_groups(names, layouts.TWO_GROUPS_MIN_WIDTH)
    assert len(two) == 2 and two[0][0] == "graph" and two[1][0] == "gradients" and two[1][-1] == "mine"
    one = layouts.tab_groups(names, layouts.TWO_GROUPS_MIN_WIDTH - 1)
    assert len(one) == 1 and sorted(one[0]) == sorted(names)


def _front(window) -> set[str]:
    """The view docks shown in the window (Qt moves a dock tabbed behind another out of it)."""
    inside = window.rect()
    return {n for n, d in window.view_docks.items() if d.isVisible() and inside.contains(d.geometry())}


def _groups(window) -> list[set[str]]:
    out = []
    for name, dock in window.view_docks.items():
        group = {name} | {n for n, d in window.view_docks.items() if d in window.tabifiedDockWidgets(dock)}
        if group not in out:
            out.append(group)
    return out


def _press(qtbot, window, key) -> None:
    window.activateWindow()
    qtbot.keyClick(window, key, Qt.KeyboardModifier.ControlModifier)
    QApplication.processEvents()


def test_ctrl_1_2_3_switch_the_layout_and_the_menu_shows_which(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    window.resize(1400, 780)  # the offscreen screen's size is what the window may take
    qtbot.waitUntil(lambda: window._first_show_done)
    views = set(window.view_docks)
    titles = [a.text() for a in window.menus["view"].actions()]
    assert [t for t in titles if t in layouts.LAYOUT_TITLES.values()] == ["All views", "Tabs", "Focus"]

    _press(qtbot, window, Qt.Key.Key_1)
    assert window.layouts.current == "all" and window.acts.layouts["all"].isChecked()
    assert _front(window) == views  # the stand-in views: six, nothing tabbed

    _press(qtbot, window, Qt.Key.Key_2)
    assert window.layouts.current == "tabs" and window.acts.layouts["tabs"].isChecked()
    groups = _groups(window)
    assert sorted(map(len, groups)) != [1] * len(views) and set().union(*groups) == views
    assert len(_front(window)) == len(groups)  # one view in front per group

    window.view_docks["flow"].widget().setFocus()
    _press(qtbot, window, Qt.Key.Key_3)
    assert window.layouts.current == "focus" and window.acts.layouts["focus"].isChecked()
    flow = window.view_docks["flow"]
    assert window.tabifiedDockWidgets(flow) == []  # the focused view alone, the others as tabs
    strip = [d for n, d in window.view_docks.items() if n != "flow"]
    assert all(set(window.tabifiedDockWidgets(d)) == set(strip) - {d} for d in strip)
    qtbot.waitUntil(lambda: flow.height() > 2 * max(d.height() for d in strip if d.geometry().y() >= 0))


def test_the_layout_chosen_is_remembered(qtbot, tmp_path):
    first = make_window(qtbot, tmp_path)
    assert first.layouts.current == "tabs"  # the offscreen screen (800 x 800) is small
    first.acts.layouts["focus"].trigger()
    first.close()
    assert AppSettings(tmp_path / "settings.ini").layout() == "focus"
    second = make_window(qtbot, tmp_path)
    assert second.layouts.current == "focus" and second.acts.layouts["focus"].isChecked()
    second.acts.layouts["all"].trigger()
    second.close()
    third = make_window(qtbot, tmp_path)
    assert third.layouts.current == "all"
    assert _front(third) == set(third.view_docks)


def test_a_layout_saved_by_an_older_version_is_not_restored(qtbot, tmp_path):
    settings = AppSettings(tmp_path / "settings.ini")
    settings.set_layout("focus")
    settings.set_value("window/layout_version", settings.layout_version - 1)
    assert settings.layout() is None
    window = make_window(qtbot, tmp_path)
    assert window.layouts.current == "tabs"


def test_the_window_opens_inside_the_screen(qtbot, tmp_path):
    """A first launch takes at most the available area; a geometry saved on a larger screen is
    brought back inside this one."""
    window = make_window(qtbot, tmp_path)
    qtbot.waitUntil(lambda: window._first_show_done)
    area = window.screen().availableGeometry()
    assert area.contains(window.frameGeometry())
    window.setGeometry(200, 300, 2400, 1300)  # as if saved on a 2560 x 1440 screen
    window.close()
    again = make_window(qtbot, tmp_path)
    qtbot.waitUntil(lambda: again._first_show_done)
    assert area.contains(again.frameGeometry())


def test_restore_default_layout_shows_every_view_in_the_current_layout(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    window.acts.layouts["all"].trigger()
    window.view_docks["flow"].hide()
    window.view_docks["graph"].setFloating(True)
    window.acts.restore_layout.trigger()
    assert window.layouts.current == "all"
    assert not window.view_docks["graph"].isFloating() and _front(window) == set(window.view_docks)
