"""Background lanes: signals in order, errors reported, cancel, latest request of a group wins."""

from __future__ import annotations

import multiprocessing
import threading
import time

import pytest
from PySide6.QtCore import QObject, QThread, Slot

from reprviz_gui.core.errors import DataError
from reprviz_gui.core.progress import check_stop, report
from reprviz_gui.workers.lane import Job, JobKind, Lane

PRODUCT, TRAIN = JobKind.PRODUCT, JobKind.TRAIN


class Recorder(QObject):
    """Lives in the GUI thread, like the controller; records what the lane reports."""

    def __init__(self, lane: Lane) -> None:
        super().__init__()
        self.events: list[tuple] = []
        self.threads: set = set()
        lane.job_started.connect(self.started)
        lane.job_progress.connect(self.progress)
        lane.job_finished.connect(self.finished)
        lane.job_failed.connect(self.failed)
        lane.job_cancelled.connect(self.cancelled)

    def _note(self, *event) -> None:
        self.threads.add(QThread.currentThread())
        self.events.append(event)

    @Slot(object)
    def started(self, job):
        self._note("started", job.request_id)

    @Slot(object, object)
    def progress(self, job, p):
        self._note("progress", job.request_id, p.fraction)

    @Slot(object, object)
    def finished(self, job, result):
        self._note("finished", job.request_id, result)

    @Slot(object, object)
    def failed(self, job, failure):
        self._note("failed", job.request_id, failure)

    @Slot(object)
    def cancelled(self, job):
        self._note("cancelled", job.request_id)

    def of(self, kind: str) -> list[tuple]:
        return [e for e in self.events if e[0] == kind]


class FlagEvent:
    """The smallest cancel event a job may carry: anything with set() / is_set()."""

    def __init__(self) -> None:
        self.flag = False

    def set(self) -> None:
        self.flag = True

    def is_set(self) -> bool:
        return self.flag


def returns(value):
    return lambda on_progress, should_stop: value


def blocking(started: threading.Event, release: threading.Event | None = None, value="done",
             steps: int = 100_000):
    """A job that signals it runs, then waits for `release` (or a cancel) in small steps."""

    def fn(on_progress, should_stop):
        started.set()
        for _ in range(steps):
            check_stop(should_stop)
            if release is not None and release.is_set():
                return value
            time.sleep(0.01)
        return value

    return fn


@pytest.fixture
def lane(qtbot):
    lane = Lane("test")
    yield lane
    assert lane.shutdown(3000)


def test_signals_arrive_in_order_on_the_gui_thread(qtbot, lane):
    rec = Recorder(lane)
    worker_threads = []

    def fn(on_progress, should_stop):
        worker_threads.append(threading.get_ident())
        for i in range(3):
            report(on_progress, "test", (i + 1) / 3)  # fraction 1.0 is never throttled
            time.sleep(0.06)  # longer than the throttle interval: every report gets through
        return "result"

    job = lane.submit(Job(PRODUCT, fn))
    with qtbot.waitSignal(lane.job_finished, timeout=5000):
        pass
    kinds = [e[0] for e in rec.events]
    assert kinds == ["started", "progress", "progress", "progress", "finished"]
    assert [e[2] for e in rec.of("progress")] == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert rec.events[-1] == ("finished", job.request_id, "result")
    assert rec.threads == {QThread.currentThread()}  # delivered to the GUI thread
    assert worker_threads[0] != threading.get_ident()  # but the work ran elsewhere
    assert not lane.busy


def test_user_error_and_bug_are_reported_differently(qtbot, lane):
    rec = Recorder(lane)

    def user_error(on_progress, should_stop):
        raise DataError("train-labels.gz: 3 labels but 4 images")

    def bug(on_progress, should_stop):
        return 1 / 0

    lane.submit(Job(JobKind.LOAD, user_error), supersede=False)
    lane.submit(Job(PRODUCT, bug, description="computing the map"), supersede=False)
    lane.submit(Job(PRODUCT, bug), supersede=False)  # no description: the kind names it
    qtbot.waitUntil(lambda: len(rec.of("failed")) == 3, timeout=5000)
    first, second, third = [e[2] for e in rec.of("failed")]
    assert first.user_error and first.message == "train-labels.gz: 3 labels but 4 images"
    assert first.category == "data"
    assert not second.user_error and "ZeroDivisionError" in second.message
    assert second.message.startswith("Unexpected error while computing the map: ")
    assert "Traceback" in second.details
    assert third.message.startswith("Unexpected error while product: ")


