"""A pyqtgraph axis labelled by class bands (rows grouped by class), and the thin lines between
bands."""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QFont, QFontMetricsF

from .theme import tick_font


class BandAxisItem(pg.AxisItem):
    """Axis labelled by contiguous bands [(start, stop, name), ...] in data coordinates.

    Without bands it behaves exactly like ``pg.AxisItem``. With bands it draws a tick at each band
    boundary and the (elided) name at the centre of the visible part of each band; labels that
    would overlap the previous one are skipped, so 100 classes in a small dock stay readable.
    A bottom axis turns its labels vertical when they do not fit horizontally.
    """

    GAP = 3  # px between neighbouring labels

    def __init__(self, orientation: str, max_label_px: int = 110, **kwargs):
        super().__init__(orientation, **kwargs)
        self._bands: Optional[list[tuple[float, float, str]]] = None
        self._max_label_px = max_label_px
        self._rotated = False
        self._rot_specs: list[tuple[QPointF, str]] = []
        self.setTickFont(tick_font())

    def bands(self) -> Optional[list[tuple[float, float, str]]]:
        return None if self._bands is None else list(self._bands)

    def label_texts(self) -> list[str]:
        """The (elided) band names this axis would draw, in band order."""
        return [] if self._bands is None else [name for _, _, name in self._bands]

    def _font(self) -> QFont:
        return self.style["tickFont"] if self.style["tickFont"] is not None else QFont()

    def set_bands(self, bands: Optional[Sequence[tuple[float, float, str]]]) -> None:
        if not bands:
            self._bands = None
            self._rotated = False
            self.setTicks(None)
            if self.orientation in ("left", "right"):
                self.setWidth(None)
            else:
                self.setHeight(None)
            self.picture = None
            self.update()
            return
        fm = QFontMetricsF(self._font())
        self._bands = [
            (float(a), float(b), fm.elidedText(str(n), Qt.TextElideMode.ElideRight, self._max_label_px))
            for a, b, n in bands
        ]
        widest = max(fm.horizontalAdvance(n) for _, _, n in self._bands)
        extra = self.style["tickTextOffset"][0 if self.orientation in ("left", "right") else 1]
        extra += max(0, self.style["tickLength"]) + 4
        if self.orientation in ("left", "right"):
            self.setWidth(int(np.ceil(widest + extra)))
        else:
            self._rotated = self._needs_rotation()
            self._fit_height(self._rotated)
        self.picture = None
        self.update()

    def _needs_rotation(self) -> bool:
        """Bottom/top labels go vertical when any name is wider than its band on screen."""
        if self._bands is None or self.orientation in ("left", "right"):
            return False
        lo, hi = self.range
        width = self.width()
        if hi == lo or width <= 0:
            return self._rotated
        px_per_unit = width / abs(hi - lo)
        fm = QFontMetricsF(self._font())
        return any(fm.horizontalAdvance(n) + 2 * self.GAP > abs(b - a) * px_per_unit
                   for a, b, n in self._bands)

    def _update_rotation(self) -> None:
        if getattr(self, "_bands", None) is None or self.orientation in ("left", "right"):
            return
        rotated = self._needs_rotation()
        if rotated != self._rotated or self.fixedHeight is None:
            self._rotated = rotated
            self._fit_height(rotated)

    def resizeEvent(self, ev=None):  # noqa: N802
        super().resizeEvent(ev)
        self._update_rotation()

    def linkedViewChanged(self, view=None, newRange=None):  # noqa: N802
        super().linkedViewChanged(view, newRange)
        self._update_rotation()

    def _fit_height(self, rotated: bool) -> None:
        fm = QFontMetricsF(self._font())
        extra = self.style["tickTextOffset"][1] + max(0, self.style["tickLength"]) + 4
        if rotated and self._bands:
            h = max(fm.horizontalAdvance(n) for _, _, n in self._bands) + extra
        else:
            h = fm.height() + extra
        if self.label.isVisible():
            h += self.label.boundingRect().height() * 0.8
        self.setHeight(int(np.ceil(h)))

    # pyqtgraph calls this from paint(); it returns (axisSpec, tickSpecs, textSpecs).
    def generateDrawSpecs(self, p):
        if self._bands is None:
            self._rot_specs = []
            return super().generateDrawSpecs(p)
        p.setFont(self._font())
        fm = QFontMetricsF(self._font())
        bounds = self.mapRectFromParent(self.geometry())
        vertical = self.orientation in ("left", "right")
        lo, hi = self.range
        dif = hi - lo
        if dif == 0:
            return None
        if vertical:
            scale = -bounds.height() / dif
            offset = lo * scale - bounds.height()
            span = (bounds.topRight(), bounds.bottomRight()) if self.orientation == "left" else (
                bounds.topLeft(), bounds.bottomLeft())
            tick_stop = bounds.right() if self.orientation == "left" else bounds.left()
            tick_dir = -1 if self.orientation == "left" else 1
            length_px = bounds.height()
        else:
            scale = bounds.width() / dif
            offset = lo * scale
            span = (bounds.topLeft(), bounds.topRight()) if self.orientation == "bottom" else (
                bounds.bottomLeft(), bounds.bottomRight())
            tick_stop = bounds.top() if self.orientation == "bottom" else bounds.bottom()
            tick_dir = 1 if self.orientation == "bottom" else -1
            length_px = bounds.width()

        def px(v: float) -> float:
            return v * scale - offset

        axis_spec = (self.pen(), span[0], span[1])
        tick_len = max(0, self.style["tickLength"]) + 1
        tick_pen = self.tickPen()
        tick_specs = []
        edges = sorted({b[0] for b in self._bands} | {b[1] for b in self._bands})
        for e in edges:
            x = px(e)
            if -0.5 <= x <= length_px + 0.5:
                p1 = [x, x]
                p2 = [x, x]
                axis = 0 if vertical else 1
                p1[axis] = tick_stop
                p2[axis] = tick_stop + tick_len * tick_dir
                tick_specs.append((tick_pen, pg.Point(*p1), pg.Point(*p2)))

        # Visible part of each band -> label centre (in px along the axis).
        vis_lo, vis_hi = min(lo, hi), max(lo, hi)
        placed = []  # (centre_px, name, text_width)
        for a, b, name in self._bands:
            a2, b2 = max(min(a, b), vis_lo), min(max(a, b), vis_hi)
            if b2 <= a2:
                continue
            placed.append((px((a2 + b2) / 2.0), name, fm.horizontalAdvance(name)))

        along = (lambda w: fm.height()) if (vertical or self._rotated) else (lambda w: w)
        text_offset = max(0, self.style["tickLength"]) + self.style["tickTextOffset"][0 if vertical else 1]
        text_specs = []
        self._rot_specs = []
        last_end = -1e9
        for order in sorted(placed, key=lambda t: t[0]):
            c, name, w = order
            ext = along(w)
            start = c - ext / 2.0
            if start < last_end + self.GAP:
                continue
            if start < -ext * 0.25 or c + ext / 2.0 > length_px + ext * 0.25:
                continue
            last_end = c + ext / 2.0
            h = fm.height()
            flags = Qt.TextFlag.TextDontClip
            if vertical:
                if self.orientation == "left":
                    rect = QRectF(tick_stop - text_offset - w - 1, c - h / 2, w + 1, h)
                    flags |= Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                else:
                    rect = QRectF(tick_stop + text_offset, c - h / 2, w + 1, h)
                    flags |= Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
                text_specs.append((rect, flags, name))
            elif self._rotated:
                # Anchor: the end of the text sits just below the axis, reading bottom-to-top.
                y = tick_stop + text_offset if self.orientation == "bottom" else tick_stop - text_offset
                self._rot_specs.append((QPointF(c, y), name))
            else:
                if self.orientation == "bottom":
                    rect = QRectF(c - w / 2, tick_stop + text_offset, w + 1, h)
                    flags |= Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
                else:
                    rect = QRectF(c - w / 2, tick_stop - text_offset - h, w + 1, h)
                    flags |= Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom
                text_specs.append((rect, flags, name))
        return axis_spec, tick_specs, text_specs

    def drawPicture(self, p, axisSpec, tickSpecs, textSpecs):
        super().drawPicture(p, axisSpec, tickSpecs, textSpecs)
        if not self._rot_specs:
            return
        fm = QFontMetricsF(self._font())
        p.setFont(self._font())
        p.setPen(self.textPen())
        h = fm.height()
        for anchor, name in self._rot_specs:
            w = fm.horizontalAdvance(name) + 1
            p.save()
            p.translate(anchor)
            p.rotate(-90)
            # After rotating -90 deg, +x points up the screen and +y to the right.
            if self.orientation == "bottom":
                rect = QRectF(-w, -h / 2, w, h)
                align = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            else:
                rect = QRectF(0, -h / 2, w, h)
                align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
            p.drawText(rect, int(align | Qt.TextFlag.TextDontClip), name)
            p.restore()


