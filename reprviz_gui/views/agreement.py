"""Agreement of two compared models: a 2 × 2 table of the test samples — both right, only A right,
only B right, both wrong. Clicking a cell selects those samples in every view (the gallery lists
them with both models' predictions). The cells are ``core.analysis.difference.agreement`` of the
two evaluations, the ``model_difference.agreement`` of ``analyze --compare``.

Below it, each sample's neighbourhood change between A's and B's chosen layers (the Jaccard
overlap of its 10 nearest neighbours, ``model_difference.neighbourhood_change``): its mean, and a
button selecting the samples that moved most, which the gallery lists most moved first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication, QHeaderView, QLabel, QPushButton, \
    QTableWidget, QTableWidgetItem

from ..core.measures import MOVED_MOST
from ..workspace.products_measures import NeighbourhoodChangeResult

from ..core.analysis.difference import Agreement, agreement
from ..workspace.results import EvaluationResult
from ..workspace.state import Selection
from .base import Panel

# (row, column) of each cell: rows A right / wrong, columns B right / wrong
CELLS = {"both right": (0, 0), "only A right": (0, 1), "only B right": (1, 0),
         "both wrong": (1, 1)}


@dataclass(frozen=True)
class AgreementShown:
    agreement: Agreement
    split: str
    n: int


class AgreementPanel(Panel):
    empty_hint = "Compare two trained models (Run → Compare with) to see where they part"

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.body_layout.addWidget(self.caption)
        self.table = QTableWidget(2, 2)
        self.table.setHorizontalHeaderLabels(["B right", "B wrong"])
        self.table.setVerticalHeaderLabels(["A right", "A wrong"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.cellClicked.connect(self._cell_clicked)
        self.body_layout.addWidget(self.table, 1)
        self.change_text = QLabel()
        self.change_text.setWordWrap(True)
        self.body_layout.addWidget(self.change_text)
        self.moved_button = QPushButton(f"Select the {MOVED_MOST} samples that moved most")
        self.moved_button.setToolTip("The samples whose 10 nearest neighbours differ most "
                                     "between A's layer and B's; the Selection view lists them "
                                     "most moved first")
        self.moved_button.clicked.connect(lambda: self.select_moved_most())
        self.moved_button.setEnabled(False)
        self.body_layout.addWidget(self.moved_button)
        self._evaluations: dict[str, EvaluationResult] = {}
        self._change: NeighbourhoodChangeResult | None = None
        self._select_when_shown = False  # Selection → Samples that moved most, before it was

    def set_dataset(self, dataset: Any) -> None:
        self._evaluations.clear()
        self.clear()

    def set_sessions(self, session_ids: tuple[str, ...]) -> None:
        if "B" not in session_ids:
            self._select_when_shown = False
        if "B" not in session_ids and (self._evaluations.pop("B", None) is not None
                                       or self._change is not None):
            self._change = None
            self._show_change()
            self._update()

    def show_product(self, kind: str, session_id: str, result: Any) -> None:
        if kind == "neighbourhood_change":
            self._change = result
            self._show_change()
            if self._select_when_shown:
                self.select_moved_most()
        if kind == "evaluation" and isinstance(result, EvaluationResult):
            self._evaluations[session_id] = result
            self._update()

    def product_unavailable(self, kind: str, session_id: str, why: str) -> None:
        if kind == "neighbourhood_change":
            self._change = None
            self._show_change()
            return
        if self._evaluations.pop(session_id, None) is not None:
            self._update()

    def _update(self) -> None:
        a, b = self._evaluations.get("A"), self._evaluations.get("B")
        if a is None or b is None or a.predictions is None or b.predictions is None \
                or a.labels is None or len(a.predictions) != len(b.predictions):
            self.clear()
            return
        self.show_result(AgreementShown(agreement(a.labels, a.predictions, b.predictions),
                                        a.split, len(a.labels)))

    def _draw(self, r: AgreementShown) -> None:
        for name, (i, j) in CELLS.items():
            n = len(r.agreement.cells[name])
            item = QTableWidgetItem(f"{name}\n{n:,} ({n / max(1, r.n):.1%})")
            item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            self.table.setItem(i, j, item)
        self.caption.setText(f"{r.n:,} {r.split} samples; click a cell to select them")

    def _show_change(self) -> None:
        r = self._change
        self.moved_button.setEnabled(r is not None and len(r.change.jaccard) > 0)
        if r is None:
            self.change_text.setText("")
            return
        c = r.change
        self.change_text.setText(
            f"Neighbourhood change, A's {c.layer_a} ↔ B's {c.layer_b}: mean Jaccard "
            f"{c.mean:.3f} of each sample's {c.k} nearest neighbours ({len(c.jaccard):,} "
            f"{r.samples.split} samples; 1 = the same neighbours)")

    def select_moved_most(self, when_shown: bool = False) -> None:
        """Select the samples that moved most, ranked (the gallery shows them in that order);
        ``when_shown``: if the neighbourhood change is still computing, once it arrives."""
        r = self._change
        if r is None:
            self._select_when_shown = bool(when_shown)
            return
        self._select_when_shown = False
        rows = r.change.moved_most(MOVED_MOST)
        self.selection_requested.emit(
            Selection.ranked(r.samples.split, r.samples.indices[rows],
                             f"moved most between A's {r.change.layer_a} and B's "
                             f"{r.change.layer_b}"), False)

    def _clear_content(self) -> None:
        self.table.clearContents()
        self.caption.setText("")

    def _cell_clicked(self, row: int, col: int) -> None:
        r = self.result()
        if r is None:
            return
        name = next(k for k, v in CELLS.items() if v == (row, col))
        additive = bool(QApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier)
        self.selection_requested.emit(
            Selection.of(r.split, np.asarray(r.agreement.cells[name], dtype=np.int64),
                         f"agreement: {name}"), additive)

    def displayed(self) -> dict:
        r = self.result()
        if self.is_empty() or r is None:
            return {}
        return {name: len(r.agreement.cells[name]) for name in CELLS}

    def report_numbers(self) -> dict:
        """The mean Jaccard as shown, under report.json's ``model_difference`` key."""
        from .base import shown_number
        import re

        m = re.search(r"mean Jaccard ([0-9.]+)", self.change_text.text())
        return {"model_difference.neighbourhood_change.mean_jaccard": shown_number(m.group(1))} \
            if m and not self.is_empty() else {}
