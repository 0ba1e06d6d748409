"""The optimising layouts behind the UMAP and t-SNE maps, fed by a shared neighbour table.

Both take the exact neighbour table of ``neighbors.nearest_neighbours`` and show the layout while
it optimises: ``on_layout(coords, fraction)`` receives a copy of the current (N, 2) float32
coordinates about every ``layout_every_s`` seconds (fraction of the optimisation done, 0..1), so
a window can draw the map as it forms. ``should_stop`` is checked at the same moments.

- UMAP: umap-learn's own functions (fuzzy graph, spectral start, ``optimize_layout_euclidean``),
  composed here instead of ``umap.UMAP`` so the neighbour search is ours (no per-process
  nearest-neighbour-descent compile) and the layout is visible while it forms. 200 epochs: on
  9,000 Fashion-MNIST images the 10-NN accuracy of the map is 0.773 after 200 epochs and 0.768
  after 500 (umap's default below 10,000 points), so the extra 300 buy nothing.
- t-SNE: openTSNE's FFT-interpolated gradients (Linderman et al. 2019), 125 early-exaggeration
  iterations + 375, learning rate N/12 (Belkina et al. 2019): 0.806 10-NN accuracy on the same
  data in a fifth of scikit-learn's Barnes-Hut time (0.787 for PCA(20) + ``sklearn TSNE()``).

Seeded: the same input and seed give the same coordinates.
"""

from __future__ import annotations

import contextlib
import importlib
import re
import sys
import time
import types
import warnings
from collections.abc import Mapping
from typing import Any, Callable, Optional

import numpy as np

from ..progress import ProgressFn, StopFn, check_stop, report

LayoutFn = Callable[[np.ndarray, float], None]
LAYOUT_EVERY_S = 0.5  # how often an optimising layout is shown / progress reported

UMAP_EPOCHS = 200
# From this many points: UMAP_EPOCHS_LARGE epochs from a PCA start (projection._umap says so in
# the map's note). On all 70,000 Fashion-MNIST images (same neighbour table) the spectral start,
# an eigensolver on the whole graph, took 19 s of CPU and 200 epochs 36 s more: 10-NN accuracy
# of the map 0.809. From a PCA start: 100 epochs 0.815 (10 s of layout), 50 epochs 0.802 (5 s),
# 30 epochs 0.797; umap's own UMAP().fit_transform: 0.784. On 20,000 of them 50 and 100 epochs
# both give 0.796, so 50: the layout was half the map's time
UMAP_LARGE_N = 20_000
UMAP_EPOCHS_LARGE = 50
TSNE_EARLY_ITER = 100
TSNE_ITER = 250  # after the early exaggeration
# Default affinities: uniform over each point's 15 nearest neighbours (openTSNE's ``Uniform``;
# Böhm, Berens & Kobak 2022 show the map is practically that of perplexity 30). The attractive
# forces over the 3 × 30 neighbours of a perplexity took 35 % of the time (py-spy); 9,000 images
# mapped in 4.5 s instead of 14 s at the same 10-NN accuracy (0.794 vs 0.802, the course's
# scikit-learn TSNE 0.787). A perplexity asked for explicitly gives the classic affinities.
TSNE_NEIGHBOURS = 15
# openTSNE's FFT grid: one interval per 3 units of the map (default 1) and at least 10 intervals
# (default 50). The FFTs of the grid, not the points, dominated (py-spy): 9,000 points took 26 s
# of CPU with the defaults and 10 s with these, at the same 10-NN accuracy of the map.
TSNE_INTS_IN_INTERVAL = 3.0
TSNE_MIN_INTERVALS = 10


def import_umap():
    """umap with its kernels cached on disk, never importing TensorFlow.

    umap's ``__init__`` imports ParametricUMAP, which imports TensorFlow/Keras; importing Keras on
    the projection thread while the model thread traced a graph crashed TF (seen in the window).
    We never use ParametricUMAP, so that one submodule is blocked (umap guards the ImportError)."""
    from .jit_cache import cache_compiled_functions, cache_new_functions, use_persistent_numba_cache

    first = "umap" not in sys.modules
    if first:
        use_persistent_numba_cache()
        sys.modules.setdefault("umap.parametric_umap", None)  # type: ignore[arg-type]
    with warnings.catch_warnings(), _pynndescent_on_demand(), cache_new_functions():
        warnings.simplefilter("ignore")
        import umap  # noqa: PLC0415 - slow import, on purpose only here
        import umap.layouts  # noqa: F401
        import umap.spectral  # noqa: F401
        import umap.umap_  # noqa: F401
    if first:
        cache_compiled_functions(("umap",))
    return umap


