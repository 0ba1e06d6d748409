"""The controller's model intents: presets, model files, training, layers, comparison.

A mixin of ``Controller`` (kept apart so each module stays readable). Every model job carries
the session and dataset it was made for; its result is applied only if both are still the same
(the user may have opened other data or replaced the model meanwhile).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from ..core.pipeline import INPUT_LAYER
from ..workers.lane import Job, JobFailure, JobKind
from . import history_rows, jobs
from .results import ResultKey
from .state import NO_MODEL, SESSION_IDS, ModelHandle, ResultTag, Session, TrainingCurves

if TYPE_CHECKING:
    from .controller import Controller


@dataclass(frozen=True)
class ModelJob:
    session_id: str
    dataset_id: int
    after_load: bool  # the dataset just changed: if this fails, show the data itself
    path: str = ""  # a model file, for "trust this file?"


@dataclass(frozen=True)
class TrainJob:
    session_id: str
    dataset_id: int
    handle: ModelHandle
    stop: jobs.StopLevels
    tag_after: ResultTag
    run: Any = None  # history_rows.RunStart: what the run history records of this run


class SessionActions:
    """Model and training intents of the controller (see controller.py)."""

    def _init_sessions(self: "Controller") -> None:
        s = self.settings
        self.workspace.sessions = {"A": Session("A", preset=s.preset, params=dict(s.model_params))}
        self._optimizer: dict[str, tuple[str, float]] = {}
        self._no_model_was_automatic = False

    # --- reading ---------------------------------------------------------------------------
    def session(self: "Controller", session_id: Optional[str] = None) -> Session:
        return self.workspace.sessions[session_id or self.active]

    def training_sessions(self: "Controller") -> list[str]:
        return [sid for sid, s in self.workspace.sessions.items() if s.training]

    def layers_of(self: "Controller", session_id: Optional[str] = None) -> tuple:
        """The layers the views can show: the model's layers, each Dense layer with a flat
        input preceded by its raw projection ``name:raw`` (input · W, no bias or activation —
        the order the network computes them in, which also keeps the output layer last for
        ``default_layer``); or the input values themselves when there is no model."""
        s = self.session(session_id)
        if s.has_model:
            from ..core.model.extraction import RAW_SUFFIX
            from ..core.model.layers import LayerInfo

            shown = []
            for info in s.layers:
                # a Dense layer on a flat input has a 1-D output; extraction reads raw x·W
                # only there (a Dense applied along a sequence has no single projection)
                if info.type == "Dense" and len(info.output_shape) == 1:
                    shown.append(LayerInfo(info.index, info.name + RAW_SUFFIX,
                                           "Dense (raw x·W)", info.output_shape, "", 0,
                                           False, False))
                shown.append(info)
            return tuple(shown)
        ds = self.workspace.dataset
        if ds is None:
            return ()
        from ..core.model.layers import LayerInfo

        width = int(np.prod(ds.sample_shape)) if ds.sample_shape else 0
        return (LayerInfo(0, INPUT_LAYER, "Input", (width,), "", 0, False, True),)

    # --- intents ---------------------------------------------------------------------------
    def set_active(self: "Controller", session_id: str) -> None:
        if session_id in self.workspace.sessions and session_id != self.active:
            self.active = session_id
            self.session_changed.emit(session_id)

    def set_model_preset(self: "Controller", preset: str, params: dict | None = None,
                         session_id: Optional[str] = None) -> None:
        s = self.session(session_id)
        s.preset, s.params, s.file = preset, dict(params or {}), ""
        if s.id == "A":
            self.settings.preset, self.settings.model_params = preset, dict(params or {})
        if self.workspace.dataset is not None:
            self._build(s)

    def load_model(self: "Controller", path: str | Path, trust: bool = False,
                   session_id: Optional[str] = None) -> None:
        ws = self.workspace
        if ws.dataset is None:
            self.message.emit("Open a dataset before loading a model.")
            return
        s = self.session(session_id)
        s.building = True
        self.session_changed.emit(s.id)
        self.scheduler.refresh(s.id)
        self.lanes["model"].submit(Job(
            JobKind.LOAD_MODEL, jobs.load_model_job(path, ws.dataset, trust),
            f"loading {Path(path).name}", group=f"model:{s.id}",
            payload=ModelJob(s.id, ws.dataset_id, False, str(path))))

    def save_model(self: "Controller", path: str | Path, session_id: Optional[str] = None) -> None:
        s = self.session(session_id)
        if s.handle is None:
            self.message.emit("There is no model to save.")
            return
        self.lanes["model"].submit(Job(JobKind.SAVE, jobs.save_model_job(s.handle, path),
                                       f"saving {Path(path).name}"), supersede=False)

    def train(self: "Controller", session_id: Optional[str] = None) -> None:
        ws, s = self.workspace, self.session(session_id)
        if s.training:
            return
        if ws.dataset is None:
            self.message.emit("Open a dataset first.")
            return
        if s.building:
            self.message.emit("The model is still being prepared; press Train again in a "
                              "moment.")
            return
        if s.handle is None:
            self.message.emit("Choose a model preset (or load a model) to train.")
            return
        if len(ws.dataset.y_train) == 0:
            self.message.emit("This dataset has no training split: there is nothing to train.")
            return
        from ..core.model.training import TrainConfig

        st = self.settings
        cfg = TrainConfig(epochs=st.epochs, batch_size=st.batch_size,
                          validation_split=st.validation_split, seed=st.seed)
        if self._optimizer.get(s.id) != _optimizer_of(st):
            self._optimizer[s.id] = _optimizer_of(st)
            self.lanes["model"].submit(Job(JobKind.COMPILE, jobs.compile_job(
                s.handle, *_optimizer_of(st)), "setting the optimizer"),
                supersede=False)
        stop = jobs.StopLevels()
        tag_after = ResultTag(ws.dataset_id, "", s.id, s.version + 1)
        s.training = True
        s.curves = TrainingCurves({}, st.epochs, running=True)
        self.training_changed.emit(s.id, True)
        self.session_changed.emit(s.id)
        self.scheduler.refresh(s.id)
        job = self.lanes["model"].submit(Job(
            JobKind.TRAIN, jobs.train_job(s.handle, ws.dataset, cfg, stop, tag_after),
            "training" + (f" {s.label}" if len(ws.sessions) > 1 else ""), cancel_event=stop,
            payload=TrainJob(s.id, ws.dataset_id, s.handle, stop, tag_after,
                             history_rows.run_start(self, s, cfg)),
            result_on_cancel=True), supersede=False)
        s.train_request = job.request_id

    def cancel_training(self: "Controller") -> None:
        for job in self.lanes["model"].pending_jobs():
            if job.kind == JobKind.TRAIN:
                job.cancel()

    def select_layer(self: "Controller", name: str, session_id: Optional[str] = None) -> None:
        s = self.session(session_id)
        if s.layer != name:
            s.layer = name
            self.session_changed.emit(s.id)
        # also for the same name: after a cancelled read the views still show the old layer
        self.scheduler.refresh(s.id)

    def add_comparison(self: "Controller", spec: str, params: dict | None = None) -> None:
        """Compare with a second model: a preset name or a .keras/.h5 file, on the same data."""
        ws = self.workspace
        old = ws.sessions.pop("B", None)
        if old is not None and old.handle is not None:
            self._release(old.handle)
        is_file = Path(spec).suffix.lower() in (".keras", ".h5", ".hdf5")
        s = Session("B", preset="file" if is_file else spec, params=dict(params or {}))
        ws.sessions["B"] = s
        self.sessions_changed.emit()
        if ws.dataset is None:
            return
        if is_file:
            self.load_model(spec, session_id="B")
        else:
            self._build(s)

    def remove_comparison(self: "Controller") -> None:
        s = self.workspace.sessions.pop("B", None)
        if s is None:
            return
        if s.handle is not None:
            self._release(s.handle)
        self.active = "A"
        self.sessions_changed.emit()
        self.scheduler.refresh()

    # --- helpers ---------------------------------------------------------------------------
    def _release(self: "Controller", handle: ModelHandle) -> None:
        self.lanes["model"].submit(Job(JobKind.RELEASE, jobs.release_model_job(handle),
                                       "closing a model"), supersede=False)

    def _model_label(self: "Controller", s: Session) -> str:
        hidden = s.params.get("hidden")
        return f"{s.preset} ({'-'.join(str(h) for h in hidden)})" if hidden else s.preset

    def _build(self: "Controller", s: Session, after_load: bool = False) -> None:
        ws = self.workspace
        assert ws.dataset is not None
        if s.preset == NO_MODEL:
            self._set_model(s, None)
            return
        from ..core.model.presets import ModelConfig, default_config

        st = self.settings
        base = default_config(s.preset)
        params = {k: v for k, v in s.params.items() if hasattr(base, k)}
        params.update(zip(("optimizer", "learning_rate", "momentum", "nesterov"),
                          _optimizer_of(st)))
        config = ModelConfig(**{**base.__dict__, **params})
        s.building = True
        self.session_changed.emit(s.id)
        self.scheduler.refresh(s.id)
        self.lanes["model"].submit(Job(
            JobKind.BUILD, jobs.build_model_job(config, ws.dataset, st.seed, self._model_label(s)),
            "building the model", group=f"model:{s.id}",
            payload=ModelJob(s.id, ws.dataset_id, after_load)))

    def _set_model(self: "Controller", s: Session, ready: Optional[jobs.ModelReady],
                   path: str = "") -> None:
        if s.handle is not None:
            self._release(s.handle)
        s.handle = ready.handle if ready is not None else None
        s.layers = ready.layers if ready is not None else ()
        s.version += 1
        s.trained_epochs, s.file, s.building = 0, path, False
        s.curves = TrainingCurves()
        if path:
            s.preset = "file"
        self._optimizer[s.id] = _optimizer_of(self.settings)
        from ..core.model.layers import default_layer

        names = [l.name for l in self.layers_of(s.id)]
        if s.layer not in names:
            s.layer = default_layer(self.layers_of(s.id))
        self.scheduler.drop_stale()
        self.session_changed.emit(s.id)
        self.scheduler.refresh(s.id)

    def _choose_preset_for(self: "Controller", dataset: Any) -> None:
        """Keep the user's preset when it can take the new data; otherwise say what changed."""
        from ..core.model.presets import default_preset_for, preset_suits

        s = self.workspace.sessions["A"]
        if dataset.kind == "vector" and dataset.words is not None:
            if s.preset != NO_MODEL:
                self._no_model_was_automatic = True
            s.preset, s.params = NO_MODEL, {}  # word tables: look at the vectors themselves
        elif s.preset == NO_MODEL and self._no_model_was_automatic:
            s.preset, s.params = default_preset_for(dataset), {}
            self._no_model_was_automatic = False
        elif s.preset == "file" or (s.preset != NO_MODEL and not preset_suits(s.preset, dataset)):
            old, s.preset, s.params = s.preset, default_preset_for(dataset), {}
            what = "The loaded model" if old == "file" else f"The {old} preset"
            self.message.emit(f"{what} cannot take {dataset.name}; switched to {s.preset}.")
        self.settings.preset, self.settings.model_params = s.preset, dict(s.params)

    def _models_for_new_data(self: "Controller") -> None:
        from ..core.model.presets import preset_suits

        ws = self.workspace
        b = ws.sessions.get("B")
        if b is not None and (b.preset == "file" or not preset_suits(b.preset, ws.dataset)):
            self.remove_comparison()
            self.message.emit("The comparison model cannot take the new data; it was closed.")
        for s in list(ws.sessions.values()):
            self._build(s, after_load=True)

    def _applies(self: "Controller", session_id: str, dataset_id: int) -> Optional[Session]:
        s = self.workspace.sessions.get(session_id)
        return s if s is not None and dataset_id == self.workspace.dataset_id else None

    def _model_ready(self: "Controller", job: Job, ready: jobs.ModelReady) -> None:
        p: ModelJob = job.payload
        s = self._applies(p.session_id, p.dataset_id)
        if s is None:
            self._release(ready.handle)  # made for data that is no longer open
            return
        self._set_model(s, ready, p.path)
        if ready.note:  # e.g. the images padded to the model's input: said, not silent
            self.message.emit(ready.note)

    def _append_epoch(self: "Controller", job: Job, d: dict) -> None:
        p: TrainJob = job.payload
        s = self._applies(p.session_id, p.dataset_id)
        if s is None or s.handle != p.handle:
            return
        hist = {k: list(v) for k, v in s.curves.history.items()}
        for key in ("loss", "accuracy", "val_loss", "val_accuracy", "penalty",
                    "val_cross_entropy"):
            if d.get(key) is not None:
                hist.setdefault(key, []).append(float(d[key]))
        s.curves = replace(s.curves, history={k: tuple(v) for k, v in hist.items()})
        self.product_ready.emit("curves", s.id, s.curves)

    def _trained(self: "Controller", job: Job, outcome: jobs.TrainOutcome) -> None:
        p: TrainJob = job.payload
        s = self._applies(p.session_id, p.dataset_id)
        applies = s is not None and s.handle == p.handle
        curves = None
        if applies:
            curves = TrainingCurves(outcome.history, s.curves.epochs_planned, False,
                                    stopped=outcome.stopped)
        ended = self._training_ended(job, curves)
        history_rows.record_run(self, p.run, outcome)  # also a run whose data was closed
        if not applies or ended is None:
            return  # the data or the model changed meanwhile: nothing here belongs to it
        s = ended
        s.version = p.tag_after.model_version  # the weights changed (also when stopped)
        s.trained_epochs += outcome.epochs_done
        if outcome.evaluation is not None:
            key = ResultKey.make("evaluation", p.tag_after, {})
            self.scheduler.store.put(key, outcome.evaluation)
        self.scheduler.drop_stale()
        self.session_changed.emit(s.id)
        self.scheduler.refresh(s.id)
        acc = outcome.evaluation.accuracy.get("test") if outcome.evaluation else None
        what = "Training stopped" if outcome.stopped else "Training finished"
        self.message.emit(f"{what} after {outcome.epochs_done} epoch(s) in "
                          f"{outcome.seconds:.0f} s" + (f"; test accuracy {acc:.1%}"
                                                        if acc is not None else "") + ".")

    def _model_job_failed(self: "Controller", job: Job, failure: JobFailure) -> None:
        if job.kind == JobKind.TRAIN:
            self._training_ended(job)
            self.failed.emit(job.description, failure)
            return
        p: ModelJob = job.payload
        s = self._applies(p.session_id, p.dataset_id)
        if s is not None:
            s.building = False
        if job.kind == JobKind.LOAD_MODEL and failure.category == "unsafe-model":
            self.unsafe_model.emit(p.session_id, p.path, failure.message)
        elif p.after_load and s is not None:
            self._set_model(s, None)  # the old model cannot take the new data
            self.failed.emit(job.description, replace(failure, kept=False, message=(
                failure.message + " The views show the data itself until you choose a model "
                "that fits.")))
        else:
            self.failed.emit(job.description, failure)
        if s is not None:
            self.session_changed.emit(s.id)
            self.scheduler.refresh(s.id)

    def _model_job_cancelled(self: "Controller", job: Job) -> None:
        if job.kind == JobKind.TRAIN:
            self._training_ended(job)  # cancelled before it started
        else:
            p: ModelJob = job.payload
            s = self._applies(p.session_id, p.dataset_id)
            if s is not None and not any(j.kind in (JobKind.BUILD, JobKind.LOAD_MODEL)
                                         and j.payload.session_id == s.id and not j.cancelled
                                         for j in self.lanes["model"].pending_jobs()):
                s.building = False
                self.session_changed.emit(s.id)
                self.scheduler.refresh(s.id)
        self.message.emit(f"Cancelled {job.description}.")

    def _training_ended(self: "Controller", job: Job,
                        curves: Optional[TrainingCurves] = None) -> Optional[Session]:
        """Reset the session's training state if this job was its run; returns the session."""
        p: TrainJob = job.payload
        s = self.workspace.sessions.get(p.session_id)
        if s is None or s.train_request != job.request_id:
            return None
        s.training, s.train_request = False, 0
        s.curves = curves or replace(s.curves, running=False, stopped=True)
        self.training_changed.emit(s.id, False)
        if curves is None:
            self.session_changed.emit(s.id)
            self.scheduler.refresh(s.id)
        return s


__all__ = ["SessionActions", "SESSION_IDS"]


def _optimizer_of(st: Any) -> tuple[str, float, float, bool]:
    """The optimizer fields of the settings (a change recompiles the model)."""
    return (st.optimizer, float(st.learning_rate), float(st.momentum), bool(st.nesterov))
