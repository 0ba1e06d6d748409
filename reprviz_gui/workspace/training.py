"""The training service: trains a session's model on the model lane, pushes its curves epoch by
epoch, and when a run ends applies the new weights and hands the run to the history service.

A run carries its session, dataset and model handle (``TrainJob``); its weights are applied only
when all three are still the ones shown.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Mapping, Optional

from ..workers.lane import Job, JobFailure, JobKind, Lane
from . import history_rows, jobs
from .results import ResultKey
from .scheduler import ProductScheduler
from .settings import optimizer_of
from .signals import WorkspaceSignals
from .state import ModelHandle, ResultTag, Session, TrainingCurves, Workspace

if TYPE_CHECKING:
    from .history_rows import HistoryService
    from .settings import Settings


@dataclass(frozen=True)
class TrainJob:
    session_id: str
    dataset_id: int
    handle: ModelHandle
    stop: jobs.StopLevels
    tag_after: ResultTag
    run: Any = None  # history_rows.RunStart: what the run history records of this run
    film: Optional[jobs.FilmRequest] = None  # what the run films, if it does
    before: TrainingCurves = TrainingCurves()  # the curves of the runs these weights had


class TrainingService:
    def __init__(self, workspace: Workspace, settings: "Settings", lanes: Mapping[str, Lane],
                 scheduler: ProductScheduler, signals: WorkspaceSignals,
                 history: "HistoryService") -> None:
        self.workspace, self.settings, self.lanes = workspace, settings, lanes
        self.scheduler, self.signals, self.history = scheduler, signals, history

    def training_sessions(self) -> list[str]:
        return [sid for sid, s in self.workspace.sessions.items() if s.training]

    def train(self, s: Session, why: str = "") -> None:
        """Train session ``s``'s model with the settings as they are now: it *continues* from
        the weights it has (a trained model keeps training; the curves and the epoch count go
        on). While its model is being built (typed widths, Train from scratch, a comparison)
        the request waits and training starts when the model is ready. ``why``: said in the
        status bar when it starts (e.g. a compared model trained with A's settings)."""
        ws, msg = self.workspace, self.signals.message
        if s.training:
            return
        if ws.dataset is None:
            msg.emit("Open a dataset first.")
            return
        if s.building:
            s.train_when_ready = why or "asked"
            msg.emit("The model is being prepared; training starts as soon as it is ready.")
            self.signals.session_changed.emit(s.id)
            return
        if s.handle is None:
            msg.emit("Choose a model preset (or load a model) to train.")
            return
        if len(ws.dataset.y_train) == 0:
            msg.emit("This dataset has no training split: there is nothing to train.")
            return
        from ..core.model.training import TrainConfig

        st = self.settings
        cfg = TrainConfig(epochs=st.epochs, batch_size=st.batch_size,
                          validation_split=st.validation_split, seed=st.seed)
        if s.compiled != optimizer_of(st):
            s.compiled = optimizer_of(st)
            self.lanes["model"].submit(Job(JobKind.COMPILE, jobs.compile_job(
                s.handle, *optimizer_of(st)), "setting the optimizer"), supersede=False)
        film = self._film_request(s, cfg.epochs) if st.record_film else None
        stop = jobs.StopLevels()
        tag_after = ResultTag(ws.dataset_id, "", s.id, s.version + 1)
        before = s.curves if s.trained_epochs or s.partial_epoch else TrainingCurves()
        s.training = True
        s.curves = TrainingCurves(dict(before.history), s.trained_epochs + st.epochs,
                                  running=True, continued_at=_continued_at(before, s))
        self.signals.training_changed.emit(s.id, True)
        self.signals.session_changed.emit(s.id)
        self.scheduler.refresh(s.id)
        run = history_rows.run_start(ws, st, s, cfg)
        job = self.lanes["model"].submit(Job(
            JobKind.TRAIN, jobs.train_job(s.handle, ws.dataset, cfg, stop, tag_after, film),
            "training" + (f" {s.label}" if len(ws.sessions) > 1 else ""), cancel_event=stop,
            payload=TrainJob(s.id, ws.dataset_id, s.handle, stop, tag_after, run, film,
                             before),
            result_on_cancel=True), supersede=False)
        s.train_request = job.request_id
        msg.emit(start_text(s, st, why))

    def _film_request(self, s: Session, epochs: int) -> Optional[jobs.FilmRequest]:
        """What a film of this run records, or None with a message when it cannot (the run
        then trains without one)."""
        from ..core.errors import ResourceLimitError

        ws = self.workspace
        if ws.samples is None or not s.layer:
            self.signals.message.emit("No film: pick a layer and wait for the samples first.")
            return None
        try:
            plan = film_plan(ws, s, epochs)
        except ResourceLimitError as err:
            self.signals.message.emit(f"No film recorded: {err}")
            return None
        if plan.note:
            self.signals.message.emit(plan.note)
        return jobs.FilmRequest(s.layer, ws.samples, plan)

    def cancel(self) -> None:
        for job in self.lanes["model"].pending_jobs():
            if job.kind == JobKind.TRAIN:
                job.cancel()

    # --- the controller's hooks (lane results, GUI thread) -------------------------------------
    def epoch(self, job: Job, d: dict) -> None:
        """One epoch ended: its numbers go onto the session's curves, drawn at once."""
        p: TrainJob = job.payload
        s = self.workspace.session_for(p.session_id, p.dataset_id)
        if s is None or s.handle != p.handle:
            return
        hist = {k: list(v) for k, v in s.curves.history.items()}
        n = len(hist.get("loss", ()))  # epochs on the axis before this one
        for key in ("loss", "accuracy", "val_loss", "val_accuracy", "penalty",
                    "val_cross_entropy"):
            if d.get(key) is not None:
                seq = hist.setdefault(key, [])
                seq += [float("nan")] * (n - len(seq))  # a series earlier runs lacked
                seq.append(float(d[key]))
        s.curves = replace(s.curves, history={k: tuple(v) for k, v in hist.items()})
        self.signals.product_ready.emit("curves", s.id, s.curves)

    def trained(self, job: Job, outcome: jobs.TrainOutcome) -> None:
        p: TrainJob = job.payload
        s = self.workspace.session_for(p.session_id, p.dataset_id)
        applies = s is not None and s.handle == p.handle
        curves = None
        if applies:
            curves = TrainingCurves(join_history(p.before.history, outcome.history),
                                    s.curves.epochs_planned, False, stopped=outcome.stopped,
                                    continued_at=s.curves.continued_at)
        ended = self._ended(job, curves)
        self.history.record_run(p.run, outcome)  # also a run whose data was closed
        if not applies or ended is None:
            return  # the data or the model changed meanwhile: nothing here belongs to it
        s = ended
        s.version = p.tag_after.model_version  # the weights changed (also when stopped)
        s.trained_epochs += outcome.epochs_done
        if outcome.film is not None and len(outcome.film.epochs):
            from dataclasses import replace

            from .products_film import keep_film

            # a film of a continued run counts its epochs on from the earlier runs, as the
            # curves do: its first frame (before this run) is the epoch the run started from
            s.film_offset = len(p.before.history.get("loss", ()))
            keep_film(s.id, p.dataset_id, p.handle, replace(
                outcome.film, epochs=outcome.film.epochs + s.film_offset), p.film.samples)
        s.partial_epoch = outcome.partial_batches > 0
        if outcome.epochs_done or outcome.partial_batches:
            s.held_out = (float(p.run.train_config.validation_split),
                          int(p.run.train_config.seed)) if p.run is not None else None
        if p.run is not None and (outcome.epochs_done or outcome.partial_batches):
            s.last_run_id = p.run.run_id  # the next run on these weights continues this one
        if outcome.evaluation is not None:
            self.scheduler.store.put(ResultKey.make("evaluation", p.tag_after, {}),
                                     outcome.evaluation)
        self.scheduler.drop_stale()
        self.signals.session_changed.emit(s.id)
        self.scheduler.refresh(s.id)
        acc = outcome.evaluation.accuracy.get("test") if outcome.evaluation else None
        # named: with two models the last message would otherwise read as A's accuracy
        self.signals.message.emit(end_text(outcome, s.trained_epochs) + (
            f"; test accuracy of {s.id} ({s.label}) {acc:.1%}" if acc is not None else "") + ".")

    def failed(self, job: Job, failure: JobFailure) -> None:
        self._ended(job)
        self.signals.failed.emit(job.description, failure)

    def cancelled(self, job: Job) -> None:
        self._ended(job)  # cancelled before it started
        self.signals.message.emit(f"Cancelled {job.description}.")

    def _ended(self, job: Job, curves: Optional[TrainingCurves] = None) -> Optional[Session]:
        """Reset the session's training state if this job was its run; returns the session."""
        p: TrainJob = job.payload
        s = self.workspace.sessions.get(p.session_id)
        if s is None or s.train_request != job.request_id:
            return None
        s.training, s.train_request = False, 0
        s.curves = curves or replace(s.curves, running=False, stopped=True)
        self.signals.training_changed.emit(s.id, False)
        if curves is None:
            self.signals.session_changed.emit(s.id)
            self.scheduler.refresh(s.id)
        return s


def _continued_at(before: TrainingCurves, s: Session) -> tuple[int, ...]:
    """The epochs after which a run continued these weights (drawn as marks on the curves)."""
    return before.continued_at + (s.trained_epochs,) if s.trained_epochs else ()


def join_history(before: dict, after: dict) -> dict:
    """The curves of continued runs, one after the other on one epoch axis; a series one run
    lacks (no validation split) is NaN there, so every series stays aligned with its epoch."""
    n_before = max((len(v) for v in before.values()), default=0)
    n_after = max((len(v) for v in after.values()), default=0)
    out = {}
    for key in set(before) | set(after):
        a = tuple(before.get(key, ())) or (float("nan"),) * n_before
        b = tuple(after.get(key, ())) or (float("nan"),) * n_after
        out[key] = tuple(a) + tuple(b)
    return out


def start_text(s: Session, st: "Settings", why: str = "") -> str:
    """What the status bar says when a run starts: from scratch or continuing, and with which
    settings (the same words for A, B and a sweep)."""
    opt = f"{st.optimizer} lr {st.learning_rate:g}"
    if st.optimizer in ("sgd", "rmsprop") and st.momentum:
        opt += f" momentum {st.momentum:g}"
    settings = (f"{st.epochs} epoch(s), batch {st.batch_size}, {opt}, validation "
                f"{st.validation_split:g}, seed {st.seed}")
    who = f"{s.id} ({s.label})"
    if s.trained_epochs or s.partial_epoch:
        done = f"{s.trained_epochs} epoch(s)" + (" and part of one" if s.partial_epoch else "")
        head = f"Continuing training of {who} after {done}: {settings} more"
    elif s.file:
        head = f"Continuing training of {who} from the file's weights: {settings}"
    else:
        head = f"Training {who} from fresh weights: {settings}"
    return head + (f" ({why})" if why and why != "asked" else "") + "."


def end_text(outcome: jobs.TrainOutcome, total: int) -> str:
    """How a run ended, in the words every other text uses: full epochs of this run, the total
    on these weights, and a partly trained epoch named as such."""
    what = "Training stopped" if outcome.stopped else "Training finished"
    text = f"{what} after {outcome.epochs_done} full epoch(s) of this run"
    if outcome.partial_batches:
        text += f" and {outcome.partial_batches} batch(es) of the next"
    if total != outcome.epochs_done:
        text += f" ({total} in all)"
    return text + f" in {outcome.seconds:.0f} s"


def film_plan(ws: Workspace, s: Session, epochs: int) -> Any:
    """The film a run of ``epochs`` would record of ``s``'s layer for the sample set
    (``FilmPlan``; raises ResourceLimitError when not even two frames fit)."""
    import math

    from ..core.model.extraction import is_raw, raw_base
    from ..core.model.film import plan_film

    name = raw_base(s.layer) if s.layer and is_raw(s.layer) else s.layer
    info = next((i for i in s.layers if i.name == name), None)
    units = math.prod(d for d in info.output_shape if d) if info is not None else 1
    n = ws.samples.n if ws.samples is not None else ws.n_samples
    classes = ws.dataset.n_classes if ws.dataset is not None else 2
    return plan_film(epochs, n, units, classes)


__all__ = ["TrainingService", "TrainJob", "film_plan", "join_history", "start_text", "end_text"]
