"""New rows placed on a UMAP map with umap's own ``UMAP.transform`` (issue 16 §2: your input).

Runs in the projection process only (it imports umap; numba must not run next to TensorFlow):
``projection_process`` keeps what its recent UMAP maps were fitted on (``UmapFit``: the reduced
rows, the parameters) under a key of the activations' digest, metric, PCA width and seed, and
answers a "transform" request against the map the window shows.

Our maps are not made by ``umap.UMAP.fit`` but by umap's own functions composed in
``layouts.umap_layout`` (unit rows, PCA to 50, our neighbour table). The reducer here is a
``umap.UMAP`` with the map's parameters whose fitted state is those rows: ``_raw_data`` the
reduced rows, ``embedding_`` the shown coordinates (``transform`` places new points against
it), and as its search index an exact search over the reduced rows (what the map's table is
below 20,000 rows; above, the map's table was faiss's approximate one). ``transform`` itself is
umap's: the new row's neighbours, their fuzzy membership, the start at their weighted mean and
``n_epochs / 3`` epochs of optimisation against the fixed map. A map made elsewhere (the CLI's
own process, a reopened session, a restarted child) is refitted here on the same activations:
the reduction and neighbour search are deterministic, so it gives the same placement.
"""

from __future__ import annotations

import hashlib
import warnings
from collections import OrderedDict
from typing import Any, Optional

import numpy as np

from .neighbors import effective_components, prepare
from ..threads import numeric_threads
from .projection import UmapFit, umap_settings

KEPT = 3  # UMAP fits kept in the projection process (a film's frames pass through here too)
# key -> [fit, its umap.UMAP (built on first use), "map" (kept from drawing the map) | "refit"]
_kept: "OrderedDict[tuple, list]" = OrderedDict()


def digest(a: np.ndarray) -> str:
    """The activations' digest, as the projection process received them (float32, C order)."""
    arr = np.ascontiguousarray(a, dtype=np.float32)
    h = hashlib.blake2b(digest_size=16)
    h.update(repr(arr.shape).encode())
    h.update(memoryview(arr).cast("B"))
    return h.hexdigest()


def fit_key(a_digest: str, shape: tuple[int, int], seed: int, params: dict) -> tuple:
    """What identifies a map's fit for placing rows: the data, metric, PCA width and seed."""
    s = umap_settings(int(shape[0]), params)
    k = effective_components(int(shape[0]), int(shape[1]), s["pca_components"])
    return (a_digest, s["metric"], k, int(seed))


def keep(key: tuple, fit: UmapFit, origin: str = "map") -> None:
    """Remember ``fit`` (the reducer is built on the first transform); ``origin``: "map" (the
    fit the map was drawn with) or "refit" (made here for a map drawn elsewhere)."""
    _kept[key] = [fit, None, origin]
    _kept.move_to_end(key)
    while len(_kept) > KEPT:
        _kept.popitem(last=False)


def kept(key: tuple) -> Optional[UmapFit]:
    entry = _kept.get(key)
    return None if entry is None else entry[0]


def refit(a: np.ndarray, seed: int, params: dict) -> UmapFit:
    """The fit of a map made elsewhere: the same reduction of the same activations (seeded,
    deterministic) and the same parameters; no layout is run (the shown map is the embedding)."""
    s = umap_settings(len(a), params)
    with numeric_threads():  # as the map's own reduction: the thread count changes the rows
        reduced = prepare(np.ascontiguousarray(a, dtype=np.float32), s["metric"],
                          s["pca_components"], seed)
    return UmapFit(reduced, s["n_neighbors"], s["min_dist"], s["n_epochs"], s["metric"],
                   int(seed))


