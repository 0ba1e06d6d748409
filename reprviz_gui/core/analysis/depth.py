"""What each layer knows: kNN and linear-probe accuracy, dead units, zeros and intrinsic
dimension of every layer's activations for one sample set (issue "Depth, trust and difference").

The held-out split: the sample set is split once, stratified by class, ``TRAIN_FRACTION`` (70 %)
to fit the kNN classifier and the probe and the other 30 % to score them (seeded, the same rows
for every layer, so layers are comparable). kNN: k = 10, cosine distance, majority vote
(scikit-learn's ``KNeighborsClassifier``). Probe: multinomial logistic regression (lbfgs) on
standardised inputs. Intrinsic dimension: TwoNN (Facco et al. 2017) by scikit-dimension.

Layers wider than ``MAX_UNITS`` (conv feature maps) are reduced to ``MAX_UNITS`` by a seeded
Gaussian random projection (Johnson–Lindenstrauss: distances, and so kNN, probe and TwoNN, are
kept up to a small distortion) before kNN, probe and ID; dead units and zeros use every unit.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from typing import Callable, Optional, Sequence

import numpy as np

from ..progress import ProgressFn, StopFn, check_stop, report

KNN_K = 10
TRAIN_FRACTION = 0.7
MAX_UNITS = 1024
PROBE_MAX_ITER = 100


@dataclass(frozen=True)
class LayerMetrics:
    """One layer's row of the depth view / ``layer_metrics`` report key."""

    layer: str
    units: int
    knn_accuracy: Optional[float]
    probe_accuracy: Optional[float]
    dead_units: int
    fraction_zero: float
    intrinsic_dimension: Optional[float]
    reduced_to: Optional[int] = None  # units after the random projection, when wider

    def to_dict(self) -> dict:
        return asdict(self)


def dead_units_and_zeros(acts: np.ndarray) -> tuple[int, float]:
    """``(dead units, fraction of zeros)`` by the one definition of ``metrics.layer_statistics``
    (the Layer statistics view and ``report.json``'s ``layer``): dead = exactly 0 on every
    sample."""
    from .metrics import layer_statistics

    a = np.asarray(acts).reshape(len(acts), -1)
    stats = layer_statistics(a, np.zeros(len(a), dtype=np.int64), ())
    return int(stats["dead_units"]), float(stats["fraction_zero"] or 0.0)


def held_out_split(labels: np.ndarray, seed: int = 0,
                   train_fraction: float = TRAIN_FRACTION) -> tuple[np.ndarray, np.ndarray]:
    """``(fit rows, scored rows)``: stratified by class where every class has 2+ samples."""
    from sklearn.model_selection import train_test_split

    labels = np.asarray(labels)
    rows = np.arange(len(labels))
    counts = np.bincount(labels) if len(labels) else np.array([])
    stratify = labels if len(counts) and counts[counts > 0].min() >= 2 else None
    try:
        fit, score = train_test_split(rows, train_size=train_fraction, random_state=seed,
                                      stratify=stratify)
    except ValueError:  # too few samples of a class for the scored part
        fit, score = train_test_split(rows, train_size=train_fraction, random_state=seed)
    return np.sort(fit), np.sort(score)


def reduce_width(acts: np.ndarray, max_units: int = MAX_UNITS, seed: int = 0
                 ) -> tuple[np.ndarray, Optional[int]]:
    """The activations as (N, units) float32, randomly projected to ``max_units`` if wider."""
    a = np.asarray(acts, dtype=np.float32).reshape(len(acts), -1)
    if a.shape[1] <= max_units:
        return a, None
    rng = np.random.default_rng(seed)
    proj = rng.standard_normal((a.shape[1], max_units), dtype=np.float32)
    proj /= np.sqrt(np.float32(max_units))
    return a @ proj, max_units


def knn_accuracy(x: np.ndarray, labels: np.ndarray, fit: np.ndarray, score: np.ndarray,
                 k: int = KNN_K) -> float:
    """Accuracy on ``score`` rows of a k-NN vote (cosine) among the ``fit`` rows."""
    from sklearn.neighbors import KNeighborsClassifier

    clf = KNeighborsClassifier(n_neighbors=min(k, len(fit)), metric="cosine",
                               algorithm="brute")
    clf.fit(x[fit], labels[fit])
    return float(np.mean(clf.predict(x[score]) == labels[score]))


