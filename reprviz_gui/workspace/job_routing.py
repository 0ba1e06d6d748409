"""Routing of the lanes' job signals to the service that made each job, and the activity line.

Every lane reports its jobs (started, progress, finished, failed, cancelled) through queued Qt
signals; this object receives them in the GUI thread (it is a QObject living there, so its slots
are queued, never run on a lane's thread), hands each finished job to its handler by ``JobKind``
and keeps the one activity line the window shows: what is still running, never a finished job's
last progress.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from PySide6.QtCore import QObject, Slot

from ..core.progress import Progress
from ..workers.lane import Job, JobFailure, JobKind

if TYPE_CHECKING:  # pragma: no cover
    from .controller import Controller

Handler = Callable[[Job, Any], None]


class JobRouter(QObject):
    def __init__(self, ctl: "Controller", finished: dict[JobKind, Handler]) -> None:
        super().__init__(ctl)
        self._ctl = ctl
        self._finished = finished
        self._activity: dict[int, tuple[str, float, Optional[float]]] = {}  # per running job
        for lane in ctl.lanes.values():
            lane.job_started.connect(self.started)
            lane.job_progress.connect(self.progress)
            lane.job_finished.connect(self.finished)
            lane.job_failed.connect(self.failed)
            lane.job_cancelled.connect(self.cancelled)

    @Slot(object)
    def started(self, job: Job) -> None:
        if job.kind != JobKind.WARMUP:
            self._activity[job.request_id] = (_capitalise(job.description) + "…", -1.0, None)
            self._ctl.activity.emit(*self._activity[job.request_id])

    @Slot(object, object)
    def progress(self, job: Job, p: Progress) -> None:
        ctl = self._ctl
        if job.kind == JobKind.PRODUCT and p.details.get("kind") == "layout":
            ctl.scheduler.partial(job, p.details.get("result"))  # a map while it forms
            return
        if job.kind == JobKind.WARMUP:
            return
        if job.kind == JobKind.TRAIN and p.stage == "train" and p.details.get("kind") == "epoch":
            ctl.training.epoch(job, p.details)
        self._activity[job.request_id] = (p.message or _capitalise(job.description) + "…",
                                          p.fraction, p.eta_seconds)
        ctl.activity.emit(*self._activity[job.request_id])

    @Slot(object, object)
    def finished(self, job: Job, result: Any) -> None:
        handler = self._finished.get(job.kind)
        if handler is not None:
            handler(job, result)
        self._ended(job)

    @Slot(object, object)
    def failed(self, job: Job, failure: JobFailure) -> None:
        ctl = self._ctl
        if job.kind == JobKind.PRODUCT:
            if ctl.scheduler.ended_without_result(job, failure):
                ctl.failed.emit(job.description, failure)
        elif job.kind == JobKind.WARMUP:
            ctl.message.emit(f"Background start-up failed: {failure.message}")
        elif job.kind == JobKind.LOAD and failure.category == "unsafe":
            ctl.unsafe_data.emit(job.payload[0], failure.message)
        elif job.kind == JobKind.TRAIN:
            ctl.training.failed(job, failure)
        elif job.kind in (JobKind.BUILD, JobKind.LOAD_MODEL):
            ctl.forget_train_request(job)
            ctl.models.job_failed(job, failure)
        elif job.kind == JobKind.EXPORT:
            pass  # the export's own runner (window_export.py) says what went wrong
        else:
            ctl.failed.emit(job.description or job.kind.value, failure)
        self._ended(job)

    @Slot(object)
    def cancelled(self, job: Job) -> None:
        ctl = self._ctl
        if job.kind == JobKind.PRODUCT:
            if ctl.scheduler.ended_without_result(job, None):
                ctl.message.emit(f"Cancelled {job.description}.")
        elif job.kind == JobKind.TRAIN:
            ctl.training.cancelled(job)
        elif job.kind in (JobKind.BUILD, JobKind.LOAD_MODEL):
            ctl.models.job_cancelled(job)
            s = ctl.workspace.sessions.get(job.payload.session_id)
            if s is not None and not s.building:
                ctl.forget_train_request(job)
        elif job.kind == JobKind.LOAD:
            ctl.message.emit(f"Cancelled {job.description}.")
        self._ended(job)

    def _ended(self, job: Job) -> None:
        """Show what is still running (never a finished job's last progress), or idle."""
        ctl = self._ctl
        self._activity.pop(job.request_id, None)
        running = [j for lane in ctl.lanes.values() for j in lane.pending_jobs()
                   if j.kind != JobKind.WARMUP]
        if not running:
            self._activity.clear()
            ctl.idle.emit()
            return
        for j in running:
            if j.request_id in self._activity:
                ctl.activity.emit(*self._activity[j.request_id])
                return
        ctl.activity.emit(_capitalise(running[0].description) + "…", -1.0, None)


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
