"""One colour scale for a layer's activations, used by the window's heatmap and analyze's
heatmap.png alike (before, the window drew viridis and the figure a red-blue map for the same
layer): levels from the 1st–99th percentile; a layer with values on both sides of 0 (raw x·W,
tanh, word vectors) gets a diverging map centred on 0, a one-signed layer (ReLU) viridis."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SEQUENTIAL = "viridis"
DIVERGING = "RdBu_r"  # blue (−) – white (0) – red (+); the window uses its look-alike CET-D1A


@dataclass(frozen=True)
class ColourScale:
    diverging: bool
    lo: float
    hi: float

    @property
    def name(self) -> str:
        return DIVERGING if self.diverging else SEQUENTIAL


def robust_levels(a: np.ndarray, lo_pct: float = 1.0, hi_pct: float = 99.0,
                  max_samples: int = 250_000) -> tuple[float, float]:
    """Display levels from percentiles, so a few outliers don't wash the image out.

    Huge arrays are strided down first (levels only need to be approximately right)."""
    flat = np.asarray(a).ravel()
    if flat.size > max_samples:
        flat = flat[:: int(np.ceil(flat.size / max_samples))]
    flat = flat[np.isfinite(flat)]
    if flat.size == 0:
        return 0.0, 1.0
    lo, hi = (float(v) for v in np.percentile(flat, [lo_pct, hi_pct]))
    if not hi > lo:
        lo, hi = float(flat.min()), float(flat.max())
    if not hi > lo:
        hi = lo + (abs(lo) * 1e-3 if lo else 1.0)
    return lo, hi


def activation_scale(activations: np.ndarray) -> ColourScale:
    """The heatmap's colour scale of these activations (see the module docstring)."""
    lo, hi = robust_levels(activations)
    if lo < 0 < hi:
        lim = max(-lo, hi)
        return ColourScale(True, -lim, lim)
    return ColourScale(False, lo, hi)
