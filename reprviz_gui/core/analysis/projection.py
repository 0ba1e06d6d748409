"""2-D maps of a layer's representation (numpy / scikit-learn / umap; no Qt).

Everything here works in float32 and refuses, up front, any N×N request that would not fit in
memory (``memory.check_fits``). umap is imported lazily: it is slow to import (it pulls in
TensorFlow for ParametricUMAP and compiles with numba on first use), so the GUI can pay for it in
the background with ``warm_up_umap()``.
"""


from __future__ import annotations

import inspect
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from ..errors import ReprvizError
from ..memory import check_fits
from ..progress import ProgressFn, StopFn, check_stop, report
from .similarity import _as_matrix, _n_fmt, cosine_similarity

METHODS = ("pca", "mds", "tsne", "umap")
METHOD_LABELS = {"pca": "PCA", "mds": "MDS (1 − cosine)", "tsne": "t-SNE", "umap": "UMAP"}


# --- 2-D maps --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Projection:
    """A 2-D map of N samples."""

    coords: np.ndarray  # (N, 2) float32
    method: str  # "pca" | "mds" | "tsne" | "umap"
    explained_variance: Optional[np.ndarray] = None  # PCA: variance ratio of the 2 components
    seconds: float = 0.0
    note: str = ""  # e.g. why a fallback was used
    params: dict = field(default_factory=dict)  # parameters used (perplexity after clipping…)


def project(a: Any, method: str = "pca", seed: int = 0, on_progress: ProgressFn | None = None,
            should_stop: StopFn | None = None, **params: Any) -> Projection:
    """Map the rows of ``a`` to 2-D with PCA, metric MDS on 1 − cosine, t-SNE or UMAP.

    Extra keyword ``params`` go to the method: ``perplexity``/``max_iter`` (t-SNE), ``n_neighbors``/
    ``min_dist`` (UMAP), ``max_iter``/``n_init`` (MDS), ``metric`` (t-SNE/UMAP; default cosine).
    Seeded: the same input and seed give the same map.
    """
    method = str(method).lower().replace("-", "")
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
    used: dict[str, Any] = {}
    if method == "pca":
        coords, ev, used = _pca(arr, seed)
    elif method == "mds":
        check_fits(n * n * 8 * 4, f"MDS of {_n_fmt(n)} samples")
        coords, used = _mds(arr, seed, params)
    elif method == "tsne":
        coords, used, note = _tsne(arr, seed, params)
    else:
        coords, used, note = _umap(arr, seed, params)
    check_stop(should_stop)
    coords = np.ascontiguousarray(coords, dtype=np.float32)
    if not np.isfinite(coords).all():
        raise ReprvizError(f"{label} produced non-finite coordinates; try PCA or another seed")
    seconds = time.perf_counter() - t0
    report(on_progress, "project", 1.0, f"{label} of {_n_fmt(n)} samples done in {seconds:.1f} s",
           method=method, seconds=seconds)
    return Projection(coords, method, ev, seconds, note, used)


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
    if "init" in sig:  # 1.8+: deterministic classical-MDS start converges faster and better
        kwargs["init"] = params.get("init", "classical_mds")
    if "normalized_stress" in sig:
        kwargs["normalized_stress"] = "auto"
    d = _cosine_dissimilarity_f64(arr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # FutureWarnings about changing defaults
        coords = MDS(**kwargs).fit_transform(d)
    used = {k: v for k, v in kwargs.items() if k in ("n_init", "max_iter", "init")}
    used["dissimilarity"] = "1 - cosine"
    return coords.astype(np.float32), used


def _tsne(arr: np.ndarray, seed: int, params: dict) -> tuple[np.ndarray, dict, str]:
    from sklearn.manifold import TSNE

    n = len(arr)
    want = float(params.get("perplexity", 30.0))
    # scikit-learn needs perplexity < n; a third of n keeps enough neighbours for small sets
    perplexity = max(1.0, min(want, (n - 1) / 3.0))
    note = ""
    if perplexity < want:
        note = f"Perplexity lowered from {want:g} to {perplexity:.1f} for {n} samples."
    metric = params.get("metric", "cosine")
    init = "pca" if arr.shape[1] >= 2 else "random"  # a PCA start needs two features
    kwargs = dict(n_components=2, perplexity=perplexity, init=init, random_state=seed,
                  max_iter=int(params.get("max_iter", 1000)), learning_rate="auto",
                  metric=metric)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        coords = TSNE(**kwargs).fit_transform(arr)
    used = {"perplexity": round(perplexity, 3), "max_iter": kwargs["max_iter"], "metric": metric,
            "init": init}
    return coords.astype(np.float32), used, note


def _import_umap():
    # umap's __init__ imports ParametricUMAP, which imports TensorFlow/Keras. Importing Keras
    # on the projection thread while the model thread traces a TF graph crashed TF (segfault in
    # graph_def_versions, seen in the window). We never use ParametricUMAP, so block that one
    # submodule: umap then guards the ImportError itself and never touches TensorFlow.
    import sys

    if "umap" not in sys.modules:
        sys.modules.setdefault("umap.parametric_umap", None)  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import umap  # noqa: PLC0415 - slow import, on purpose only here

    return umap


def _umap(arr: np.ndarray, seed: int, params: dict) -> tuple[np.ndarray, dict, str]:
    umap = _import_umap()
    n = len(arr)
    # below 4,096 samples umap computes all pairwise distances; above, a neighbour graph
    check_fits(n * n * 8 if n < 4096 else n * 64 * 8,
               f"UMAP neighbour graph of {_n_fmt(n)} samples")
    want = int(params.get("n_neighbors", 15))
    n_neighbors = max(2, min(want, n - 1))
    note = ""
    if n_neighbors < want:
        note = f"n_neighbors lowered from {want} to {n_neighbors} for {n} samples."
    metric = params.get("metric", "cosine")
    kwargs = dict(n_components=2, n_neighbors=n_neighbors,
                  min_dist=float(params.get("min_dist", 0.1)), metric=metric,
                  random_state=seed, n_jobs=1,  # a seed makes umap single-threaded anyway
                  init=params.get("init", "spectral"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            coords = umap.UMAP(**kwargs).fit_transform(arr)
        except (ValueError, TypeError, np.linalg.LinAlgError):
            if kwargs["init"] == "random":
                raise
            # the spectral start can fail on tiny or disconnected sets; a random start cannot
            kwargs["init"] = "random"
            coords = umap.UMAP(**kwargs).fit_transform(arr)
            note = (note + " " if note else "") + "Spectral start failed; used a random start."
        if not np.isfinite(coords).all() and kwargs["init"] != "random":
            kwargs["init"] = "random"
            coords = umap.UMAP(**kwargs).fit_transform(arr)
            note = (note + " " if note else "") + "Spectral start failed; used a random start."
    used = {"n_neighbors": n_neighbors, "min_dist": kwargs["min_dist"], "metric": metric,
            "init": kwargs["init"]}
    return np.asarray(coords, dtype=np.float32), used, note


def warm_up_umap(n: int = 200, dim: int = 16, seed: int = 0) -> float:
    """Import umap and run it once on ``n`` random points so numba's JIT compile is paid now
    (call from a background thread at start-up). Returns the seconds it took."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    pts = rng.standard_normal((n, dim)).astype(np.float32)
    _umap(pts, seed, {})
    return time.perf_counter() - t0


