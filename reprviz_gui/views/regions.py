"""Important regions: which pixels matter for each class, two ways, labelled apart — the
back-projection of the weights (the course's hand-made network: the one-hot output pushed back
through every weight matrix) and the gradient saliency of the class score averaged over the
class's test samples. Drawn from the "regions" product."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSizePolicy

from ..core.analysis.regions import REGION_DESCRIPTIONS, SCORE_DESCRIPTIONS
from ..core.analysis.weights import diverging_rgb
from ..workspace.products_course import RegionsResult
from .base import Panel
from .options import ViewOptions, bind
from .legend import DivergingLegend
from .tiles import SIZES, Section, Tile, TileGrid, size_box

STOPPED_HINT = ("Saliency was stopped. Close and reopen this view (View menu) to compute it "
                "again.")


def grey(values: np.ndarray) -> np.ndarray:
    """(H, W) uint8: the map's minimum black, its maximum white (as imshow's grey)."""
    v = np.asarray(values, dtype=np.float64)
    lo, hi = float(v.min()), float(v.max())
    if not hi > lo:
        return np.full(v.shape, 128, np.uint8)
    return np.rint(255 * (v - lo) / (hi - lo)).astype(np.uint8)


def darker_is_more(values: np.ndarray) -> np.ndarray:
    """(H, W) uint8 for a map >= 0: white at 0, black at its maximum."""
    v = np.asarray(values, dtype=np.float64)
    top = float(v.max()) if v.size else 0.0
    if not top > 0:
        return np.full(v.shape, 255, np.uint8)
    return np.rint(255 * (1 - np.clip(v / top, 0, 1))).astype(np.uint8)


def signed(values: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8: purple-white-green, each map on its own largest |value|."""
    return diverging_rgb(values)


def _reason(why: str) -> str:
    """' — this one has Conv2D ('conv_1')' from the core's message (or the message itself)."""
    why = why.strip().rstrip(".")
    if "this one has " in why:
        return " \u2014 this one has " + why.split("this one has ", 1)[1]
    return f" ({why})" if why else ""


@dataclass
class RegionsOptions(ViewOptions):
    explanations: bool = True
    size: str = "Fit"


