"""Cosine similarity between samples and between class means (float32, memory-checked)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ReprvizError
from ..memory import check_fits


# --- helpers ---------------------------------------------------------------------------------
def _as_matrix(a: Any, what: str = "activations") -> np.ndarray:
    """(N, D) float32 copy-free view where possible; rejects NaN/inf with a clear message."""
    arr = np.asarray(a)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    elif arr.ndim > 2:
        arr = arr.reshape(len(arr), -1)
    if arr.dtype != np.float32:
        arr = arr.astype(np.float32)
    if arr.size and not np.isfinite(arr).all():
        bad = int((~np.isfinite(arr)).any(axis=1).sum())
        raise ReprvizError(
            f"The {what} contain NaN or infinite values in {bad} of {len(arr)} samples "
            "(training probably diverged — try a smaller learning rate)")
    return arr


def _normalised_rows(a: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length in float32; all-zero rows stay zero."""
    norms = np.sqrt(np.einsum("ij,ij->i", a, a, dtype=np.float32))
    norms[norms == 0] = 1.0
    return a / norms[:, None]


def _n_fmt(n: int) -> str:
    return f"{n:,}"


# --- similarity ------------------------------------------------------------------------------
def cosine_similarity(a: Any) -> np.ndarray:
    """(N, N) float32 cosine similarity between the rows of ``a`` (one matmul).

    Rows that are all zero (e.g. a sample no unit responds to) have similarity 0 with everything,
    themselves included, as in scikit-learn. Refuses (``ResourceLimitError``) before allocating
    when N×N float32 does not fit the memory budget.
    """
    arr = np.asarray(a)
    n = int(arr.shape[0]) if arr.ndim else 0
    check_fits(n * n * 4, f"cosine matrix of {_n_fmt(n)} samples")
    unit = _normalised_rows(_as_matrix(arr))
    out = unit @ unit.T
    np.clip(out, -1.0, 1.0, out=out)
    return out.astype(np.float32, copy=False)


def centroid_similarity(a: Any, labels: Any, n_classes: int) -> np.ndarray:
    """(C, C) float32 cosine similarity between the class-mean vectors.

    Classes with no sample get NaN rows and columns.
    """
    arr = _as_matrix(a)
    labels = np.asarray(labels).astype(np.int64, copy=False).ravel()
    if len(labels) != len(arr):
        raise ReprvizError(f"{len(labels)} labels for {len(arr)} samples")
    n_classes = int(n_classes)
    means = np.zeros((n_classes, arr.shape[1]), dtype=np.float32)
    present = np.zeros(n_classes, dtype=bool)
    for c in range(n_classes):
        rows = labels == c
        if rows.any():
            means[c] = arr[rows].mean(axis=0, dtype=np.float64).astype(np.float32)
            present[c] = True
    unit = _normalised_rows(means)
    out = (unit @ unit.T).astype(np.float32)
    np.clip(out, -1.0, 1.0, out=out)
    out[~present, :] = np.nan
    out[:, ~present] = np.nan
    return out


def within_between_similarity(cos: np.ndarray, labels: Any) -> dict[str, float | None]:
    """Mean cosine of same-class pairs (diagonal excluded) and of different-class pairs."""
    labels = np.asarray(labels).ravel()
    same = labels[:, None] == labels[None, :]
    np.fill_diagonal(same, False)
    diff = labels[:, None] != labels[None, :]
    within = float(cos[same].mean()) if same.any() else None
    between = float(cos[diff].mean()) if diff.any() else None
    return {"within_class": within, "between_class": between}


