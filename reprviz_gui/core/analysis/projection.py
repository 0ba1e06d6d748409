"""2-D maps of a layer's representation (numpy / scikit-learn / umap / openTSNE; no Qt).

Everything here works in float32 and refuses, up front, any request that would not fit in memory
(``memory.check_fits``). t-SNE and UMAP share one pipeline (``neighbors``, ``layouts``): rows to
unit length for the cosine metric, PCA to 50 components, an exact neighbour table, then the
optimising layout, which can be watched while it forms (``on_layout``). umap is imported lazily
and its numba kernels are cached on disk per user (``jit_cache``); ``warm_up()`` pays the rest of
the start-up cost in the background.
"""


from __future__ import annotations

import inspect
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np

from . import layouts
from ..errors import ReprvizError
from ..memory import check_fits
from ..progress import ProgressFn, StopFn, check_stop, report
from ..threads import numeric_threads
from .layouts import LayoutFn
from .neighbors import DEFAULT_PCA_COMPONENTS, Reduced, nearest_neighbours, pca_reduce, prepare
from .similarity import _as_matrix, _n_fmt, cosine_similarity

METHODS = ("pca", "mds", "tsne", "pca-tsne", "umap")
METHOD_LABELS = {"pca": "PCA", "mds": "MDS (1 − cosine)", "tsne": "t-SNE",
                 "pca-tsne": "PCA → t-SNE", "umap": "UMAP"}
PCA_TSNE_COMPONENTS = 20  # the IMDB post's PCA(20) before t-SNE
_ALIASES = {"t-sne": "tsne", "pcatsne": "pca-tsne", "pca-t-sne": "pca-tsne",
            "pca_tsne": "pca-tsne"}


def _normalise_method(method: str) -> str:
    key = str(method).strip().lower()
    return _ALIASES.get(key, key)


# --- 2-D maps --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Projection:
    """A 2-D map of N samples."""

    coords: np.ndarray  # (N, 2) float32
    method: str  # one of METHODS
    explained_variance: Optional[np.ndarray] = None  # PCA: variance ratio of the 2 components
    seconds: float = 0.0
    note: str = ""  # e.g. why a fallback was used
    params: dict = field(default_factory=dict)  # parameters used (perplexity after clipping…)
    # t-SNE/UMAP/pca-tsne: fraction of the variance kept by the PCA step before the layout
    # (pca-tsne: by its k = params["pca_components"] components); None when no PCA was applied
    pca_explained_variance: Optional[float] = None


@dataclass(frozen=True)
class UmapFit:
    """What a UMAP map was made from: enough to place new rows against it with umap's own
    ``transform`` (``umap_transform``; the projection process keeps the recent ones)."""

    reduced: Reduced  # the rows as the neighbour search saw them (unit length, PCA)
    n_neighbors: int
    min_dist: float
    n_epochs: int
    metric: str
    seed: int


def umap_settings(n: int, params: dict) -> dict:
    """The UMAP parameters a map of ``n`` rows is made with, from the caller's ``params``
    (defaults filled in, ``n_neighbors`` clipped to the rows there are)."""
    want = int(params.get("n_neighbors", 15))
    large = n >= layouts.UMAP_LARGE_N  # a shorter schedule from a cheaper start, said below
    return {"want_neighbors": want, "n_neighbors": max(2, min(want, n - 1)),
            "min_dist": float(params.get("min_dist", 0.1)),
            "metric": str(params.get("metric", "cosine")),
            "pca_components": int(params.get("pca_components", DEFAULT_PCA_COMPONENTS)),
            "n_epochs": int(params.get("n_epochs", layouts.UMAP_EPOCHS_LARGE if large
                                       else layouts.UMAP_EPOCHS)), "large": large}