@contextlib.contextmanager
def _pynndescent_on_demand():
    """Let umap import without importing pynndescent, which it needs only for its own neighbour
    search (``umap.UMAP``), never on our path. ``import pynndescent`` compiles numba code at
    import: 35-40 s of CPU on a machine's first launch (then 1.5 s from its cache). While umap
    imports, three placeholder modules stand in; the names umap takes from them load the real
    pynndescent the first time they are used, and the placeholders leave ``sys.modules`` at once,
    so ``import pynndescent`` elsewhere gets the real one."""
    if "pynndescent" in sys.modules or "umap.umap_" in sys.modules:
        yield
        return

    def real(module: str, name: str) -> Any:
        return getattr(importlib.import_module(module), name)

    class _Names(Mapping):
        def __init__(self, module: str, name: str) -> None:
            self._where = (module, name)

        def __getitem__(self, key: str) -> Any:
            return real(*self._where)[key]

        def __iter__(self):
            return iter(real(*self._where))

        def __len__(self) -> int:
            return len(real(*self._where))

    class _Kind(type):
        def __instancecheck__(cls, obj: Any) -> bool:
            return isinstance(obj, real("pynndescent", "NNDescent"))

    class NNDescent(metaclass=_Kind):
        def __new__(cls, *args: Any, **kwargs: Any) -> Any:
            return real("pynndescent", "NNDescent")(*args, **kwargs)

    stubs = {"pynndescent": types.ModuleType("pynndescent"),
             "pynndescent.distances": types.ModuleType("pynndescent.distances"),
             "pynndescent.sparse": types.ModuleType("pynndescent.sparse")}
    stubs["pynndescent"].NNDescent = NNDescent  # type: ignore[attr-defined]
    stubs["pynndescent.distances"].named_distances = _Names(  # type: ignore[attr-defined]
        "pynndescent.distances", "named_distances")
    stubs["pynndescent.sparse"].sparse_named_distances = _Names(  # type: ignore[attr-defined]
        "pynndescent.sparse", "sparse_named_distances")
    sys.modules.update(stubs)
    try:
        yield
    finally:
        for name, stub in stubs.items():
            if sys.modules.get(name) is stub:
                del sys.modules[name]