def test_cancel_stops_a_running_job(qtbot, lane):
    rec = Recorder(lane)
    running = threading.Event()
    job = lane.submit(Job(PRODUCT, blocking(running)))  # runs until cancelled
    qtbot.waitUntil(running.is_set, timeout=3000)
    with qtbot.waitSignal(lane.job_cancelled, timeout=3000):
        lane.cancel()
    assert ("cancelled", job.request_id) in rec.events
    assert not rec.of("finished")
    assert not lane.busy


@pytest.mark.parametrize("make_event", [FlagEvent, multiprocessing.Event],
                         ids=["plain-object", "multiprocessing"])
def test_any_cancel_event_with_set_and_is_set_works(qtbot, lane, make_event):
    """A job may carry a process-shared event (a child process polls it) or any object with
    set()/is_set(): the lane's cancel sets that very object and should_stop reads it."""
    rec = Recorder(lane)
    running = threading.Event()
    event = make_event()
    job = lane.submit(Job(PRODUCT, blocking(running), cancel_event=event))
    qtbot.waitUntil(running.is_set, timeout=3000)
    assert not job.cancelled
    with qtbot.waitSignal(lane.job_cancelled, timeout=3000):
        lane.cancel()
    assert event.is_set() and job.cancelled
    assert rec.of("cancelled") == [("cancelled", job.request_id)]


def test_latest_request_wins(qtbot, lane):
    rec = Recorder(lane)
    running = threading.Event()
    first = lane.submit(Job(PRODUCT, blocking(running, steps=500), group="layer:A"))
    qtbot.waitUntil(running.is_set, timeout=3000)
    queued = [lane.submit(Job(PRODUCT, returns(i), group="layer:A")) for i in range(10)]
    with qtbot.waitSignal(lane.job_finished, timeout=5000) as blocker:
        pass
    job, result = blocker.args
    assert job is queued[-1] and result == 9
    qtbot.waitUntil(lambda: not lane.busy, timeout=3000)
    cancelled = {e[1] for e in rec.of("cancelled")}
    assert cancelled == {first.request_id, *(j.request_id for j in queued[:-1])}
    # a job cancelled while queued never starts
    assert {e[1] for e in rec.of("started")} == {first.request_id, queued[-1].request_id}


def test_supersede_compares_groups_not_kinds(qtbot, lane):
    """Two products of one kind in different groups (session A's map, session B's map) both
    finish; a newer request of the same group replaces the running one."""
    rec = Recorder(lane)
    running = threading.Event()
    a_old = lane.submit(Job(PRODUCT, blocking(running), group="map:A"))
    qtbot.waitUntil(running.is_set, timeout=3000)
    b = lane.submit(Job(PRODUCT, returns("B"), group="map:B"))
    a_new = lane.submit(Job(PRODUCT, returns("A"), group="map:A"))
    qtbot.waitUntil(lambda: not lane.busy, timeout=5000)
    assert [(e[1], e[2]) for e in rec.of("finished")] == [(b.request_id, "B"),
                                                          (a_new.request_id, "A")]
    assert rec.of("cancelled") == [("cancelled", a_old.request_id)]


def test_supersede_group_defaults_to_the_kind():
    assert Job(PRODUCT, returns(1)).supersede_group == "product"
    assert Job(PRODUCT, returns(1), group="map:B").supersede_group == "map:B"
    assert Job(JobKind.LOAD_MODEL, returns(1)).supersede_group == "load model"


