"""Selecting points on a 2-D map: a ViewBox that pans, or draws a box or a lasso.

In "pan" mode it behaves like pyqtgraph's own ViewBox (drag pans, wheel zooms). In "box" and
"lasso" modes a left drag draws the shape and, on release, emits ``region_selected`` with the
polygon in data coordinates (shift held: add to the selection). ``points_in`` finds the points
inside with matplotlib's compiled path test, fast enough for 100,000 points.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem

PAN, BOX, LASSO = "pan", "box", "lasso"


class SelectViewBox(pg.ViewBox):
    region_selected = Signal(object, bool)  # (K, 2) polygon in data coordinates, additive

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.mode = PAN
        self._points: list[QPointF] = []
        self._outline = QGraphicsPathItem()
        pen = QPen(QColor(20, 20, 20, 220), 0)
        pen.setCosmetic(True)
        pen.setStyle(Qt.PenStyle.DashLine)
        self._outline.setPen(pen)
        self._outline.setBrush(QColor(60, 120, 220, 40))
        self._outline.setZValue(1e6)
        self._outline.hide()
        self.addItem(self._outline, ignoreBounds=True)

    def set_mode(self, mode: str) -> None:
        self.mode = mode

    def mouseDragEvent(self, ev, axis=None):  # noqa: N802 - pyqtgraph API
        if self.mode == PAN or ev.button() != Qt.MouseButton.LeftButton:
            return super().mouseDragEvent(ev, axis)
        ev.accept()
        here = self.mapSceneToView(ev.scenePos())
        if ev.isStart():
            self._points = [self.mapSceneToView(ev.buttonDownScenePos()), here]
        else:
            self._points.append(here)
        poly = self._polygon()
        path = QPainterPath()
        if len(poly):
            path.moveTo(*poly[0])
            for x, y in poly[1:]:
                path.lineTo(float(x), float(y))
            path.closeSubpath()
        self._outline.setPath(path)
        self._outline.setVisible(not ev.isFinish())
        if ev.isFinish():
            shift = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self._points = []
            self.region_selected.emit(poly, shift)

    def _polygon(self) -> np.ndarray:
        if not self._points:
            return np.zeros((0, 2))
        if self.mode == BOX:
            a, b = self._points[0], self._points[-1]
            return np.array([[a.x(), a.y()], [b.x(), a.y()], [b.x(), b.y()], [a.x(), b.y()]])
        return np.array([[p.x(), p.y()] for p in self._points])


def points_in(polygon: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """Rows of ``coords`` inside the polygon (sorted)."""
    poly = np.asarray(polygon, dtype=float)
    if len(poly) < 3 or len(coords) == 0:
        return np.zeros(0, dtype=np.int64)
    lo, hi = poly.min(axis=0), poly.max(axis=0)
    if not (hi - lo > 0).all():
        return np.zeros(0, dtype=np.int64)
    from matplotlib.path import Path

    inside = Path(poly).contains_points(np.asarray(coords, dtype=float))
    return np.flatnonzero(inside).astype(np.int64)
