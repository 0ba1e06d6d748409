"""Layer statistics: how many units the layer has, how many never fire on these samples (dead
units), how sparse it is, and each class's mean activation. Drawn from the "layer" product."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem

from ..workspace.results import LayerResult
from .base import Panel


class LayerStatsView(Panel):
    title = "Layer statistics"
    panel_id = "layer_stats"

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["", "value"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.body_layout.addWidget(self.table)

    def _draw(self, r: LayerResult) -> None:
        a = np.asarray(r.activations)
        active = a > 0
        rows = [("layer", r.layer_name), ("units", f"{a.shape[1]:,}"),
                ("dead units (never > 0)", f"{int((~active.any(axis=0)).sum()):,}"),
                ("zeros", f"{1 - active.mean():.1%}"), ("mean", f"{a.mean():.4g}")]
        for k, name in enumerate(r.samples.class_names):
            rows.append((f"mean · {name}", f"{a[r.samples.labels == k].mean():.4g}"
                         if (r.samples.labels == k).any() else "–"))
        self.table.setRowCount(len(rows))
        for i, (key, value) in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(key))
            self.table.setItem(i, 1, QTableWidgetItem(value))

    def displayed(self) -> dict:
        return {self.table.item(i, 0).text(): self.table.item(i, 1).text()
                for i in range(self.table.rowCount())} if not self.is_empty() else {}
