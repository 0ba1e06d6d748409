"""Layers along depth: each layer's kNN (k = 10, cosine) and linear-probe accuracy on a held-out
30 % of the samples, its intrinsic dimension (TwoNN) and dead units, drawn as lines from the
input to the output. Clicking a layer (a point or a table row) shows that layer in every view.
The numbers are ``core.measures.layer_metrics_of``, the ``layer_metrics`` of report.json."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QLabel, QTableWidget, QTableWidgetItem

from ..core.pipeline import INPUT_LAYER
from ..widgets.colormaps import TAB10
from ..workspace.products_measures import LayerMetricsResult
from .base import Panel, shown_number
from .theme import style_plot

COLUMNS = ("layer", "units", "kNN", "probe", "ID", "dead", "zeros")


def _pct(v) -> str:
    return "–" if v is None else f"{v:.1%}"


class DepthPanel(Panel):
    empty_hint = "Choose data and a model to measure every layer"

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.body_layout.addWidget(self.caption)
        self.plot = pg.PlotWidget()
        item = self.plot.getPlotItem()
        style_plot(self.plot, [item], self)
        item.hideButtons()
        item.setMenuEnabled(False)
        item.setLabel("left", "accuracy (held-out)")
        item.showGrid(x=True, y=True, alpha=0.15)
        item.getAxis("left").enableAutoSIPrefix(False)
        item.addLegend(offset=(-10, -10))
        self.knn_line = item.plot([], [], pen=pg.mkPen(QColor(TAB10[0]), width=2), symbol="o",
                                  symbolSize=7, symbolBrush=QColor(TAB10[0]), name="kNN (k=10)")
        self.probe_line = item.plot([], [], pen=pg.mkPen(QColor(TAB10[1]), width=2),
                                    symbol="s", symbolSize=7, symbolBrush=QColor(TAB10[1]),
                                    name="linear probe")
        for line in (self.knn_line, self.probe_line):
            line.sigPointsClicked.connect(self._point_clicked)
        self.body_layout.addWidget(self.plot, 3)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.cellClicked.connect(self._row_clicked)
        self.body_layout.addWidget(self.table, 2)
        self._names: list[str] = []

    def _draw(self, r: LayerMetricsResult) -> None:
        rows = r.rows
        self._names = [m.layer for m in rows]
        x = np.arange(len(rows), dtype=float)
        knn = np.array([np.nan if m.knn_accuracy is None else m.knn_accuracy for m in rows])
        probe = np.array([np.nan if m.probe_accuracy is None else m.probe_accuracy
                          for m in rows])
        self.knn_line.setData(x, knn)
        self.probe_line.setData(x, probe)
        axis = self.plot.getPlotItem().getAxis("bottom")
        # names alternate between two tick levels' rows so neighbours do not overlap
        axis.setTicks([[(i, n) for i, n in enumerate(self._names) if i % 2 == 0],
                       [(i, n) for i, n in enumerate(self._names) if i % 2 == 1]])
        self.caption.setText(
            f"{len(rows)} layers, {r.n_samples:,} samples: kNN and probe fitted on a stratified "
            f"70 %, scored on the other 30 %; ID = TwoNN intrinsic dimension. Click a layer "
            f"to show it.")
        self.table.setRowCount(len(rows))
        for i, m in enumerate(rows):
            values = (m.layer, f"{m.units:,}" + (f" → {m.reduced_to:,}" if m.reduced_to else ""),
                      _pct(m.knn_accuracy), _pct(m.probe_accuracy),
                      "–" if m.intrinsic_dimension is None else f"{m.intrinsic_dimension:.1f}",
                      f"{m.dead_units:,}", f"{m.fraction_zero:.1%}")
            for j, v in enumerate(values):
                item = QTableWidgetItem(v)
                if j:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight |
                                          Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()

    def _clear_content(self) -> None:
        self.knn_line.setData([], [])
        self.probe_line.setData([], [])
        self.table.setRowCount(0)
        self._names = []

    def _request(self, i: int) -> None:
        if 0 <= i < len(self._names) and self._names[i] != INPUT_LAYER:
            self.layer_requested.emit(self._names[i])

    def _row_clicked(self, row: int, _col: int) -> None:
        self._request(row)

    def _point_clicked(self, _item, points, *_args) -> None:
        if len(points):
            self._request(int(round(points[0].pos().x())))

    def displayed(self) -> dict:
        if self.is_empty():
            return {}
        return {self.table.item(i, 0).text(): {COLUMNS[j]: self.table.item(i, j).text()
                                               for j in range(1, len(COLUMNS))}
                for i in range(self.table.rowCount())}

    def report_numbers(self) -> dict:
        """The table's numbers, read back, under report.json's ``layer_metrics`` keys."""
        out: dict = {}
        for i, (name, row) in enumerate(self.displayed().items()):
            key = f"layer_metrics.layers.{i}"
            out[f"{key}.layer"] = name
            out[f"{key}.knn_accuracy"] = shown_number(row["kNN"])
            out[f"{key}.probe_accuracy"] = shown_number(row["probe"])
            out[f"{key}.intrinsic_dimension"] = shown_number(row["ID"])
            out[f"{key}.dead_units"] = int(row["dead"].replace(",", ""))
            out[f"{key}.fraction_zero"] = shown_number(row["zeros"])
        return out
