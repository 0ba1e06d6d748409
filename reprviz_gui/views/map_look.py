"""The map's look: the points' size and opacity by their number, the caption (layer, method,
variance explained, how many points, a preview or note) with the axis titles, and the class
legend. Plain functions of the result, kept apart from the panel's interaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from ..core.analysis.projection import METHOD_LABELS
from ..workspace.results import ProjectionResult
from .describe import layer_caption
from .map_overlays import swatch
from .theme import fmt_count


def point_style(n: int) -> tuple[int, int]:
    """(point size in px, opacity 0-255) that keep n points readable: big and solid for a few
    hundred, small and translucent for tens of thousands (so dense clusters show density)."""
    for limit, size, alpha in ((1_000, 7, 230), (3_000, 6, 210), (10_000, 5, 180),
                               (30_000, 4, 150)):
        if n <= limit:
            return size, alpha
    return 3, 120


@dataclass(frozen=True)
class Caption:
    text: str  # rich text for the subtitle
    bottom: str  # axis titles ("" hides the title)
    left: str


def map_caption(r: ProjectionResult, n_points: int) -> Caption:
    method = METHOD_LABELS.get(r.method.lower(), r.method)
    parts = [layer_caption(r), method]
    ev = None if r.explained_variance is None else \
        np.asarray(r.explained_variance, dtype=float).ravel()
    bottom, left = "", ""
    if r.method.lower() == "pca" and ev is not None and ev.size >= 2 and \
            np.all(np.isfinite(ev[:2])) and ev[:2].sum() <= 1.0 + 1e-6:
        parts.append(f"2 components explain {100 * ev[:2].sum():.0f} % of the variance")
        bottom, left = f"PC1 ({100 * ev[0]:.0f} %)", f"PC2 ({100 * ev[1]:.0f} %)"
    elif r.method.lower() == "pca":
        bottom, left = "PC1", "PC2"
    if r.pca_explained_variance is not None and r.pca_components:  # PCA before the layout
        parts.append(f"{r.pca_components} PCA components explain "
                     f"{100 * r.pca_explained_variance:.1f} % of the variance")
    text = " \u00b7 ".join(parts) + f" \u00b7 {fmt_count(n_points)} samples"
    if r.preview:  # the PCA map meanwhile, or the chosen map while it forms
        text += " <i>(PCA preview while the chosen map computes)</i>" \
            if r.method.lower() == "pca" else " <i>(forming: a preview while it optimises)</i>"
    if r.note:
        text += f" \u00b7 <i>{r.note}</i>"
    return Caption(text, bottom, left)


def fill_class_legend(legend: QListWidget, names: Sequence[str], colours: np.ndarray,
                      counts: np.ndarray, which: str) -> None:
    """One clickable row per class (its colour, name and count); classes with no point greyed;
    the list as wide as its longest name."""
    legend.clear()
    fm = legend.fontMetrics()
    grey = legend.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
    widest = 0
    for k in range(len(colours)):
        name = names[k] if k < len(names) else f"class {k}"
        if counts[k] == 0 and k >= len(names):
            continue
        it = QListWidgetItem(swatch(QColor(*(int(v) for v in colours[k]))), name)
        it.setData(Qt.ItemDataRole.UserRole, k)
        it.setToolTip(f"{name}: {fmt_count(counts[k])} samples ({which} class). Click to "
                      "select them (shift adds).")
        if counts[k] == 0:
            it.setForeground(grey)
        legend.addItem(it)
        widest = max(widest, fm.horizontalAdvance(name))
    legend.setFixedWidth(min(150, widest + 12 + 22))
