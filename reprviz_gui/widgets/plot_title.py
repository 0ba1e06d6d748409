"""Plot titles that never get cut off: elided to the plot's width, the full text as tooltip.

pyqtgraph's title label keeps its text whole and the layout clips it at both ends in a narrow
view ("iency of Tro" was all a tryout at 330 px showed)."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics

_FULL = "_reprviz_full_title"


def set_elided_title(plot: pg.PlotItem, text: str) -> None:
    """Show ``text`` as ``plot``'s title, elided to fit; re-elided whenever the plot resizes."""
    first = not hasattr(plot, _FULL)
    setattr(plot, _FULL, text)
    plot.titleLabel.setToolTip(text)
    if first:
        plot.geometryChanged.connect(lambda: _elide(plot))
    _elide(plot)


def full_title(plot: pg.PlotItem) -> str:
    return getattr(plot, _FULL, "")


def _elide(plot: pg.PlotItem) -> None:
    text = getattr(plot, _FULL, "")
    width = int(plot.width()) - 8  # the label's margins
    font = QFont(plot.titleLabel.item.font())
    shown = QFontMetrics(font).elidedText(text, Qt.TextElideMode.ElideRight, max(width, 20))
    plot.setTitle(shown)
