"""Background lanes: signals in order, errors reported, cancel, latest request wins."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QObject, QThread, Slot

from reprviz_gui.core.errors import DataError
from reprviz_gui.core.progress import check_stop, report
from reprviz_gui.workers.lane import Job, Lane


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

    job = lane.submit(Job("work", fn))
    with qtbot.waitSignal(lane.job_finished, timeout=5000):
        pass
    kinds = [e[0] for e in rec.events]
    assert kinds == ["started", "progress", "progress", "progress", "finished"]
    assert [e[2] for e in rec.events if e[0] == "progress"] == pytest.approx([1 / 3, 2 / 3, 1.0])
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

    lane.submit(Job("a", user_error), supersede=False)
    lane.submit(Job("b", bug), supersede=False)
    qtbot.waitUntil(lambda: len([e for e in rec.events if e[0] == "failed"]) == 2, timeout=5000)
    first, second = [e[2] for e in rec.events if e[0] == "failed"]
    assert first.user_error and first.message == "train-labels.gz: 3 labels but 4 images"
    assert first.category == "data"
    assert not second.user_error and "ZeroDivisionError" in second.message
    assert "Traceback" in second.details


def test_cancel_stops_a_running_job(qtbot, lane):
    rec = Recorder(lane)
    running = threading.Event()

    def fn(on_progress, should_stop):
        running.set()
        while True:
            check_stop(should_stop)
            time.sleep(0.01)

    job = lane.submit(Job("work", fn))
    qtbot.waitUntil(running.is_set, timeout=3000)
    t0 = time.monotonic()
    lane.cancel()
    with qtbot.waitSignal(lane.job_cancelled, timeout=3000):
        pass
    assert time.monotonic() - t0 < 1.0
    assert ("cancelled", job.request_id) in rec.events
    assert not any(e[0] == "finished" for e in rec.events)


def test_latest_request_wins(qtbot, lane):
    rec = Recorder(lane)
    running = threading.Event()

    def slow(on_progress, should_stop):
        running.set()
        for _ in range(500):
            check_stop(should_stop)
            time.sleep(0.01)
        return "slow"

    def make(value):
        return lambda on_progress, should_stop: value

    first = lane.submit(Job("layer", slow))
    qtbot.waitUntil(running.is_set, timeout=3000)
    queued = [lane.submit(Job("layer", make(i))) for i in range(10)]
    with qtbot.waitSignal(lane.job_finished, timeout=5000) as blocker:
        pass
    job, result = blocker.args
    assert job is queued[-1] and result == 9
    qtbot.waitUntil(lambda: not lane.busy, timeout=3000)
    cancelled = {e[1] for e in rec.events if e[0] == "cancelled"}
    assert cancelled == {first.request_id, *(j.request_id for j in queued[:-1])}


def test_other_kinds_are_not_superseded(qtbot, lane):
    rec = Recorder(lane)
    lane.submit(Job("train", lambda p, s: "trained"))
    lane.submit(Job("layer", lambda p, s: "layer"))
    qtbot.waitUntil(lambda: not lane.busy, timeout=5000)
    assert [e[2] for e in rec.events if e[0] == "finished"] == ["trained", "layer"]


def test_shutdown_cancels_and_joins(qtbot):
    lane = Lane("shutdown")
    running = threading.Event()

    def fn(on_progress, should_stop):
        running.set()
        while not should_stop():
            time.sleep(0.01)

    lane.submit(Job("work", fn))
    qtbot.waitUntil(running.is_set, timeout=3000)
    t0 = time.monotonic()
    assert lane.shutdown(3000)
    assert time.monotonic() - t0 < 1.0
    assert not lane.thread.isRunning()


def test_a_running_job_may_finish_when_superseded(qtbot, lane):
    """interrupt_on_supersede=False (UMAP maps): a newer request cancels only queued jobs; the
    running one completes, and the newest runs after it."""
    rec = Recorder(lane)
    running = threading.Event()

    def slow(on_progress, should_stop):
        running.set()
        for _ in range(30):
            check_stop(should_stop)
            time.sleep(0.01)
        return "first"

    first = lane.submit(Job("projection", slow, interrupt_on_supersede=False))
    qtbot.waitUntil(running.is_set, timeout=3000)
    middle = lane.submit(Job("projection", lambda p, s: "middle", interrupt_on_supersede=False))
    last = lane.submit(Job("projection", lambda p, s: "last", interrupt_on_supersede=False))
    qtbot.waitUntil(lambda: not lane.busy, timeout=5000)
    finished = [(e[1], e[2]) for e in rec.events if e[0] == "finished"]
    assert finished == [(first.request_id, "first"), (last.request_id, "last")]
    assert ("cancelled", middle.request_id) in rec.events
    lane.cancel()  # an explicit cancel still interrupts it
