"""The controller: a thin composition of services that turns user intents into jobs and job
results into workspace changes and the signals the window's views draw.

It owns the ``Workspace`` (dataset, sample set, selection, one ``Session`` per model), the
background lanes and these services, each with a narrow interface:

- ``scheduler`` (``ProductScheduler``, Qt-free): serves visible views from the store or a job;
- ``models`` (``ModelService``): each session's model (presets, files, layers, comparison);
- ``training`` (``TrainingService``): training runs, their curves and new weights;
- ``history`` (``HistoryService``): the run history file, written off the GUI thread.

The controller itself is the ``WorkspaceSignals`` the services report through and opens data;
``jobs`` (``JobRouter``, job_routing.py) routes every lane's job signals (typed by ``JobKind``)
to the service that made the job. Results are applied
only while the workspace still matches what the job was made for (dataset id, model handle), so
opening another dataset while a model trains can never mix the two.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from PySide6.QtCore import QObject

from ..core.data.types import Dataset, LoadOptions
from ..core.pipeline import INPUT_LAYER
from ..workers.lane import Job, JobKind, Lane
from . import catalog, jobs
from .history_rows import HistoryService
from .job_routing import JobRouter
from .models import ModelService
from .products import LANES, REGISTRY, method_label
from .scheduler import ProductScheduler, Slot as ProductSlot
from .settings import Settings
from .signals import WorkspaceSignals
from .state import NO_MODEL, Selection, Session, Workspace
from .training import TrainingService


MDS_WORDS_MAX = 2_000  # word tables up to this many shown words open as an MDS map


class Controller(WorkspaceSignals):
    def __init__(self, settings: Settings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        catalog.load()  # every product, registered in one place
        self.settings = settings or Settings()
        s = self.settings
        self.workspace = Workspace(source=s.source, n_samples=s.n_samples, split=s.split,
                                   seed=s.seed, method=s.method,
                                   pca_components=s.pca_components)
        self._method_before_words: Optional[str] = None
        self.data_options: Optional[LoadOptions] = None  # how the open dataset was read
        self._restoring: Optional[tuple] = None  # (LOAD job, RestorePlan, on_applied)
        self._session_folders: list[Path] = []  # extracted session files, removed at shutdown
        # the products' lanes, and one for File → Export… (files written off the GUI thread)
        self.lanes = {name: Lane(name, self) for name in LANES + ("export",)}
        self.scheduler = ProductScheduler(self.workspace,
                                          lambda lane, job: self.lanes[lane].submit(job),
                                          pushed=_pushed_value)
        # psygnal callbacks run where the scheduler emits: in the GUI thread
        self.scheduler.ready.connect(lambda k, sid, r: self.product_ready.emit(k, sid, r))
        self.scheduler.busy.connect(lambda k, sid, m: self.product_busy.emit(k, sid, m))
        self.scheduler.unavailable.connect(
            lambda k, sid, why: self.product_unavailable.emit(k, sid, why))
        self.models = ModelService(self.workspace, self.settings, self.lanes, self.scheduler,
                                   self)
        self.history = HistoryService(self.workspace, self.scheduler, self)
        self.training = TrainingService(self.workspace, self.settings, self.lanes,
                                        self.scheduler, self, self.history)
        self.jobs = JobRouter(self, {
            JobKind.LOAD: self._loaded,
            JobKind.SAMPLES: self._samples_made,
            JobKind.BUILD: self._model_ready,
            JobKind.LOAD_MODEL: self._model_ready,
            JobKind.TRAIN: self.training.trained,
            JobKind.SAVE: self._saved,
            JobKind.PRODUCT: self.scheduler.finished,
        })

    # --- convenience for the window and tests ------------------------------------------------
    @property
    def dataset(self) -> Optional[Dataset]:
        return self.workspace.dataset

    @property
    def samples(self):
        return self.workspace.samples

    def result(self, kind: str, session_id: str = "A") -> Any:
        """The stored result a view of this kind shows now for a session, or None."""
        key = self.scheduler.shown.get((kind, session_id)) or \
            self.scheduler.current.get((kind, session_id))
        return None if key is None else self.scheduler.store.get(key)

    def set_wanted(self, slots: set[ProductSlot]) -> None:
        """The (product kind, session id) pairs visible views draw; computed only for those."""
        self.scheduler.set_wanted(slots)

    @property
    def active(self) -> str:
        """The session the sidebar edits and trains."""
        return self.models.active

    @active.setter
    def active(self, session_id: str) -> None:
        self.models.active = session_id

    # --- model and training intents (the services do the work) ---------------------------------
    def session(self, session_id: Optional[str] = None) -> Session:
        return self.models.session(session_id)

    def layers_of(self, session_id: Optional[str] = None) -> tuple:
        return self.models.layers_of(session_id)

    def training_sessions(self) -> list[str]:
        return self.training.training_sessions()

    def set_active(self, session_id: str) -> None:
        self.models.set_active(session_id)

    def set_model_preset(self, preset: str, params: dict | None = None,
                         session_id: Optional[str] = None) -> None:
        self.models.set_model_preset(preset, params, session_id)

    def load_model(self, path: str | Path, trust: bool = False,
                   session_id: Optional[str] = None) -> None:
        self.models.load_model(path, trust, session_id)

    def save_model(self, path: str | Path, session_id: Optional[str] = None) -> None:
        self.models.save_model(path, session_id)

    def select_layer(self, name: str, session_id: Optional[str] = None) -> None:
        self.models.select_layer(name, session_id)

    def set_reduction(self, how: str, layer: Optional[str] = None,
                      session_id: Optional[str] = None) -> None:
        self.models.set_reduction(how, layer, session_id)

    def add_comparison(self, spec: str, params: dict | None = None,
                       train: bool = False) -> bool:
        """Compare with a preset or model file; ``train``: a preset's model B trains as soon as
        it is built, with the training settings A uses now (Run → Compare with). False, and
        nothing changed, when the preset cannot take the data open now."""
        return self.models.add_comparison(spec, params, train=train)

    def remove_comparison(self) -> None:
        self.models.remove_comparison()

    def train(self, session_id: Optional[str] = None) -> None:
        """Train the session's model as it is: a trained model *continues* (Run → Continue
        training); while the model is being built, training starts when it is ready."""
        self.training.train(self.models.session(session_id))

    def train_from_scratch(self, session_id: Optional[str] = None) -> None:
        """Fresh weights (the preset rebuilt with the seed), then train (Run → Train from
        scratch). A model file has no fresh weights of its own: said, nothing changes."""
        s = self.models.session(session_id)
        if s.training:
            return
        if s.file or s.preset in ("file", NO_MODEL) or self.workspace.dataset is None:
            self.message.emit("Train from scratch rebuilds a preset with fresh weights; a "
                              "model file keeps its own (use Continue training, or choose a "
                              "preset).")
            return
        self.models.build(s)
        self.training.train(s, why="from scratch")

    def cancel_training(self) -> None:
        self.training.cancel()

    # --- intents ---------------------------------------------------------------------------
    def start(self, open_data: bool = True) -> None:
        """After the window shows: start the map process and pay TF's and the default map
        method's start-up costs in the background, and open the remembered (or default)
        dataset."""
        self._warm_up_maps(self.settings.method)
        self.lanes["model"].submit(Job(JobKind.WARMUP, jobs.warm_up_tensorflow_job(),
                                       "starting TensorFlow"), supersede=False)
        if open_data:  # False: a session file opens instead (main.py SESSION)
            self.open_dataset(self.settings.source)

    def _warm_up_maps(self, method: str) -> None:
        """The map process started (it imports while the rest starts) and ``method``'s
        imports and compiled code loaded there (UMAP's from the disk cache after a machine's
        first launch), so the first map of that method does not pay them."""
        self.lanes["projection"].submit(Job(JobKind.WARMUP, jobs.warm_up_maps_job(method),
                                            f"preparing {method_label(method)}"),
                                        supersede=False)

    def open_dataset(self, source: str | Path, options: LoadOptions | None = None) -> None:
        if self.training_sessions():
            self.cancel_training()
            self.message.emit("Training stopped: another dataset is being opened.")
        options = options or LoadOptions(seed=self.settings.seed)
        self.lanes["data"].submit(Job(JobKind.LOAD, jobs.load_dataset_job(source, options),
                                      f"opening {source}", payload=(str(source), options)))

    def set_method(self, method: str) -> None:
        self.settings.method = self.workspace.method = method
        if method in jobs.WARMED_METHODS:
            self._warm_up_maps(method)
        self.scheduler.refresh(kinds=self._map_kinds())

    def set_preprocess(self, how: str) -> None:
        """How images become model input (core/data/preprocess.py): 0–1, −1–1 or a Keras
        Applications family's. Every model's results are recomputed on the new inputs."""
        from ..core.data.preprocess import check_preprocess, describe

        ds = self.workspace.dataset
        how = check_preprocess(how)
        if ds is None or ds.kind != "image" or ds.preprocess == how:
            return
        ds.preprocess = how
        for s in self.workspace.sessions.values():
            s.version += 1  # the same weights see other inputs: every result is stale
        self.scheduler.drop_stale()
        for s in self.workspace.sessions.values():
            self.session_changed.emit(s.id)
        self.scheduler.refresh()
        self.message.emit(f"Images are {describe(how)} for the model.")

    def set_pca_components(self, k: int) -> None:
        """k of the PCA → t-SNE map (the IMDB post's 20 by default)."""
        self.settings.pca_components = self.workspace.pca_components = max(1, int(k))
        self.scheduler.refresh(kinds=self._map_kinds())

    @staticmethod
    def _map_kinds() -> set[str]:
        """The map and every product made from it (the marker of *Your input*, map quality):
        a new method changes them all."""
        return {"map"} | {k for k, p in REGISTRY.items() if "map" in p.inputs}

    def set_samples(self, n: int, split: str) -> None:
        self.settings.n_samples, self.settings.split = int(n), split
        self.workspace.n_samples, self.workspace.split = int(n), split
        self._make_samples()

    def set_own_input(self, session_id: str, own_input: Any) -> None:
        """The *Your input* view's drawing, file, review or expression for this session's
        model (products_own_input): latest wins."""
        self.workspace.own_inputs[session_id] = own_input
        self.scheduler.refresh(session_id, kinds={"own_input"})

    def select(self, selection: Selection, additive: bool = False) -> None:
        ws = self.workspace
        new = ws.selection.union(selection) if additive else selection
        if new.split == ws.selection.split and new.n == ws.selection.n and \
                (new.indices == ws.selection.indices).all() and new.order == ws.selection.order:
            return
        ws.selection = new
        self.selection_changed.emit(new)
        self._refresh_selection_products()

    def clear_selection(self) -> None:
        if not self.workspace.selection.empty:
            self.workspace.selection = Selection()
            self.selection_changed.emit(self.workspace.selection)
            self._refresh_selection_products()

    def _refresh_selection_products(self) -> None:
        kinds = {k for k, p in REGISTRY.items() if p.follows_selection}
        if kinds:
            self.scheduler.refresh(kinds=kinds)

    def set_confusion_split(self, split: str) -> None:
        """The split the confusion matrix counts: "test", "train" (the rows trained on) or
        "validation" (the rows held out), as ``analyze --confusion-split``."""
        if split not in ("test", "train", "validation") or split == \
                self.workspace.confusion_split:
            return
        self.workspace.confusion_split = split
        self.scheduler.refresh(kinds={"confusion_split"})

    def select_confusion_cell(self, session_id: str, true: int, predicted: int,
                              additive: bool = False) -> None:
        """The samples of class ``true`` that this session's model predicts as ``predicted``,
        in the split the confusion matrix shows."""
        ev = None
        if self.workspace.confusion_split != "test":
            ev = self.result("confusion_split", session_id)
        ev = ev if ev is not None else self.result("evaluation", session_id)
        if ev is None:
            return
        names = ev.class_names
        source = f"{session_id}: {names[true]} → {names[predicted]}" + (
            f" ({ev.split})" if ev.split != "test" else "")
        self.select(Selection.of(ev.selection_split, ev.cell_indices(true, predicted), source),
                    additive)

    def cancel(self) -> None:
        """The status bar's Cancel (Esc): stop training, reading layers, maps and an export."""
        stopped_a_map = False
        for lane in self.lanes.values():
            for job in lane.pending_jobs():
                if job.kind in (JobKind.WARMUP, JobKind.RELEASE, JobKind.SAVE, JobKind.COMPILE):
                    continue
                stopped_a_map |= lane.name == "projection" and job.running.is_set()
                job.cancel()
        if stopped_a_map:
            self._warm_up_maps(self.workspace.method)  # stopping a map kills the process

    def shutdown(self, timeout_ms: int = 4000) -> bool:
        """Cancel everything and stop the threads; False if one is stuck in uninterruptible
        code (the caller then leaves without waiting)."""
        import time

        deadline = time.monotonic() + timeout_ms / 1000
        for lane in self.lanes.values():
            lane.cancel()
        from ..core.analysis.projection_process import close_shared_process

        close_shared_process(0.1)  # terminates a busy UMAP at once; its lane then returns
        import shutil

        for folder in self._session_folders:
            shutil.rmtree(folder, ignore_errors=True)
        ok = True
        for lane in self.lanes.values():
            left = int(max(0.0, deadline - time.monotonic()) * 1000)
            ok = lane.shutdown(left) and ok
        return ok

    # --- sessions (workspace/session_io.py, session_restore.py) -------------------------------
    def save_session(self, path: str | Path, views: dict | None = None,
                     layout: dict | None = None) -> None:
        """Write the session file (on the model lane); ``session_saved`` then says where."""
        from .session_io import save_session

        save_session(self, path, views, layout)

    def restore_session(self, plan: Any, on_applied: Any = None) -> None:
        """Open a session read by ``session_io.read_plan`` (``session_restore.py``)."""
        from .session_restore import start_restore

        start_restore(self, plan, on_applied)

    # --- helpers -----------------------------------------------------------------------------
    def _make_samples(self) -> None:
        ws = self.workspace
        if ws.dataset is None:
            return
        self.lanes["quick"].submit(Job(
            JobKind.SAMPLES, jobs.sample_set_job(ws.dataset, ws.n_samples, ws.split, ws.seed),
            "choosing samples", payload=ws.dataset_id))

    # --- finished jobs -------------------------------------------------------------------------
    def _saved(self, job: Job, path: Any) -> None:
        if isinstance(job.payload, tuple) and job.payload[0] == "session":
            self.message.emit(f"Session saved to {path}.")
            self.session_saved.emit(str(path))
        else:
            self.message.emit(f"Model saved to {path}.")

    def _model_ready(self, job: Job, ready: Any) -> None:
        """A built or loaded model is in place; a Train asked meanwhile starts now, with the
        settings as they are now (no lost click)."""
        self.models.model_ready(job, ready)
        s = self.workspace.sessions.get(job.payload.session_id)
        if s is not None and s.train_when_ready and not s.building:
            why, s.train_when_ready = s.train_when_ready, ""
            if s.has_model:
                self.training.train(s, why=why)

    def forget_train_request(self, job: Job) -> None:
        s = self.workspace.sessions.get(job.payload.session_id)
        if s is not None:
            s.train_when_ready = ""

    def _loaded(self, job: Job, dataset: Dataset) -> None:
        source, options = job.payload
        ws = self.workspace
        if self._restoring is not None and self._restoring[0] is job:
            from .session_restore import apply_restore

            _, plan, on_applied = self._restoring
            self._restoring = None
            self.data_options = options
            apply_restore(self, plan, dataset, on_applied)
            return
        self.data_options = options
        self.settings.source = source
        ws.new_dataset(dataset, source)
        self.scheduler.drop_stale()
        self.scheduler.forget_shown()
        self.models.choose_preset_for(dataset)  # before dataset_changed: the window shows the preset
        self._choose_method_for(dataset)
        self.dataset_changed.emit(dataset)
        self.selection_changed.emit(ws.selection)
        for note in dataset.notes:
            self.message.emit(note)
        self._make_samples()
        self.models.models_for_new_data()

    def _choose_method_for(self, dataset: Dataset) -> None:
        """Word tables are mapped as the practical draws them, MDS on 1 − cosine (the sidebar
        shows it and the user can change it); the previous method returns with other data."""
        ws, before = self.workspace, self._method_before_words
        if dataset.words is not None:
            if ws.method != "mds" and before is None and \
                    min(ws.n_samples, len(dataset.words)) <= MDS_WORDS_MAX:
                self._method_before_words = ws.method
                self.settings.method = ws.method = "mds"
        elif before is not None:
            if ws.method == "mds":
                self.settings.method = ws.method = before
            self._method_before_words = None

    def _samples_made(self, job: Job, samples: Any) -> None:
        ws = self.workspace
        if job.payload != ws.dataset_id:
            return  # made for a dataset no longer open
        ws.samples = samples
        self.scheduler.drop_stale()
        self.samples_changed.emit(samples)
        if samples.n < samples.requested:
            self.message.emit(f"Showing {samples.n:,} samples: the {samples.split} split has "
                              f"no more.")
        self.scheduler.refresh()


def _pushed_value(kind: str, session: Optional[Session]) -> Any:
    """Products pushed rather than computed: the training curves, live."""
    return session.curves if kind == "curves" and session is not None else None


__all__ = ["Controller", "Settings", "NO_MODEL", "INPUT_LAYER", "REGISTRY", "method_label"]
