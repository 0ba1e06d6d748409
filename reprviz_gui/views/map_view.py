"""2-D map of one layer's representation (PCA / MDS / t-SNE / UMAP), one point per sample."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QSignalBlocker, QSize, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QButtonGroup, QCheckBox, QComboBox, QFrame,
                               QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QToolButton)
from superqt.utils import qthrottled

from ..widgets.flow_layout import FlowLayout
from ..widgets.colormaps import class_colors
from ..workspace.results import ProjectionResult
from .base import Panel, shown_number
from .options import ViewOptions, bind_value
from .describe import sample_lines, sample_thumbnail
from .map_look import fill_class_legend, map_caption, point_style
from .map_measures import CHANGE, KEPT, MapMeasures
from .map_overlays import MapOverlays
from .map_tools import BOX, LASSO, PAN, PointIndex, SelectViewBox, points_in
from .point_cloud import PointCloud
from .theme import make_subtitle, scene_to_panel, style_plot, tick_font

HIT_RADIUS_PX = 8
NO_COLOUR = (110, 110, 110)  # "colour by: none" (word tables, as the practical draws them)
ERRORS_ON_UP_TO = 2_000  # misclassified marks are on by default only up to this many points


@dataclass
class MapOptions(ViewOptions):
    colour_by: str = "true"  # true, predicted, none, kept or change (see MapPanel)
    show_errors: Optional[bool] = None  # "Mark misclassified" as chosen; None: by point count


class MapPanel(MapMeasures, MapOverlays, Panel):
    """``show_result(ProjectionResult)``: scatter of the 2-D coordinates, coloured by class.

    Controls: colour by true / predicted class, mark misclassified samples (a black cross with a
    white edge, which no class colour can be mistaken for), the drag tool (pan, box, lasso) and
    "Reset view". Hovering a point shows its thumbnail (or word / text) with its labels.
    Selecting: click a point, drag a box or lasso, or click a class in the legend; shift adds.
    The selection is drawn on top with a dark edge while the other points fade. Word tables
    start without class colours ("none") and can show each pair's offset as an arrow.
    """

    TRUE = "true"
    PREDICTED = "predicted"
    NONE = "none"
    MODES = (TRUE, PREDICTED, NONE, KEPT, CHANGE)

    colour_by_changed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        bar = FlowLayout(spacing=6)  # wraps in a narrow dock instead of widening it
        bar.addWidget(QLabel("Colour by"))
        self.colour_combo = QComboBox()
        self.colour_combo.addItem("True class", self.TRUE)
        self.colour_combo.addItem("Predicted class", self.PREDICTED)
        self._init_measures()  # neighbours kept, neighbourhood change (map_measures.py)
        self.colour_combo.addItem("None", self.NONE)  # last, where End finds it
        self.colour_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.colour_combo.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.colour_combo.activated.connect(self._on_colour_activated)
        bar.addWidget(self.colour_combo)
        self.errors_check = QCheckBox("Mark misclassified")
        self.errors_check.setToolTip("Cross out the samples whose predicted class differs from "
                                     "the true class")
        self.errors_check.toggled.connect(self._on_errors_toggled)
        self._errors_chosen: Optional[bool] = None  # None: follow the point count
        bar.addWidget(self.errors_check)
        bar.addStretch(1)
        self.tool_buttons: dict[str, QToolButton] = {}
        self._tools = QButtonGroup(self)
        for mode, text, tip in ((PAN, "Pan", "Drag to pan, scroll to zoom"),
                                (BOX, "Box", "Drag a box to select the points in it"),
                                (LASSO, "Lasso", "Draw around points to select them")):
            b = QToolButton(text=text)
            b.setCheckable(True)
            b.setToolTip(tip + " (shift adds to the selection)")
            self._tools.addButton(b)
            self.tool_buttons[mode] = b
            b.clicked.connect(lambda _=False, m=mode: self.set_tool(m))
            bar.addWidget(b)
        self.tool_buttons[PAN].setChecked(True)
        self.reset_button = QToolButton(text="Reset view")
        self.reset_button.setToolTip("Zoom to show every point")
        self.reset_button.clicked.connect(self.reset_view)
        bar.addWidget(self.reset_button)
        self.body_layout.addLayout(bar)

        self.subtitle = make_subtitle()
        self.body_layout.addWidget(self.subtitle)

        row = QHBoxLayout()
        row.setSpacing(4)
        self.viewbox = SelectViewBox()
        self.viewbox.region_selected.connect(self._on_region)
        self.view = pg.PlotWidget(viewBox=self.viewbox)
        self.plot: pg.PlotItem = self.view.getPlotItem()
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        for name in ("left", "bottom"):
            self.plot.getAxis(name).setTickFont(tick_font())
            self.plot.getAxis(name).enableAutoSIPrefix(False)  # no "(x0.001)" after a label
        # points drawn at screen resolution (point_cloud.py): 70,000 repaint in milliseconds
        self.scatter = PointCloud("o")
        self.plot.addItem(self.scatter)
        self.selected = PointCloud("o", edge=(20, 20, 20, 255), edge_width=1.2)
        self.selected.setZValue(2)
        self.plot.addItem(self.selected)
        self.error_marks = PointCloud("x", edge=(255, 255, 255, 255), edge_width=0.8,
                                      fill=(0, 0, 0, 255))
        self.error_marks.setZValue(1.5)  # under the selection, which must read first
        self.plot.addItem(self.error_marks)
        row.addWidget(self.view, 1)

        self.legend = QListWidget()
        self.legend.setObjectName("mapLegend")
        self.legend.setFrameShape(QFrame.Shape.NoFrame)
        self.legend.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.legend.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.legend.setIconSize(QSize(12, 12))
        self.legend.setFont(tick_font())
        self.legend.setSpacing(0)
        self.legend.setStyleSheet("#mapLegend { background: transparent; }")
        self.legend.setToolTip("Click a class to select its samples (shift adds)")
        self.legend.itemClicked.connect(self._on_legend_clicked)
        row.addWidget(self.legend)
        self.body_layout.addLayout(row, 1)
        style_plot(self.view, [self.plot], self)

        self._init_overlays(bar)
        self._coords = np.zeros((0, 2), dtype=np.float32)
        self._index = PointIndex(self._coords)  # nearest point under the mouse
        self._order = np.zeros(0, dtype=np.int64)  # a fixed shuffle, so no class hides another
        self._class_colors = np.zeros((0, 4), dtype=np.uint8)
        self._colour_by = self.TRUE
        self._alpha = 230
        # what the scatter's colours are: "plain", "faded" (a selection shown) or None (unknown,
        # recoloured): a new selection over a faded map keeps its colours (1,000,000 points:
        # 40 ms of colours and palette at every box or lasso otherwise)
        self._scatter_shows: Optional[str] = None

        self._hover_throttled = qthrottled(self._hover_scene_pos, timeout=25, parent=self)
        self.view.scene().sigMouseMoved.connect(lambda pos: self._hover_throttled(QPointF(pos)))
        self.view.scene().sigMouseClicked.connect(self._on_click)
        self.watch_leave(self.view.viewport())
        self.options = MapOptions()
        bind_value(self.options, "colour_by", self.colour_by_changed, self._restore_colour)
        bind_value(self.options, "show_errors", self.errors_check.toggled, self._restore_errors)

    def _restore_colour(self, mode: str) -> None:
        if mode in self.MODES:  # an old session's odd value: kept
            self.set_colour_by(mode)

    def _restore_errors(self, show: Optional[bool]) -> None:
        if show is not None:  # None: follow the point count (nobody chose)
            self.set_show_errors(show)

    # -- controls --------------------------------------------------------------------------------
    def colour_by(self) -> str:
        return self._colour_by

    def set_colour_by(self, mode: str) -> None:
        """Set the colouring from code (emits nothing)."""
        if mode not in self.MODES:
            raise ValueError(f"unknown colouring {mode!r}")
        if mode == self.PREDICTED and self._predictions() is None:
            mode = self.TRUE
        self._set_combo(mode)
        if mode != self._colour_by:
            self._colour_by = mode
            self._recolour()
            self.wanted_changed.emit()

    def set_show_errors(self, show: bool) -> None:
        with QSignalBlocker(self.errors_check):
            self.errors_check.setChecked(bool(show))
        self._errors_chosen = bool(show)
        self.error_marks.setVisible(bool(show))

    def set_tool(self, mode: str) -> None:
        self.viewbox.set_mode(mode)
        self.tool_buttons[mode].setChecked(True)

    def reset_view(self) -> None:
        """Show every point (and, on word maps, room for the labels right of the points)."""
        c = self._coords
        finite = c[np.all(np.isfinite(c), axis=1)] if c.shape[0] else c
        if not finite.shape[0]:
            return
        (x0, y0), (x1, y1) = finite.min(axis=0).astype(float), finite.max(axis=0).astype(float)
        w, h = max(float(x1 - x0), 1e-6), max(float(y1 - y0), 1e-6)
        right = 0.18 if self.word_labels.items else 0.04
        self.viewbox.setRange(xRange=(x0 - 0.04 * w, x1 + right * w),
                              yRange=(y0 - 0.05 * h, y1 + 0.05 * h), padding=0)

    def _predictions(self) -> Optional[np.ndarray]:
        r = self._result
        return None if r is None or r.predictions is None else np.asarray(r.predictions)

    def _set_combo(self, mode: str) -> None:
        with QSignalBlocker(self.colour_combo):
            self.colour_combo.setCurrentIndex(self.colour_combo.findData(mode))

    def _on_colour_activated(self, index: int) -> None:
        mode = self.colour_combo.itemData(index)
        if mode == self._colour_by:
            return
        self._colour_by = mode
        self._recolour()
        self.wanted_changed.emit()  # a measure colouring asks for its product
        self.colour_by_changed.emit(mode)

    def _on_errors_toggled(self, checked: bool) -> None:
        self._errors_chosen = checked
        self.error_marks.setVisible(checked)

    # -- drawing ---------------------------------------------------------------------------------
    def _draw(self, result: ProjectionResult) -> None:
        coords = np.asarray(result.coords, dtype=np.float32)
        samples = result.samples
        if coords.ndim != 2 or coords.shape[0] == 0 or coords.shape[1] < 2:
            self.clear("Nothing to map for this layer")
            return
        n = coords.shape[0]
        self._coords = coords[:, :2]
        self._index = PointIndex(self._coords)
        self._order = np.random.default_rng(0).permutation(n)
        preds = self._predictions()
        n_classes = max(len(samples.class_names), int(np.max(samples.labels)) + 1)
        if preds is not None:
            n_classes = max(n_classes, int(np.max(preds)) + 1)
        self._class_colors = class_colors(n_classes)  # fixed by class index: same in every map

        has_pred = preds is not None
        self.colour_combo.model().item(1).setEnabled(has_pred)
        self.errors_check.setEnabled(has_pred)
        self.errors_check.setVisible(has_pred or samples.words is None)  # no model for words
        if self._colour_by == self.PREDICTED and not has_pred:
            self._colour_by = self.TRUE
        self._set_combo(self._colour_by)
        show_errors = self._errors_chosen if self._errors_chosen is not None \
            else n <= ERRORS_ON_UP_TO
        with QSignalBlocker(self.errors_check):
            self.errors_check.setChecked(show_errors)

        size, self._alpha = point_style(n)
        self.scatter.set_size(size)
        self.scatter.set_data(self._coords[self._order], self._colors(self._order), self._order)
        self._scatter_shows = "plain"
        self.selected.set_size(size + 2)
        self.error_marks.set_size(size + 1)  # a cross the size of its point, not a blot
        if has_pred:
            wrong = np.flatnonzero(preds != np.asarray(samples.labels))
            self.error_marks.set_data(self._coords[wrong], rows=wrong)
        else:
            self.error_marks.clear()
        self.error_marks.setVisible(has_pred and show_errors)
        self.word_labels.draw(samples.words, self._coords, self)
        self._draw_arrows()
        self._fill_legend()
        self._set_subtitle(result)
        self._apply_highlight()
        self.reset_view()

    def _classes(self) -> np.ndarray:
        s = self._result.samples
        cls = self._predictions() if self._colour_by == self.PREDICTED else s.labels
        return np.asarray(cls, dtype=np.int64)

    def _colors(self, rows: np.ndarray, alpha: Optional[int] = None) -> np.ndarray:
        """(len(rows), 4) RGBA of those rows' points in the current colouring."""
        if self._colour_by in (KEPT, CHANGE):
            cols = self._measure_colors(rows)
        elif self._colour_by == self.NONE:
            cols = np.tile(np.array([*NO_COLOUR, 255], dtype=np.uint8), (len(rows), 1))
        else:
            cols = self._class_colors[self._classes()[rows]].astype(np.uint8)
        cols[:, 3] = self._alpha if alpha is None else alpha
        return cols

    def _recolour(self) -> None:
        if self._result is None or not self._coords.shape[0]:
            return
        self._scatter_shows = None
        self._apply_highlight()
        self._fill_legend()
        self._set_subtitle(self._result)

    def _apply_highlight(self) -> None:
        if self._result is None or not self._coords.shape[0]:
            self.selected.clear()
            return
        rows = self._highlight
        n = self._coords.shape[0]
        if rows is not None:
            rows = rows[(rows >= 0) & (rows < n)]
        if rows is None or not len(rows):
            self.selected.clear()
            if self._scatter_shows != "plain":
                self.scatter.set_colors(self._colors(self._order))
                self._scatter_shows = "plain"
            self.error_marks.setOpacity(1.0)
            return
        # the rest fades, crosses included, so the selection reads at a glance in a dense map
        if self._scatter_shows != "faded":
            self.scatter.set_colors(self._colors(self._order, alpha=max(35, self._alpha // 4)))
            self._scatter_shows = "faded"
        self.error_marks.setOpacity(0.25)
        self.selected.set_data(self._coords[rows], self._colors(rows, alpha=255), rows)

    def _fill_legend(self) -> None:
        if self._colour_by in (KEPT, CHANGE):
            self._fill_measure_legend()
            return
        counts = np.bincount(self._classes(), minlength=len(self._class_colors))
        self.legend.setVisible(self._colour_by != self.NONE)
        fill_class_legend(self.legend, self._result.samples.class_names, self._class_colors,
                          counts, "true" if self._colour_by == self.TRUE else "predicted")

    def _set_subtitle(self, r: ProjectionResult) -> None:
        cap = map_caption(r, self._coords.shape[0])
        text = cap.text
        if self._colour_by in (KEPT, CHANGE) and self.measure_text():
            text += f"<br>{self.measure_text()}"
        self.subtitle.setText(text)
        for side, label in (("bottom", cap.bottom), ("left", cap.left)):
            if label:
                self.plot.setLabel(side, label)
            else:
                self.plot.getAxis(side).showLabel(False)

    def _clear_content(self) -> None:
        for item in (self.scatter, self.selected, self.error_marks):
            item.clear()
        self.word_labels.clear()
        self.arrows.clear()
        self.legend.clear()
        self.subtitle.clear()
        self._coords = np.zeros((0, 2), dtype=np.float32)
        self._index = PointIndex(self._coords)
        self._order = np.zeros(0, dtype=np.int64)
        self._scatter_shows = None

    def displayed(self) -> dict:
        r: Optional[ProjectionResult] = self._result
        if r is None or not self._coords.shape[0]:
            return {}
        order = self.scatter.rows()  # what is drawn, in draw order, back in row order
        coords = np.empty((len(order), 2), dtype=np.float64)
        coords[order] = self.scatter.coords()
        colors = np.empty((len(order), 4), dtype=np.uint8)
        colors[order] = self.scatter.colors()
        return {
            "coords": coords,
            "colors": colors,
            "colour_by": self._colour_by,
            "misclassified": np.sort(self.error_marks.rows()),
            "misclassified_visible": self.error_marks.isVisible(),
            "selected": np.sort(self.selected.rows()),
            "sample_indices": np.asarray(r.samples.indices),
            "point_size": float(self.scatter.opts["size"]) if len(order) else 0.0,
            "words": self.word_labels.texts(),
            "arrows": self.arrows.segments(),
            "arrows_visible": self.arrows.visible() and len(self.arrows.segments()) > 0,
            "legend": [self.legend.item(i).text() for i in range(self.legend.count())],
            "subtitle": self.subtitle.text(),
            "preview": r.preview,
        }

    def report_numbers(self) -> dict:
        """The method and, for PCA, the variance its 2 components explain, as the subtitle
        shows them, under report.json's keys."""
        r: Optional[ProjectionResult] = self._result
        if r is None or not self._coords.shape[0]:
            return {}
        text = self.subtitle.text()
        out: dict = {"projection.method": r.method}
        found = re.search(r"2 components explain ([0-9.]+ %)", text)
        if found:
            out["projection.explained_variance_2d"] = shown_number(found.group(1))
        found = re.search(r"(\d+) PCA components explain ([0-9.]+ %)", text)
        if found:
            out["projection.pca_explained_variance"] = shown_number(found.group(2))
        out.update(self.measure_numbers(text))  # with a measure colouring, its mean
        return out

    # -- mouse -----------------------------------------------------------------------------------
    def point_at(self, scene_pos: QPointF) -> Optional[int]:
        """Row of the point nearest to a scene position within a few pixels, else None."""
        if not self._coords.shape[0]:
            return None
        vb = self.viewbox
        if not vb.sceneBoundingRect().contains(scene_pos):
            return None
        p = vb.mapSceneToView(scene_pos)
        pw, ph = vb.viewPixelSize()
        if pw <= 0 or ph <= 0:
            return None
        return self._index.nearest(p.x(), p.y(), pw, ph, HIT_RADIUS_PX)

    def scene_pos_of(self, row: int) -> QPointF:
        """Scene position of a sample's point (tests and keyboard navigation)."""
        x, y = self._coords[row]
        return self.viewbox.mapViewToScene(QPointF(float(x), float(y)))

    def _hover_scene_pos(self, scene_pos: QPointF) -> None:
        row = self.point_at(scene_pos)
        if row is None:
            self.hide_hover()
            return
        r = self._result
        self.show_hover(scene_to_panel(self, self.view, scene_pos),
                        [sample_thumbnail(r.samples, row)],
                        sample_lines(r.samples, row, self._predictions()))

    def _on_click(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton or ev.double():
            return
        row = self.point_at(ev.scenePos())
        if row is not None:
            additive = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self.request_rows([row], additive, "map point")

    def _on_region(self, polygon: np.ndarray, additive: bool) -> None:
        if self._result is None:
            return
        shape = "box" if self.viewbox.mode == BOX else "lasso"
        self.request_rows(points_in(polygon, self._coords), additive, f"map {shape}")

    def _on_legend_clicked(self, item: QListWidgetItem) -> None:
        if self._result is None:
            return
        from PySide6.QtWidgets import QApplication

        k = item.data(Qt.ItemDataRole.UserRole)
        additive = bool(QApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier)
        if k is None or int(k) < 0:  # a band of a measure colouring
            if k is not None:
                self.request_rows(self._band_rows(-1 - int(k)), additive, item.text())
            return
        k = int(k)
        which = "true" if self._colour_by == self.TRUE else "predicted"
        self.request_rows(np.flatnonzero(self._classes() == k), additive,
                          f"{which} class {item.text()}")
