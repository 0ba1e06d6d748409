"""The class sample grid: N examples of one class from one split (60 in a 6×10 grid, as the
MNIST notes show them), colour images in colour, each image scaled up by a whole factor so every
pixel stays a sharp square. Click an image to select it (shift adds); the shared selection is
framed; hovering shows the index, the label and each model's prediction. Texts, words and plain
vectors are listed instead.

Data only: the view slices the dataset it is handed (``set_dataset``) — no analysis, no model.
The examples are a seeded choice (``class_examples``), so the same class shows the same images
until the user asks for others.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QComboBox, QHBoxLayout, QLabel,
                               QListWidget, QListWidgetItem, QPushButton, QScrollArea, QSpinBox,
                               QStackedWidget, QWidget)

from ..core.data.samples import decode_tokens
from ..widgets.thumbnail_tooltip import array_to_qimage
from ..widgets.wheel_guard import guard_wheel
from ..workspace.results import EvaluationResult
from ..workspace.state import Selection
from .base import Panel
from .describe import elide

DEFAULT_N = 60  # the MNIST notes' 6 × 10 grid
COLUMNS = 10
MAX_N = 500
GAP = 4  # pixels between images (the selection frame is drawn in it)
MAX_SCALE = 16
SPLITS = ("test", "train")


def class_examples(labels: Any, class_index: int, n: int, seed: int = 0) -> np.ndarray:
    """Indices (in index order) of ``n`` samples of class ``class_index`` chosen with a seeded
    generator; all of them when the class has at most ``n``."""
    members = np.flatnonzero(np.asarray(labels).reshape(-1) == int(class_index))
    if len(members) <= n:
        return members.astype(np.int64)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(members, size=int(n), replace=False)).astype(np.int64)


class SampleGridCanvas(QWidget):
    """Images in rows of ``COLUMNS``, each drawn at one whole-number scale (nearest neighbour),
    the largest that fits the width. ``clicked(position, shift)``; ``hovered(position, point)``
    with position -1 when the pointer is between or outside the images."""

    clicked = Signal(int, bool)
    hovered = Signal(int, QPoint)

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("sampleGridCanvas")
        self.setMouseTracking(True)
        self._pixmaps: list[QPixmap] = []
        self._cell = QSize(1, 1)  # one image, unscaled
        self._marked: set[int] = set()
        self._hover = -1
        self.scale = 1

    def set_images(self, images: list[np.ndarray]) -> None:
        self._pixmaps = [QPixmap.fromImage(array_to_qimage(im)) for im in images]
        h, w = (images[0].shape[:2] if images else (1, 1))
        self._cell = QSize(int(w), int(h))
        self._hover = -1
        self._relayout()

    def set_marked(self, positions: set[int]) -> None:
        self._marked = set(positions)
        self.update()

    def marked(self) -> set[int]:
        return set(self._marked)

    # -- geometry ----------------------------------------------------------------------------
    def columns(self) -> int:
        return max(1, min(COLUMNS, len(self._pixmaps)))

    def rows(self) -> int:
        return -(-len(self._pixmaps) // self.columns()) if self._pixmaps else 0

    def _relayout(self) -> None:
        self.scale = self._fit_scale(self.width())
        self.setMinimumHeight(self._height_for(self.scale))
        self.updateGeometry()
        self.update()

    def _fit_scale(self, width: int) -> int:
        cols = self.columns()
        free = max(0, width - GAP * (cols + 1))
        return int(max(1, min(MAX_SCALE, free // max(1, cols * self._cell.width()))))

    def _height_for(self, scale: int) -> int:
        rows = self.rows()
        return rows * self._cell.height() * scale + GAP * (rows + 1) if rows else 0

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        cols = self.columns()
        return QSize(cols * self._cell.width() + GAP * (cols + 1), self._height_for(1))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(self.minimumSizeHint().width(), self._height_for(self.scale))

    def cell_rect(self, position: int) -> QRect:
        """Where image ``position`` is drawn (without its frame), in this widget's pixels."""
        r, c = divmod(int(position), self.columns())
        w, h = self._cell.width() * self.scale, self._cell.height() * self.scale
        return QRect(GAP + c * (w + GAP), GAP + r * (h + GAP), w, h)

    def position_at(self, point: QPoint) -> int:
        for i in range(len(self._pixmaps)):
            if self.cell_rect(i).contains(point):
                return i
        return -1

    # -- Qt events ---------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        scale = self._fit_scale(self.width())
        if scale != self.scale:
            self.scale = scale
            self.setMinimumHeight(self._height_for(scale))
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802
        painter = QPainter(self)
        # no smoothing: a scaled pixel stays one sharp square of its own colour
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        highlight = self.palette().color(QPalette.ColorRole.Highlight)
        for i, pix in enumerate(self._pixmaps):
            rect = self.cell_rect(i)
            painter.drawPixmap(rect, pix)
            if i in self._marked or i == self._hover:
                pen = QPen(highlight if i in self._marked else QColor(128, 128, 128))
                pen.setWidth(3 if i in self._marked else 1)
                painter.setPen(pen)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(rect.adjusted(-2, -2, 1, 1))
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = self.position_at(event.position().toPoint())
        if event.button() == Qt.MouseButton.LeftButton and pos >= 0:
            shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self.clicked.emit(pos, shift)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        point = event.position().toPoint()
        pos = self.position_at(point)
        if pos != self._hover:
            self._hover = pos
            self.update()
        self.hovered.emit(pos, point)
        super().mouseMoveEvent(event)

    def leaveEvent(self, event) -> None:  # noqa: N802
        if self._hover >= 0:
            self._hover = -1
            self.update()
        self.hovered.emit(-1, QPoint())
        super().leaveEvent(event)


