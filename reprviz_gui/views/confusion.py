"""Confusion matrix of the evaluated split, with per-class accuracy and the most confused pairs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
from PySide6.QtCore import QItemSelectionModel, QRect, QSignalBlocker, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
)

from ..widgets.colormaps import CORRECT_COLOR, ERROR_COLOR, mix, readable_text_on
from ..workspace.results import EvaluationResult
from .base import Panel, shown_number
from .options import ViewOptions, bind
from .theme import tick_font

MAX_PAIRS_LISTED = 5
SPLIT_ORDER = ("test", "validation", "train")
OFF_DIAGONAL_FULL_RED = 0.10  # share of a row
CELL_PADDING = 8  # px beside a cell's text: Fusion's and the common styles' item margins


class RotatedHeaderView(QHeaderView):
    """A horizontal header that can draw its labels vertically (bottom to top), so long class
    names fit above narrow count columns."""

    def __init__(self, parent=None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self._rotated = False
        self.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)

    def rotated(self) -> bool:
        return self._rotated

    def set_rotated(self, on: bool) -> None:
        if on != self._rotated:
            self._rotated = on
            self.updateGeometries()
            self.resizeSections()
            self.viewport().update()

    def _text(self, logical: int) -> str:
        model = self.model()
        if model is None:
            return ""
        value = model.headerData(logical, self.orientation(), Qt.ItemDataRole.DisplayRole)
        return "" if value is None else str(value)

    def sectionSizeFromContents(self, logical: int) -> QSize:  # noqa: N802
        if not self._rotated:
            return super().sectionSizeFromContents(logical)
        fm = QFontMetrics(self.font())
        return QSize(fm.height() + 8, fm.horizontalAdvance(self._text(logical)) + 12)

    def paintSection(self, painter, rect: QRect, logical: int) -> None:  # noqa: N802
        if not self._rotated:
            super().paintSection(painter, rect, logical)
            return
        pal = self.palette()
        painter.save()
        painter.fillRect(rect, pal.color(QPalette.ColorRole.Button))
        painter.setPen(pal.color(QPalette.ColorRole.Mid))
        painter.drawLine(rect.topRight(), rect.bottomRight())
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        painter.setPen(pal.color(QPalette.ColorRole.ButtonText))
        painter.setFont(self.font())
        fm = QFontMetrics(self.font())
        painter.translate(rect.left() + rect.width() / 2 + (fm.ascent() - fm.descent()) / 2, rect.bottom() - 6)
        painter.rotate(-90)
        text = fm.elidedText(self._text(logical), Qt.TextElideMode.ElideRight, max(10, rect.height() - 10))
        painter.drawText(0, 0, text)
        painter.restore()


SPLITS = ("test", "train", "validation")  # the matrix's split: analyze --confusion-split's


@dataclass
class ConfusionOptions(ViewOptions):
    split: str = "test"  # "train": the rows trained on; "validation": the rows held out


class ConfusionPanel(Panel):
    """``show_result(EvaluationResult)``: counts table (rows = true class, columns = predicted),
    diagonal shaded green by per-class accuracy, errors shaded red by share of the row;
    per-class accuracy column; overall accuracy; the most confused pairs.

    ``cell_picked(true, predicted, additive)`` is emitted when the user clicks a count cell or a
    listed pair: the window selects exactly those test samples in every view.
    """

    empty_hint = "Train or load a model to see its confusion matrix"

    cell_picked = Signal(int, int, bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.accuracy_label = QLabel()
        self.accuracy_label.setObjectName("confusionAccuracy")
        self.accuracy_label.setTextFormat(Qt.TextFormat.RichText)
        self.accuracy_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.split_combo = QComboBox()
        self.split_combo.setObjectName("confusionSplit")
        self.split_combo.addItems(SPLITS)
        self.split_combo.setToolTip("the split counted: test; train (the rows the last run "
                                    "trained on); validation (the rows it held out)")
        self.split_note = QLabel()
        self.split_note.setFont(tick_font())
        self.split_note.setPalette(self._hint.palette())
        self.split_note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row = QHBoxLayout()
        row.addWidget(QLabel("Split:"))
        row.addWidget(self.split_combo)
        row.addWidget(self.split_note, 1)
        self.body_layout.insertLayout(0, row)
        self.options = ConfusionOptions()
        bind(self.options, "split", self.split_combo)
        self.options.events.split.connect(self._on_split_option)
        self._test_result: Optional[EvaluationResult] = None  # the "evaluation" product
        self._split_result: Optional[EvaluationResult] = None  # the "confusion_split" one
        self._split_why = ""
        self.body_layout.addWidget(self.accuracy_label)
        self.axes_label = QLabel("rows: true class \u2193 \u00b7 columns: predicted \u2192")
        self.axes_label.setFont(tick_font())
        self.axes_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.axes_label.setPalette(self._hint.palette())
        self.body_layout.addWidget(self.axes_label)

        self.table = QTableWidget()
        self.table.setObjectName("confusionTable")
        self.header = RotatedHeaderView(self.table)
        self.table.setHorizontalHeader(self.header)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setCornerButtonEnabled(False)
        self.table.setWordWrap(False)
        self.table.setFont(tick_font(-0.5))
        self.table.setShowGrid(True)
        self.table.cellClicked.connect(self._on_cell_clicked)
        vh = self.table.verticalHeader()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        vh.setDefaultAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.body_layout.addWidget(self.table, 1)

        self.pairs_label = QLabel()
        self.pairs_label.setObjectName("confusionPairs")
        self.pairs_label.setWordWrap(True)
        self.pairs_label.setTextFormat(Qt.TextFormat.RichText)
        self.pairs_label.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.pairs_label.linkActivated.connect(self._on_pair_link)
        self.body_layout.addWidget(self.pairs_label)
        self._pair_texts: list[str] = []

    # -- the two products: the test split's evaluation, and the train/validation counts ---------
    def show_product(self, kind: str, session_id: str, result) -> None:
        if kind == "confusion_split":
            self._split_result, self._split_why = result, ""
        else:
            self._test_result = result
        self._show_chosen()

    def product_unavailable(self, kind: str, session_id: str, why: str) -> None:
        if kind == "confusion_split":
            self._split_result, self._split_why = None, why
            self._show_chosen()
            return
        self._test_result = None
        super().product_unavailable(kind, session_id, why)

    def _on_split_option(self, split: str) -> None:
        self.split_requested.emit(split)  # the window sets it for every model's view
        self._show_chosen()

    def _show_chosen(self) -> None:
        """The split asked for when its counts are here; else the test split's, saying so."""
        split = self.options.split
        chosen = self._split_result if split != "test" and self._split_result is not None \
            and self._split_result.split == split else None
        note = ""
        if split != "test" and chosen is None:
            note = self._split_why or f"counting the {split} split…"
        self.split_note.setText(note)
        result = chosen or self._test_result
        if result is not None and result is not self._result:
            self.show_result(result)

    # -- drawing ---------------------------------------------------------------------------------
    def _draw(self, result: EvaluationResult) -> None:
        cm = np.asarray(result.confusion, dtype=np.int64)
        c = cm.shape[0]
        if cm.ndim != 2 or c == 0 or cm.shape[1] != c:
            self.clear("No confusion matrix to show")
            return
        names = [result.class_names[k] if k < len(result.class_names) else f"class {k}" for k in range(c)]
        table = self.table
        table.setUpdatesEnabled(False)
        table.clear()
        table.setRowCount(c)
        table.setColumnCount(c + 1)
        table.setHorizontalHeaderLabels(names + ["accuracy"])
        table.setVerticalHeaderLabels(names)
        row_tot = cm.sum(axis=1)
        frac = cm / np.maximum(row_tot, 1)[:, None]
        off = frac.copy()
        np.fill_diagonal(off, 0.0)
        max_off = float(off.max()) if off.size else 0.0
        red_at = max(max_off, OFF_DIAGONAL_FULL_RED)
        bold = QFont(table.font())
        bold.setBold(True)
        acc_bg = self.palette().color(QPalette.ColorRole.AlternateBase)
        acc_fg = self.palette().color(QPalette.ColorRole.Text)
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        zero_fg = QColor(150, 150, 150)
        for i in range(c):
            for j in range(c):
                n = int(cm[i, j])
                item = QTableWidgetItem(f"{n:,}")
                item.setFlags(flags)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if i == j:
                    bg = mix(CORRECT_COLOR, 0.12 + 0.88 * frac[i, j] ** 2) if n else mix(CORRECT_COLOR, 0.0)
                else:
                    # Linear in the share of the row, so a handful of stray errors stays pale and
                    # the real confusions stand out; full red at the worst pair or at 10 % of
                    # the row, whichever is larger (a near-perfect model stays pale).
                    t = 0.06 + 0.84 * min(1.0, off[i, j] / red_at) if n else 0.0
                    bg = mix(ERROR_COLOR, t)
                item.setBackground(QBrush(bg))
                item.setForeground(QBrush(readable_text_on(bg) if n else zero_fg))
                share = f" ({100 * frac[i, j]:.1f} % of {names[i]})" if row_tot[i] else ""
                item.setToolTip(f"true {names[i]} \u2192 predicted {names[j]}: {n:,}{share}")
                if i == j:
                    item.setFont(bold)
                table.setItem(i, j, item)
            acc = float(result.per_class_accuracy[i]) if i < len(result.per_class_accuracy) else float("nan")
            item = QTableWidgetItem(f"{100 * acc:.1f}%" if np.isfinite(acc) else "\u2013")
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setBackground(QBrush(acc_bg))
            item.setForeground(QBrush(acc_fg))
            item.setToolTip(f"{names[i]}: {int(cm[i, i]):,} of {int(row_tot[i]):,} correct (recall)")
            table.setItem(i, c, item)
        self.header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        table.setUpdatesEnabled(True)
        self._fit_columns()
        self._update_header_rotation()
        self._apply_highlight()  # table.clear() dropped the marked cells

        parts = []
        for split in SPLIT_ORDER:
            if split in result.accuracy and result.accuracy[split] is not None:
                v = 100 * float(result.accuracy[split])
                parts.append(f"<b>{split.capitalize()} accuracy {v:.1f} %</b>" if not parts
                             else f"{split} {v:.1f} %")
        for split, v in result.accuracy.items():
            if split not in SPLIT_ORDER and v is not None:
                parts.append(f"{split} {100 * float(v):.1f} %")
        self.accuracy_label.setText(" \u00b7 ".join(parts))

        self._pair_texts = []
        links = []
        for t, p, n in list(result.top_pairs)[:MAX_PAIRS_LISTED]:
            if n <= 0:
                continue
            text = f"{names[int(t)]} \u2192 {names[int(p)]}: {int(n):,}"
            self._pair_texts.append(text)
            links.append(f"<a href='{int(t)},{int(p)}' style='text-decoration:none'>{_html(text)}</a>")
        self.pairs_label.setText("Most confused: " + " \u00b7 ".join(links) if links else
                                 "No confusions.")

    # -- the shared selection ----------------------------------------------------------------------
    def _apply_highlight(self) -> None:
        """Mark the cells the shared selection is made of — one clicked cell, or several
        shift-clicked — and none when it is anything else (Esc, a box, a lasso): a click's own
        table highlight outlived the selection it made."""
        table = self.table
        model = table.selectionModel()
        with QSignalBlocker(model):
            table.clearSelection()
            cells = selected_cells(self._result, self._selection)
            for t, p in cells:
                model.select(table.model().index(t, p), QItemSelectionModel.SelectionFlag.Select)
            if not cells:
                model.clearCurrentIndex()
        table.viewport().update()

    def _fit_columns(self) -> None:
        """Every count column as narrow as its widest bold count allows, and the font a step
        smaller while the columns and the accuracy column still do not fit: at the default
        1280 × 960 window the accuracy column of ten classes was cut off behind a scroll bar."""
        table, c = self.table, self.table.rowCount()
        if c == 0:
            return
        widest_count = max((table.item(i, j).text() for i in range(c) for j in range(c)), key=len)
        acc = [table.item(i, c).text() for i in range(c)]
        avail = table.viewport().width() or (self.width() - table.verticalHeader().width() - 8)
        base = tick_font(-0.5)
        for step in range(0, 5):  # 100 % down to 60 % of the tick font
            font = QFont(base)
            if base.pointSizeF() > 0:
                font.setPointSizeF(base.pointSizeF() * (1 - 0.1 * step))
            bold = QFont(font)
            bold.setBold(True)
            cell = QFontMetrics(bold).horizontalAdvance(widest_count) + CELL_PADDING
            last = max(QFontMetrics(font).horizontalAdvance(t) for t in acc) + CELL_PADDING
            if c * cell + last <= avail:
                break
        if font != table.font():
            table.setFont(font)
            for i in range(c):
                for j in range(c + 1):
                    item = table.item(i, j)
                    if item is not None:
                        item.setFont(bold if i == j else font)
        self.header.setMinimumSectionSize(cell)
        table.verticalHeader().setMinimumSectionSize(QFontMetrics(bold).height() + 2)

    def _update_header_rotation(self) -> None:
        c = self.table.columnCount()
        if c == 0:
            return
        fm = QFontMetrics(self.header.font())
        widest = max(fm.horizontalAdvance(self._header_text(k)) for k in range(c)) + 12
        avail = self.table.viewport().width() - 4
        if avail <= 0:
            avail = self.width() - self.table.verticalHeader().width() - 8
        self.header.set_rotated(widest * c > avail)

    def _header_text(self, k: int) -> str:
        item = self.table.horizontalHeaderItem(k)
        return item.text() if item is not None else ""

    def resizeEvent(self, event):  # noqa: N802
        super().resizeEvent(event)
        self._fit_columns()
        self._update_header_rotation()

    def _clear_content(self) -> None:
        self.table.clear()
        self.table.setRowCount(0)
        self.table.setColumnCount(0)
        self.accuracy_label.clear()
        self.pairs_label.clear()
        self._pair_texts = []

    def displayed(self) -> dict:
        r: Optional[EvaluationResult] = self._result
        c = self.table.rowCount()
        if r is None or c == 0:
            return {}
        counts = np.array([[int(self.table.item(i, j).text().replace(",", "")) for j in range(c)]
                           for i in range(c)], dtype=np.int64)
        acc = []
        for i in range(c):
            t = self.table.item(i, c).text().replace("%", "").strip()
            acc.append(float(t) / 100 if t not in ("", "\u2013") else np.nan)
        return {
            "counts": counts,
            "per_class_accuracy": np.array(acc, dtype=float),
            "rows": [self.table.verticalHeaderItem(i).text() for i in range(c)],
            "columns": [self._header_text(j) for j in range(c + 1)],
            "accuracy_text": self.accuracy_label.text(),
            "top_pairs": list(self._pair_texts),
            "split": r.split,
        }

    def report_numbers(self) -> dict:
        """Counts and per-class accuracy as shown, under report.json's keys (the test split)."""
        shown = self.displayed()
        if not shown:
            return {}
        c = len(shown["rows"])
        if shown["split"] != "test":
            # report.json's "confusion" (analyze --confusion-split) holds the other splits'
            out = {"confusion.split": shown["split"], "confusion.matrix": shown["counts"].tolist()}
            for i in range(c):
                out[f"confusion.per_class_accuracy.{i}"] = shown_number(
                    self.table.item(i, c).text())
            return out
        out: dict = {"confusion_matrix": shown["counts"].tolist()}
        for i in range(c):
            out[f"per_class_accuracy.{shown['rows'][i]}"] = shown_number(
                self.table.item(i, c).text())
        return out

    # -- mouse -----------------------------------------------------------------------------------
    def _on_cell_clicked(self, row: int, col: int) -> None:
        if self._result is None or col >= self.table.rowCount():
            return
        self.cell_picked.emit(int(row), int(col), _shift())

    def _on_pair_link(self, href: str) -> None:
        try:
            t, p = (int(v) for v in href.split(","))
        except ValueError:
            return
        self.cell_picked.emit(t, p, _shift())


