"""A big matrix drawn at screen resolution: an 8,000 × 8,000 cosine matrix as ~700 × 700 pixels.

pyqtgraph's ImageItem with ``autoDownsample`` averages the whole matrix into blocks in the GUI
thread on every render (8,000²: 160 ms, again after every zoom step; measured with
bench/window.py). Here, on every change of the view, the visible block is read every k-th row
and column, k being how many cells one screen pixel covers: a strided view copied once, about a
millisecond, and zooming in shows every cell exactly. Each pixel is one real cell, not an
average of many (a sampled, not a smoothed, picture).
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg

MAX_SIDE_PX = 4_096  # at most this many cells a side are drawn, whatever the view says


class ScreenImage:
    """Draws ``matrix`` into ``image`` (placed in cell coordinates: column x, row y) through
    ``viewbox``, about one cell per screen pixel (k = cells per pixel rounded down, so at most
    twice as many cells as pixels, never fewer)."""

    def __init__(self, image: pg.ImageItem, viewbox: pg.ViewBox) -> None:
        self.image, self.viewbox = image, viewbox
        image.setAutoDownsample(False)  # done here, once per view change
        self.matrix: Optional[np.ndarray] = None
        self.levels = (0.0, 1.0)
        self.step = (1, 1)  # (rows, columns) per drawn pixel, last drawn
        self._shown: Optional[tuple] = None
        viewbox.sigRangeChanged.connect(self._update)
        viewbox.sigResized.connect(self._update)

    def set_matrix(self, matrix: np.ndarray, levels: tuple[float, float]) -> None:
        self.matrix, self.levels, self._shown = matrix, (float(levels[0]), float(levels[1])), None
        self.image.clear()  # the next block sets the new levels
        self._update()

    def clear(self) -> None:
        self.matrix, self._shown = None, None
        self.image.clear()

    def _update(self, *_: object) -> None:
        m = self.matrix
        if m is None or not m.size:
            return
        n_rows, n_cols = m.shape[:2]
        (x0, x1), (y0, y1) = self.viewbox.viewRange()
        pw, ph = self.viewbox.viewPixelSize()  # cells per screen pixel
        ky = max(1, int(np.floor(ph))) if np.isfinite(ph) else 1
        kx = max(1, int(np.floor(pw))) if np.isfinite(pw) else 1
        # never more than MAX_SIDE_PX a side (a view not laid out yet has no pixel size)
        ky = max(ky, int(np.ceil(min(n_rows, abs(y1 - y0)) / MAX_SIDE_PX)))
        kx = max(kx, int(np.ceil(min(n_cols, abs(x1 - x0)) / MAX_SIDE_PX)))
        # the visible block, on a grid anchored at multiples of k: panning keeps the same
        # cells, so the picture does not shimmer
        r0 = int(np.clip(np.floor(min(y0, y1) / ky) * ky, 0, n_rows - 1))
        c0 = int(np.clip(np.floor(min(x0, x1) / kx) * kx, 0, n_cols - 1))
        r1 = int(np.clip(np.ceil(max(y0, y1)), r0 + 1, n_rows))
        c1 = int(np.clip(np.ceil(max(x0, x1)), c0 + 1, n_cols))
        key = (r0, r1, c0, c1, ky, kx)
        if key == self._shown:
            return
        self._shown, self.step = key, (ky, kx)
        block = np.ascontiguousarray(m[r0:r1:ky, c0:c1:kx])
        first = self.image.image is None
        if first:  # later blocks keep the levels (the user may have dragged them)
            self.image.setImage(block, autoLevels=False, levels=self.levels)
        else:
            self.image.setImage(block, autoLevels=False)
        rows, cols = block.shape[:2]
        self.image.setRect(c0, r0, min(cols * kx, n_cols - c0), min(rows * ky, n_rows - r0))