def probe_accuracy(x: np.ndarray, labels: np.ndarray, fit: np.ndarray, score: np.ndarray,
                   seed: int = 0) -> Optional[float]:
    """Accuracy on ``score`` rows of a multinomial logistic regression on standardised
    inputs fitted on ``fit`` rows; None when the fit rows hold a single class."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if len(np.unique(labels[fit])) < 2:
        return None
    probe = make_pipeline(StandardScaler(),
                          LogisticRegression(max_iter=PROBE_MAX_ITER, random_state=seed))
    from threadpoolctl import threadpool_limits

    # one BLAS thread: lbfgs's small products fought over the two cores with two (700 × 784:
    # 1.12 s with two threads, 0.18 s with one, measured on the shared machine)
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        # 100 lbfgs steps: held-out accuracy within a point of 1,000 (measured)
        warnings.simplefilter("ignore", ConvergenceWarning)
        probe.fit(x[fit], labels[fit])
        return float(np.mean(probe.predict(x[score]) == labels[score]))


def intrinsic_dimension(x: np.ndarray) -> Optional[float]:
    """TwoNN estimate (scikit-dimension's, linear fit, 10 % largest ratios discarded); None
    when it cannot be estimated. The two nearest distances come from scikit-learn's brute-force
    search (skdim sorts whole distance rows for wide data: 10 s instead of 1 s for 4,443 × 784);
    duplicate points (zero distance) are dropped by skdim."""
    import skdim
    from sklearn.neighbors import NearestNeighbors

    x = np.asarray(x, dtype=np.float32).reshape(len(x), -1)
    if len(x) < 10:
        return None
    dist, _ = NearestNeighbors(n_neighbors=2, algorithm="brute").fit(x).kneighbors()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            d = float(skdim.id.TwoNN(dist=True).fit(dist.astype(np.float64)).dimension_)
        except ValueError:  # fewer than 2 distinct points
            return None
    return d if np.isfinite(d) else None


@dataclass(frozen=True)
class LayerActivations:
    """A layer ready to be measured: its activations reduced to at most ``MAX_UNITS`` columns,
    with what needs every unit (dead units, zeros) counted before the reduction."""

    layer: str
    x: np.ndarray  # (N, <= MAX_UNITS) float32
    units: int
    dead_units: int
    fraction_zero: float
    reduced_to: Optional[int] = None

    @property
    def nbytes(self) -> int:
        return int(self.x.nbytes)


def prepare_layer(acts: np.ndarray, layer: str = "", seed: int = 0) -> LayerActivations:
    dead, zeros = dead_units_and_zeros(acts)
    x, reduced = reduce_width(acts, seed=seed)
    return LayerActivations(layer, x, int(np.prod(np.shape(acts)[1:])), dead, zeros, reduced)


def layer_metrics(acts: "np.ndarray | LayerActivations", labels: np.ndarray, layer: str = "",
                  split: Optional[tuple[np.ndarray, np.ndarray]] = None,
                  seed: int = 0) -> LayerMetrics:
    """Every metric of one layer (``acts``: (N, ...) rows in sample-set order, or prepared)."""
    la = acts if isinstance(acts, LayerActivations) else prepare_layer(acts, layer, seed)
    labels = np.asarray(labels, dtype=np.int64)
    fit, score = split if split is not None else held_out_split(labels, seed)
    ok = len(fit) > 0 and len(score) > 0
    knn = knn_accuracy(la.x, labels, fit, score) if ok else None
    probe = probe_accuracy(la.x, labels, fit, score, seed) if ok else None
    return LayerMetrics(la.layer or layer, la.units, knn, probe, la.dead_units,
                        la.fraction_zero, intrinsic_dimension(la.x), la.reduced_to)


def depth_metrics(names: Sequence[str],
                  get_acts: "Callable[[str], np.ndarray | LayerActivations]",
                  labels: np.ndarray, seed: int = 0, on_progress: ProgressFn | None = None,
                  should_stop: StopFn | None = None) -> list[LayerMetrics]:
    """``layer_metrics`` of every layer in ``names`` (in depth order), reading each layer's
    activations through ``get_acts`` one at a time; the same held-out split for every layer."""
    split = held_out_split(np.asarray(labels), seed)
    out = []
    for i, name in enumerate(names):
        check_stop(should_stop)
        report(on_progress, "depth", i / max(1, len(names)), f"Layer metrics: {name}…")
        out.append(layer_metrics(get_acts(name), labels, name, split, seed))
    report(on_progress, "depth", 1.0, "Layer metrics done")
    return out
