"""Samples x units activation heatmap of one layer, rows grouped by class."""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from superqt.utils import qthrottled

from ..core.analysis.colour_scales import activation_scale
from ..widgets.colormaps import diverging_cmap, sequential_cmap
from ..workspace.results import LayerResult
from .axes import SelectableBandAxis, band_separators, separator_lines
from .base import Panel
from .describe import layer_caption, sample_lines, sample_thumbnail
from .matrix_image import ScreenImage
from .theme import (fmt_count, make_subtitle, scene_to_panel, style_colorbar,
                    style_plot)


class HeatmapPanel(Panel):
    """``show_result(LayerResult)``: activations as an image, one row per sample, one column per unit.

    Rows follow the SampleSet order (grouped by class); the left axis names each class band.
    Levels come from the 1st/99th percentiles; drag the colour bar handles to change them.
    Selecting: click a row (shift adds); click a class name on the left axis for the whole class;
    drag along the left axis for a range of rows. Selected rows are marked by lines.
    """


    def __init__(self, parent=None):
        super().__init__(parent)
        self.subtitle = make_subtitle()
        self.body_layout.addWidget(self.subtitle)

        self.view = pg.GraphicsLayoutWidget()
        self.view.ci.setContentsMargins(2, 2, 2, 2)
        self.left_axis = SelectableBandAxis("left")
        self.left_axis.rows_picked.connect(self._on_axis_rows)
        self.plot: pg.PlotItem = self.view.addPlot(axisItems={"left": self.left_axis})
        self.plot.invertY(True)
        self.plot.setLabel("bottom", "unit")
        self.plot.getAxis("bottom").setTickFont(self.left_axis.style["tickFont"])
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        # drawn at screen resolution: 70,000 rows cost what 700 do
        self.screen = ScreenImage(self.image, self.plot.getViewBox())
        self.separators = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(255, 255, 255, 190, width=1))
        self.plot.addItem(self.separators)
        self.highlight_lines = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(255, 64, 160, 230, width=1))
        self.highlight_lines.setZValue(5)
        self.plot.addItem(self.highlight_lines)
        self.colorbar = pg.ColorBarItem(colorMap=sequential_cmap(), width=12, interactive=True)
        self.colorbar.setImageItem(self.image, insert_in=self.plot)
        self.body_layout.addWidget(self.view, 1)
        style_plot(self.view, [self.plot], self)
        style_colorbar(self.colorbar, self)

        self._hover_throttled = qthrottled(self._hover_scene_pos, timeout=25, parent=self)
        self.view.scene().sigMouseMoved.connect(lambda pos: self._hover_throttled(QPointF(pos)))
        self.view.scene().sigMouseClicked.connect(self._on_click)
        self.watch_leave(self.view.viewport())
        self._levels = (0.0, 1.0)

    # -- drawing ---------------------------------------------------------------------------------
    def _draw(self, result: LayerResult) -> None:
        act = np.asarray(result.activations)
        if act.ndim != 2 or act.shape[0] == 0 or act.shape[1] == 0:
            self.clear(f"Layer {result.layer_name} has no activations to show")
            return
        n, u = act.shape
        samples = result.samples
        # the same scale as analyze's heatmap.png: diverging around 0 for a signed layer
        scale = activation_scale(act)
        lo, hi = scale.lo, scale.hi
        self._levels = (lo, hi)
        self._diverging = scale.diverging
        self.colorbar.setColorMap(diverging_cmap() if scale.diverging else sequential_cmap())
        bands = samples.class_bands()
        self.left_axis.set_bands(bands)
        xs, ys = separator_lines(band_separators(bands), (0, u), horizontal=True)
        self.separators.setData(xs, ys)
        vb = self.plot.getViewBox()
        vb.setLimits(xMin=0, xMax=u, yMin=0, yMax=n, minXRange=min(u, 4), minYRange=min(n, 4))
        vb.setRange(xRange=(0, u), yRange=(0, n), padding=0)
        self.screen.set_matrix(act, (lo, hi))
        self.colorbar.rounding = (hi - lo) / 200.0
        self.colorbar.setLevels((lo, hi))
        self.subtitle.setText(
            f"{layer_caption(result)} \u00b7 {fmt_count(n)} samples \u00d7 {fmt_count(u)} units"
        )
        self.subtitle.setToolTip(
            f"{result.layer_name}: {fmt_count(n)} samples (rows, grouped by class) \u00d7 {fmt_count(u)} units"
            f" (columns).\nColour = activation; levels {lo:.3g} \u2013 {hi:.3g} (1st\u201399th percentile)."
            "\nDrag the colour bar handles to change them; scroll to zoom, drag to pan."
        )
        self._apply_highlight()

    def _clear_content(self) -> None:
        self.screen.clear()
        self.separators.setData([], [])
        self.highlight_lines.setData([], [])
        self.left_axis.set_bands(None)
        self.subtitle.clear()

    def _apply_highlight(self) -> None:
        r = self._result
        if r is None or self._highlight is None or self._highlight.size == 0:
            self.highlight_lines.setData([], [])
            return
        n, u = r.activations.shape
        rows = self._highlight[(self._highlight >= 0) & (self._highlight < n)]
        xs, ys = separator_lines(rows + 0.5, (0, u), horizontal=True)
        self.highlight_lines.setData(xs, ys)

    def displayed(self) -> dict:
        r: Optional[LayerResult] = self._result
        if r is None or self.screen.matrix is None:
            return {}
        return {
            "image": np.asarray(self.screen.matrix),  # what is shown, at screen resolution
            "rows": np.asarray(r.samples.labels),
            "row_indices": np.asarray(r.samples.indices),
            "levels": np.asarray(self.colorbar.levels(), dtype=float),
            "band_labels": self.left_axis.label_texts(),
            "diverging": bool(getattr(self, "_diverging", False)),
        }

    # -- mouse -----------------------------------------------------------------------------------
    def cell_at(self, scene_pos: QPointF) -> Optional[tuple[int, int]]:
        """(row, unit) under a scene position, or None outside the image."""
        r = self._result
        if r is None or not self.plot.vb.sceneBoundingRect().contains(scene_pos):
            return None
        p = self.plot.vb.mapSceneToView(scene_pos)
        row, col = int(np.floor(p.y())), int(np.floor(p.x()))
        n, u = r.activations.shape
        if 0 <= row < n and 0 <= col < u:
            return row, col
        return None

    def _hover_scene_pos(self, scene_pos: QPointF) -> None:
        hit = self.cell_at(scene_pos)
        if hit is None:
            self.hide_hover()
            return
        row, col = hit
        r: LayerResult = self._result
        value = float(r.activations[row, col])
        lines = sample_lines(r.samples, row, r.predictions)
        lines.append(f"unit {col}: {value:.4g}")
        self.show_hover(scene_to_panel(self, self.view, scene_pos),
                        [sample_thumbnail(r.samples, row)], lines)

    def _on_click(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton or ev.double():
            return
        hit = self.cell_at(ev.scenePos())
        if hit is not None:
            additive = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self.request_rows([hit[0]], additive, "heatmap row")

    def _on_axis_rows(self, start: float, stop: float, additive: bool) -> None:
        """A class band clicked, or a range of rows dragged, on the left axis."""
        r = self._result
        if r is None:
            return
        n = r.activations.shape[0]
        lo, hi = sorted((start, stop))
        if hi - lo < 1e-9:  # a click: the class band under it
            for a, b, name in r.samples.class_bands():
                if a <= lo < b:
                    self.request_rows(np.arange(a, b), additive, f"class {name}")
                    return
            return
        rows = np.arange(max(0, int(np.floor(lo))), min(n, int(np.ceil(hi))))
        self.request_rows(rows, additive, f"rows {rows[0]}–{rows[-1]}" if len(rows) else "")
