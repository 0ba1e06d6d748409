"""Choosing the samples every view shows: class-stratified, seeded, rows grouped by class."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from typing import Optional

import numpy as np

from ..progress import StopFn, check_stop
from .types import Dataset


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
    """A short key naming a sample set (results are tagged with it)."""
    digest = hashlib.blake2b(np.ascontiguousarray(indices, dtype=np.int64).tobytes(),
                             digest_size=12).hexdigest()
    return f"{split}:{len(indices)}:{digest}"




# --- the sample set every view shows ----------------------------------------------------------
@dataclass(frozen=True)
class SampleSet:
    """The samples every layer view shows: class-ordered rows of one split of one dataset.

    It belongs to the dataset, not to a model: two models compared side by side show the same
    rows. A row is identified across views by ``(split, indices[row])``.
    """

    indices: np.ndarray  # (N,) indices into the split, sorted by (class, index)
    labels: np.ndarray  # (N,) true class
    class_names: tuple[str, ...]
    split: str = "test"
    thumbnails: Optional[np.ndarray] = None  # (N, H, W[, C]) uint8, for hover and galleries
    words: Optional[tuple[str, ...]] = None  # word tables: one word per row
    texts: Optional[tuple[str, ...]] = None  # token sequences: the review decoded to words
    requested: int = 0  # what the user asked for; ``n`` may be fewer (the split is smaller)

    @property
    def n(self) -> int:
        return int(len(self.indices))

    @property
    def key(self) -> str:
        return sample_set_key(self.split, self.indices)

    def class_bands(self) -> list[tuple[int, int, str]]:
        """(start, stop, class name) for each class present, in row order."""
        return class_bands(self.labels, self.class_names)

    @cached_property
    def _by_index(self) -> tuple[np.ndarray, np.ndarray]:
        """The rows in order of their dataset index, and those indices: sorted by class, not by
        value, so rows_of searches this copy (made once: 1,000,000 rows took 35 ms to sort at
        every selection)."""
        order = np.argsort(self.indices, kind="stable")
        return order, self.indices[order]

    def rows_of(self, split: str, dataset_indices: np.ndarray) -> np.ndarray:
        """Rows of this set holding those samples of ``split`` (sorted; absent ones dropped)."""
        if split != self.split or len(dataset_indices) == 0:
            return np.zeros(0, dtype=np.int64)
        order, sorted_idx = self._by_index
        wanted = np.asarray(dataset_indices, dtype=np.int64)
        pos = np.searchsorted(sorted_idx, wanted)
        pos = np.clip(pos, 0, max(0, len(sorted_idx) - 1))
        hit = (len(sorted_idx) > 0) & (sorted_idx[pos] == wanted) if len(sorted_idx) else \
            np.zeros(len(wanted), dtype=bool)
        rows = order[pos[hit]].astype(np.int64, copy=False)
        return rows if (rows[1:] >= rows[:-1]).all() else np.sort(rows)  # often sorted already


def make_sample_set(dataset: Dataset, n: int, split: str = "test", seed: int = 0,
                    should_stop: StopFn | None = None) -> SampleSet:
    """Pick ``n`` class-stratified samples of a split, rows grouped by class, with what views
    need to show them (thumbnails, words, decoded texts). Word tables have no training split:
    asking for it gives the test split."""
    x, y = dataset.split(split)
    if len(y) == 0 and split == "train":
        split = "test"
        x, y = dataset.split(split)
    indices = np.asarray(select_samples(y, n=n, seed=seed), dtype=np.int64)
    check_stop(should_stop)
    labels = np.asarray(y[indices], dtype=np.int64).copy()
    thumbnails = np.array(x[indices], copy=True) if dataset.kind == "image" else None
    words = (tuple(dataset.words[i] for i in indices)
             if dataset.words is not None and split == "test" else None)
    # the whole review, from its first word: the model's input may have lost its start
    texts = (tuple(decode_tokens(dataset.tokens(split, int(i)), dataset.vocabulary)
                   for i in indices) if dataset.kind == "sequence" else None)
    return SampleSet(indices=indices, labels=labels, class_names=tuple(dataset.class_names),
                     split=split, thumbnails=thumbnails, words=words, texts=texts,
                     requested=int(n))


def decode_tokens(tokens: np.ndarray, vocabulary: Optional[dict[int, str]]) -> str:
    """A token sequence as words, the Keras IMDB way: padding (0) dropped, 1 shown as
    ``<start>``, 2 as ``<oov>`` (out of vocabulary), token t ≥ 3 as the word of rank t − 3 from
    ``vocabulary`` (``{token: word}``, see ``keras_cache.build_vocabulary``). A token the
    vocabulary has no word for (or every word, with no vocabulary) shows as ``#id``."""
    vocab = vocabulary or {}
    out = []
    for t in np.asarray(tokens).ravel():
        t = int(t)
        if t == _PAD:
            continue
        out.append(_SPECIAL.get(t) or vocab.get(t, f"#{t}"))
    return " ".join(out)


# Keras's imdb.load_data() convention (keras_cache.IMDB_*); every token sequence reprviz loads
# follows it (the loader adds the start token and the offset to raw word ranks)
_PAD = 0
_SPECIAL = {1: "<start>", 2: "<oov>"}


def class_bands(labels: np.ndarray, class_names: tuple[str, ...]
                ) -> list[tuple[int, int, str]]:
    """(start, stop, class name) of each run of equal labels, in row order (no Python loop
    over the rows: 70,000 rows are one numpy pass)."""
    labels = np.asarray(labels)
    if not len(labels):
        return []
    starts = np.concatenate([[0], np.flatnonzero(labels[1:] != labels[:-1]) + 1])
    stops = np.concatenate([starts[1:], [len(labels)]])
    return [(int(a), int(b), class_names[int(labels[a])] if 0 <= int(labels[a]) <
             len(class_names) else f"class {int(labels[a])}") for a, b in zip(starts, stops)]


def subset_samples(samples: SampleSet, rows: np.ndarray) -> SampleSet:
    """The sample set's ``rows`` (sorted row numbers) as a sample set of its own."""
    import dataclasses

    rows = np.asarray(rows, dtype=np.int64)

    def some(values):
        return None if values is None else (
            values[rows] if isinstance(values, np.ndarray) else tuple(values[i] for i in rows))

    return dataclasses.replace(samples, indices=samples.indices[rows],
                               labels=samples.labels[rows], thumbnails=some(samples.thumbnails),
                               words=some(samples.words), texts=some(samples.texts),
                               requested=len(rows))
