"""Background lanes: one QThread each, running plain core functions one job at a time.

A job is any callable ``fn(on_progress, should_stop) -> result`` from ``reprviz_gui.core``. The
lane runs it on its own thread and reports back through Qt signals, which are delivered queued to
the receiving QObject in the GUI thread (connect them to methods of a GUI-thread QObject, never to
a lambda: a lambda would run on the worker thread).

Latest request wins: ``submit(job, supersede=True)`` cancels the lane's running and queued jobs
of the same ``group`` (by default its kind); they end as "cancelled", and the controller drops
any stale result by its tag anyway (napari's slicer does the same).
"""

from __future__ import annotations

import atexit
import enum
import itertools
import queue
import threading
import weakref
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot

from ..core.errors import Cancelled, ReprvizError
from ..core.progress import Progress

JobFn = Callable[[Callable[[Progress], None], Callable[[], bool]], Any]

_request_ids = itertools.count(1)
_live_lanes: "weakref.WeakSet[Lane]" = weakref.WeakSet()
# Every lane thread not yet seen finished, held strongly. Why: when a lane is garbage collected
# while its thread still runs (shutdown's wait ran out under load, or nobody shut it down), the
# running run() holds the last reference; when run() returns, PySide drops it on the thread
# itself, destroying a running QThread there: Qt aborts (qFatal, seen in gdb in the suite).
# Threads are only let go from the GUI thread once isFinished().
_lane_threads: "set[_LaneThread]" = set()


def _release_finished_threads() -> None:
    for thread in [t for t in _lane_threads if t.isFinished()]:
        _lane_threads.discard(thread)


@atexit.register
def _stop_lanes_at_exit() -> None:
    """Whatever way the process ends (a script that never closed its window, an exception),
    stop the lane threads first: Qt aborts if a running QThread is destroyed."""
    for lane in list(_live_lanes):
        lane.shutdown(2000)
    for thread in list(_lane_threads):  # lanes already collected, threads still running
        if not thread.isFinished():
            thread.jobs.put(None)
            thread.wait(2000)


def next_request_id() -> int:
    """Request ids are unique across lanes, so a result can never be mistaken for another's."""
    return next(_request_ids)


class JobKind(enum.Enum):
    """What a job does; the controller dispatches finished jobs on this, never on strings."""

    LOAD = "load"  # open a dataset
    SAMPLES = "samples"  # choose the sample set
    BUILD = "build"  # build a preset
    LOAD_MODEL = "load model"
    SAVE = "save"
    COMPILE = "compile"
    TRAIN = "train"
    RELEASE = "release"  # forget a model on the model lane
    PRODUCT = "product"  # a result a view draws (products.py)
    WARMUP = "warmup"  # start-up costs paid in the background
    EXPORT = "export"  # File → Export… (workspace/export_job.py; window_export.py reports it)


@dataclass
class Job:
    kind: JobKind
    fn: JobFn
    description: str = ""
    group: str = ""  # jobs of one group supersede each other; "" = the kind
    payload: Any = None  # what the controller needs to apply the result (typed per kind)
    request_id: int = field(default_factory=next_request_id)
    cancel_event: Any = field(default_factory=threading.Event)  # .set() / .is_set()
    # False: a newer request of the same kind lets this one finish once it has started (its
    # result still fills the cache). For work whose interruption is costly, e.g. a UMAP map:
    # cancelling it kills the warm projection process, and the next one recompiles (~9 s).
    interrupt_on_supersede: bool = True
    # True: a job that returns normally after a cancel still delivers its result (training
    # stops within a batch and returns what it has; that result must be applied and shown)
    result_on_cancel: bool = False
    running: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    @property
    def supersede_group(self) -> str:
        return self.group or self.kind.value


@dataclass(frozen=True)
class JobFailure:
    """What the error dialog shows: a one-line message and, for bugs, the traceback."""

    message: str
    details: str
    category: str
    user_error: bool  # True for ReprvizError (the user can fix it), False for a bug
    kept: bool = True  # earlier results are still shown (the usual case)


