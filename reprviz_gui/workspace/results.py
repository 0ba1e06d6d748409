"""Frozen results handed to views, and the store that keeps them.

Every result carries its ``ResultTag`` (dataset, sample set, session, model version). The store
keys products by (kind, tag, parameters) and is bounded by bytes, least recently used out: it
replaces the two unbounded dicts and the unused ActivationCache the window had before.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Hashable, Optional

import numpy as np

from ..core.data.samples import SampleSet
from .state import ResultTag


@dataclass(frozen=True)
class LayerResult:
    """One layer's representation of the sample set, for one session's model."""

    tag: ResultTag
    layer_name: str
    samples: SampleSet
    activations: np.ndarray  # (N, U) float32, rows in SampleSet order
    cosine: Optional[np.ndarray] = None  # (N, N) float32, None if refused as too large
    centroid_cosine: Optional[np.ndarray] = None  # (C, C) float32
    predictions: Optional[np.ndarray] = None  # (N,) predicted class of each row
    note: str = ""
    # rows of the sample set the cosine matrix covers (increasing); None: every row. Set when
    # the full matrix would not fit in memory and a sampled one is shown, with ``note``
    cosine_rows: Optional[np.ndarray] = None
    # how feature maps were reduced to rows ("global average per channel of 3x3x1280 ->
    # 1,280"); "" for a layer without maps. Every view showing the layer says it
    reduction: str = ""


@dataclass(frozen=True)
class ProjectionResult:
    tag: ResultTag
    layer_name: str
    method: str  # "pca" | "mds" | "tsne" | "umap" | ...
    coords: np.ndarray  # (N, 2) float32
    samples: SampleSet
    predictions: Optional[np.ndarray] = None
    explained_variance: Optional[np.ndarray] = None  # PCA only
    preview: bool = False  # the instant PCA shown while a slower method runs
    note: str = ""
    # PCA → t-SNE: the k components of its PCA step and the share of variance they keep
    pca_components: Optional[int] = None
    pca_explained_variance: Optional[float] = None
    reduction: str = ""  # the layer's reduction (LayerResult.reduction)


@dataclass(frozen=True)
class EvaluationResult:
    tag: ResultTag
    confusion: np.ndarray  # (C, C) int, rows = true, columns = predicted
    class_names: tuple[str, ...]
    accuracy: dict[str, float]  # "train", "validation", "test" (those available)
    per_class_accuracy: np.ndarray  # (C,) recall per class
    top_pairs: tuple[tuple[int, int, int], ...]  # (true, predicted, count), largest first
    report: dict = field(default_factory=dict)  # classification report
    split: str = "test"
    labels: Optional[np.ndarray] = None  # (N,) true class of every sample of `split`
    predictions: Optional[np.ndarray] = None  # (N,) predicted class of every sample of `split`
    probabilities: Optional[np.ndarray] = None  # (N, C)
    # per split: the loss incl. the weight penalty (the one definition), the plain cross-entropy,
    # and the penalty itself (0.0 without L2); core.model.training.Evaluation computes them
    loss: dict[str, float] = field(default_factory=dict)
    cross_entropy: dict[str, float] = field(default_factory=dict)
    penalty: float = 0.0
    # the dataset rows (of the train split) ``labels``/``predictions`` are of, when they are
    # not the whole split: the "train" (trained-on) or "validation" (held-out) rows
    rows: Optional[np.ndarray] = None

    @property
    def selection_split(self) -> str:
        """The dataset split the samples are in (validation rows are train-split rows)."""
        return "train" if self.split == "validation" else self.split

    def cell_indices(self, true: int, predicted: int) -> np.ndarray:
        """Dataset indices (in ``selection_split``) of the samples of class `true` predicted
        as `predicted`."""
        if self.labels is None or self.predictions is None:
            return np.zeros(0, dtype=np.int64)
        at = np.flatnonzero((self.labels == true) & (self.predictions == predicted))
        return np.asarray(self.rows)[at] if self.rows is not None else at


def result_nbytes(value: Any, _depth: int = 0) -> int:
    """Bytes held by the arrays of a result (what the store's budget counts)."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if _depth > 3:
        return 0
    if is_dataclass(value) and not isinstance(value, type):
        return sum(result_nbytes(getattr(value, f.name), _depth + 1) for f in fields(value)
                   if f.name != "samples")  # the sample set is shared, counted once elsewhere
    if isinstance(value, (list, tuple)):
        return sum(result_nbytes(v, _depth + 1) for v in value)
    if isinstance(value, dict):
        return sum(result_nbytes(v, _depth + 1) for v in value.values())
    return 0


@dataclass(frozen=True)
class ResultKey:
    kind: str  # a product kind: "layer", "map", "evaluation", ...
    tag: ResultTag
    params: tuple = ()  # sorted (name, value) pairs

    @staticmethod
    def make(kind: str, tag: ResultTag, params: Optional[dict[str, Hashable]] = None
             ) -> "ResultKey":
        return ResultKey(kind, tag, tuple(sorted((params or {}).items())))

    def param(self, name: str, default: Any = None) -> Any:
        return dict(self.params).get(name, default)


class ResultStore:
    """Byte-bounded LRU of results. Thread-safe; results are immutable and shared, not copied."""

    def __init__(self, max_bytes: int = 768 * 1024 * 1024) -> None:
        self.max_bytes = int(max_bytes)
        self._items: "OrderedDict[ResultKey, tuple[Any, int]]" = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: ResultKey) -> Any:
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return None
            self._items.move_to_end(key)
            return hit[0]

    def put(self, key: ResultKey, value: Any) -> None:
        size = result_nbytes(value)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            if size > self.max_bytes:
                return  # bigger than the whole budget: shown, never kept
            while self._items and self._bytes + size > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped
            self._items[key] = (value, size)
            self._bytes += size

    def drop(self, keep: Any) -> int:
        """Remove every entry whose tag ``keep(tag)`` rejects (stale data, old versions)."""
        with self._lock:
            stale = [k for k in self._items if not keep(k.tag)]
            for k in stale:
                self._bytes -= self._items.pop(k)[1]
        return len(stale)

    def items(self) -> list[tuple[ResultKey, Any]]:
        """Every (key, result) held now, least recently used first (a session file saves
        them)."""
        with self._lock:
            return [(k, v[0]) for k, v in self._items.items()]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    @property
    def nbytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: ResultKey) -> bool:
        return key in self._items
