"""The model service: each session's model — presets, model files, layers, the comparison.

Every model job carries the session and dataset it was made for; its result is applied only if
both are still the same (the user may have opened other data or replaced the model meanwhile).
It tells the window what changed through the shared ``WorkspaceSignals`` and asks the
scheduler to serve the views again; it knows nothing of training or the run history.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Optional

import numpy as np

from ..core.pipeline import INPUT_LAYER
from ..workers.lane import Job, JobFailure, JobKind, Lane
from . import jobs
from .scheduler import ProductScheduler
from .settings import optimizer_of
from .signals import WorkspaceSignals
from .state import NO_MODEL, ModelHandle, Session, TrainingCurves, Workspace

if TYPE_CHECKING:
    from .settings import Settings


@dataclass(frozen=True)
class ModelJob:
    session_id: str
    dataset_id: int
    after_load: bool  # the dataset just changed: if this fails, show the data itself
    path: str = ""  # a model file, for "trust this file?"


class ModelService:
    """Builds, loads, saves and releases the sessions' models (on the model lane)."""

    def __init__(self, workspace: Workspace, settings: "Settings", lanes: Mapping[str, Lane],
                 scheduler: ProductScheduler, signals: WorkspaceSignals) -> None:
        self.workspace, self.settings, self.lanes = workspace, settings, lanes
        self.scheduler, self.signals = scheduler, signals
        s = settings
        workspace.sessions = {"A": Session("A", preset=s.preset, params=dict(s.model_params))}
        self.active = "A"  # the session the sidebar edits and trains
        self._no_model_was_automatic = False
        # session id -> called with the session once its restored model is in place, before
        # the views are served (workspace/session_restore.py puts the stored results then)
        self.restore_hooks: dict[str, Any] = {}

    # --- reading ---------------------------------------------------------------------------
    def session(self, session_id: Optional[str] = None) -> Session:
        return self.workspace.sessions[session_id or self.active]

    def layers_of(self, session_id: Optional[str] = None) -> tuple:
        """The layers the views can show: the model's layers, each Dense layer with a flat
        input preceded by its raw projection ``name:raw`` (input · W, no bias or activation —
        the order the network computes them in, which also keeps the output layer last for
        ``default_layer``); or the input values themselves when there is no model."""
        from ..core.model.layers import LayerInfo

        s = self.session(session_id)
        if s.has_model:
            from ..core.model.extraction import RAW_SUFFIX

            shown = []
            for info in s.layers:
                # a Dense layer on a flat input has a 1-D output; extraction reads raw x·W
                # only there (a Dense applied along a sequence has no single projection)
                if info.type == "Dense" and len(info.output_shape) == 1 and not info.parent:
                    shown.append(LayerInfo(info.index, info.name + RAW_SUFFIX,
                                           "Dense (raw x·W)", info.output_shape, "", 0,
                                           False, False))
                shown.append(info)
            return tuple(shown)
        ds = self.workspace.dataset
        if ds is None:
            return ()
        width = int(np.prod(ds.sample_shape)) if ds.sample_shape else 0
        return (LayerInfo(0, INPUT_LAYER, "Input", (width,), "", 0, False, True),)

    # --- intents ---------------------------------------------------------------------------
    def set_active(self, session_id: str) -> None:
        if session_id in self.workspace.sessions and session_id != self.active:
            self.active = session_id
            self.signals.session_changed.emit(session_id)

    def set_model_preset(self, preset: str, params: dict | None = None,
                         session_id: Optional[str] = None) -> None:
        s = self.session(session_id)
        s.preset, s.params, s.file = preset, dict(params or {}), ""
        if s.id == "A":
            self.settings.preset, self.settings.model_params = preset, dict(params or {})
        if self.workspace.dataset is not None:
            self.build(s)

    def load_model(self, path: str | Path, trust: bool = False,
                   session_id: Optional[str] = None) -> None:
        ws = self.workspace
        if ws.dataset is None:
            self.signals.message.emit("Open a dataset before loading a model.")
            return
        s = self.session(session_id)
        s.building = True
        self.signals.session_changed.emit(s.id)
        self.scheduler.refresh(s.id)
        self.lanes["model"].submit(Job(
            JobKind.LOAD_MODEL, jobs.load_model_job(path, ws.dataset, trust),
            f"loading {Path(path).name}", group=f"model:{s.id}",
            payload=ModelJob(s.id, ws.dataset_id, False, str(path))))

    def save_model(self, path: str | Path, session_id: Optional[str] = None) -> None:
        s = self.session(session_id)
        if s.handle is None:
            self.signals.message.emit("There is no model to save.")
            return
        self.lanes["model"].submit(Job(JobKind.SAVE, jobs.save_model_job(s.handle, path),
                                       f"saving {Path(path).name}"), supersede=False)

    def select_layer(self, name: str, session_id: Optional[str] = None) -> None:
        s = self.session(session_id)
        if s.layer != name:
            s.layer = name
            self.signals.session_changed.emit(s.id)
        # also for the same name: after a cancelled read the views still show the old layer
        self.scheduler.refresh(s.id)

    def set_reduction(self, how: str, layer: Optional[str] = None,
                      session_id: Optional[str] = None) -> None:
        """Read ``layer`` (the shown one by default) with reduction ``how`` ("" = the default
        for its shape); the views showing it recompute."""
        s = self.session(session_id)
        layer = layer or s.layer
        if not layer:
            return
        if how:
            from ..core.model.reduction import check_reduction

            s.reductions[layer] = check_reduction(how)
        else:
            s.reductions.pop(layer, None)
        self.signals.session_changed.emit(s.id)
        self.scheduler.refresh(s.id)

    def add_comparison(self, spec: str, params: dict | None = None,
                       train: bool = False) -> bool:
        """Compare with a second model: a preset name or a .keras/.h5 file, on the same data.
        A preset that cannot take the data is refused before anything changes (the old B, if
        any, stays); ``train``: B trains once built, with the settings A uses now."""
        from ..core.model.presets import preset_suits, refusal

        ws = self.workspace
        is_file = Path(spec).suffix.lower() in (".keras", ".h5", ".hdf5")
        if not is_file and ws.dataset is not None and not preset_suits(spec, ws.dataset):
            self.signals.message.emit(refusal(spec, ws.dataset) + " Nothing was changed.")
            return False
        old = ws.sessions.pop("B", None)
        if old is not None and old.handle is not None:
            self.release(old.handle)
        s = Session("B", preset="file" if is_file else spec, params=dict(params or {}))
        s.compare_new = True  # never built: a failed build removes it again
        ws.sessions["B"] = s
        self.signals.sessions_changed.emit()
        if ws.dataset is None:
            return True
        if is_file:
            self.load_model(spec, session_id="B")
        else:
            if train:
                s.train_when_ready = "with A's training settings; the sidebar's B tab " \
                    "edits and retrains it"
            self.build(s)
        return True

    def remove_comparison(self) -> None:
        s = self.workspace.sessions.pop("B", None)
        if s is None:
            return
        if s.handle is not None:
            self.release(s.handle)
        self.active = "A"
        self.signals.sessions_changed.emit()
        self.scheduler.refresh()

    # --- the controller's hooks ---------------------------------------------------------------
    def release(self, handle: ModelHandle) -> None:
        self.lanes["model"].submit(Job(JobKind.RELEASE, jobs.release_model_job(handle),
                                       "closing a model"), supersede=False)

    def build(self, s: Session, after_load: bool = False) -> None:
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
                          optimizer_of(st)))
        config = ModelConfig(**{**base.__dict__, **params})
        s.building = True
        self.signals.session_changed.emit(s.id)
        self.scheduler.refresh(s.id)
        self.lanes["model"].submit(Job(
            JobKind.BUILD, jobs.build_model_job(config, ws.dataset, st.seed, _model_label(s)),
            "building the model", group=f"model:{s.id}",
            payload=ModelJob(s.id, ws.dataset_id, after_load)))

    def choose_preset_for(self, dataset: Any) -> None:
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
            self.signals.message.emit(f"{what} cannot take {dataset.name}; switched to "
                                      f"{s.preset}.")
        self.settings.preset, self.settings.model_params = s.preset, dict(s.params)

    def models_for_new_data(self) -> None:
        from ..core.model.presets import preset_suits

        ws = self.workspace
        b = ws.sessions.get("B")
        if b is not None and (b.preset == "file" or not preset_suits(b.preset, ws.dataset)):
            self.remove_comparison()
            self.signals.message.emit("The comparison model cannot take the new data; it was "
                                      "closed.")
        for s in list(ws.sessions.values()):
            self.build(s, after_load=True)

    def model_ready(self, job: Job, ready: jobs.ModelReady) -> None:
        p: ModelJob = job.payload
        s = self.workspace.session_for(p.session_id, p.dataset_id)
        if s is None:
            self.release(ready.handle)  # made for data that is no longer open
            return
        self._set_model(s, ready, p.path)
        if ready.note:  # e.g. the images padded to the model's input: said, not silent
            self.signals.message.emit(ready.note)

    def job_failed(self, job: Job, failure: JobFailure) -> None:
        p: ModelJob = job.payload
        s = self.workspace.session_for(p.session_id, p.dataset_id)
        if s is not None:
            s.building = False
        if job.kind == JobKind.LOAD_MODEL and failure.category == "unsafe-model":
            self.signals.unsafe_model.emit(p.session_id, p.path, failure.message)
        elif s is not None and s.id == "B" and s.compare_new:
            # a comparison that never got its model (too big, shapes): refused, so nothing
            # changed: no "B" tab showing the raw input
            self.remove_comparison()
            self.signals.failed.emit(job.description, replace(failure, message=(
                failure.message + " The comparison was not opened.")))
            return
        elif p.after_load and s is not None:
            self._set_model(s, None)  # the old model cannot take the new data
            self.signals.failed.emit(job.description, replace(failure, kept=False, message=(
                failure.message + " The views show the data itself until you choose a model "
                "that fits.")))
        else:
            self.signals.failed.emit(job.description, failure)
        if s is not None:
            self.signals.session_changed.emit(s.id)
            self.scheduler.refresh(s.id)

    def job_cancelled(self, job: Job) -> None:
        p: ModelJob = job.payload
        s = self.workspace.session_for(p.session_id, p.dataset_id)
        if s is not None and not any(j.kind in (JobKind.BUILD, JobKind.LOAD_MODEL)
                                     and j.payload.session_id == s.id and not j.cancelled
                                     for j in self.lanes["model"].pending_jobs()):
            s.building = False
            self.signals.session_changed.emit(s.id)
            self.scheduler.refresh(s.id)
        self.signals.message.emit(f"Cancelled {job.description}.")

    def _set_model(self, s: Session, ready: Optional[jobs.ModelReady], path: str = "") -> None:
        if s.handle is not None:
            self.release(s.handle)
        s.handle = ready.handle if ready is not None else None
        s.layers = ready.layers if ready is not None else ()
        s.version += 1
        s.trained_epochs, s.file, s.building = 0, path, False
        s.last_run_id, s.partial_epoch = "", False  # fresh weights: nothing to continue
        s.compare_new = s.compare_new and ready is None
        s.held_out = None  # no run on these weights yet: no held-out rows known
        s.curves = TrainingCurves()
        if path:
            s.preset = "file"
        # a built model is compiled with the sidebar's optimizer (jobs.build_model_job)
        s.compiled = optimizer_of(self.settings)
        from ..core.model.layers import default_layer

        names = [l.name for l in self.layers_of(s.id)]
        if s.layer not in names:
            s.layer = default_layer(self.layers_of(s.id))
        hook = self.restore_hooks.pop(s.id, None)
        if hook is not None:
            hook(s)
        self.scheduler.drop_stale()
        self.signals.session_changed.emit(s.id)
        self.scheduler.refresh(s.id)


def _model_label(s: Session) -> str:
    hidden = s.params.get("hidden")
    return f"{s.preset} ({'-'.join(str(h) for h in hidden)})" if hidden else s.preset


__all__ = ["ModelService", "ModelJob"]
