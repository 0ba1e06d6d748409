"""Export a film (the Film view's frames) as an animated GIF (imageio) or as numbered PNGs: each
frame drawn by the view itself, with its epoch and accuracy, then the view goes back to the frame
it showed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtGui import QImage


def _rgb(image: QImage) -> np.ndarray:
    img = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = img.width(), img.height(), img.bytesPerLine()
    buf = np.frombuffer(img.constBits(), dtype=np.uint8, count=stride * h)
    return buf.reshape(h, stride)[:, : w * 3].reshape(h, w, 3).copy()


def film_frames(panel: Any) -> list[np.ndarray]:
    """Every frame of the panel's film as an (H, W, 3) uint8 image of the view's body."""
    r = panel.result()
    if r is None:
        return []
    was = panel.slider.value()
    frames = []
    try:
        for i in range(r.maps.n_frames):
            panel.show_frame(i)
            frames.append(_rgb(panel.body.grab().toImage()))
    finally:
        panel.show_frame(was)
    return frames


def export_film(panel: Any, path: str | Path, pngs: bool = False) -> list[Path]:
    """Write the film: one GIF at ``path`` (the view's frames per second), or with ``pngs`` a
    folder ``path`` of ``frame-000.png``, ``frame-001.png``, …; returns the files written.
    Each file goes through ``core/io/atomic.py``."""
    import io

    import imageio.v3 as iio

    from ..core.io.atomic import atomic_write_bytes

    frames = film_frames(panel)
    path = Path(path)
    if not frames:
        return []
    if pngs:
        path.mkdir(parents=True, exist_ok=True)
        out = []
        for i, frame in enumerate(frames):
            buf = io.BytesIO()
            iio.imwrite(buf, frame, extension=".png")
            out.append(atomic_write_bytes(path / f"frame-{i:03d}.png", buf.getvalue()))
        return [Path(p) for p in out]
    buf = io.BytesIO()
    ms = int(1000 / max(1, panel.options.fps))
    iio.imwrite(buf, np.stack(frames), extension=".gif", duration=ms, loop=0)
    return [Path(atomic_write_bytes(path, buf.getvalue()))]
