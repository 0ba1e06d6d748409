"""Training as a film: one 2-D map per recorded epoch, each aligned with the one before, so the
same sample can be followed while the representation forms (numpy / scikit-learn; no Qt, no TF).

How each method is aligned (``ALIGNMENT``, said in the Film view and report.json):

- PCA: each frame's PCA is rotated (or reflected) onto the previous frame by an orthogonal
  Procrustes fit (``scipy.linalg.orthogonal_procrustes``): PCA's axes are defined only up to
  sign and order, and flip between epochs.
- t-SNE, PCA → t-SNE, UMAP, MDS: each frame's layout starts from the previous frame's
  coordinates instead of a fresh PCA/spectral/classical start, then the same Procrustes fit
  removes what rotation is left. umap's ``AlignedUMAP`` works here, but 4 frames of 200 points
  took 115 s (its pynndescent code is compiled in every process and cannot be cached): too slow
  for a film made while you watch.

Every frame is centred and scaled to unit root-mean-square radius, so the view's axes stay put
and displacements compare across methods. ``mean_displacement`` is the issue's measure: the mean
distance a point moves between consecutive frames, after centring and scaling.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

import numpy as np

from ..progress import ProgressFn, StopFn, check_stop, report

ALIGNMENT = {
    "pca": "Procrustes onto the previous frame",
    "tsne": "each frame starts from the previous frame, then Procrustes",
    "pca-tsne": "each frame starts from the previous frame, then Procrustes",
    "umap": "each frame starts from the previous frame (not AlignedUMAP: too slow here), "
            "then Procrustes",
    "mds": "each frame starts from the previous frame (SMACOF), then Procrustes",
}

ProjectFn = Callable[..., Any]  # analysis.project or the map child's project
FrameFn = Callable[["FilmMaps"], None]


@dataclass(frozen=True)
class FilmMaps:
    """The film's maps: ``coords[e]`` is frame ``e``'s (N, 2) map (centred, unit RMS radius)."""

    coords: np.ndarray  # (E, N, 2) float32; frames not computed yet are absent (E < epochs)
    epochs: np.ndarray  # (E,) the epoch of each frame (0 = before training)
    method: str
    aligned: bool
    alignment: str  # how frames were aligned (ALIGNMENT), or "none"
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n_frames(self) -> int:
        return int(len(self.coords))


def normalise(coords: np.ndarray) -> np.ndarray:
    """Centred, scaled to unit root-mean-square distance from the centre (float64)."""
    c = np.asarray(coords, dtype=np.float64)
    c = c - c.mean(axis=0, keepdims=True)
    rms = float(np.sqrt(np.mean(np.sum(c * c, axis=1))))
    return c / rms if rms > 0 else c


def procrustes_onto(moving: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``moving`` (normalised) rotated/reflected to best match ``target`` (normalised): the
    orthogonal R minimising ||moving·R − target||."""
    from scipy.linalg import orthogonal_procrustes

    a, b = normalise(moving), normalise(target)
    if not np.any(a) or not np.any(b):
        return a
    r, _ = orthogonal_procrustes(a, b)
    return a @ r


def mean_displacement(frames: np.ndarray | Sequence[np.ndarray]) -> float:
    """Mean distance a point moves between consecutive frames, each centred and scaled to unit
    RMS radius first (0.0 with fewer than two frames)."""
    frames = [normalise(f) for f in frames]
    if len(frames) < 2:
        return 0.0
    steps = [np.linalg.norm(b - a, axis=1).mean() for a, b in zip(frames, frames[1:])]
    return float(np.mean(steps))


def _project_default(a: np.ndarray, method: str, seed: int = 0, **params: Any) -> Any:
    from .projection import project

    return project(a, method, seed=seed, **params)


