"""The Qt-free product scheduler on its own: a fake lane records the jobs it is given, the test
finishes them in any order and reads what the scheduler says views should draw."""

from __future__ import annotations

from typing import Any

import pytest

from reprviz_gui.workers.lane import Job, JobKind
from reprviz_gui.workspace.products import REGISTRY, Product, register
from reprviz_gui.workspace.results import ResultKey, ResultStore
from reprviz_gui.workspace.scheduler import ProductScheduler
from reprviz_gui.workspace.state import Workspace


class FakeLanes:
    """Records submitted jobs per lane; runs nothing."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, Job]] = []

    def submit(self, lane: str, job: Job) -> Job:
        self.jobs.append((lane, job))
        return job


@pytest.fixture
def sched():
    register(Product("t_thing", lambda ws, s: {"method": ws.method} if ws.method else None,
                     compute=lambda req, op, st: f"made with {req.param('method')}",
                     lane="quick", per_session=False, with_samples=False,
                     why_not=lambda ws, s: "choose a method"))
    ws = Workspace(method="pca")
    ws.dataset_id = 7
    lanes = FakeLanes()
    s = ProductScheduler(ws, lanes.submit, store=ResultStore())
    drawn: list[tuple] = []
    s.ready.connect(lambda kind, sid, value: drawn.append(("ready", kind, sid, value)))
    s.busy.connect(lambda kind, sid, text: drawn.append(("busy", kind, sid, text)))
    s.unavailable.connect(lambda kind, sid, why: drawn.append(("unavailable", kind, sid, why)))
    yield s, ws, lanes, drawn
    REGISTRY.pop("t_thing", None)


def finish(s: ProductScheduler, job: Job) -> Any:
    result = job.fn(None, lambda: False)
    s.finished(job, result)
    return result


def readies(drawn: list) -> list:
    return [d[3] for d in drawn if d[0] == "ready"]


def test_a_visible_views_miss_becomes_one_job(sched) -> None:
    s, ws, lanes, drawn = sched
    s.set_wanted({("t_thing", "")})
    s.refresh()  # asking again while it computes submits nothing more
    assert [(lane, job.kind) for lane, job in lanes.jobs] == [("quick", JobKind.PRODUCT)]
    assert set(drawn) == {("busy", "t_thing", "", "Computing…")}  # a badge, nothing drawn
    finish(s, lanes.jobs[0][1])
    assert readies(drawn) == ["made with pca"]
    assert drawn[-2] == ("busy", "t_thing", "", "")  # the badge goes before it is drawn


def test_a_hidden_view_costs_nothing(sched) -> None:
    s, ws, lanes, drawn = sched
    s.refresh()
    assert lanes.jobs == [] and drawn == []


def test_a_hit_is_drawn_from_the_store_without_a_job(sched) -> None:
    s, ws, lanes, drawn = sched
    key = ResultKey.make("t_thing", ws.tag(None, False), {"method": "pca"})
    s.store.put(key, "stored")
    s.set_wanted({("t_thing", "")})
    assert lanes.jobs == []
    assert readies(drawn) == ["stored"]


def test_switching_back_is_served_from_the_store(sched) -> None:
    s, ws, lanes, drawn = sched
    s.set_wanted({("t_thing", "")})
    finish(s, lanes.jobs[0][1])
    ws.method = "umap"
    s.refresh()
    finish(s, lanes.jobs[1][1])
    ws.method = "pca"
    s.refresh()
    assert len(lanes.jobs) == 2  # no third job: pca's result came from the store
    assert readies(drawn) == ["made with pca", "made with umap", "made with pca"]


def test_a_stale_result_is_dropped(sched) -> None:
    s, ws, lanes, drawn = sched
    s.set_wanted({("t_thing", "")})
    job = lanes.jobs[0][1]
    ws.dataset_id = 8  # other data opened while it computed
    finish(s, job)
    assert readies(drawn) == []
    assert s.store.get(job.payload) is None


def test_drop_stale_cancels_jobs_for_old_data(sched) -> None:
    s, ws, lanes, drawn = sched
    s.set_wanted({("t_thing", "")})
    ws.dataset_id = 8
    s.drop_stale()
    assert lanes.jobs[0][1].cancelled


def test_the_latest_request_wins_whatever_order_jobs_finish_in(sched) -> None:
    s, ws, lanes, drawn = sched
    s.set_wanted({("t_thing", "")})
    ws.method = "umap"
    s.refresh()
    first, latest = lanes.jobs[0][1], lanes.jobs[1][1]
    assert (first.payload.param("method"), latest.payload.param("method")) == ("pca", "umap")
    finish(s, latest)
    finish(s, first)  # the older one ends last: kept for later, never drawn
    assert readies(drawn) == ["made with umap"]
    assert s.store.get(first.payload) == "made with pca"


def test_a_product_that_does_not_apply_says_why(sched) -> None:
    s, ws, lanes, drawn = sched
    ws.method = ""
    s.set_wanted({("t_thing", "")})
    assert lanes.jobs == []
    assert drawn == [("busy", "t_thing", "", ""), ("unavailable", "t_thing", "", "choose a method")]


def test_a_failed_job_clears_the_badge_and_is_reported_when_a_view_waited(sched) -> None:
    s, ws, lanes, drawn = sched
    s.set_wanted({("t_thing", "")})
    assert s.ended_without_result(lanes.jobs[0][1], None) is True
    assert drawn[-1] == ("busy", "t_thing", "", "")
    s.refresh()  # asked again: a new job
    assert len(lanes.jobs) == 2


def test_a_product_of_both_models_waits_for_each_sessions_input() -> None:
    """inputs ("t_per@A", "t_per@B"): one job per session's input, then the product of both,
    made from exactly those two results; retraining B makes a new key."""
    from reprviz_gui.workspace.state import Session

    register(Product("t_per", lambda ws, s: {"v": s.version}, per_session=True,
                     with_samples=False, lane="quick",
                     compute=lambda req, op, st: f"{req.key.tag.session_id}{req.param('v')}"))
    register(Product("t_both", lambda ws, s: {"a": ws.session("A").version,
                                              "b": ws.session("B").version},
                     per_session=False, with_samples=False, lane="measure",
                     inputs=("t_per@A", "t_per@B"),
                     compute=lambda req, op, st: req.inputs["t_per@A"] + "+" +
                     req.inputs["t_per@B"]))
    try:
        ws = Workspace(method="pca")
        ws.dataset_id = 7
        ws.sessions = {"A": Session("A", version=1), "B": Session("B", version=4)}
        lanes = FakeLanes()
        s = ProductScheduler(ws, lanes.submit, store=ResultStore())
        drawn: list = []
        s.ready.connect(lambda kind, sid, value: drawn.append((kind, sid, value)))
        s.set_wanted({("t_both", "")})
        assert [j.payload.kind for _, j in lanes.jobs] == ["t_per"]  # A's input first
        finish(s, lanes.jobs[0][1])
        assert [(lane, j.payload.tag.session_id) for lane, j in lanes.jobs[1:]] == \
            [("quick", "B")]
        finish(s, lanes.jobs[1][1])
        assert [lane for lane, _ in lanes.jobs[2:]] == ["measure"]
        finish(s, lanes.jobs[2][1])
        assert drawn == [("t_both", "", "A1+B4")]
        ws.sessions["B"].version = 5  # B retrained: a new product of both
        s.refresh()
        assert [j.payload.kind for _, j in lanes.jobs[3:]] == ["t_per"]
        finish(s, lanes.jobs[3][1])
        finish(s, lanes.jobs[4][1])
        assert drawn[-1] == ("t_both", "", "A1+B5")
    finally:
        REGISTRY.pop("t_per", None)
        REGISTRY.pop("t_both", None)