class _LaneThread(QThread):
    """The lane's thread: one long Python loop over a job queue.

    Why not a QObject worker with queued slots: shiboken gives every queued slot call into a
    thread a fresh Python thread state and deletes it when the slot returns, while TensorFlow's
    pybind11 caches the thread state per OS thread. The second TF job on the same thread then
    took the GIL with a freed thread state and segfaulted (seen in gdb: take_gil from
    pybind11::gil_scoped_acquire in PyGraph::version_def). One ``run()`` call for the thread's
    whole life keeps one thread state.
    """

    started_job = Signal(object)  # Job
    progress = Signal(object, object)  # Job, Progress
    finished_job = Signal(object, object)  # Job, result
    failed = Signal(object, object)  # Job, JobFailure
    cancelled = Signal(object)  # Job

    # Per-batch progress can arrive thousands of times a second; the GUI needs ~20 a second.
    MIN_PROGRESS_INTERVAL_S = 0.05

    def __init__(self) -> None:
        super().__init__()
        self.jobs: "queue.Queue[Job | None]" = queue.Queue()

    def run(self) -> None:  # noqa: D102 - the thread's body
        while True:
            job = self.jobs.get()
            if job is None:
                return
            try:
                self._run_one(job)
            except BaseException as exc:  # noqa: BLE001 - the lane must outlive any one job
                # reporting itself failed; say so rather than let the thread die and every
                # later job on this lane hang
                self.failed.emit(job, JobFailure(f"Internal error while reporting a job: "
                                                 f"{type(exc).__name__}: {exc}",
                                                 traceback.format_exc(), "bug", False))
            # not held while waiting for the next one: a finished job's closure (an export's
            # snapshot of every result) would live on until the lane's next job
            job = None

    def _run_one(self, job: Job) -> None:
        if job.cancelled:
            self.cancelled.emit(job)
            return
        job.running.set()
        self.started_job.emit(job)
        last_emit = [0.0]

        def on_progress(p: Progress) -> None:
            now = time.monotonic()
            # epoch ends, completions and a forming map's layouts always get through; batches
            # are throttled
            important = p.fraction >= 1.0 or p.details.get("kind") in ("epoch", "layout")
            if important or now - last_emit[0] >= self.MIN_PROGRESS_INTERVAL_S:
                last_emit[0] = now
                self.progress.emit(job, p)

        try:
            result = job.fn(on_progress, job.cancel_event.is_set)
        except Cancelled:
            self.cancelled.emit(job)
        except ReprvizError as exc:
            self.failed.emit(job, JobFailure(str(exc), exc.hint, exc.category, True))
        except MemoryError:
            self.failed.emit(job, JobFailure(
                "Out of memory: choose fewer samples or a smaller layer.",
                traceback.format_exc(), "memory", True))
        except Exception as exc:  # a bug: keep the app alive and show the details
            self.failed.emit(job, JobFailure(
                f"Unexpected error while {job.description or job.kind.value}: "
                f"{type(exc).__name__}: {exc}", traceback.format_exc(), "bug", False))
        else:
            if job.cancelled and not job.result_on_cancel:
                self.cancelled.emit(job)
            else:
                self.finished_job.emit(job, result)


class Lane(QObject):
    """A named background thread that runs jobs in order. Lives in the GUI thread."""

    job_started = Signal(object)
    job_progress = Signal(object, object)
    job_finished = Signal(object, object)
    job_failed = Signal(object, object)
    job_cancelled = Signal(object)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._pending: list[Job] = []  # submitted, not yet ended (running one included)
        self._thread = _LaneThread()
        self._thread.setObjectName(f"reprviz-{name}")
        # Relay through methods of this GUI-thread object so receivers run in the GUI thread.
        self._thread.started_job.connect(self._on_started)
        self._thread.progress.connect(self._on_progress)
        self._thread.finished_job.connect(self._on_finished)
        self._thread.failed.connect(self._on_failed)
        self._thread.cancelled.connect(self._on_cancelled)
        _release_finished_threads()
        _lane_threads.add(self._thread)
        self._thread.start()
        _live_lanes.add(self)

    # --- submitting ---------------------------------------------------------------------
    def submit(self, job: Job, supersede: bool = True) -> Job:
        if supersede:
            for old in self._pending:
                if old.supersede_group == job.supersede_group and (
                        old.interrupt_on_supersede or not old.running.is_set()):
                    old.cancel()
        self._pending.append(job)
        self._thread.jobs.put(job)
        return job

    def cancel(self, kind: "JobKind | None" = None) -> None:
        """Cancel the running and queued jobs (of one kind, or all)."""
        for job in self._pending:
            if kind is None or job.kind == kind:
                job.cancel()

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def pending_jobs(self) -> list[Job]:
        return list(self._pending)

    # --- shutting down ------------------------------------------------------------------
    def shutdown(self, timeout_ms: int) -> bool:
        """Cancel everything and stop the thread. Returns False if the thread is still busy in
        code that cannot be interrupted (e.g. numba compiling UMAP) after ``timeout_ms``."""
        self.cancel()
        self._thread.jobs.put(None)
        done = bool(self._thread.wait(max(0, int(timeout_ms))))
        _release_finished_threads()
        return done

    @property
    def thread(self) -> QThread:
        return self._thread

    # --- relays (GUI thread) ------------------------------------------------------------
    def _done(self, job: Job) -> None:
        if job in self._pending:
            self._pending.remove(job)

    @Slot(object)
    def _on_started(self, job: Job) -> None:
        self.job_started.emit(job)

    @Slot(object, object)
    def _on_progress(self, job: Job, progress: Progress) -> None:
        if not job.cancelled:
            self.job_progress.emit(job, progress)

    @Slot(object, object)
    def _on_finished(self, job: Job, result: Any) -> None:
        self._done(job)
        self.job_finished.emit(job, result)

    @Slot(object, object)
    def _on_failed(self, job: Job, failure: JobFailure) -> None:
        self._done(job)
        self.job_failed.emit(job, failure)

    @Slot(object)
    def _on_cancelled(self, job: Job) -> None:
        self._done(job)
        self.job_cancelled.emit(job)