def test_other_kinds_are_not_superseded(qtbot, lane):
    rec = Recorder(lane)
    lane.submit(Job(TRAIN, returns("trained")))
    lane.submit(Job(PRODUCT, returns("layer")))
    qtbot.waitUntil(lambda: not lane.busy, timeout=5000)
    assert [e[2] for e in rec.of("finished")] == ["trained", "layer"]


def test_cancel_of_one_kind_leaves_the_others(qtbot, lane):
    rec = Recorder(lane)
    running, release = threading.Event(), threading.Event()
    train = lane.submit(Job(TRAIN, blocking(running, release, "trained")))
    qtbot.waitUntil(running.is_set, timeout=3000)
    product = lane.submit(Job(PRODUCT, returns("map")))
    lane.cancel(PRODUCT)
    assert product.cancelled and not train.cancelled
    release.set()
    qtbot.waitUntil(lambda: not lane.busy, timeout=5000)
    assert rec.of("finished") == [("finished", train.request_id, "trained")]
    assert rec.of("cancelled") == [("cancelled", product.request_id)]
    assert ("started", product.request_id) not in rec.events


def test_shutdown_cancels_and_joins(qtbot):
    lane = Lane("shutdown")
    running = threading.Event()

    def fn(on_progress, should_stop):
        running.set()
        while not should_stop():  # only a cancel ends it
            time.sleep(0.01)

    lane.submit(Job(PRODUCT, fn))
    qtbot.waitUntil(running.is_set, timeout=3000)
    assert lane.shutdown(3000)
    assert not lane.thread.isRunning()


def test_a_running_job_may_finish_when_superseded(qtbot, lane):
    """interrupt_on_supersede=False (UMAP maps): a newer request cancels only queued jobs; the
    running one completes, and the newest runs after it."""
    rec = Recorder(lane)
    running = threading.Event()
    first = lane.submit(Job(PRODUCT, blocking(running, steps=30, value="first"),
                            group="map:A", interrupt_on_supersede=False))
    qtbot.waitUntil(running.is_set, timeout=3000)
    middle = lane.submit(Job(PRODUCT, returns("middle"), group="map:A",
                             interrupt_on_supersede=False))
    last = lane.submit(Job(PRODUCT, returns("last"), group="map:A",
                           interrupt_on_supersede=False))
    qtbot.waitUntil(lambda: not lane.busy, timeout=5000)
    finished = [(e[1], e[2]) for e in rec.of("finished")]
    assert finished == [(first.request_id, "first"), (last.request_id, "last")]
    assert ("cancelled", middle.request_id) in rec.events
    assert not first.cancelled


_COLLECTED_WHILE_RUNNING = """
import gc, sys, threading, time
from PySide6.QtCore import QCoreApplication
from reprviz_gui.workers.lane import Job, JobKind, Lane

app = QCoreApplication([])
lane = Lane("straggler")
running, release = threading.Event(), threading.Event()

def fn(on_progress, should_stop):  # like numba compiling: deaf to cancel for a while
    running.set()
    release.wait(10)

lane.submit(Job(JobKind.PRODUCT, fn))
running.wait(10)
assert not lane.shutdown(50)  # the wait runs out: the thread is still busy
thread_ref = lane.thread
del lane, thread_ref
gc.collect()  # the Lane and its thread's Python wrapper are gone from the GUI side
release.set()  # the job ends, run() returns on the thread
time.sleep(1.0)
for _ in range(20):
    app.processEvents()
print("survived", flush=True)
"""


def test_a_lane_collected_while_its_thread_runs_does_not_abort_the_process(tmp_path):
    """A window closed while a lane is in uninterruptible code (shutdown's wait runs out), then
    garbage collected: when the job ends, the thread must not destroy its own running QThread
    (Qt's qFatal aborted the suite's process, seen in gdb)."""
    import os
    import subprocess
    import sys

    script = tmp_path / "straggler.py"
    script.write_text(_COLLECTED_WHILE_RUNNING)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, env=env, cwd=os.getcwd())
    assert done.returncode == 0 and "survived" in done.stdout, done.stderr[-2000:]
