"""Train/test splits the app makes itself when a source has only one split.

The split is stratified (every class keeps about the same share in both parts) and seeded, so the
same options always give the same split. Plain numpy: no scikit-learn needed, and classes with a
single sample do not make it fail (they go to the training part).
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError


def check_test_fraction(test_fraction: float) -> float:
    """Return the fraction as a float, or raise ``DataError`` if it is not strictly in (0, 1)."""
    try:
        frac = float(test_fraction)
    except (TypeError, ValueError):
        raise DataError(f"Test fraction must be a number between 0 and 1, got {test_fraction!r}.")
    if not 0.0 < frac < 1.0:
        raise DataError(f"Test fraction must be between 0 and 1 (exclusive), got {frac:g}.")
    return frac


def stratified_split(labels: np.ndarray, test_fraction: float = 0.2,
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train_idx, test_idx)`` of a stratified, seeded split, each sorted ascending.

    Each class with ``n >= 2`` samples puts ``round(n * test_fraction)`` of them in the test part,
    at least one and at most ``n - 1``; a class with one sample goes to the training part.
    """
    frac = check_test_fraction(test_fraction)
    labels = np.asarray(labels).reshape(-1)
    rng = np.random.default_rng(seed)
    train_parts: list[np.ndarray] = []
    test_parts: list[np.ndarray] = []
    for cls in np.unique(labels):
        idx = np.flatnonzero(labels == cls)
        idx = idx[rng.permutation(len(idx))]
        n = len(idx)
        n_test = 0 if n < 2 else min(n - 1, max(1, int(round(n * frac))))
        test_parts.append(idx[:n_test])
        train_parts.append(idx[n_test:])
    empty = np.zeros(0, dtype=np.int64)
    train = np.sort(np.concatenate(train_parts)) if train_parts else empty
    test = np.sort(np.concatenate(test_parts)) if test_parts else empty
    return train.astype(np.int64), test.astype(np.int64)


def split_note(n_samples: int, test_fraction: float, seed: int, what: str = "samples") -> str:
    """The note shown to the user when the app made the split."""
    return (f"This source has no train/test split, so the app made one: "
            f"{float(test_fraction):.0%} of the {n_samples:,} {what} held out for testing "
            f"(stratified by class, seed {seed}).")


def make_split(x: np.ndarray, y: np.ndarray, test_fraction: float, seed: int,
               what: str = "samples") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    """Split ``x, y`` into ``x_train, y_train, x_test, y_test`` plus the note that says so."""
    train_idx, test_idx = stratified_split(y, test_fraction, seed)
    note = split_note(len(y), test_fraction, seed, what)
    return x[train_idx], y[train_idx], x[test_idx], y[test_idx], note
