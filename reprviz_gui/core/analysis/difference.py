"""Where two models part: the agreement table, each sample's neighbourhood change between two
layers, and whether a model's confusions line up with the overlap of its class centroids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from .map_quality import K, _unit_rows, knn_indices
from .metrics import confusion_matrix
from .similarity import centroid_similarity

AGREEMENT_CELLS = ("both right", "only A right", "only B right", "both wrong")


@dataclass(frozen=True)
class Agreement:
    """The 2 × 2 table of two models' predictions on the same samples."""

    cells: dict[str, np.ndarray]  # cell name -> indices (into the arrays given), increasing

    def counts(self) -> dict[str, int]:
        return {name: int(len(rows)) for name, rows in self.cells.items()}

    def table(self) -> np.ndarray:
        """[[both right, only A], [only B, both wrong]]: rows A right/wrong, cols B."""
        c = self.counts()
        return np.array([[c["both right"], c["only A right"]],
                         [c["only B right"], c["both wrong"]]], dtype=np.int64)


def agreement(labels: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray) -> Agreement:
    """Which samples both models, only A, only B or neither got right."""
    labels, pred_a, pred_b = (np.asarray(v).ravel() for v in (labels, pred_a, pred_b))
    if not (len(labels) == len(pred_a) == len(pred_b)):
        raise ValueError("labels and both models' predictions must have the same length")
    a, b = pred_a == labels, pred_b == labels
    masks = (a & b, a & ~b, ~a & b, ~a & ~b)
    return Agreement({name: np.flatnonzero(m) for name, m in zip(AGREEMENT_CELLS, masks)})


def neighbourhood_change(acts_a: np.ndarray, acts_b: np.ndarray, k: int = K) -> np.ndarray:
    """(N,) per sample the Jaccard overlap |A ∩ B| / |A ∪ B| of its k nearest neighbours
    (cosine) in layer A and in layer B (same samples, any widths): 1 = the same neighbours."""
    if len(acts_a) != len(acts_b):
        raise ValueError("both layers must hold the same samples")
    na, nb = knn_indices(_unit_rows(acts_a), k), knn_indices(_unit_rows(acts_b), k)
    k = na.shape[1]
    inter = np.array([len(np.intersect1d(x, y, assume_unique=True)) for x, y in zip(na, nb)])
    return inter / (2.0 * k - inter)


@dataclass(frozen=True)
class SimilarityConfusion:
    """Off-diagonal class pairs (true i, predicted j): centroid cosine vs confusion rate."""

    pairs: np.ndarray  # (P, 2) int (true class, predicted class)
    similarity: np.ndarray  # (P,) cosine between the two class centroids
    confusion_rate: np.ndarray  # (P,) fraction of class i's samples predicted as j
    rho: Optional[float]  # Spearman's rank correlation; None when undefined
    p_value: Optional[float]
    class_names: tuple[str, ...] = field(default_factory=tuple)

    def summary(self) -> dict:
        names = self.class_names
        return {"rho": self.rho, "p_value": self.p_value, "pairs": len(self.pairs),
                "points": [{"true": names[i] if names else int(i),
                            "predicted": names[j] if names else int(j),
                            "similarity": round(float(s), 6), "confusion_rate": round(float(r), 6)}
                           for (i, j), s, r in zip(self.pairs, self.similarity,
                                                   self.confusion_rate)]}


def similarity_vs_confusion(acts: np.ndarray, labels: np.ndarray, predictions: np.ndarray,
                            n_classes: int, class_names: tuple[str, ...] = ()
                            ) -> SimilarityConfusion:
    """Spearman's rho between the class-centroid cosine similarity of a layer and the confusion
    rate, over the ordered off-diagonal pairs of classes that have samples."""
    from scipy.stats import spearmanr

    labels = np.asarray(labels, dtype=np.int64)
    sim = centroid_similarity(acts, labels, n_classes).astype(np.float64)
    cm = confusion_matrix(labels, predictions, n_classes).astype(np.float64)
    support = cm.sum(axis=1)
    present = support > 0
    pairs = np.array([(i, j) for i in range(n_classes) for j in range(n_classes)
                      if i != j and present[i] and present[j]], dtype=np.int64).reshape(-1, 2)
    s = sim[pairs[:, 0], pairs[:, 1]]
    r = cm[pairs[:, 0], pairs[:, 1]] / support[pairs[:, 0]]
    rho = p = None
    if len(pairs) >= 3 and np.ptp(s) > 0 and np.ptp(r) > 0:
        res = spearmanr(s, r)
        rho, p = float(res.statistic), float(res.pvalue)
    return SimilarityConfusion(pairs, s, r, rho, p, tuple(str(c) for c in class_names))
