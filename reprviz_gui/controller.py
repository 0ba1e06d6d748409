"""The controller: owns the app's state and the background lanes, turns user intents into jobs
and job results into signals the window's panels draw.

Lanes: "data" (loading files), "model" (everything TensorFlow: build, load, train, evaluate,
extract — TF objects are only ever touched from this one thread), "projection" (MDS, t-SNE,
UMAP, which must not hold up the next layer's extraction).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from .core.data.types import Dataset, LoadOptions
from .core.progress import Progress
from .state import EvaluationResult, LayerResult, ProjectionResult, SampleSet, TrainingCurves
from .workers import jobs
from .workers.lane import Job, JobFailure, Lane, next_request_id

NO_MODEL = "none"


@dataclass
class Settings:
    """What the user chose in the sidebar; remembered between runs."""

    source: str = "fashion-mnist-sample"
    preset: str = "dense"
    model_params: dict[str, Any] = field(default_factory=dict)
    epochs: int = 5
    batch_size: int = 32
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    validation_split: float = 0.1
    seed: int = 0
    n_samples: int = 1000
    split: str = "test"
    method: str = "umap"


class Controller(QObject):
    # state changes, for the window
    dataset_changed = Signal(object)  # Dataset
    model_changed = Signal(object)  # jobs.ModelReady | None
    layers_changed = Signal(object)  # tuple[LayerInfo, ...]
    layer_selected = Signal(str)  # set from code (demo, restore), not a user edit
    layer_result_ready = Signal(object)  # LayerResult
    projection_ready = Signal(object)  # ProjectionResult
    evaluation_ready = Signal(object)  # EvaluationResult | None
    curves_changed = Signal(object)  # TrainingCurves
    training_changed = Signal(bool)
    # activity, for the status bar
    activity = Signal(str, float, object)  # message, fraction (<0: indeterminate), eta seconds
    idle = Signal()
    message = Signal(str)  # a short status-bar note
    failed = Signal(str, object)  # what was being done, JobFailure
    unsafe_model = Signal(str, str)  # path, message: the window asks "trust this file?"
    unsafe_data = Signal(str, str)  # source, message: the window asks "trust this file?"
    panel_busy = Signal(str, str)  # panel group ("layer" | "map"), message

    def __init__(self, settings: Settings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings or Settings()
        self.dataset: Optional[Dataset] = None
        self.model_ready: Optional[jobs.ModelReady] = None
        self.model_version = 0  # bumped whenever weights may have changed
        self.samples: Optional[SampleSet] = None
        self.selected_layer: Optional[str] = None
        self.evaluation: Optional[EvaluationResult] = None
        self.test_predictions: Optional[np.ndarray] = None
        self.curves = TrainingCurves(history={})
        self.training = False
        self._layer_cache: dict[tuple, LayerResult] = {}
        self._projection_cache: dict[tuple, ProjectionResult] = {}
        self._latest_layer_request = 0
        self._latest_projection_request = 0
        self._current_layer_result: Optional[LayerResult] = None
        self.lanes = {name: Lane(name, self) for name in ("data", "model", "projection")}
        for lane in self.lanes.values():
            lane.job_started.connect(self._on_job_started)
            lane.job_progress.connect(self._on_job_progress)
            lane.job_finished.connect(self._on_job_finished)
            lane.job_failed.connect(self._on_job_failed)
            lane.job_cancelled.connect(self._on_job_cancelled)

    # ===================================================================================
    # intents (called by the window; all return at once)
    # ===================================================================================
    def start(self) -> None:
        """After the window shows: pay TF's and UMAP's start-up costs in the background, and
        open the remembered (or default) dataset."""
        self.lanes["model"].submit(Job("warmup", jobs.warm_up_tensorflow_job(),
                                       "starting TensorFlow"), supersede=False)
        if self.settings.method == "umap":  # only then is the ~10 s numba compile worth it
            self.lanes["projection"].submit(Job("warmup", jobs.warm_up_umap_job(),
                                                "preparing UMAP"), supersede=False)
        self.open_dataset(self.settings.source)

    def open_dataset(self, source: str | Path, options: LoadOptions | None = None) -> None:
        options = options or LoadOptions(seed=self.settings.seed)
        job = Job("load", jobs.load_dataset_job(source, options), f"opening {source}")
        job.source = str(source)  # type: ignore[attr-defined]
        job.options = options  # type: ignore[attr-defined]
        self.lanes["data"].submit(job)

    def set_model_preset(self, preset: str, params: dict[str, Any] | None = None) -> None:
        self.settings.preset = preset
        self.settings.model_params = dict(params or {})
        if self.dataset is not None:
            self._build_model()

    def load_model(self, path: str | Path, trust: bool = False) -> None:
        if self.dataset is None:
            self.message.emit("Open a dataset before loading a model.")
            return
        job = Job("model", jobs.load_model_job(path, self.dataset, trust),
                  f"loading {Path(path).name}")
        job.path = str(path)  # type: ignore[attr-defined]
        self.lanes["model"].submit(job)

    def save_model(self, path: str | Path) -> None:
        if self.model_ready is None:
            self.message.emit("There is no model to save.")
            return
        model = self.model_ready.model

        def run(on_progress, should_stop):
            from .core.model.files import save_model_file

            save_model_file(model, path)
            return str(path)

        self.lanes["model"].submit(Job("save", run, f"saving {Path(path).name}"), supersede=False)

    def train(self) -> None:
        if self.training:
            return
        if self.dataset is None or self.model_ready is None:
            self.message.emit("Open a dataset and choose a model first.")
            return
        if len(self.dataset.y_train) == 0:
            self.message.emit("This dataset has no training split: there is nothing to train.")
            return
        from .core.model.training import TrainConfig

        s = self.settings
        cfg = TrainConfig(epochs=s.epochs, batch_size=s.batch_size,
                          validation_split=s.validation_split, seed=s.seed)
        if (s.optimizer, s.learning_rate) != self._compiled_optimizer():
            self._recompile(s.optimizer, s.learning_rate)
        self.training = True
        self.curves = TrainingCurves(history={}, epochs_planned=s.epochs, running=True)
        self.curves_changed.emit(self.curves)
        self.training_changed.emit(True)
        self.lanes["model"].submit(
            Job("train", jobs.train_job(self.model_ready.model, self.dataset, cfg), "training"),
            supersede=False)

    def cancel(self) -> None:
        """The status bar's Cancel: stop training, extraction and projections."""
        stopped_a_map = False
        for lane in self.lanes.values():
            for job in lane.pending_jobs():
                if job.kind in ("train", "layer", "projection", "load", "model", "evaluate"):
                    stopped_a_map |= job.kind == "projection" and job.running.is_set()
                    job.cancel()
        if stopped_a_map and self.settings.method == "umap":
            # stopping a map kills the projection process; prepare the next UMAP at once
            self.lanes["projection"].submit(Job("warmup", jobs.warm_up_umap_job(),
                                                "preparing UMAP"), supersede=False)

    def select_layer(self, name: str) -> None:
        self.selected_layer = name
        self._request_layer()

    def set_method(self, method: str) -> None:
        self.settings.method = method
        if self._current_layer_result is not None:
            self._request_projection(self._current_layer_result)

    def set_samples(self, n: int, split: str) -> None:
        self.settings.n_samples, self.settings.split = int(n), split
        self._make_samples()
        self._request_layer()

    def shutdown(self, timeout_ms: int = 4000) -> bool:
        """Cancel everything and stop the threads; False if one is stuck in uninterruptible code."""
        import time

        deadline = time.monotonic() + timeout_ms / 1000
        ok = True
        for lane in self.lanes.values():
            lane.cancel()
        from .core.analysis.projection_process import close_shared_process

        close_shared_process()  # terminates a busy UMAP at once; its lane then returns
        for lane in self.lanes.values():
            left = int(max(0.0, deadline - time.monotonic()) * 1000)
            ok = lane.shutdown(left) and ok
        return ok

    # ===================================================================================
    # helpers
    # ===================================================================================
    def _model_label(self) -> str:
        s = self.settings
        hidden = s.model_params.get("hidden")
        return f"{s.preset} ({'-'.join(str(h) for h in hidden)})" if hidden else s.preset

    def _build_model(self, after_load: bool = False) -> None:
        assert self.dataset is not None
        if self.settings.preset == NO_MODEL:
            self._set_model(None)
            return
        from .core.model.presets import ModelConfig, default_config

        s = self.settings
        base = default_config(s.preset)
        params = {k: v for k, v in s.model_params.items() if hasattr(base, k)}
        params.update(optimizer=s.optimizer, learning_rate=s.learning_rate)
        config = ModelConfig(**{**base.__dict__, **params})
        job = Job("model", jobs.build_model_job(config, self.dataset, s.seed, self._model_label()),
                  "building the model")
        # after new data the old model no longer applies: if this build fails, show no model
        job.after_load = after_load  # type: ignore[attr-defined]
        self.lanes["model"].submit(job)

    def _compiled_optimizer(self) -> tuple[str, float]:
        return getattr(self, "_optimizer_in_model", (self.settings.optimizer,
                                                     self.settings.learning_rate))

    def _recompile(self, optimizer: str, lr: float) -> None:
        model = self.model_ready.model  # type: ignore[union-attr]

        def run(on_progress, should_stop):
            from .core.model.presets import ModelConfig, compile_model

            compile_model(model, ModelConfig(optimizer=optimizer, learning_rate=lr))
            return None

        self._optimizer_in_model = (optimizer, lr)
        self.lanes["model"].submit(Job("compile", run, "setting the optimizer"), supersede=False)

    def _set_model(self, ready: Optional[jobs.ModelReady]) -> None:
        self.model_ready = ready
        self._optimizer_in_model = (self.settings.optimizer, self.settings.learning_rate)
        self._new_model_version()
        self.evaluation = None
        self.test_predictions = None
        self.curves = TrainingCurves(history={})
        self.evaluation_ready.emit(None)
        self.curves_changed.emit(self.curves)
        self.model_changed.emit(ready)
        layers = self.available_layers()
        self.layers_changed.emit(layers)
        self._make_samples()
        names = [l.name for l in layers]
        if self.selected_layer not in names:
            self.selected_layer = default_layer(layers)
        if self.selected_layer is not None:
            self.layer_selected.emit(self.selected_layer)
            self._request_layer()

    def available_layers(self) -> tuple:
        """The model's layers, or the input vectors themselves when there is no model."""
        if self.model_ready is not None:
            return self.model_ready.layers
        if self.dataset is None:
            return ()
        from .core.model.layers import LayerInfo

        width = int(np.prod(self.dataset.sample_shape)) if self.dataset.sample_shape else 0
        return (LayerInfo(0, jobs.VECTORS_LAYER, "Input", (width,), "", 0, False),)

    def _make_samples(self) -> None:
        if self.dataset is None:
            self.samples = None
            return
        s = self.settings
        self.samples = jobs.make_sample_set(self.dataset, s.n_samples, s.split, s.seed,
                                            self.test_predictions)

    def _new_model_version(self) -> None:
        """Weights changed: results cached for older versions can never be shown again."""
        self.model_version += 1
        self._layer_cache.clear()
        self._projection_cache.clear()

    def _layer_key(self, layer: str) -> tuple:
        s = self.samples
        assert s is not None
        return (self.model_version, layer, s.split, s.n, self.settings.seed,
                s.predictions is not None)

    def _request_layer(self) -> None:
        if self.dataset is None or self.samples is None or self.selected_layer is None:
            return
        key = self._layer_key(self.selected_layer)
        cached = self._layer_cache.get(key)
        request_id = next_request_id()
        self._latest_layer_request = request_id
        if cached is not None:  # switching back is instant
            self._show_layer(cached)
            return
        model = self.model_ready.model if self.model_ready else None
        job = Job("layer", jobs.layer_job(request_id, model, self.dataset, self.samples,
                                          self.selected_layer, self.settings.method),
                  f"extracting {self.selected_layer}", request_id=request_id)
        job.cache_key = key  # type: ignore[attr-defined]
        self.panel_busy.emit("layer", f"Extracting {self.selected_layer}…")
        self.lanes["model"].submit(job)

    def _show_layer(self, result: LayerResult) -> None:
        self._current_layer_result = result
        self.layer_result_ready.emit(result)
        self._request_projection(result)

    def _request_projection(self, result: LayerResult) -> None:
        method = self.settings.method
        key = (self._layer_key(result.layer_name), method)
        request_id = next_request_id()
        self._latest_projection_request = request_id
        cached = self._projection_cache.get(key)
        if cached is not None:
            self.lanes["projection"].cancel("projection")
            self.projection_ready.emit(cached)
            return
        if method == "pca" or result.activations.shape[0] < 3:
            pca = self._projection_cache.get((key[0], "pca"))
            if pca is not None:
                self.projection_ready.emit(pca)
            return
        pca = self._projection_cache.get((key[0], "pca"))
        if pca is not None:  # show the instant map while the slower one runs
            self.projection_ready.emit(ProjectionResult(
                pca.request_id, pca.layer_name, "pca", pca.coords, pca.samples,
                pca.explained_variance, preview=True))
        job = Job("projection", jobs.projection_job(request_id, result, method, self.settings.seed),
                  f"computing the {method_label(method)} map", request_id=request_id,
                  interrupt_on_supersede=False)  # interrupting kills the warm UMAP process
        job.cache_key = key  # type: ignore[attr-defined]
        self.panel_busy.emit("map", f"Computing the {method_label(method)} map…")
        self.lanes["projection"].submit(job)

    # ===================================================================================
    # lane signals (GUI thread)
    # ===================================================================================
    @Slot(object)
    def _on_job_started(self, job: Job) -> None:
        if job.kind not in ("warmup",):
            self.activity.emit(_capitalise(job.description) + "…", -1.0, None)

    @Slot(object, object)
    def _on_job_progress(self, job: Job, p: Progress) -> None:
        if job.kind == "warmup":
            return
        if job.kind == "train" and p.stage == "train" and p.details.get("kind") == "epoch":
            self._append_epoch(p.details)
        self.activity.emit(p.message or _capitalise(job.description) + "…", p.fraction,
                           p.eta_seconds)

    def _append_epoch(self, d: dict) -> None:
        hist = {k: list(v) for k, v in self.curves.history.items()}
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            if d.get(key) is not None:
                hist.setdefault(key, []).append(float(d[key]))
        self.curves = TrainingCurves({k: tuple(v) for k, v in hist.items()},
                                     self.curves.epochs_planned, True)
        self.curves_changed.emit(self.curves)

    @Slot(object, object)
    def _on_job_finished(self, job: Job, result: Any) -> None:
        handler = getattr(self, f"_finished_{job.kind}", None)
        if handler is not None:
            handler(job, result)
        self._maybe_idle()

    def _finished_load(self, job: Job, dataset: Dataset) -> None:
        self.dataset = dataset
        self.settings.source = getattr(job, "source", self.settings.source)
        self._layer_cache.clear()
        self._projection_cache.clear()
        self._current_layer_result = None
        self._choose_preset_for(dataset)  # before dataset_changed: the window shows the preset
        self.dataset_changed.emit(dataset)
        for note in dataset.notes:
            self.message.emit(note)
        self._build_model(after_load=True)

    def _choose_preset_for(self, dataset: Dataset) -> None:
        """Keep the user's preset when it can take the new data; otherwise say what changed."""
        from .core.model.presets import default_preset_for, preset_suits

        s = self.settings
        if dataset.kind == "vector" and dataset.words is not None:
            if s.preset != NO_MODEL:
                self._no_model_was_automatic = True
            s.preset, s.model_params = NO_MODEL, {}  # word tables: look at the vectors
        elif s.preset == NO_MODEL and getattr(self, "_no_model_was_automatic", False):
            s.preset, s.model_params = default_preset_for(dataset), {}
            self._no_model_was_automatic = False
        elif s.preset != NO_MODEL and not preset_suits(s.preset, dataset):
            old, s.preset, s.model_params = s.preset, default_preset_for(dataset), {}
            self.message.emit(f"The {old} preset cannot take {dataset.name}; "
                              f"switched to {s.preset}.")

    def _finished_model(self, job: Job, ready: jobs.ModelReady) -> None:
        self._set_model(ready)

    def _finished_train(self, job: Job, outcome: jobs.TrainOutcome) -> None:
        self.training = False
        self._new_model_version()
        self.curves = TrainingCurves(outcome.history, self.curves.epochs_planned, False)
        self.curves_changed.emit(self.curves)
        if outcome.evaluation is not None:
            self.evaluation = outcome.evaluation
            self.test_predictions = outcome.predictions
            self.evaluation_ready.emit(outcome.evaluation)
        self.training_changed.emit(False)
        acc = outcome.evaluation.accuracy.get("test") if outcome.evaluation else None
        what = "Training stopped" if outcome.stopped else "Training finished"
        self.message.emit(f"{what} after {outcome.epochs_done} epoch(s) in "
                          f"{outcome.seconds:.0f} s" + (f"; test accuracy {acc:.1%}" if acc
                                                        is not None else "") + ".")
        self._make_samples()
        self._request_layer()

    def _finished_layer(self, job: Job, result: tuple[LayerResult, ProjectionResult]) -> None:
        layer_result, preview = result
        key = getattr(job, "cache_key", None)
        if key is not None:
            self._layer_cache[key] = layer_result
            self._projection_cache[(key, "pca")] = ProjectionResult(
                preview.request_id, preview.layer_name, "pca", preview.coords, preview.samples,
                preview.explained_variance, preview=False)
        if job.request_id != self._latest_layer_request:
            return  # stale: the user has moved on
        self._current_layer_result = layer_result
        self.layer_result_ready.emit(layer_result)
        self.projection_ready.emit(preview)
        if self.settings.method != "pca":
            self._request_projection(layer_result)

    def _finished_projection(self, job: Job, result: ProjectionResult) -> None:
        key = getattr(job, "cache_key", None)
        if key is not None:
            self._projection_cache[key] = result
        if job.request_id == self._latest_projection_request:
            self.projection_ready.emit(result)

    def _finished_save(self, job: Job, path: str) -> None:
        self.message.emit(f"Model saved to {path}.")

    @Slot(object, object)
    def _on_job_failed(self, job: Job, failure: JobFailure) -> None:
        self._end_panel_work(job)
        if job.kind == "train":
            self.training = False
            self.curves = TrainingCurves(self.curves.history, self.curves.epochs_planned, False)
            self.training_changed.emit(False)
        if job.kind == "model" and failure.category == "unsafe-model" and hasattr(job, "path"):
            self.unsafe_model.emit(job.path, failure.message)  # type: ignore[attr-defined]
        elif job.kind == "load" and failure.category == "unsafe" and hasattr(job, "source"):
            self.unsafe_data.emit(job.source, failure.message)  # type: ignore[attr-defined]
        elif job.kind == "model" and getattr(job, "after_load", False):
            self._set_model(None)  # the dataset changed: the panels show the data itself
            self.failed.emit(job.description, replace(failure, kept=False, message=(
                failure.message + " The panels show the data itself until you choose a "
                "model that fits.")))
        elif job.kind == "warmup":
            self.message.emit(f"Background start-up failed: {failure.message}")
        else:
            self.failed.emit(job.description or job.kind, failure)
        self._maybe_idle()

    def _end_panel_work(self, job: Job) -> None:
        """A layer or map job ended without a result: take the panels' busy badges down."""
        if job.kind not in ("layer", "projection") or self._superseded(job):
            return
        self.panel_busy.emit("layer" if job.kind == "layer" else "map", "")
        if job.kind == "projection" and self._current_layer_result is not None:
            key = (self._layer_key(self._current_layer_result.layer_name), "pca")
            pca = self._projection_cache.get(key)
            if pca is not None:  # what stays on the map is the PCA map, no longer a preview
                self.projection_ready.emit(pca)

    @Slot(object)
    def _on_job_cancelled(self, job: Job) -> None:
        self._end_panel_work(job)
        if job.kind == "train":  # train() returns normally on cancel; this is a queued cancel
            self.training = False
            self.training_changed.emit(False)
        if job.kind in ("train", "load", "model") or (
                job.kind in ("layer", "projection") and not self._superseded(job)):
            self.message.emit(f"Cancelled {job.description or job.kind}.")
        self._maybe_idle()

    def _superseded(self, job: Job) -> bool:
        latest = (self._latest_layer_request if job.kind == "layer"
                  else self._latest_projection_request)
        return job.request_id != latest

    def _maybe_idle(self) -> None:
        busy = [j for lane in self.lanes.values() for j in lane.pending_jobs()
                if j.kind != "warmup"]
        if not busy:
            self.idle.emit()


def default_layer(layers: tuple) -> Optional[str]:
    """The last hidden layer with units: what a course looks at first."""
    if not layers:
        return None
    candidates = [l for l in layers if l.type not in ("InputLayer", "Dropout", "Flatten",
                                                      "Reshape")]
    if len(candidates) >= 2:
        return candidates[-2].name  # the one before the output
    return (candidates or list(layers))[-1].name


def method_label(method: str) -> str:
    return {"pca": "PCA", "mds": "MDS", "tsne": "t-SNE", "umap": "UMAP"}.get(method, method)


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
