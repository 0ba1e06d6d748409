"""Where a new point lands on an existing 2-D map (issue 16 §2: your own input), by the map
method's own out-of-sample rule: PCA's projection (the same seeded fit as the map), openTSNE's
``transform`` for t-SNE (the shown map as the reference embedding, affinities refitted), umap's
``UMAP.transform`` for UMAP (in the projection process: ``umap_transform``), and for MDS the
mean map position of the input's nearest samples (cosine), said as such. No Qt, no numba here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from ..errors import Cancelled, ReprvizError
from ..progress import StopFn

NEIGHBOURS_FOR_MEAN = 10  # the k of "mean position of the k nearest samples"


# --- placing a new point on an existing map -------------------------------------------------
@dataclass(frozen=True)
class Placement:
    position: np.ndarray  # (2,) float64 map coordinates
    how: str  # what was used, in words the view shows
    rule: str  # "pca-projection" | "tsne-transform" | "umap-transform" | "neighbour-mean"


def _unit(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    norm = np.linalg.norm(a, axis=-1, keepdims=True)
    return a / np.where(norm > 0, norm, 1.0)


def neighbour_mean(activations: np.ndarray, coords: np.ndarray, point: np.ndarray,
                   k: int = NEIGHBOURS_FOR_MEAN) -> tuple[np.ndarray, np.ndarray]:
    """(mean map position of the ``k`` samples nearest ``point`` by cosine, their rows)."""
    sims = _unit(activations) @ _unit(point.reshape(-1))
    k = max(1, min(int(k), len(sims)))
    rows = np.argsort(-sims, kind="stable")[:k]
    return np.asarray(coords, dtype=np.float64)[rows].mean(axis=0), rows


def _pca_position(activations: np.ndarray, coords: np.ndarray, point: np.ndarray,
                  seed: int) -> np.ndarray:
    """The map's own PCA (same data, same seed: ``projection._pca``) applied to the point. Should
    the refit ever differ from the shown map (a sign), an affine fit maps it onto the map."""
    from sklearn.decomposition import PCA

    arr = np.asarray(activations, dtype=np.float32)
    k = min(2, arr.shape[0], arr.shape[1])
    key = ("pca", id(activations), arr.shape, seed)
    kept = _PCA_FITS.get(key)
    if kept is None:  # fitted once per map: each stroke only projects its point
        pca = PCA(n_components=k, random_state=seed).fit(arr)
        _PCA_FITS.clear()
        _PCA_FITS[key] = kept = (pca, pca.transform(arr).astype(np.float64), activations)
    pca, refit = kept[0], kept[1]
    new = pca.transform(np.asarray(point, dtype=np.float32).reshape(1, -1)).astype(np.float64)
    if k < 2:
        refit = np.hstack([refit, np.zeros((len(refit), 2 - k))])
        new = np.hstack([new, np.zeros((1, 2 - k))])
    shown = np.asarray(coords, dtype=np.float64)
    if np.allclose(refit, shown, rtol=1e-3, atol=1e-3 * (np.abs(shown).max() + 1e-12)):
        return new[0]
    design = np.hstack([refit, np.ones((len(refit), 1))])
    m, *_ = np.linalg.lstsq(design, shown, rcond=None)
    return np.hstack([new[0], 1.0]) @ m


_PCA_FITS: dict[tuple, Any] = {}  # the map's PCA, kept with its activations (their id)
_TSNE_REFERENCES: dict[tuple, Any] = {}  # (id of coords, shape) -> openTSNE TSNEEmbedding


def _tsne_position(activations: np.ndarray, coords: np.ndarray, point: np.ndarray,
                   seed: int) -> np.ndarray:
    """openTSNE's ``transform``: the shown map is the reference embedding; its affinities are
    refitted once per map (cosine, perplexity 30) and kept; the new point starts at its
    neighbours' positions and is optimised against the fixed map."""
    from openTSNE import TSNEEmbedding
    from openTSNE.affinity import PerplexityBasedNN

    key = (id(coords), coords.shape, id(activations))
    ref = _TSNE_REFERENCES.get(key)
    if ref is None:
        unit = _unit(activations)
        perplexity = float(max(2, min(30, (len(unit) - 1) // 3)))
        aff = PerplexityBasedNN(unit, perplexity=perplexity, metric="euclidean",
                                method="exact", random_state=seed, n_jobs=1)
        ref = TSNEEmbedding(np.asarray(coords, dtype=np.float64), aff, random_state=seed,
                            n_jobs=1)
        _TSNE_REFERENCES.clear()  # one map at a time: the one shown
        _TSNE_REFERENCES[key] = (ref, coords, activations)  # keep the ids alive with it
    else:
        ref = ref[0]
    moved = ref.transform(_unit(point.reshape(1, -1)), n_iter=100)
    return np.asarray(moved, dtype=np.float64)[0]


def _umap_placement(activations: np.ndarray, coords: np.ndarray, point: np.ndarray, seed: int,
                    params: Optional[dict], should_stop: StopFn | None) -> Placement:
    """umap's own ``transform`` in the projection process (numba never runs here)."""
    from .projection_process import transform_in_process

    try:
        out = transform_in_process(activations, coords, point[None, :], seed, params,
                                   should_stop)
        pos = np.asarray(out["positions"], dtype=np.float64)[0]
        if not np.isfinite(pos).all():  # e.g. every sample the same: no neighbourhood to use
            raise ReprvizError("no finite position")
    except Cancelled:
        raise
    except Exception as exc:  # noqa: BLE001 - fall back to the neighbours, said as such
        pos, _ = neighbour_mean(activations, coords, point)
        return Placement(pos, f"UMAP transform failed ({type(exc).__name__}: {exc}); the mean "
                              f"position of its {NEIGHBOURS_FOR_MEAN} nearest samples (cosine)",
                         "neighbour-mean")
    fit = ("the map's own fit, kept by the map worker" if out["fit"] == "map" else
           "refitted in the map worker on the same activations and parameters: the map was "
           "drawn in another process")
    width = (f"{out['pca_components']} PCA components" if out.get("pca") else
             f"its {out['pca_components']} value" + ("s" if out["pca_components"] != 1 else ""))
    how = (f"UMAP: umap's transform against the shown map ({out['n_neighbors']} neighbours "
           f"by {out['metric']} on {width}, {out['epochs']} epochs; {fit})")
    return Placement(pos, how, "umap-transform")


def place_on_map(activations: np.ndarray, coords: np.ndarray, method: str, point: np.ndarray,
                 seed: int = 0, params: Optional[dict] = None,
                 should_stop: StopFn | None = None) -> Placement:
    """Where ``point`` (one row of the layer, like ``activations``' rows) lands on the map
    ``coords`` made from ``activations`` with ``method`` (``params``: the map's own, UMAP;
    None: the defaults)."""
    activations = np.asarray(activations)
    coords = np.asarray(coords)
    point = np.asarray(point, dtype=np.float64).reshape(-1)
    if activations.ndim != 2 or point.size != activations.shape[1]:
        raise ReprvizError(f"The input has {point.size} values in this layer, the map's samples "
                           f"{activations.shape[1] if activations.ndim == 2 else '?'}.")
    if method == "pca":
        return Placement(_pca_position(activations, coords, point, seed),
                         "PCA: the map's own projection applied to the input", "pca-projection")
    if method == "umap":
        return _umap_placement(activations, coords, point, seed, params, should_stop)
    if method in ("tsne", "pca-tsne"):
        try:
            pos = _tsne_position(activations, coords, point, seed)
            return Placement(pos, "t-SNE: openTSNE's transform against the shown map "
                                  "(affinities refitted on cosine, perplexity 30)",
                             "tsne-transform")
        except Exception as exc:  # noqa: BLE001 - fall back to the neighbours, said as such
            pos, _ = neighbour_mean(activations, coords, point)
            return Placement(pos, f"t-SNE transform failed ({type(exc).__name__}); the mean "
                                  f"position of its {NEIGHBOURS_FOR_MEAN} nearest samples",
                             "neighbour-mean")
    pos, _ = neighbour_mean(activations, coords, point)
    label = {"mds": "MDS"}.get(method, method)
    return Placement(pos, f"{label}: the mean position of its {NEIGHBOURS_FOR_MEAN} nearest "
                          "samples (cosine) — not the method's own transform", "neighbour-mean")
