"""Colours shared by the panels: one class palette everywhere, one sequential and one diverging map.

A class keeps its colour across the map, the legend and any later view, so the palette is a
fixed function of the class index (tab10 up to 10 classes, tab20 up to 20, then evenly spread
hues), never of the order in which classes happen to appear.
"""

from __future__ import annotations

import colorsys

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

# matplotlib's tab10 / tab20 (qualitative, designed to be told apart).
TAB10 = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)
TAB20 = (
    "#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896",
    "#9467bd", "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7",
    "#bcbd22", "#dbdb8d", "#17becf", "#9edae5",
)

SEQUENTIAL_MAP = "viridis"  # activations: perceptual, readable in grey, colour-blind safe
DIVERGING_MAP = "CET-D1A"  # cosine similarity: blue (-1) - white (0) - red (+1)

# Confusion-matrix cell scales (white -> full colour).
CORRECT_COLOR = (49, 163, 84)  # green
ERROR_COLOR = (222, 45, 38)  # red


def _hex_to_rgba(h: str) -> tuple[int, int, int, int]:
    h = h.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), 255


def class_colors(n: int) -> np.ndarray:
    """(n, 4) uint8 RGBA, one distinguishable colour per class index."""
    n = max(int(n), 0)
    if n <= 10:
        table = [_hex_to_rgba(h) for h in TAB10[:n]]
    elif n <= 20:
        table = [_hex_to_rgba(h) for h in TAB20[:n]]
    else:
        # Golden-ratio hue steps with three lightness/saturation tiers keep neighbours apart.
        table = []
        for i in range(n):
            hue = (i * 0.618033988749895) % 1.0
            light = (0.45, 0.62, 0.35)[i % 3]
            sat = (0.75, 0.6, 0.85)[(i // 3) % 3]
            r, g, b = colorsys.hls_to_rgb(hue, light, sat)
            table.append((int(r * 255), int(g * 255), int(b * 255), 255))
    return np.asarray(table, dtype=np.uint8).reshape(n, 4)


def sequential_cmap() -> pg.ColorMap:
    return pg.colormap.get(SEQUENTIAL_MAP)


def diverging_cmap() -> pg.ColorMap:
    return pg.colormap.get(DIVERGING_MAP)


def mix(rgb: tuple[int, int, int], t: float, base: tuple[int, int, int] = (255, 255, 255)) -> QColor:
    """Blend from `base` (t = 0) to `rgb` (t = 1)."""
    t = float(min(max(t, 0.0), 1.0))
    return QColor(*(int(round(b + (c - b) * t)) for b, c in zip(base, rgb)))


def readable_text_on(color: QColor) -> QColor:
    """Black or white, whichever reads better on `color` (relative luminance)."""
    r, g, b = color.redF(), color.greenF(), color.blueF()
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return QColor(0, 0, 0) if lum > 0.5 else QColor(255, 255, 255)
