"""Help: the equations render every symbol in one notation, the shortcut list is read from the actions,
and the user guide shipped inside the package opens in the app with its images."""
from __future__ import annotations

import re

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QKeySequence, QTextDocument
from PySide6.QtWidgets import QApplication

from rnn_viz.ui.equations import EQUATIONS_HTML
from rnn_viz.ui.help import guide_images, guide_path
from tests.ui.app_fixtures import make_window


def test_equations_show_no_raw_entity_and_one_notation(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    window.acts.equations.trigger()
    text = window._equations.findChild(object, "EquationsText").toPlainText()
    # Qt's rich text leaves entities it does not know as typed (&ycirc; and &Vert; did)
    assert not re.search(r"&[A-Za-z]+;", text), re.findall(r"&[A-Za-z]+;", text)
    assert "F[t, k] = \u2016\u2202Lt/\u2202hk\u2016" in text
    assert "\u2016\u2202ht'/\u2202ht\u2016 \u2264" in text
    assert "y\u0302t = softmax(yt)" in text
    # The worked example keeps the app's names: W_xh, W_hh, W_hy with the layer as a superscript
    for other in ("W12", "W22", "W11", "Wih"):
        assert other not in text, other
    assert "tanh(W(1)xh h(0)2 + W(1)hh h(1)1 + b(1)h)" in text


def test_every_entity_in_the_equations_is_one_qt_renders():
    doc = QTextDocument()
    for entity in set(re.findall(r"&[A-Za-z]+;", EQUATIONS_HTML)):
        doc.setHtml(entity)
        assert doc.toPlainText() != entity, entity


def test_shortcut_list_is_read_from_the_actions(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    window.acts.shortcuts.trigger()
    dialog = window.findChild(object, "ShortcutsDialog")
    text = dialog.findChild(object, "ShortcutsText").toPlainText()
    for action in (window.acts.train, window.acts.step, window.acts.reset, window.acts.compare,
                   window.acts.equations, window.acts.open_sequence):
        for key in action.shortcuts():
            assert key.toString(QKeySequence.SequenceFormat.NativeText) in text, (action.text(), key.toString())
        assert action.text().rstrip("\u2026") in text
    # a shortcut added later shows up the next time the list opens: it has no copy of its own
    window.acts.about.setShortcut(QKeySequence("Ctrl+Alt+A"))
    window.acts.shortcuts.trigger()
    QApplication.processEvents()
    dialogs = [d for d in window.findChildren(object, "ShortcutsDialog") if d.isVisible()]
    assert any("Ctrl+Alt+A" in d.findChild(object, "ShortcutsText").toPlainText() for d in dialogs)


def test_user_guide_opens_inside_the_app_with_its_images(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    assert window.acts.user_guide in window.menus["help"].actions()
    window.acts.user_guide.trigger()
    dialog = window.findChild(object, "UserGuideDialog")
    browser = dialog.findChild(object, "UserGuideText")
    qtbot.waitUntil(lambda: "rnn-viz user guide" in browser.toPlainText())
    assert "Compare mode" in browser.toPlainText()
    images = guide_images()
    assert images, "the guide shows pictures"
    doc = browser.document()
    for rel in images:
        image = doc.resource(QTextDocument.ResourceType.ImageResource, QUrl(rel))
        if image is None:  # loaded on demand: ask the browser as the layout does
            image = browser.loadResource(QTextDocument.ResourceType.ImageResource.value, QUrl(rel))
        assert image is not None and not getattr(image, "isNull", lambda: False)(), rel
        assert image.width() <= dialog.browser.IMAGE_WIDTH, (rel, image.width())  # no sideways scrolling
    assert guide_path().is_relative_to(guide_path().parents[1])  # under rnn_viz.resources, not docs/


def test_a_link_to_an_unshipped_document_says_where_it_is(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    window.acts.user_guide.trigger()
    dialog = window.findChild(object, "UserGuideDialog")
    dialog.browser.anchorClicked.emit(QUrl("file-formats.md"))
    assert dialog.note.isVisible() and "docs/file-formats.md" in dialog.note.text()


def test_no_two_actions_share_a_key(qtbot, tmp_path):
    # Qt fires neither of two actions with the same shortcut ("ambiguous"): F1 once was on two.
    window = make_window(qtbot, tmp_path)
    seen = {}
    for action in window.findChildren(QAction):
        for key in action.shortcuts():
            assert key.toString() not in seen, (key.toString(), seen.get(key.toString()), action.text())
            seen[key.toString()] = action.text()


def test_the_guides_keyboard_table_names_keys_the_window_has(qtbot, tmp_path):
    # The guide's table is prose for readers; the window's actions own the keys. They must agree.
    window = make_window(qtbot, tmp_path, views=None)  # the real views: Dynamics brings Ctrl+D
    keys = {k.toString() for action in window.findChildren(QAction) for k in action.shortcuts()}
    text = guide_path().read_text(encoding="utf-8")
    table = text.split("## Keyboard", 1)[1].split("\n## ", 1)[0]  # that section only
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| key")]
    assert rows
    # Save, Save as and Quit use Qt's standard keys, which the platform decides (offscreen: none)
    platform = {"Ctrl+S", "Ctrl+Shift+S", "Ctrl+Q"}
    for row in rows:
        for key in re.split(r" or | / ", row.split("|")[1].strip()):
            assert key in keys or key in platform, (key, sorted(keys))
