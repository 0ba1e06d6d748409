"""Typical inputs: per class, the samples the model finds most typical of it, and the samples
of other classes it is most sure belong to it (confidently wrong). Plain NumPy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np


@dataclass(frozen=True)
class TypicalInputs:
    """One class's typical and confidently wrong samples, most probable first (ties: lower
    index first). Indices are rows of the ``probabilities`` given (i.e. of the evaluated split).
    Fewer than k entries when the class has fewer samples (or fewer non-members)."""

    class_index: int
    class_name: str
    typical: np.ndarray  # (<=k,) int64 samples OF this class with the highest p(class)
    typical_probabilities: np.ndarray  # (<=k,) float32 their p(class)
    wrong: np.ndarray  # (<=k,) int64 samples NOT of this class with the highest p(class)
    wrong_probabilities: np.ndarray  # (<=k,) float32 their p(class)
    wrong_labels: np.ndarray  # (<=k,) int64 the true class of each wrong sample
    wrong_predicted: np.ndarray  # (<=k,) bool: the model's top class for it IS this class


def _top(rows: np.ndarray, p: np.ndarray, k: int) -> np.ndarray:
    """The k rows with the highest p, highest first; equal p: lower row first."""
    if k <= 0 or rows.size == 0:
        return np.zeros(0, np.int64)
    order = np.lexsort((rows, -p[rows].astype(np.float64)))
    return rows[order[:k]].astype(np.int64)


def typical_inputs(probabilities: np.ndarray, labels: np.ndarray, k: int = 8,
                   class_names: Optional[Sequence[str]] = None) -> list[TypicalInputs]:
    """One ``TypicalInputs`` per class (column of ``probabilities``, (N, C)) for true ``labels``
    (N,): the k samples of the class with the highest predicted probability for it, and the k
    samples of other classes with the highest probability for it."""
    probs = np.asarray(probabilities)
    labels = np.asarray(labels).reshape(-1).astype(np.int64)
    if probs.ndim != 2 or len(probs) != len(labels):
        raise ValueError(f"probabilities must be (N, C) for N labels; got {probs.shape} "
                         f"for {len(labels)} labels")
    n_classes = probs.shape[1]
    names = [str(c) for c in class_names] if class_names is not None else []
    predicted = probs.argmax(axis=1) if len(probs) else np.zeros(0, np.int64)
    rows = np.arange(len(labels))
    out = []
    for c in range(n_classes):
        p = probs[:, c]
        mine = rows[labels == c]
        others = rows[labels != c]
        typical = _top(mine, p, int(k))
        wrong = _top(others, p, int(k))
        out.append(TypicalInputs(
            class_index=c,
            class_name=names[c] if c < len(names) else str(c),
            typical=typical,
            typical_probabilities=p[typical].astype(np.float32),
            wrong=wrong,
            wrong_probabilities=p[wrong].astype(np.float32),
            wrong_labels=labels[wrong],
            wrong_predicted=predicted[wrong] == c,
        ))
    return out
