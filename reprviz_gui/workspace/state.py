"""What the user is looking at, Qt-free: the workspace (dataset, sample set, selection, method)
and one analysis session per model.

napari splits its viewer model from its Qt widgets the same way: everything here is plain data
the controller changes and the window reads; saving a session or exporting later needs nothing
else. A result is tagged (``ResultTag``) with the dataset, sample set, session and model version
that made it; ``Workspace.is_current`` tells whether such a tag still describes what is shown, so
a stale result is recognised by identity, never by the order in which jobs finished.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from ..core.data.samples import SampleSet
from ..core.data.types import Dataset

SESSION_IDS = ("A", "B")  # the first model and the one it is compared with
NO_MODEL = "none"

_dataset_ids = itertools.count(1)


@dataclass(frozen=True)
class ModelHandle:
    """Names a Keras model that lives on the model lane; the GUI never touches the model."""

    id: int
    label: str  # "dense (256-144)" or the file name


@dataclass(frozen=True)
class ResultTag:
    """Where a result came from. Two results with equal tags were made from the same inputs."""

    dataset_id: int
    samples_key: str  # SampleSet.key, or "" for results that do not depend on the samples
    session_id: str = ""  # "" for results that need no model
    model_version: int = 0


def sorted_unique(values: Any) -> np.ndarray:
    """``np.unique`` of int64 values, faster for a map's box or lasso: numpy 2's hash-based
    unique took 0.4 s for 500,000 selected rows of a 1,000,000-point map; a sort (none when the
    values come sorted, as the rows of a box do) and one comparison take a few ms."""
    a = np.asarray(values, dtype=np.int64).ravel()
    if len(a) > 1 and not (a[1:] >= a[:-1]).all():
        a = np.sort(a)
    if len(a) > 1:
        keep = np.empty(len(a), dtype=bool)
        keep[0] = True
        np.not_equal(a[1:], a[:-1], out=keep[1:])
        if not keep.all():
            a = a[keep]
    return a


@dataclass(frozen=True)
class Selection:
    """The selected samples as (split, dataset indices): the same samples in every view, for
    every model, whatever rows a view shows them in (glue's subsets work the same way)."""

    split: str = "test"
    indices: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    source: str = ""  # what made it: "confusion A: Shirt → Pullover", "map lasso", ...
    # a ranking to list them in (the samples that moved most, most moved first); () = by index
    order: tuple[int, ...] = ()

    @property
    def empty(self) -> bool:
        return len(self.indices) == 0

    @property
    def n(self) -> int:
        return int(len(self.indices))

    @staticmethod
    def of(split: str, indices: Any, source: str = "") -> "Selection":
        return Selection(split, sorted_unique(indices), source)

    @staticmethod
    def ranked(split: str, indices: Any, source: str = "") -> "Selection":
        """The samples ``indices`` in that order (the gallery lists them so)."""
        order = tuple(int(i) for i in np.asarray(indices, dtype=np.int64).ravel())
        return Selection(split, np.unique(np.asarray(order, dtype=np.int64)), source,
                         tuple(dict.fromkeys(order)))

    def union(self, other: "Selection") -> "Selection":
        """Shift-click adds; a selection in another split replaces this one."""
        if other.split != self.split or self.empty:
            return other
        return Selection.of(self.split, np.concatenate([self.indices, other.indices]),
                            f"{self.source} + {other.source}" if self.source else other.source)


@dataclass(frozen=True)
class TrainingCurves:
    """Per-epoch history, growing live while training runs."""

    history: dict[str, tuple[float, ...]] = field(default_factory=dict)
    epochs_planned: int = 0
    running: bool = False
    stopped: bool = False  # the user stopped the run before epochs_planned
    # the epochs after which a run continued the same weights (the epoch axis goes on)
    continued_at: tuple[int, ...] = ()

    @property
    def epochs_done(self) -> int:
        return len(self.history.get("loss", ()))


@dataclass
class Session:
    """One model in the workspace and what the user chose for it."""

    id: str
    preset: str = "dense"  # a preset name, or "file" for a loaded model
    params: dict[str, Any] = field(default_factory=dict)
    handle: Optional[ModelHandle] = None
    version: int = 0  # bumped whenever the model or its weights change
    layers: tuple = ()  # core.model.layers.LayerInfo, ...
    layer: Optional[str] = None  # the layer the views show
    # the reduction chosen per layer (core/model/reduction.py: mean, max, flatten, crop);
    # a layer missing here is read with the default for its shape
    reductions: dict[str, str] = field(default_factory=dict)
    trained_epochs: int = 0
    file: str = ""  # the model file it was loaded from, if any
    curves: TrainingCurves = field(default_factory=TrainingCurves)
    training: bool = False
    train_request: int = 0  # request id of the training job running for this session
    building: bool = False  # a build or load is queued or running
    compiled: tuple = ()  # settings.optimizer_of the model was last compiled with
    # Train asked while the model was being built: it trains as soon as the model is ready
    # (typed widths + Ctrl-T, Train from scratch, Compare with a preset); "" = not asked,
    # else why (shown in the status bar when it starts)
    train_when_ready: str = ""
    last_run_id: str = ""  # the run-history id of the last run on these weights ("" = fresh)
    partial_epoch: bool = False  # the last run stopped mid-epoch: weights moved past the count
    compare_new: bool = False  # a comparison whose model was never built or loaded yet
    # (validation split, seed) of the last run on these weights: which train rows it held out
    held_out: Optional[tuple[float, int]] = None
    # the epochs before the run whose film is kept: its epoch k is epoch film_offset + k on
    # the curves (a film of a continued run)
    film_offset: int = 0

    @property
    def label(self) -> str:
        return self.handle.label if self.handle is not None else self.preset

    @property
    def has_model(self) -> bool:
        return self.handle is not None


@dataclass
class Workspace:
    """The dataset, the sample set every view shows, the selection, the map method and the
    sessions (one per model: "A", and "B" when comparing)."""

    source: str = "fashion-mnist-sample"
    dataset: Optional[Dataset] = None
    dataset_id: int = 0
    samples: Optional[SampleSet] = None
    n_samples: int = 1000
    split: str = "test"
    seed: int = 0
    method: str = "umap"
    pca_components: int = 20  # k of the "pca-tsne" map (PCA to k components, then t-SNE)
    selection: Selection = field(default_factory=Selection)
    history_revision: int = 0  # bumped after each change to the run history file
    # the split the confusion matrix counts ("test", or the "train" rows trained on and the
    # held-out "validation" rows: the MNIST notes' table is on the training split)
    confusion_split: str = "test"
    sessions: dict[str, Session] = field(default_factory=dict)
    # per session: the input the *Your input* view puts through it (products_own_input.OwnInput)
    own_inputs: dict[str, Any] = field(default_factory=dict)

    def new_dataset(self, dataset: Dataset, source: str) -> None:
        self.dataset, self.source = dataset, source
        self.dataset_id = next(_dataset_ids)
        self.samples = None
        self.selection = Selection()
        self.own_inputs = {}

    def session(self, session_id: str) -> Optional[Session]:
        return self.sessions.get(session_id)

    def session_for(self, session_id: str, dataset_id: int) -> Optional[Session]:
        """The session a job was made for, if it is still open on the same data."""
        s = self.sessions.get(session_id)
        return s if s is not None and dataset_id == self.dataset_id else None

    def tag(self, session: Optional[Session] = None, with_samples: bool = True) -> ResultTag:
        key = self.samples.key if (with_samples and self.samples is not None) else ""
        if session is None:
            return ResultTag(self.dataset_id, key)
        return ResultTag(self.dataset_id, key, session.id, session.version)

    def is_current(self, tag: ResultTag) -> bool:
        """Whether a result with this tag still describes the data and model shown now."""
        if tag.dataset_id != self.dataset_id:
            return False
        if tag.samples_key and (self.samples is None or tag.samples_key != self.samples.key):
            return False
        if tag.session_id:
            s = self.sessions.get(tag.session_id)
            return s is not None and s.version == tag.model_version
        return True
