"""Choosing the samples every view shows: class-stratified, seeded, rows grouped by class."""

from __future__ import annotations

import hashlib

import numpy as np


def select_samples(labels, n: int = 1000, seed: int = 0) -> np.ndarray:
    """Indices of a class-stratified sample of ``n`` rows, sorted by (class, index).

    Each class gets a share proportional to its size (largest remainders round), and every
    class gets at least one row when ``n`` is at least the number of classes. With ``n`` at
    least the number of rows, all rows are returned (still sorted by class).
    """
    labels = np.asarray(labels).reshape(-1)
    total = len(labels)
    n = int(n)
    if total == 0 or n <= 0:
        return np.zeros(0, dtype=np.int64)
    classes, counts = np.unique(labels, return_counts=True)
    if n >= total:
        chosen = np.arange(total)
    else:
        exact = counts * (n / total)
        quota = np.floor(exact).astype(np.int64)
        if n >= len(classes):
            quota = np.maximum(quota, 1)  # every class present
        quota = np.minimum(quota, counts)
        # settle on exactly n: add where the share was rounded down most, take back where the
        # "at least one" rule gave most beyond the share (ties: smaller class label first)
        while quota.sum() < n:
            room = np.where(quota < counts, exact - quota, -np.inf)
            quota[int(np.argmax(room))] += 1
        while quota.sum() > n:
            excess = np.where(quota > 1, quota - exact, -np.inf)
            quota[int(np.argmax(excess))] -= 1
        rng = np.random.default_rng(seed)
        parts = [rng.choice(np.flatnonzero(labels == label), size=int(k), replace=False)
                 for label, k in zip(classes, quota) if k > 0]
        chosen = np.concatenate(parts)
    chosen = np.asarray(chosen, dtype=np.int64)
    return chosen[np.lexsort((chosen, labels[chosen]))]


def sample_set_key(split: str, indices: np.ndarray) -> str:
    """A short key naming a sample set, for ``ActivationCache``."""
    digest = hashlib.blake2b(np.ascontiguousarray(indices, dtype=np.int64).tobytes(),
                             digest_size=12).hexdigest()
    return f"{split}:{len(indices)}:{digest}"


