"""2-D map of one layer's representation (PCA / MDS / t-SNE / UMAP coordinates), one point per sample."""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QSignalBlocker, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QToolButton,
)
from superqt.utils import qthrottled

from reprviz_gui.panels.base import (
    Panel,
    fmt_count,
    make_subtitle,
    palette_colors,
    sample_lines,
    sample_thumbnail,
    scene_to_panel,
    style_plot,
    tick_font,
)
from reprviz_gui.state import ProjectionResult
from reprviz_gui.widgets.colormaps import MISCLASSIFIED_COLOR, class_colors

METHOD_NAMES = {"pca": "PCA", "mds": "MDS", "tsne": "t-SNE", "umap": "UMAP"}
POINT_SIZE = 6
HIT_RADIUS_PX = 8
MAX_WORD_LABELS = 400  # more text items than this turns the map into a grey smear


def _swatch(color: QColor, size: int = 12) -> QIcon:
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color)
    p.drawEllipse(1, 1, size - 2, size - 2)
    p.end()
    return QIcon(pix)


class MapPanel(Panel):
    """``show_result(ProjectionResult)``: scatter of the 2-D coordinates, coloured by class.

    Controls: "Colour by" (true / predicted class), "Mark misclassified" (red rings), "Reset view".
    Hovering a point shows its thumbnail (or word / text) with true and predicted labels.
    Clicking a point emits ``samples_picked([row])``; clicking a legend entry emits the rows of that
    class. ``colour_by_changed(str)`` ("true" / "predicted") follows user edits of the combo.
    """

    title = "Map"
    panel_id = "map"
    TRUE = "true"
    PREDICTED = "predicted"

    colour_by_changed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        bar = QHBoxLayout()
        bar.setSpacing(6)
        bar.addWidget(QLabel("Colour by"))
        self.colour_combo = QComboBox()
        self.colour_combo.addItem("True class", self.TRUE)
        self.colour_combo.addItem("Predicted class", self.PREDICTED)
        self.colour_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.colour_combo.activated.connect(self._on_colour_activated)
        bar.addWidget(self.colour_combo)
        self.errors_check = QCheckBox("Mark misclassified")
        self.errors_check.setChecked(True)
        self.errors_check.setToolTip("Ring the samples whose predicted class differs from the true class")
        self.errors_check.toggled.connect(self._on_errors_toggled)
        bar.addWidget(self.errors_check)
        bar.addStretch(1)
        self.reset_button = QToolButton(text="Reset view")
        self.reset_button.setToolTip("Zoom to show every point (scroll to zoom, drag to pan)")
        self.reset_button.clicked.connect(self.reset_view)
        bar.addWidget(self.reset_button)
        self.body_layout.addLayout(bar)

        self.subtitle = make_subtitle()
        self.body_layout.addWidget(self.subtitle)

        row = QHBoxLayout()
        row.setSpacing(4)
        self.view = pg.PlotWidget()
        self.plot: pg.PlotItem = self.view.getPlotItem()
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        for name in ("left", "bottom"):
            self.plot.getAxis(name).setTickFont(tick_font())
        self.scatter = pg.ScatterPlotItem(size=POINT_SIZE, pen=None, pxMode=True, antialias=True)
        self.plot.addItem(self.scatter)
        self.error_rings = pg.ScatterPlotItem(
            size=POINT_SIZE + 5, symbol="o", pxMode=True, antialias=True, brush=None,
            pen=pg.mkPen(QColor(*MISCLASSIFIED_COLOR), width=1.4))
        self.error_rings.setZValue(2)
        self.plot.addItem(self.error_rings)
        self.highlight_rings = pg.ScatterPlotItem(
            size=POINT_SIZE + 9, symbol="o", pxMode=True, antialias=True, brush=None,
            pen=pg.mkPen(20, 20, 20, 230, width=2.0))
        self.highlight_rings.setZValue(3)
        self.plot.addItem(self.highlight_rings)
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
        self.legend.setToolTip("Click a class to select its samples")
        self.legend.itemClicked.connect(self._on_legend_clicked)
        row.addWidget(self.legend)
        self.body_layout.addLayout(row, 1)
        style_plot(self.view, [self.plot], self)

        self._word_items: list[pg.TextItem] = []
        self._coords = np.zeros((0, 2), dtype=np.float32)
        self._order = np.zeros(0, dtype=np.int64)  # draw order (a fixed shuffle, so no class hides another)
        self._class_brushes = np.zeros(0, dtype=object)
        self._colour_by = self.TRUE

        self._hover_throttled = qthrottled(self._hover_scene_pos, timeout=25, parent=self)
        self.view.scene().sigMouseMoved.connect(lambda pos: self._hover_throttled(QPointF(pos)))
        self.view.scene().sigMouseClicked.connect(self._on_click)
        self.watch_leave(self.view.viewport())
        self.adopt_orphan_windows()

    # -- controls --------------------------------------------------------------------------------
    def colour_by(self) -> str:
        return self._colour_by

    def set_colour_by(self, mode: str) -> None:
        """Set the colouring from code (emits nothing)."""
        if mode not in (self.TRUE, self.PREDICTED):
            raise ValueError(f"unknown colouring {mode!r}")
        if mode == self.PREDICTED and not self._predicted_available():
            mode = self.TRUE
        self._set_combo(mode)
        if mode != self._colour_by:
            self._colour_by = mode
            self._recolour()

    def set_show_errors(self, show: bool) -> None:
        with QSignalBlocker(self.errors_check):
            self.errors_check.setChecked(bool(show))
        self.error_rings.setVisible(bool(show))

    def reset_view(self) -> None:
        """Show every point (and, on word maps, room for the labels right of the points)."""
        c = self._coords
        if not c.shape[0]:
            return
        finite = c[np.all(np.isfinite(c), axis=1)]
        if not finite.shape[0]:
            return
        (x0, y0), (x1, y1) = finite.min(axis=0).astype(float), finite.max(axis=0).astype(float)
        x0, y0, x1, y1 = float(x0), float(y0), float(x1), float(y1)
        w, h = max(x1 - x0, 1e-6), max(y1 - y0, 1e-6)
        right = 0.18 if self._word_items else 0.04
        self.plot.getViewBox().setRange(xRange=(x0 - 0.04 * w, x1 + right * w),
                                        yRange=(y0 - 0.05 * h, y1 + 0.05 * h), padding=0)

    def _predicted_available(self) -> bool:
        r = self._result
        return r is not None and r.samples.predictions is not None

    def _set_combo(self, mode: str) -> None:
        with QSignalBlocker(self.colour_combo):
            self.colour_combo.setCurrentIndex(0 if mode == self.TRUE else 1)

    def _on_colour_activated(self, index: int) -> None:
        mode = self.colour_combo.itemData(index)
        if mode == self._colour_by:
            return
        self._colour_by = mode
        self._recolour()
        self.colour_by_changed.emit(mode)

    def _on_errors_toggled(self, checked: bool) -> None:
        self.error_rings.setVisible(checked)

    # -- drawing ---------------------------------------------------------------------------------
    def _draw(self, result: ProjectionResult) -> None:
        coords = np.asarray(result.coords, dtype=np.float32)
        samples = result.samples
        if coords.ndim != 2 or coords.shape[0] == 0 or coords.shape[1] < 2:
            self.clear("Nothing to map for this layer")
            return
        n = coords.shape[0]
        self._coords = coords[:, :2]
        self._order = np.random.default_rng(0).permutation(n)
        n_classes = max(len(samples.class_names), int(np.max(samples.labels)) + 1 if n else 0)
        if samples.predictions is not None and n:
            n_classes = max(n_classes, int(np.max(samples.predictions)) + 1)
        colors = class_colors(n_classes)
        self._class_brushes = np.empty(n_classes, dtype=object)
        for k in range(n_classes):
            self._class_brushes[k] = QBrush(QColor(*(int(v) for v in colors[k][:3]), 225))

        has_pred = samples.predictions is not None
        item = self.colour_combo.model().item(1)
        item.setEnabled(has_pred)
        self.errors_check.setEnabled(has_pred)
        if self._colour_by == self.PREDICTED and not has_pred:
            self._colour_by = self.TRUE
        self._set_combo(self._colour_by)

        size = 7 if n <= 1_000 else 5 if n <= 5_000 else 4
        ring_alpha = 255 if n <= 2_000 else 150
        pos = self._coords[self._order]
        self.scatter.setData(pos=pos, data=self._order, brush=self._brushes_for_order(), size=size)
        self.error_rings.setSize(size + 5)
        self.error_rings.setPen(pg.mkPen(QColor(*MISCLASSIFIED_COLOR, ring_alpha), width=1.2))
        self.highlight_rings.setSize(size + 9)
        if has_pred:
            wrong = np.flatnonzero(np.asarray(samples.predictions) != np.asarray(samples.labels))
            self.error_rings.setData(pos=self._coords[wrong], data=wrong)
        else:
            self.error_rings.setData(pos=np.zeros((0, 2)))
        self.error_rings.setVisible(self.errors_check.isChecked())
        self._draw_words(samples)
        self._fill_legend()
        self._set_subtitle(result)
        self._apply_highlight()
        self.reset_view()

    def _brushes_for_order(self) -> list:
        r: ProjectionResult = self._result
        cls = r.samples.labels if self._colour_by == self.TRUE else r.samples.predictions
        return list(self._class_brushes[np.asarray(cls, dtype=np.int64)[self._order]])

    def _recolour(self) -> None:
        if self._result is None or not self._coords.shape[0]:
            return
        self.scatter.setBrush(self._brushes_for_order())
        self._fill_legend()

    def _draw_words(self, samples) -> None:
        for item in self._word_items:
            self.plot.removeItem(item)
        self._word_items = []
        if samples.words is None or len(samples.words) > MAX_WORD_LABELS:
            return
        _, fg = palette_colors(self)
        color = QColor(fg.red(), fg.green(), fg.blue(), 210)
        font = tick_font(-0.5)
        for i, word in enumerate(samples.words):
            t = pg.TextItem(" " + str(word), color=color, anchor=(0, 0.5))
            t.setFont(font)
            t.setPos(float(self._coords[i, 0]), float(self._coords[i, 1]))
            t.setZValue(1)
            self.plot.addItem(t)
            self._word_items.append(t)

    def _fill_legend(self) -> None:
        r: ProjectionResult = self._result
        s = r.samples
        cls = np.asarray(s.labels if self._colour_by == self.TRUE else s.predictions, dtype=np.int64)
        counts = np.bincount(cls, minlength=len(self._class_brushes))
        self.legend.clear()
        fm = self.legend.fontMetrics()
        widest = 0
        for k in range(len(self._class_brushes)):
            name = s.class_names[k] if k < len(s.class_names) else f"class {k}"
            if counts[k] == 0 and k >= len(s.class_names):
                continue
            it = QListWidgetItem(_swatch(self._class_brushes[k].color()), name)
            it.setData(Qt.ItemDataRole.UserRole, k)
            it.setToolTip(f"{name}: {fmt_count(counts[k])} samples "
                          f"({'true' if self._colour_by == self.TRUE else 'predicted'} class)")
            if counts[k] == 0:
                it.setForeground(self.palette().color(self.palette().ColorGroup.Disabled,
                                                      self.palette().ColorRole.Text))
            self.legend.addItem(it)
            widest = max(widest, fm.horizontalAdvance(name))
        self.legend.setFixedWidth(min(150, widest + 12 + 22))

    def _set_subtitle(self, r: ProjectionResult) -> None:
        method = METHOD_NAMES.get(r.method.lower(), r.method)
        parts = [f"<b>{r.layer_name}</b>", method]
        ev = None if r.explained_variance is None else np.asarray(r.explained_variance, dtype=float).ravel()
        bottom, left = "", ""
        if ev is not None and ev.size >= 2 and np.all(np.isfinite(ev[:2])) and ev[:2].sum() <= 1.0 + 1e-6:
            parts.append(f"2 components explain {100 * ev[:2].sum():.0f} % of variance")
            bottom, left = f"PC1 ({100 * ev[0]:.0f} %)", f"PC2 ({100 * ev[1]:.0f} %)"
        elif r.method.lower() == "pca":
            bottom, left = "PC1", "PC2"
        text = " \u00b7 ".join(parts) + f" \u00b7 {fmt_count(self._coords.shape[0])} samples"
        if r.preview:
            text += " <i>(preview)</i>"
        self.subtitle.setText(text)
        self.plot.setLabel("bottom", bottom) if bottom else self.plot.getAxis("bottom").showLabel(False)
        self.plot.setLabel("left", left) if left else self.plot.getAxis("left").showLabel(False)

    def _clear_content(self) -> None:
        self.scatter.clear()
        self.error_rings.clear()
        self.highlight_rings.clear()
        for item in self._word_items:
            self.plot.removeItem(item)
        self._word_items = []
        self.legend.clear()
        self.subtitle.clear()
        self._coords = np.zeros((0, 2), dtype=np.float32)
        self._order = np.zeros(0, dtype=np.int64)

    def _apply_highlight(self) -> None:
        n = self._coords.shape[0]
        if self._highlight is None or n == 0:
            self.highlight_rings.clear()
            return
        rows = self._highlight[(self._highlight >= 0) & (self._highlight < n)]
        self.highlight_rings.setData(pos=self._coords[rows], data=rows)

    def displayed(self) -> dict:
        r: Optional[ProjectionResult] = self._result
        if r is None or not self._coords.shape[0]:
            return {}
        d = self.scatter.data
        order = np.asarray(d["data"], dtype=np.int64)
        coords = np.empty((len(order), 2), dtype=np.float64)
        coords[order, 0] = d["x"]
        coords[order, 1] = d["y"]
        colors = np.empty((len(order), 4), dtype=np.uint8)
        colors[order] = np.array([QBrush(b).color().getRgb() for b in d["brush"]], dtype=np.uint8)
        rings = self.error_rings.data
        return {
            "coords": coords,
            "colors": colors,
            "colour_by": self._colour_by,
            "misclassified": np.sort(np.asarray(rings["data"], dtype=np.int64)) if len(rings) else
            np.zeros(0, dtype=np.int64),
            "misclassified_visible": self.error_rings.isVisible(),
            "words": [t.toPlainText().strip() for t in self._word_items],
            "legend": [self.legend.item(i).text() for i in range(self.legend.count())],
            "subtitle": self.subtitle.text(),
        }

    # -- mouse -----------------------------------------------------------------------------------
    def point_at(self, scene_pos: QPointF) -> Optional[int]:
        """Row of the point nearest to a scene position within a few pixels, else None."""
        if not self._coords.shape[0]:
            return None
        vb = self.plot.getViewBox()
        if not vb.sceneBoundingRect().contains(scene_pos):
            return None
        p = vb.mapSceneToView(scene_pos)
        pw, ph = vb.viewPixelSize()
        if pw <= 0 or ph <= 0:
            return None
        dx = (self._coords[:, 0] - p.x()) / pw
        dy = (self._coords[:, 1] - p.y()) / ph
        d2 = dx * dx + dy * dy
        i = int(np.nanargmin(d2)) if np.isfinite(d2).any() else -1
        if i < 0 or d2[i] > HIT_RADIUS_PX ** 2:
            return None
        return i

    def scene_pos_of(self, row: int) -> QPointF:
        """Scene position of a sample's point (tests and keyboard navigation)."""
        x, y = self._coords[row]
        return self.plot.getViewBox().mapViewToScene(QPointF(float(x), float(y)))

    def _hover_scene_pos(self, scene_pos: QPointF) -> None:
        row = self.point_at(scene_pos)
        if row is None:
            self.hide_hover()
            return
        s = self._result.samples
        self.show_hover(scene_to_panel(self, self.view, scene_pos), [sample_thumbnail(s, row)],
                        sample_lines(s, row))

    def _on_click(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton or ev.double():
            return
        row = self.point_at(ev.scenePos())
        if row is not None:
            self.samples_picked.emit(np.array([row], dtype=np.int64))

    def _on_legend_clicked(self, item: QListWidgetItem) -> None:
        if self._result is None:
            return
        k = int(item.data(Qt.ItemDataRole.UserRole))
        s = self._result.samples
        cls = s.labels if self._colour_by == self.TRUE else s.predictions
        self.samples_picked.emit(np.flatnonzero(np.asarray(cls) == k).astype(np.int64))