def selected_cells(result: Optional[EvaluationResult], selection) -> list[tuple[int, int]]:
    """The (true, predicted) cells whose samples together are exactly ``selection``; [] if it
    is not such a union (a box or lasso across cells, another split, nothing selected)."""
    if (result is None or selection is None or selection.empty or result.labels is None
            or result.predictions is None or selection.split != result.selection_split):
        return []
    labels = np.asarray(result.labels, dtype=np.int64)
    predicted = np.asarray(result.predictions, dtype=np.int64)
    n, c = len(labels), int(np.asarray(result.confusion).shape[0])
    idx = np.asarray(selection.indices, dtype=np.int64)
    if result.rows is not None:  # dataset indices -> positions among the split's rows
        rows = np.asarray(result.rows, dtype=np.int64)
        at = np.searchsorted(rows, idx)
        if idx.size == 0 or at.max() >= len(rows) or (rows[at] != idx).any():
            return []
        idx = at
    if idx.size == 0 or idx.min() < 0 or idx.max() >= n:
        return []
    cell = labels * c + predicted
    in_cell = np.bincount(cell, minlength=c * c)
    chosen = np.bincount(cell[idx], minlength=c * c)
    whole = (chosen == in_cell) & (in_cell > 0)
    if chosen[~whole].any():
        return []  # some selected samples only partly fill their cell
    return [(int(k) // c, int(k) % c) for k in np.flatnonzero(whole)]


def _shift() -> bool:
    from PySide6.QtWidgets import QApplication

    return bool(QApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