class RegionsView(Panel):
    empty_hint = "Train or load a model to see which regions of the input matter for each class"

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        self.explain_box = QCheckBox("Explanations")
        self.explain_box.setChecked(True)
        self.explain_box.setToolTip("What each kind of map means, under its title")
        row.addWidget(self.explain_box)
        row.addStretch(1)
        row.addWidget(QLabel("Size"))
        self.size_box = size_box()
        row.addWidget(self.size_box)
        self.body_layout.addLayout(row)
        self.legend = DivergingLegend()
        self.legend.set_scale(None, "green: raises the class's score · purple: lowers it · "
                                    "white: no effect · each map on its own scale")
        self.body_layout.addWidget(self.legend)
        self.note = QLabel()
        self.note.setObjectName("regionsNote")
        self.note.setWordWrap(True)
        self.note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.body_layout.addWidget(self.note)
        self.grid = TileGrid()
        self.body_layout.addWidget(self.grid, 1)
        self.explain_box.toggled.connect(self._redraw)
        self.size_box.currentTextChanged.connect(self._on_size)
        self.grid.tile_hovered.connect(self._on_hover)
        self.watch_leave(self.grid.viewport())
        self._kinds: list[str] = []  # what each drawn section shows
        self._values: dict[str, np.ndarray] = {}  # kind -> (C, H, W) values behind the tiles
        self.options = RegionsOptions()
        bind(self.options, "explanations", self.explain_box)
        bind(self.options, "size", self.size_box)

    def _on_size(self, text: str) -> None:
        self.grid.set_target_px(SIZES.get(text, 0))

    # --- drawing --------------------------------------------------------------------------------
    def _draw(self, result: RegionsResult) -> None:
        self._redraw()

    def _redraw(self, *_) -> None:
        r: Optional[RegionsResult] = self._result
        if r is None:
            return
        explain = self.explain_box.isChecked()
        names = r.class_names
        n_avg = int(r.counts.max()) if len(r.counts) else 0
        score = SCORE_DESCRIPTIONS.get(r.score, r.score)
        saliency = ("saliency", f"Saliency: mean gradient of the class score over up to "
                    f"{r.per_class} {r.split} samples per class",
                    f"{REGION_DESCRIPTIONS['saliency']} The score here is {score}. Averaged "
                    f"over the first {r.per_class} {r.split} samples of each class by index "
                    f"(at most {n_avg} were used).", r.saliency, signed)
        saliency_abs = ("saliency_abs", "Saliency, size only: mean |gradient|",
                        "Where a small change of the pixel moves the class's score at all, up "
                        "or down: darker means more, white means not at all.",
                        r.saliency_abs, darker_is_more)
        if r.backprojection is not None:
            # the two ways first, one under the other; then their other renderings
            kinds = [("backprojection", "Back-projection: from the weights alone",
                      REGION_DESCRIPTIONS["backprojection"], r.backprojection, signed),
                     saliency,
                     ("backprojection_grey", "Back-projection as grey",
                      "The back-projection in grey, as the course draws it: black is each "
                      "map's most negative value, white its most positive.",
                      r.backprojection, grey),
                     saliency_abs]
            self.note.setText("")
        else:
            kinds = [saliency, saliency_abs]
            self.note.setText("Back-projection does not apply to this model: it multiplies "
                              "the weight matrices through, and only Dense layers are plain "
                              f"matrices{_reason(r.backprojection_why)}. Showing saliency only; "
                              "it works for any model.")
        self.note.setVisible(bool(self.note.text()))
        sections = []
        self._kinds, self._values = [], {}
        for kind, title, note, values, colour in kinds:
            tiles = [Tile(image=colour(values[c]), caption=names[c], key=c)
                     for c in range(len(values))]
            sections.append(Section(title, note if explain else "", tiles))
            self._kinds.append(kind)
            self._values[kind] = values
        if r.backprojection is not None and explain:
            sections.append(Section("How the two differ", REGION_DESCRIPTIONS["difference"]))
            self._kinds.append("")
        self.grid.set_sections(sections)

    def _on_hover(self, section: int, index: int, pos: QPoint) -> None:
        r: Optional[RegionsResult] = self._result
        kind = self._kinds[section] if 0 <= section < len(self._kinds) else ""
        if r is None or not kind or index < 0:
            self.hide_hover()
            return
        values = self._values[kind][index]
        what = {"backprojection": "back-projection", "backprojection_grey": "back-projection",
                "saliency": "saliency (mean gradient)",
                "saliency_abs": "saliency (mean |gradient|)"}[kind]
        lines = [f"{r.class_names[index]} · {what}",
                 f"range {float(values.min()):.3g} … {float(values.max()):.3g}"]
        if kind.startswith("saliency"):
            lines.append(f"averaged over {int(r.counts[index]):,} of "
                         f"{int(r.available[index]):,} {r.split} samples of the class")
        tile = self.grid.sections()[section].tiles[index]
        self.show_hover(self.grid.canvas.mapTo(self, pos), [tile.image], lines)

    def set_busy(self, message: Optional[str] = "Computing\u2026") -> None:
        was_busy = self.is_busy()
        super().set_busy(message)
        if was_busy and not message and self.is_empty() and self._result is None:
            self.clear(STOPPED_HINT)  # cancelled (Esc) before anything was drawn

    def _clear_content(self) -> None:
        self.grid.clear()
        self._kinds, self._values = [], {}
        self.note.setText("")

    def displayed(self) -> dict:
        if self.is_empty():
            return {}
        sections = self.grid.sections()
        out: dict = {"kinds": list(self._kinds), "titles": [s.title for s in sections],
                     "notes": [s.note for s in sections], "note": self.note.text()}
        for kind, section in zip(self._kinds, sections):
            if kind:
                out[kind] = self._values[kind].copy()
                out[kind + "_images"] = np.stack([t.image for t in section.tiles])
                out[kind + "_captions"] = [t.caption for t in section.tiles]
        return out
