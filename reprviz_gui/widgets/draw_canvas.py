"""A drawing canvas at the data's image size (issue 16 §2): brush, eraser, clear, grey or
colour, and image files dropped on it.

The picture is a small QImage (28 × 28 for Fashion-MNIST) shown magnified; strokes are drawn
into it at its own resolution with a round pen, so what the model reads is exactly what is
seen. Drawing costs the GUI thread a line into a 784-pixel image; the model's work is done on
the model lane by the view that owns the canvas (``views/own_input.py``).
"""

from __future__ import annotations

from typing import Optional

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget


class DrawCanvas(QWidget):
    stroked = Signal()  # the picture changed under the pen (many times a second while drawing)
    stroke_finished = Signal()  # the mouse was released
    file_dropped = Signal(str)  # a local file dropped on the canvas

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("drawCanvas")
        self.setAcceptDrops(True)
        self.setMinimumSize(140, 140)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.colour_data = False
        self.brush_width = 2.5  # in image pixels; the view sets the data's ink thickness
        self.erasing = False
        self.ink = QColor(255, 255, 255)
        self._image = QImage(28, 28, QImage.Format.Format_RGB888)
        self._image.fill(QColor(0, 0, 0))
        self._last: Optional[QPointF] = None

    # --- the picture ------------------------------------------------------------------------
    def set_shape(self, height: int, width: int, colour: bool) -> None:
        """A blank picture of the data's size (grey or colour)."""
        self.colour_data = bool(colour)
        self._image = QImage(int(width), int(height), QImage.Format.Format_RGB888)
        self.clear()

    def clear(self) -> None:
        self._image.fill(QColor(0, 0, 0))
        self.update()

    def image_size(self) -> QSize:
        return self._image.size()

    def array(self) -> np.ndarray:
        """(H, W) uint8 for grey data, (H, W, 3) for colour."""
        w, h = self._image.width(), self._image.height()
        ptr = self._image.constBits()
        rows = np.frombuffer(ptr, dtype=np.uint8, count=self._image.sizeInBytes())
        rgb = rows.reshape(h, self._image.bytesPerLine())[:, :w * 3].reshape(h, w, 3).copy()
        return rgb if self.colour_data else rgb[..., 0].copy()

    def set_array(self, image: np.ndarray) -> None:
        """Show a sample or a read file (uint8, (H, W), (H, W, 1) or (H, W, 3))."""
        a = np.asarray(image, dtype=np.uint8)
        if a.ndim == 3 and a.shape[2] == 1:
            a = a[..., 0]
        if a.ndim == 2:
            a = np.repeat(a[:, :, None], 3, axis=2)
        a = np.ascontiguousarray(a[..., :3])
        h, w = a.shape[:2]
        self._image = QImage(a.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        self.update()

    # --- painting ---------------------------------------------------------------------------
    def _target(self) -> QRectF:
        """Where the picture is drawn: the largest square-pixel rectangle that fits."""
        w, h = self._image.width(), self._image.height()
        scale = max(1e-6, min(self.width() / w, self.height() / h))
        tw, th = w * scale, h * scale
        return QRectF((self.width() - tw) / 2, (self.height() - th) / 2, tw, th)

    def to_image(self, pos: QPointF) -> QPointF:
        t = self._target()
        return QPointF((pos.x() - t.x()) * self._image.width() / t.width(),
                       (pos.y() - t.y()) * self._image.height() / t.height())

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt API)
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().window())
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        t = self._target()
        p.drawImage(t, self._image)
        p.setPen(QPen(QColor(128, 128, 128), 1))
        p.drawRect(t.adjusted(0, 0, -1, -1))
        p.end()

    def _stroke(self, to: QPointF) -> None:
        p = QPainter(self._image)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        colour = QColor(0, 0, 0) if self.erasing else self.ink
        if not self.colour_data and not self.erasing:
            grey = colour.lightness()
            colour = QColor(grey, grey, grey)
        pen = QPen(colour, self.brush_width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                   Qt.PenJoinStyle.RoundJoin)
        p.setPen(pen)
        start = self._last if self._last is not None else to
        if start == to:
            p.drawPoint(to)
        else:
            p.drawLine(start, to)
        p.end()
        self._last = to
        self.update()
        self.stroked.emit()

    def stroke_line(self, start: QPointF, end: QPointF) -> None:
        """One stroke from ``start`` to ``end`` (image coordinates), as a drag of the pen."""
        self._last = None
        self._stroke(start)
        self._stroke(end)
        self._last = None
        self.stroke_finished.emit()

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.button() == Qt.MouseButton.LeftButton:
            self._last = None
            self._stroke(self.to_image(event.position()))

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._stroke(self.to_image(event.position()))

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if event.button() == Qt.MouseButton.LeftButton:
            self._last = None
            self.stroke_finished.emit()

    # --- dropping files ---------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt API)
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 (Qt API)
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()
            self.file_dropped.emit(urls[0].toLocalFile())
