"""Weights as images: each unit of the first Dense layer (one per class for a multinomial model)
or each filter of the first convolution, drawn as the picture its weights make over the input
— green where a bright pixel raises the unit's input, purple where it lowers it, white where
it does not matter. Drawn from the "weights" product."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel

from ..core.analysis.weights import WeightImages
from ..workspace.products_course import WeightsResult
from .base import Panel
from .options import ViewOptions, bind
from .legend import DivergingLegend
from .theme import make_subtitle
from .tiles import SIZES, Section, Tile, TileGrid, size_box

ORDERS = ("Unit order", "By norm")
# each image on its own scale first: the MNIST notes' way (on one scale most units look faint)
SCALES = ("Each on its own scale", "One scale for all")


@dataclass
class WeightsOptions(ViewOptions):
    order: str = next(iter(ORDERS))  # unit order
    scale: str = next(iter(SCALES))  # each unit its own scale, or one scale for all
    size: str = "Fit"


class WeightsView(Panel):
    empty_hint = "Choose or load a model to see its first layer's weights as images"

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        self.order_box = QComboBox()
        self.order_box.addItems(list(ORDERS))
        self.order_box.setToolTip("Unit order, or the units with the largest weights first "
                                  "(L2 norm of the unit's weights)")
        self.scale_box = QComboBox()
        self.scale_box.addItems(list(SCALES))
        self.scale_box.setToolTip("Each unit on its own largest |weight| (see every pattern, "
                                  "as the course draws them), or one colour scale for every unit "
                                  "(compare strengths)")
        self.size_box = size_box()
        for box in (self.order_box, self.scale_box):
            row.addWidget(box)
        row.addStretch(1)
        row.addWidget(QLabel("Size"))
        row.addWidget(self.size_box)
        self.body_layout.addLayout(row)
        self.subtitle = make_subtitle()
        self.body_layout.addWidget(self.subtitle)
        self.legend = DivergingLegend()
        self.body_layout.addWidget(self.legend)
        self.grid = TileGrid()
        self.body_layout.addWidget(self.grid, 1)
        self.order_box.currentIndexChanged.connect(self._redraw)
        self.scale_box.currentIndexChanged.connect(self._redraw)
        self.size_box.currentTextChanged.connect(self._on_size)
        self.grid.tile_hovered.connect(self._on_hover)
        self.watch_leave(self.grid.viewport())
        self._shown: Optional[WeightImages] = None  # in the order drawn
        self._colours: Optional[np.ndarray] = None
        self._limit: Optional[float] = None
        self.options = WeightsOptions()
        for name, box in (("order", self.order_box), ("scale", self.scale_box),
                          ("size", self.size_box)):
            bind(self.options, name, box)

    # --- options (what a user picks; tests set them the same way) --------------------------------
    def set_order(self, by_norm: bool) -> None:
        self.order_box.setCurrentIndex(1 if by_norm else 0)

    def set_per_unit_scale(self, per_unit: bool) -> None:
        self.scale_box.setCurrentIndex(SCALES.index(SCALES[0] if per_unit else SCALES[1]))

    def _on_size(self, text: str) -> None:
        self.grid.set_target_px(SIZES.get(text, 0))

    # --- drawing --------------------------------------------------------------------------------
    def _draw(self, result: WeightsResult) -> None:
        if result.weights is None:
            self.clear(result.why or "This model's weights are not images")
            return
        self._redraw()

    def _redraw(self, *_) -> None:
        r: Optional[WeightsResult] = self._result
        if r is None or r.weights is None:
            return
        w = r.weights
        shown = w.order_by_norm() if self.order_box.currentIndex() == 1 else w
        per_unit = self.scale_box.currentText() == SCALES[0]
        self._shown = shown
        self._colours = shown.colour_images(per_image=per_unit)
        self._limit = None if per_unit else float(w.symmetric_limit)
        what = ("images, one per class" if w.per_class else
                f"images, one per {'filter' if w.layer_type == 'Conv2D' else 'unit'}")
        self.subtitle.setText(
            f"<b>{w.layer_type} {w.layer_name!r}</b> · {len(w)} {what}"
            f"{' (colour filters as RGB)' if w.rgb else ''}"
            f"{' · largest weights first' if self.order_box.currentIndex() == 1 else ''}"
            + (" · <b>all weights are 0</b>: train the model" if w.symmetric_limit == 0
               else " · hover an image for its unit, norm and range"))
        if w.rgb:
            lim = "its own largest |weight|" if per_unit else f"±{w.symmetric_limit:.3g}"
            self.legend.set_text_only(
                f"Colour filters: each channel's weight from −limit (no colour) through 0 "
                f"(mid-grey) to +limit (full colour); limit = {lim}")
        else:
            self.legend.set_scale(
                self._limit, "green: a bright pixel there raises the unit's input · purple: lowers "
                "it · white: no effect" + (" · each image on its own scale"
                                                  if per_unit else ""))
        tiles = [Tile(image=self._colours[i], caption=shown.labels[i], key=int(shown.units[i]))
                 for i in range(len(shown))]
        self.grid.set_sections([Section(tiles=tiles)])

    def _on_hover(self, section: int, index: int, pos: QPoint) -> None:
        w, colours = self._shown, self._colours
        if w is None or colours is None or index < 0 or index >= len(w):
            self.hide_hover()
            return
        lines = [w.labels[index],
                 f"{'filter' if w.layer_type == 'Conv2D' else 'unit'} {int(w.units[index])} "
                 f"of {w.layer_name}",
                 f"norm {float(w.norms[index]):.4g}",
                 f"range {float(w.minima[index]):.4g} … {float(w.maxima[index]):.4g}",
                 f"bias {float(w.biases[index]):.4g}"]
        self.show_hover(self.grid.canvas.mapTo(self, pos), [colours[index]], lines)

    def _clear_content(self) -> None:
        self.grid.clear()
        self._shown = self._colours = None
        self.subtitle.clear()

    def displayed(self) -> dict:
        if self.is_empty() or self._shown is None or self._colours is None:
            return {}
        w = self._shown
        return {"labels": list(w.labels), "units": w.units.copy(), "norms": w.norms.copy(),
                "images": self._colours.copy(), "limit": self._limit,
                "legend": self.legend.labels(), "legend_text": self.legend.text(),
                "tiles": [t.caption for t in self.grid.sections()[0].tiles],
                "layer": w.layer_name, "layer_type": w.layer_type, "per_class": w.per_class}
