"""Layer similarity: linear CKA (Kornblith et al. 2019) between every pair of the model's layers,
a heat map with the layer names (1 = the same representation up to rotation and scale).
Clicking a cell shows its row's layer in every view and names both layers with their CKA.
The numbers are ``core.measures.cka_of``, the ``cka`` matrix of report.json."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableWidget, \
    QTableWidgetItem

from ..core.pipeline import INPUT_LAYER
from ..workspace.products_measures import CKAResult
from .base import Panel


def _colour(v: float) -> QColor:
    """White (0) to dark blue (1)."""
    v = min(1.0, max(0.0, float(v)))
    return QColor(int(255 - 205 * v), int(255 - 170 * v), int(255 - 75 * v))


class CKAPanel(Panel):
    empty_hint = "Choose data and a model to compare its layers"

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.body_layout.addWidget(self.caption)
        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.cellClicked.connect(self._cell_clicked)
        self.body_layout.addWidget(self.table, 1)
        self.picked = QLabel()
        self.body_layout.addWidget(self.picked)

    def _draw(self, r: CKAResult) -> None:
        m = r.cka
        self.table.setRowCount(len(m.rows))
        self.table.setColumnCount(len(m.cols))
        self.table.setVerticalHeaderLabels(list(m.rows))
        self.table.setHorizontalHeaderLabels(list(m.cols))
        for i in range(len(m.rows)):
            for j in range(len(m.cols)):
                v = float(m.matrix[i, j])
                item = QTableWidgetItem(f"{v:.2f}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                item.setBackground(QBrush(_colour(v)))
                item.setForeground(QBrush(QColor("white" if v > 0.6 else "black")))
                self.table.setItem(i, j, item)
        forms = sorted(set(m.forms))
        self.caption.setText(f"linear CKA{' (debiased)' if m.debiased else ''} between "
                             f"{len(m.rows)} layers on {m.n_samples:,} samples "
                             f"({', '.join(forms)} form). Click a cell to show its layer.")
        self.picked.setText("")

    def _clear_content(self) -> None:
        self.table.setRowCount(0)
        self.table.setColumnCount(0)
        self.picked.setText("")

    def _cell_clicked(self, row: int, col: int) -> None:
        r = self.result()
        if r is None:
            return
        a, b = r.cka.rows[row], r.cka.cols[col]
        self.picked.setText(f"{a} × {b}: CKA {float(r.cka.matrix[row, col]):.3f}")
        if a != INPUT_LAYER:
            self.layer_requested.emit(a)

    def displayed(self) -> dict:
        if self.is_empty():
            return {}
        return {"rows": [self.table.verticalHeaderItem(i).text()
                         for i in range(self.table.rowCount())],
                "matrix": [[float(self.table.item(i, j).text())
                            for j in range(self.table.columnCount())]
                           for i in range(self.table.rowCount())],
                "picked": self.picked.text()}