def project(a: Any, method: str = "pca", seed: int = 0, on_progress: ProgressFn | None = None,
            should_stop: StopFn | None = None, on_layout: Optional[LayoutFn] = None,
            on_fitted: Optional[Callable[[UmapFit], None]] = None,
            **params: Any) -> Projection:
    """Map the rows of ``a`` to 2-D with PCA, metric MDS on 1 − cosine, t-SNE, PCA → t-SNE or
    UMAP.

    Extra keyword ``params`` go to the method: ``perplexity`` (t-SNE: perplexity-based
    affinities; default: uniform over 15 neighbours, as fast and as good), ``max_iter``/
    ``early_exaggeration_iter`` (t-SNE), ``pca_components`` (pca-tsne: k, default 20; t-SNE/UMAP:
    the reduction before the neighbour search, default 50), ``n_neighbors``/``min_dist``/
    ``n_epochs`` (UMAP), ``max_iter``/``n_init`` (MDS), ``metric`` (t-SNE/UMAP: cosine or
    euclidean; default cosine). ``on_layout(coords, fraction)`` (t-SNE/UMAP) receives the
    layout while it optimises, about twice a second. Seeded: the same input and seed give the
    same map. ``on_fitted(UmapFit)`` (UMAP) receives what the map was fitted on.
    """
    method = _normalise_method(method)
    if method not in METHODS:
        raise ReprvizError(
            f"Unknown projection {method!r}; choose one of {', '.join(METHODS)}")
    arr = _as_matrix(a)
    n = len(arr)
    label = METHOD_LABELS[method]
    if n < 3:
        raise ReprvizError(f"A 2-D map needs at least 3 samples; got {n}")
    check_stop(should_stop)
    report(on_progress, "project", 0.0, f"{label} of {_n_fmt(n)} samples…", method=method)
    t0 = time.perf_counter()

    # All samples identical (or one feature column): nothing to spread out; say so, don't crash.
    if arr.shape[1] == 0 or not np.any(arr != arr[0]):
        coords = np.zeros((n, 2), dtype=np.float32)
        ev = np.zeros(2, dtype=np.float64) if method == "pca" else None
        note = "All samples have the same representation here, so every point sits at the origin."
        report(on_progress, "project", 1.0, f"{label}: nothing to map", method=method)
        return Projection(coords, method, ev, time.perf_counter() - t0, note)

    note = ""
    ev = None
    pca_ev: Optional[float] = None
    used: dict[str, Any] = {}
    watch = {"on_layout": on_layout, "on_progress": on_progress, "should_stop": should_stop}
    if method == "pca":
        coords, ev, used = _pca(arr, seed)
    elif method == "mds":
        check_fits(n * n * 8 * 4, f"MDS of {_n_fmt(n)} samples")
        with numeric_threads():
            coords, used = _mds(arr, seed, params)
    else:  # the PCA and the neighbour search on the cores left free (core/threads.py)
        with numeric_threads():
            if method == "tsne":
                coords, used, note, pca_ev = _tsne(arr, seed, params, watch)
            elif method == "pca-tsne":
                coords, used, note, pca_ev = _pca_tsne(arr, seed, params, watch)
            else:
                coords, used, note, pca_ev = _umap(arr, seed, params, watch, on_fitted)
    check_stop(should_stop)
    coords = np.ascontiguousarray(coords, dtype=np.float32)
    if not np.isfinite(coords).all():
        raise ReprvizError(f"{label} produced non-finite coordinates; try PCA or another seed")
    seconds = time.perf_counter() - t0
    report(on_progress, "project", 1.0, f"{label} of {_n_fmt(n)} samples done in {seconds:.1f} s",
           method=method, seconds=seconds)
    return Projection(coords, method, ev, seconds, note, used, pca_ev)


def _pad2(coords: np.ndarray) -> np.ndarray:
    if coords.shape[1] >= 2:
        return coords[:, :2]
    return np.hstack([coords, np.zeros((len(coords), 2 - coords.shape[1]), coords.dtype)])


def _pca(arr: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, dict]:
    from sklearn.decomposition import PCA

    k = min(2, arr.shape[0], arr.shape[1])
    pca = PCA(n_components=k, random_state=seed)
    coords = pca.fit_transform(arr)
    ev = np.zeros(2, dtype=np.float64)
    ev[:k] = np.nan_to_num(pca.explained_variance_ratio_.astype(np.float64))
    return _pad2(coords.astype(np.float32)), ev, {"n_components": k}


def _cosine_dissimilarity_f64(arr: np.ndarray) -> np.ndarray:
    """1 − cosine as a symmetric float64 matrix with an exact zero diagonal (what MDS wants)."""
    d = 1.0 - cosine_similarity(arr).astype(np.float64)
    np.clip(d, 0.0, 2.0, out=d)
    d = (d + d.T) * 0.5
    np.fill_diagonal(d, 0.0)
    return d


