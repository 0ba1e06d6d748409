"""The work the window asks for, as plain functions of (on_progress, should_stop).

Each ``*_job`` returns a closure a ``Lane`` can run. They compose core calls into the frozen
result objects of ``state.py`` and copy every array they hand over, so the GUI may keep a result
while the next job runs. No Qt here: tests call these directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from ..core.data.types import Dataset, LoadOptions
from ..core.errors import ResourceLimitError
from ..core.progress import ProgressFn, StopFn, check_stop, report
from ..state import EvaluationResult, LayerResult, ProjectionResult, SampleSet

# The pseudo-layer shown for word tables and other vector data used without a model.
VECTORS_LAYER = "vectors (input)"

Job = Callable[[ProgressFn, StopFn], Any]


@dataclass(frozen=True)
class ModelReady:
    model: Any  # keras.Model; only ever touched on the model lane
    layers: tuple  # LayerInfo, ...
    label: str  # "dense (256-144)" or the file name


@dataclass(frozen=True)
class TrainOutcome:
    history: dict[str, tuple[float, ...]]
    epochs_done: int
    stopped: bool
    seconds: float
    evaluation: Optional[EvaluationResult]
    predictions: Optional[np.ndarray]  # (N_test,) predicted class for the whole test split


# --- data ---------------------------------------------------------------------------------
def load_dataset_job(source: str | Path, options: LoadOptions) -> Job:
    def run(on_progress: ProgressFn, should_stop: StopFn) -> Dataset:
        from ..core.data.sources import load_dataset

        return load_dataset(source, options, on_progress=on_progress, should_stop=should_stop)

    return run


def make_sample_set(dataset: Dataset, n: int, split: str = "test", seed: int = 0,
                    predictions: Optional[np.ndarray] = None) -> SampleSet:
    """Pick ``n`` class-stratified samples of a split, rows grouped by class."""
    from ..core.data.samples import select_samples

    x, y = dataset.split(split)
    if len(y) == 0 and split == "train":  # word tables have no training split
        split = "test"
        x, y = dataset.split(split)
    indices = np.asarray(select_samples(y, n=n, seed=seed), dtype=np.int64)
    labels = np.asarray(y[indices], dtype=np.int64).copy()
    thumbnails = np.array(x[indices], copy=True) if dataset.kind == "image" else None
    words = tuple(dataset.words[i] for i in indices) if dataset.words and split == "test" else None
    texts = _sequence_snippets(dataset, x[indices]) if dataset.kind == "sequence" else None
    preds = None
    if predictions is not None and split == "test" and len(predictions) == len(y):
        preds = np.asarray(predictions)[indices].astype(np.int64).copy()
    return SampleSet(indices=indices, labels=labels, class_names=tuple(dataset.class_names),
                     split=split, predictions=preds, thumbnails=thumbnails, words=words,
                     texts=texts)


def _sequence_snippets(dataset: Dataset, seqs: np.ndarray, n_tokens: int = 24) -> tuple[str, ...]:
    vocab = dataset.vocabulary or {}
    out = []
    for seq in seqs:
        tokens = [int(t) for t in seq if int(t) > 1][:n_tokens]  # skip padding and start
        out.append(" ".join(vocab.get(t, f"#{t}") for t in tokens) + " …")
    return tuple(out)


# --- models -------------------------------------------------------------------------------
def build_model_job(config: Any, dataset: Dataset, seed: int, label: str) -> Job:
    def run(on_progress: ProgressFn, should_stop: StopFn) -> ModelReady:
        report(on_progress, "model", 0.0, "Starting TensorFlow and building the model…")
        from ..core.model.presets import build_model
        from ..core.model.layers import describe_layers

        model = build_model(config, dataset, seed=seed)
        check_stop(should_stop)
        return ModelReady(model, tuple(describe_layers(model)), label)

    return run


def load_model_job(path: str | Path, dataset: Dataset, trust: bool) -> Job:
    def run(on_progress: ProgressFn, should_stop: StopFn) -> ModelReady:
        report(on_progress, "model", 0.0, f"Loading {Path(path).name}…")
        from ..core.model.layers import check_compatible, describe_layers
        from ..core.model.files import load_model_file

        model = load_model_file(path, trust=trust)
        check_compatible(model, dataset, Path(path).name)
        return ModelReady(model, tuple(describe_layers(model)), Path(path).name)

    return run


def train_job(model: Any, dataset: Dataset, train_config: Any) -> Job:
    def run(on_progress: ProgressFn, should_stop: StopFn) -> TrainOutcome:
        from ..core.model.training import evaluate, train

        result = train(model, dataset, train_config, on_progress=on_progress,
                       should_stop=should_stop)
        evaluation = None
        predictions = None
        if result.epochs_done > 0 and len(dataset.y_test):
            report(on_progress, "evaluate", 0.0, "Evaluating on the test split…")
            # with the validation rows, so "train" accuracy excludes them and "validation" shows
            ev = evaluate(model, dataset, split="test", validation=result,
                          on_progress=on_progress, should_stop=should_stop)
            evaluation = evaluation_result(ev, dataset)
            predictions = np.asarray(ev.predictions).copy()
        history = {k: tuple(float(v) for v in vals) for k, vals in result.history.items()}
        return TrainOutcome(history, result.epochs_done, result.stopped, result.seconds,
                            evaluation, predictions)

    return run


def evaluation_result(ev: Any, dataset: Dataset) -> EvaluationResult:
    from ..core.analysis.metrics import per_class_accuracy

    cm = np.asarray(ev.confusion).copy()
    pairs = tuple((int(t), int(p), int(c)) for t, p, c in ev.top_pairs)
    return EvaluationResult(confusion=cm, class_names=tuple(dataset.class_names),
                            accuracy={k: float(v) for k, v in ev.accuracy.items()},
                            per_class_accuracy=np.asarray(per_class_accuracy(cm)),
                            top_pairs=pairs, report=dict(ev.report or {}))


# --- layers -------------------------------------------------------------------------------
def layer_job(request_id: int, model: Any, dataset: Dataset, samples: SampleSet,
              layer_name: str, want_projection: str) -> Job:
    """Extract one layer for the sample set, then its cosine matrices and an instant PCA map.

    Returns ``(LayerResult, ProjectionResult)``; the projection is PCA, marked as a preview when
    the user asked for a slower method (which then runs on the projection lane).
    """

    def run(on_progress: ProgressFn, should_stop: StopFn) -> tuple[LayerResult, ProjectionResult]:
        acts = layer_activations(model, dataset, samples, layer_name, on_progress, should_stop)
        check_stop(should_stop)
        report(on_progress, "similarity", 0.0, "Cosine similarity…")
        from ..core.analysis.similarity import centroid_similarity, cosine_similarity
        from ..core.analysis.projection import project

        note = ""
        try:
            cosine = cosine_similarity(acts)
        except ResourceLimitError as exc:
            cosine, note = None, str(exc)
        centroid = centroid_similarity(acts, samples.labels, len(samples.class_names))
        check_stop(should_stop)
        layer_result = LayerResult(request_id, layer_name, acts, samples, cosine, centroid, note)
        report(on_progress, "project", 0.0, "PCA preview…")
        pca = project(acts, "pca")
        preview = ProjectionResult(request_id, layer_name, "pca",
                                   np.asarray(pca.coords, dtype=np.float32), samples,
                                   pca.explained_variance, preview=want_projection != "pca")
        return layer_result, preview

    return run


def layer_activations(model: Any, dataset: Dataset, samples: SampleSet, layer_name: str,
                      on_progress: ProgressFn | None = None,
                      should_stop: StopFn | None = None) -> np.ndarray:
    """(N, units) float32 activations of one layer for the sample set (a copy)."""
    x, _ = dataset.split(samples.split)
    x_sel = x[samples.indices]
    if model is None or layer_name == VECTORS_LAYER:
        flat = dataset.inputs(x_sel).reshape(len(x_sel), -1)
        return np.array(flat, dtype=np.float32, copy=True)
    from ..core.model.extraction import extract_layers

    out = extract_layers(model, dataset.inputs(x_sel), [layer_name], on_progress=on_progress,
                         should_stop=should_stop)
    return np.array(out[layer_name], dtype=np.float32, copy=True)


def projection_job(request_id: int, layer_result: LayerResult, method: str, seed: int) -> Job:
    def run(on_progress: ProgressFn, should_stop: StopFn) -> ProjectionResult:
        from ..core.analysis.projection_process import project_in_process

        proj = project_in_process(layer_result.activations, method, seed=seed,
                                  on_progress=on_progress, should_stop=should_stop)
        return ProjectionResult(request_id, layer_result.layer_name, method,
                                np.asarray(proj.coords, dtype=np.float32).copy(),
                                layer_result.samples, proj.explained_variance)

    return run


def warm_up_tensorflow_job() -> Job:
    def run(on_progress: ProgressFn, should_stop: StopFn) -> str:
        report(on_progress, "startup", 0.0, "Starting TensorFlow in the background…")
        # The import is the point (~5 s, paid off the GUI thread). Always through tf_runtime:
        # its lock keeps umap's import on the projection lane from importing TF concurrently,
        # which makes TF register its gradients twice and fail.
        from ..core.model.runtime import keras_module

        keras_module()

        return "tensorflow"

    return run


def warm_up_umap_job() -> Job:
    def run(on_progress: ProgressFn, should_stop: StopFn) -> str:
        from ..core.analysis.projection_process import shared_process

        shared_process().warm_up(should_stop)
        return "umap"

    return run