class SampleGridView(Panel):
    """See the module docstring."""

    empty_hint = "Open a dataset to see examples of each class"

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        controls = QHBoxLayout()
        controls.setSpacing(6)
        self.class_combo = guard_wheel(QComboBox(objectName="samplesClass"))
        self.class_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.split_combo = guard_wheel(QComboBox(objectName="samplesSplit"))
        self.n_spin = guard_wheel(QSpinBox(objectName="samplesN"))
        self.n_spin.setRange(1, MAX_N)
        self.n_spin.setValue(DEFAULT_N)
        self.n_spin.setKeyboardTracking(False)  # one redraw per typed number, not per digit
        self.others = QPushButton("Others", objectName="samplesOthers")
        self.others.setToolTip("Show other examples of this class")
        for label, widget in (("Class", self.class_combo), ("from", self.split_combo),
                              ("show", self.n_spin)):
            controls.addWidget(QLabel(label))
            controls.addWidget(widget)
        controls.addWidget(self.others)
        controls.addStretch(1)
        self.body_layout.addLayout(controls)
        self.header = QLabel(objectName="samplesHeader")
        self.header.setWordWrap(True)
        self.body_layout.addWidget(self.header)

        self.canvas = SampleGridCanvas()
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.canvas)
        self.listing = QListWidget(objectName="samplesList")
        self.listing.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.listing.setWordWrap(True)
        self.content = QStackedWidget()
        self.content.addWidget(self.scroll)
        self.content.addWidget(self.listing)
        self.body_layout.addWidget(self.content, 1)

        self._dataset: Any = None
        self._evaluations: dict[str, EvaluationResult] = {}
        self._seed = 0
        self._shown = np.zeros(0, dtype=np.int64)  # dataset indices (of the split) shown
        self._marked: set[int] = set()  # positions of shown samples that are selected
        self.watch_leave(self.canvas)

        # user edits only (activated / valueChanged of a spin box set from code are blocked)
        self.class_combo.activated.connect(self._choice_changed)
        self.split_combo.activated.connect(self._choice_changed)
        self.n_spin.valueChanged.connect(self._choice_changed)
        self.others.clicked.connect(self._other_examples)
        self.canvas.clicked.connect(self._clicked)
        self.canvas.hovered.connect(self._hovered)
        self.listing.itemClicked.connect(self._item_clicked)

    # --- inputs -----------------------------------------------------------------------------
    def set_dataset(self, dataset: Any) -> None:
        self._dataset = dataset
        self._evaluations.clear()
        self._selection = Selection()
        self._seed = 0
        for w in (self.class_combo, self.split_combo):
            w.blockSignals(True)
        self.class_combo.clear()
        self.split_combo.clear()
        if dataset is not None:
            for k, name in enumerate(dataset.class_names):
                self.class_combo.addItem(str(name), k)
            for split in SPLITS:
                if len(dataset.split(split)[1]):
                    self.split_combo.addItem(split, split)
        self.class_combo.setMinimumWidth(0)
        self.class_combo.setMinimumWidth(min(260, self.class_combo.sizeHint().width()))  # no cut
        for w in (self.class_combo, self.split_combo):
            w.blockSignals(False)
        self._render()

    def show_product(self, kind: str, session_id: str, result: Any) -> None:
        if kind == "evaluation" and isinstance(result, EvaluationResult):
            self._evaluations[session_id] = result

    def product_unavailable(self, kind: str, session_id: str, why: str) -> None:
        self._evaluations.pop(session_id, None)

    def set_selection(self, selection: Selection) -> None:
        self._selection = selection
        self._apply_highlight()

    def choose(self, class_index: int, split: str = "", n: int = 0) -> None:
        """Show ``class_index`` (and ``split``, ``n`` when given) as if picked; emits nothing."""
        for w in (self.class_combo, self.split_combo, self.n_spin):
            w.blockSignals(True)
        self.class_combo.setCurrentIndex(max(0, self.class_combo.findData(int(class_index))))
        if split:
            self.split_combo.setCurrentIndex(max(0, self.split_combo.findData(split)))
        if n:
            self.n_spin.setValue(int(n))
        for w in (self.class_combo, self.split_combo, self.n_spin):
            w.blockSignals(False)
        self._render()

    # --- what is shown ----------------------------------------------------------------------
    def current_class(self) -> int:
        k = self.class_combo.currentData()
        return int(k) if k is not None else 0

    def current_split(self) -> str:
        return self.split_combo.currentData() or "test"

    def shown_indices(self) -> np.ndarray:
        return self._shown.copy()

    def _render(self) -> None:
        ds = self._dataset
        if not self._has_data():
            self._shown = np.zeros(0, dtype=np.int64)
            super().clear()
            return
        self._result = ds
        self._stack.setCurrentWidget(self.body)
        split, k = self.current_split(), self.current_class()
        x, y = ds.split(split)
        members = int(np.count_nonzero(np.asarray(y) == k))
        self._shown = class_examples(y, k, self.n_spin.value(), self._seed)
        name = ds.class_names[k]
        self.header.setText(f"{len(self._shown):,} of {members:,} {split} samples of class "
                            f"“{name}” · click to select, shift-click adds")
        if self._is_images():
            self.canvas.set_images([np.asarray(x[i]) for i in self._shown])
            self.content.setCurrentWidget(self.scroll)
        else:
            self.listing.clear()
            for i in self._shown:
                item = QListWidgetItem(f"#{int(i)}  {self._describe(int(i), x)}")
                item.setData(Qt.ItemDataRole.UserRole, int(i))
                item.setToolTip("\n".join(self._lines(int(i))))
                self.listing.addItem(item)
            self.content.setCurrentWidget(self.listing)
        self._apply_highlight()

    def _is_images(self) -> bool:
        return self._dataset is not None and self._dataset.kind == "image"

    def _describe(self, i: int, x: np.ndarray) -> str:
        ds = self._dataset
        if ds.words is not None and self.current_split() == "test" and i < len(ds.words):
            return f"“{ds.words[i]}”"
        if ds.kind == "sequence":
            return elide(decode_tokens(x[i], ds.vocabulary), 240)
        values = np.asarray(x[i]).ravel()
        return " ".join(f"{v:.4g}" for v in values[:12]) + (" …" if len(values) > 12 else "")

    def _lines(self, i: int) -> list[str]:
        """Hover text: index, true label and each model's prediction for this split."""
        ds = self._dataset
        split = self.current_split()
        _, y = ds.split(split)
        lines = [f"#{i} ({split})  {ds.class_names[int(y[i])]}"]
        many = len(self._evaluations) > 1
        for sid, ev in sorted(self._evaluations.items()):
            if ev.split != split or ev.predictions is None or i >= len(ev.predictions):
                continue
            pred = int(ev.predictions[i])
            mark = "✓" if pred == int(y[i]) else "✗"
            prob = ""
            if ev.probabilities is not None and i < len(ev.probabilities):
                prob = f" ({float(ev.probabilities[i, pred]):.0%})"
            lines.append(f"{sid + ': ' if many else '→ '}{ds.class_names[pred]}{prob} {mark}")
        return lines

    def _apply_highlight(self) -> None:
        sel = self._selection
        marked: set[int] = set()
        if not sel.empty and sel.split == self.current_split() and len(self._shown):
            marked = {int(p) for p in np.flatnonzero(np.isin(self._shown, sel.indices))}
        self.canvas.set_marked(marked)
        for pos in range(self.listing.count()):
            item = self.listing.item(pos)
            font = item.font()
            font.setBold(pos in marked)
            item.setFont(font)
            item.setBackground(self.palette().color(QPalette.ColorRole.Highlight).lighter(170)
                               if pos in marked else QColor(0, 0, 0, 0))
        self._marked = marked

    # --- user input -------------------------------------------------------------------------
    def _choice_changed(self, *_: Any) -> None:
        self._render()

    def _other_examples(self) -> None:
        self._seed += 1
        self._render()

    def _request(self, position: int, additive: bool) -> None:
        if not 0 <= position < len(self._shown):
            return
        i = int(self._shown[position])
        name = self._dataset.class_names[self.current_class()]
        self.selection_requested.emit(
            Selection.of(self.current_split(), [i], f"samples: {name} #{i}"), additive)

    def _clicked(self, position: int, shift: bool) -> None:
        self._request(position, shift)

    def _item_clicked(self, item: QListWidgetItem) -> None:
        shift = bool(QApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier)
        self._request(self.listing.row(item), shift)

    def _hovered(self, position: int, point: QPoint) -> None:
        if position < 0 or not 0 <= position < len(self._shown):
            self.hide_hover()
            return
        i = int(self._shown[position])
        x, _ = self._dataset.split(self.current_split())
        self.show_hover(self.canvas.mapTo(self, point), [np.asarray(x[i])], self._lines(i))

    # --- Panel hooks ------------------------------------------------------------------------
    def _has_data(self) -> bool:
        ds = self._dataset
        return ds is not None and self.split_combo.count() > 0 and ds.n_classes > 0

    def clear(self, message: str = "") -> None:
        """The grid shows the dataset itself: once it has one, there is nothing to wait for
        (the window clears every view with "Computing…" when new data arrives)."""
        if self._has_data():
            self._render()
        else:
            super().clear(message)

    def _clear_content(self) -> None:
        self.canvas.set_images([])
        self.listing.clear()
        self.header.clear()

    def displayed(self) -> dict:
        if self.is_empty():
            return {}
        out = {"class": self.current_class(), "split": self.current_split(),
               "indices": [int(i) for i in self._shown], "header": self.header.text(),
               "marked": sorted(self._marked)}
        if self._is_images():
            out["scale"] = self.canvas.scale
        else:
            out["texts"] = [self.listing.item(p).text() for p in range(self.listing.count())]
        return out
