"""The Film view: a training run's maps, one per recorded epoch, each aligned with the one
before, played like a film (issue 16 §1). The slider and Play/Pause step through the epochs;
the selection stays marked on the same samples in every frame; the frame's accuracy and its
confusions on the film's samples follow the frame, and ``epoch_shown`` tells the window which
epoch to mark on the learning curves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QPushButton, QSlider,
                               QSpinBox)

from ..widgets.colormaps import class_colors
from ..workspace.products_film import FilmResult
from .base import Panel
from .options import ViewOptions, bind
from .theme import make_subtitle, style_plot

PLAY_MS = {1: 1000, 2: 500, 4: 250, 8: 125}  # frames per second -> ms per frame


@dataclass
class FilmOptions(ViewOptions):
    fps: int = 2
    colour_by_prediction: bool = False  # each frame coloured by its own predictions
    along: str = "kNN"  # the layers along training: "kNN" or "probe" accuracy


class FilmPanel(Panel):
    empty_hint = ("Tick Record a film next to Train, then train: every epoch's map of the "
                  "layer appears here")
    epoch_shown = Signal(int)  # the epoch of the frame now shown (the curves mark it)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.subtitle = make_subtitle()
        self.body_layout.addWidget(self.subtitle)
        row = QHBoxLayout()
        self.play_button = QPushButton("Play")
        self.play_button.setObjectName("film_play")
        self.play_button.setCheckable(True)
        self.play_button.toggled.connect(self._on_play)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("film_slider")
        self.slider.setMinimum(0)
        self.slider.valueChanged.connect(self._show_frame)
        self.epoch_label = QLabel()
        self.epoch_label.setObjectName("film_epoch")
        self.epoch_label.setMinimumWidth(250)  # "epoch 10 · accuracy 82.3% · kNN 84.1%"
        self.fps_box = QSpinBox(minimum=1, maximum=8)
        self.fps_box.setSuffix(" fps")
        self.fps_box.setToolTip("Frames per second while playing")
        self.predicted_check = QCheckBox("Colour by prediction")
        self.predicted_check.setToolTip("Colour each point by the class the model predicted at "
                                        "that epoch (else by its true class)")
        self.along_combo = QComboBox()
        self.along_combo.addItems(["kNN", "probe"])
        self.along_combo.setToolTip("The layers along training: kNN (k = 10, cosine) or "
                                    "linear-probe accuracy of every layer at every epoch")
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the film as an animated GIF or numbered PNGs")
        self.export_button.clicked.connect(self._export_dialog)
        # two rows: in one the controls made the view 705 px at least, and two side by side
        # (comparing A and B) made the window 1,982 px wide on a 1,600 px screen
        row.addWidget(self.play_button)
        row.addWidget(self.epoch_label, 1)
        self.body_layout.addLayout(row)
        row2 = QHBoxLayout()
        for w in (self.fps_box, self.predicted_check, self.along_combo, self.export_button):
            row2.addWidget(w)
        row2.addStretch(1)
        self.body_layout.addLayout(row2)
        self.body_layout.addWidget(self.slider)  # a line of its own: as long as the view
        self.view = pg.GraphicsLayoutWidget()
        self.plot: pg.PlotItem = self.view.addPlot()
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.setAspectLocked(True)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.points = pg.ScatterPlotItem(size=6, pen=None, pxMode=True)
        self.marked = pg.ScatterPlotItem(size=11, brush=None, pxMode=True,
                                         pen=pg.mkPen(0, 0, 0, 230, width=2))
        self.plot.addItem(self.points)
        self.plot.addItem(self.marked)
        # the frame's confusions on the film's samples (rows: true class; row-normalised)
        self.cm_plot: pg.PlotItem = self.view.addPlot(row=0, col=1)
        self.cm_plot.invertY(True)
        self.cm_plot.setAspectLocked(True)
        self.cm_plot.hideButtons()
        self.cm_plot.setMenuEnabled(False)
        self.cm_plot.setMouseEnabled(x=False, y=False)
        self.cm_plot.setMaximumWidth(190)
        self.cm_plot.setLabel("left", "true")
        self.cm_plot.setLabel("bottom", "predicted")
        self.cm_image = pg.ImageItem(axisOrder="row-major")
        self.cm_image.setLookupTable(pg.colormap.get("viridis").getLookupTable(nPts=256))
        self.cm_plot.addItem(self.cm_image)
        self._cm = np.zeros((0, 0), np.int64)
        # the layers along training: kNN accuracy of every layer per epoch ("film_metrics")
        self.depth_plot: pg.PlotItem = self.view.addPlot(row=1, col=0, colspan=2)
        self.depth_plot.setLabel("left", "kNN acc.")
        self.depth_plot.setLabel("bottom", "epoch")
        self.depth_plot.hideButtons()
        self.depth_plot.setMenuEnabled(False)
        self.depth_plot.setMouseEnabled(x=False, y=False)
        self.depth_plot.setMaximumHeight(150)
        self.depth_plot.getAxis("left").enableAutoSIPrefix(False)
        self.depth_plot.setYRange(0.0, 1.0, padding=0.02)
        # in its own row below the plot, in rows of four: inside the plot it covered the curves
        self.depth_legend = pg.LegendItem(labelTextSize="7pt", colCount=4)
        self.view.addItem(self.depth_legend, row=2, col=0, colspan=2)
        self.depth_legend.hide()
        self.depth_line = pg.InfiniteLine(angle=90, movable=False,
                                          pen=pg.mkPen(200, 40, 40, 200, width=2))
        self.depth_plot.addItem(self.depth_line, ignoreBounds=True)
        self.depth_plot.hide()
        self._metrics: Any = None
        self.body_layout.addWidget(self.view, 1)
        style_plot(self.view, [self.plot, self.cm_plot, self.depth_plot], self)
        self.options = FilmOptions()
        bind(self.options, "fps", self.fps_box)
        bind(self.options, "colour_by_prediction", self.predicted_check)
        bind(self.options, "along", self.along_combo)
        self.options.signal("along").connect(self._draw_metrics)  # after the field changed
        self.fps_box.valueChanged.connect(self._set_speed)
        self.predicted_check.toggled.connect(lambda _on: self._show_frame(self.slider.value()))
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._next_frame)
        self._set_speed()
        self._frame = -1
        self._colors = np.zeros((0, 4), np.uint8)

    # -- the layers along training ---------------------------------------------------------
    def show_product(self, kind: str, session_id: str, result: Any) -> None:
        if kind == "film_metrics":
            self._metrics = result.metrics
            self._draw_metrics()
        else:
            super().show_product(kind, session_id, result)

    def product_unavailable(self, kind: str, session_id: str, why: str) -> None:
        if kind == "film_metrics":
            self._metrics = None
            self._draw_metrics()
        else:
            super().product_unavailable(kind, session_id, why)

    def _draw_metrics(self, *_args: Any) -> None:
        from ..widgets.colormaps import TAB10

        m = self._metrics
        for item in [i for i in self.depth_plot.listDataItems()]:
            self.depth_plot.removeItem(item)
        self.depth_legend.clear()
        if m is None or len(m.layers) == 0:
            self.depth_plot.hide()
            self.depth_legend.hide()
            return
        self.depth_plot.show()
        self.depth_legend.show()
        self.depth_plot.getAxis("bottom").setTicks([_epoch_ticks(m.epochs)])
        probe = self.options.along == "probe"
        values = m.probe_accuracy if probe else m.knn_accuracy
        self.depth_plot.setLabel("left", "probe acc." if probe else "kNN acc.")
        for i, name in enumerate(m.layers):
            item = self.depth_plot.plot(m.epochs.astype(float), values[:, i],
                                        pen=pg.mkPen(TAB10[i % len(TAB10)], width=2))
            self.depth_legend.addItem(item, name)
        r: Optional[FilmResult] = self.result()
        if r is not None and 0 <= self._frame < r.maps.n_frames:
            # the label gains the frame's kNN accuracy; the frame itself is unchanged, so
            # epoch_shown is not said again (a film playing when the metrics came said it twice)
            self.epoch_label.setText(self._epoch_text(r, self._frame))
            self._mark_depth_epoch()

    def _mark_depth_epoch(self) -> None:
        r: Optional[FilmResult] = self.result()
        if r is not None and 0 <= self._frame < r.maps.n_frames:
            self.depth_line.setValue(float(r.maps.epochs[self._frame]))

    def metrics_shown(self) -> Any:
        """The layers along training drawn now (``FilmLayerMetrics``), or None."""
        return self._metrics if self.depth_plot.isVisible() else None

    # -- drawing ---------------------------------------------------------------------------
    def _draw(self, r: FilmResult) -> None:
        n = r.maps.n_frames
        following = self._frame < 0 or self._frame >= self.slider.maximum()
        self._colors = class_colors(max(len(r.samples.class_names), 1))
        with_frames = np.asarray(r.maps.coords)
        lim = float(np.abs(with_frames).max()) * 1.05 if with_frames.size else 1.0
        self.plot.setRange(xRange=(-lim, lim), yRange=(-lim, lim), padding=0)
        self.slider.blockSignals(True)
        self.slider.setMaximum(max(n - 1, 0))
        self.slider.blockSignals(False)
        self._frame = -1
        frame = n - 1 if following and not self.timer.isActive() else \
            min(max(self.slider.value(), 0), n - 1)
        if r.preview and not self.timer.isActive():
            frame = n - 1  # the film filling in: show the newest frame
        self.slider.blockSignals(True)
        self.slider.setValue(frame)
        self.slider.blockSignals(False)
        self._show_frame(frame)
        how = r.maps.alignment
        done = "" if not r.preview else f" · computing {n}/{r.frames_expected} frames…"
        note = f" · {r.recording.note}" if r.recording.note else ""
        self.subtitle.setText(
            f"{r.recording.layer} · {r.samples.n:,} samples · {_method(r.maps.method)} · "
            f"aligned: {how}{done}{note}")

    def _show_frame(self, frame: int) -> None:
        r: Optional[FilmResult] = self.result()
        if r is None or not 0 <= frame < r.maps.n_frames:
            return
        self._frame = frame
        xy = r.maps.coords[frame]
        classes = (r.recording.predictions[frame] if self.options.colour_by_prediction
                   else r.samples.labels)
        classes = np.clip(np.asarray(classes, dtype=np.int64), 0, len(self._colors) - 1)
        brushes = [pg.mkBrush(*c) for c in self._colors[classes]]
        self.points.setData(x=xy[:, 0], y=xy[:, 1], brush=brushes)
        self._apply_highlight()
        epoch = int(r.maps.epochs[frame])
        self._draw_confusion(r, frame)
        self.epoch_label.setText(self._epoch_text(r, frame))
        self._mark_depth_epoch()
        self.epoch_shown.emit(epoch)

    def _epoch_text(self, r: FilmResult, frame: int) -> str:
        epoch = int(r.maps.epochs[frame])
        acc = float(r.accuracy[frame]) if frame < len(r.accuracy) else float("nan")
        text = f"epoch {epoch} · accuracy {acc:.1%}"
        m = self._metrics
        if m is not None and frame < len(m.epochs) and r.recording.layer in m.layers:
            knn = m.knn_accuracy[frame, m.layers.index(r.recording.layer)]
            text += f" · kNN {knn:.1%}"
        return text

    def _draw_confusion(self, r: FilmResult, frame: int) -> None:
        from ..core.analysis.metrics import confusion_matrix

        n = max(len(r.samples.class_names), 2)
        preds = np.clip(r.recording.predictions[frame], 0, n - 1)
        self._cm = confusion_matrix(r.samples.labels, preds, n)
        rows = np.maximum(self._cm.sum(axis=1, keepdims=True), 1)
        self.cm_image.setImage((self._cm / rows).astype(np.float32), levels=(0.0, 1.0))
        # the classes as ticks at the cells' centres, not pyqtgraph's numbered range (-5..15)
        ticks = [(i + 0.5, name[:4]) for i, name in enumerate(r.samples.class_names)]
        for side in ("left", "bottom"):
            self.cm_plot.getAxis(side).setTicks([ticks])
        self.cm_plot.setRange(xRange=(0, n), yRange=(0, n), padding=0)
        self.cm_plot.setTitle(f"confusions, epoch {int(r.maps.epochs[frame])}", size="8pt")

    def _apply_highlight(self) -> None:
        r: Optional[FilmResult] = self.result()
        rows = self._highlight
        if r is None or rows is None or len(rows) == 0 or self._frame < 0:
            self.marked.setData(x=[], y=[])
            return
        xy = r.maps.coords[self._frame][rows]
        self.marked.setData(x=xy[:, 0], y=xy[:, 1])

    def _clear_content(self) -> None:
        self._metrics = None
        self._draw_metrics()
        self.timer.stop()
        self.play_button.setChecked(False)
        self.points.setData(x=[], y=[])
        self.marked.setData(x=[], y=[])
        self._frame = -1
        self.epoch_label.setText("")

    # -- playing ---------------------------------------------------------------------------
    def _set_speed(self, *_args: Any) -> None:
        self.timer.setInterval(int(1000 / max(1, self.options.fps)))

    def _on_play(self, playing: bool) -> None:
        self.play_button.setText("Pause" if playing else "Play")
        if playing:
            if self.slider.value() >= self.slider.maximum():
                self.slider.setValue(0)  # from the start again
            self.timer.start()
        else:
            self.timer.stop()

    def _next_frame(self) -> None:
        if self.slider.value() >= self.slider.maximum():
            self.play_button.setChecked(False)  # the end: stop
            return
        self.slider.setValue(self.slider.value() + 1)

    def show_frame(self, frame: int) -> None:
        """Show frame ``frame`` (as moving the slider does)."""
        self.slider.setValue(frame)

    # -- export ----------------------------------------------------------------------------
    def _export_dialog(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        from .film_export import export_film

        path, chosen = QFileDialog.getSaveFileName(
            self, "Export the film", "film.gif",
            "Animated GIF (*.gif);;Numbered PNGs in a folder (*)")
        if path:
            export_film(self, path, pngs=not path.lower().endswith(".gif"))

    def displayed(self) -> dict:
        r: Optional[FilmResult] = self.result()
        if r is None or self._frame < 0:
            return {}
        return {"frame": self._frame, "epoch": int(r.maps.epochs[self._frame]),
                "frames": r.maps.n_frames, "coords": r.maps.coords[self._frame].copy(),
                "marked": (np.asarray(self.marked.getData()[0]).copy(),
                           np.asarray(self.marked.getData()[1]).copy()),
                "playing": self.timer.isActive(), "alignment": r.maps.alignment,
                "confusion": self._cm.copy(),
                "along": [np.asarray(i.getData()[1]).copy()
                          for i in self.depth_plot.listDataItems()],
                "epoch_text": self.epoch_label.text()}


def _method(method: str) -> str:
    from ..core.analysis.projection import METHOD_LABELS

    return METHOD_LABELS.get(method, method)


def _epoch_ticks(epochs: np.ndarray, most: int = 8) -> list[tuple[float, str]]:
    """Whole epochs only, at most ``most`` of them (pyqtgraph's own ticks showed 0.5, 1.5 …)."""
    lo, hi = int(np.min(epochs)), int(np.max(epochs))
    step = max(1, -(-(hi - lo) // most))
    return [(float(e), str(e)) for e in range(lo, hi + 1, step)]
