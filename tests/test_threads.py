"""core/threads.py: BLAS / OpenMP threads for a map's numeric steps, fixed for a machine."""

from __future__ import annotations

from reprviz_gui.core import threads


def test_map_threads_are_half_the_cores_whatever_the_load(monkeypatch):
    for cores, want in ((1, 1), (2, 1), (4, 2), (16, 8)):
        assert threads.map_threads(cores) == want
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 4)
    for load in (0.0, 3.0, 9.0):  # the load average plays no part (the map would change)
        monkeypatch.setattr(threads.os, "getloadavg", lambda load=load: (load, load, load))
        assert threads.map_threads() == 2


def test_numeric_threads_limit_blas_and_keep_an_outer_limit(monkeypatch):
    from threadpoolctl import threadpool_info, threadpool_limits

    def counts() -> set[int]:
        return {int(lib["num_threads"]) for lib in threadpool_info()}

    with threads.numeric_threads(1):  # loads the libraries it limits (faiss's OpenMP)
        pass
    before = counts()
    assert before and max(before) >= 1
    monkeypatch.setattr(threads, "map_threads", lambda: 2)
    with threads.numeric_threads(1) as n:
        assert n == 1 and counts() == {1}
    assert counts() == before
    with threadpool_limits(limits=1), threads.numeric_threads() as n:
        assert n == 1 and counts() == {1}  # never raised above the caller's limit


def test_a_map_is_the_same_on_its_first_and_later_runs_in_a_process():
    """The map libraries load before the limit: scipy's BLAS, loaded by the first PCA inside
    the block, ran unlimited, and the first t-SNE of a process differed from the next ones by
    whole units (2,000 Fashion images; one thread on a loaded two-core machine)."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent("""
        import numpy as np
        from reprviz_gui.core.data.sources import load_dataset
        from reprviz_gui.core.analysis.projection import project
        x = load_dataset("fashion-mnist-sample").x_train[:2000].reshape(2000, -1) / 255.0
        a = project(x.astype(np.float32), "tsne", seed=0).coords
        b = project(x.astype(np.float32), "tsne", seed=0).coords
        print(int(np.array_equal(a, b)))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-1] == "1"
