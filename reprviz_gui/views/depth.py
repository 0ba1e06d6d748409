"""Layers along depth: each layer's kNN (k = 10, cosine) and linear-probe accuracy on a held-out
30 % of the samples, its intrinsic dimension (TwoNN) and dead units, drawn as lines from the
input to the output. Clicking a layer (a point or a table row) shows that layer in every view.
While two models are compared both are drawn in one plot along relative depth (A solid, its
layer names below; B dashed, its names above) and listed in one table (B's rows marked "B ·");
a click shows the layer in its own model's views.
The numbers are ``core.measures.layer_metrics_of``, the ``layer_metrics`` of report.json (B's
are its ``model_b``)."""

from __future__ import annotations

from typing import Any, Union

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
B_MARK = "B · "  # B's rows in the table while comparing


def _pct(v) -> str:
    return "–" if v is None else f"{v:.1%}"


def _line(item: pg.PlotItem, colour: str, symbol: str, name: str, dashed: bool = False):
    style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
    return item.plot([], [], pen=pg.mkPen(QColor(colour), width=2, style=style), symbol=symbol,
                     symbolSize=7, symbolBrush=QColor(colour), name=name)


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
        self.knn_line = _line(item, TAB10[0], "o", "kNN (k=10)")
        self.probe_line = _line(item, TAB10[1], "s", "linear probe")
        self.knn_line_b = _line(item, TAB10[0], "t", "B: kNN", dashed=True)
        self.probe_line_b = _line(item, TAB10[1], "d", "B: probe", dashed=True)
        self._lines = {self.knn_line: "A", self.probe_line: "A", self.knn_line_b: "B",
                       self.probe_line_b: "B"}
        for line in self._lines:
            line.sigPointsClicked.connect(self._point_clicked)
        self.body_layout.addWidget(self.plot, 3)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.cellClicked.connect(self._row_clicked)
        self.body_layout.addWidget(self.table, 2)
        self._names: list[str] = []  # A's layers
        self._table_rows: list[tuple[str, str]] = []  # (session, layer) per table row
        self._x_of: dict[str, np.ndarray] = {}  # session -> x of its layers in the plot
        self._results: dict[str, LayerMetricsResult] = {}  # session id -> its metrics

    # one view for both models: each session's metrics arrive with its id
    def show_product(self, kind: str, session_id: str, result: Any) -> None:
        self._results[session_id or "A"] = result
        self._show_both()

    def product_unavailable(self, kind: str, session_id: str, why: str) -> None:
        self._results.pop(session_id or "A", None)
        if "A" in self._results:
            self._show_both()
        else:
            self.clear(why)

    def set_dataset(self, dataset: Any) -> None:
        self._results.clear()

    def set_sessions(self, session_ids: tuple[str, ...]) -> None:
        gone = [sid for sid in self._results if sid not in session_ids]
        for sid in gone:
            del self._results[sid]
        if gone and "A" in self._results:
            self._show_both()

    def _show_both(self) -> None:
        a = self._results.get("A")
        if a is None:
            return
        b = self._results.get("B")
        self.show_result(a if b is None or b.n_samples != a.n_samples else (a, b))

    def _draw(self, r: Union[LayerMetricsResult, tuple]) -> None:
        a, b = r if isinstance(r, tuple) else (r, None)
        rows, rows_b = a.rows, (b.rows if b is not None else ())
        self._names = [m.layer for m in rows]
        # along relative depth when comparing (the two models have different layer counts)
        self._x_of = {"A": _x(len(rows), b is not None), "B": _x(len(rows_b), True)}
        item = self.plot.getPlotItem()
        for sid, ms, knn, probe in (("A", rows, self.knn_line, self.probe_line),
                                    ("B", rows_b, self.knn_line_b, self.probe_line_b)):
            knn.setData(self._x_of[sid], _values(ms, "knn_accuracy"))
            probe.setData(self._x_of[sid], _values(ms, "probe_accuracy"))
            knn.setVisible(bool(len(ms)))
            probe.setVisible(bool(len(ms)))
        # names alternate between two tick levels' rows so neighbours do not overlap
        item.getAxis("bottom").setTicks(_ticks(self._x_of["A"], self._names))
        item.showAxis("top", b is not None)
        if b is not None:
            item.getAxis("top").setTicks(_ticks(self._x_of["B"], [m.layer for m in rows_b]))
        both = (" Both models along relative depth: A solid (names below), B dashed (names "
                "above).") if b is not None else ""
        self.caption.setText(
            f"{len(rows)} layers, {a.n_samples:,} samples: kNN and probe fitted on a stratified "
            f"70 %, scored on the other 30 %; ID = TwoNN intrinsic dimension. Click a layer "
            f"to show it.{both}")
        self._table_rows = [("A", m.layer) for m in rows] + [("B", m.layer) for m in rows_b]
        self.table.setRowCount(len(self._table_rows))
        for i, m in enumerate(list(rows) + list(rows_b)):
            mark = B_MARK if i >= len(rows) else ""
            values = (mark + m.layer,
                      f"{m.units:,}" + (f" → {m.reduced_to:,}" if m.reduced_to else ""),
                      _pct(m.knn_accuracy), _pct(m.probe_accuracy),
                      "–" if m.intrinsic_dimension is None else f"{m.intrinsic_dimension:.1f}",
                      f"{m.dead_units:,}", f"{m.fraction_zero:.1%}")
            for j, v in enumerate(values):
                cell = QTableWidgetItem(v)
                if j:
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight |
                                          Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, j, cell)
        self.table.resizeColumnsToContents()

    def _clear_content(self) -> None:
        for line in self._lines:
            line.setData([], [])
        self.table.setRowCount(0)
        self._names, self._table_rows, self._x_of = [], [], {}

    def _request(self, session_id: str, layer: str) -> None:
        if layer != INPUT_LAYER:
            self.session_layer_requested.emit(session_id, layer)

    def _row_clicked(self, row: int, _col: int) -> None:
        if 0 <= row < len(self._table_rows):
            self._request(*self._table_rows[row])

    def _point_clicked(self, item, points, *_args) -> None:
        sid = self._lines.get(item, "A")
        x = self._x_of.get(sid)
        if not len(points) or x is None or not len(x):
            return
        names = [n for s, n in self._table_rows if s == sid]
        self._request(sid, names[int(np.argmin(np.abs(x - points[0].pos().x())))])

    def displayed(self) -> dict:
        if self.is_empty():
            return {}
        return {self.table.item(i, 0).text(): {COLUMNS[j]: self.table.item(i, j).text()
                                               for j in range(1, len(COLUMNS))}
                for i in range(self.table.rowCount())}

    def report_numbers(self) -> dict:
        """The table's numbers, read back, under report.json's ``layer_metrics`` keys (B's rows
        under ``layer_metrics.model_b``)."""
        shown = list(self.displayed().items())
        out = _numbers("layer_metrics", [(n, r) for n, r in shown if not n.startswith(B_MARK)])
        out.update(_numbers("layer_metrics.model_b", [(n[len(B_MARK):], r) for n, r in shown
                                                      if n.startswith(B_MARK)]))
        return out


def _x(n: int, relative: bool) -> np.ndarray:
    x = np.arange(n, dtype=float)
    return x / max(1, n - 1) if relative else x


def _values(rows, field: str) -> np.ndarray:
    return np.array([np.nan if getattr(m, field) is None else getattr(m, field) for m in rows])


def _ticks(x: np.ndarray, names: list[str]) -> list:
    return [[(float(x[i]), n) for i, n in enumerate(names) if i % 2 == 0],
            [(float(x[i]), n) for i, n in enumerate(names) if i % 2 == 1]]


def _numbers(prefix: str, rows: list) -> dict:
    out: dict = {}
    for i, (name, row) in enumerate(rows):
        key = f"{prefix}.layers.{i}"
        out[f"{key}.layer"] = name
        out[f"{key}.knn_accuracy"] = shown_number(row["kNN"])
        out[f"{key}.probe_accuracy"] = shown_number(row["probe"])
        out[f"{key}.intrinsic_dimension"] = shown_number(row["ID"])
        out[f"{key}.dead_units"] = int(row["dead"].replace(",", ""))
        out[f"{key}.fraction_zero"] = shown_number(row["zeros"])
    return out
