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

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..memory import check_fits
from ..progress import ProgressFn, StopFn, check_stop, report

DEFAULT_PCA_COMPONENTS = 50  # enough for the neighbourhoods of image and activation data


@dataclass(frozen=True)
class Reduced:
    """Rows ready for a neighbour search, and what the reduction kept."""

    points: np.ndarray  # (N, k) float32
    n_components: int  # k; equal to the input width when no PCA was applied
    explained_variance: float | None  # fraction of variance kept by the PCA; None: no PCA
    pca: Any = None  # the fitted PCA (None: none applied): new rows go through it too
    unit: bool = False  # rows were scaled to unit length first (the cosine metric)

    def transform(self, rows: np.ndarray) -> np.ndarray:
        """New rows reduced exactly as ``points`` were (unit length, the same fitted PCA)."""
        r = np.atleast_2d(np.asarray(rows, dtype=np.float32))
        if self.unit:
            r = unit_rows(r)
        if self.pca is not None:
            r = self.pca.transform(r)
        return np.ascontiguousarray(r, dtype=np.float32)


def effective_components(n: int, d: int, n_components: int) -> int:
    """The width ``pca_reduce`` gives ``n`` rows of ``d`` values asked for ``n_components``."""
    k = int(min(n_components, d, n))
    return d if k >= d or k < 1 else k