def _mds(arr: np.ndarray, seed: int, params: dict) -> tuple[np.ndarray, dict]:
    from sklearn.manifold import MDS

    sig = inspect.signature(MDS).parameters
    kwargs: dict[str, Any] = {
        "n_components": 2,
        "random_state": seed,
        "n_init": int(params.get("n_init", 1)),
        "max_iter": int(params.get("max_iter", 300)),
    }
    if "metric_mds" in sig:  # scikit-learn >= 1.8
        kwargs.update(metric_mds=True, metric="precomputed")
    else:  # 1.5 - 1.7
        kwargs.update(metric=True, dissimilarity="precomputed")
    start = params.get("init")  # a film's previous frame: SMACOF starts from it
    start = np.asarray(start, dtype=np.float64) if isinstance(start, np.ndarray) else None
    if "init" in sig:  # 1.8+: deterministic classical-MDS start converges faster and better
        kwargs["init"] = "random" if start is not None else params.get("init", "classical_mds")
    if "normalized_stress" in sig:
        kwargs["normalized_stress"] = "auto"
    d = _cosine_dissimilarity_f64(arr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # FutureWarnings about changing defaults
        coords = MDS(**kwargs).fit_transform(d, init=start)
    used = {k: v for k, v in kwargs.items() if k in ("n_init", "max_iter", "init")}
    if start is not None:
        used["init"] = "previous frame"
    used["dissimilarity"] = "1 - cosine"
    return coords.astype(np.float32), used


def _clip_perplexity(n: int, want: float) -> tuple[float, str]:
    # t-SNE needs 3 × perplexity neighbours; a third of n keeps enough for small sets
    perplexity = max(1.0, min(float(want), (n - 1) / 3.0))
    note = ""
    if perplexity < want:
        note = f"Perplexity lowered from {want:g} to {perplexity:.1f} for {n} samples."
    return perplexity, note


def _tsne_on(reduced: Reduced, seed: int, params: dict, watch: dict) -> tuple[np.ndarray, dict,
                                                                            str]:
    """t-SNE of already reduced rows (Euclidean neighbours)."""
    n = len(reduced.points)
    perplexity: Optional[float] = None  # default: uniform affinities (layouts.TSNE_NEIGHBOURS)
    note = ""
    if params.get("perplexity") is not None:
        perplexity, note = _clip_perplexity(n, float(params["perplexity"]))
    want = layouts.TSNE_NEIGHBOURS if perplexity is None else round(3 * perplexity)
    k = int(min(n - 1, max(1, want)))
    ind, dist = _neighbours(reduced, k, seed, watch)
    early = int(params.get("early_exaggeration_iter", layouts.TSNE_EARLY_ITER))
    rest = int(params.get("max_iter", early + layouts.TSNE_ITER)) - early
    start = params.get("init")  # a film's previous frame
    start = np.asarray(start) if isinstance(start, np.ndarray) else None
    coords = layouts.tsne_layout(reduced.points, ind, dist, perplexity=perplexity, seed=seed,
                                 early_iter=early, n_iter=max(0, rest), start=start, **watch)
    used = {"affinities": "uniform" if perplexity is None else "perplexity",
            "max_iter": early + max(0, rest), "early_exaggeration_iter": early,
            "init": "pca" if start is None else "previous frame",
            "gradient": "fft (openTSNE)", "neighbours": k}
    if perplexity is not None:
        used["perplexity"] = round(perplexity, 3)
    return coords, used, note


def _neighbours(reduced: Reduced, k: int, seed: int, watch: dict
                ) -> tuple[np.ndarray, np.ndarray]:
    """The layout's neighbour table, said in the progress (the first fifth of the stage; the
    layout reports the rest) and stoppable between blocks of the search."""
    on_progress, should_stop = watch.get("on_progress"), watch.get("should_stop")
    check_stop(should_stop)
    n = len(reduced.points)
    kept = (f"PCA to {reduced.n_components} components" if reduced.explained_variance is not None
            else f"{reduced.n_components} values a row")
    report(on_progress, "project", 0.05, f"{kept}; nearest neighbours of {_n_fmt(n)} rows…")
    ind, dist = nearest_neighbours(reduced.points, k, seed, on_progress, should_stop,
                                   (0.05, 0.2))
    check_stop(should_stop)
    return ind, dist


def _tsne(arr: np.ndarray, seed: int, params: dict, watch: dict
          ) -> tuple[np.ndarray, dict, str, Optional[float]]:
    metric = str(params.get("metric", "cosine"))
    reduced = prepare(arr, metric, int(params.get("pca_components", DEFAULT_PCA_COMPONENTS)),
                      seed)
    coords, used, note = _tsne_on(reduced, seed, params, watch)
    used.update(metric=metric, pca_components=reduced.n_components)
    return coords, used, note, reduced.explained_variance


def _pca_tsne(arr: np.ndarray, seed: int, params: dict, watch: dict
              ) -> tuple[np.ndarray, dict, str, Optional[float]]:
    """The course pipeline (IMDB post): PCA to k components, then t-SNE on them (Euclidean)."""
    k = int(params.get("pca_components", PCA_TSNE_COMPONENTS))
    if k < 1:
        raise ReprvizError(f"pca_components must be at least 1, not {k}")
    reduced = pca_reduce(arr, k, seed)
    ev = 1.0 if reduced.explained_variance is None else reduced.explained_variance
    coords, used, note = _tsne_on(reduced, seed, params, watch)
    if reduced.n_components < k:
        extra = f"PCA kept {reduced.n_components} components (the data has only that many)."
        note = f"{note} {extra}".strip()
    used.update(metric="euclidean", pca_components=reduced.n_components)
    return coords, used, note, ev


def neighbour_search(n: int) -> str:
    """How the map's neighbour table of ``n`` rows is found (the map's parameters say it)."""
    from .neighbors import APPROXIMATE_FROM, IVF_PROBE, has_faiss

    return (f"approximate (faiss IVF, {IVF_PROBE} cells probed)"
            if n >= APPROXIMATE_FROM and has_faiss() else "exact")


def _umap_init(init: Any) -> str | np.ndarray:
    return np.asarray(init, dtype=np.float64) if isinstance(init, np.ndarray) else str(init)


def _umap(arr: np.ndarray, seed: int, params: dict, watch: dict,
          on_fitted: Optional[Callable[[UmapFit], None]] = None
          ) -> tuple[np.ndarray, dict, str, Optional[float]]:
    n = len(arr)
    set_ = umap_settings(n, params)
    want, n_neighbors, large = set_["want_neighbors"], set_["n_neighbors"], set_["large"]
    # the neighbour table, the fuzzy graph (about 3 × k edges) and its float64 weights
    check_fits(n * n_neighbors * 8 * 6, f"UMAP neighbour graph of {_n_fmt(n)} samples")
    note = ""
    if n_neighbors < want:
        note = f"n_neighbors lowered from {want} to {n_neighbors} for {n} samples."
    metric = set_["metric"]
    reduced = prepare(arr, metric, set_["pca_components"], seed)
    ind, dist = _neighbours(reduced, n_neighbors - 1, seed, watch)
    n_epochs = set_["n_epochs"]
    start = params.get("init", "pca" if large else "spectral")
    if large and "n_epochs" not in params and "init" not in params:
        note = (f"{note} {_n_fmt(n)} points: {n_epochs} epochs from a PCA start (the spectral "
                "start and 200 epochs cost ten times as long for the same map; umap too "
                "shortens its schedule as N grows).").strip()
    coords, init, init_note = layouts.umap_layout(
        reduced.points, ind, dist, n_neighbors=n_neighbors,
        min_dist=float(params.get("min_dist", 0.1)), seed=seed, n_epochs=n_epochs,
        init=_umap_init(start), principal=reduced.explained_variance is not None, **watch)
    if not np.isfinite(coords).all() and init != "random":
        coords, init, _ = layouts.umap_layout(
            reduced.points, ind, dist, n_neighbors=n_neighbors,
            min_dist=float(params.get("min_dist", 0.1)), seed=seed, n_epochs=n_epochs,
            init="random", **watch)
        init_note = "Spectral start failed; used a random start."
    note = f"{note} {init_note}".strip()
    used = {"n_neighbors": n_neighbors, "min_dist": float(params.get("min_dist", 0.1)),
            "metric": metric, "init": init, "n_epochs": n_epochs,
            "pca_components": reduced.n_components, "neighbours": neighbour_search(n)}
    if on_fitted is not None:
        on_fitted(UmapFit(reduced, n_neighbors, used["min_dist"], n_epochs, metric, seed))
    return coords, used, note, reduced.explained_variance


def warm_up(methods: tuple[str, ...] = ("umap",), seed: int = 0) -> float:
    """Pay every start-up cost of ``methods`` now (imports; UMAP's numba compile, loaded from
    the on-disk cache after the first run on a machine). Run it in the projection process at
    launch. The map path is the same for any N (no nearest-neighbour descent), so a small set
    compiles everything a 70,000-point map needs; the set has three far-apart clusters so the
    disconnected-graph start is compiled too. Returns the seconds it took."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((3, 16)).astype(np.float32) * 20.0
    pts = (np.repeat(centres, 100, axis=0)
           + rng.standard_normal((300, 16)).astype(np.float32))
    for method in methods:
        method = _normalise_method(method)
        if method in ("umap",):
            project(pts, "umap", seed=seed, n_epochs=20)
        elif method in ("tsne", "pca-tsne"):
            project(pts, method, seed=seed, max_iter=20, early_exaggeration_iter=10)
    return time.perf_counter() - t0


def warm_up_umap(n: int = 300, dim: int = 16, seed: int = 0) -> float:
    """Kept for callers of the old name: ``warm_up(("umap",))`` (``n``/``dim`` are ignored;
    every path compiles on the small set)."""
    return warm_up(("umap",), seed)
