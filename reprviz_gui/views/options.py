"""A view's own options (colour-by, k, order, size …) as an evented state object.

Each view with options keeps one ``ViewOptions`` dataclass as ``self.options``; its widgets are
bound to it both ways (``bind``), so setting a field from code (a restored session) moves the
widget, and a user's edit lands in the field. ``Panel.options_state()`` / ``restore_options()``
save and restore it as a plain dict. psygnal (napari's event library) emits
``options.events.<field>`` only when a value really changes, so the two directions never loop.

    @dataclass
    class TypicalOptions(ViewOptions):
        k: int = 8
        size: str = "Fit"

    self.options = TypicalOptions()
    bind(self.options, "k", self.k_box)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from typing import Any, Callable, ClassVar

from psygnal import SignalGroupDescriptor
from PySide6.QtWidgets import QAbstractButton, QComboBox, QDoubleSpinBox, QSpinBox, QWidget

_SCALARS = (bool, int, float, str)


@dataclass
class ViewOptions:
    """Base of every view's options: plain fields with defaults, evented."""

    events: ClassVar[SignalGroupDescriptor] = SignalGroupDescriptor()

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def from_dict(self, state: Any) -> None:
        """Set the fields ``state`` holds with a value of the field's kind; anything else (an
        unknown key, a list, a string where a number belongs) is skipped: a damaged session
        keeps the defaults."""
        if not isinstance(state, dict):
            return
        for f in fields(self):
            if f.name in state and _fits(state[f.name], getattr(self, f.name)):
                setattr(self, f.name, state[f.name])

    def signal(self, name: str) -> Any:
        return getattr(self.events, name)


def _fits(value: Any, current: Any) -> bool:
    if current is None:  # a field whose default is "not chosen": any scalar or None
        return value is None or isinstance(value, _SCALARS)
    if isinstance(current, bool) or isinstance(value, bool):
        return type(value) is type(current)
    if isinstance(current, float):
        return isinstance(value, (int, float))
    return type(value) is type(current)


def bind(options: ViewOptions, name: str, widget: QWidget) -> None:
    """Bind a spin box (value), combo box (current text) or check box (checked) to a field,
    both ways; the widget starts at the field's value (the dataclass default is the truth)."""
    if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
        bind_value(options, name, widget.valueChanged, widget.setValue)
    elif isinstance(widget, QComboBox):
        box = widget

        def set_text(text: str) -> None:
            if box.findText(text) >= 0:
                box.setCurrentText(text)
            else:  # not a choice of this box (an old session): the field follows the box
                setattr(options, name, box.currentText())

        bind_value(options, name, widget.currentTextChanged, set_text)
    elif isinstance(widget, QAbstractButton):
        bind_value(options, name, widget.toggled, widget.setChecked)
    else:
        raise TypeError(f"cannot bind a {type(widget).__name__}")


def bind_value(options: ViewOptions, name: str, changed: Any,
               setter: Callable[[Any], None]) -> None:
    """Bind a field to any value with a change signal and a setter (e.g. a view's own
    ``colour_by_changed`` and ``set_colour_by``); the setter gets the field's value now."""
    setter(getattr(options, name))
    changed.connect(functools.partial(setattr, options, name))

    def apply(value: Any, *_old: Any) -> None:  # psygnal sends (new, old)
        setter(value)

    options.signal(name).connect(apply)