def unit_rows(a: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (float32); all-zero rows stay zero."""
    norms = np.sqrt(np.einsum("ij,ij->i", a, a, dtype=np.float32))
    norms[norms == 0] = 1.0
    return (a / norms[:, None]).astype(np.float32, copy=False)


# From this many rows the PCA is fitted on PCA_FIT_ROWS of them, spread evenly (``sample_rows``),
# and every row is then transformed in blocks of PCA_BLOCK: the 784 × 784 covariance of 20,000
# Fashion-MNIST images gives the same 50 components as that of all 70,000 (the maps' 10-NN
# accuracy is the same), and no second N × D copy of the rows is made (unit rows, centred rows)
PCA_FIT_ROWS = 20_000
PCA_BLOCK = 8_192


def _block(a: np.ndarray, rows: Any, unit: bool) -> np.ndarray:
    r = np.asarray(a[rows], dtype=np.float32)
    return unit_rows(r) if unit else r


def pca_reduce(a: np.ndarray, n_components: int, seed: int = 0, unit: bool = False) -> Reduced:
    """PCA of the rows to ``n_components`` (float32, seeded); ``unit``: of the rows scaled to
    unit length (the cosine metric). Returns the rows unchanged (or unit rows) when they are
    already that narrow. Above ``PCA_FIT_ROWS`` rows the PCA is fitted on that many, spread
    evenly, and all rows are transformed (the explained variance is the fitted rows')."""
    n, d = a.shape
    k = effective_components(n, d, n_components)
    if k >= d:
        points = unit_rows(a) if unit else a
        return Reduced(np.ascontiguousarray(points, dtype=np.float32), d, None, unit=unit)
    from sklearn.decomposition import PCA

    pca = PCA(n_components=k, random_state=seed)
    if n <= PCA_FIT_ROWS:
        points = pca.fit_transform(unit_rows(a) if unit else a).astype(np.float32)
    else:
        from .similarity import sample_rows

        pca.fit(_block(a, sample_rows(n, PCA_FIT_ROWS, seed), unit))
        points = np.empty((n, k), dtype=np.float32)
        for lo in range(0, n, PCA_BLOCK):
            hi = min(n, lo + PCA_BLOCK)
            points[lo:hi] = pca.transform(_block(a, slice(lo, hi), unit))
    ev = float(np.nan_to_num(pca.explained_variance_ratio_.astype(np.float64)).sum())
    return Reduced(np.ascontiguousarray(points), k, ev, pca, unit)


def prepare(a: np.ndarray, metric: str, n_components: int = DEFAULT_PCA_COMPONENTS,
            seed: int = 0) -> Reduced:
    """Rows for a Euclidean neighbour search that matches ``metric`` ("cosine": unit rows
    first; "euclidean": as they are), reduced by PCA to at most ``n_components``."""
    metric = str(metric).lower()
    if metric not in ("cosine", "euclidean"):
        from ..errors import ReprvizError

        raise ReprvizError(f"Unknown metric {metric!r} for a map; choose cosine or euclidean")
    return pca_reduce(a, n_components, seed, unit=metric == "cosine")


# From this many rows the table is approximate (faiss's inverted file: the rows are split into
# about 4 sqrt(N) k-means cells and each row searched in its IVF_PROBE nearest cells). On all
# 70,000 Fashion-MNIST images (50 PCA components) it finds 98 % of the exact 15 neighbours in a
# quarter of the CPU time of the exact search (5.6 s against 22 s), which grows as N squared.
APPROXIMATE_FROM = 20_000
IVF_PROBE = 8
# The approximate search runs in blocks of this many rows, reporting progress and checking for a
# stop between them (a t-SNE of 100,000 rows showed no progress and could not stop for 14 s)
SEARCH_BLOCK = 8_192
# k-means iterations that place the cells (faiss's default 25). The training, not the search,
# was most of the time: 100,000 rows of 50 components took 22 s of CPU with 25 iterations and
# 7 s with 10; on 30,000 Fashion-MNIST images the table found 96.8 % of the exact 15 neighbours
# either way (0.9685 / 0.9679)
IVF_TRAIN_ITER = 10


def nearest_neighbours(points: np.ndarray, k: int, seed: int = 0,
                       on_progress: ProgressFn | None = None, should_stop: StopFn | None = None,
                       span: tuple[float, float] = (0.0, 1.0)) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ``k`` nearest other rows, in order of distance: exact below
    ``APPROXIMATE_FROM`` rows (or without faiss), else ``approximate_neighbours`` (which reports
    its progress as the ``span`` of the "project" stage and stops when asked).

    Returns ``(indices (N, k) int64, distances (N, k) float32)``; a row is never its own
    neighbour, even when duplicated. Deterministic for the same input."""
    from sklearn.neighbors import NearestNeighbors

    n = len(points)
    k = int(min(k, n - 1))
    check_fits(n * k * 16, f"neighbour table of {n:,} samples")
    if n >= APPROXIMATE_FROM and has_faiss():
        return approximate_neighbours(points, k, seed, on_progress, should_stop, span)
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


def has_faiss() -> bool:
    try:
        import faiss  # noqa: F401
    except ImportError:
        return False
    return True


def approximate_neighbours(points: np.ndarray, k: int, seed: int = 0,
                           on_progress: ProgressFn | None = None,
                           should_stop: StopFn | None = None,
                           span: tuple[float, float] = (0.0, 1.0)
                           ) -> tuple[np.ndarray, np.ndarray]:
    """``nearest_neighbours`` through faiss's ``IndexIVFFlat`` (Euclidean; seeded k-means, so
    the same input gives the same table): each row's ``k`` nearest other rows among those in
    its ``IVF_PROBE`` nearest cells. A row's own entry is dropped wherever it comes; a row
    with fewer than ``k`` others found (a tiny cell) keeps its last neighbour repeated."""
    import faiss

    x = np.ascontiguousarray(points, dtype=np.float32)
    n, d = x.shape
    cells = int(max(1, min(n // 39, 4 * np.sqrt(n))))  # faiss wants 39 training rows per cell
    quantizer = faiss.IndexFlatL2(d)
    index = faiss.IndexIVFFlat(quantizer, d, cells)
    index.cp.seed = int(seed)
    index.cp.niter = IVF_TRAIN_ITER
    index.train(x)
    index.add(x)
    index.nprobe = int(min(IVF_PROBE, cells))
    dist = np.empty((n, k + 1), dtype=np.float32)
    ind = np.empty((n, k + 1), dtype=np.int64)
    started = time.perf_counter()
    for lo in range(0, n, SEARCH_BLOCK):  # each row's search is independent: same table
        check_stop(should_stop)
        hi = min(n, lo + SEARCH_BLOCK)
        dist[lo:hi], ind[lo:hi] = index.search(x[lo:hi], k + 1)
        elapsed = time.perf_counter() - started
        report(on_progress, "project", span[0] + (span[1] - span[0]) * hi / n,
               f"Nearest neighbours: {hi:,} of {n:,} rows", elapsed / hi * (n - hi))
    own = ind == np.arange(n)[:, None]
    # drop each row's own entry (or, where it was not found, the farthest one)
    drop = np.where(own.any(axis=1), own.argmax(axis=1), k)
    keep = np.ones_like(own)
    keep[np.arange(n), drop] = False
    ind = ind[keep].reshape(n, k)
    dist = dist[keep].reshape(n, k)
    missing = ind < 0  # fewer than k found: repeat the last real neighbour
    if missing.any():
        for row in np.flatnonzero(missing.any(axis=1)):
            good = np.flatnonzero(~missing[row])
            last = good[-1] if len(good) else None
            ind[row, missing[row]] = ind[row, last] if last is not None else (row + 1) % n
            dist[row, missing[row]] = dist[row, last] if last is not None else np.inf
    # faiss gives squared distances
    return ind.astype(np.int64), np.sqrt(np.maximum(dist, 0)).astype(np.float32)
