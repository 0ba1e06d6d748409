"""What the map draws over its points: word labels (word tables) and analogy arrows.

The arrows show each pair's offset (capital → country) from the source word's point to the
target word's point. Their heads are drawn in pixels (a fixed size and angle on screen, whatever
the axes' scales), so they are recomputed whenever the view's range or size changes; a shaft
stops a few pixels short of both points so the points and the head stay readable.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QWidget

from .theme import palette_colors, tick_font

MAX_WORD_LABELS = 400  # more text items than this turns the map into a grey smear
HEAD_PX = 9.0  # arrow head length on screen
HEAD_ANGLE = np.deg2rad(24.0)
GAP_PX = 5.0  # the shaft stops this far from each point's centre
ARROW_COLOR = (204, 85, 0, 220)  # dark orange: stands out from the grey "no colour" points


def swatch(color: QColor, size: int = 12) -> QIcon:
    """A round legend swatch."""
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color)
    p.drawEllipse(1, 1, size - 2, size - 2)
    p.end()
    return QIcon(pix)


class WordLabels:
    """One text item per word, right of its point (up to ``MAX_WORD_LABELS``)."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.plot = plot
        self.items: list[pg.TextItem] = []

    def draw(self, words: Optional[tuple[str, ...]], coords: np.ndarray, widget: QWidget) -> None:
        self.clear()
        if words is None or len(words) > MAX_WORD_LABELS:
            return
        _, fg = palette_colors(widget)
        color = QColor(fg.red(), fg.green(), fg.blue(), 210)
        font = tick_font(-0.5)
        for i, word in enumerate(words):
            t = pg.TextItem(" " + str(word), color=color, anchor=(0, 0.5))
            t.setFont(font)
            t.setPos(float(coords[i, 0]), float(coords[i, 1]))
            t.setZValue(1)
            self.plot.addItem(t)
            self.items.append(t)

    def clear(self) -> None:
        for item in self.items:
            self.plot.removeItem(item)
        self.items = []

    def texts(self) -> list[str]:
        return [t.toPlainText().strip() for t in self.items]


class AnalogyArrows:
    """Arrows from ``starts[i]`` to ``ends[i]`` (data coordinates), one curve of line pairs."""

    def __init__(self, plot: pg.PlotItem, viewbox: pg.ViewBox) -> None:
        self.viewbox = viewbox
        self.curve = pg.PlotCurveItem(connect="pairs", antialias=True,
                                      pen=pg.mkPen(*ARROW_COLOR, width=1.6))
        self.curve.setZValue(1.5)  # over the points, under the selection
        plot.addItem(self.curve, ignoreBounds=True)
        self.starts = np.zeros((0, 2))
        self.ends = np.zeros((0, 2))
        viewbox.sigRangeChanged.connect(self._redraw)
        viewbox.sigResized.connect(self._redraw)

    def set(self, starts: np.ndarray, ends: np.ndarray) -> None:
        self.starts = np.asarray(starts, dtype=np.float64).reshape(-1, 2)
        self.ends = np.asarray(ends, dtype=np.float64).reshape(-1, 2)
        self._redraw()

    def clear(self) -> None:
        self.set(np.zeros((0, 2)), np.zeros((0, 2)))

    def visible(self) -> bool:
        return self.curve.isVisible()

    def _redraw(self, *_: object) -> None:
        pw, ph = self.viewbox.viewPixelSize()
        if not len(self.starts) or not (pw > 0 and ph > 0):
            self.curve.setData(x=np.zeros(0), y=np.zeros(0))
            return
        scale = np.array([pw, ph])
        a, b = self.starts / scale, self.ends / scale  # in pixels (y up)
        d = b - a
        length = np.hypot(d[:, 0], d[:, 1])
        keep = length > 2 * GAP_PX + 1
        a, b, d, length = a[keep], b[keep], d[keep], length[keep]
        u = d / length[:, None]
        tail, tip = a + GAP_PX * u, b - GAP_PX * u
        segs = [tail, tip]
        for sign in (1.0, -1.0):  # the two barbs: the direction back from the tip, turned
            c, s = np.cos(HEAD_ANGLE), sign * np.sin(HEAD_ANGLE)
            back = -np.stack([u[:, 0] * c - u[:, 1] * s, u[:, 0] * s + u[:, 1] * c], axis=1)
            segs += [tip, tip + HEAD_PX * back]
        pts = np.stack(segs, axis=1).reshape(-1, 2) * scale  # (P * 6, 2) line pairs
        self.curve.setData(x=pts[:, 0], y=pts[:, 1])

    def segments(self) -> np.ndarray:
        """(P, 2, 2): each arrow's (start, end) in data coordinates, as set."""
        return np.stack([self.starts, self.ends], axis=1) if len(self.starts) else \
            np.zeros((0, 2, 2))


