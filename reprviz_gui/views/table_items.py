"""Read-only table cells that sort by value and remember what they name, for the tables of the
words and run-history views."""

from __future__ import annotations

from typing import Any, Optional

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

KEY = Qt.ItemDataRole.UserRole  # what a cell names: a table row, a run id
SORT = Qt.ItemDataRole.UserRole + 1  # the value a column sorts by (numbers, not their text)


class Cell(QTableWidgetItem):
    """A cell whose column sorts by ``SORT`` when both cells have one (else by text); cells
    without a value (``–``) sort below every number."""

    def __lt__(self, other: QTableWidgetItem) -> bool:  # noqa: D105 - Qt's sort order
        a, b = self.data(SORT), other.data(SORT)
        if a is None or b is None:
            if a is None and b is None:
                return self.text() < other.text()
            return a is None
        return a < b


def cell(text: Any, key: Any = None, sort: Optional[float] = None, tip: str = "") -> Cell:
    it = Cell(str(text))
    if key is not None:
        it.setData(KEY, key)
    if sort is not None:
        it.setData(SORT, float(sort))
    if tip:
        it.setToolTip(tip)
    it.setFlags(it.flags() & ~Qt.ItemFlag.ItemIsEditable)
    return it


def make_table(headers: list[str], rows_selectable: bool = False) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().setVisible(False)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setAlternatingRowColors(True)
    if rows_selectable:
        t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        t.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    else:
        t.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        t.setCursor(Qt.CursorShape.PointingHandCursor)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.horizontalHeader().setStretchLastSection(True)
    # no sort column until the user clicks a header: rows stay in the order they were added
    t.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    return t
