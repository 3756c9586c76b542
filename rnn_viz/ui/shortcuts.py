"""The training shortcuts, and the filter that lets them through the settings fields.

Qt offers every key press to the focused widget first (a ``ShortcutOverride`` event): a spin box
claims Space (it is text) and Ctrl+Right (next word), so with the focus in "Hidden units" Space
replaced the "32" and training never started. The filter answers that question for the fields
where the key means nothing useful: in numeric fields, combo boxes and check boxes the training
shortcuts win; in free-text fields (paths, labels, columns) Space and Ctrl+Right type as usual,
and the alternatives (Ctrl+Space, Ctrl+Shift+Right) train and step from everywhere.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton, QAbstractSlider, QAbstractSpinBox, QApplication, QComboBox, QLineEdit, QPlainTextEdit,
    QTextEdit, QWidget,
)

__all__ = ["TRAINING_SHORTCUTS", "ShortcutFilter", "install_shortcut_filter", "field_kind"]

# action name -> (the shortcut outside free text, the one that works everywhere): the one owner of
# these keys; actions.py sets them and the Help's shortcut list reads them back from the actions.
TRAINING_SHORTCUTS = {
    "train": ("Space", "Ctrl+Space"),
    "step": ("Ctrl+Right", "Ctrl+Shift+Right"),
}


def field_kind(widget: QObject | None) -> str:
    """'text' for a free-text field (Space types a space), 'field' for numeric fields, combo boxes,
    check boxes and other controls (Space is a training shortcut), 'other' for anything else."""
    if isinstance(widget, (QPlainTextEdit, QTextEdit)):
        return "text" if not widget.isReadOnly() else "field"
    if isinstance(widget, QLineEdit):
        parent = widget.parent()
        if isinstance(parent, QAbstractSpinBox) or (isinstance(parent, QComboBox) and parent.isEditable()):
            return "field"
        return "text" if not widget.isReadOnly() else "field"
    if isinstance(widget, (QAbstractSpinBox, QComboBox, QAbstractButton, QAbstractSlider)):
        return "field"
    return "other"


class ShortcutFilter(QObject):
    """Installed on the application; lets the training shortcuts of ``window`` through its fields.

    ``field_keys``: sequences that win over numeric fields, combo boxes and check boxes;
    ``everywhere_keys``: sequences that win over every widget of the window, free text included.
    """

    def __init__(self, window: QWidget, field_keys, everywhere_keys):
        super().__init__(window)
        self.window = window
        self.field_keys = {QKeySequence(k) for k in field_keys}
        self.everywhere_keys = {QKeySequence(k) for k in everywhere_keys}

    def _in_window(self, widget: QWidget) -> bool:
        # A floating dock is a window of its own; its fields still belong to this window.
        w = widget
        while w is not None:
            if w is self.window:
                return True
            w = w.parentWidget()
        return False

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.ShortcutOverride or not isinstance(obj, QWidget):
            return False
        key = QKeySequence(event.keyCombination())
        if key not in self.field_keys and key not in self.everywhere_keys:
            return False
        if not self._in_window(obj):
            return False
        kind = field_kind(obj)
        if key in self.everywhere_keys or kind == "field":
            # Not accepted and not passed on: the widget does not claim the key, the shortcut fires.
            event.ignore()
            return True
        return False


def install_shortcut_filter(window: QWidget, actions) -> ShortcutFilter:
    """Install the filter for the Train and Step actions of ``actions`` (rnn_viz.ui.actions.Actions)."""
    # Read back from the actions (not from TRAINING_SHORTCUTS): what the user can press is what they hold.
    field_keys = [s for a in (actions.train, actions.step) for s in a.shortcuts()[:1]]
    everywhere = [s for a in (actions.train, actions.step) for s in a.shortcuts()[1:]]
    flt = ShortcutFilter(window, field_keys, everywhere)  # a child of the window: Qt drops it with it
    QApplication.instance().installEventFilter(flt)
    return flt
