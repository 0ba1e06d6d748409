"""The steps t-SNE and UMAP share: a PCA reduction and an exact nearest-neighbour table.

Why not let each library find neighbours itself: umap switches to pynndescent's
nearest-neighbour descent at 4,096 points, whose numba code is specialised per process and cannot
be cached on disk (≈60 s of compiling on two cores in every new process, measured), and
scikit-learn's Barnes-Hut t-SNE spends most of its time elsewhere. scikit-learn's brute-force
search (BLAS matrix products, chunked, float32) is exact, deterministic, needs no compiling and
takes 0.5 s for 9,000 points of 50 values here; it grows as N², about 30 s at 64,000 points.

Cosine neighbours are found as Euclidean neighbours of unit-length rows: for unit vectors
|u − v|² = 2 − 2 cos(u, v), so the order of neighbours is the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..memory import check_fits

DEFAULT_PCA_COMPONENTS = 50  # enough for the neighbourhoods of image and activation data


@dataclass(frozen=True)
class Reduced:
    """Rows ready for a neighbour search, and what the reduction kept."""

    points: np.ndarray  # (N, k) float32
    n_components: int  # k; equal to the input width when no PCA was applied
    explained_variance: float | None  # fraction of variance kept by the PCA; None: no PCA


def unit_rows(a: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (float32); all-zero rows stay zero."""
    norms = np.sqrt(np.einsum("ij,ij->i", a, a, dtype=np.float32))
    norms[norms == 0] = 1.0
    return (a / norms[:, None]).astype(np.float32, copy=False)


def pca_reduce(a: np.ndarray, n_components: int, seed: int = 0) -> Reduced:
    """PCA of the rows to ``n_components`` (float32, seeded). Returns the input unchanged when it
    is already that narrow."""
    n, d = a.shape
    k = int(min(n_components, d, n))
    if k >= d or k < 1:
        return Reduced(np.ascontiguousarray(a, dtype=np.float32), d, None)
    from sklearn.decomposition import PCA

    pca = PCA(n_components=k, random_state=seed)
    points = pca.fit_transform(a).astype(np.float32)
    ev = float(np.nan_to_num(pca.explained_variance_ratio_.astype(np.float64)).sum())
    return Reduced(np.ascontiguousarray(points), k, ev)


def prepare(a: np.ndarray, metric: str, n_components: int = DEFAULT_PCA_COMPONENTS,
            seed: int = 0) -> Reduced:
    """Rows for a Euclidean neighbour search that matches ``metric`` ("cosine": unit rows
    first; "euclidean": as they are), reduced by PCA to at most ``n_components``."""
    metric = str(metric).lower()
    if metric == "cosine":
        a = unit_rows(a)
    elif metric != "euclidean":
        from ..errors import ReprvizError

        raise ReprvizError(f"Unknown metric {metric!r} for a map; choose cosine or euclidean")
    return pca_reduce(a, n_components, seed)


def nearest_neighbours(points: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ``k`` nearest other rows, exact and in order of distance.

    Returns ``(indices (N, k) int64, distances (N, k) float32)``; a row is never its own
    neighbour, even when duplicated. Deterministic for the same input."""
    from sklearn.neighbors import NearestNeighbors

    n = len(points)
    k = int(min(k, n - 1))
    check_fits(n * k * 16, f"neighbour table of {n:,} samples")
    nn = NearestNeighbors(n_neighbors=k, algorithm="brute" if points.shape[1] > 15 else "auto")
    nn.fit(points)
    dist, ind = nn.kneighbors()  # no X: each row's neighbours without the row itself
    return ind.astype(np.int64, copy=False), dist.astype(np.float32, copy=False)


def with_self(indices: np.ndarray, distances: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The table with each row as its own first neighbour at distance 0 (umap's layout)."""
    n = len(indices)
    own = np.arange(n, dtype=indices.dtype)[:, None]
    return (np.hstack([own, indices]),
            np.hstack([np.zeros((n, 1), dtype=distances.dtype), distances]))
