"""Help > Keyboard shortcuts (read from the window's actions) and Help > User guide (the guide
shipped inside the package, with its images, shown in the app: ``docs/`` is not installed)."""
from __future__ import annotations

import html
import re
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QImage, QKeySequence, QTextDocument
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTextBrowser, QVBoxLayout, QWidget

from rnn_viz.package_data import resource_path

__all__ = ["shortcut_rows", "ShortcutsDialog", "UserGuideDialog", "guide_path", "guide_images", "FIELD_NOTE"]

_IMAGE = re.compile(r"!\[[^\]]*\]\((img/[^)\s]+)\)")

FIELD_NOTE = ("In numeric fields, lists and check boxes the first key of Train and Step works too; in "
              "text fields (paths, labels) it types, and the second key works everywhere.")


def guide_path() -> Path:
    """The user guide inside the package (a copy of docs/user-guide.md: scripts/sync_guide.py)."""
    return resource_path("guide", "user-guide.md")


def guide_images(text: str | None = None) -> list[str]:
    """The images (paths relative to the guide, ``img/...``) that the guide's Markdown shows."""
    if text is None:
        text = guide_path().read_text(encoding="utf-8")
    return sorted(set(_IMAGE.findall(text)))


def _menu_path(action: QAction) -> str:
    # The menu the action sits in ("Training", "View"), for grouping; the first menu that holds it.
    for widget in action.associatedObjects():
        title = getattr(widget, "title", None)
        if callable(title) and title():
            return title().replace("&", "")
    return ""


def shortcut_rows(window: QWidget) -> list[tuple[str, str, str]]:
    """(menu, action text, keys) for every action of ``window`` that has a shortcut, in menu order."""
    rows = []
    for action in window.findChildren(QAction):
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts() if not k.isEmpty()]
        if not keys:
            continue
        text = action.text().replace("&", "").rstrip("\u2026")
        rows.append((_menu_path(action), text, " or ".join(keys)))
    order = {"File": 0, "Training": 1, "View": 2, "Help": 3}
    rows.sort(key=lambda r: order.get(r[0], 4))
    return rows


def shortcuts_html(window: QWidget) -> str:
    lines = ["<table cellspacing='0' cellpadding='4'>",
             "<tr><th align='left'>Menu</th><th align='left'>Action</th><th align='left'>Keys</th></tr>"]
    for menu, text, keys in shortcut_rows(window):
        lines.append(f"<tr><td>{html.escape(menu)}</td><td>{html.escape(text)}</td>"
                     f"<td><b>{html.escape(keys)}</b></td></tr>")
    lines.append("</table>")
    lines.append(f"<p>{html.escape(FIELD_NOTE)}</p>")
    return "\n".join(lines)


class ShortcutsDialog(QDialog):
    """A non-modal list of the window's keyboard shortcuts, built when opened (always current)."""

    def __init__(self, window: QWidget):
        super().__init__(window)
        self.setObjectName("ShortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        self.text = QTextBrowser(self)
        self.text.setObjectName("ShortcutsText")
        self.text.setHtml(shortcuts_html(window))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, parent=self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(560, 520)


class GuideBrowser(QTextBrowser):
    """A QTextBrowser that shows the guide's screenshots at most ``IMAGE_WIDTH`` px wide (they are
    full-window grabs; at their own size every picture scrolled sideways)."""

    IMAGE_WIDTH = 820

    def loadResource(self, kind: int, url):
        if kind == QTextDocument.ResourceType.ImageResource.value:
            path = Path(self.source().toLocalFile()).parent / url.toString() if not url.isLocalFile() \
                else Path(url.toLocalFile())
            image = QImage(str(path))
            if not image.isNull():
                if image.width() > self.IMAGE_WIDTH:
                    image = image.scaledToWidth(self.IMAGE_WIDTH, Qt.TransformationMode.SmoothTransformation)
                return image
        return super().loadResource(kind, url)


class UserGuideDialog(QDialog):
    """The packaged user guide as Markdown in a QTextBrowser; images load from beside it. Links to
    the web open in the browser; links to documents not shipped with the app say so below."""

    def __init__(self, parent=None, path: Path | None = None):
        super().__init__(parent)
        self.setObjectName("UserGuideDialog")
        self.setWindowTitle("rnn-viz user guide")
        self.path = path or guide_path()
        self.browser = GuideBrowser(self)
        self.browser.setObjectName("UserGuideText")
        self.browser.setOpenLinks(False)
        self.browser.anchorClicked.connect(self._follow)
        self.note = QLabel(self)
        self.note.setObjectName("UserGuideNote")
        self.note.setWordWrap(True)
        self.note.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, parent=self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.resize(900, 760)
        if self.path.is_file():
            self.browser.setSource(QUrl.fromLocalFile(str(self.path)), QTextDocument.ResourceType.MarkdownResource)
        else:  # a broken install: say so instead of an empty window
            self.browser.setPlainText(f"The user guide is missing from this installation ({self.path}).")

    def _follow(self, url: QUrl) -> None:
        if url.scheme() in ("http", "https", "mailto"):
            QDesktopServices.openUrl(url)
            return
        if not url.path() or (url.isLocalFile() and Path(url.toLocalFile()) == self.path):
            self.browser.scrollToAnchor(url.fragment())
            return
        name = url.fileName() or url.toString()
        self.note.setText(f"{name} is part of the documentation in the source repository (docs/{name}); "
                          "it is not shipped with the app.")
        self.note.show()


def install_help(window) -> None:
    """Connect Help > Keyboard shortcuts and Help > User guide of ``window`` (a MainWindow: ``acts``)."""
    opened: dict[str, QDialog] = {}

    def show(name: str, make) -> None:
        dialog = opened.get(name)
        if dialog is None or name == "shortcuts":  # the shortcut list is rebuilt: always current
            if dialog is not None:
                dialog.deleteLater()
            dialog = opened[name] = make()
        dialog.show()
        dialog.raise_()

    window.acts.shortcuts.triggered.connect(lambda: show("shortcuts", lambda: ShortcutsDialog(window)))
    window.acts.user_guide.triggered.connect(lambda: show("guide", lambda: UserGuideDialog(window)))