def film_maps(frames: Sequence[np.ndarray], method: str, epochs: Sequence[int] | None = None,
              seed: int = 0, aligned: bool = True, project_fn: Optional[ProjectFn] = None,
              on_frame: Optional[FrameFn] = None, on_progress: ProgressFn | None = None,
              should_stop: StopFn | None = None, **params: Any) -> FilmMaps:
    """The maps of a film's frames (each (N, D) activations), in order.

    ``aligned``: each frame aligned with the previous one as ``ALIGNMENT`` says; otherwise each
    map is made on its own with the same seed (the baseline the aligned film is measured
    against). ``project_fn`` computes one map (default: ``analysis.project`` here; the window
    passes the map child's). ``on_frame(FilmMaps so far)`` after each frame: the film fills in
    progressively.
    """
    import time

    from .projection import _normalise_method

    method = _normalise_method(method)
    project_fn = project_fn or _project_default
    epochs = list(range(len(frames))) if epochs is None else [int(e) for e in epochs]
    alignment = ALIGNMENT.get(method, "Procrustes onto the previous frame") if aligned \
        else "none"
    started = time.perf_counter()
    done: list[np.ndarray] = []
    notes: list[str] = []

    def so_far() -> FilmMaps:
        coords = np.stack(done).astype(np.float32) if done else np.zeros((0, 0, 2), np.float32)
        return FilmMaps(coords, np.asarray(epochs[:len(done)], dtype=np.int64), method,
                        aligned, alignment, time.perf_counter() - started,
                        tuple(dict.fromkeys(notes)))

    for i, acts in enumerate(frames):
        check_stop(should_stop)
        report(on_progress, "film", i / max(len(frames), 1),
               f"Film: frame {i + 1}/{len(frames)} (epoch {epochs[i]})", kind="film")
        extra = dict(params)
        if aligned and done and method != "pca":
            extra["init"] = done[-1]  # the previous frame (normalised) as the start
        proj = project_fn(np.asarray(acts, dtype=np.float32), method, seed=seed,
                          should_stop=should_stop, **extra)
        if getattr(proj, "note", ""):
            notes.append(proj.note)
        coords = np.asarray(proj.coords, dtype=np.float64)
        coords = procrustes_onto(coords, done[-1]) if aligned and done else normalise(coords)
        done.append(coords)
        if on_frame is not None:
            on_frame(so_far())
    report(on_progress, "film", 1.0, f"Film: {len(done)} frames", kind="film")
    return so_far()


@dataclass(frozen=True)
class FilmLayerMetrics:
    """kNN and linear-probe accuracy of every layer at every recorded epoch (the measures of
    ``core/analysis/depth.py``, on the same held-out split for every layer and epoch)."""

    layers: tuple[str, ...]
    epochs: np.ndarray  # (E,)
    knn_accuracy: np.ndarray  # (E, L); NaN where it could not be measured
    probe_accuracy: np.ndarray  # (E, L)

    def to_dict(self) -> dict:
        def rows(a: np.ndarray) -> list:
            return [[None if np.isnan(v) else float(v) for v in r] for r in a]

        return {"layers": list(self.layers), "epochs": self.epochs.tolist(),
                "knn_accuracy": rows(self.knn_accuracy),
                "probe_accuracy": rows(self.probe_accuracy)}


def film_layer_metrics(depth_frames: Sequence[Any], epochs: Sequence[int], seed: int = 0,
                       on_progress: ProgressFn | None = None,
                       should_stop: StopFn | None = None) -> FilmLayerMetrics:
    """Per epoch, the kNN (k = 10, cosine) and probe accuracy of each layer of
    ``depth_frames`` (one ``measures.DepthActivations`` per recorded epoch)."""
    from .depth import held_out_split, knn_accuracy, probe_accuracy

    if not depth_frames:
        z = np.zeros((0, 0))
        return FilmLayerMetrics((), np.zeros(0, np.int64), z, z)
    names = tuple(depth_frames[0].names)
    labels = np.asarray(depth_frames[0].labels, dtype=np.int64)
    fit, score = held_out_split(labels, seed)
    knn = np.full((len(depth_frames), len(names)), np.nan)
    probe = np.full_like(knn, np.nan)
    for e, frame in enumerate(depth_frames):
        for i, name in enumerate(names):
            check_stop(should_stop)
            x = frame.get(name).x
            knn[e, i] = knn_accuracy(x, labels, fit, score)
            p = probe_accuracy(x, labels, fit, score, seed)
            probe[e, i] = np.nan if p is None else p
        report(on_progress, "film", (e + 1) / len(depth_frames),
               f"Layers along training: epoch {int(epochs[e])}")
    return FilmLayerMetrics(names, np.asarray(epochs, dtype=np.int64), knn, probe)


def frame_accuracy(predictions: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(E,) accuracy of each frame's predicted classes (E, N) against the true labels (N,)."""
    p = np.asarray(predictions)
    y = np.asarray(labels).reshape(1, -1)
    if p.size == 0:
        return np.zeros(len(p))
    return (p == y).mean(axis=1)


__all__ = ["ALIGNMENT", "FilmLayerMetrics", "FilmMaps", "film_layer_metrics", "film_maps",
           "frame_accuracy", "mean_displacement",
           "normalise", "procrustes_onto"]
