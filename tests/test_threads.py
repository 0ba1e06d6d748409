"""core/threads.py: BLAS / OpenMP threads on the cores the load average leaves free."""

from __future__ import annotations

from reprviz_gui.core import threads


def test_free_cores_follow_the_load_average(monkeypatch):
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 4)
    for load, want in ((0.2, 4), (1.0, 4), (2.0, 3), (3.6, 1), (9.0, 1)):
        monkeypatch.setattr(threads.os, "getloadavg", lambda load=load: (load, load, load))
        assert threads.free_cores() == want

    def no_load():
        raise OSError("no load average")

    monkeypatch.setattr(threads.os, "getloadavg", no_load)
    assert threads.free_cores() == 4


def test_numeric_threads_limit_blas_and_keep_an_outer_limit(monkeypatch):
    from threadpoolctl import threadpool_info, threadpool_limits

    def counts() -> set[int]:
        return {int(lib["num_threads"]) for lib in threadpool_info()}

    with threads.numeric_threads(1):  # loads the libraries it limits (faiss's OpenMP)
        pass
    before = counts()
    assert before and max(before) >= 1
    monkeypatch.setattr(threads, "free_cores", lambda: 2)
    with threads.numeric_threads(1) as n:
        assert n == 1 and counts() == {1}
    assert counts() == before
    with threadpool_limits(limits=1), threads.numeric_threads() as n:
        assert n == 1 and counts() == {1}  # never raised above the caller's limit