def band_separators(bands: Sequence[tuple[int, int, str]]) -> list[float]:
    """Inner boundaries between consecutive bands (where thin separator lines go)."""
    return [float(b[0]) for b in list(bands)[1:]]


def separator_lines(positions: Sequence[float], extent: tuple[float, float], horizontal: bool):
    """x, y arrays for one PlotCurveItem(connect='pairs') drawing all separators at once."""
    pos = np.asarray(positions, dtype=float)
    if pos.size == 0:
        return np.zeros(0), np.zeros(0)
    a = np.repeat(pos, 2)
    b = np.tile(np.asarray(extent, dtype=float), len(pos))
    return (b, a) if horizontal else (a, b)


class SelectableBandAxis(BandAxisItem):
    """A band axis the user selects with: a click names a position (its class band), a drag
    along the axis a range, both in data coordinates. Shift adds to the selection.

    ``rows_picked(start, stop, additive)``: ``start == stop`` for a click.
    """

    rows_picked = Signal(float, float, bool)

    def _to_data(self, pos: QPointF) -> float:
        vb = self.linkedView()
        if vb is None:
            return float("nan")
        scene = self.mapToScene(pos)
        p = vb.mapSceneToView(scene)
        return float(p.y() if self.orientation in ("left", "right") else p.x())

    def mouseClickEvent(self, event):  # noqa: N802 - pyqtgraph API
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mouseClickEvent(event)
        event.accept()
        v = self._to_data(event.pos())
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        self.rows_picked.emit(v, v, shift)

    def mouseDragEvent(self, event):  # noqa: N802 - pyqtgraph API
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mouseDragEvent(event)
        event.accept()
        if event.isFinish():
            a, b = self._to_data(event.buttonDownPos()), self._to_data(event.pos())
            shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self.rows_picked.emit(min(a, b), max(a, b) if b != a else a + 1e-6, shift)
