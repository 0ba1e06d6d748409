"""Accuracy and report: the accuracy on each split (train / validation / test) as the MNIST notes
print it, and the classification report — precision, recall, F1 and support per class, then the
accuracy, macro and weighted averages — as a table sortable by any column. Sorting moves the
classes only; the summary rows stay below them, as in scikit-learn's text report.

Drawn from the "evaluation" product (``core.analysis.reports`` turns it into rows). Clicking a
class selects that class's samples of the evaluated split (shift adds); a "Selected" column
counts the shared selection's samples of each class.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QHeaderView, QLabel, QTableView,
                               QTableWidget, QTableWidgetItem, QWidget)

from ..core.analysis.reports import (REPORT_COLUMNS, AccuracyRow, ReportRow, accuracy_rows,
                                     report_rows)
from ..workspace.results import EvaluationResult
from ..workspace.state import Selection
from .base import Panel, shown_number

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
SELECTED_HEADER = "Selected"


def _fmt(field: str, row: ReportRow) -> str:
    value = getattr(row, field)
    if field == "label":
        return str(value)
    if value is None:
        return ""
    if field == "support":
        return f"{int(value):,}"
    return f"{float(value):.3f}"


class ReportModel(QAbstractTableModel):
    """The report rows; the sort role gives numbers (and the class order for the Class
    column) so sorting is numeric, not alphabetical."""

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.rows: list[ReportRow] = []
        self.selected: Optional[np.ndarray] = None  # per class: selected samples, or None
        self._bold = QFont()
        self._bold.setBold(True)
        self._italic = QFont()
        self._italic.setItalic(True)

    def set_rows(self, rows: list[ReportRow]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def set_selected(self, counts: Optional[np.ndarray]) -> None:
        had = self.selected is not None
        if had != (counts is not None):
            self.beginResetModel()
            self.selected = counts
            self.endResetModel()
            return
        self.selected = counts
        if self.rows:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(len(self.rows) - 1, self.columnCount() - 1))

    def columnCount(self, parent: Any = QModelIndex()) -> int:  # noqa: N802 - Qt API
        return len(REPORT_COLUMNS) + (1 if self.selected is not None else 0)

    def rowCount(self, parent: Any = QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self.rows)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt API
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return REPORT_COLUMNS[section][1] if section < len(REPORT_COLUMNS) \
                else SELECTED_HEADER
        return None

    def _selected_count(self, row: ReportRow) -> Optional[int]:
        if self.selected is None:
            return None
        if row.class_index is not None:
            return int(self.selected[row.class_index])
        return int(self.selected.sum()) if row.kind == "accuracy" else None

    def data(self, index: Any, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        col = index.column()
        field = REPORT_COLUMNS[col][0] if col < len(REPORT_COLUMNS) else None
        if role == Qt.ItemDataRole.DisplayRole:
            if field is None:
                n = self._selected_count(row)
                return "" if not n else f"{n:,}"
            return _fmt(field, row)
        if role == SORT_ROLE:
            if field is None:
                return self._selected_count(row) or 0
            if field == "label":
                return row.class_index if row.class_index is not None else 10**9
            value = getattr(row, field)
            return -1.0 if value is None else float(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and col > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole:
            if row.kind != "class":
                return self._italic
            if self.selected is not None and self._selected_count(row):
                return self._bold
        if role == Qt.ItemDataRole.ToolTipRole and row.kind == "accuracy":
            return "Accuracy: the share of all samples predicted right (shown in the F1 column, " \
                   "as scikit-learn prints it)"
        return None


class SummaryLastProxy(QSortFilterProxyModel):
    """Sorts the class rows by the column's number; accuracy and averages stay at the bottom
    whichever way the column is sorted."""

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)

    def lessThan(self, left: Any, right: Any) -> bool:  # noqa: N802 - Qt API
        model: ReportModel = self.sourceModel()
        lrow, rrow = model.rows[left.row()], model.rows[right.row()]
        lsum, rsum = lrow.kind != "class", rrow.kind != "class"
        if lsum != rsum:  # Qt reverses lessThan for a descending sort: undo that here
            ascending = self.sortOrder() == Qt.SortOrder.AscendingOrder
            return rsum if ascending else lsum
        if lsum:  # summary rows keep their own order
            ascending = self.sortOrder() == Qt.SortOrder.AscendingOrder
            return (left.row() < right.row()) == ascending
        lv, rv = left.data(SORT_ROLE), right.data(SORT_ROLE)
        if lv == rv:
            return left.row() < right.row()
        return lv < rv


class ReportView(Panel):
    """See the module docstring."""

    empty_hint = "Train or load a model to see its accuracy and classification report"

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.accuracy_table = QTableWidget(0, 2, objectName="accuracyTable")
        self.accuracy_table.setHorizontalHeaderLabels(["Split", "Accuracy"])
        self.accuracy_table.verticalHeader().hide()
        self.accuracy_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.accuracy_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.accuracy_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.Stretch)
        self.body_layout.addWidget(self.accuracy_table)
        self.caption = QLabel(objectName="reportCaption")
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.body_layout.addWidget(self.caption)
        self.model = ReportModel(self)
        self.proxy = SummaryLastProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView(objectName="reportTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # the classes in their order
        self.table.verticalHeader().hide()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.clicked.connect(self._row_clicked)
        compact = self.fontMetrics().height() + 6  # every row in view on a laptop screen
        for t in (self.accuracy_table, self.table):
            t.verticalHeader().setDefaultSectionSize(compact)
        self.body_layout.addWidget(self.table, 1)

    # --- drawing ----------------------------------------------------------------------------
    def _draw(self, ev: EvaluationResult) -> None:
        acc = accuracy_rows(ev.accuracy)
        self._fill_accuracy(acc, ev)
        rows = report_rows(ev.report) if ev.report else []
        self.model.set_rows(rows)
        n = int(len(ev.labels)) if ev.labels is not None else 0
        classes = [r for r in rows if r.kind == "class"]
        text = f"<b>Classification report</b> on the {ev.split} split ({n:,} samples)"
        if len(classes) == 2:
            text += (f". With two classes, the “{classes[1].label}” row holds the usual binary "
                     f"precision and recall (“{classes[1].label}” as the positive class)")
        text += ". Click a column to sort; click a class to select its samples."
        self.caption.setText(text)
        self._apply_highlight()

    def _fill_accuracy(self, rows: list[AccuracyRow], ev: EvaluationResult) -> None:
        t = self.accuracy_table
        # one loss definition for every split (incl. the L2 penalty); with L2 on, the plain
        # cross-entropy beside it
        with_l2 = bool(ev.penalty)
        headers = ["Split", "Accuracy", "Loss incl. L2 penalty" if with_l2 else "Loss"]
        if with_l2:
            headers.append("Cross-entropy")
        t.setColumnCount(len(headers))
        t.setHorizontalHeaderLabels(headers)
        t.setRowCount(len(rows))
        for i, row in enumerate(rows):
            t.setItem(i, 0, QTableWidgetItem(row.split))
            cells = [f"{row.accuracy:.4f}  ({row.accuracy:.1%})"]
            loss, ce = ev.loss.get(row.split), ev.cross_entropy.get(row.split)
            cells.append("–" if loss is None else f"{loss:.4f}")
            if with_l2:
                cells.append("–" if ce is None else f"{ce:.4f}")
            for j, text in enumerate(cells, start=1):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                t.setItem(i, j, item)
        height = t.horizontalHeader().height() + sum(t.rowHeight(i) for i in range(len(rows)))
        t.setFixedHeight(height + 2 * t.frameWidth())

    def _apply_highlight(self) -> None:
        ev: Optional[EvaluationResult] = self._result
        sel = self._selection
        if ev is None or ev.labels is None or sel.empty or sel.split != ev.split:
            self.model.set_selected(None)
            return
        idx = sel.indices[sel.indices < len(ev.labels)]
        self.model.set_selected(np.bincount(np.asarray(ev.labels[idx], dtype=np.int64),
                                            minlength=len(ev.class_names)))

    def set_selection(self, selection: Selection) -> None:
        self._selection = selection
        self._apply_highlight()

    def _row_clicked(self, index: Any) -> None:
        ev: Optional[EvaluationResult] = self._result
        if ev is None or ev.labels is None or not index.isValid():
            return
        row = self.model.rows[self.proxy.mapToSource(index).row()]
        if row.class_index is None:
            return
        shift = bool(QApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier)
        indices = np.flatnonzero(np.asarray(ev.labels) == row.class_index)
        self.selection_requested.emit(
            Selection.of(ev.split, indices, f"report: class {row.label}"), shift)

    def _clear_content(self) -> None:
        self.model.set_rows([])
        self.model.set_selected(None)
        self.accuracy_table.setRowCount(0)
        self.caption.clear()

    # --- for tests ----------------------------------------------------------------------------
    def table_rows(self) -> list[list[str]]:
        """The report table as shown (sorted as the user sorted it), one list of cells a row."""
        p = self.proxy
        return [[p.index(r, c).data() for c in range(p.columnCount())]
                for r in range(p.rowCount())]

    def displayed(self) -> dict:
        if self.is_empty():
            return {}
        t = self.accuracy_table
        return {"accuracy": {t.item(i, 0).text(): t.item(i, 1).text()
                             for i in range(t.rowCount())},
                "header": [self.proxy.headerData(c, Qt.Orientation.Horizontal)
                           for c in range(self.proxy.columnCount())],
                "rows": self.table_rows(), "caption": self.caption.text()}


    def report_numbers(self) -> dict:
        """Accuracy per split and the classification report as shown, under report.json's
        keys."""
        if self.is_empty():
            return {}
        t = self.accuracy_table
        out: dict = {}
        columns = {"Loss": "loss", "Loss incl. L2 penalty": "loss",
                   "Cross-entropy": "cross_entropy"}
        for i in range(t.rowCount()):
            split = t.item(i, 0).text()
            out[f"accuracy.{split}"] = shown_number(t.item(i, 1).text().split()[0])
            for j in range(2, t.columnCount()):
                value = shown_number(t.item(i, j).text())
                if value is not None:
                    out[f"{columns[t.horizontalHeaderItem(j).text()]}.{split}"] = value
        fields = {"precision": "precision", "recall": "recall", "f1": "f1-score",
                  "support": "support"}
        header = [f for f, _ in REPORT_COLUMNS]
        for cells in self.table_rows():
            label = cells[0]
            for j, field in enumerate(header[1:], start=1):
                value = shown_number(cells[j] or "")
                if value is None:
                    continue
                if label == "accuracy":  # scikit-learn's layout: a bare number
                    if field == "f1":
                        out["classification_report.accuracy"] = value
                    continue
                out[f"classification_report.{label}.{fields[field]}"] = (
                    int(value.value) if field == "support" else value)
        return out

__all__ = ["ReportView", "ReportModel", "SummaryLastProxy"]
