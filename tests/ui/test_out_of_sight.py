"""A view in a dock tabbed behind another is not drawn on every frame: Qt keeps such a dock
"visible" (it moves it out of the window), so the views ask whether they are in sight, and draw
what they missed when their tab is picked."""
from __future__ import annotations

from rnn_viz.ui.views import ALL_VIEWS
from tests.ui.app_fixtures import bring_into_sight, make_window, step


def test_views_behind_another_tab_wait_and_draw_the_newest_state_when_picked(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, views=ALL_VIEWS)
    qtbot.waitUntil(lambda: window._first_show_done)
    window.layouts.apply("tabs")
    views = {n: v for n, v, _ in window.views}
    front = bring_into_sight(qtbot, window, "graph")
    behind = [n for n, v in views.items() if not v.on_screen()]
    assert "curves" in behind and front.on_screen()
    # Qt calls them visible all the same: that is why visibility alone does not do.
    assert all(views[n].isVisible() for n in behind)
    before = {n: views[n].frames_applied for n in behind}
    drawn = front.frames_applied
    step(qtbot, window, 2)
    qtbot.waitUntil(lambda: front.frames_applied > drawn)
    assert {n: views[n].frames_applied for n in behind} == before, "drawn while out of sight"
    assert all(views[n]._pending is not None for n in behind)

    curves = bring_into_sight(qtbot, window, "curves")
    assert curves._pending is None and curves.frames_applied > before["curves"]
    x, _ = curves.loss_a.getData()
    assert x.tolist() == [1, 2], "the newest state, with both updates"