class ExactIndex:
    """``transform``'s neighbour search (pynndescent's ``query`` interface): exact, over the
    reduced rows. Candidates come from a matrix product (one drawn input against 70,000 rows:
    milliseconds; pynndescent's own index would cost a minute of compiling in every new
    process); their distances are then umap's own ``distance`` function, as ``UMAP.transform``
    computes them for a small data set, because its optimisation amplifies a difference in the
    last bit of a distance into a visibly different position (measured: 0.6 map units of 33)."""

    _angular_trees = False  # read by UMAP.transform
    SPARE = 4  # candidates per neighbour wanted: rounding never reorders beyond them

    def __init__(self, points: np.ndarray, distance: Any) -> None:
        self.points = np.ascontiguousarray(points, dtype=np.float32)
        self.sq = np.einsum("ij,ij->i", self.points, self.points, dtype=np.float64)
        self.distance = distance

    def query(self, x: np.ndarray, k: int, epsilon: float = 0.0
              ) -> tuple[np.ndarray, np.ndarray]:
        x = np.ascontiguousarray(x, dtype=np.float32)
        n = self.points.shape[0]
        k = int(min(k, n))
        d2 = self.sq[None, :] - 2.0 * (x.astype(np.float64) @ self.points.T.astype(np.float64))
        c = int(min(n, max(k * self.SPARE, k + 8)))
        cand = np.argpartition(d2, c - 1, axis=1)[:, :c] if c < n else \
            np.tile(np.arange(n), (len(x), 1))
        ind = np.empty((len(x), k), dtype=np.int32)
        dist = np.empty((len(x), k), dtype=np.float32)
        for i, row in enumerate(x):
            exact = np.array([self.distance(row, self.points[j]) for j in cand[i]],
                             dtype=np.float32)
            order = np.argsort(exact)[:k]  # as umap: argsort of the distances
            ind[i], dist[i] = cand[i][order], exact[order]
        return ind, dist


def reducer(fit: UmapFit) -> Any:
    """A ``umap.UMAP`` with the map's parameters, fitted state set to ``fit``'s rows (its
    ``embedding_`` is set to the shown map before each transform)."""
    from .layouts import import_umap

    umap = import_umap()
    from umap.umap_ import find_ab_params

    r = umap.UMAP(n_neighbors=int(fit.n_neighbors), min_dist=float(fit.min_dist),
                  metric="euclidean", n_epochs=int(fit.n_epochs), random_state=int(fit.seed),
                  transform_seed=int(fit.seed), n_jobs=1)
    r._raw_data = fit.reduced.points  # as ``fit`` sets them before validating
    r._initial_alpha = r.learning_rate
    r._validate_parameters()  # umap's own: distance functions, disconnection distance, ...
    r._a, r._b = find_ab_params(r.spread, r.min_dist)
    r._n_neighbors = int(fit.n_neighbors)
    r._sparse_data = False
    r._small_data = False  # neighbours from the search index below
    r._knn_search_index = ExactIndex(fit.reduced.points, r._input_distance_func)
    r._input_hash = None  # never a joblib hash: every row given is transformed
    return r


def transform(key: tuple, coords: np.ndarray, rows: np.ndarray,
              a: Optional[np.ndarray] = None, seed: int = 0,
              params: Optional[dict] = None) -> Optional[dict]:
    """``rows`` (M, D: the layer's values) placed on the map ``coords`` (N, 2) by umap's
    transform. The fit is the kept one under ``key``, else refitted from ``a`` (the map's
    activations); None when neither (the caller then sends ``a``)."""
    entry = _kept.get(key)
    if entry is None:
        if a is None:
            return None
        keep(key, refit(a, seed, params or {}), "refit")
        entry = _kept[key]
    fit, r, origin = entry
    coords = np.ascontiguousarray(coords, dtype=np.float32)
    if coords.shape != (len(fit.reduced.points), 2):
        raise ValueError(f"the map has {coords.shape[0]} points, its fit "
                         f"{len(fit.reduced.points)} rows")
    if r is None:
        r = entry[1] = reducer(fit)
    _kept.move_to_end(key)
    r.embedding_ = coords
    with warnings.catch_warnings(), numeric_threads():
        warnings.simplefilter("ignore")
        out = r.transform(fit.reduced.transform(rows))
    return {"positions": np.asarray(out, dtype=np.float64), "fit": origin,
            "n_neighbors": fit.n_neighbors, "epochs": int(fit.n_epochs // 3),
            "metric": fit.metric, "pca_components": fit.reduced.n_components,
            "pca": fit.reduced.pca is not None}
