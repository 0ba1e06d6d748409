"""How far to trust a 2-D map: trustworthiness and continuity (Venna & Kaski 2001) and, per
point, the fraction of its neighbours the map kept.

The layer's neighbourhoods are cosine ones (the maps are made on unit-length rows, see
``neighbors.prepare``): the layer's rows are scaled to unit length, where Euclidean ranks are
cosine ranks. The map's are Euclidean. Trustworthiness and continuity are computed on at most
``MAX_POINTS`` (5,000) points, an evenly spread seeded subset (the rank computation is N × N);
neighbours kept is computed for every point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..progress import ProgressFn, StopFn, check_stop, report
from .similarity import sample_rows

K = 10
MAX_POINTS = 5000
_CHUNK = 512


def _unit_rows(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64).reshape(len(a), -1)
    norms = np.linalg.norm(a, axis=1, keepdims=True)
    return a / np.where(norms > 0, norms, 1.0)


def knn_indices(points: np.ndarray, k: int = K) -> np.ndarray:
    """(N, k) each point's k nearest other points (Euclidean), nearest first."""
    from sklearn.neighbors import NearestNeighbors

    points = np.asarray(points, dtype=np.float64)
    k = min(k, len(points) - 1)
    nn = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(points)
    return nn.kneighbors(return_distance=False)


def _sq_dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(d, 0.0)


def trustworthiness(high: np.ndarray, low: np.ndarray, k: int = K,
                    should_stop: StopFn | None = None) -> float:
    """Venna & Kaski's trustworthiness of ``low`` as a picture of ``high`` (Euclidean in both):
    1 - a penalty for each of a point's k nearest in ``low`` by how far outside its k nearest
    in ``high`` it ranks. Chunked: never an N × N matrix."""
    high = np.asarray(high, dtype=np.float64).reshape(len(high), -1)
    n = len(high)
    if k >= n / 2:
        raise ValueError(f"trustworthiness with k={k} needs more than {2 * k} points")
    low_nn = knn_indices(low, k)
    penalty = 0.0
    for start in range(0, n, _CHUNK):
        check_stop(should_stop)
        rows = np.arange(start, min(n, start + _CHUNK))
        d = _sq_dist(high[rows], high)
        d[np.arange(len(rows)), rows] = np.inf  # a point is not its own neighbour
        dj = np.take_along_axis(d, low_nn[rows], axis=1)  # (chunk, k)
        # rank (1 = nearest) of each map neighbour among the point's neighbours in ``high``
        ranks = (d[:, None, :] < dj[:, :, None]).sum(axis=2) + 1
        penalty += float(np.clip(ranks - k, 0, None).sum())
    return 1.0 - 2.0 * penalty / (n * k * (2.0 * n - 3.0 * k - 1.0))


def neighbours_kept(layer: np.ndarray, coords: np.ndarray, k: int = K) -> np.ndarray:
    """(N,) the fraction of each point's k nearest in the layer (cosine) that are also among
    its k nearest in the map."""
    a = knn_indices(_unit_rows(layer), k)
    b = knn_indices(coords, k)
    return overlap(a, b)


def overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per row, |a_i ∩ b_i| / k for two (N, k) neighbour tables."""
    k = a.shape[1]
    return np.array([len(np.intersect1d(x, y, assume_unique=True)) for x, y in zip(a, b)],
                    dtype=np.float64) / k


@dataclass(frozen=True)
class MapQuality:
    trustworthiness: float
    continuity: float
    kept: np.ndarray  # (N,) neighbours kept per point, every point
    k: int
    n_scored: int  # points trustworthiness/continuity were computed on
    n_points: int
    params: dict = field(default_factory=dict)  # the map's method and parameters, stamped

    def worst(self, fraction: float = 0.05) -> np.ndarray:
        """Rows of the points that kept the fewest neighbours (the lowest ``fraction``)."""
        m = max(1, int(round(fraction * len(self.kept))))
        return np.sort(np.argsort(self.kept, kind="stable")[:m])

    def summary(self) -> dict:
        return {"trustworthiness": round(self.trustworthiness, 6),
                "continuity": round(self.continuity, 6), "k": self.k,
                "points_scored": self.n_scored, "points": self.n_points,
                "neighbours_kept_mean": round(float(self.kept.mean()), 6)
                if len(self.kept) else None,
                "neighbours_kept_histogram": np.bincount(
                    np.round(self.kept * self.k).astype(int), minlength=self.k + 1).tolist(),
                "layer_metric": "cosine", "map_metric": "euclidean", "map": self.params}

    def text(self) -> str:
        """One line for under the map."""
        p = ", ".join(f"{k} {v}" for k, v in self.params.items() if v is not None)
        sub = (f" on {self.n_scored:,} of {self.n_points:,} points"
               if self.n_scored < self.n_points else "")
        return (f"trustworthiness {self.trustworthiness:.3f}, continuity {self.continuity:.3f} "
                f"(k = {self.k}{sub}); neighbours kept {float(self.kept.mean()):.0%} on average"
                + (f" · {p}" if p else ""))


def map_quality(layer: np.ndarray, coords: np.ndarray, k: int = K, max_points: int = MAX_POINTS,
                seed: int = 0, params: Optional[dict] = None,
                on_progress: ProgressFn | None = None,
                should_stop: StopFn | None = None) -> MapQuality:
    """Trustworthiness and continuity of ``coords`` (N, 2) for ``layer`` (N, units) on at most
    ``max_points`` points, and neighbours kept for every point."""
    high = _unit_rows(layer)
    low = np.asarray(coords, dtype=np.float64)
    n = len(high)
    if len(low) != n:
        raise ValueError(f"the map has {len(low)} points but the layer {n}")
    report(on_progress, "quality", 0.0, "Map quality…")
    rows = sample_rows(n, max_points, seed) if n > max_points else np.arange(n)
    # Venna & Kaski's normalisation needs k < N / 2: fewer neighbours for a handful of points
    k = min(k, (len(rows) - 1) // 2)
    if k < 1:
        raise ValueError("map quality needs at least 3 points")
    t = trustworthiness(high[rows], low[rows], k, should_stop)
    report(on_progress, "quality", 0.4, "Map quality: continuity…")
    c = trustworthiness(low[rows], high[rows], k, should_stop)
    check_stop(should_stop)
    report(on_progress, "quality", 0.8, "Map quality: neighbours kept…")
    kept = overlap(knn_indices(high, k), knn_indices(low, k))
    report(on_progress, "quality", 1.0, "Map quality done")
    return MapQuality(t, c, kept, k, len(rows), n, dict(params or {}))
