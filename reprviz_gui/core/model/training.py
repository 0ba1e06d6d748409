"""Training with live progress and prompt cancel; evaluation with the usual metrics."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np

from ..analysis import metrics
from ..data.types import Dataset
from ..errors import EmptyDataError, ModelError
from .eta import TrainingEta
from .layers import bump_version, check_compatible, output_kind
from .presets import ensure_compiled
from ..progress import ProgressFn, StopFn, check_stop, report
from .runtime import keras_module, set_seed

HISTORY_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 10
    batch_size: int = 32
    validation_split: float = 0.1  # held out from the train split, stratified by class
    seed: int = 0
    # at most one "batch" progress event per this many seconds (0 = every batch); the first
    # and last batch of each epoch and every "epoch" event are always reported
    progress_every: float = 0.0


@dataclass
class TrainResult:
    history: dict[str, list[float]]  # per completed epoch: loss, accuracy[, val_loss, ...]
    epochs_done: int
    stopped: bool
    seconds: float
    # rows of the train split held out for validation (pass to evaluate(validation=...))
    validation_indices: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    batch_size: int = 0  # the batch size used (a notebook-style model: every row at once)
    # batches of an epoch stopped part-way: not an epoch, but the weights moved by them
    partial_batches: int = 0


@dataclass
class Evaluation:
    accuracy: dict[str, float]  # "train", "validation", "test": those that exist
    confusion: np.ndarray  # (C, C) int64 on `split`, rows true, columns predicted
    predictions: np.ndarray  # (N,) int64 predicted class on `split`
    probabilities: np.ndarray  # (N, C) float32 (binary: columns [1 - p, p])
    top_pairs: list[list[int]]  # [[true, predicted, count], ...] largest first
    report: dict  # classification_report(...) on `split`
    per_class_accuracy: np.ndarray = field(default_factory=lambda: np.zeros(0))
    split: str = "test"
    labels: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # true, on split
    # cross-entropy per split (no penalty) and the weight penalty (L2) at these weights; the
    # loss of a split, the one definition everywhere, is their sum (``loss``)
    cross_entropy: dict[str, float] = field(default_factory=dict)
    penalty: float = 0.0

    @property
    def loss(self) -> dict[str, float]:
        return {k: v + self.penalty for k, v in self.cross_entropy.items() if v is not None}


def weight_penalty(model) -> float:
    """The regularisation term Keras adds to the training and validation loss (the sum of
    ``model.losses``: λ·ΣW² for each L2-regularised kernel) at the current weights; 0.0
    without regularisers."""
    losses = list(getattr(model, "losses", []) or [])
    return float(sum(float(np.sum(np.asarray(t))) for t in losses)) if losses else 0.0


def stratified_split(labels, fraction: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(fit indices, validation indices), each sorted: ``fraction`` of every class (rounded)
    held out, chosen with ``seed``. Classes with a single sample stay in the fit part."""
    labels = np.asarray(labels).reshape(-1)
    n = len(labels)
    if fraction <= 0 or n < 2:
        return np.arange(n, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if fraction >= 1:
        raise ModelError(f"validation_split must be below 1, not {fraction}.")
    rng = np.random.default_rng(seed)
    held = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        k = int(round(fraction * len(members)))
        k = min(k, len(members) - 1)  # leave at least one of each class to learn from
        if k > 0:
            held.append(rng.choice(members, size=k, replace=False))
    val = np.sort(np.concatenate(held)) if held else np.zeros(0, dtype=np.int64)
    mask = np.ones(n, dtype=bool)
    mask[val] = False
    return np.flatnonzero(mask).astype(np.int64), val.astype(np.int64)


def _targets(model, y: np.ndarray) -> np.ndarray:
    kind, _ = output_kind(model)
    return np.asarray(y, dtype=np.float32 if kind == "binary" else np.int64)


def _make_callback(keras, model, epochs: int, batches: int, on_progress, should_stop,
                   progress_every: float, history: dict[str, list[float]]):
    class _Progress(keras.callbacks.Callback):
        """Reports progress, keeps the live history and stops within one batch."""

        def __init__(self) -> None:
            super().__init__()
            self.stopped = False
            self.epoch = 0  # 1-based, the epoch running now
            self.epochs_done = 0
            self.done_batches = 0
            self.eta = TrainingEta(epochs, batches)  # NaN while it is still estimating
            self.last_report = -math.inf

        def _eta(self) -> float:
            return self.eta.seconds_left()

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch + 1

        def on_train_batch_end(self, batch, logs=None):
            self.done_batches += 1
            b = batch + 1
            self.eta.batch_done(self.epoch, b)
            now = time.perf_counter()
            if on_progress is not None and (
                    progress_every <= 0 or b == 1 or b == batches
                    or now - self.last_report >= progress_every):
                self.last_report = now
                logs = logs or {}
                report(on_progress, "train", self.done_batches / (epochs * batches),
                       f"Epoch {self.epoch}/{epochs}, batch {b}/{batches}", self._eta(),
                       kind="batch", epoch=self.epoch, epochs=epochs, batch=b, batches=batches,
                       loss=_num(logs.get("loss")), accuracy=_num(logs.get("accuracy")),
                       val_loss=None, val_accuracy=None)
            # asked last, so a stop requested while this batch ran (or while its progress was
            # being shown) prevents the next batch: Keras checks stop_training right after this
            if should_stop is not None and should_stop():
                self.stopped = True
                self.model.stop_training = True

        def on_test_begin(self, logs=None):
            self.test_started = time.perf_counter() if self.epoch == 1 else None

        def on_test_batch_end(self, batch, logs=None):
            if batch == 0 and getattr(self, "test_started", None) is not None:
                # the first validation batch of the run traces its graph: once only
                self.eta.one_off(time.perf_counter() - self.test_started)
            if self.stopped or (should_stop is not None and should_stop()):
                self.stopped = True
                self.model.stop_training = True
                self.model.stop_evaluating = True  # skip the rest of the validation pass

        def on_epoch_end(self, epoch, logs=None):
            if self.stopped:
                return  # an interrupted epoch is not recorded
            logs = logs or {}
            self.epochs_done = epoch + 1
            values = {k: _num(logs.get(k)) for k in HISTORY_KEYS}
            if self.model.losses:  # L2 on: Keras's losses include it; keep it to take apart
                values["penalty"] = weight_penalty(self.model)
                if values["val_loss"] is not None:  # the end-of-epoch weights, as the penalty
                    values["val_cross_entropy"] = values["val_loss"] - values["penalty"]
            for k, v in values.items():
                if v is not None:
                    history.setdefault(k, []).append(v)
            msg = f"Epoch {epoch + 1}/{epochs}"
            if values["loss"] is not None:
                msg += f": loss {values['loss']:.4g}"
            if values["accuracy"] is not None:
                msg += f", accuracy {values['accuracy']:.3f}"
            if values["val_accuracy"] is not None:
                msg += f", validation {values['val_accuracy']:.3f}"
            report(on_progress, "train", (epoch + 1) / epochs, msg, self._eta(),
                   kind="epoch", epoch=epoch + 1, epochs=epochs, batch=batches,
                   batches=batches, history={k: list(v) for k, v in history.items()},
                   **values)

    return _Progress()


def _num(value: Any) -> Optional[float]:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def train(model, dataset: Dataset, config: TrainConfig = TrainConfig(),
          on_progress: ProgressFn | None = None, should_stop: StopFn | None = None,
          callbacks: Sequence[Any] = ()) -> TrainResult:
    """Fit on the train split (minus a seeded, class-stratified validation part).

    Progress: stage ``"train"``, ``details["kind"]`` ``"batch"`` or ``"epoch"`` with 1-based
    ``epoch``/``batch``; epoch events carry that epoch's values and the whole ``history`` so far.
    ``should_stop`` is checked after every batch: training stops after the current batch and
    the result has ``stopped=True`` (no exception); the weights so far are kept.
    ``callbacks``: more Keras callbacks, run after the progress one (a film's recorder).
    """
    keras = keras_module()
    if len(dataset.x_train) == 0:
        raise EmptyDataError(f"Dataset {dataset.name!r} has no training samples to train on.")
    if config.epochs < 1 or config.batch_size < 1:
        raise ModelError(f"Epochs and batch size must be at least 1 (got {config.epochs} and "
                         f"{config.batch_size}).")
    check_compatible(model, dataset)
    ensure_compiled(model)
    started = time.perf_counter()
    history: dict[str, list[float]] = {}
    fit_idx, val_idx = stratified_split(dataset.y_train, config.validation_split, config.seed)
    x_all = dataset.inputs(dataset.x_train)
    y_all = _targets(model, dataset.y_train)
    x_fit, y_fit = x_all[fit_idx], y_all[fit_idx]
    validation = (x_all[val_idx], y_all[val_idx]) if len(val_idx) else None
    del x_all
    from . import notebook

    batch_size = int(config.batch_size)
    if notebook.is_notebook(model):
        batch_size = len(x_fit)  # the notebook's full-batch gradient descent
        notebook.set_training_size(model, len(x_fit))  # the m of its λ/(2m)
    batches = max(1, -(-len(x_fit) // batch_size))
    if should_stop is not None and should_stop():
        return TrainResult(history, 0, True, time.perf_counter() - started, val_idx,
                           batch_size)
    callback = _make_callback(keras, model, config.epochs, batches, on_progress, should_stop,
                              float(config.progress_every), history)
    set_seed(config.seed)
    bump_version(model)
    try:
        model.fit(x_fit, y_fit, batch_size=batch_size, epochs=config.epochs,
                  validation_data=validation, shuffle=True, verbose=0,
                  callbacks=[callback, *callbacks])
    finally:
        bump_version(model)  # weights changed, even if fit failed part-way
    return TrainResult(
        history={k: list(v) for k, v in history.items()},
        epochs_done=callback.epochs_done,
        stopped=callback.stopped,
        seconds=time.perf_counter() - started,
        validation_indices=val_idx,
        batch_size=batch_size,
        partial_batches=max(0, callback.done_batches - callback.epochs_done * batches),
    )


def predict_proba(model, x: np.ndarray, batch_size: int = 256,
                  on_progress: ProgressFn | None = None, should_stop: StopFn | None = None,
                  stage: str = "evaluate") -> np.ndarray:
    """(N, C) float32 class probabilities in batches (binary models: columns [1 - p, p]).
    ``should_stop`` is checked between batches (``Cancelled``)."""
    keras_module()
    n = len(x)
    batch_size = max(1, int(batch_size))
    batches = max(1, -(-n // batch_size))
    parts = []
    started = time.perf_counter()
    for b, start in enumerate(range(0, n, batch_size), start=1):
        check_stop(should_stop)
        out = np.asarray(model.predict_on_batch(x[start:start + batch_size]), dtype=np.float64)
        parts.append(out.reshape(len(out), -1))
        elapsed = time.perf_counter() - started
        report(on_progress, stage, b / batches, f"Predicting: batch {b}/{batches}",
               elapsed / b * (batches - b), batch=b, batches=batches)
    width = int(model.outputs[0].shape[-1])
    raw = np.concatenate(parts) if parts else np.zeros((0, width))
    return class_probabilities(raw, model)


def class_probabilities(raw: np.ndarray, model) -> np.ndarray:
    """(N, C) float32 probabilities from the output layer's values: one sigmoid unit gives
    columns [1 - p, p]; logits go through softmax (or the sigmoid)."""
    kind, logits = output_kind(model)
    raw = np.asarray(raw, dtype=np.float64).reshape(len(raw), -1)
    if kind == "binary":
        p = raw[:, 0]
        if logits:
            p = 1.0 / (1.0 + np.exp(-p))
        return np.stack([1.0 - p, p], axis=1).astype(np.float32)
    if logits:
        raw = np.exp(raw - raw.max(axis=1, keepdims=True))
        raw /= raw.sum(axis=1, keepdims=True)
    else:
        # a sigmoid per class (the hand-made network) does not sum to 1: normalise, which
        # keeps the argmax; softmax outputs are left as they are
        total = raw.sum(axis=1, keepdims=True)
        if raw.size and not np.allclose(total, 1.0, atol=1e-3):
            raw = raw / np.maximum(total, 1e-12)
    return raw.astype(np.float32)


def split_rows(n_train: int, split: str, validation_indices: Any) -> np.ndarray:
    """Rows of the train split a confusion matrix on ``split`` counts: "train" the rows trained
    on (the held-out validation rows excluded), "validation" the held-out rows."""
    val = np.asarray(validation_indices if validation_indices is not None else [], np.int64)
    if split == "validation":
        return np.sort(val)
    if split == "train":
        return np.setdiff1d(np.arange(n_train), val)
    raise ValueError(f"split_rows: 'train' or 'validation', not {split!r}")


def split_predictions(model, dataset: Dataset, rows: np.ndarray) -> np.ndarray:
    """The predicted class of each of these train-split rows (analyze --confusion-split and
    the window's confusion matrix on train/validation both count from this)."""
    probs = predict_proba(model, dataset.inputs(dataset.x_train[rows]))
    return predicted_classes(probs)


def predicted_classes(probabilities: np.ndarray) -> np.ndarray:
    """The predicted class of each row; a binary model's p > 0.5 is class 1."""
    if probabilities.shape[1] == 2:
        return (probabilities[:, 1] > 0.5).astype(np.int64)
    return np.argmax(probabilities, axis=1).astype(np.int64)


def evaluate(model, dataset: Dataset, split: str = "test",
             validation: Optional[np.ndarray | TrainResult | Sequence[int]] = None,
             batch_size: int = 256, on_progress: ProgressFn | None = None,
             should_stop: StopFn | None = None) -> Evaluation:
    """Accuracy on train/validation/test (those that exist), and the confusion matrix,
    predictions, probabilities, most confused pairs and classification report on ``split``.

    ``validation``: the train rows held out (``TrainResult.validation_indices`` or the
    TrainResult itself); then "train" accuracy is measured on the other train rows.
    Cancels between batches (``Cancelled``).
    """
    keras_module()
    check_compatible(model, dataset)
    binary = output_kind(model)[0] == "binary"
    if isinstance(validation, TrainResult):
        validation = validation.validation_indices
    val_idx = np.asarray(validation if validation is not None else [], dtype=np.int64)
    x_split, y_split = dataset.split(split)  # ValueError for an unknown split name
    if len(x_split) == 0:
        raise EmptyDataError(f"Dataset {dataset.name!r} has no {split} samples to evaluate.")

    # what to predict: the chosen split, plus the other splits for their accuracy
    jobs: list[tuple[str, np.ndarray, np.ndarray]] = []
    n_train = len(dataset.x_train)
    if n_train:
        fit_mask = np.ones(n_train, dtype=bool)
        fit_mask[val_idx[(val_idx >= 0) & (val_idx < n_train)]] = False
        fit_rows = np.flatnonzero(fit_mask)
        if split == "train":
            jobs.append(("train", np.arange(n_train), dataset.y_train))
        elif len(fit_rows):
            jobs.append(("train", fit_rows, dataset.y_train[fit_rows]))
        if len(val_idx):
            jobs.append(("validation", val_idx, dataset.y_train[val_idx]))
    if split == "test":
        jobs.insert(0, ("test", np.arange(len(dataset.x_test)), dataset.y_test))
    elif len(dataset.x_test):
        jobs.append(("test", np.arange(len(dataset.x_test)), dataset.y_test))
    total = sum(len(rows) for _, rows, _ in jobs)
    done = 0

    accuracy: dict[str, float] = {}
    cross_entropy: dict[str, float] = {}
    split_probs: Optional[np.ndarray] = None
    split_preds: Optional[np.ndarray] = None
    train_preds: Optional[np.ndarray] = None
    for name, rows, y in jobs:
        x_src = dataset.x_test if name == "test" else dataset.x_train

        def sub_progress(p, _done=done, _n=len(rows), _name=name):
            if on_progress is not None:
                report(on_progress, "evaluate", (_done + p.fraction * _n) / max(total, 1),
                       f"Evaluating on {_name}: {p.message.split(': ', 1)[-1]}", None,
                       split=_name, **p.details)

        probs = predict_proba(model, dataset.inputs(x_src[rows]), batch_size,
                              sub_progress, should_stop)
        preds = predicted_classes(probs)
        accuracy[name] = float(np.mean(preds == np.asarray(y))) if len(y) else 0.0
        ce = metrics.cross_entropy(probs, y)
        if ce is not None:
            cross_entropy[name] = ce
        done += len(rows)
        if name == split:
            split_probs, split_preds = probs, preds
        if split == "train" and name == "train":
            train_preds = preds
    if split == "train" and train_preds is not None:
        # the "train" figure should exclude the validation rows even when split == "train"
        fit = np.setdiff1d(np.arange(n_train), val_idx)
        if len(fit) and len(val_idx):
            accuracy["train"] = float(np.mean(train_preds[fit] == dataset.y_train[fit]))
    assert split_probs is not None and split_preds is not None
    y_true = np.asarray(y_split, dtype=np.int64)
    n_classes = max(dataset.n_classes, 2 if binary else 0)
    cm = metrics.confusion_matrix(y_true, split_preds, n_classes)
    names = list(dataset.class_names) or [str(i) for i in range(n_classes)]
    return Evaluation(
        accuracy=accuracy,
        confusion=cm,
        predictions=split_preds,
        probabilities=split_probs,
        top_pairs=metrics.top_confused_pairs(cm),
        report=metrics.classification_report(y_true, split_preds, names),
        per_class_accuracy=metrics.per_class_accuracy(cm),
        split=split,
        labels=y_true,
        cross_entropy=cross_entropy,
        penalty=weight_penalty(model),
    )
