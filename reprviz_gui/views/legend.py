"""The colour key of signed maps (weights, back-projection, saliency): a purple-white-green bar
with its end values, and one line saying what the colours mean."""

from __future__ import annotations

from typing import Optional

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QFontMetrics, QImage, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..core.analysis.weights import diverging_rgb
from .theme import tick_font

BAR_PX = 140


def _fmt(v: float) -> str:
    return f"{v:.3g}"


class DivergingLegend(QWidget):
    """``set_scale(limit, text)``: the bar runs from ``-limit`` (purple) through 0 (white) to
    ``+limit`` (green); ``limit`` None labels the ends "−max" / "+max" (each image on its own
    scale). ``set_text_only(text)`` shows just the line (e.g. colour filters)."""

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("divergingLegend")
        self.setFont(tick_font())
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        ramp = diverging_rgb(np.linspace(-1.0, 1.0, BAR_PX)[None, :], 1.0)
        self._ramp = QImage(np.ascontiguousarray(ramp).data, BAR_PX, 1, 3 * BAR_PX,
                            QImage.Format.Format_RGB888).copy()
        self._limit: Optional[float] = None
        self._bar = True
        self._text = ""

    def set_scale(self, limit: Optional[float], text: str) -> None:
        self._limit, self._bar, self._text = limit, True, text
        self.setToolTip(text)
        self._fit_height()
        self.update()

    def set_text_only(self, text: str) -> None:
        self._bar, self._text = False, text
        self.setToolTip(text)
        self._fit_height()
        self.update()

    def labels(self) -> tuple[str, str, str]:
        """(left end, middle, right end) as drawn; ("", "", "") without a bar."""
        if not self._bar:
            return "", "", ""
        if self._limit is None:
            return "\u2212max", "0", "+max"
        return "\u2212" + _fmt(self._limit), "0", "+" + _fmt(self._limit)

    def text(self) -> str:
        return self._text

    def _text_rect(self, width: int) -> QRect:
        """Where the line goes: right of the bar, wrapped to what is left of ``width``."""
        fm = QFontMetrics(self.font())
        x = 4
        if self._bar:
            left, _, right = self.labels()
            x += fm.horizontalAdvance(left) + 6 + BAR_PX + 12 + fm.horizontalAdvance(right)
        w = max(60, width - x - 2)
        h = fm.boundingRect(QRect(0, 0, w, 10_000), Qt.TextFlag.TextWordWrap, self._text).height()
        return QRect(x, 0, w, h)

    def _fit_height(self) -> None:
        fm = QFontMetrics(self.font())
        bar = 2 * fm.height() + 6 if self._bar else 0
        self.setFixedHeight(max(bar, self._text_rect(self.width()).height() + 4))

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_height()

    def sizeHint(self) -> QSize:  # noqa: N802
        fm = QFontMetrics(self.font())
        return QSize(BAR_PX + 300, 2 * fm.height() + 6)

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        fm = QFontMetrics(self.font())
        fg = self.palette().color(QPalette.ColorRole.WindowText)
        p.setPen(fg)
        x = 4
        if self._bar:
            left, mid, right = self.labels()
            bar = QRect(x + fm.horizontalAdvance(left) + 6, 3, BAR_PX, fm.height())
            p.drawText(QRect(x, 3, bar.left() - x - 4, fm.height()),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, left)
            p.drawImage(bar, self._ramp)
            p.drawRect(bar.adjusted(0, 0, -1, -1))
            p.drawText(QRect(bar.left(), bar.bottom() + 1, bar.width(), fm.height()),
                       Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, mid)
            p.drawText(bar.right() + 6, 3 + fm.ascent(), right)
        rect = self._text_rect(self.width())
        p.drawText(rect.adjusted(0, 2, 0, 2), Qt.TextFlag.TextWordWrap, self._text)
        p.end()
