"""Small display helpers every view shares: plot theming from the Qt palette, fonts, subtitles,
display levels, counts."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QSizePolicy, QWidget


def palette_colors(widget: QWidget) -> tuple[QColor, QColor]:
    """(background, foreground) for plots, following the light/dark Qt palette."""
    pal = widget.palette()
    return pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text)


def style_plot(view: pg.GraphicsView, plots: Sequence[pg.PlotItem], widget: QWidget) -> None:
    bg, fg = palette_colors(widget)
    view.setBackground(bg)
    axis_pen = pg.mkPen(QColor(fg.red(), fg.green(), fg.blue(), 170), width=1)
    for plot in plots:
        for name in ("left", "bottom", "right", "top"):
            ax = plot.getAxis(name)
            ax.setPen(axis_pen)
            ax.setTextPen(pg.mkPen(fg))
        if plot.titleLabel is not None:
            plot.titleLabel.setAttr("color", fg.name())


def make_subtitle() -> QLabel:
    """Context above a plot. It never forces the dock wider and is never cut off: in a narrow
    dock it wraps onto a second line ("1,000 sa" was all a user saw when it was clipped)."""
    lab = QLabel()
    lab.setObjectName("panelSubtitle")
    lab.setTextFormat(Qt.TextFormat.RichText)
    lab.setWordWrap(True)
    lab.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
    lab.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    return lab


def style_colorbar(bar: pg.ColorBarItem, widget: QWidget) -> None:
    _, fg = palette_colors(widget)
    bar.axis.setTextPen(pg.mkPen(fg))
    bar.axis.setTickFont(tick_font())


def tick_font(point_delta: float = -0.5) -> QFont:
    f = QFont(QApplication.font())
    if f.pointSizeF() > 0:
        f.setPointSizeF(max(7.0, f.pointSizeF() + point_delta))
    return f


def scene_to_panel(panel: QWidget, view: pg.GraphicsView, scene_pos: QPointF) -> QPoint:
    """A scene position of `view` in `panel` widget coordinates (for placing the hover card)."""
    vp = view.mapFromScene(scene_pos)
    return view.viewport().mapTo(panel, vp)


def fmt_count(n: int) -> str:
    return f"{int(n):,}"
