"""The selection gallery: the selected samples themselves — images, words or review snippets —
each with its true label and every model's prediction."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QLabel, QListWidget,
                               QListWidgetItem, QPlainTextEdit, QVBoxLayout)

from ..core.data.samples import decode_tokens
from ..widgets.thumbnail_tooltip import array_to_qimage, scale_factor
from ..workspace.results import EvaluationResult
from ..workspace.state import Selection
from .base import Panel
from .describe import elide

MAX_SHOWN = 500  # more tiles than this helps nobody and costs seconds to lay out
ICON_PX = 64
FULL_TEXT = Qt.ItemDataRole.UserRole + 1  # a review's whole text, for "read it all"


class GalleryView(Panel):
    """Tiles of the selected samples (first ``MAX_SHOWN``), in dataset order or in the
    selection's ranking (``Selection.order``: the samples that moved most). A tile's caption
    gives the true class and each model's prediction; a wrong prediction is marked ✗."""

    empty_hint = ("Nothing selected. Click a confusion-matrix cell, a map point or a class in a "
                  "legend; drag a box or lasso in the map (shift adds, Esc clears).")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.header = QLabel()
        self.header.setObjectName("galleryHeader")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.body_layout.addWidget(self.header)
        self.tiles = QListWidget()
        self.tiles.setObjectName("galleryTiles")
        self.tiles.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.tiles.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.tiles.setWordWrap(True)
        self.tiles.setUniformItemSizes(True)
        self.tiles.itemDoubleClicked.connect(self.read_whole)
        self.body_layout.addWidget(self.tiles, 1)
        self.reader: Optional[QDialog] = None  # the open "read it all" window, if any
        self._dataset: Any = None
        self._evaluations: dict[str, EvaluationResult] = {}

    # --- inputs -----------------------------------------------------------------------------
    def set_dataset(self, dataset: Any) -> None:
        self._dataset = dataset
        self._evaluations.clear()
        self._selection = Selection()
        self._render()

    def show_product(self, kind: str, session_id: str, result: Any) -> None:
        if kind == "evaluation" and isinstance(result, EvaluationResult):
            self._evaluations[session_id] = result
            self._render()

    def product_unavailable(self, kind: str, session_id: str, why: str) -> None:
        if self._evaluations.pop(session_id, None) is not None:
            self._render()

    def set_selection(self, selection: Selection) -> None:
        self._selection = selection
        self._render()

    # --- drawing ----------------------------------------------------------------------------
    def _render(self) -> None:
        sel, ds = self._selection, self._dataset
        if ds is None or sel.empty:
            self.clear()
            return
        self._result = sel
        self._stack.setCurrentWidget(self.body)
        x, y = ds.split(sel.split)
        idx = sel.indices[sel.indices < len(y)]
        if sel.order:  # a ranking (the samples that moved most): listed in its order
            idx = np.array([i for i in sel.order if 0 <= i < len(y)], dtype=np.int64)
        shown = idx[:MAX_SHOWN]
        counts = np.bincount(np.asarray(y[idx], dtype=np.int64), minlength=ds.n_classes)
        parts = [f"{ds.class_names[k]} {int(c):,}" for k, c in
                 sorted(enumerate(counts), key=lambda kc: -kc[1]) if c]
        more = f" (showing the first {MAX_SHOWN:,})" if len(idx) > MAX_SHOWN else ""
        self.header.setText(f"<b>{len(idx):,} selected</b> ({sel.split}){more}"
                            f"{' · ' + sel.source if sel.source else ''}<br>" + ", ".join(parts))
        self.tiles.clear()
        image = ds.kind == "image"
        self.tiles.setViewMode(QListWidget.ViewMode.IconMode if image
                               else QListWidget.ViewMode.ListMode)
        items = [self._tile(int(i), x, y, image) for i in shown]
        if image:
            self.tiles.setIconSize(QSize(ICON_PX, ICON_PX))
            self.tiles.setGridSize(self._grid_for(items))
            self.tiles.setResizeMode(QListWidget.ResizeMode.Adjust)
        for item in items:
            self.tiles.addItem(item)

    def _grid_for(self, items: list[QListWidgetItem]) -> QSize:
        """A tile as tall as the icon plus every caption line (one per model when comparing:
        a fixed 54 px cut off model B's line) and as wide as the longest line."""
        fm = self.tiles.fontMetrics()
        lines = [line for item in items for line in item.text().split("\n")] or [""]
        n_lines = max(item.text().count("\n") + 1 for item in items) if items else 1
        width = max(ICON_PX + 46, max(fm.horizontalAdvance(line) for line in lines) + 16)
        return QSize(min(width, 3 * ICON_PX), ICON_PX + n_lines * fm.lineSpacing() + 16)

    def _tile(self, i: int, x: np.ndarray, y: np.ndarray, image: bool) -> QListWidgetItem:
        ds, sel = self._dataset, self._selection
        true = int(y[i])
        lines = [f"#{i}  {ds.class_names[true]}"]
        wrong, full = False, ""
        for sid, ev in sorted(self._evaluations.items()):
            if ev.split != sel.split or ev.predictions is None or i >= len(ev.predictions):
                continue
            pred = int(ev.predictions[i])
            ok = pred == true
            wrong |= not ok
            who = f"{sid}: " if len(self._evaluations) > 1 else "→ "
            lines.append(f"{who}{ds.class_names[pred]} {'✓' if ok else '✗'}")
        if image:
            item = QListWidgetItem("\n".join(lines))
            qimg = array_to_qimage(x[i])
            f = scale_factor(qimg.height(), qimg.width())
            item.setIcon(QIcon(QPixmap.fromImage(qimg).scaled(
                qimg.width() * f, qimg.height() * f, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.FastTransformation)))
        else:
            if ds.words is not None and sel.split == "test":
                what = f"“{ds.words[i]}”"
            elif ds.kind == "sequence":
                full = decode_tokens(ds.tokens(sel.split, i), ds.vocabulary)
                what = elide(full, 160)
            else:
                what = ""
            item = QListWidgetItem("  ".join(lines) + (f"\n{what}" if what else ""))
        item.setData(Qt.ItemDataRole.UserRole, i)
        item.setToolTip("\n".join(lines))
        if full:
            item.setData(FULL_TEXT, full)
            item.setToolTip("\n".join(lines) + "\ndouble-click to read the whole review")
        if wrong:
            item.setForeground(QColor(200, 30, 30))
        return item

    def read_whole(self, item: QListWidgetItem) -> None:
        """A review is cut to fit its line: a double-click opens all of it in a window of its
        own (selectable, scrollable; non-modal, so the views keep working)."""
        full = item.data(FULL_TEXT)
        if not full:
            return
        if self.reader is not None:
            self.reader.close()
        i = item.data(Qt.ItemDataRole.UserRole)
        dialog = QDialog(self)
        dialog.setObjectName("review_reader")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setWindowTitle(f"Review #{i} ({self._selection.split})")
        layout = QVBoxLayout(dialog)
        layout.addWidget(QLabel(item.text().split("\n")[0]))  # index, true class, predictions
        text = QPlainTextEdit(full)
        text.setReadOnly(True)
        text.setObjectName("review_text")
        layout.addWidget(text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dialog.close)
        layout.addWidget(buttons)
        dialog.resize(560, 420)
        dialog.destroyed.connect(lambda *_: setattr(self, "reader", None))
        self.reader = dialog
        dialog.show()

    def _clear_content(self) -> None:
        self.tiles.clear()
        self.header.clear()

    def displayed(self) -> dict:
        if self.is_empty():
            return {}
        return {"indices": [self.tiles.item(i).data(Qt.ItemDataRole.UserRole)
                            for i in range(self.tiles.count())],
                "texts": [self.tiles.item(i).text() for i in range(self.tiles.count())],
                "header": self.header.text()}
