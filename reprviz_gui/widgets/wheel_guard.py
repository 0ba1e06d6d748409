"""Combo and spin boxes that take the mouse wheel only when they have the keyboard focus.

Scrolling a form with the wheel must never change a choice the pointer happens to pass over.
``guard_wheel(widget)`` gives the widget strong focus (click or Tab to focus it) and an event
filter that passes an unfocused widget's wheel events on to the scroll area around it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QWidget


class WheelGuard(QObject):
    """Event filter: a widget without keyboard focus ignores the mouse wheel (the event goes on
    to the scroll area around it), so scrolling past a combo box never changes it."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Wheel and isinstance(obj, QWidget) and not obj.hasFocus():
            event.ignore()
            return True
        return False


_GUARD: WheelGuard | None = None


def guard_wheels(parent: QWidget) -> None:
    """Guard every spin box and combo box inside ``parent`` (installing twice is harmless:
    Qt keeps one filter per object)."""
    for widget in parent.findChildren(QAbstractSpinBox) + parent.findChildren(QComboBox):
        guard_wheel(widget)


def guard_wheel(widget: QWidget) -> QWidget:
    """Make ``widget`` ignore the wheel unless focused (see the module docstring); returns it."""
    global _GUARD
    if _GUARD is None:
        _GUARD = WheelGuard()  # one stateless filter for all widgets, kept for the process
    widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    widget.installEventFilter(_GUARD)
    return widget
