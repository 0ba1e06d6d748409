"""Typical inputs: per class, the test samples the model finds most typical of it (highest
predicted probability of that class) and, next to them, the samples of other classes it is
most sure belong to it — its most confident mistakes. Drawn from the "typical" product (made
from the "evaluation" product); a click selects the sample in every view (shift adds)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox

from ..workspace.products_course import TYPICAL_K_MAX, TypicalResult
from ..workspace.state import Selection
from .base import Panel, shown_number
from .options import ViewOptions, bind
from .theme import make_subtitle
from .tiles import SIZES, Section, Tile, TileGrid, size_box

ALL_CLASSES = "All classes"
DEFAULT_K = 8


@dataclass
class TypicalOptions(ViewOptions):
    k: int = DEFAULT_K  # typical and wrong samples per class
    size: str = "Fit"  # tile size


class TypicalView(Panel):
    empty_hint = "Train or load a model to see the inputs it finds most typical of each class"

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Class"))
        self.class_box = QComboBox()
        self.class_box.setToolTip("One class, or every class: one row each")
        row.addWidget(self.class_box)
        row.addWidget(QLabel("k"))
        self.k_box = QSpinBox()
        self.k_box.setRange(1, TYPICAL_K_MAX)
        self.k_box.setValue(DEFAULT_K)
        self.k_box.setToolTip("How many typical and how many wrong samples per class")
        row.addWidget(self.k_box)
        row.addStretch(1)
        row.addWidget(QLabel("Size"))
        self.size_box = size_box()
        row.addWidget(self.size_box)
        self.body_layout.addLayout(row)
        self.subtitle = make_subtitle()
        self.body_layout.addWidget(self.subtitle)
        self.grid = TileGrid()
        self.body_layout.addWidget(self.grid, 1)
        self.class_box.currentIndexChanged.connect(self._redraw)
        self.k_box.valueChanged.connect(self._redraw)
        self.size_box.currentTextChanged.connect(self._on_size)
        self.grid.tile_hovered.connect(self._on_hover)
        self.grid.tile_clicked.connect(self._on_click)
        self.watch_leave(self.grid.viewport())
        self._names: tuple[str, ...] = ()
        self._section_class: list[int] = []  # the class each drawn section lists
        self.options = TypicalOptions()
        bind(self.options, "k", self.k_box)
        bind(self.options, "size", self.size_box)

    # --- options --------------------------------------------------------------------------------
    def set_class(self, cls: Optional[int]) -> None:
        """Show one class (its index), or every class (None)."""
        self.class_box.setCurrentIndex(0 if cls is None else int(cls) + 1)

    def current_class(self) -> Optional[int]:
        i = self.class_box.currentIndex()
        return None if i <= 0 else i - 1

    def _on_size(self, text: str) -> None:
        self.grid.set_target_px(SIZES.get(text, 0))

    # --- drawing --------------------------------------------------------------------------------
    def _draw(self, result: TypicalResult) -> None:
        if tuple(result.class_names) != self._names:  # new data: back to the first class
            self._names = tuple(result.class_names)
            self.class_box.blockSignals(True)
            self.class_box.clear()
            self.class_box.addItems([ALL_CLASSES] + list(self._names))
            self.class_box.setCurrentIndex(1 if self._names else 0)
            self.class_box.blockSignals(False)
        self._redraw()

    def _redraw(self, *_) -> None:
        r: Optional[TypicalResult] = self._result
        if r is None:
            return
        k, cls = self.k_box.value(), self.current_class()
        sections: list[Section] = []
        if cls is None:
            for c in range(len(r.classes)):
                typical, wrong = self._tiles_of(r, c, k)
                if wrong:
                    wrong[0].gap_before = True
                sections.append(Section(
                    f"{r.class_names[c]}: most typical  |  most confidently wrong",
                    tiles=typical + wrong))
            self._section_class = list(range(len(r.classes)))
            what = ("each row: a class's most typical test samples, then (after the gap, red) "
                    "the samples of other classes the model is surest belong to it")
        else:
            name = r.class_names[cls]
            typical, wrong = self._tiles_of(r, cls, k)
            sections.append(Section(
                f"Most typical {name}",
                f"The {len(typical)} {name} test samples with the highest predicted "
                f"probability of {name}.", typical))
            sections.append(Section(
                f"Most confidently wrong: not {name}, yet most probably {name} to the model",
                f"Test samples of other classes with the highest probability p of {name}: "
                f"each with its true class and the class the model predicts.",
                wrong))
            self._section_class = [cls, cls]
            what = f"probabilities of {name} on the {r.split} split"
        self.subtitle.setText(f"{what} · click a tile to select it (shift adds)")
        self.grid.set_sections(sections)
        self._apply_marks()

    def _tiles_of(self, r: TypicalResult, cls: int, k: int) -> tuple[list[Tile], list[Tile]]:
        """(typical tiles, confidently wrong tiles) of one class."""
        c = r.classes[cls]
        typical = [self._tile(r, int(i), f"{p:.3f}\n#{int(i)}")
                   for i, p in zip(c.typical[:k], c.typical_probabilities[:k])]
        # said in words: "0.985 → Shirt" read as "predicted Shirt" for a true Shirt that the
        # model called T-shirt
        wrong = [self._tile(r, int(i), f"true {r.class_names[int(true)]}\np={p:.3f}\n"
                            f"predicted {r.class_names[int(r.predicted[r.row(int(i))])]}",
                            tone="bad")
                 for i, p, true in zip(c.wrong[:k], c.wrong_probabilities[:k],
                                       c.wrong_labels[:k])]
        return typical, wrong

    def _tile(self, r: TypicalResult, index: int, caption: str, tone: str = "") -> Tile:
        row = r.row(index)
        image = r.images[row] if r.images is not None else None
        text = r.texts[row][:400] if r.texts is not None else ""
        return Tile(image=image, caption=caption, text=text, key=index, tone=tone)

    def _hit(self, section: int, index: int) -> Optional[tuple[int, int]]:
        """(dataset index, class it is listed for) of a drawn tile."""
        sections = self.grid.sections()
        if not 0 <= section < len(sections) or not 0 <= index < len(sections[section].tiles):
            return None
        return int(sections[section].tiles[index].key), self._section_class[section]

    # --- selection ------------------------------------------------------------------------------
    def set_selection(self, selection: Selection) -> None:
        self._selection = selection
        self._apply_marks()

    def _apply_marks(self) -> None:
        r: Optional[TypicalResult] = self._result
        sel = self._selection
        on = r is not None and not sel.empty and sel.split == r.split
        self.grid.set_marked(set(int(i) for i in sel.indices) if on else set())

    def _on_click(self, section: int, index: int, shift: bool) -> None:
        hit = self._hit(section, index)
        r: Optional[TypicalResult] = self._result
        if hit is None or r is None:
            return
        self.selection_requested.emit(
            Selection.of(r.split, [hit[0]], f"typical inputs: {r.class_names[hit[1]]}"), shift)

    def _on_hover(self, section: int, index: int, pos: QPoint) -> None:
        hit = self._hit(section, index)
        r: Optional[TypicalResult] = self._result
        if hit is None or r is None:
            self.hide_hover()
            return
        i, cls = hit
        row = r.row(i)
        true, pred = int(r.labels[row]), int(r.predicted[row])
        c = r.classes[cls]
        listed = list(c.typical) + list(c.wrong)
        probs = list(c.typical_probabilities) + list(c.wrong_probabilities)
        p = probs[listed.index(i)] if i in listed else float("nan")
        lines = [f"#{i} ({r.split})", f"true: {r.class_names[true]}",
                 f"predicted: {r.class_names[pred]} ({r.confidence[row]:.3f}) "
                 f"{'✓' if pred == true else '✗'}",
                 f"p({r.class_names[cls]}) = {p:.4f}"]
        if r.texts is not None:
            lines.append(r.texts[row][:240])
        image = r.images[row] if r.images is not None else None
        self.show_hover(self.grid.canvas.mapTo(self, pos), [image], lines)

    def _clear_content(self) -> None:
        self.grid.clear()
        self._section_class = []
        self.subtitle.clear()

    def report_numbers(self) -> dict:
        """Every shown tile's sample and probability, under report.json's ``typical``."""
        r: Optional[TypicalResult] = self._result
        if self.is_empty() or r is None:
            return {}
        out: dict = {}
        count: dict[tuple[str, str], int] = {}
        for cls, section in zip(self._section_class, self.grid.sections()):
            name = r.class_names[cls]
            for tile in section.tiles:
                lines = tile.caption.split("\n")
                part = "wrong" if lines[0].startswith("true ") else "typical"
                j = count.get((name, part), 0)
                count[(name, part)] = j + 1
                key = f"typical.{name}.{part}.{j}"
                out[f"{key}.index"] = int(tile.key)
                out[f"{key}.p"] = shown_number(lines[1].removeprefix("p=") if part == "wrong"
                                               else lines[0])
                if part == "wrong":
                    out[f"{key}.true"] = lines[0].removeprefix("true ")
        return out

    def displayed(self) -> dict:
        if self.is_empty():
            return {}
        sections = self.grid.sections()
        return {"class": self.current_class(), "k": self.k_box.value(),
                "titles": [s.title for s in sections],
                "keys": [[t.key for t in s.tiles] for s in sections],
                "captions": [[t.caption for t in s.tiles] for s in sections],
                "marked": sorted(self.grid.marked())}
