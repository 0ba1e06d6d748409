"""Many points drawn at screen resolution: one image per paint, rasterised with numpy.

pyqtgraph's ScatterPlotItem draws one pixmap fragment per point and keeps a Python-level style
record per point: 70,000 points took 160 ms to repaint after a pan and 2.8 s to set (measured,
bench/window.py). Here a paint maps the points through the painter's transform to device pixels
and stamps one antialiased sprite per point (the symbol rendered once by QPainter, with
pyqtgraph's own symbol shapes) into an RGBA buffer, then draws that buffer as one image: 70,000
points in about 15 ms, and colours are one (N, 4) array. The image is kept while the view only
pans (all the points are rasterised when that costs little more than the visible ones).

Compositing, per pixel: the colour is that of the last point drawn there (points are drawn in
array order, as a painter would; the map shuffles them so no class hides another), and the
opacity is what ``count`` overlapping points of opacity ``alpha`` give:
``1 - (1 - alpha * coverage) * (1 - alpha) ** (count - 1)``, so dense clusters still read
darker than sparse ones. Positions snap to whole device pixels.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from pyqtgraph.graphicsItems.ScatterPlotItem import drawSymbol
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPen

MAX_SIDE_PX = 16_384  # never allocate a buffer beyond this (a zoom into nothing, a huge export)
MAX_PALETTE = 1_024  # distinct colours kept exactly (a map has classes × a few opacities)
STACK_LEVELS = 32  # points under a pixel counted up to this many (then it is opaque anyway)
CACHE_AREA = 2.0  # all points are rasterised when that is at most this × the visible area
# From this many points a zoom step first shows the last image rescaled (a few ms) and the
# points are rasterised again once the zoom pauses for SHARPEN_AFTER_MS: a full rasterise of
# 1,000,000 points costs ~45 ms of CPU, more than a wheel's steps are apart
DEFER_FROM = 200_000
SHARPEN_AFTER_MS = 80


class Sprite:
    """One symbol's footprint in device pixels: offsets from the centre pixel, the symbol's
    coverage there (0-1) and how much of it is the edge (0-1)."""

    def __init__(self, symbol: str, size: float, edge_width: float, dpr: float) -> None:
        pad = int(np.ceil(edge_width)) + 2
        side = int(np.ceil(dpr * (size + pad))) | 1  # odd: the centre is a pixel
        half = side // 2

        def render(pen: QPen, brush: QBrush) -> np.ndarray:
            img = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
            img.fill(0)
            p = QPainter(img)
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.translate(half + 0.5, half + 0.5)  # the centre of the middle pixel
            drawSymbol(p, symbol, size * dpr, pen, brush)
            p.end()
            a = np.frombuffer(img.constBits(), dtype=np.uint8).reshape(side, side, 4)
            return a[:, :, 3].astype(np.float32) / 255.0

        white = QColor(255, 255, 255)
        if edge_width > 0:
            pen = QPen(white, edge_width * dpr / max(size * dpr, 1e-6))  # drawSymbol scales
            pen.setCosmetic(False)
            whole = render(pen, QBrush(white))
            edge = render(pen, QBrush(Qt.BrushStyle.NoBrush))
        else:
            whole = render(QPen(Qt.PenStyle.NoPen), QBrush(white))
            edge = np.zeros_like(whole)
        # tiny symbols (the 3 px points of a 70,000-point map): the faint corners cost as
        # much to stamp as the body (9 pixels instead of 5) and are barely visible
        keep = whole > (0.6 if size * dpr <= 3 else 0.02)
        oy, ox = np.nonzero(keep)
        self.dx = (ox - half).astype(np.int32)
        self.dy = (oy - half).astype(np.int32)
        self.coverage = whole[keep]
        self.edge = np.clip(edge[keep] / np.maximum(whole[keep], 1e-6), 0.0, 1.0)
        self.radius = half


class PointCloud(pg.GraphicsObject):
    """Points of one symbol and size (pixels), each with its own RGBA colour (or one ``fill``
    colour for all), an optional edge of one colour; drawn in array order."""

    def __init__(self, symbol: str = "o", size: float = 5.0,
                 edge: Optional[tuple[int, int, int, int]] = None, edge_width: float = 1.0,
                 fill: Optional[tuple[int, int, int, int]] = None) -> None:
        super().__init__()
        self._symbol = symbol
        self._size = float(size)
        self._edge = None if edge is None else np.array(edge, dtype=np.float32)
        self._edge_width = float(edge_width) if edge is not None else 0.0
        self._fill = None if fill is None else np.array(fill, dtype=np.uint8)
        self._xy = np.zeros((0, 2), dtype=np.float64)
        self._colors = np.zeros((0, 4), dtype=np.uint8)
        self._rows = np.zeros(0, dtype=np.int64)
        self._bounds: Optional[tuple[float, float, float, float]] = None
        self._sprites: dict[tuple, Sprite] = {}
        self._luts: dict[int, np.ndarray] = {}
        self._work: dict[str, np.ndarray] = {}
        self._work_size = 0
        self._version = 0  # bumped by every change: the cached image is then redrawn
        self._cache: Optional[tuple] = None
        self._sharpen = QTimer(self)  # a zoom of a large cloud: the sharp image when it pauses
        self._sharpen.setSingleShot(True)
        self._sharpen.setInterval(SHARPEN_AFTER_MS)
        self._sharpen.timeout.connect(self._sharpen_now)
        self._sharp_due = False
        self.rescaled_paints = 0  # zoom steps shown as the last image rescaled (for tests)
        self._set_palette()

    # -- data --------------------------------------------------------------------------------
    def set_data(self, coords: np.ndarray, colors: Optional[np.ndarray] = None,
                 rows: Optional[np.ndarray] = None) -> None:
        """``coords`` (N, 2); ``colors`` (N, 4) uint8 RGBA (ignored with a ``fill``);
        ``rows``: what each point stands for (returned by ``rows()``), default 0..N-1."""
        xy = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
        n = len(xy)
        self.prepareGeometryChange()
        self._xy = xy
        self._rows = np.arange(n, dtype=np.int64) if rows is None else \
            np.asarray(rows, dtype=np.int64).reshape(n)
        self._colors = self._colors_for(colors, n)
        self._set_palette()
        self._version += 1
        finite = xy[np.all(np.isfinite(xy), axis=1)]
        self._bounds = None if not len(finite) else \
            (*finite.min(axis=0).astype(float), *finite.max(axis=0).astype(float))
        self.informViewBoundsChanged()
        self.update()

    def set_colors(self, colors: np.ndarray) -> None:
        self._colors = self._colors_for(colors, len(self._xy))
        self._set_palette()
        self._version += 1
        self.update()

    def _colors_for(self, colors: Optional[np.ndarray], n: int) -> np.ndarray:
        if self._fill is not None or colors is None:
            fill = self._fill if self._fill is not None else np.array([0, 0, 0, 255], np.uint8)
            return np.broadcast_to(fill, (n, 4))
        c = np.asarray(colors, dtype=np.uint8).reshape(n, 4)
        return c

    def set_size(self, size: float) -> None:
        self.prepareGeometryChange()
        self._size = float(size)
        self._version += 1
        self.informViewBoundsChanged()
        self.update()

    def clear(self) -> None:
        self.set_data(np.zeros((0, 2)))

    def __len__(self) -> int:
        return len(self._xy)

    def coords(self) -> np.ndarray:
        return self._xy

    def colors(self) -> np.ndarray:
        return np.array(self._colors)

    def rows(self) -> np.ndarray:
        return self._rows

    @property
    def opts(self) -> dict:
        """The style, named as pyqtgraph names it: symbol, size (px), pen, brush."""
        pen = QPen(Qt.PenStyle.NoPen) if self._edge is None else \
            pg.mkPen(*(int(v) for v in self._edge), width=self._edge_width)
        brush = None if self._fill is None else pg.mkBrush(*(int(v) for v in self._fill))
        return {"symbol": self._symbol, "size": self._size, "pen": pen, "brush": brush}

    # -- geometry ----------------------------------------------------------------------------
    def pixelPadding(self) -> float:  # noqa: N802 - pyqtgraph API (auto-range)
        return self._size / 2 + self._edge_width

    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None):  # noqa: N802, N803
        if self._bounds is None:
            return (None, None)
        return (self._bounds[ax], self._bounds[ax + 2])

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        if self._bounds is None:
            return QRectF()
        x0, y0, x1, y1 = self._bounds
        px, py = self.pixelVectors()
        pad = self.pixelPadding() + 1
        wx = 0.0 if px is None else px.length() * pad
        wy = 0.0 if py is None else py.length() * pad
        return QRectF(x0 - wx, y0 - wy, x1 - x0 + 2 * wx, y1 - y0 + 2 * wy)

    def viewTransformChanged(self) -> None:  # noqa: N802 - pyqtgraph API
        self.prepareGeometryChange()  # the pixel padding, in data units, changed
        super().viewTransformChanged()

    # -- drawing -----------------------------------------------------------------------------
    def _set_palette(self) -> None:
        """The distinct colours (few: classes × a few opacities) and each point's index into
        them; beyond ``MAX_PALETTE`` colours they are quantised until they fit."""
        colors = np.ascontiguousarray(self._colors, dtype=np.uint8)
        step = 1
        while True:
            packed = (colors // step * step).view("<u4").ravel()
            palette, index = np.unique(packed, return_inverse=True)
            if len(palette) <= MAX_PALETTE or step >= 32:
                break
            step *= 2
        self._palette, self._palette_index = palette, index.astype(np.int32).ravel()
        self._luts = {}

    def _lut(self, sprite: Sprite) -> tuple[np.ndarray, int]:
        """Premultiplied RGBA (uint32) for every (palette colour, sprite pixel, number of
        points under it) — what a pixel becomes, looked up instead of computed per pixel."""
        levels = STACK_LEVELS
        lut = self._luts.get(id(sprite))
        if lut is None:
            pal = self._palette.view(np.uint8).reshape(-1, 4).astype(np.float32)
            alpha = pal[:, 3, None, None] / 255.0  # (P, 1, 1)
            under = np.arange(levels, dtype=np.float32)[None, None, :]
            opacity = 1.0 - (1.0 - alpha * sprite.coverage[None, :, None]) \
                * (1.0 - alpha) ** under  # (P, K, L)
            e = sprite.edge[None, :, None]
            rgb = pal[:, None, :3] * (1.0 - e)
            if self._edge is not None:
                rgb = rgb + self._edge[None, None, :3] * e
            out = np.empty(opacity.shape + (4,), dtype=np.uint8)
            out[..., :3] = np.rint(rgb[:, :, None, :] * opacity[..., None])
            out[..., 3] = np.rint(255.0 * opacity)
            lut = out.view("<u4").ravel()
            self._luts = {id(sprite): lut}
        return lut, levels

    def _sprite(self, dpr: float) -> Sprite:
        key = (self._symbol, self._size, self._edge_width, dpr)
        s = self._sprites.get(key)
        if s is None:
            self._sprites = {key: Sprite(self._symbol, self._size, self._edge_width, dpr)}
            s = self._sprites[key]
        return s

    def paint(self, p: QPainter, option, widget=None) -> None:  # noqa: D102 - Qt API
        if not len(self._xy):
            return
        view = self.viewRect()
        if view is None:
            return
        t = p.transform()
        dpr = float(p.device().devicePixelRatioF()) if p.device() is not None else 1.0
        bounds = self.boundingRect()
        visible = t.mapRect(view.intersected(bounds))
        if visible.isEmpty():
            return
        shape = (t.m11(), t.m12(), t.m21(), t.m22(), dpr, self._version)
        c = self._cache
        if c is not None and c[0] != shape and self._rescale(p, t, shape, c):
            return
        if c is None or c[0] != shape or not c[1].translated(t.dx() - c[2], t.dy() - c[3]) \
                .contains(visible):
            # a pan only moves the image: all points are rasterised when that costs little
            # more than the visible ones
            whole = t.mapRect(bounds)
            area = whole if whole.width() * whole.height() <= \
                CACHE_AREA * visible.width() * visible.height() else visible
            x0, y0 = np.floor(area.left()), np.floor(area.top())
            w = int(min(MAX_SIDE_PX, np.ceil((area.right() - x0) * dpr)))
            h = int(min(MAX_SIDE_PX, np.ceil((area.bottom() - y0) * dpr)))
            drawn = self.rasterise(t, x0, y0, w, h, dpr) if w > 0 and h > 0 else None
            if drawn is None:
                self._cache = None
                return
            image, pad = drawn
            image = image.copy()  # the work buffer is reused by the next paint
            hp, wp = image.shape
            qimg = QImage(image.data, wp, hp, 4 * wp,
                          QImage.Format.Format_RGBA8888_Premultiplied)
            qimg.setDevicePixelRatio(dpr)
            covers = QRectF(float(x0), float(y0), w / dpr, h / dpr)
            at = QPointF(float(x0) - pad / dpr, float(y0) - pad / dpr)
            c = self._cache = (shape, covers, t.dx(), t.dy(), at, qimg, image)
        shape_, covers, dx, dy, at, qimg, _ = c
        p.save()
        p.resetTransform()  # the margin beyond the view is clipped by the view box
        p.drawImage(at + QPointF(t.dx() - dx, t.dy() - dy), qimg)
        p.restore()

    def _rescale(self, p: QPainter, t, shape: tuple, c: tuple) -> bool:
        """A zoom step of a large cloud: draw the last image scaled to the new transform and
        ask for the sharp one when the zoom pauses. False: draw as usual."""
        old = c[0]
        if (self._sharp_due or len(self._xy) < DEFER_FROM or old[4:] != shape[4:]
                or old[1] or old[2] or shape[1] or shape[2] or not old[0] or not old[3]):
            self._sharp_due = False
            return False
        kx, ky = shape[0] / old[0], shape[3] / old[3]
        _, _, dx, dy, at, qimg, _ = c
        p.save()
        p.resetTransform()
        p.translate(t.dx(), t.dy())
        p.scale(kx, ky)
        p.translate(-dx, -dy)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        p.drawImage(at, qimg)
        p.restore()
        self.rescaled_paints += 1
        self._sharpen.start()
        return True

    def _sharpen_now(self) -> None:
        self._sharp_due = True
        self.update()

    def rasterise(self, t, x0: float, y0: float, w: int, h: int,
                  dpr: float) -> Optional[tuple[np.ndarray, int]]:
        """The points under the item-to-device transform ``t`` as premultiplied RGBA pixels
        (one little-endian uint32 each) of the device rectangle at (x0, y0), w × h device
        pixels, with a margin of ``pad`` pixels on every side: ``(image (h + 2 pad,
        w + 2 pad), pad)``; None when no point is there."""
        sprite = self._sprite(dpr)
        r = sprite.radius
        pad = 2 * r  # a sprite centred anywhere in [-r, w + r) stays inside the buffer
        wp, hp = w + 2 * pad, h + 2 * pad
        x, y = self._xy[:, 0], self._xy[:, 1]
        # QTransform: x' = m11 x + m21 y + dx, y' = m12 x + m22 y + dy (device-independent px)
        if t.m21() == 0 and t.m12() == 0:  # no rotation (a map): half the arithmetic
            cx = np.rint(x * (t.m11() * dpr) + ((t.dx() - x0) * dpr + pad))
            cy = np.rint(y * (t.m22() * dpr) + ((t.dy() - y0) * dpr + pad))
        else:
            cx = np.rint((t.m11() * x + t.m21() * y + t.dx() - x0) * dpr + pad)
            cy = np.rint((t.m12() * x + t.m22() * y + t.dy() - y0) * dpr + pad)
        inside = (cx >= r) & (cx < wp - r) & (cy >= r) & (cy < hp - r)  # NaN: never inside
        order = np.flatnonzero(inside).astype(np.int32)  # increasing: the draw order is kept
        if not len(order):
            return None
        centre = cy[order].astype(np.int32)
        centre *= wp
        centre += cx[order].astype(np.int32)
        buf = self._buffers(wp * hp)
        top = buf["top"]
        # a million points put many on one pixel: each centre pixel is stamped once, by the
        # last point drawn there (the one on top), weighted by how many points it stands for.
        # The picture is the same: a pixel's top point is the last of all points covering it,
        # and that is the last one at its own centre; the counts add up alike.
        seq = np.arange(len(centre), dtype=np.int32)
        top[centre] = seq  # numpy assigns repeated indices in order: the last point wins
        last = np.flatnonzero(top[centre] == seq)  # increasing: the draw order is kept
        top[centre] = -1
        per_centre = np.bincount(centre, minlength=wp * hp)[centre[last]]
        centre, order = centre[last], order[last]
        k = len(sprite.dx)
        offsets = (sprite.dy * wp + sprite.dx).astype(np.int32)
        pixel = (centre[:, None] + offsets[None, :]).ravel()  # point-major: draw order
        # the point on top: numpy assigns repeated indices in order, so the last point drawn
        # wins (np.maximum.at gives the same picture and is guaranteed to, at twice the cost;
        # were the order ever different, a pixel would show another of its points)
        top[pixel] = np.arange(len(pixel), dtype=np.int32)
        if len(last) == len(seq):  # no two points share a centre: plain counts
            covers = np.bincount(pixel, minlength=wp * hp)
        else:  # how many points lie over each pixel
            covers = np.bincount(pixel, weights=np.repeat(per_centre, k).astype(np.float32),
                                 minlength=wp * hp).astype(np.int64)
        covered = np.flatnonzero(top[: wp * hp] >= 0)
        drawn, offset = np.divmod(top[covered], k)
        lut, levels = self._lut(sprite)
        key = (self._palette_index[order[drawn]] * k + offset) * levels
        key += np.minimum(covers[covered] - 1, levels - 1)
        out = buf["out"][: wp * hp]
        out.fill(0)
        out[covered] = lut[key]
        top[covered] = -1  # leave the work buffer as it was found
        return out.reshape(hp, wp), pad

    def _buffers(self, size: int) -> dict[str, np.ndarray]:
        """Work buffers kept between paints (fresh ones each paint cost page faults), at least
        ``size`` long; ``top`` is all -1 between paints."""
        if self._work_size < size:
            size = int(size * 1.25)  # a pan changes the size a little: no reallocation
            self._work = {"top": np.full(size, -1, np.int32), "out": np.zeros(size, "<u4")}
            self._work_size = size
        return self._work
