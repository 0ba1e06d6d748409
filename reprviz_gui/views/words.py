"""Word tables: the nearest neighbours of a word and the capital → country analogies.

Everything here follows the shared selection: clicking a word in the map, a heatmap row, the
neighbour table or the analogy table selects it, and the neighbour table shows the neighbours
of the one selected word (typing a word in the search box selects it too). The analogy table
lists each pair with its verdict: does ``capital + the mean offset of the other pairs`` land
nearest its own country? — "N of the 24 capitals" — and how consistent the offsets are.
"""

from __future__ import annotations

import re

from typing import Any, Optional

import numpy as np
from PySide6.QtCore import QSignalBlocker, QStringListModel, Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (QCompleter, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QSplitter, QStackedWidget, QTableWidget, QVBoxLayout, QWidget)

from ..widgets.colormaps import CORRECT_COLOR, ERROR_COLOR
from ..workspace.products_words import NeighboursResult, WordsResult
from ..workspace.state import Selection
from .base import Panel, shown_number
from .table_items import KEY as ROW
from .table_items import SORT, cell, make_table

class WordsView(Panel):
    """Show ``WordsResult`` ("words") and ``NeighboursResult`` ("neighbours")."""

    empty_hint = ("Nearest neighbours and analogies are for word tables: open the bundled "
                  "capitals, or a GloVe / word2vec text file")


    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        bar = QHBoxLayout()
        bar.setSpacing(6)
        bar.addWidget(QLabel("Word"))
        self.search = QLineEdit()
        self.search.setObjectName("wordSearch")
        self.search.setPlaceholderText("type a word, or click one anywhere")
        self.search.setClearButtonEnabled(True)
        self._completions = QStringListModel(self)
        self.completer = QCompleter(self._completions, self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setFilterMode(Qt.MatchFlag.MatchStartsWith)
        self.search.setCompleter(self.completer)
        self.search.returnPressed.connect(self._on_search)
        self.completer.activated.connect(self._on_completed)
        bar.addWidget(self.search, 1)
        self.arrows_button = QPushButton("Arrows on the map")
        self.arrows_button.setToolTip("Draw each pair's offset (capital → country) as an arrow "
                                      "on the map")
        self.arrows_button.clicked.connect(lambda: self.arrows_requested.emit(True))
        bar.addWidget(self.arrows_button)
        self.body_layout.addLayout(bar)
        self.search_note = QLabel()
        self.search_note.setObjectName("wordSearchNote")
        self.search_note.hide()
        self.body_layout.addWidget(self.search_note)

        split = QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        top = QWidget()
        tv = QVBoxLayout(top)
        tv.setContentsMargins(0, 0, 0, 0)
        self.neighbours_title = QLabel()
        self.neighbours_title.setTextFormat(Qt.TextFormat.RichText)
        self.neighbours_title.setWordWrap(True)
        tv.addWidget(self.neighbours_title)
        self._neighbours_stack = QStackedWidget()
        self.neighbours_hint = QLabel()
        self.neighbours_hint.setWordWrap(True)
        self.neighbours_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.neighbours_table = make_table(["#", "word", "kind", "cosine"])
        self.neighbours_table.setToolTip("Click a word to see its neighbours (shift adds it to "
                                         "the selection)")
        self.neighbours_table.cellClicked.connect(
            lambda r, c: self._on_cell(self.neighbours_table, r, c))
        self._neighbours_stack.addWidget(self.neighbours_hint)
        self._neighbours_stack.addWidget(self.neighbours_table)
        tv.addWidget(self._neighbours_stack, 1)
        split.addWidget(top)

        bottom = QWidget()
        bv = QVBoxLayout(bottom)
        bv.setContentsMargins(0, 0, 0, 0)
        self.offsets_summary = QLabel()
        self.offsets_summary.setObjectName("offsetsSummary")
        self.offsets_summary.setTextFormat(Qt.TextFormat.RichText)
        self.offsets_summary.setWordWrap(True)
        bv.addWidget(self.offsets_summary)
        self.offsets_table = make_table(["capital", "country", "capital + mean offset →",
                                     "analogies right", "offset cos"])
        self.offsets_table.setSortingEnabled(True)
        self.offsets_table.cellClicked.connect(
            lambda r, c: self._on_cell(self.offsets_table, r, c))
        bv.addWidget(self.offsets_table, 1)
        split.addWidget(bottom)
        split.setSizes([300, 400])
        self.body_layout.addWidget(split, 1)

        self._words: Optional[WordsResult] = None
        self._neighbours: Optional[NeighboursResult] = None

    # --- products -----------------------------------------------------------------------------
    def show_product(self, kind: str, session_id: str, result: Any) -> None:
        if kind == "words":
            self.show_result(result)
        elif kind == "neighbours" and self._words is not None:
            self._neighbours = result
            self._draw_neighbours()

    def product_unavailable(self, kind: str, session_id: str, why: str) -> None:
        if kind == "words":
            self.clear(why)
        elif kind == "neighbours":
            self._neighbours = None
            self.neighbours_title.setText("<b>Nearest neighbours</b>")
            self.neighbours_hint.setText(why)
            self._neighbours_stack.setCurrentWidget(self.neighbours_hint)

    def set_selection(self, selection: Selection) -> None:
        self._selection = selection
        self._mark_selected()

    # --- drawing ------------------------------------------------------------------------------
    def _draw(self, r: WordsResult) -> None:
        self._words = r
        with QSignalBlocker(self.completer):
            self._completions.setStringList(sorted(set(r.words), key=str.casefold))
        self._draw_offsets(r)
        if self._neighbours is not None and self._neighbours.tag != r.tag:
            self._neighbours = None
        if self._neighbours is None:
            self._neighbours_stack.setCurrentWidget(self.neighbours_hint)
        self._mark_selected()

    def _kind(self, row: int) -> str:
        r = self._words
        return r.kinds[row] if r is not None and 0 <= row < len(r.kinds) else ""

    def _draw_neighbours(self) -> None:
        n = self._neighbours
        if n is None:
            return
        self.neighbours_title.setText(f"<b>Nearest neighbours of “{n.word}”</b> "
                                      f"({self._kind(n.row) or 'word'}) by cosine, of "
                                      f"{len(self._words.words):,} words")
        t = self.neighbours_table
        t.setRowCount(len(n.words))
        for i, (row, word, cos) in enumerate(zip(n.rows, n.words, n.cosines)):
            t.setItem(i, 0, cell(i + 1, int(row)))
            t.setItem(i, 1, cell(word, int(row)))
            t.setItem(i, 2, cell(self._kind(int(row)), int(row)))
            t.setItem(i, 3, cell(f"{cos:.3f}", int(row), cos))
        self._neighbours_stack.setCurrentWidget(t)
        with QSignalBlocker(self.search):
            if self.search.text() != n.word:
                self.search.setText(n.word)
        self._mark_selected()

    def _draw_offsets(self, r: WordsResult) -> None:
        t = self.offsets_table
        t.setSortingEnabled(False)
        a = r.offsets
        if a is None or not a.pairs:
            self.offsets_summary.setText(f"<i>{r.note or 'No pairs of words to compare.'}</i>")
            t.setRowCount(0)
            t.hide()
            return
        t.show()
        t.setHorizontalHeaderLabels([a.source_kind, a.target_kind,
                                     f"{a.source_kind} + mean offset →", "analogies right",
                                     "offset cos"])
        src, tgt = a.source_kind, a.target_kind
        parts = [f"<b>{src} → {tgt}</b>: {len(a.pairs)} pairs"]
        if a.verdicts:
            parts.append(f"{src} + the mean offset of the other pairs lands nearest its own "
                         f"{tgt} for <b>{a.n_groups_correct} of {len(a.verdicts)}</b> {src}s")
        if a.mean_offset_cosine is not None:
            parts.append(f"offsets' mean pairwise cosine <b>{a.mean_offset_cosine:.3f}</b> "
                         "(1 = all the same direction)")
        if a.n_trials:
            parts.append(f"{tgt}(A) − {src}(A) + {src}(B) → {tgt}(B): "
                         f"{a.n_trials_correct:,} of {a.n_trials:,} right")
        text = " · ".join(parts)
        if r.note:
            text += f"<br><i>{r.note}</i>"
        self.offsets_summary.setText(text)
        verdicts = {v.pair.source_row: v for v in a.verdicts}
        t.setRowCount(len(a.pairs))
        for i, p in enumerate(a.pairs):
            v = verdicts.get(p.source_row)
            t.setItem(i, 0, cell(p.source, p.source_row))
            t.setItem(i, 1, cell(p.target, p.target_row))
            if v is not None:
                mark = "✓" if v.correct else "✗"
                it = cell(f"{mark} {v.predicted}", v.predicted_row, tip=(
                    f"{p.source} + mean offset of the other pairs is nearest “{v.predicted}” "
                    f"(cosine {v.cosine:.3f})"))
                it.setForeground(QColor(*CORRECT_COLOR[:3]) if v.correct
                                 else QColor(*ERROR_COLOR[:3]))
                t.setItem(i, 2, it)
                t.setItem(i, 3, cell(f"{v.correct_from} of {v.trials}", p.source_row,
                                      v.correct_from, tip=(
                    f"{p.target}: for how many other pairs A does {tgt}(A) − {src}(A) + "
                    f"{p.source} land nearest {p.target}")))
            else:
                t.setItem(i, 2, cell("–", p.source_row))
                t.setItem(i, 3, cell("–", p.source_row))
            cos = r.pair_cosines[i] if r.pair_cosines is not None else float("nan")
            t.setItem(i, 4, cell(f"{cos:.3f}" if np.isfinite(cos) else "–", p.source_row,
                                 cos if np.isfinite(cos) else None, tip=(
                "mean cosine of this pair's offset with the other pairs' offsets")))
        t.setSortingEnabled(True)

    def _mark_selected(self) -> None:
        """Selected words in bold in both tables."""
        sel = {int(i) for i in self._selection.indices} \
            if self._selection.split == "test" else set()
        for t in (self.neighbours_table, self.offsets_table):
            for i in range(t.rowCount()):
                for c in range(t.columnCount()):
                    it = t.item(i, c)
                    if it is None:
                        continue
                    f = QFont(it.font())
                    row = it.data(ROW)
                    f.setBold(c in (0, 1) and row is not None and int(row) in sel)
                    it.setFont(f)

    def _clear_content(self) -> None:
        self._words = None
        self._neighbours = None
        self.neighbours_table.setRowCount(0)
        self.offsets_table.setRowCount(0)
        self.offsets_summary.clear()
        self.neighbours_title.clear()
        self._completions.setStringList([])

    # --- user input ---------------------------------------------------------------------------
    def _select_row(self, row: int, additive: bool, source: str) -> None:
        self.selection_requested.emit(Selection.of("test", [int(row)], source), additive)

    def _on_cell(self, table: QTableWidget, r: int, c: int) -> None:
        it = table.item(r, c)
        row = None if it is None else it.data(ROW)
        if row is None or self._words is None:
            return
        from PySide6.QtWidgets import QApplication

        additive = bool(QApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier)
        self._select_row(int(row), additive, f"word “{self._words.words[int(row)]}”")

    def _on_completed(self, text: str) -> None:
        self.search.setText(text)
        self._on_search()

    def _on_search(self) -> None:
        r = self._words
        text = self.search.text().strip()
        if r is None or not text:
            return
        from ..core.analysis.words import word_row
        from ..core.errors import ReprvizError

        try:
            row = word_row(r.words, text)
        except ReprvizError:
            self.search_note.setText(f"No word “{text}” in the table.")
            self.search_note.show()
            return
        self.search_note.hide()
        self._select_row(row, False, f"word “{r.words[row]}”")

    # --- tests --------------------------------------------------------------------------------
    def displayed(self) -> dict:
        if self.is_empty() or self._words is None:
            return {}
        a = self._words.offsets
        t = self.offsets_table
        out: dict[str, Any] = {
            "summary": self.offsets_summary.text(),
            "pairs": [(t.item(i, 0).text(), t.item(i, 1).text(), t.item(i, 2).text())
                      for i in range(t.rowCount())],
            "groups_correct": a.n_groups_correct if a is not None else None,
            "groups": len(a.verdicts) if a is not None else 0,
            "mean_offset_cosine": a.mean_offset_cosine if a is not None else None,
            "trials_correct": a.n_trials_correct if a is not None else None,
            "trials": a.n_trials if a is not None else 0,
            "query": None, "neighbours": [],
            "neighbours_hint": self.neighbours_hint.text()
            if self._neighbours_stack.currentWidget() is self.neighbours_hint else "",
        }
        n = self.neighbours_table
        if self._neighbours is not None and self._neighbours_stack.currentWidget() is n:
            out["query"] = self._neighbours.word
            out["neighbours"] = [(n.item(i, 1).text(), float(n.item(i, 3).data(SORT)))
                                 for i in range(n.rowCount())]
        return out

    def report_numbers(self) -> dict:
        """The analogy counts and cosine of the summary line and the chosen word's neighbours,
        as shown, under report.json's keys (``analogies``, ``nearest_neighbours``)."""
        if self.is_empty() or self._words is None:
            return {}
        out: dict[str, Any] = {}
        text = re.sub(r"<[^>]+>", "", self.offsets_summary.text()).replace(",", "")
        found = re.search(r"for (\d+) of (\d+) ", text)
        if found:
            out["analogies.groups_correct"] = int(found.group(1))
            out["analogies.groups"] = int(found.group(2))
        found = re.search(r"mean pairwise cosine (-?[0-9.]+)", text)
        if found:
            out["analogies.mean_offset_cosine"] = shown_number(found.group(1))
        found = re.search(r"(\d+) of (\d+) right", text)
        if found:
            out["analogies.correct"] = int(found.group(1))
            out["analogies.pairs"] = int(found.group(2))
        n = self.neighbours_table
        if self._neighbours is not None and self._neighbours_stack.currentWidget() is n:
            key = f"nearest_neighbours.{int(self._neighbours.row)}"
            out[f"{key}.word"] = self._neighbours.word
            for i in range(n.rowCount()):
                out[f"{key}.neighbours.{i}.word"] = n.item(i, 1).text()
                out[f"{key}.neighbours.{i}.cosine"] = shown_number(n.item(i, 3).text())
        return out
