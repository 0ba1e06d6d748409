"""The CSV import dialog's preview: the first samples of the file as the loader reads them —
images in a grid with their labels, vectors as lines of numbers — or the one line that says why
they cannot be read with the options chosen.

``CsvPreviewPane.show_preview(preview, error, minmax)`` draws; ``shown_images`` and
``shown_labels`` say what is drawn (for tests and callers).
"""

from __future__ import annotations

from typing import Optional

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from ..core.data.tabular import CsvPreview

PREVIEW_COLUMNS = 6
THUMB_PX = 64


def to_qimage(arr: np.ndarray) -> QImage:
    """uint8 H×W (grey) or H×W×3 (RGB) -> an owning QImage."""
    arr = np.ascontiguousarray(arr)
    h, w = arr.shape[:2]
    if arr.ndim == 2:
        return QImage(arr.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
    return QImage(arr.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def display_image(sample: np.ndarray, minmax: bool) -> np.ndarray:
    """A stored image as drawn in the preview: uint8 H×W (grey) or H×W×3, per-sample min-max
    stretched to 0..255 when ``minmax``; other channel counts show their first channel."""
    arr = np.asarray(sample)
    if arr.ndim == 3 and arr.shape[2] != 3:
        arr = arr[:, :, 0]
    if minmax:
        a = arr.astype(np.float64)
        lo, hi = float(a.min()), float(a.max())
        a = (a - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(a)
        arr = np.rint(a).clip(0, 255)
    return np.ascontiguousarray(arr.astype(np.uint8))


class CsvPreviewPane(QWidget):
    """Summary line, error line, an image grid of ``rows`` cells and a vector listing."""

    def __init__(self, rows: int, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.summary = QLabel(objectName="preview_summary")
        self.error_label = QLabel(objectName="preview_error")
        self.error_label.setStyleSheet("color: #b00020;")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        self.preview_box = QWidget(objectName="preview")
        grid = QGridLayout(self.preview_box)
        self.cells: list[tuple[QLabel, QLabel]] = []
        for i in range(rows):
            image, caption = QLabel(), QLabel()
            image.setAlignment(Qt.AlignmentFlag.AlignCenter)
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            r, c = divmod(i, PREVIEW_COLUMNS)
            grid.addWidget(image, 2 * r, c)
            grid.addWidget(caption, 2 * r + 1, c)
            self.cells.append((image, caption))
        self.vector_preview = QLabel(objectName="vector_preview")
        self.vector_preview.setTextFormat(Qt.TextFormat.PlainText)
        self.vector_preview.setStyleSheet("font-family: monospace;")
        self.vector_preview.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(f"First {rows} samples:"))
        layout.addWidget(self.summary)
        layout.addWidget(self.error_label)
        layout.addWidget(self.preview_box)
        layout.addWidget(self.vector_preview)
        self._shown: list[np.ndarray] = []
        self._shown_labels: list[str] = []

    def show_preview(self, prev: Optional[CsvPreview], error: str, minmax: bool) -> None:
        """Draw ``prev`` (images or vectors with their labels), or ``error`` instead."""
        self._shown, self._shown_labels = [], []
        self.error_label.setText(error)
        self.error_label.setVisible(bool(error))
        images = prev is not None and prev.kind == "image"
        self.preview_box.setVisible(images)
        self.vector_preview.setVisible(prev is not None and not images)
        if prev is None:
            self.summary.setText("")
            for image, caption in self.cells:
                image.clear()
                caption.clear()
            return
        labels = [prev.class_names[c] for c in prev.y]
        self._shown_labels = labels
        how = f" ({prev.dialect})" if prev.dialect else ""
        self.summary.setText(f"{len(prev.y)} rows read{how}; classes seen: "
                             f"{', '.join(sorted(set(labels), key=str)[:12])}")
        if not images:
            lines = []
            for row, label in zip(prev.x, labels):
                values = " ".join(f"{v:.4g}" for v in row[:8]) + (" …" if len(row) > 8 else "")
                lines.append(f"{label:>10}  {values}")
            self.vector_preview.setText("\n".join(lines))
            return
        for i, (image, caption) in enumerate(self.cells):
            if i >= len(prev.x):
                image.clear()
                caption.clear()
                continue
            shown = display_image(prev.x[i], minmax)
            self._shown.append(shown)
            h, w = shown.shape[:2]
            scale = max(1, THUMB_PX // max(h, w))
            image.setPixmap(QPixmap.fromImage(to_qimage(shown)).scaled(
                w * scale, h * scale, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.FastTransformation))
            caption.setText(labels[i])

    def shown_images(self) -> list[np.ndarray]:
        return [a.copy() for a in self._shown]

    def shown_labels(self) -> list[str]:
        return list(self._shown_labels)
