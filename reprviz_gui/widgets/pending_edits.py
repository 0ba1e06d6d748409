"""Commit what the user typed but did not yet confirm, before an action reads it.

The window's spin boxes do not track the keyboard (a half-typed "5" of "50" must not start a
rebuild), so their value changes only on Enter or focus loss; a line edit reports its text on
``editingFinished`` too. A shortcut (Ctrl-T) or a menu item fires without either: it read the old
value, and trained 5 epochs after the user typed 50. ``commit_pending_edits(root)`` makes every
spin box and line edit under ``root`` finish its edit as Enter would — through the field's own
``editingFinished`` handler — so whatever an action reads next is what is on screen.
"""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractSpinBox, QLineEdit, QWidget


def commit_pending_edits(root: QWidget) -> int:
    """Finish every pending edit under ``root`` (spin boxes and line edits); returns how many
    fields had one. A field whose text is already committed emits nothing."""
    committed = 0
    for spin in root.findChildren(QAbstractSpinBox):
        value = getattr(spin, "value", None)
        if value is None:
            continue  # a date/time box: nothing in reprviz, and no value() to compare
        before = value()
        spin.interpretText()  # the typed text becomes the value (or reverts if invalid)
        if value() != before:
            spin.editingFinished.emit()  # the field's own commit handler runs, as on Enter
            committed += 1
    for edit in root.findChildren(QLineEdit):
        if isinstance(edit.parent(), QAbstractSpinBox) or not edit.isModified():
            continue
        edit.editingFinished.emit()  # handlers read isModified(), so it is cleared after
        edit.setModified(False)
        committed += 1
    return committed


__all__ = ["commit_pending_edits"]