class MapOverlays:
    """The map's word-table parts, a mixin of ``MapPanel``: word labels, "colour by: none" by
    default, and the analogy arrows with their "Show analogy arrows" checkbox. The arrows come
    from the "words" product (``show_product``), which the map's view spec also asks for."""

    def _init_overlays(self, bar: QHBoxLayout) -> None:
        self.word_labels = WordLabels(self.plot)
        self.arrows = AnalogyArrows(self.plot, self.viewbox)
        self._arrow_pairs: Optional[np.ndarray] = None  # (P, 2) test-split indices
        self.arrows_check = QCheckBox("Show analogy arrows")
        self.arrows_check.setToolTip("An arrow from each word to its pair (capital → country): "
                                     "the offsets the analogies add")
        self.arrows_check.toggled.connect(self._on_arrows_toggled)
        self.arrows_check.hide()  # only for word tables with pairs
        bar.insertWidget(bar.indexOf(self.errors_check) + 1, self.arrows_check)

    @property
    def _word_items(self) -> list:
        return self.word_labels.items

    def set_dataset(self, dataset: Any) -> None:
        """A word table starts coloured by its kind (capital / country) when it has one, and
        without colours only when it has no classes: "Colour by: None" on capitals showed one
        colour for two kinds of word."""
        words = dataset is not None and dataset.words is not None
        if words or self._colour_by == self.NONE:
            unlabelled = words and len(dataset.class_names) <= 1
            self._colour_by = self.NONE if unlabelled else self.TRUE
            self._set_combo(self._colour_by)
        self.set_arrows(None)

    def show_product(self, kind: str, session_id: str, result: Any) -> None:
        if kind == "words":  # a word table's pairs: the arrows
            a = result.offsets
            self.set_arrows(None if a is None or not a.pairs else
                            np.array([(p.source_row, p.target_row) for p in a.pairs]))
        else:
            self.show_result(result)

    def product_unavailable(self, kind: str, session_id: str, why: str) -> None:
        if kind == "words":
            self.set_arrows(None)
        else:
            self.clear(why)

    def set_arrows(self, pairs: Optional[np.ndarray]) -> None:
        """Arrows from each pair's first to its second sample, ``pairs`` (P, 2) of indices into
        the test split (a word table's rows); None: no arrows (and no checkbox)."""
        self._arrow_pairs = None if pairs is None or not len(pairs) else \
            np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        self.arrows_check.setVisible(self._arrow_pairs is not None)
        self._draw_arrows()

    def set_show_arrows(self, show: bool) -> bool:
        """Turn the arrows on or off from code (emits nothing); True: the map draws them."""
        with QSignalBlocker(self.arrows_check):
            self.arrows_check.setChecked(bool(show))
        self._draw_arrows()
        return True

    def _on_arrows_toggled(self, checked: bool) -> None:
        self._draw_arrows()

    def _draw_arrows(self) -> None:
        """The pairs whose both samples are in the map, if the checkbox is on."""
        pairs, r = self._arrow_pairs, self._result
        if pairs is None or r is None or not self.arrows_check.isChecked() or \
                r.samples.split != "test" or not self._coords.shape[0]:
            self.arrows.clear()
            return
        row_of = {int(i): k for k, i in enumerate(r.samples.indices)}
        rows = np.array([(row_of[a], row_of[b]) for a, b in pairs
                         if int(a) in row_of and int(b) in row_of], dtype=np.int64).reshape(-1, 2)
        self.arrows.set(self._coords[rows[:, 0]], self._coords[rows[:, 1]])
