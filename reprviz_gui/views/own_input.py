"""*Your input* (issue 16 §2): draw, drop or pick an image, type a review or a word expression,
and see what the model makes of it — class probabilities as bars, the input's saliency, and a
marker where it lands on the current layer's map (placed with the map method's own rule, which
the view names).

The view only draws: each input goes out as an ``OwnInput`` (``own_input_changed``) and comes
back as the "own_input" product, computed on the model lane (``products_own_input.py``). While
drawing, one input is in flight at a time: the next stroke goes out when the previous result is
back (or after ``STALL_RESEND_MS``), so results keep arriving while the pen moves and the GUI
thread only ever draws a line into a tiny picture.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QTimer, Qt
from PySide6.QtWidgets import (QButtonGroup, QColorDialog, QComboBox, QDoubleSpinBox,
                               QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox,
                               QToolButton, QVBoxLayout, QWidget)

from ..core.analysis.own_input import ink_thickness
from ..widgets.colormaps import class_colors
from ..widgets.draw_canvas import DrawCanvas
from ..widgets.plot_title import set_elided_title
from ..workspace.products_own_input import OwnInput, OwnInputResult
from .base import Panel
from .options import ViewOptions, bind
from .regions import signed
from .theme import style_plot

STALL_RESEND_MS = 1500  # a result that never came back (a cancelled job): send the input again
TEXT_PAUSE_MS = 350  # typing: the input goes out once the keys pause this long
SALIENCY_CHOICES = {"Gradient": "gradient", "Grad-CAM": "grad-cam"}  # box text -> core method


@dataclass
class OwnInputOptions(ViewOptions):
    saliency: str = "Gradient"  # a box text of SALIENCY_CHOICES


class OwnInputView(Panel):
    empty_hint = "Open a dataset, then draw, drop or type your own input"

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self._dataset: Any = None
        self._in_flight = False
        self._pending: Optional[OwnInput] = None
        self._last_sent: Optional[OwnInput] = None
        self._shown: Optional[OwnInputResult] = None
        self._bars: Any = None  # the bar item, kept while the classes stay
        self._bars_names: tuple = ()
        self._map_coords: Any = None  # the map drawn (its coords array)

        # --- the input: a canvas with its tools, or a line of text -----------------------
        self.tools = QWidget()
        # two rows (drawing; sample and saliency): in one the view was 700+ px at least, and
        # A's and B's side by side made the window 2,110 px wide on a 1,600 px screen
        rows = QVBoxLayout(self.tools)
        rows.setContentsMargins(0, 0, 0, 0)
        row, row2 = QHBoxLayout(), QHBoxLayout()
        rows.addLayout(row)
        rows.addLayout(row2)
        self.brush_button = QToolButton(text="Brush", checkable=True, checked=True)
        self.eraser_button = QToolButton(text="Eraser", checkable=True)
        group = QButtonGroup(self)
        group.addButton(self.brush_button)
        group.addButton(self.eraser_button)
        self.width_box = QDoubleSpinBox(minimum=0.5, maximum=12.0, singleStep=0.5, value=2.5,
                                        suffix=" px", toolTip="brush width in image pixels")
        self.colour_button = QPushButton("Colour…")
        self.clear_button = QPushButton("Clear")
        self.split_box = QComboBox(toolTip="the split to pick a sample from")
        self.split_box.addItems(["train", "test"])
        self.index_box = QSpinBox(minimum=0, maximum=0, toolTip="the sample's index")
        self.pick_button = QPushButton("Use sample")
        self.saliency_box = QComboBox(toolTip="Gradient: the input gradient of the top class's "
                                      "score. Grad-CAM: the last convolution's feature maps "
                                      "weighted by their mean gradient (convolutional models)")
        self.saliency_box.addItems(list(SALIENCY_CHOICES))
        for w in (self.brush_button, self.eraser_button, QLabel("width"), self.width_box,
                  self.colour_button, self.clear_button):
            row.addWidget(w)
        row.addStretch(1)
        for w in (QLabel("sample"), self.split_box, self.index_box, self.pick_button,
                  QLabel("  saliency"), self.saliency_box):
            row2.addWidget(w)
        row2.addStretch(1)
        self.body_layout.addWidget(self.tools)
        self.text = QLineEdit()
        self.text.setClearButtonEnabled(True)
        self.body_layout.addWidget(self.text)

        panes = QHBoxLayout()
        self.canvas = DrawCanvas()
        panes.addWidget(self.canvas, 2)
        self.plots = pg.GraphicsLayoutWidget()
        self.bars_plot = self.plots.addPlot(row=0, col=0)
        set_elided_title(self.bars_plot, "Probabilities")
        self.bars_plot.setMouseEnabled(False, False)
        self.bars_plot.setXRange(0, 1, padding=0.02)
        self.sal_plot = self.plots.addPlot(row=0, col=1)
        set_elided_title(self.sal_plot, "Saliency")
        self.sal_plot.setAspectLocked(True)
        self.sal_plot.invertY(True)
        self.sal_plot.hideAxis("left")
        self.sal_plot.hideAxis("bottom")
        self.sal_image = pg.ImageItem(axisOrder="row-major")
        self.sal_plot.addItem(self.sal_image)
        self.map_plot = self.plots.addPlot(row=1, col=0, colspan=2)
        set_elided_title(self.map_plot, "On the map")
        self.map_points = pg.ScatterPlotItem(size=4, pen=None)
        self.map_marker = pg.ScatterPlotItem(size=22, symbol="star", pen=pg.mkPen("k", width=1.5),
                                             brush=pg.mkBrush(255, 215, 0))
        self.map_plot.addItem(self.map_points)
        self.map_plot.addItem(self.map_marker)
        self.plots.ci.layout.setRowStretchFactor(0, 2)
        self.plots.ci.layout.setRowStretchFactor(1, 3)
        style_plot(self.plots, [self.bars_plot, self.sal_plot, self.map_plot], self)
        panes.addWidget(self.plots, 5)
        self.body_layout.addLayout(panes, 1)
        self.info = QLabel(wordWrap=True, textFormat=Qt.TextFormat.RichText)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body_layout.addWidget(self.info)

        # --- wiring ------------------------------------------------------------------------
        self._resend = QTimer(self, singleShot=True, interval=STALL_RESEND_MS)
        self._resend.timeout.connect(self._stalled)
        self._typing = QTimer(self, singleShot=True, interval=TEXT_PAUSE_MS)
        self._typing.timeout.connect(self._send_text)
        self.canvas.stroked.connect(self._send_canvas)
        self.canvas.stroke_finished.connect(self._send_canvas)
        self.canvas.file_dropped.connect(self.open_file)
        self.brush_button.toggled.connect(self._tool_changed)
        self.width_box.valueChanged.connect(self._tool_changed)
        self.colour_button.clicked.connect(self._choose_colour)
        self.clear_button.clicked.connect(self._clear_canvas)
        self.split_box.currentTextChanged.connect(self._split_changed)
        self.pick_button.clicked.connect(self.use_sample)
        self.text.textChanged.connect(self._typed)
        self.text.returnPressed.connect(self._send_text)
        self.options = OwnInputOptions()
        bind(self.options, "saliency", self.saliency_box)
        self.options.events.saliency.connect(self._saliency_changed)
        self._tool_changed()
        self._set_mode(None)

    # --- the dataset decides which input there is ----------------------------------------------
    def set_dataset(self, dataset: Any) -> None:
        self._dataset = dataset
        self._in_flight, self._pending, self._last_sent, self._shown = False, None, None, None
        self._set_mode(dataset)
        if dataset is not None and dataset.kind == "image":
            shape = dataset.sample_shape
            colour = len(shape) == 3 and shape[2] == 3
            self.canvas.set_shape(shape[0], shape[1], colour)
            self.colour_button.setVisible(colour)
            self._brush_like_the_data(dataset)
            self._split_changed(self.split_box.currentText())

    def _brush_like_the_data(self, dataset: Any) -> None:
        """The default brush is as thick as the data's ink, to a whole pixel. At 2.5 px one
        vertical bar on Fashion-MNIST was a Dress (p 0.81) to the default-trained dense model:
        a line narrower than any garment there (trousers 9.5 px wide, dresses 11.3); drawn
        with the data's 10 px it is a Trouser (0.87)."""
        x = dataset.x_train if len(dataset.x_train) else dataset.x_test
        thick = ink_thickness(x)
        if not np.isfinite(thick):
            return
        self.width_box.setMaximum(max(12.0, min(dataset.sample_shape[:2]) / 2))
        self.width_box.setValue(max(1.0, float(round(thick))))
        self.width_box.setToolTip(f"brush width in image pixels (default: the data's ink is "
                                  f"{thick:.1f} px thick, the widest disc inside it)")

    def _set_mode(self, dataset: Any) -> None:
        image = dataset is not None and dataset.kind == "image"
        self.tools.setVisible(image)
        self.canvas.setVisible(image)
        self.sal_plot.setVisible(image)
        words = dataset is not None and dataset.words is not None
        self.text.setVisible(dataset is not None and not image)
        self.text.setPlaceholderText("paris - france + italy" if words else
                                     "Type a review, e.g. a wonderful film, brilliant acting")
        self.bars_plot.setVisible(not words)
        self._stack.setCurrentWidget(self.body if dataset is not None else self._hint)

    def clear(self, message: str = "") -> None:
        """No result (yet): the input stays usable; the hint goes under it."""
        super().clear(message)
        if self._dataset is not None:
            self._stack.setCurrentWidget(self.body)
            self.info.setText(message or self.empty_hint)
        self._in_flight = False

    # --- sending inputs ----------------------------------------------------------------------
    def send(self, own: OwnInput) -> None:
        """Put ``own`` through the model now, or as soon as the input in flight is back."""
        if self._in_flight:
            self._pending = own
            return
        self._pending = None
        if own == self._last_sent and self._shown is not None:
            return  # the release after a stroke: the same picture, already answered
        self._in_flight, self._last_sent = True, own
        self._resend.start()
        self.own_input_changed.emit(own)

    def _saliency_method(self) -> str:
        return SALIENCY_CHOICES.get(self.options.saliency, "gradient")

    def _saliency_changed(self, *_args: Any) -> None:
        """The same picture again, with the other saliency."""
        own = self._pending or self._last_sent
        if own is not None and own.kind in ("image", "file"):
            self.send(replace(own, saliency=self._saliency_method()))

    def _send_canvas(self) -> None:
        self.send(OwnInput("image", image=self.canvas.array(),
                           saliency=self._saliency_method()))

    def _typed(self, _text: str) -> None:
        self._typing.start()

    def _send_text(self) -> None:
        self._typing.stop()
        text = self.text.text().strip()
        if not text or self._dataset is None:
            return
        self.send(OwnInput("query" if self._dataset.words is not None else "review",
                           text=text))

    def open_file(self, path: str) -> None:
        """An image file dropped on the canvas: read on the model lane (allow-listed formats)."""
        self.send(OwnInput("file", text=str(path), saliency=self._saliency_method()))

    def use_sample(self) -> None:
        if self._dataset is None or self._dataset.kind != "image":
            return
        x, _ = self._dataset.split(self.split_box.currentText())
        if len(x):
            self.canvas.set_array(x[min(self.index_box.value(), len(x) - 1)])
            self._send_canvas()

    def demo_input(self) -> None:
        """An example input (``--demo --view own_input``): one vertical bar drawn top to bottom
        in the middle of an image canvas with the default brush (a Trouser to the default-trained
        Fashion dense model), a review, or ``paris - france + italy``."""
        ds = self._dataset
        if ds is None:
            return
        if ds.kind == "image":
            size = self.canvas.image_size()
            x, bottom = size.width() / 2, size.height() - 1.5
            self.canvas.clear()
            self.canvas.stroke_line(QPointF(x, 1.5), QPointF(x, bottom))
        else:
            self.text.setText("paris - france + italy" if ds.words is not None
                              else "a wonderful film, brilliant acting")
            self._send_text()

    def _stalled(self) -> None:
        if self._in_flight:
            self._in_flight = False
            if self._pending is None and self._last_sent is not None:
                self._pending, self._last_sent = self._last_sent, None
            self._flush()

    def _flush(self) -> None:
        if self._pending is not None and not self._in_flight:
            self.send(self._pending)

    # --- tools -------------------------------------------------------------------------------
    def _tool_changed(self, *_args: Any) -> None:
        self.canvas.erasing = self.eraser_button.isChecked()
        self.canvas.brush_width = float(self.width_box.value())

    def _choose_colour(self) -> None:
        colour = QColorDialog.getColor(self.canvas.ink, self, "Brush colour")
        if colour.isValid():
            self.canvas.ink = colour

    def _clear_canvas(self) -> None:
        self.canvas.clear()
        self._send_canvas()

    def _split_changed(self, split: str) -> None:
        if self._dataset is not None and split in ("train", "test"):
            x, _ = self._dataset.split(split)
            self.index_box.setMaximum(max(0, len(x) - 1))

    # --- results -----------------------------------------------------------------------------
    def show_product(self, kind: str, session_id: str, result: Any) -> None:
        if isinstance(result, OwnInputResult):
            self._in_flight = False
            self._resend.stop()
            self.show_result(result)
            self._flush()

    def _draw(self, r: OwnInputResult) -> None:
        self._shown = r
        p = r.probe
        if p is None:
            self.info.setText(f"<span style='color:#b22'>{r.error}</span>")
            self.map_marker.setData([])
            return
        if p.image is not None and r.own_input.kind == "file":
            self.canvas.set_array(p.image)  # what the model read: the file at the data's size
        self._draw_bars(p)
        self._draw_saliency(p)
        self._draw_map(r)
        self.info.setText(self._describe(r))

    def _draw_bars(self, p) -> None:
        if p.probabilities is None:
            self.bars_plot.clear()
            self._bars = None
            return
        n = len(p.class_names)
        probs = np.asarray(p.probabilities, dtype=np.float64)
        if self._bars is None or self._bars_names != p.class_names:
            # made once per class list; each stroke only moves the bars' lengths
            self.bars_plot.clear()
            brushes = [pg.mkBrush(*c) for c in class_colors(n)]
            self._bars = pg.BarGraphItem(x0=0, y=np.arange(n), height=0.7, width=probs,
                                         brushes=brushes)
            self._bars_names = p.class_names
            self.bars_plot.addItem(self._bars)
            self.bars_plot.getAxis("left").setTicks([list(enumerate(p.class_names))])
            self.bars_plot.setYRange(-0.6, n - 0.4, padding=0)
            self.bars_plot.invertY(True)
        else:
            self._bars.setOpts(width=probs)

    def _draw_saliency(self, p) -> None:
        if p.saliency is None:
            self.sal_image.clear()
            return
        self.sal_image.setImage(signed(p.saliency))
        method, _, layer = p.saliency_method.partition(":")
        what = f"Grad-CAM ({layer})" if method == "grad-cam" else "Saliency"
        set_elided_title(self.sal_plot, f"{what} of {p.class_names[p.top]} ({p.saliency_score})")

    def _draw_map(self, r: OwnInputResult) -> None:
        p = r.probe
        if r.coords is None or p.placement is None:
            self.map_points.setData([])
            self.map_marker.setData([])
            self._map_coords = None
            return
        if r.coords is not self._map_coords:  # a new map; each stroke only moves the star
            n = len(self._dataset.class_names) if self._dataset is not None else \
                int(r.labels.max()) + 1
            cols = class_colors(max(n, 1))
            brushes = [pg.mkBrush(*c[:3], 150) for c in cols]
            labels = np.asarray(r.labels, dtype=np.int64)
            self.map_points.setData(pos=np.asarray(r.coords, dtype=np.float64),
                                    brush=[brushes[k] for k in labels])
            self._map_coords = r.coords
            label = {"tsne": "t-SNE", "pca-tsne": "PCA → t-SNE"}.get(r.method, r.method.upper())
            set_elided_title(self.map_plot, f"{r.layer}: {label} map, ★ your input")
        x, y = (float(v) for v in p.placement.position)
        self.map_marker.setData([x], [y])

    def _describe(self, r: OwnInputResult) -> str:
        p = r.probe
        lines = []
        if p.probabilities is not None:
            lines.append(f"<b>{p.class_names[p.top]}</b> "
                         f"({float(p.probabilities[p.top]):.1%})")
        if p.neighbours:
            lines.append("Nearest words: " + ", ".join(f"<b>{w}</b> {c:.2f}" if i == 0 else
                                                        f"{w} {c:.2f}"
                                                        for i, (w, c) in
                                                        enumerate(p.neighbours)))
        if p.tokens is not None:
            words = [w if k else f"<span style='color:#b22'><s>{w}</s></span>"
                     for w, k in zip(p.tokens.words, p.tokens.known)]
            unknown = sum(1 for k in p.tokens.known if not k)
            lines.append("Tokens: " + " ".join(words) +
                         (f" — {unknown} unknown (read as &lt;oov&gt;)" if unknown else ""))
        if p.placement is not None:
            lines.append(f"Marker: {p.placement.how}.")
        lines.extend(p.notes)
        return "<br>".join(lines)

    def _clear_content(self) -> None:
        self._shown = None
        self._bars, self._map_coords = None, None
        self.bars_plot.clear()
        self.sal_image.clear()
        self.map_points.setData([])
        self.map_marker.setData([])

    def displayed(self) -> dict:
        r = self._shown
        if r is None or r.probe is None:
            return {"error": r.error if r is not None else ""}
        p = r.probe
        out: dict[str, Any] = {"kind": p.kind, "info": self.info.text()}
        if p.probabilities is not None:
            out["top"] = p.class_names[p.top]
            out["probabilities"] = np.asarray(p.probabilities).copy()
        if p.placement is not None:
            out["marker"] = np.asarray(p.placement.position, dtype=np.float64).copy()
            out["placement"] = p.placement.rule
            out["coords"] = np.asarray(r.coords).copy()
            out["labels"] = np.asarray(r.labels).copy()
        if p.saliency is not None:
            out["saliency"] = np.asarray(p.saliency).copy()
            out["saliency_method"] = p.saliency_method
        if p.neighbours:
            out["neighbours"] = [w for w, _ in p.neighbours]
        if p.tokens is not None:
            out["unknown"] = [w for w, k in zip(p.tokens.words, p.tokens.known) if not k]
        return out

