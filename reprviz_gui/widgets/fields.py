"""Small field helpers for forms: spin boxes that emit on commit, width lists, short paths, and
signal blocking for values set from code."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox


def _blocked(*widgets: Any) -> list[QSignalBlocker]:
    return [QSignalBlocker(w) for w in widgets]


class _Blocked:
    """``with _Blocked(a, b):`` — code-driven changes emit nothing (acconeer's rule)."""

    def __init__(self, *widgets: Any) -> None:
        self._widgets = widgets

    def __enter__(self) -> None:
        self._blockers = _blocked(*self._widgets)

    def __exit__(self, *exc: Any) -> None:
        for b in self._blockers:
            b.unblock()


def _parse_widths(text: str) -> tuple[int, ...]:
    try:
        widths = tuple(int(p) for p in text.replace(";", ",").replace("-", ",").split(",")
                       if p.strip())
    except ValueError:
        return ()
    return widths if widths and all(0 < w <= 100_000 for w in widths) else ()


def _short_path(path: str) -> str:
    from pathlib import Path

    p = Path(path)
    return f"{p.name} ({p.parent})" if p.name else path


def _int_spin(lo: int, hi: int, value: int) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(lo, hi)
    spin.setValue(value)
    spin.setKeyboardTracking(False)
    return spin


def _double_spin(lo: float, hi: float, step: float, decimals: int) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(lo, hi)
    spin.setSingleStep(step)
    spin.setDecimals(decimals)
    spin.setKeyboardTracking(False)
    return spin
