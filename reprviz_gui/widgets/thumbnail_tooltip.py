"""A small hover card: one or two sample thumbnails, scaled up pixel-exact, and a few lines of text.

It is a plain child widget floating over its parent panel (not a separate window), so it can never
take focus, never outlives the panel, and never shows up in ``QApplication.topLevelWidgets()``.
It ignores the mouse, so moving over it keeps feeding hover events to the view underneath.
"""

from __future__ import annotations

from typing import Iterable, Optional, Sequence

import numpy as np
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QImage, QPalette, QPixmap
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

THUMB_TARGET_PX = 112  # a 28x28 image shows at x4, 32x32 at x4, 8x8 digits at x12
CURSOR_OFFSET = 16
MAX_TEXT_WIDTH = 280


def array_to_qimage(arr: np.ndarray) -> QImage:
    """uint8 (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) -> an owning QImage."""
    a = np.asarray(arr)
    if a.dtype != np.uint8:
        a = np.clip(a, 0, 255).astype(np.uint8)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    a = np.ascontiguousarray(a)
    h, w = a.shape[:2]
    if a.ndim == 2:
        fmt = QImage.Format.Format_Grayscale8
    elif a.shape[2] == 3:
        fmt = QImage.Format.Format_RGB888
    elif a.shape[2] == 4:
        fmt = QImage.Format.Format_RGBA8888
    else:
        raise ValueError(f"cannot show an image of shape {arr.shape}")
    img = QImage(a.data, w, h, a.strides[0], fmt)
    return img.copy()  # detach from the numpy buffer


def scale_factor(h: int, w: int) -> int:
    return int(max(1, min(12, round(THUMB_TARGET_PX / max(h, w, 1)))))


class ThumbnailTooltip(QFrame):
    """Hover card floating over `parent`. Call `show_at(pos, images, lines)`; `hide()` on leave."""

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setObjectName("ThumbnailTooltip")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        pal = self.palette()
        bg = pal.color(QPalette.ColorRole.ToolTipBase)
        fg = pal.color(QPalette.ColorRole.ToolTipText)
        border = pal.color(QPalette.ColorRole.Mid)
        # Stylesheets have no palette(tool-tip-*) roles, so the colours are spelled out.
        self.setStyleSheet(
            f"#ThumbnailTooltip {{ background: {bg.name()}; border: 1px solid {border.name()};"
            f" border-radius: 4px; }}"
            f"#ThumbnailTooltip QLabel {{ background: transparent; color: {fg.name()}; }}"
        )
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        outer.setSpacing(4)
        self._images_row = QHBoxLayout()
        self._images_row.setSpacing(6)
        self._image_labels: list[QLabel] = []
        outer.addLayout(self._images_row)
        self._text = QLabel(self)
        self._text.setTextFormat(Qt.TextFormat.PlainText)
        self._text.setWordWrap(True)
        self._text.setMaximumWidth(MAX_TEXT_WIDTH)
        outer.addWidget(self._text)
        self.hide()

    # -- content -------------------------------------------------------------------------------
    def set_content(self, images: Iterable[Optional[np.ndarray]] = (), lines: Sequence[str] = ()) -> None:
        imgs = [im for im in images if im is not None]
        while len(self._image_labels) < len(imgs):
            lab = QLabel(self)
            lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self._images_row.addWidget(lab)
            self._image_labels.append(lab)
        for i, lab in enumerate(self._image_labels):
            if i < len(imgs):
                qimg = array_to_qimage(imgs[i])
                f = scale_factor(qimg.height(), qimg.width())
                pix = QPixmap.fromImage(qimg).scaled(
                    qimg.width() * f, qimg.height() * f,
                    Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.FastTransformation,
                )
                lab.setPixmap(pix)
                lab.show()
            else:
                lab.clear()
                lab.hide()
        text = "\n".join(line for line in lines if line)
        self._text.setText(text)
        # QLabel's word wrap picks a narrow "pleasant" width; ask for the natural one up to the cap.
        fm = self._text.fontMetrics()
        natural = max((fm.horizontalAdvance(line) for line in text.split("\n")), default=0) + 2
        self._text.setMinimumWidth(min(natural, MAX_TEXT_WIDTH))
        self._text.setVisible(bool(text))
        self.adjustSize()

    def text(self) -> str:
        return self._text.text()

    def image_count(self) -> int:
        return sum(1 for lab in self._image_labels if not lab.isHidden())

    # -- placement -----------------------------------------------------------------------------
    def show_at(self, pos: QPoint, images: Iterable[Optional[np.ndarray]] = (),
                lines: Sequence[str] = ()) -> None:
        """Show near `pos` (parent coordinates), flipped to stay inside the parent."""
        self.set_content(images, lines)
        self.move_near(pos)
        self.raise_()
        self.show()

    def move_near(self, pos: QPoint) -> None:
        parent = self.parentWidget()
        size = self.sizeHint().expandedTo(self.minimumSizeHint())
        self.resize(size)
        area = parent.rect() if parent is not None else QRect(0, 0, 10_000, 10_000)
        x = pos.x() + CURSOR_OFFSET
        y = pos.y() + CURSOR_OFFSET
        if x + size.width() > area.right():
            x = pos.x() - CURSOR_OFFSET - size.width()
        if y + size.height() > area.bottom():
            y = pos.y() - CURSOR_OFFSET - size.height()
        x = max(area.left(), min(x, area.right() - size.width()))
        y = max(area.top(), min(y, area.bottom() - size.height()))
        self.move(x, y)
