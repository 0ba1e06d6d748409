"""The work the window asks for, as plain functions of (on_progress, should_stop).

Each ``*_job`` returns a closure a ``Lane`` runs on its thread. Models are passed as
``ModelHandle``s and resolved on the model lane. No Qt here: tests call these directly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from ..core.data.samples import SampleSet, make_sample_set
from ..core.data.types import Dataset, LoadOptions
from ..core.progress import ProgressFn, StopFn, check_stop, report
from . import handles
from .results import EvaluationResult
from .state import ModelHandle, ResultTag

JobFn = Callable[[ProgressFn, StopFn], Any]


@dataclass(frozen=True)
class ModelReady:
    handle: ModelHandle
    layers: tuple  # LayerInfo, ...
    note: str = ""  # said to the user (the images padded to the model's input)


@dataclass(frozen=True)
class TrainOutcome:
    history: dict[str, tuple[float, ...]]
    epochs_done: int
    stopped: bool
    seconds: float
    evaluation: Optional[EvaluationResult]  # tagged with the model version after training
    film: Any = None  # core.model.film.FilmRecording when the run recorded a film
    partial_batches: int = 0  # batches of an epoch stopped part-way (the weights moved)


class StopLevels:
    """A cancel token with levels: the first Cancel stops training, a second one also stops
    the evaluation that follows (a stopped run is still evaluated, so what is shown is true)."""

    def __init__(self) -> None:
        self.level = 0

    def set(self) -> None:
        self.level += 1

    def is_set(self) -> bool:
        return self.level > 0

    def again(self) -> bool:
        return self.level > 1


# --- data ---------------------------------------------------------------------------------
def load_dataset_job(source: str | Path, options: LoadOptions) -> JobFn:
    def run(on_progress: ProgressFn, should_stop: StopFn) -> Dataset:
        from ..core.data.sources import load_dataset

        return load_dataset(source, options, on_progress=on_progress, should_stop=should_stop)

    return run


def sample_set_job(dataset: Dataset, n: int, split: str, seed: int) -> JobFn:
    """Sample sets of up to 100,000 rows copy thumbnails and decode texts: off the GUI thread."""

    def run(on_progress: ProgressFn, should_stop: StopFn) -> SampleSet:
        report(on_progress, "samples", 0.0, f"Choosing {n:,} samples…")
        return make_sample_set(dataset, n, split, seed, should_stop=should_stop)

    return run


# --- models -------------------------------------------------------------------------------
def _ready(model: Any, label: str) -> ModelReady:
    from ..core.model.layers import describe_tree

    return ModelReady(handles.register(model, label), tuple(describe_tree(model)))


def build_model_job(config: Any, dataset: Dataset, seed: int, label: str) -> JobFn:
    def run(on_progress: ProgressFn, should_stop: StopFn) -> ModelReady:
        report(on_progress, "model", 0.0, "Starting TensorFlow and building the model…")
        from ..core.model.presets import build_model

        model = build_model(config, dataset, seed=seed)
        check_stop(should_stop)
        return _ready(model, label)

    return run


def load_model_job(path: str | Path, dataset: Dataset, trust: bool) -> JobFn:
    def run(on_progress: ProgressFn, should_stop: StopFn) -> ModelReady:
        report(on_progress, "model", 0.0, f"Loading {Path(path).name}…")
        from ..core.model.files import load_model_file
        from ..core.model.layers import check_compatible

        from ..core.data.fit_input import (channel_model_input, pad_model_input,
                                           resize_model_input)
        from ..core.errors import ShapeMismatchError

        model = load_model_file(path, trust=trust)
        note = ""
        try:
            check_compatible(model, dataset, Path(path).name)
        except ShapeMismatchError:
            fitted = (channel_model_input(model, dataset.sample_shape)
                      or pad_model_input(model, dataset.sample_shape)
                      or resize_model_input(model, dataset.sample_shape)) \
                if dataset.kind == "image" else None
            if fitted is None:
                raise
            model, note = fitted  # a model made for padded images (LeNet on 32×32 MNIST)
            check_compatible(model, dataset, Path(path).name)
        return replace(_ready(model, Path(path).name), note=note)

    return run


def release_model_job(handle: ModelHandle) -> JobFn:
    def run(on_progress: ProgressFn, should_stop: StopFn) -> None:
        handles.release(handle)

    return run


def save_model_job(handle: ModelHandle, path: str | Path) -> JobFn:
    def run(on_progress: ProgressFn, should_stop: StopFn) -> str:
        from ..core.model.files import save_model_file

        save_model_file(handles.resolve(handle), path)
        return str(path)

    return run


def compile_job(handle: ModelHandle, optimizer: str, learning_rate: float,
                momentum: float = 0.0, nesterov: bool = False) -> JobFn:
    def run(on_progress: ProgressFn, should_stop: StopFn) -> None:
        from ..core.model.presets import ModelConfig, compile_model

        compile_model(handles.resolve(handle), ModelConfig(
            optimizer=optimizer, learning_rate=learning_rate, momentum=momentum,
            nesterov=nesterov))

    return run


@dataclass(frozen=True)
class FilmRequest:
    """Record a film while training: ``layer`` for ``samples``, the epochs of ``plan``."""

    layer: str
    samples: SampleSet
    plan: Any  # core.model.film.FilmPlan


def train_job(handle: ModelHandle, dataset: Dataset, train_config: Any, stop: StopLevels,
              tag_after: ResultTag, film: Optional[FilmRequest] = None) -> JobFn:
    """Train, then evaluate what the weights are now — also when the user stopped the run.
    With ``film``, the layer and the predictions are recorded after every epoch."""

    def run(on_progress: ProgressFn, should_stop: StopFn) -> TrainOutcome:
        from ..core.model.training import evaluate, train

        model = handles.resolve(handle)
        recorder = None
        if film is not None:
            from ..core.model.film import film_recorder
            from ..core.pipeline import sample_inputs

            from ..core.measures import depth_activations

            def depth_of() -> Any:  # every layer, for the layers along training
                return depth_activations(model, dataset, film.samples)

            recorder = film_recorder(model, sample_inputs(dataset, film.samples), film.layer,
                                     film.plan, film.samples.labels, depth_of=depth_of)
        result = train(model, dataset, train_config, on_progress=on_progress,
                       should_stop=stop.is_set,
                       callbacks=(recorder,) if recorder is not None else ())
        evaluation = None
        # also after a stop within the first epoch: its batches changed the weights
        if (result.epochs_done > 0 or result.partial_batches > 0) and len(dataset.y_test):
            report(on_progress, "evaluate", 0.0, "Evaluating on the test split…")
            # the validation rows are passed so "train" accuracy excludes them
            ev = evaluate(model, dataset, split="test", validation=result,
                          on_progress=on_progress, should_stop=stop.again)
            evaluation = evaluation_result(ev, dataset, tag_after)
        history = {k: tuple(float(v) for v in vals) for k, vals in result.history.items()}
        return TrainOutcome(history, result.epochs_done, result.stopped, result.seconds,
                            evaluation, recorder.recording() if recorder is not None else None,
                            result.partial_batches)

    return run


def evaluate_job(handle: ModelHandle, dataset: Dataset, tag: ResultTag) -> JobFn:
    def run(on_progress: ProgressFn, should_stop: StopFn) -> EvaluationResult:
        from ..core.model.training import evaluate

        ev = evaluate(handles.resolve(handle), dataset, split="test", on_progress=on_progress,
                      should_stop=should_stop)
        return evaluation_result(ev, dataset, tag)

    return run


def evaluation_result(ev: Any, dataset: Dataset, tag: ResultTag) -> EvaluationResult:
    from ..core.analysis.metrics import per_class_accuracy

    cm = np.asarray(ev.confusion).copy()
    pairs = tuple((int(t), int(p), int(c)) for t, p, c in ev.top_pairs)
    return EvaluationResult(tag=tag, confusion=cm, class_names=tuple(dataset.class_names),
                            accuracy={k: float(v) for k, v in ev.accuracy.items()},
                            per_class_accuracy=np.asarray(per_class_accuracy(cm)),
                            top_pairs=pairs, report=dict(ev.report or {}), split=ev.split,
                            labels=np.asarray(ev.labels, dtype=np.int64).copy(),
                            predictions=np.asarray(ev.predictions, dtype=np.int64).copy(),
                            probabilities=np.asarray(ev.probabilities, dtype=np.float32).copy(),
                            loss=dict(ev.loss), cross_entropy=dict(ev.cross_entropy),
                            penalty=float(ev.penalty))


# --- warm-ups -----------------------------------------------------------------------------
def warm_up_tensorflow_job() -> JobFn:
    def run(on_progress: ProgressFn, should_stop: StopFn) -> str:
        # The import is the point (~5 s, paid off the GUI thread). Always through the runtime
        # module: its lock keeps two threads from importing TF at once (TF then registers its
        # gradients twice and fails).
        from ..core.model.runtime import keras_module

        keras_module()
        return "tensorflow"

    return run


WARMED_METHODS = ("umap", "tsne", "pca-tsne")  # what the map process warms up (warm_up)


def warm_up_maps_job(method: str) -> JobFn:
    """Start the map process; for ``method`` in WARMED_METHODS also load its imports and
    compiled code there, so the first map of that method does not pay them."""
    def run(on_progress: ProgressFn, should_stop: StopFn) -> float:
        from ..core.analysis.projection_process import shared_process

        proc = shared_process()
        proc.start()
        if method not in WARMED_METHODS:
            return 0.0
        return proc.warm_up(should_stop, methods=(method,))

    return run
