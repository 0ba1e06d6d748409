"""Frozen result objects handed from workers to panels.

A panel gets one of these and draws it; it never computes. Results carry their own copies of
the arrays (made by the worker), so the GUI can keep them while the next request is running.
Later features (shared selection, two models side by side, sessions) add fields or new result
types here rather than changing the panels' interface.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np


@dataclass(frozen=True)
class SampleSet:
    """The samples every layer view shows: class-ordered rows of the chosen split."""

    indices: np.ndarray  # (N,) indices into the split, sorted by (class, index)
    labels: np.ndarray  # (N,) true class
    class_names: tuple[str, ...]
    split: str = "test"
    predictions: Optional[np.ndarray] = None  # (N,) predicted class, when a model exists
    thumbnails: Optional[np.ndarray] = None  # (N, H, W[, C]) uint8, for hover
    words: Optional[tuple[str, ...]] = None  # word tables: one word per row
    texts: Optional[tuple[str, ...]] = None  # sequences: a short decoded snippet per row

    @property
    def n(self) -> int:
        return int(len(self.indices))

    def class_bands(self) -> list[tuple[int, int, str]]:
        """(start, stop, class name) for each class present, in row order."""
        bands: list[tuple[int, int, str]] = []
        labels = self.labels
        start = 0
        for i in range(1, len(labels) + 1):
            if i == len(labels) or labels[i] != labels[start]:
                bands.append((start, i, self.class_names[int(labels[start])]))
                start = i
        return bands


@dataclass(frozen=True)
class LayerResult:
    """One layer's representation of the sample set."""

    request_id: int
    layer_name: str
    activations: np.ndarray  # (N, U) float32, rows in SampleSet order
    samples: SampleSet
    cosine: Optional[np.ndarray] = None  # (N, N) float32, None if refused as too large
    centroid_cosine: Optional[np.ndarray] = None  # (C, C) float32
    note: str = ""  # e.g. why the cosine matrix was not computed


@dataclass(frozen=True)
class ProjectionResult:
    request_id: int
    layer_name: str
    method: str  # "pca" | "mds" | "tsne" | "umap"
    coords: np.ndarray  # (N, 2) float32
    samples: SampleSet
    explained_variance: Optional[np.ndarray] = None  # PCA only
    preview: bool = False  # True for the instant PCA shown while a slower method runs


@dataclass(frozen=True)
class EvaluationResult:
    confusion: np.ndarray  # (C, C) int, rows = true, columns = predicted
    class_names: tuple[str, ...]
    accuracy: dict[str, float]  # "train", "validation", "test" (those available)
    per_class_accuracy: np.ndarray  # (C,) recall per class
    top_pairs: tuple[tuple[int, int, int], ...]  # (true, predicted, count), largest first
    report: dict = field(default_factory=dict)  # classification report (precision/recall/F1)


@dataclass(frozen=True)
class TrainingCurves:
    """Per-epoch history, growing live while training runs."""

    history: dict[str, tuple[float, ...]]  # "loss", "accuracy", "val_loss", "val_accuracy"
    epochs_planned: int = 0
    running: bool = False
