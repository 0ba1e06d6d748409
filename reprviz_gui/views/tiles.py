"""A grid of image (or text) tiles in titled sections, shared by the course views (weights as
images, typical inputs, important regions).

Images are scaled by a whole factor with nearest-neighbour sampling, so every input pixel
stays one sharp square. The tiles reflow with the width; "fit" picks the largest factor at
which everything fits in the visible area. One painted widget rather than a QListWidget per
section: sections with headers and a shared factor need one layout, and painting a few hundred
pixmaps is cheaper than as many item widgets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QApplication, QComboBox, QFrame, QScrollArea, QWidget

from ..widgets.thumbnail_tooltip import array_to_qimage

GAP = 6  # between tiles
WIDE_GAP = 28  # before a tile that starts a second group (typical | confidently wrong)
MARGIN = 4
MIN_FIT_PX = 40  # "fit" never draws an image's longer side smaller than this
MAX_FIT_PX = 224
TEXT_TILE_PX = 230  # width of a tile that shows words instead of an image
TEXT_LINES = 5
# what the size box offers: longer image side in px (0 = fit the visible area)
SIZES: dict[str, int] = {"Fit": 0, "Small": 48, "Medium": 96, "Large": 160, "Huge": 256}


@dataclass
class Tile:
    image: Optional[np.ndarray] = None  # uint8 (h, w) or (h, w, 3)
    caption: str = ""  # a few lines ("\n"), elided to the tile's width
    text: str = ""  # a sample's words (text data), wrapped into the tile
    key: Any = None  # what the view knows the tile by (a dataset index, a unit)
    tone: str = ""  # "bad": caption in red (a wrong prediction)
    gap_before: bool = False  # a wider gap before this tile: a second group in the section


@dataclass
class Section:
    title: str = ""
    note: str = ""  # wrapped, in a softer colour, under the title
    tiles: list[Tile] = field(default_factory=list)


@dataclass
class _Placed:
    section: int
    index: int
    cell: QRect  # the whole tile
    image: QRect  # where the image (or text box) is drawn


def size_box() -> QComboBox:
    """The Fit / Small / ... choice every course view puts in its control row."""
    box = QComboBox()
    box.addItems(list(SIZES))
    box.setToolTip("How large the tiles are drawn (pixel-exact; Fit: as large as fits)")
    return box


def _balanced_columns(section: Section, cell_width: int, inner: int) -> int:
    """Tiles per row so that wrapped rows are about equally full (10 tiles that need two
    rows go 5 + 5, not 9 + 1); a section with a second group just fills its rows."""
    n = len(section.tiles)
    if n == 0 or any(t.gap_before for t in section.tiles):
        return n or 1
    fits = max(1, (inner + GAP) // (cell_width + GAP))
    rows = -(-n // fits)
    return -(-n // rows)


class _Canvas(QWidget):
    def __init__(self, grid: "TileGrid") -> None:
        super().__init__()
        self.grid = grid
        self.setMouseTracking(True)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self.grid._paint(self, event.rect())

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        self.grid._hover_at(event.position().toPoint())

    def leaveEvent(self, event) -> None:  # noqa: N802
        self.grid._hover_at(None)
        super().leaveEvent(event)

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            hit = self.grid.tile_at(event.position().toPoint())
            if hit is not None:
                shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
                self.grid.tile_clicked.emit(hit[0], hit[1], shift)
        super().mousePressEvent(event)


class TileGrid(QScrollArea):
    """Sections of tiles. ``tile_hovered(section, index, pos)`` (-1, -1 when the mouse leaves a
    tile; ``pos`` in ``canvas`` coordinates) and ``tile_clicked(section, index, shift)``."""

    tile_hovered = Signal(int, int, QPoint)
    tile_clicked = Signal(int, int, bool)

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("tileGrid")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setBackgroundRole(QPalette.ColorRole.Base)  # below the last row too
        self.canvas = _Canvas(self)
        self.setWidget(self.canvas)
        self._sections: list[Section] = []
        self._pixmaps: list[list[Optional[QPixmap]]] = []
        self._placed: list[_Placed] = []
        self._headers: list[tuple[QRect, QRect, int]] = []  # title rect, note rect, section
        self._factors: list[int] = []
        self._target_px = 0  # 0: fit
        self._rows = 0  # tile rows of the last layout (all sections)
        self._marked: set = set()  # tile keys drawn with a selection frame
        self._hovered: Optional[tuple[int, int]] = None
        self._title_font = QFont(QApplication.font())
        self._title_font.setBold(True)
        self._small_font = QFont(QApplication.font())
        if self._small_font.pointSizeF() > 0:
            self._small_font.setPointSizeF(max(7.0, self._small_font.pointSizeF() - 1))

    # --- content ------------------------------------------------------------------------------
    def set_sections(self, sections: list[Section]) -> None:
        self._sections = list(sections)
        self._pixmaps = [[QPixmap.fromImage(array_to_qimage(t.image)) if t.image is not None
                          else None for t in s.tiles] for s in self._sections]
        self._hovered = None
        self._relayout()

    def sections(self) -> list[Section]:
        return list(self._sections)

    def clear(self) -> None:
        self.set_sections([])

    def set_target_px(self, px: int) -> None:
        """Longer image side in pixels (rounded to a whole factor); 0 = fit the visible area."""
        self._target_px = max(0, int(px))
        self._relayout()

    def set_marked(self, keys) -> None:
        self._marked = set(keys)
        self.canvas.update()

    def marked(self) -> set:
        return set(self._marked)

    def factors(self) -> list[int]:
        """The whole factor each section's images are drawn at."""
        return list(self._factors)

    # --- geometry, for the views and tests -------------------------------------------------------
    def tile_at(self, pos: QPoint) -> Optional[tuple[int, int]]:
        for p in self._placed:
            if p.cell.contains(pos):
                return p.section, p.index
        return None

    def tile_rect(self, section: int, index: int) -> QRect:
        """Where a tile's image is drawn, in ``canvas`` coordinates (empty if not placed)."""
        for p in self._placed:
            if (p.section, p.index) == (section, index):
                return QRect(p.image)
        return QRect()

    def columns(self, section: int = 0) -> int:
        """Tiles in the first row of a section (how the grid reflowed)."""
        tops = [p.cell.top() for p in self._placed if p.section == section]
        return sum(1 for t in tops if t == tops[0]) if tops else 0

    # --- layout ---------------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._relayout()

    def _relayout(self) -> None:
        full = max(50, self.width() - 2 * self.frameWidth())
        visible = max(50, self.height() - 2 * self.frameWidth())
        bar = self.verticalScrollBar().sizeHint().width()
        factor = self._choose_factor(full, visible)
        height = self._layout(full, factor)
        if height > visible:  # a scroll bar will show: lay out again for the narrower width
            height = self._layout(full - bar, factor)
            self.canvas.resize(full - bar, height)
        else:
            self.canvas.resize(full, height)
        self.canvas.update()

    def _longest_side(self) -> int:
        sides = [max(t.image.shape[:2]) for s in self._sections for t in s.tiles
                 if t.image is not None]
        return max(sides) if sides else 0

    def _choose_factor(self, width: int, height: int) -> int:
        side = self._longest_side()
        if side == 0:
            return 1
        if self._target_px:
            return max(1, round(self._target_px / side))
        low = max(1, -(-MIN_FIT_PX // side))
        top = max(low, MAX_FIT_PX // side)
        for f in range(top, low - 1, -1):
            if self._layout(width, f, place=False) <= height:
                return f
        # Nothing fits the height (many sections, a short panel): it scrolls anyway, so fill
        # the width instead — the largest factor that wraps no section onto more rows (four
        # sections of ten in a wide panel were drawn at the 40 px minimum, a strip of tiles).
        self._layout(width, low, place=False)
        rows = self._rows
        for f in range(top, low, -1):
            self._layout(width, f, place=False)
            if self._rows <= rows:
                return f
        return low

    def _cell_size(self, section: Section, factor: int, fm: QFontMetrics) -> tuple[QSize, int]:
        """(cell size, caption lines) for a section's tiles at ``factor``."""
        lines = max((len(t.caption.split("\n")) for t in section.tiles if t.caption), default=0)
        images = [t.image.shape[:2] for t in section.tiles if t.image is not None]
        if images:
            w = max(s[1] for s in images) * factor
            h = max(s[0] for s in images) * factor
        elif any(t.text for t in section.tiles):
            w, h = TEXT_TILE_PX, TEXT_LINES * fm.lineSpacing() + 8
        else:
            w, h = 0, 0
        widest = max((fm.horizontalAdvance(line) for t in section.tiles
                      for line in t.caption.split("\n")), default=0)
        # captions may reach into the gaps beside their tile before they widen it
        w = max(w, min(widest + 2 - GAP, max(w, 1) * 2, 140), 24)
        return QSize(w, h + lines * fm.lineSpacing() + (4 if lines else 0)), lines

    def _layout(self, width: int, factor: int, place: bool = True) -> int:
        """Place every header and tile for this width; returns the total height."""
        fm = QFontMetrics(self._small_font)  # captions and tile texts
        title_fm, note_fm = QFontMetrics(self._title_font), QFontMetrics(self._small_font)
        placed: list[_Placed] = []
        headers: list[tuple[QRect, QRect, int]] = []
        factors: list[int] = []
        y = MARGIN
        rows = 0  # rows of tiles, over all sections
        inner = max(10, width - 2 * MARGIN)
        side = self._longest_side()
        for si, section in enumerate(self._sections):
            own = max((max(t.image.shape[:2]) for t in section.tiles if t.image is not None),
                      default=side)
            f = max(1, round(factor * side / own)) if own else factor  # same size on screen
            factors.append(f)
            title = QRect(MARGIN, y, inner, title_fm.height() if section.title else 0)
            y += title.height() + (2 if section.title else 0)
            note = QRect(MARGIN, y, inner, 0)
            if section.note:
                wrapped = note_fm.boundingRect(QRect(0, 0, inner, 10_000),
                                               Qt.TextFlag.TextWordWrap, section.note)
                note.setHeight(wrapped.height())
                y += note.height() + 4
            headers.append((title, note, si))
            cell, _ = self._cell_size(section, f, fm)
            x = MARGIN
            in_row = 0
            per_row = _balanced_columns(section, cell.width(), inner)
            for ti, tile in enumerate(section.tiles):
                step = (WIDE_GAP if tile.gap_before else 0)
                if in_row and (x + step + cell.width() > MARGIN + inner or in_row == per_row):
                    x, y, in_row = MARGIN, y + cell.height() + GAP, 0
                    rows += 1
                    step = 0
                x += step
                image = QRect(x, y, cell.width(), cell.height())
                if tile.image is not None:
                    ih, iw = tile.image.shape[:2]
                    image = QRect(x + (cell.width() - iw * f) // 2, y, iw * f, ih * f)
                elif tile.text:
                    image = QRect(x, y, cell.width(), TEXT_LINES * fm.lineSpacing() + 8)
                else:
                    image = QRect(x, y, cell.width(), 0)
                placed.append(_Placed(si, ti, QRect(x, y, cell.width(), cell.height()), image))
                x += cell.width() + GAP
                in_row += 1
            if section.tiles:
                y += cell.height()
                rows += 1
            y += 2 * GAP
        self._rows = rows
        if place:
            self._placed, self._headers, self._factors = placed, headers, factors
        return y + MARGIN

    # --- painting -------------------------------------------------------------------------------
    def _paint(self, canvas: QWidget, area: QRect) -> None:
        pal = self.palette()
        p = QPainter(canvas)
        p.fillRect(area, pal.color(QPalette.ColorRole.Base))
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)  # pixel-exact
        fg = pal.color(QPalette.ColorRole.Text)
        soft = QColor(*(int(0.6 * a + 0.4 * b) for a, b in
                        zip(fg.getRgb()[:3], pal.color(QPalette.ColorRole.Base).getRgb()[:3])))
        for title, note, si in self._headers:
            section = self._sections[si]
            if section.title and title.intersects(area):
                p.setFont(self._title_font)
                p.setPen(fg)
                p.drawText(title, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                           QFontMetrics(self._title_font).elidedText(
                               section.title, Qt.TextElideMode.ElideRight, title.width()))
            if section.note and note.intersects(area):
                p.setFont(self._small_font)
                p.setPen(soft)
                p.drawText(note, Qt.TextFlag.TextWordWrap, section.note)
        p.setFont(self._small_font)
        fm = QFontMetrics(self._small_font)
        frame = pal.color(QPalette.ColorRole.Mid)
        accent = pal.color(QPalette.ColorRole.Highlight)
        for placed in self._placed:
            if not placed.cell.adjusted(-4, -4, 4, 4).intersects(area):
                continue
            tile = self._sections[placed.section].tiles[placed.index]
            pix = self._pixmaps[placed.section][placed.index]
            box = placed.image
            if pix is not None:
                p.drawPixmap(box, pix)
            elif tile.text:
                p.fillRect(box, pal.color(QPalette.ColorRole.AlternateBase))
                p.setPen(fg)
                p.drawText(box.adjusted(4, 4, -4, -4), Qt.TextFlag.TextWordWrap, tile.text)
            if box.height():
                p.setPen(QPen(frame, 1))
                p.drawRect(box.adjusted(0, 0, -1, -1))
            if tile.key is not None and tile.key in self._marked:
                p.setPen(QPen(accent, 3))
                p.drawRect(box.adjusted(-2, -2, 1, 1))
            elif self._hovered == (placed.section, placed.index):
                p.setPen(QPen(accent, 1))
                p.drawRect(box.adjusted(-1, -1, 0, 0))
            if tile.caption:
                p.setPen(QColor(200, 30, 30) if tile.tone == "bad" else fg)
                y = box.bottom() + 3
                for line in tile.caption.split("\n"):
                    rect = QRect(placed.cell.left() - GAP // 2, y,
                                 placed.cell.width() + GAP - 1, fm.lineSpacing())
                    p.drawText(rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                               fm.elidedText(line, Qt.TextElideMode.ElideRight, rect.width()))
                    y += fm.lineSpacing()
        p.end()

    # --- mouse ----------------------------------------------------------------------------------
    def _hover_at(self, pos: Optional[QPoint]) -> None:
        hit = self.tile_at(pos) if pos is not None else None
        if hit != self._hovered:
            self._hovered = hit
            self.canvas.update()
        if hit is None:
            self.tile_hovered.emit(-1, -1, QPoint())
        else:
            self.tile_hovered.emit(hit[0], hit[1], pos)
