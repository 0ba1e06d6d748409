"""Applying an opened session to the workspace, once its data has loaded (GUI thread).

The sample set is made again from the data (the same rows: ``make_sample_set`` is seeded; its
key is checked against the saved one), the sessions come back with their choices, trained
epochs and curves, each model is loaded from the ``.keras`` inside the session, and the stored
results are put into the result store under the restored workspace's tags before the views are
served, so the scheduler finds every one of them: nothing is trained, extracted or mapped again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from ..core.data.samples import make_sample_set
from ..core.data.types import Dataset
from .session_io import RestorePlan, tag_maker
from .state import ModelHandle, Session

if TYPE_CHECKING:
    from .controller import Controller


def start_restore(c: "Controller", plan: RestorePlan,
                  on_applied: Optional[Callable[[RestorePlan], Any]] = None) -> None:
    """Load the session's data (a stored copy or the file it names); ``apply_restore`` follows
    when it has loaded (``Controller._loaded``). A LOAD job, so a failure is the usual dialog
    and nothing has changed yet."""
    from ..workers.lane import Job, JobKind
    from . import jobs

    if c.training_sessions():
        c.cancel_training()
        c.message.emit("Training stopped: a session is being opened.")
    # a session still opening is cancelled: its data load is superseded below (a LOAD job), and
    # the hooks waiting for its models go, so a model of it arriving late restores nothing
    if c._restoring is not None:
        c._restoring[0].cancel()
        c._restoring = None
    c.models.restore_hooks.clear()
    job = Job(JobKind.LOAD, jobs.load_dataset_job(plan.data_source, plan.load_options),
              f"opening {plan.path.name}", payload=(plan.data_source, plan.load_options))
    c._restoring = (job, plan, on_applied)
    if plan.folder is not None:
        c._session_folders.append(plan.folder)
    c.lanes["data"].submit(job)


def apply_restore(c: "Controller", plan: RestorePlan, dataset: Dataset,
                  on_applied: Optional[Callable[[RestorePlan], Any]] = None) -> None:
    ws, st = c.workspace, plan.state
    for s in ws.sessions.values():
        if s.handle is not None:
            c.models.release(s.handle)
    c.settings.update(plan.settings)
    c.settings.source = plan.data_source
    if dataset.kind == "image":  # the inputs the stored results were computed on
        dataset.preprocess = st.preprocess
    ws.new_dataset(dataset, plan.data_source)
    ws.n_samples, ws.split, ws.seed = st.n_samples, st.split, st.seed
    ws.method, ws.pca_components = st.method, st.pca_components
    c._method_before_words = None
    samples = make_sample_set(dataset, st.n_samples, st.split, st.seed)
    if st.samples_key and samples.key != st.samples_key:
        c.message.emit(f"The data of {plan.path.name} differs from when it was saved: the "
                       "views are computed again.")
    ws.sessions = {m.id: st.session_of(m) for m in st.models}
    to_load = {m.id: m for m in st.models if m.has_model and m.id in plan.models}
    for sid in to_load:
        ws.sessions[sid].building = True
    c.models.active = st.active if st.active in ws.sessions else "A"
    c.scheduler.drop_stale()
    c.scheduler.forget_shown()
    ws.samples = samples
    tag_for = tag_maker(ws, st.samples_key or samples.key)
    # results of sessions whose model is loaded wait for it: their tags name its version
    waiting = {sid: [e for e in plan.entries if e.get("session") == sid] for sid in to_load}
    now = [e for e in plan.entries if e.get("session") not in to_load]
    _put(c, plan, now, samples, tag_for)

    c.dataset_changed.emit(dataset)
    c.sessions_changed.emit()
    ws.selection = st.selection_of()
    c.selection_changed.emit(ws.selection)
    c.samples_changed.emit(samples)
    for sid, m in to_load.items():
        def restored(s: Session, m: Any = m, entries: list = waiting[sid]) -> None:
            saved = st.session_of(m)
            s.preset, s.params, s.file, s.layer = saved.preset, saved.params, saved.file, \
                saved.layer
            s.trained_epochs, s.curves = saved.trained_epochs, saved.curves
            # training goes on where it was (Continue training counts on from there)
            s.last_run_id, s.partial_epoch, s.held_out = saved.last_run_id, \
                saved.partial_epoch, saved.held_out
            s.film_offset = saved.film_offset
            s.reductions = dict(saved.reductions)  # each layer read as it was chosen
            s.compiled = ()  # compiled again with the sidebar's optimizer when trained on
            if s.handle is not None and m.label:  # "dense (256-144)", not "model-A.keras"
                s.handle = ModelHandle(s.handle.id, m.label)
            _put(c, plan, entries, samples, tag_for)
            _maybe_done(c, plan, on_applied)

        c.models.restore_hooks[sid] = restored
        c.models.load_model(plan.models[sid], plan.trust, session_id=sid)
    c.history.adopt(plan.history_rows)
    for note in plan.notes:
        c.message.emit(note)
    if not to_load:
        _maybe_done(c, plan, on_applied, force=True)
    c.scheduler.refresh()


def _put(c: "Controller", plan: RestorePlan, entries: list, samples: Any, tag_for: Any) -> None:
    from .products_film import adopt_films
    from .session_state import decode_result

    pairs = [decode_result(e, plan.arrays, samples, tag_for) for e in entries]
    # a stored film's recording is kept again for its session; its maps find it
    for key, value in adopt_films(pairs, c.workspace, samples):
        c.scheduler.store.put(key, value)


def _maybe_done(c: "Controller", plan: RestorePlan, on_applied: Any,
                force: bool = False) -> None:
    """After the last model is in place: the window restores options and layout."""
    loading = [sid for sid, s in c.workspace.sessions.items() if s.building]
    if not force and loading:
        return
    if on_applied is not None:
        on_applied(plan)
    c.session_restored.emit(str(plan.path))
