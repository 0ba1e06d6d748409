"""The run history: every training run as a row (the course's hyper-parameter table), and the
course's scatter of validation loss against validation accuracy, one point per run.

Click a row or a point to see that run's settings, and "Restore these settings" to put them
back into the sidebar; "Delete" removes the selected rows, "Export CSV…" writes the rows shown.
The rows come from ``history.json`` (the "history" product); this view writes nothing itself:
deleting and restoring are asked of the window (``delete_runs_requested``,
``restore_settings_requested``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Any, Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton,
                               QSplitter, QVBoxLayout, QWidget)
from superqt.utils import qthrottled

from ..core.model.preset_table import FIELDS, HISTORY_COLUMNS, run_setting
from ..workspace.products_history import HistoryResult
from .base import Panel
from .options import ViewOptions
from .table_items import KEY, SORT, cell, make_table
from .theme import make_subtitle, scene_to_panel, style_plot, tick_font

ALL = ""  # the dataset filter's "all datasets"
HIT_RADIUS_PX = 9
POINT = (31, 119, 180)

def _setting(key: str) -> Any:
    return lambda r: run_setting(r.settings, key)


_FORMATS = {"int": "d", "float": "g"}
# (header, RunRecord attribute or a function of the record, format); the settings' columns
# come from the preset table (HISTORY_COLUMNS: optimizer, learning rate, ..., seed)
COLUMNS: list[tuple[str, Any, str]] = [
    ("time", "time", "time"), ("dataset", "dataset", ""), ("architecture", "architecture", ""),
    *[(header, _setting(key), _FORMATS.get(FIELDS[key].kind, ""))
      for key, header in HISTORY_COLUMNS.items()],
    # every full epoch the weights have after the run (continued runs count the earlier ones)
    ("epochs", lambda r: r.epochs_total, "d"),
    ("continued", lambda r: _continued_text(r), ""),
    ("train acc", "train_accuracy", "%"), ("val acc", "val_accuracy", "%"),
    ("test acc", "test_accuracy", "%"), ("train loss", "train_loss", ".4f"),
    ("val loss", "val_loss", ".4f"), ("test loss", "test_loss", ".4f"),
    # the losses include the L2 penalty (one definition, all splits); with L2 on, the plain
    # cross-entropy beside them ("–" without L2: it equals the loss)
    ("L2 penalty", "l2_penalty", ".4f"),
    ("train CE", lambda r: r.train_cross_entropy if r.l2_penalty else None, ".4f"),
    ("val CE", lambda r: r.val_cross_entropy if r.l2_penalty else None, ".4f"),
    ("test CE", lambda r: r.test_cross_entropy if r.l2_penalty else None, ".4f"),
    ("seconds", "duration_s", ".1f"), ("status", lambda r: r.status, ""),
    ("source", "source", ""),
]


def _continued_text(r: Any) -> str:
    """What a run continued: ``after 5`` (epochs; the run it continued is in its details)."""
    text = f"after {r.epochs_before}" if r.epochs_before or r.continued_from else "fresh"
    if r.partial_batches:
        text += f" · +{r.partial_batches} batches"
    return text


def _value(record: Any, what: Any) -> Any:
    return what(record) if callable(what) else getattr(record, what)


def _text(value: Any, fmt: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if fmt == "%":
        return f"{100 * value:.1f} %"
    if fmt == "time":
        return str(value)[:19].replace("T", " ")
    if fmt in ("g", "d") or fmt.startswith("."):
        return format(value, fmt)
    return str(value)


def run_label(r: Any) -> str:
    """One line naming a run: its time, data, model and learning rate."""
    lr = f", lr {r.learning_rate:g}" if r.learning_rate is not None else ""
    return f"{_text(r.time, 'time')} · {r.dataset} · {r.architecture}{lr}"


@dataclass
class HistoryOptions(ViewOptions):
    dataset: str = ALL  # the runs of one dataset only; "" = all


class HistoryView(Panel):
    empty_hint = ("No training runs yet: every run (Train here, or main.py analyze) adds a row "
                  "with its settings, accuracy and loss.")


    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        bar = QHBoxLayout()
        bar.setSpacing(6)
        bar.addWidget(QLabel("Dataset"))
        self.dataset_combo = QComboBox()
        self.dataset_combo.setObjectName("historyDataset")
        self.dataset_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.dataset_combo.activated.connect(self._on_filter_chosen)
        self.options = HistoryOptions()
        self.options.events.dataset.connect(self._show_filter)
        bar.addWidget(self.dataset_combo)
        bar.addStretch(1)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Remove the selected runs from the history")
        self.delete_button.setEnabled(False)
        self.delete_button.clicked.connect(self._on_delete)
        bar.addWidget(self.delete_button)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setToolTip("Save the runs shown as a CSV table")
        self.export_button.clicked.connect(self._on_export)
        bar.addWidget(self.export_button)
        self.body_layout.addLayout(bar)
        self.note = QLabel()
        self.note.setObjectName("historyNote")
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.RichText)
        self.note.setStyleSheet("#historyNote { color: #a33; }")
        self.note.linkActivated.connect(lambda _: self._set_note(None))
        self.note.hide()
        self.body_layout.addWidget(self.note)

        # the table on top; below it the chosen run's settings beside the scatter
        split = QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        self.table = make_table([c[0] for c in COLUMNS], rows_selectable=True)
        self.table.setSortingEnabled(True)
        self.table.itemSelectionChanged.connect(self._on_table_selection)
        split.addWidget(self.table)
        below = QSplitter(Qt.Orientation.Horizontal)
        below.setChildrenCollapsible(False)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        self.details = QLabel()
        self.details.setObjectName("historyDetails")
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setWordWrap(True)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lv.addWidget(self.details, 1)
        self.restore_button = QPushButton("Restore these settings")
        self.restore_button.setToolTip("Put this run's model and training settings into the "
                                       "sidebar (the model is rebuilt, ready to train again)")
        self.restore_button.setEnabled(False)
        self.restore_button.clicked.connect(self._on_restore)
        lv.addWidget(self.restore_button, 0, Qt.AlignmentFlag.AlignLeft)
        below.addWidget(left)

        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        self.subtitle = make_subtitle()
        rv.addWidget(self.subtitle)
        self.view = pg.PlotWidget()
        self.plot: pg.PlotItem = self.view.getPlotItem()
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setLabel("bottom", "validation loss")
        self.plot.setLabel("left", "validation accuracy (%)")
        for name in ("left", "bottom"):
            self.plot.getAxis(name).setTickFont(tick_font())
            self.plot.getAxis(name).enableAutoSIPrefix(False)
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.scatter = pg.ScatterPlotItem(size=9, antialias=True)
        self.plot.addItem(self.scatter)
        self.current = pg.ScatterPlotItem(size=15, antialias=True, brush=pg.mkBrush(0, 0, 0, 0),
                                          pen=pg.mkPen(20, 20, 20, 255, width=2))
        self.current.setZValue(2)
        self.plot.addItem(self.current)
        style_plot(self.view, [self.plot], self)
        rv.addWidget(self.view, 1)
        below.addWidget(right)
        below.setSizes([300, 400])
        split.addWidget(below)
        split.setSizes([280, 420])
        self.body_layout.addWidget(split, 1)

        self._records: dict[str, Any] = {}
        self._order: list[str] = []  # ids, oldest first
        self._points = np.zeros((0, 2))
        self._point_ids: list[str] = []
        self._current: Optional[str] = None
        self._note_text: Optional[str] = None
        self._hover = qthrottled(self._hover_at, timeout=25, parent=self)
        self.view.scene().sigMouseMoved.connect(lambda pos: self._hover(QPointF(pos)))
        self.view.scene().sigMouseClicked.connect(self._on_plot_click)
        self.watch_leave(self.view.viewport())

    # --- drawing ------------------------------------------------------------------------------
    def _draw(self, r: HistoryResult) -> None:
        if r.note:
            self._set_note(r.note)
        if not r.records:
            self._records, self._order = {}, []
            self.clear(self.empty_hint + (f"\n\n{self._note_text}" if self._note_text else ""))
            return
        self._records = {rec.id: rec for rec in r.records}
        self._order = [rec.id for rec in r.records]
        chosen = self.options.dataset  # as chosen, or restored before the runs arrived
        datasets = sorted({rec.dataset for rec in r.records})
        self.dataset_combo.clear()
        self.dataset_combo.addItem(f"All ({len(r.records)})", ALL)
        for name in datasets:
            n = sum(rec.dataset == name for rec in r.records)
            self.dataset_combo.addItem(f"{name} ({n})", name)
        self.dataset_combo.setCurrentIndex(max(0, self.dataset_combo.findData(chosen)))
        self._fill_table()
        if self._current not in self._records:
            self._current = None
        self._apply_filter()

    def _fill_table(self) -> None:
        t = self.table
        t.setSortingEnabled(False)
        t.clearSelection()
        t.setRowCount(len(self._order))
        for i, rid in enumerate(reversed(self._order)):  # newest first until the user sorts
            rec = self._records[rid]
            for j, (_, what, fmt) in enumerate(COLUMNS):
                value = _value(rec, what)
                sort = value if isinstance(value, (int, float)) and \
                    not isinstance(value, bool) and math.isfinite(value) else None
                t.setItem(i, j, cell(_text(value, fmt), rid, sort,
                                     tip=run_label(rec) if j == 0 else ""))
        t.setSortingEnabled(True)

    def _shown_ids(self) -> list[str]:
        """The runs the filter shows, in table order."""
        return [self.table.item(i, 0).data(KEY) for i in range(self.table.rowCount())
                if not self.table.isRowHidden(i)]

    def _on_filter_chosen(self, *_: Any) -> None:
        self.options.dataset = self.dataset_combo.currentData() or ALL
        self._apply_filter()

    def _show_filter(self, dataset: str, *_: Any) -> None:
        """A restored filter: shown now if that dataset has runs, else once it has."""
        i = self.dataset_combo.findData(dataset)
        if i >= 0 and i != self.dataset_combo.currentIndex():
            self.dataset_combo.setCurrentIndex(i)
            self._apply_filter()

    def _apply_filter(self, *_: Any) -> None:
        chosen = self.dataset_combo.currentData() or ALL
        for i in range(self.table.rowCount()):
            rec = self._records[self.table.item(i, 0).data(KEY)]
            self.table.setRowHidden(i, chosen != ALL and rec.dataset != chosen)
        self._draw_points()
        self._show_details()

    def _draw_points(self) -> None:
        shown = set(self._shown_ids())
        ids = [rid for rid in self._order if rid in shown]
        plotted = [rid for rid in ids if self._records[rid].val_loss is not None
                   and self._records[rid].val_accuracy is not None]
        self._point_ids = plotted
        self._points = np.array([[self._records[rid].val_loss,
                                  100 * self._records[rid].val_accuracy] for rid in plotted],
                                dtype=float).reshape(-1, 2)
        brushes = [pg.mkBrush(*POINT, 70 if self._records[rid].stopped else 220)
                   for rid in plotted]
        self.scatter.setData(pos=self._points, data=list(range(len(plotted))), brush=brushes,
                             pen=pg.mkPen(*POINT, 255, width=1.2))
        left_out = len(ids) - len(plotted)
        text = f"<b>{len(plotted)} run{'s' if len(plotted) != 1 else ''}</b>: validation " \
               "loss against validation accuracy (faint: stopped early)"
        if left_out:
            text += f" · {left_out} without a validation split not shown"
        self.subtitle.setText(text)
        if len(plotted):
            self.plot.getViewBox().autoRange(padding=0.12)  # now, so clicks hit what is shown
        self._draw_current()

    def _draw_current(self) -> None:
        if self._current in self._point_ids:
            k = self._point_ids.index(self._current)
            self.current.setData(pos=self._points[k:k + 1])
        else:
            self.current.clear()

    def _show_details(self) -> None:
        rec = self._records.get(self._current) if self._current else None
        self.restore_button.setEnabled(rec is not None and bool(rec.settings))
        if rec is None:
            self.details.setText("<i>Click a run (a row or a point) to see its settings.</i>")
            return
        from ..workspace.history_rows import settings_summary

        items = settings_summary(rec.settings)
        rows = "".join(
            "<tr>" + "".join(f"<td>{escape(k)}</td><td><b>{escape(v)}</b>&nbsp;&nbsp;</td>"
                             for k, v in items[i:i + 2]) + "</tr>"
            for i in range(0, len(items), 2))
        acc = " · ".join(f"{name} {_text(v, '%')}" for name, v in (
            ("train", rec.train_accuracy), ("validation", rec.val_accuracy),
            ("test", rec.test_accuracy)) if v is not None)
        went_on = ""
        if rec.epochs_before or rec.continued_from:
            went_on = (f", continuing {rec.epochs_before} earlier epoch(s) (run "
                       f"{escape(self._label_of(rec.continued_from))}): "
                       f"{rec.epochs_total} in all")
        part = f" and {rec.partial_batches} batch(es) of the next" if rec.partial_batches else ""
        self.details.setText(f"<b>{escape(run_label(rec))}</b><br>{rec.status}, "
                             f"{rec.epochs_done} of {rec.epochs_planned} epochs{part}"
                             f"{went_on} in "
                             f"{rec.duration_s:.1f} s{' · ' + acc if acc else ''}"
                             f"<table>{rows}</table>")

    def _label_of(self, run_id: Optional[str]) -> str:
        rec = self._records.get(run_id) if run_id else None
        return run_label(rec) if rec is not None else (run_id or "not recorded")[:12]

    def _set_note(self, note: Optional[str]) -> None:
        self._note_text = note
        self.note.setText(f"{escape(note)} <a href='dismiss'>dismiss</a>" if note else "")
        self.note.setVisible(bool(note))

    def _clear_content(self) -> None:
        self.table.setRowCount(0)
        self.scatter.clear()
        self.current.clear()
        self.details.clear()
        self.subtitle.clear()
        self._points = np.zeros((0, 2))
        self._point_ids = []

    # --- user input ---------------------------------------------------------------------------
    def select_run(self, run_id: Optional[str]) -> None:
        """Show this run's settings and mark its row and point (also from code)."""
        self._current = run_id if run_id in self._records else None
        self.table.blockSignals(True)
        self.table.clearSelection()
        for i in range(self.table.rowCount()):
            if self.table.item(i, 0).data(KEY) == self._current:
                self.table.selectRow(i)
                self.table.scrollToItem(self.table.item(i, 0))
        self.table.blockSignals(False)
        self.delete_button.setEnabled(self._current is not None)
        self._draw_current()
        self._show_details()

    def _selected_ids(self) -> list[str]:
        rows = {ix.row() for ix in self.table.selectionModel().selectedRows()}
        return [self.table.item(i, 0).data(KEY) for i in sorted(rows)
                if not self.table.isRowHidden(i)]

    def _on_table_selection(self) -> None:
        ids = self._selected_ids()
        self.delete_button.setEnabled(bool(ids))
        current = self.table.currentRow()
        rid = self.table.item(current, 0).data(KEY) if current >= 0 and \
            self.table.item(current, 0) is not None else None
        self._current = rid if rid in ids else (ids[0] if ids else None)
        self._draw_current()
        self._show_details()

    def _on_restore(self) -> None:
        rec = self._records.get(self._current) if self._current else None
        if rec is not None:
            self.restore_settings_requested.emit(dict(rec.settings))

    def _on_delete(self) -> None:
        ids = self._selected_ids()
        if ids:
            self.delete_runs_requested.emit(list(ids))

    def _on_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the run history", "runs.csv",
                                              "CSV table (*.csv)")
        if path:
            self.export_csv(path)

    def export_csv(self, path: str) -> None:
        """The runs shown (filtered, in table order) as CSV."""
        from ..core.io.history import export_csv

        export_csv([self._records[rid] for rid in self._shown_ids()], path)

    def point_at(self, scene_pos: QPointF) -> Optional[int]:
        vb = self.plot.getViewBox()
        if not len(self._points) or not vb.sceneBoundingRect().contains(scene_pos):
            return None
        p = vb.mapSceneToView(scene_pos)
        pw, ph = vb.viewPixelSize()
        if pw <= 0 or ph <= 0:
            return None
        d2 = ((self._points[:, 0] - p.x()) / pw) ** 2 + ((self._points[:, 1] - p.y()) / ph) ** 2
        k = int(np.argmin(d2))
        return k if d2[k] <= HIT_RADIUS_PX ** 2 else None

    def scene_pos_of(self, k: int) -> QPointF:
        x, y = self._points[k]
        return self.plot.getViewBox().mapViewToScene(QPointF(float(x), float(y)))

    def _hover_at(self, scene_pos: QPointF) -> None:
        k = self.point_at(scene_pos)
        if k is None:
            self.hide_hover()
            return
        rec = self._records[self._point_ids[k]]
        self.show_hover(scene_to_panel(self, self.view, scene_pos), (), [
            run_label(rec), f"validation: accuracy {_text(rec.val_accuracy, '%')}, loss "
            f"{_text(rec.val_loss, '.4f')}", f"{rec.status} after {rec.epochs_done} epochs"])

    def _on_plot_click(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            k = self.point_at(ev.scenePos())
            if k is not None:
                self.select_run(self._point_ids[k])

    # --- tests --------------------------------------------------------------------------------
    def displayed(self) -> dict:
        if self.is_empty():
            return {}
        t = self.table
        shown = [i for i in range(t.rowCount()) if not t.isRowHidden(i)]
        return {
            "ids": [t.item(i, 0).data(KEY) for i in shown],
            "rows": [[t.item(i, j).text() for j in range(t.columnCount())] for i in shown],
            "columns": [c[0] for c in COLUMNS],
            "sort_values": {c[0]: [t.item(i, j).data(SORT) for i in shown]
                            for j, c in enumerate(COLUMNS)},
            "points": self._points.copy(),
            "point_ids": list(self._point_ids),
            "current": self._current,
            "details": self.details.text(),
            "note": self._note_text or "",
            "filter": self.dataset_combo.currentData() or ALL,
            "subtitle": self.subtitle.text(),
        }


__all__ = ["HistoryView", "run_label"]
