"""Classification metrics in plain NumPy (scikit-learn is the reference in the tests).

Conventions: labels are integers ``0..C-1``; a confusion matrix has true classes as rows and
predicted classes as columns. Where a ratio has a zero denominator (a class that is never
predicted, or has no samples) the value is 0.0, as scikit-learn's ``zero_division=0`` gives.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np


def _labels(y: np.ndarray, n_classes: int, what: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        y = y.reshape(-1)
    if y.size and not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.mod(y, 1) == 0):
            raise ValueError(f"{what} must hold integer class indices")
    y = y.astype(np.int64, copy=False)
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"{what} holds a class index outside 0..{n_classes - 1}")
    return y


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """(C, C) int64 counts: ``cm[t, p]`` = samples of true class t predicted as p."""
    n_classes = int(n_classes)
    t = _labels(y_true, n_classes, "y_true")
    p = _labels(y_pred, n_classes, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.size} labels but y_pred has {p.size}")
    flat = np.bincount(t * n_classes + p, minlength=n_classes * n_classes)
    return flat.reshape(n_classes, n_classes).astype(np.int64)


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.zeros(np.broadcast(num, den).shape, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


def per_class_accuracy(cm: np.ndarray) -> np.ndarray:
    """Fraction of each true class predicted correctly (= recall), shape (C,), float64.
    A class without samples gets 0.0."""
    cm = np.asarray(cm)
    return _safe_div(np.diag(cm), cm.sum(axis=1))


def accuracy(cm: np.ndarray) -> float:
    cm = np.asarray(cm)
    total = cm.sum()
    return float(np.trace(cm) / total) if total else 0.0


def top_confused_pairs(cm: np.ndarray, k: int = 10) -> list[list[int]]:
    """The ``k`` largest off-diagonal cells as ``[true, predicted, count]``, largest first;
    ties ordered by (true, predicted); zero counts dropped."""
    cm = np.asarray(cm)
    pairs = [
        (int(cm[t, p]), t, p)
        for t in range(cm.shape[0])
        for p in range(cm.shape[1])
        if t != p and cm[t, p] > 0
    ]
    pairs.sort(key=lambda c: (-c[0], c[1], c[2]))
    return [[t, p, n] for n, t, p in pairs[: max(0, int(k))]]


def precision_recall_f1(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-class precision, recall, F1 and support from a confusion matrix."""
    cm = np.asarray(cm, dtype=np.int64)
    tp = np.diag(cm).astype(np.float64)
    predicted = cm.sum(axis=0)
    support = cm.sum(axis=1)
    precision = _safe_div(tp, predicted)
    recall = _safe_div(tp, support)
    # F1 = 2 tp / (2 tp + fp + fn): zero when the class is neither present nor predicted
    f1 = _safe_div(2 * tp, predicted + support)
    return precision, recall, f1, support


def classification_report(y_true, y_pred, class_names: Sequence[str]) -> dict:
    """Precision, recall, F1 and support per class, plus accuracy and macro/weighted averages.

    The layout is scikit-learn's ``classification_report(..., output_dict=True)``::

        {"<class name>": {"precision", "recall", "f1-score", "support"}, ...,
         "accuracy": float, "macro avg": {...}, "weighted avg": {...}}
    """
    names = [str(n) for n in class_names]
    cm = confusion_matrix(y_true, y_pred, len(names))
    precision, recall, f1, support = precision_recall_f1(cm)
    out: dict = {}
    for i, name in enumerate(names):
        out[name] = {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1-score": float(f1[i]),
            "support": int(support[i]),
        }
    total = int(support.sum())
    out["accuracy"] = accuracy(cm)
    n = len(names)
    out["macro avg"] = {
        "precision": float(precision.mean()) if n else 0.0,
        "recall": float(recall.mean()) if n else 0.0,
        "f1-score": float(f1.mean()) if n else 0.0,
        "support": total,
    }
    weights = support / total if total else np.zeros(n)
    out["weighted avg"] = {
        "precision": float(np.dot(weights, precision)),
        "recall": float(np.dot(weights, recall)),
        "f1-score": float(np.dot(weights, f1)),
        "support": total,
    }
    return out



CE_EPSILON = 1e-7  # Keras clips probabilities so before taking the log


def cross_entropy(probabilities, labels) -> Optional[float]:
    """Mean cross-entropy of the true class's predicted probability (clipped like Keras), the
    loss without any weight penalty; None when there is nothing to average."""
    probs = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64).ravel()
    if probs.ndim != 2 or len(probs) != len(y) or len(y) == 0:
        return None
    p = np.clip(probs[np.arange(len(y)), y], CE_EPSILON, 1.0 - CE_EPSILON)
    return float(-np.log(p).mean())

def layer_statistics(activations: np.ndarray, labels: np.ndarray,
                     class_names: Sequence[str]) -> dict:
    """What the *Layer statistics* view shows and ``report.json``'s ``layer`` holds: one
    definition for both, meaningful for ReLU outputs and for signed raw projections x·W alike.

    - ``dead_units``: units that are exactly 0 on every sample (never non-zero). For a ReLU layer
      that is a dead ReLU; for a raw projection it is an all-zero weight column. ("Never > 0"
      would call a raw unit dead just for being negative on these samples.)
    - ``fraction_zero``: the share of values exactly 0; ``fraction_positive``: the share > 0
      (equal to 1 − fraction_zero for ReLU outputs; the sign balance for raw layers).
    - ``mean`` and ``class_means`` (None for a class without samples here).
    """
    # float32 stays float32 (a conv layer of 4,443 samples is 380 MB; float64 would double it);
    # the means are summed in float64
    a = np.asarray(activations)
    a = a.astype(np.float64) if not np.issubdtype(a.dtype, np.floating) else a
    a = a.reshape(len(a), -1) if a.ndim != 2 else a
    y = np.asarray(labels).reshape(-1)
    nonzero = a != 0
    out: dict = {"units": int(a.shape[1]), "samples": int(a.shape[0]),
                 "dead_units": int((~nonzero.any(axis=0)).sum()) if a.size else 0,
                 "fraction_zero": float(1.0 - nonzero.mean()) if a.size else None,
                 "fraction_positive": float((a > 0).mean()) if a.size else None,
                 "mean": float(a.mean(dtype=np.float64)) if a.size else None, "class_means": {}}
    for k, name in enumerate(class_names):
        rows = y == k
        out["class_means"][str(name)] = (float(a[rows].mean(dtype=np.float64))
                                        if rows.any() and a.size else None)
    return out
