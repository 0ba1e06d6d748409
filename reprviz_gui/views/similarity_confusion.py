"""Similarity vs confusion: for every ordered pair of classes (true i, predicted j), how alike their
centroids are in the layer (cosine) against how often the model calls an i a j — one point each,
with Spearman's rho: do the confusions line up with the overlap? The numbers are
``core.measures.similarity_confusion_of``, report.json's ``similarity_vs_confusion``."""

from __future__ import annotations

import re

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel

from ..widgets.colormaps import TAB10
from ..workspace.products_measures import SimilarityConfusionResult
from .base import Panel, shown_number
from .theme import style_plot


class SimilarityConfusionPanel(Panel):
    empty_hint = "Train the model to see whether its confusions follow its classes' overlap"

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.body_layout.addWidget(self.caption)
        self.plot = pg.PlotWidget()
        item = self.plot.getPlotItem()
        style_plot(self.plot, [item], self)
        item.hideButtons()
        item.setMenuEnabled(False)
        item.setLabel("bottom", "cosine similarity of the class centroids")
        item.setLabel("left", "confusion rate (true → predicted)")
        item.showGrid(x=True, y=True, alpha=0.15)
        self.points = pg.ScatterPlotItem(size=8, brush=QColor(TAB10[0]), pen=None)
        item.addItem(self.points)
        self.body_layout.addWidget(self.plot, 1)

    def _draw(self, r: SimilarityConfusionResult) -> None:
        sc = r.result
        names = sc.class_names
        self.points.setData(sc.similarity, sc.confusion_rate,
                            data=[f"{names[i]} → {names[j]}" if names else f"{i} → {j}"
                                  for i, j in sc.pairs])
        rho = "–" if sc.rho is None else f"{sc.rho:+.3f}"
        worst = int(np.argmax(sc.confusion_rate)) if len(sc.pairs) else None
        top = (f"; most confused: {names[sc.pairs[worst][0]]} → {names[sc.pairs[worst][1]]} "
               f"({sc.confusion_rate[worst]:.1%})" if worst is not None and names else "")
        self.caption.setText(f"{r.layer_name}: Spearman's rho = {rho} over {len(sc.pairs)} "
                             f"class pairs{top}")

    def _clear_content(self) -> None:
        self.points.setData([], [])
        self.caption.setText("")

    def displayed(self) -> dict:
        if self.is_empty():
            return {}
        x, y = self.points.getData()
        return {"caption": self.caption.text(), "x": np.asarray(x), "y": np.asarray(y)}

    def report_numbers(self) -> dict:
        """Spearman's rho as the caption shows it, under report.json's key."""
        m = re.search(r"rho = ([+-][0-9.]+)", self.caption.text()) if not self.is_empty() \
            else None
        return {"similarity_vs_confusion.rho": shown_number(m.group(1))} if m else {}
