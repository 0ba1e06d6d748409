"""Cosine similarity between samples (or between class centroids) of one layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QColor, QFontMetricsF
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QToolButton
from superqt.utils import qthrottled

from ..widgets.colormaps import diverging_cmap
from ..workspace.results import LayerResult
from .axes import SelectableBandAxis, band_separators, separator_lines
from .base import Panel
from .options import ViewOptions, bind_value
from .describe import class_name, layer_caption, sample_thumbnail, sample_title
from ..core.data.samples import class_bands
from .matrix_image import ScreenImage
from .theme import fmt_count, make_subtitle, scene_to_panel, style_colorbar, style_plot, tick_font

MAX_CLASSES_WITH_VALUES = 12


def _fmt_cos(v: float) -> str:
    """Compact cell text: '.85', '\u2212.12', '1'."""
    if not np.isfinite(v):
        return ""
    if abs(v) >= 0.995:
        return "1" if v > 0 else "\u22121"
    s = f"{abs(v):.2f}".lstrip("0")
    return ("\u2212" if v < 0 and s != ".00" else "") + s


@dataclass
class CosineOptions(ViewOptions):
    mode: str = "samples"  # samples × samples, or "centroids": class means


class CosinePanel(Panel):
    """``show_result(LayerResult)``: the samples x samples cosine matrix (class-ordered) or, via the
    "Samples | Class centroids" toggle, the classes x classes matrix of centroid cosines.

    Colours use a diverging map fixed to [-1, 1]. ``view_changed(str)`` ("samples" / "centroids")
    is emitted when the user flips the toggle, never when code sets it. Selecting: click a cell
    (its two samples, or its two classes), or a class name on either axis; shift adds. The
    selected samples' rows and columns are marked. A matrix too big for memory comes sampled
    (``LayerResult.cosine_rows``): it is drawn with its own rows and the note says so. The
    matrix is drawn at screen resolution (``ScreenImage``): 8,000² redraws in milliseconds.
    """

    SAMPLES = "samples"
    CENTROIDS = "centroids"

    view_changed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        bar = QHBoxLayout()
        bar.setSpacing(0)
        self.samples_button = QToolButton(text="Samples")
        self.centroids_button = QToolButton(text="Class centroids")
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        for i, b in enumerate((self.samples_button, self.centroids_button)):
            b.setCheckable(True)
            b.setAutoRaise(False)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            b.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            self._group.addButton(b, i)
            bar.addWidget(b)
        self.samples_button.setToolTip("Cosine similarity between every pair of samples, grouped by class")
        self.centroids_button.setToolTip("Cosine similarity between the class means (centroids)")
        self.samples_button.setChecked(True)
        self._group.idClicked.connect(self._on_toggle)
        bar.addSpacing(10)
        self.subtitle = make_subtitle()
        bar.addWidget(self.subtitle, 1)
        self.body_layout.addLayout(bar)
        self.note_label = QLabel()
        self.note_label.setObjectName("panelNote")
        self.note_label.setWordWrap(True)
        self.note_label.setStyleSheet("#panelNote { color: #b05000; }")
        self.note_label.hide()
        self.body_layout.addWidget(self.note_label)

        self.view = pg.GraphicsLayoutWidget()
        self.view.ci.setContentsMargins(2, 2, 2, 2)
        self.left_axis = SelectableBandAxis("left")
        self.bottom_axis = SelectableBandAxis("bottom", max_label_px=90)
        self.left_axis.rows_picked.connect(self._on_axis_pick)
        self.bottom_axis.rows_picked.connect(self._on_axis_pick)
        self.plot: pg.PlotItem = self.view.addPlot(
            axisItems={"left": self.left_axis, "bottom": self.bottom_axis})
        self.plot.invertY(True)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.screen = ScreenImage(self.image, self.plot.getViewBox())
        self._mat: Optional[np.ndarray] = None  # the matrix shown (complete, not the pixels)
        self._rows: Optional[np.ndarray] = None  # sample-set row of each matrix row (sampled)
        self._band_classes: list[int] = []
        self.separators = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(40, 40, 40, 150, width=1))
        self.plot.addItem(self.separators)
        self.highlight_lines = pg.PlotCurveItem(connect="pairs",
                                                pen=pg.mkPen(255, 64, 160, 170, width=1))
        self.highlight_lines.setZValue(5)
        self.plot.addItem(self.highlight_lines)
        self.colorbar = pg.ColorBarItem(values=(-1.0, 1.0), colorMap=diverging_cmap(), width=12,
                                        interactive=False, colorMapMenu=False)
        self.colorbar.setImageItem(self.image, insert_in=self.plot)
        self.body_layout.addWidget(self.view, 1)
        style_plot(self.view, [self.plot], self)
        style_colorbar(self.colorbar, self)

        self._value_items: list[pg.TextItem] = []
        self._value_font = tick_font(-1.0)
        self._mode = self.SAMPLES
        self.plot.getViewBox().sigRangeChanged.connect(self._update_value_visibility)
        self.plot.getViewBox().sigResized.connect(self._update_value_visibility)
        self.options = CosineOptions()
        bind_value(self.options, "mode", self.view_changed, self._restore_mode)

        self._hover_throttled = qthrottled(self._hover_scene_pos, timeout=25, parent=self)
        self.view.scene().sigMouseMoved.connect(lambda pos: self._hover_throttled(QPointF(pos)))
        self.view.scene().sigMouseClicked.connect(self._on_click)
        self.watch_leave(self.view.viewport())

    # -- toggle ----------------------------------------------------------------------------------
    def mode(self) -> str:
        return self._mode

    def set_mode(self, mode: str) -> None:
        """Switch view from code (emits nothing)."""
        if mode not in (self.SAMPLES, self.CENTROIDS):
            raise ValueError(f"unknown view {mode!r}")
        if mode == self.SAMPLES and not self.samples_button.isEnabled():
            mode = self.CENTROIDS
        with QSignalBlocker(self._group), QSignalBlocker(self.samples_button), \
                QSignalBlocker(self.centroids_button):
            (self.samples_button if mode == self.SAMPLES else self.centroids_button).setChecked(True)
        self._mode = mode
        if self._result is not None:
            self._render()

    def _restore_mode(self, mode: str) -> None:
        if mode in (self.SAMPLES, self.CENTROIDS) and mode != self._mode:
            self.set_mode(mode)

    def _on_toggle(self, button_id: int) -> None:
        mode = self.SAMPLES if button_id == 0 else self.CENTROIDS
        if mode == self._mode:
            return
        self._mode = mode
        if self._result is not None:
            self._render()
        self.view_changed.emit(mode)

    # -- drawing ---------------------------------------------------------------------------------
    def _draw(self, result: LayerResult) -> None:
        has_samples = result.cosine is not None
        has_centroids = result.centroid_cosine is not None
        if not has_samples and not has_centroids:
            self.clear(result.note or f"No similarity matrix for layer {result.layer_name}")
            return
        self.samples_button.setEnabled(has_samples)
        self.centroids_button.setEnabled(has_centroids)
        self.samples_button.setToolTip(
            "Cosine similarity between every pair of samples, grouped by class" if has_samples
            else (result.note or "No sample matrix for this layer"))
        mode = self._mode
        if mode == self.SAMPLES and not has_samples:
            mode = self.CENTROIDS
        elif mode == self.CENTROIDS and not has_centroids:
            mode = self.SAMPLES
        with QSignalBlocker(self._group), QSignalBlocker(self.samples_button), \
                QSignalBlocker(self.centroids_button):
            (self.samples_button if mode == self.SAMPLES else self.centroids_button).setChecked(True)
        self._mode = mode
        self._render()

    def _render(self) -> None:
        r: LayerResult = self._result
        samples = r.samples
        self._clear_values()
        if self._mode == self.SAMPLES:
            mat = np.asarray(r.cosine)
            self._rows = None if r.cosine_rows is None else np.asarray(r.cosine_rows)
            labels = samples.labels if self._rows is None else samples.labels[self._rows]
            bands = class_bands(labels, samples.class_names)
            self._band_classes = [int(labels[a]) for a, _, _ in bands]
            head = f"{layer_caption(r)} \u00b7 {fmt_count(mat.shape[0])} samples"
            if self._rows is not None:
                head += f" of {fmt_count(samples.n)}"
        else:
            mat = np.asarray(r.centroid_cosine)
            self._rows = None
            bands = [(i, i + 1, class_name(samples, i)) for i in range(mat.shape[0])]
            self._band_classes = list(range(mat.shape[0]))
            head = f"{layer_caption(r)} \u00b7 class means"
        self.subtitle.setText(head)
        if r.cosine is None:
            note = r.note or "No sample-by-sample matrix for this layer."
        else:  # a sampled matrix says so while it is shown
            note = r.note if self._mode == self.SAMPLES and r.cosine_rows is not None else ""
        self.note_label.setText(note)
        self.note_label.setVisible(bool(note))
        n = mat.shape[0]
        self._mat = mat
        vb = self.plot.getViewBox()
        vb.setLimits(xMin=0, xMax=n, yMin=0, yMax=n)
        vb.setRange(xRange=(0, n), yRange=(0, n), padding=0)
        self.screen.set_matrix(mat, (-1.0, 1.0))
        self.colorbar.setLevels((-1.0, 1.0))
        self.left_axis.set_bands(bands)
        self.bottom_axis.set_bands(bands)
        seps = band_separators(bands)
        hx, hy = separator_lines(seps, (0, n), horizontal=True)
        vx, vy = separator_lines(seps, (0, n), horizontal=False)
        self.separators.setData(np.concatenate([hx, vx]), np.concatenate([hy, vy]))
        if self._mode == self.CENTROIDS and n <= MAX_CLASSES_WITH_VALUES:
            self._add_values(mat)
        self._update_value_visibility()
        self._apply_highlight()

    def _apply_highlight(self) -> None:
        rows = self._highlight
        if self._result is None or rows is None or not len(rows) or self._mode != self.SAMPLES \
                or self._mat is None:
            self.highlight_lines.setData([], [])
            return
        n = self._mat.shape[0]
        if self._rows is not None:  # sampled: the selected samples the matrix has
            pos = np.clip(np.searchsorted(self._rows, rows), 0, len(self._rows) - 1)
            rows = pos[self._rows[pos] == rows]
        rows = rows[(rows >= 0) & (rows < n)] + 0.5
        hx, hy = separator_lines(rows, (0, n), horizontal=True)
        vx, vy = separator_lines(rows, (0, n), horizontal=False)
        self.highlight_lines.setData(np.concatenate([hx, vx]), np.concatenate([hy, vy]))

    def _add_values(self, mat: np.ndarray) -> None:
        cmap = diverging_cmap()
        n = mat.shape[0]
        for i in range(n):
            for j in range(n):
                v = float(mat[i, j])
                bg = cmap.map((np.clip(v, -1, 1) + 1) / 2, mode=cmap.QCOLOR)
                lum = 0.2126 * bg.redF() + 0.7152 * bg.greenF() + 0.0722 * bg.blueF()
                color = QColor(0, 0, 0) if lum > 0.45 else QColor(255, 255, 255)
                item = pg.TextItem(_fmt_cos(v), color=color, anchor=(0.5, 0.5))
                item.setFont(self._value_font)
                item.setPos(j + 0.5, i + 0.5)
                item.setZValue(10)
                self.plot.addItem(item)
                self._value_items.append(item)

    def _clear_values(self) -> None:
        for item in self._value_items:
            self.plot.removeItem(item)
        self._value_items = []

    def _update_value_visibility(self, *args) -> None:
        """Cell values only where a cell is big enough to hold them."""
        if not self._value_items:
            return
        w, h = self.plot.getViewBox().viewPixelSize()
        if w <= 0 or h <= 0:
            return
        cell_w, cell_h = 1.0 / w, 1.0 / h
        fm = QFontMetricsF(self._value_font)
        widest = max(fm.horizontalAdvance(item.toPlainText()) for item in self._value_items)
        fits = cell_w >= widest + 3 and cell_h >= fm.height()
        for item in self._value_items:
            item.setVisible(fits)

    def _clear_content(self) -> None:
        self._clear_values()
        self.screen.clear()
        self._mat = self._rows = None
        self.separators.setData([], [])
        self.highlight_lines.setData([], [])
        self.left_axis.set_bands(None)
        self.bottom_axis.set_bands(None)
        self.subtitle.clear()
        self.note_label.clear()
        self.note_label.hide()

    def displayed(self) -> dict:
        r: Optional[LayerResult] = self._result
        if r is None or self._mat is None:
            return {}
        out = {
            "view": self._mode,
            "image": np.asarray(self._mat),
            "levels": np.asarray(self.colorbar.levels(), dtype=float),
            "band_labels": self.left_axis.label_texts(),
            # how many matrix cells one drawn pixel stands for (rows, columns)
            "drawn_step": self.screen.step,
        }
        if self._mode == self.SAMPLES:
            out["sample_rows"] = self._sample_rows()
            out["rows"] = np.asarray(r.samples.labels)[out["sample_rows"]]
        else:
            out["rows"] = np.arange(out["image"].shape[0])
            out["values"] = [item.toPlainText() for item in self._value_items]
            out["values_visible"] = any(item.isVisible() for item in self._value_items)
        out["note"] = self.note_label.text() if not self.note_label.isHidden() else ""
        return out

    def _sample_rows(self) -> np.ndarray:
        """The sample-set row of each row of the samples matrix."""
        n = 0 if self._mat is None else self._mat.shape[0]
        return np.arange(n) if self._rows is None else np.asarray(self._rows)

    # -- mouse -----------------------------------------------------------------------------------
    def cell_at(self, scene_pos: QPointF) -> Optional[tuple[int, int]]:
        if self._result is None or self._mat is None:
            return None
        if not self.plot.vb.sceneBoundingRect().contains(scene_pos):
            return None
        p = self.plot.vb.mapSceneToView(scene_pos)
        i, j = int(np.floor(p.y())), int(np.floor(p.x()))
        n = self._mat.shape[0]
        return (i, j) if 0 <= i < n and 0 <= j < n else None

    def _hover_scene_pos(self, scene_pos: QPointF) -> None:
        hit = self.cell_at(scene_pos)
        if hit is None:
            self.hide_hover()
            return
        i, j = hit
        r: LayerResult = self._result
        s = r.samples
        v = float(self._mat[i, j])
        if self._mode == self.SAMPLES:
            i, j = (int(k) for k in self._sample_rows()[[i, j]])
            lines = [
                f"{sample_title(s, i)} {class_name(s, s.labels[i])}",
                f"\u00d7 {sample_title(s, j)} {class_name(s, s.labels[j])}",
                f"cosine {v:.3f}",
            ]
            if s.words is not None:
                lines[0] += f" \u201c{s.words[i]}\u201d"
                lines[1] += f" \u201c{s.words[j]}\u201d"
            images = [sample_thumbnail(s, i), sample_thumbnail(s, j)]
        else:
            lines = [f"{class_name(s, i)} \u00d7 {class_name(s, j)}", f"centroid cosine {v:.3f}"]
            images = []
        self.show_hover(scene_to_panel(self, self.view, scene_pos), images, lines)

    def _on_click(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton or ev.double():
            return
        hit = self.cell_at(ev.scenePos())
        if hit is None:
            return
        i, j = hit
        additive = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        s = self._result.samples
        if self._mode == self.SAMPLES:
            self.request_rows(np.unique(self._sample_rows()[[i, j]]), additive, "cosine cell")
        else:
            labels = np.asarray(s.labels)
            rows = np.flatnonzero((labels == i) | (labels == j))
            self.request_rows(rows, additive,
                              f"classes {class_name(s, i)}, {class_name(s, j)}")

    def _on_axis_pick(self, start: float, stop: float, additive: bool) -> None:
        """A class name clicked on either axis: that class's samples."""
        r = self._result
        if r is None or self._mat is None:
            return
        s = r.samples
        pos = int(np.floor(start))
        if self._mode == self.SAMPLES:  # every sample of the class, sampled matrix or not
            for (a, b, name), cls in zip(self.left_axis.bands() or [], self._band_classes):
                if a <= pos < b:
                    self.request_rows(np.flatnonzero(np.asarray(s.labels) == cls), additive,
                                      f"class {name}")
                    return
        elif 0 <= pos < len(s.class_names):
            self.request_rows(np.flatnonzero(np.asarray(s.labels) == pos), additive,
                              f"class {class_name(s, pos)}")

