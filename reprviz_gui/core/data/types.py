"""The in-memory dataset every other part of the app reads from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Optional

import numpy as np

SampleKind = Literal["image", "sequence", "vector"]


@dataclass(frozen=True)
class LoadOptions:
    """Options a user can set when opening data. Defaults suit the bundled samples."""

    # CSV
    label_column: Optional[str | int] = None  # name or index; None = "label" if present, else last
    image_shape: Optional[tuple[int, ...]] = None  # e.g. (20, 20); None = vectors
    pixel_order: Literal["row", "column"] = "row"  # "column": stored column-major (Fortran order)
    label_map: Optional[dict[int, int]] = None  # e.g. {10: 0} for the classic 20x20 digits
    # a separate file of labels, one per line in row order (Octave's y next to X); then every
    # column of the CSV is a feature
    labels_file: Optional[str] = None
    has_header: Optional[bool] = None  # None = detect
    # image folders
    image_size: tuple[int, int] = (32, 32)  # (height, width) every image is resized to
    # sequences
    maxlen: int = 200  # IMDB reviews padded/truncated to this many tokens
    # the Keras imdb.npz holds object arrays that only pickle can read; only with this explicit,
    # labelled choice ("trust this file") do we pass allow_pickle=True for a user-picked file
    allow_pickle: bool = False
    # scaling
    per_sample_minmax: bool = False
    # splitting when a source has only one split
    test_fraction: float = 0.2
    seed: int = 0


@dataclass
class Dataset:
    """Samples, integer labels, class names, a train/test split and where they came from.

    ``x_*`` hold the samples as stored: uint8 images ``N×H×W`` or ``N×H×W×C``, int32 token
    sequences ``N×maxlen``, or float32 vectors ``N×D``. Use ``inputs()`` for model-ready floats.
    Word-vector tables have no training split: everything is in the test split and ``x_train``
    has zero rows.
    """

    name: str
    kind: SampleKind
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str]
    provenance: str
    split_made_by_app: bool = False
    # word tables: one word per test row, plus extra columns (e.g. "country" for capitals.csv)
    words: Optional[list[str]] = None
    columns: dict[str, list[str]] = field(default_factory=dict)
    # token index -> word, for sequence data where it is known (IMDB)
    vocabulary: Optional[dict[int, str]] = None
    # things the user should be told (e.g. "3 unreadable files skipped", "split made by the app")
    notes: list[str] = field(default_factory=list)
    per_sample_minmax: bool = False
    # token sequences cut to the model's length (maxlen keeps the END of a review, as Keras's
    # pad_sequences does, so 41 % of the bundled test reviews lose their start): every
    # sample's full tokens per split, for showing the review whole; None when none was cut
    full_sequences: Optional[dict[str, list[np.ndarray]]] = None
    # how images become model input (core/data/preprocess.py): "unit" 0–1 (reprviz's own
    # models), "symmetric" −1–1, or a Keras Applications family's preprocess_input
    preprocess: str = "unit"

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.x_test.shape[1:]) if len(self.x_test) else tuple(self.x_train.shape[1:])

    def split(self, which: Literal["train", "test"]) -> tuple[np.ndarray, np.ndarray]:
        if which == "train":
            return self.x_train, self.y_train
        if which == "test":
            return self.x_test, self.y_test
        raise ValueError(f"unknown split {which!r}")

    def tokens(self, split: Literal["train", "test"], i: int) -> np.ndarray:
        """Sample ``i`` of a split of token sequences with all its tokens (the model sees the
        last ``maxlen`` of them; ``x_*`` holds those)."""
        full = (self.full_sequences or {}).get(split)
        if full is not None:
            return full[i]
        x, _ = self.split(split)
        return x[i]

    def inputs(self, x: np.ndarray) -> np.ndarray:
        """Model-ready values: images ÷255 as float32 (optionally min-max per sample);
        sequences as int32; vectors as float32."""
        if self.kind == "sequence":
            return np.asarray(x, dtype=np.int32)
        if self.kind == "image" and self.preprocess != "unit":
            from .preprocess import preprocess_images

            return preprocess_images(x, self.preprocess)
        if self.kind == "image":  # one pass, one float32 array (70,000 images: 220 MB)
            out = np.divide(x, np.float32(255.0), dtype=np.float32)
        else:
            out = np.asarray(x, dtype=np.float32)
        if self.per_sample_minmax and len(out):
            flat = out.reshape(len(out), -1)
            lo = flat.min(axis=1, keepdims=True)
            span = flat.max(axis=1, keepdims=True) - lo
            span[span == 0] = 1.0
            out = ((flat - lo) / span).reshape(out.shape).astype(np.float32)
        return out