class _Watch:
    """Calls ``on_layout``/``on_progress``/``should_stop`` at most every ``every_s`` seconds."""

    def __init__(self, stage: str, label: str, on_layout: Optional[LayoutFn],
                 on_progress: ProgressFn | None, should_stop: StopFn | None,
                 every_s: float) -> None:
        self.stage, self.label = stage, label
        self.on_layout, self.on_progress, self.should_stop = on_layout, on_progress, should_stop
        self.every_s = float(every_s)
        self.started = self.last = time.perf_counter()

    def __call__(self, coords: np.ndarray, fraction: float, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self.last < self.every_s:
            return
        self.last = now
        check_stop(self.should_stop)
        fraction = float(min(1.0, max(0.0, fraction)))
        if self.on_layout is not None:
            self.on_layout(np.array(coords, dtype=np.float32, copy=True), fraction)
        if self.on_progress is not None and fraction < 1.0:
            elapsed = now - self.started
            eta = elapsed / fraction * (1.0 - fraction) if fraction > 0 else None
            report(self.on_progress, self.stage, 0.2 + 0.8 * fraction,
                   f"{self.label}: {fraction:.0%} optimised", eta)


class _EpochProbe:
    """A file for tqdm: umap's layout loop reports its epoch through a tqdm bar, and this
    turns each bar refresh into a ``_Watch`` call with the live embedding."""

    _COUNT = re.compile(r"(\d+)/(\d+)")

    def __init__(self, embedding: np.ndarray, watch: _Watch) -> None:
        self.embedding, self.watch = embedding, watch

    def write(self, text: str) -> int:
        found = self._COUNT.findall(text or "")
        if found:
            done, total = (int(v) for v in found[-1])
            if 0 < done < total:
                self.watch(self.embedding, done / total)
        return len(text or "")

    def flush(self) -> None:
        pass


def _fallback_random(n: int, rs) -> np.ndarray:
    return rs.uniform(low=-10.0, high=10.0, size=(n, 2)).astype(np.float32)


def umap_layout(points: np.ndarray, indices: np.ndarray, distances: np.ndarray,
                n_neighbors: int = 15, min_dist: float = 0.1, seed: int = 0,
                n_epochs: int = UMAP_EPOCHS, init: str | np.ndarray = "spectral",
                on_layout: Optional[LayoutFn] = None, on_progress: ProgressFn | None = None,
                should_stop: StopFn | None = None,
                layout_every_s: float = LAYOUT_EVERY_S,
                principal: bool = False) -> tuple[np.ndarray, str, str]:
    """UMAP coordinates ``(N, 2)`` float32 from the points and their neighbour table
    (``indices``/``distances`` without self, at least ``n_neighbors - 1`` columns).

    Returns ``(coords, init used, note)``; a spectral start that fails (tiny or oddly connected
    sets) falls back to a random start, and says so. ``init`` may be an (N, 2) array: the start
    (a film's previous frame). ``principal``: the points are principal-component scores in
    order (``neighbors.pca_reduce``), so the PCA start is their first two columns."""
    import_umap()
    from sklearn.utils import check_random_state
    from umap.layouts import optimize_layout_euclidean
    from umap.spectral import spectral_layout
    from umap.umap_ import (INT32_MAX, INT32_MIN, find_ab_params, fuzzy_simplicial_set,
                            make_epochs_per_sample, noisy_scale_coords)

    from .neighbors import with_self

    n = len(points)
    rs = check_random_state(seed)
    k = int(min(n_neighbors, n)) - 1
    ind, dist = with_self(indices[:, :k], distances[:, :k])
    # fixed dtypes: the compiled kernels (and their disk cache) are specialised on them
    ind = np.ascontiguousarray(ind, dtype=np.int32)
    dist = np.ascontiguousarray(dist, dtype=np.float32)
    points = np.ascontiguousarray(points, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph, _, _ = fuzzy_simplicial_set(points, k + 1, rs, "euclidean", knn_indices=ind,
                                           knn_dists=dist)
    check_stop(should_stop)
    graph = graph.tocoo()
    graph.sum_duplicates()
    # as umap: edges too weak to be sampled even once in n_epochs are dropped
    graph.data[graph.data < (graph.data.max() / float(n_epochs))] = 0.0
    graph.eliminate_zeros()

    note = ""
    embedding = None
    if isinstance(init, np.ndarray):
        embedding, init = np.asarray(init, dtype=np.float64), "previous frame"
    elif init == "pca":  # the points' first two principal components (cheap at any N)
        if principal:  # already scores: a second PCA of 70,000 rows took 1.1 s of CPU
            start = points[:, :2].astype(np.float64)
        else:
            from sklearn.decomposition import PCA

            start = PCA(2, random_state=seed).fit_transform(points).astype(np.float64)
        embedding = noisy_scale_coords(start, rs, max_coord=10, noise=0.0001)
    elif init == "spectral":
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                start = spectral_layout(points, graph, 2, rs, metric="euclidean")
            if np.isfinite(start).all() and np.abs(start).max() > 0:
                embedding = noisy_scale_coords(start, rs, max_coord=10, noise=0.0001)
        except (ValueError, TypeError, np.linalg.LinAlgError, ArithmeticError):
            embedding = None
        if embedding is None:
            note = "Spectral start failed; used a random start."
            init = "random"
    if embedding is None:
        embedding = _fallback_random(n, rs)
    span = np.max(embedding, 0) - np.min(embedding, 0)
    span[span == 0] = 1.0
    embedding = (10.0 * (embedding - np.min(embedding, 0)) / span).astype(np.float32,
                                                                           order="C")
    epochs_per_sample = make_epochs_per_sample(graph.data, n_epochs)
    rng_state = rs.randint(INT32_MIN, INT32_MAX, 3).astype(np.int64)
    a, b = find_ab_params(1.0, float(min_dist))
    watch = _Watch("project", "UMAP", on_layout, on_progress, should_stop, layout_every_s)
    probe = _EpochProbe(embedding, watch)
    tqdm_kwds = {"disable": False, "file": probe, "bar_format": "{n}/{total}",
                 "mininterval": min(layout_every_s, 0.5), "miniters": 1, "leave": False,
                 "ascii": True, "dynamic_ncols": False}
    watch(embedding, 0.0, force=True)  # the start: something to draw at once
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        embedding = optimize_layout_euclidean(
            embedding, embedding, graph.row, graph.col, n_epochs, n, epochs_per_sample, a, b,
            rng_state, 1.0, 1.0, 5.0, parallel=False, verbose=False, tqdm_kwds=tqdm_kwds,
            move_other=True)
    return np.asarray(embedding, dtype=np.float32), init, note


def tsne_layout(points: np.ndarray, indices: np.ndarray, distances: np.ndarray,
                perplexity: Optional[float] = None, seed: int = 0,
                early_iter: int = TSNE_EARLY_ITER,
                n_iter: int = TSNE_ITER, on_layout: Optional[LayoutFn] = None,
                on_progress: ProgressFn | None = None, should_stop: StopFn | None = None,
                layout_every_s: float = LAYOUT_EVERY_S, n_jobs: int = 1,
                start: Optional[np.ndarray] = None) -> np.ndarray:
    """t-SNE coordinates ``(N, 2)`` float32 (openTSNE, FFT gradients) from the points and their
    neighbour table (without self). ``perplexity`` None: uniform affinities over the first
    ``TSNE_NEIGHBOURS`` columns; else perplexity-based over 3 × perplexity columns where N allows.

    One thread by default: on two shared cores openTSNE's OpenMP threads spun and cost 70 % more
    CPU for no gain in time (measured), and the app trains a model on the other core.
    ``start``: the initial coordinates (a film's previous frame), rescaled to openTSNE's
    recommended standard deviation of 1e-4; default PCA."""
    from openTSNE import TSNE, affinity, initialization
    from openTSNE.nearest_neighbors import PrecomputedNeighbors

    n = len(points)
    want = TSNE_NEIGHBOURS if perplexity is None else max(1, round(3 * perplexity))
    k = int(min(indices.shape[1], want, n - 1))
    jobs = max(1, int(n_jobs))
    knn = PrecomputedNeighbors(np.ascontiguousarray(indices[:, :k]),
                               np.ascontiguousarray(distances[:, :k], dtype=np.float64))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if perplexity is None:
            aff = affinity.Uniform(knn_index=knn, k_neighbors=k, n_jobs=jobs, random_state=seed)
        else:
            aff = affinity.PerplexityBasedNN(perplexity=float(perplexity), knn_index=knn,
                                             n_jobs=jobs, random_state=seed)
        if start is not None:
            start = np.asarray(start, dtype=np.float64)
            start = (start - start.mean(axis=0)) / max(float(start[:, 0].std()), 1e-12) * 1e-4
        elif points.shape[1] >= 2:
            start = initialization.pca(points, random_state=seed)
        else:
            start = initialization.random(n, random_state=seed)
    check_stop(should_stop)
    watch = _Watch("project", "t-SNE", on_layout, on_progress, should_stop, layout_every_s)
    total = float(early_iter + n_iter)
    done = {"phase": 0, "last": 0}

    def callback(iteration: int, _error: float, embedding: Any) -> bool:
        if iteration < done["last"]:  # the second phase counts from 0 again
            done["phase"] = early_iter
        done["last"] = iteration
        watch(np.asarray(embedding), (done["phase"] + iteration) / total)
        return False

    watching = on_layout is not None or on_progress is not None or should_stop is not None
    tsne = TSNE(n_components=2, n_jobs=jobs, random_state=seed,
                negative_gradient_method="fft", early_exaggeration_iter=int(early_iter),
                n_iter=int(n_iter), ints_in_interval=TSNE_INTS_IN_INTERVAL,
                min_num_intervals=TSNE_MIN_INTERVALS,
                callbacks=callback if watching else None, callbacks_every_iters=10)
    watch(start, 0.0, force=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        coords = tsne.fit(affinities=aff, initialization=start)
    return np.asarray(coords, dtype=np.float32)
