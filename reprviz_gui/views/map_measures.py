"""The map's measure colourings (issue "Depth, trust and difference" §3, §4): *Colour by →
neighbours kept* (of each point's 10 nearest in the layer, the fraction among its 10 nearest in
the map: ``map_quality``'s ``kept``) and *Colour by → neighbourhood change* (the Jaccard overlap
of each sample's 10 nearest in model A's chosen layer and in B's: ``neighbourhood_change``).

Both are on-demand products of the map's ``ViewSpec``: computed only while a map is coloured by
them. The legend then lists five bands of the value; clicking a band selects its points, so the
points that lost their neighbours are one click away.
"""

from __future__ import annotations

import re
from typing import Any, Optional

import numpy as np
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QListWidgetItem

from ..widgets.colormaps import sequential_cmap
from ..workspace.products_measures import MapQualityResult, NeighbourhoodChangeResult
from .base import shown_number
from .map_overlays import swatch
from .theme import fmt_count

KEPT = "kept"
CHANGE = "change"
MEASURE_PRODUCT = {KEPT: "map_quality", CHANGE: "neighbourhood_change"}
WAITING_COLOUR = (180, 180, 180)
BANDS = 5  # legend bands of the value (0-20 %, ..., 80-100 %)


class MapMeasures:
    """Mixed into ``MapPanel`` before ``MapOverlays``: the two measure colourings."""

    def _init_measures(self) -> None:
        self.colour_combo.addItem("Neighbours kept", KEPT)
        self.colour_combo.setItemData(
            self.colour_combo.count() - 1,
            "Of each point's 10 nearest in the layer, how many are among its 10 nearest in the "
            "map (dark: the map tore its neighbourhood apart)", 3)  # Qt.ToolTipRole
        self.colour_combo.addItem("Neighbourhood change (A ↔ B)", CHANGE)
        self.colour_combo.setItemData(
            self.colour_combo.count() - 1,
            "While comparing: the overlap (Jaccard) of each sample's 10 nearest neighbours in "
            "A's layer and in B's (dark: its neighbours changed most)", 3)
        self._measures: dict[str, Any] = {}  # colouring -> its result, for the map shown
        self._enable_colouring(CHANGE, False)  # two models needed: see set_sessions

    def _enable_colouring(self, mode: str, on: bool) -> None:
        self.colour_combo.model().item(self.colour_combo.findData(mode)).setEnabled(on)

    def set_sessions(self, session_ids: tuple[str, ...]) -> None:
        """Neighbourhood change is offered only while two models are compared (alone it had
        nothing to show); a map coloured by it goes back to the true class."""
        comparing = len(session_ids) > 1
        self._enable_colouring(CHANGE, comparing)
        if not comparing and self._colour_by == CHANGE:
            index = self.colour_combo.findData(self.TRUE)
            self.colour_combo.setCurrentIndex(index)
            self._on_colour_activated(index)

    def measure_values(self) -> Optional[np.ndarray]:
        """(N,) the current measure colouring's value per row of the map, None if none yet."""
        r = self._measures.get(self._colour_by)
        if r is None or self._result is None:
            return None
        if isinstance(r, MapQualityResult):
            values, samples = r.quality.kept, r.samples
            if r.layer_name != self._result.layer_name or r.method != self._result.method:
                return None  # another layer's map, or the final map's over a PCA preview
        else:
            values, samples = r.change.jaccard, r.samples
        if samples.key != self._result.samples.key or len(values) != self._coords.shape[0]:
            return None  # made for other samples (or another layer's map): not these points
        return np.asarray(values, dtype=np.float64)

    def wanted_products(self) -> tuple[str, ...]:
        kind = MEASURE_PRODUCT.get(self._colour_by)
        return (kind,) if kind else ()

    def show_product(self, kind: str, session_id: str, result: Any) -> None:
        mode = {v: k for k, v in MEASURE_PRODUCT.items()}.get(kind)
        if mode is None:
            super().show_product(kind, session_id, result)
            return
        self._measures[mode] = result
        if mode == self._colour_by:
            self._recolour()

    def product_unavailable(self, kind: str, session_id: str, why: str) -> None:
        mode = {v: k for k, v in MEASURE_PRODUCT.items()}.get(kind)
        if mode is None:
            super().product_unavailable(kind, session_id, why)
            return
        if self._measures.pop(mode, None) is not None and mode == self._colour_by:
            self._recolour()

    def _measure_colors(self, rows: np.ndarray) -> np.ndarray:
        values = self.measure_values()
        if values is None:
            return np.tile(np.array([*WAITING_COLOUR, 255], dtype=np.uint8), (len(rows), 1))
        # viridis: dark (kept none, changed all) to yellow (kept all, unchanged)
        return sequential_cmap().map(np.clip(values[rows], 0, 1), mode="byte").astype(np.uint8)

    def _band_of(self, values: np.ndarray) -> np.ndarray:
        return np.minimum((values * BANDS).astype(np.int64), BANDS - 1)

    def _fill_measure_legend(self) -> None:
        values = self.measure_values()
        self.legend.clear()
        self.legend.setVisible(True)
        if values is None:
            self.legend.addItem(QListWidgetItem("computing…"))
            return
        what = "neighbours kept" if self._colour_by == KEPT else "neighbours shared"
        bands = self._band_of(values)
        cmap = sequential_cmap()
        for b in range(BANDS):
            lo, hi = b / BANDS, (b + 1) / BANDS
            rgba = cmap.map(np.array([(lo + hi) / 2]), mode="byte")[0]
            n = int((bands == b).sum())
            it = QListWidgetItem(swatch(QColor(*(int(v) for v in rgba[:3]))),
                                 f"{lo:.0%}–{hi:.0%} ({fmt_count(n)})")
            it.setData(0x0100, -1 - b)  # Qt.UserRole: a band, not a class
            it.setToolTip(f"{n:,} points with {lo:.0%}–{hi:.0%} of their 10 {what}. Click to "
                          "select them (shift adds).")
            self.legend.addItem(it)
        self.legend.setFixedWidth(120)

    def _band_rows(self, band: int) -> np.ndarray:
        values = self.measure_values()
        if values is None:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(self._band_of(values) == band)

    def measure_text(self) -> str:
        """The subtitle's addition: the mean of the colouring's value, as analyze reports it."""
        values = self.measure_values()
        if values is None or not len(values):
            return ""
        if self._colour_by == KEPT:
            return f"neighbours kept {float(values.mean()):.1%} on average"
        r = self._measures[CHANGE].change
        return (f"neighbourhood change {r.layer_a} (A) ↔ {r.layer_b} (B): mean Jaccard "
                f"{float(values.mean()):.3f}")

    def measure_numbers(self, subtitle: str) -> dict:
        """The colouring's mean as the subtitle shows it, under report.json's key."""
        m = re.search(r"neighbours kept ([0-9.]+%) on average", subtitle)
        if m:
            return {"map_quality.neighbours_kept_mean": shown_number(m.group(1))}
        m = re.search(r"mean Jaccard ([0-9.]+)", subtitle)
        if m:
            return {"model_difference.neighbourhood_change.mean_jaccard": shown_number(m.group(1))}
        return {}
