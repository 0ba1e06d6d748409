"""How far to trust the map: trustworthiness and continuity (k = 10, Venna & Kaski) of the 2-D map
against the layer, with the map's method and parameters stamped, a histogram of each point's
neighbours kept (of its 10 nearest in the layer, how many are among its 10 nearest in the map)
and one click to select the worst points everywhere. The numbers are
``core.measures.map_quality_of``, report.json's ``map_quality``."""

from __future__ import annotations

import re

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QPushButton

from ..widgets.colormaps import TAB10
from ..workspace.products_measures import MapQualityResult
from .base import Panel, shown_number
from .theme import style_plot

WORST_FRACTION = 0.05


class MapQualityPanel(Panel):
    empty_hint = "The map's quality appears with the map"

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.body_layout.addWidget(self.text)
        self.plot = pg.PlotWidget()
        item = self.plot.getPlotItem()
        style_plot(self.plot, [item], self)
        item.hideButtons()
        item.setMenuEnabled(False)
        item.setLabel("bottom", "neighbours kept (of 10)")
        item.setLabel("left", "points")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=QColor(TAB10[0]))
        item.addItem(self.bars)
        self.body_layout.addWidget(self.plot, 1)
        self.worst_button = QPushButton(f"Select the worst {WORST_FRACTION:.0%} of points")
        self.worst_button.clicked.connect(self._select_worst)
        self.body_layout.addWidget(self.worst_button)

    def _draw(self, r: MapQualityResult) -> None:
        q = r.quality
        counts = np.bincount(np.round(q.kept * q.k).astype(int), minlength=q.k + 1)
        self.bars.setOpts(x=np.arange(q.k + 1), height=counts, width=0.8)
        self.text.setText(f"{r.layer_name}: {q.text()}")
        self.worst_button.setEnabled(len(q.kept) > 0)

    def _clear_content(self) -> None:
        self.bars.setOpts(x=[], height=[])
        self.text.setText("")

    def _select_worst(self) -> None:
        r = self.result()
        if r is not None:
            self.request_rows(r.quality.worst(WORST_FRACTION), source="worst map points")

    def displayed(self) -> dict:
        if self.is_empty() or self.result() is None:
            return {}
        q = self.result().quality
        return {"text": self.text.text(), "trustworthiness": q.trustworthiness,
                "continuity": q.continuity}

    def report_numbers(self) -> dict:
        """Trustworthiness and continuity as the text shows them, under report.json's keys."""
        text = self.text.text() if not self.is_empty() else ""
        out = {}
        for name in ("trustworthiness", "continuity"):
            m = re.search(rf"{name} ([0-9.]+)", text)
            if m:
                out[f"map_quality.{name}"] = shown_number(m.group(1))
        return out
