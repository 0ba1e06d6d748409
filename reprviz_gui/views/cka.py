"""Layer similarity: linear CKA (Kornblith et al. 2019) between every pair of layers, a heat map
with the layer names (1 = the same representation up to rotation and scale). While two models
are compared it shows A's layers × B's (``Show``: A × B, A × A, B × B).

Clicking a cell shows its two layers in every view (each in its own model's views) and draws
those two layers' PCA maps side by side under the matrix, coloured by class as the map is.
The numbers are ``core.measures.cka_of``, report.json's ``cka`` (``between_models`` for A × B);
the maps ``core.measures.layer_maps``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QHBoxLayout, QHeaderView, QLabel,
                               QTableWidget, QTableWidgetItem, QWidget)

from ..core.analysis.cka import CKAMatrix
from ..core.pipeline import INPUT_LAYER
from ..widgets.colormaps import class_colors
from ..workspace.products_measures import CKABetweenResult, CKAResult
from .base import Panel
from .options import ViewOptions, bind
from .point_cloud import PointCloud
from .theme import style_plot

BETWEEN, WITHIN_A, WITHIN_B = "A×B", "A×A", "B×B"
SHOW_TEXT = {BETWEEN: "A × B (the two models)", WITHIN_A: "A × A", WITHIN_B: "B × B"}


def _colour(v: float) -> QColor:
    """White (0) to dark blue (1)."""
    v = min(1.0, max(0.0, float(v)))
    return QColor(int(255 - 205 * v), int(255 - 170 * v), int(255 - 75 * v))


@dataclass(frozen=True)
class CKAShown:
    matrix: CKAMatrix
    show: str  # BETWEEN, WITHIN_A or WITHIN_B
    row_session: str
    col_session: str


@dataclass
class CKAOptions(ViewOptions):
    debiased: bool = False  # the debiased estimate (Nguyen et al. 2021), computed on demand


DEBIASED_KIND = {"cka_debiased": "cka", "cka_between_debiased": "cka_between"}


class _PairMap(QWidget):
    """One layer's PCA map (the map view's point drawing), captioned with its layer."""

    def __init__(self, owner: Panel, parent: QWidget) -> None:
        super().__init__(parent)  # parented at once: the base deletes parentless widgets
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.view = pg.PlotWidget()
        self.plot = self.view.getPlotItem()
        style_plot(self.view, [self.plot], owner)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        for name in ("left", "bottom"):
            self.plot.hideAxis(name)
        self.cloud = PointCloud("o", size=5)
        self.plot.addItem(self.cloud)
        layout.addWidget(self.view)
        self.title = ""

    def draw(self, title: str, coords: np.ndarray, labels: np.ndarray) -> None:
        self.title = title
        self.plot.setTitle(title, size="9pt")
        colours = class_colors(int(labels.max()) + 1 if len(labels) else 1)[labels]
        self.cloud.set_data(np.asarray(coords, dtype=np.float32), colours.astype(np.uint8))
        self.plot.autoRange()

    def clear(self) -> None:
        self.title = ""
        self.plot.setTitle("")
        self.cloud.clear()


class CKAPanel(Panel):
    empty_hint = "Choose data and a model to compare its layers"

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.body_layout.addWidget(self.caption)
        bar = QHBoxLayout()
        self.show_label = QLabel("Show")
        bar.addWidget(self.show_label)
        self.show_combo = QComboBox()
        self.show_combo.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.show_combo.activated.connect(self._on_show_activated)
        bar.addWidget(self.show_combo)
        self.debiased_check = QCheckBox("Debiased")
        self.debiased_check.setToolTip("The debiased CKA estimate (Nguyen et al. 2021), less "
                                       "inflated for few samples and wide layers")
        bar.addWidget(self.debiased_check)
        bar.addStretch(1)
        self.body_layout.addLayout(bar)
        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.cellClicked.connect(self._cell_clicked)
        self.body_layout.addWidget(self.table, 3)
        self.picked = QLabel()
        self.picked.setWordWrap(True)
        self.body_layout.addWidget(self.picked)
        self.pair_box = QWidget(self)
        QHBoxLayout(self.pair_box).setContentsMargins(0, 0, 0, 0)
        self.pair: tuple[_PairMap, ...] = ()  # made at the first click (see _pair_maps)
        self.pair_box.hide()
        self.body_layout.addWidget(self.pair_box, 2)
        self._within: dict[str, CKAResult] = {}  # session -> CKA between its own layers
        self._between: Optional[CKABetweenResult] = None
        self._chosen = BETWEEN  # what the user asked to see (A × B while comparing)
        # the debiased products, asked for (wanted_products) only while the box is ticked
        self._within_d: dict[str, CKAResult] = {}
        self._between_d: Optional[CKABetweenResult] = None
        self.options = CKAOptions()
        bind(self.options, "debiased", self.debiased_check)
        self.options.events.debiased.connect(self._on_debiased)

    def wanted_products(self) -> tuple[str, ...]:
        return tuple(DEBIASED_KIND) if self.options.debiased else ()

    def _on_debiased(self, *_: Any) -> None:
        self.wanted_changed.emit()
        if self._available():
            self._update()

    def _stores(self) -> tuple[dict, Optional[CKABetweenResult]]:
        """The matrices to show: the debiased ones while ticked and computed, else plain."""
        if self.options.debiased and self._within_d:
            return self._within_d, self._between_d
        return self._within, self._between

    # --- products: "cka" of each session, "cka_between" of both ----------------------------
    def show_product(self, kind: str, session_id: str, result: Any) -> None:
        if kind == "cka_between_debiased":
            self._between_d = result
            self._update()
            return
        if kind == "cka_debiased":
            self._within_d[session_id or "A"] = result
            self._update()
            return
        if kind == "cka_between":
            self._between = result
        else:
            self._within[session_id or "A"] = result
        self._update()

    def product_unavailable(self, kind: str, session_id: str, why: str) -> None:
        if kind in DEBIASED_KIND:  # the plain matrix stays
            if kind == "cka_between_debiased":
                self._between_d = None
            else:
                self._within_d.pop(session_id or "A", None)
            if self._available():
                self._update()
            return
        if kind == "cka_between":
            gone, self._between = self._between, None
        else:
            gone = self._within.pop(session_id or "A", None)
        if gone is None and not self.is_empty():
            return  # said again on every refresh: nothing changed
        if not self._available():
            self.clear(why)
        else:
            self._update()

    def set_dataset(self, dataset: Any) -> None:
        self._within.clear()
        self._between = None
        self._within_d.clear()
        self._between_d = None

    def set_sessions(self, session_ids: tuple[str, ...]) -> None:
        gone = [sid for sid in self._within if sid not in session_ids]
        if not gone and (self._between is None or "B" in session_ids):
            return
        for sid in gone:
            del self._within[sid]
        if "B" not in session_ids:
            self._between = None
            self._between_d = None
        for sid in [s for s in self._within_d if s not in session_ids]:
            del self._within_d[sid]
        if self._available():
            self._update()

    def _available(self) -> list[str]:
        out = [BETWEEN] if self._between is not None and "A" in self._within else []
        return out + [m for m, sid in ((WITHIN_A, "A"), (WITHIN_B, "B")) if sid in self._within]

    def _update(self) -> None:
        modes = self._available()
        if not modes:
            return
        show = self._chosen if self._chosen in modes else modes[0]
        self.show_combo.blockSignals(True)
        self.show_combo.clear()
        for m in modes:
            self.show_combo.addItem(SHOW_TEXT[m], m)
        self.show_combo.setCurrentIndex(modes.index(show))
        self.show_combo.blockSignals(False)
        for w in (self.show_label, self.show_combo):
            w.setVisible(len(modes) > 1)
        within, between = self._stores()
        if show == BETWEEN:
            between = between or self._between  # (debiased A × B not computed yet: plain)
            assert between is not None
            shown = CKAShown(between.cka, show, "A", "B")
        else:
            sid = "A" if show == WITHIN_A else "B"
            shown = CKAShown((within.get(sid) or self._within[sid]).cka, show, sid, sid)
        old: Optional[CKAShown] = self.result()
        if old is None or self.is_empty() or old.matrix is not shown.matrix or \
                old.show != shown.show:
            self.show_result(shown)  # (the same matrix again keeps the picked cell)

    def _on_show_activated(self, index: int) -> None:
        self._chosen = self.show_combo.itemData(index)
        self._update()

    # --- drawing ----------------------------------------------------------------------------
    def _draw(self, r: CKAShown) -> None:
        m = r.matrix
        self.table.setRowCount(len(m.rows))
        self.table.setColumnCount(len(m.cols))
        two = r.show == BETWEEN
        self.table.setVerticalHeaderLabels([f"A · {n}" if two else n for n in m.rows])
        self.table.setHorizontalHeaderLabels([f"B · {n}" if two else n for n in m.cols])
        for i in range(len(m.rows)):
            for j in range(len(m.cols)):
                v = float(m.matrix[i, j])
                item = QTableWidgetItem(f"{v:.2f}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                item.setBackground(QBrush(_colour(v)))
                item.setForeground(QBrush(QColor("white" if v > 0.6 else "black")))
                self.table.setItem(i, j, item)
        forms = sorted(set(m.forms))
        what = (f"A's {len(m.rows)} layers (rows) and B's {len(m.cols)} (columns)" if two
                else f"{len(m.rows)} layers")
        self.caption.setText(f"linear CKA{' (debiased)' if m.debiased else ''} between "
                             f"{what} on {m.n_samples:,} samples ({', '.join(forms)} form). "
                             f"Click a cell to show its two layers.")
        self.picked.setText("")
        self._clear_pair()

    def _pair_maps(self) -> tuple[_PairMap, ...]:
        """The two maps, made when first needed: two plots built with the panel and never
        shown crashed a later test's teardown (pyqtgraph's orphans, deleted with the panel,
        are adopted here the same way)."""
        if not self.pair:
            from ..widgets.top_levels import top_level_addresses

            self._windows_before = top_level_addresses()
            self.pair = (_PairMap(self, self.pair_box), _PairMap(self, self.pair_box))
            for m in self.pair:
                self.pair_box.layout().addWidget(m)
            self.adopt_orphan_windows()
        return self.pair

    def _clear_pair(self) -> None:
        for p in self.pair:
            p.clear()
        self.pair_box.hide()

    def _clear_content(self) -> None:
        self.table.setRowCount(0)
        self.table.setColumnCount(0)
        self.picked.setText("")
        self._clear_pair()

    def _cell_clicked(self, row: int, col: int) -> None:
        r: Optional[CKAShown] = self.result()
        if r is None:
            return
        a, b = r.matrix.rows[row], r.matrix.cols[col]
        who = (lambda sid, n: f"{sid}'s {n}") if r.show == BETWEEN else (lambda sid, n: n)
        self.picked.setText(f"{who(r.row_session, a)} × {who(r.col_session, b)}: "
                            f"CKA {float(r.matrix.matrix[row, col]):.3f}")
        self._draw_pair(r, a, b)
        # the row's layer in its model's views; A × B: the column's in B's too
        if r.show == BETWEEN and b != INPUT_LAYER:
            self.session_layer_requested.emit(r.col_session, b)
        if a != INPUT_LAYER:
            self.session_layer_requested.emit(r.row_session, a)

    def _draw_pair(self, r: CKAShown, a: str, b: str) -> None:
        ra, rb = self._within.get(r.row_session), self._within.get(r.col_session)
        if ra is None or rb is None or a not in ra.maps or b not in rb.maps \
                or ra.labels is None or rb.labels is None:
            self._clear_pair()
            return
        left, right = self._pair_maps()
        self.pair_box.show()
        left.draw(f"{r.row_session}: {a} (PCA)", ra.maps[a], ra.labels)
        right.draw(f"{r.col_session}: {b} (PCA)", rb.maps[b], rb.labels)

    def displayed(self) -> dict:
        if self.is_empty():
            return {}
        r: Optional[CKAShown] = self.result()
        return {"rows": [self.table.verticalHeaderItem(i).text()
                         for i in range(self.table.rowCount())],
                "cols": [self.table.horizontalHeaderItem(j).text()
                         for j in range(self.table.columnCount())],
                "matrix": [[float(self.table.item(i, j).text())
                            for j in range(self.table.columnCount())]
                           for i in range(self.table.rowCount())],
                "picked": self.picked.text(),
                "show": r.show if r is not None else "",
                "pair": [p.title for p in self.pair] if self.pair_box.isVisibleTo(self)
                else []}
