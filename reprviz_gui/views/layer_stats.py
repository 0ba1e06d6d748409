"""Layer statistics: how many units the layer has, how many are dead on these samples (exactly 0
on every sample, for ReLU outputs and raw projections alike), how sparse it is, and each class's
mean activation. Drawn from the "layer" product; the numbers are ``metrics.layer_statistics``,
which ``analyze`` writes to report.json too."""

from __future__ import annotations

from PySide6.QtWidgets import QTableWidget, QTableWidgetItem

from ..core.analysis.metrics import layer_statistics
from ..workspace.results import LayerResult
from .base import Panel, shown_number


DEAD = "dead units (always 0)"
ZEROS = "zeros (= 0)"
POSITIVE = "positive (> 0)"


class LayerStatsView(Panel):

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["", "value"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.body_layout.addWidget(self.table)

    def _draw(self, r: LayerResult) -> None:
        # the same function analyze's report.json "layer" comes from (a parity test checks)
        st = layer_statistics(r.activations, r.samples.labels, r.samples.class_names)
        rows = [("layer", r.layer_name), ("units", f"{st['units']:,}"),
                (DEAD, f"{st['dead_units']:,}"),
                (ZEROS, "–" if st["fraction_zero"] is None else f"{st['fraction_zero']:.1%}"),
                (POSITIVE, "–" if st["fraction_positive"] is None
                 else f"{st['fraction_positive']:.1%}"),
                ("mean", "–" if st["mean"] is None else f"{st['mean']:.4g}")]
        for name, mean in st["class_means"].items():
            rows.append((f"mean · {name}", "–" if mean is None else f"{mean:.4g}"))
        self.table.setRowCount(len(rows))
        for i, (key, value) in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(key))
            self.table.setItem(i, 1, QTableWidgetItem(value))

    def displayed(self) -> dict:
        return {self.table.item(i, 0).text(): self.table.item(i, 1).text()
                for i in range(self.table.rowCount())} if not self.is_empty() else {}

    def report_numbers(self) -> dict:
        """The shown numbers, read back from the table, under their report.json keys."""
        shown = self.displayed()
        if not shown:
            return {}
        out = {"layer.name": shown["layer"], "layer.width": int(shown["units"].replace(",", "")),
               "layer.dead_units": int(shown[DEAD].replace(",", "")),
               "layer.fraction_zero": shown_number(shown[ZEROS]),
               "layer.fraction_positive": shown_number(shown[POSITIVE]),
               "layer.mean": shown_number(shown["mean"])}
        for key, value in shown.items():
            if key.startswith("mean · "):
                out[f"layer.class_means.{key[len('mean · '):]}"] = shown_number(value)
        return out
