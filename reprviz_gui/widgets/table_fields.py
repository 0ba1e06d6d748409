"""Form widgets made from the preset table's fields (``core.model.preset_table.Field``): one
widget per field, read and set through the field, so the sidebar shows exactly the table."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QWidget

from ..core.model.preset_table import Field
from .fields import _double_spin, _int_spin, _parse_widths


def make_widget(f: Field) -> QWidget:
    """The editor of one field, showing its default; its object name is ``field_<key>``."""
    if f.kind == "widths":
        w: QWidget = QLineEdit(", ".join(str(v) for v in f.default))
        w.setToolTip(f"{f.help} (comma-separated)")
    elif f.kind == "choice":
        w = QComboBox()
        w.addItems(list(f.choices))
        w.setCurrentText(str(f.default))
    elif f.kind == "bool":
        w = QCheckBox()
        w.setChecked(bool(f.default))
    elif f.kind == "int":
        w = _int_spin(int(f.lo if f.lo is not None else 0),
                      int(min(f.hi if f.hi is not None else 2**31 - 1, 2**31 - 1)),
                      int(f.default))
    else:
        hi = float(f.hi if f.hi is not None else 1e9)
        if f.hi_open:
            hi -= 10.0 ** -f.decimals  # a spin box's maximum is inclusive
        w = _double_spin(float(f.lo or 0.0), hi, f.step, f.decimals)
        w.setValue(float(f.default))
    if f.kind != "widths":
        w.setToolTip(f.help)
    w.setObjectName(f"field_{f.key}")
    return w


def value_of(f: Field, w: QWidget) -> Any:
    """The widget's value (widths: ``()`` when the text is not a valid list)."""
    if f.kind == "widths":
        return _parse_widths(w.text())  # type: ignore[attr-defined]
    if f.kind == "choice":
        return w.currentText()  # type: ignore[attr-defined]
    if f.kind == "bool":
        return w.isChecked()  # type: ignore[attr-defined]
    return w.value()  # type: ignore[attr-defined]


def set_value(f: Field, w: QWidget, value: Any) -> None:
    """Show a value (the caller blocks signals)."""
    if f.kind == "widths":
        w.setText(", ".join(str(v) for v in value))  # type: ignore[attr-defined]
    elif f.kind == "choice":
        w.setCurrentText(str(value))  # type: ignore[attr-defined]
    elif f.kind == "bool":
        w.setChecked(bool(value))  # type: ignore[attr-defined]
    elif f.kind == "int":
        w.setValue(int(value))  # type: ignore[attr-defined]
    else:
        w.setValue(float(value))  # type: ignore[attr-defined]


def on_edited(f: Field, w: QWidget, slot: Callable[..., None]) -> None:
    """Call ``slot`` once per user edit (spin boxes on commit, combos on a pick)."""
    if f.kind == "choice":
        w.activated.connect(slot)  # type: ignore[attr-defined]
    elif f.kind == "bool":
        w.clicked.connect(slot)  # type: ignore[attr-defined]
    else:
        w.editingFinished.connect(slot)  # type: ignore[attr-defined]
