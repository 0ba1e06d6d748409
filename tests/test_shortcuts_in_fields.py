"""Every command's shortcut still works while the cursor is in a text field: a line edit (and a
spin box's) claims the keys of its own editing bindings before any shortcut sees them. Ctrl+E
is *end of line* there on Linux, so File → Export… (Ctrl+E) did nothing after typing a value
(found in the real window: typed into Epochs, pressed Ctrl+E, no dialog)."""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QLineEdit, QSpinBox

from reprviz_gui.commands import COMMANDS

# The editing keys a line edit takes for itself under the X11 keyboard scheme of KDE and GNOME
# desktops (Qt's QKeySequence standard-keys table: MoveToEndOfLine, DeleteEndOfLine,
# DeleteCompleteLine), besides those of the platform the tests run on (offscreen: not these)
X11_FIELD_KEYS = ("Ctrl+E", "Ctrl+K", "Ctrl+U")


def _claimed(widget, combo) -> bool:
    event = QKeyEvent(QEvent.Type.ShortcutOverride, combo.key(), combo.keyboardModifiers())
    event.ignore()
    widget.event(event)
    return event.isAccepted()


def test_no_command_shortcut_is_a_text_fields_own_key(qtbot):
    edit, spin = QLineEdit("50"), QSpinBox()
    for w in (edit, spin):
        qtbot.addWidget(w)
    assert _claimed(edit, QKeySequence("Ctrl+A")[0])  # (the probe hears a field's own key)
    claimed = []
    for command in COMMANDS:
        if command.shortcut is None:
            continue
        for combo in QKeySequence(command.shortcut):
            name = QKeySequence(combo).toString()
            if _claimed(edit, combo) or _claimed(spin.lineEdit(), combo) \
                    or name in X11_FIELD_KEYS:
                claimed.append((command.id, name))
    assert claimed == []
