"""The layer inspector: every layer's configuration as a readable table — type, units or filters,
kernel size, activation, initialisers, regularisers, dropout rate, parameters, trainable, output
shape — and below it the full ``layer.get_config()`` of the clicked layer as pretty JSON (what
the IMDB post prints). The row of the layer the other views show is highlighted; clicking a row
picks that layer for them (``layer_requested``, relayed by the host to the controller).

Its products ("layer_table", "inspector") are in ``workspace/products_inspector.py``.
"""

from __future__ import annotations

from typing import Any, Optional

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QPlainTextEdit,
                               QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ..core.model.extraction import is_raw, raw_base
from ..core.model.inspect import LAYER_COLUMNS
from ..workspace.products_inspector import (InspectorResult, LayerTableResult,  # noqa: F401
                                             compute_layer_table)
from .base import Panel

ALWAYS_SHOWN = ("index", "name", "type", "params", "output_shape")


# --- formatting ----------------------------------------------------------------------------
def format_cell(field: str, value: Any) -> str:
    """A LayerRow field as the table shows it: sizes as 5×5, booleans as yes/no, counts with
    thousands separators, unset settings empty."""
    if value is None or value == "":
        return ""
    if field == "output_shape":
        return "×".join("?" if d is None else str(d) for d in value) or "–"
    if isinstance(value, tuple):
        return "×".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field in ("params", "trainable_params"):
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# --- the view ------------------------------------------------------------------------------
class InspectorView(Panel):
    """See the module docstring. ``layer_requested(name)``: the user clicked a layer's row."""

    empty_hint = "Choose a preset or load a model to see its layers"


    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.header = QLabel(objectName="inspectorHeader")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.body_layout.addWidget(self.header)
        self.table = QTableWidget(0, 0, objectName="inspectorTable")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.config_title = QLabel(objectName="inspectorConfigTitle")
        self.config = QPlainTextEdit(objectName="inspectorConfig")
        self.config.setReadOnly(True)
        self.config.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.config.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        pane = QWidget()
        v = QVBoxLayout(pane)
        v.setContentsMargins(0, 0, 0, 0)
        v.setSpacing(2)
        v.addWidget(self.config_title)
        v.addWidget(self.config, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(pane)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.body_layout.addWidget(self.splitter, 1)
        self._fields: list[str] = []
        self._config_row = -1
        self.table.cellClicked.connect(self._row_clicked)

    # --- drawing ----------------------------------------------------------------------------
    def _draw(self, r: InspectorResult) -> None:
        rows = r.table.rows
        shown = [(f, title) for f, title in LAYER_COLUMNS
                 if f in ALWAYS_SHOWN or any(getattr(row, f) not in (None, "") for row in rows)]
        self._fields = [f for f, _ in shown]
        t = self.table
        t.clearContents()
        t.setColumnCount(len(shown))
        t.setHorizontalHeaderLabels([title for _, title in shown])
        t.setRowCount(len(rows))
        for i, row in enumerate(rows):
            for j, field in enumerate(self._fields):
                item = QTableWidgetItem(format_cell(field, getattr(row, field)))
                if field in ("index", "units", "filters", "params", "trainable_params",
                             "dropout", "recurrent_dropout"):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                t.setItem(i, j, item)
        total = sum(row.params for row in rows)
        trainable = sum(row.trainable_params for row in rows)
        text = (f"<b>{len(rows)} layers</b>, {total:,} parameters ({trainable:,} trainable). "
                "Click a row to show that layer in the views and its full configuration below.")
        if is_raw(r.layer):
            text += (f"<br>The views show <b>{r.layer}</b>: the input of "
                     f"{raw_base(r.layer)} times its kernel (x·W), before bias and activation.")
        self.header.setText(text)
        current = self.current_row()
        self._show_config(current if current >= 0 else (0 if rows else -1))
        self._apply_current()
        self._fit_table()

    def _fit_table(self) -> None:
        """The table as tall as its rows (at most 60 %), the configuration the rest."""
        total = sum(self.splitter.sizes())
        if total <= 0:
            return
        t = self.table
        need = (t.horizontalHeader().height() + t.horizontalScrollBar().sizeHint().height()
                + sum(t.rowHeight(i) for i in range(t.rowCount())) + 2 * t.frameWidth() + 2)
        top = min(need, int(total * 0.6))
        self.splitter.setSizes([top, total - top])

    def current_row(self) -> int:
        """The row of the layer the views show (its Dense layer for a raw projection)."""
        r: Optional[InspectorResult] = self._result
        if r is None:
            return -1
        want = raw_base(r.layer)
        return next((i for i, row in enumerate(r.table.rows) if row.name == want), -1)

    def _apply_current(self) -> None:
        current = self.current_row()
        pal = self.palette()
        mark = pal.color(QPalette.ColorRole.Highlight)
        mark.setAlpha(60)
        for i in range(self.table.rowCount()):
            for j in range(self.table.columnCount()):
                item = self.table.item(i, j)
                font = QFont(item.font())
                font.setBold(i == current)
                item.setFont(font)
                item.setBackground(mark if i == current else pal.color(QPalette.ColorRole.Base))
        if current >= 0:
            self.table.scrollToItem(self.table.item(current, 0))

    def _show_config(self, row: int) -> None:
        r: Optional[InspectorResult] = self._result
        self._config_row = row
        if r is None or not 0 <= row < len(r.table.rows):
            self.config_title.clear()
            self.config.clear()
            return
        name = r.table.rows[row].name
        self.config_title.setText(f"Full configuration of <b>{name}</b> "
                                  f"(<code>layer.get_config()</code>):")
        self.config.setPlainText(r.table.configs[row])

    # --- user input -------------------------------------------------------------------------
    def _row_clicked(self, row: int, _column: int) -> None:
        r: Optional[InspectorResult] = self._result
        if r is None or not 0 <= row < len(r.table.rows):
            return
        self._show_config(row)
        layer = r.table.rows[row]
        if layer.type != "InputLayer" and layer.name != raw_base(r.layer):
            self.layer_requested.emit(layer.name)

    # --- Panel hooks ------------------------------------------------------------------------
    def _clear_content(self) -> None:
        self.table.clear()
        self.table.setRowCount(0)
        self.table.setColumnCount(0)
        self.header.clear()
        self._show_config(-1)

    def displayed(self) -> dict:
        if self.is_empty():
            return {}
        t = self.table
        return {"columns": [t.horizontalHeaderItem(j).text() for j in range(t.columnCount())],
                "rows": [[t.item(i, j).text() for j in range(t.columnCount())]
                         for i in range(t.rowCount())],
                "current": self.current_row(), "config_row": self._config_row,
                "config": self.config.toPlainText(), "header": self.header.text()}
