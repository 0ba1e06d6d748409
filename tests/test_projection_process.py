"""The projection child process (core/projection_process.py): same maps as in-process, errors
come back as the same ReprvizError subclass, Cancel interrupts numba/scikit-learn within a second
(by terminating the child, which is then restarted on the next request), close() never hangs,
and the child never imports TensorFlow or Qt."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from reprviz_gui.core import analysis
from reprviz_gui.core.analysis import projection_process
from reprviz_gui.core.errors import Cancelled, ReprvizError, ResourceLimitError
from reprviz_gui.core.analysis.projection_process import ProjectionProcess

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("tensorflow", "keras", "PySide6", "shiboken6", "torch", "jax")


def heavy_modules(names: list[str]) -> list[str]:
    return [m for m in names if m.split(".")[0] in HEAVY]


@pytest.fixture(scope="module")
def proc():
    p = ProjectionProcess()
    yield p
    p.close()


def blobs(n: int, dim: int, seed: int = 0) -> np.ndarray:
    """n points in 4 separated clusters (t-SNE and MDS have real structure to find)."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((4, dim)) * 4
    return (centers[np.arange(n) % 4] + rng.standard_normal((n, dim))).astype(np.float32)


def pid(p: ProjectionProcess) -> int | None:
    return p._proc.pid if p._proc is not None else None


class StopAfter:
    """should_stop that turns True when ``set()`` is called; remembers when."""

    def __init__(self) -> None:
        self.at: float | None = None

    def set(self) -> None:
        self.at = time.monotonic()

    def __call__(self) -> bool:
        return self.at is not None


def run_in_thread(fn, *args, **kwargs) -> tuple[threading.Thread, dict]:
    out: dict = {}

    def body():
        try:
            out["result"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            out["error"] = exc
        out["ended"] = time.monotonic()

    t = threading.Thread(target=body, daemon=True)
    t.start()
    return t, out


# --- same results as in-process --------------------------------------------------------------
@pytest.mark.parametrize("method, params", [("tsne", {"max_iter": 250}), ("mds", {})])
def test_child_computes_the_same_map_as_in_process(proc, method, params):
    a = blobs(120, 20)
    progress = []
    child = proc.project(a, method, seed=3, on_progress=progress.append, **params)
    here = analysis.project(a, method, seed=3, **params)
    assert isinstance(child, analysis.Projection)
    assert child.coords.dtype == np.float32 and child.coords.shape == (120, 2)
    # same seed, same code, same libraries: identical up to float noise (in practice bit-equal)
    np.testing.assert_allclose(child.coords, here.coords, atol=1e-4, rtol=0)
    assert child.method == here.method and child.params == here.params
    assert progress and progress[-1].stage == "project" and progress[-1].fraction == 1.0


def test_pca_stays_in_this_process(monkeypatch):
    def no_child():
        raise AssertionError("PCA must not go to the child process")

    monkeypatch.setattr(projection_process, "shared_process", no_child)
    a = blobs(50, 5)
    out = projection_process.project_in_process(a, "pca", seed=0)
    np.testing.assert_allclose(out.coords, analysis.project(a, "pca").coords, atol=1e-6)


# --- errors -------------------------------------------------------------------------------
def test_errors_come_back_as_the_same_class_with_the_message(proc):
    proc.loaded_modules()
    before = pid(proc)
    with pytest.raises(ReprvizError, match="at least 3 samples") as info:
        proc.project(np.zeros((2, 4), np.float32), "tsne")
    assert type(info.value) is ReprvizError
    bad = blobs(30, 4)
    bad[3, 1] = np.nan
    with pytest.raises(ReprvizError, match="NaN or infinite values in 1 of 30 samples"):
        proc.project(bad, "mds")
    with pytest.raises(ReprvizError, match="Unknown projection 'nope'"):
        proc.project(blobs(10, 3), "nope")
    # a bug in the child (here a bad parameter) comes back with the child's traceback
    with pytest.raises(RuntimeError, match="ValueError") as bug:
        proc.project(blobs(30, 4), "tsne", perplexity="many")
    assert "Traceback" in str(bug.value) and "_tsne" in str(bug.value)
    # errors do not cost the child: the same process answers the next request
    assert pid(proc) == before and proc.alive
    assert proc.project(blobs(30, 4), "mds").coords.shape == (30, 2)


def test_memory_refusal_in_the_child_is_a_resource_limit_error(monkeypatch):
    monkeypatch.setenv("REPRVIZ_MEMORY_LIMIT_MB", "1")  # read by the child when it starts
    p = ProjectionProcess()
    try:
        with pytest.raises(ResourceLimitError, match=r"MDS of 400 samples would need 4\.9 MiB"):
            p.project(blobs(400, 8), "mds")
        assert p.alive
    finally:
        p.close()


# --- cancel and close ---------------------------------------------------------------------
def _cancel_mid_call(p: ProjectionProcess, a: np.ndarray, method: str, after_s: float,
                     **params) -> float:
    """Start ``method`` on ``a``, press Cancel after ``after_s`` s of work; returns how long
    Cancel took to end the call."""
    stop = StopAfter()
    started = threading.Event()

    def on_progress(p_):
        started.set()  # the child has begun the projection itself

    t, out = run_in_thread(p.project, a, method, 0, on_progress, stop, **params)
    assert started.wait(60), "the child never started the projection"
    time.sleep(after_s)
    assert "ended" not in out, f"{method} finished before Cancel; use a larger input"
    stop.set()
    t.join(10)
    assert not t.is_alive()
    assert isinstance(out.get("error"), Cancelled), out
    return out["ended"] - stop.at


def test_cancel_mid_tsne_is_quick_and_the_next_request_works(proc):
    proc.loaded_modules()  # started
    old = pid(proc)
    # far more iterations than a second allows: the default run ended before Cancel once
    _cancel_mid_call(proc, blobs(6000, 50), "tsne", 1.0, max_iter=1_000_000)
    assert not proc.alive  # terminated mid-call, not waited for (the only way to stop it)
    out = proc.project(blobs(40, 5), "mds")  # restarted on demand
    assert out.coords.shape == (40, 2) and pid(proc) != old


def test_cancel_during_umaps_first_call(proc):
    """The first UMAP pays numba's compile (~10 s): Cancel must not wait for it. (Its epochs are
    many: with the compiled kernels cached, 300 points could end within the second.)"""
    proc.close()
    _cancel_mid_call(proc, blobs(300, 10), "umap", 1.0, n_epochs=1_000_000)
    assert not proc.alive  # terminated mid-compile, not waited for
    assert proc.project(blobs(40, 5), "tsne", max_iter=250).coords.shape == (40, 2)


def test_close_of_a_busy_process_returns_quickly():
    p = ProjectionProcess()
    started = threading.Event()
    # far more iterations than it can finish before close(): on a quiet machine the default
    # 2,000-point t-SNE ended within the half second and returned a result (flaky)
    t, out = run_in_thread(p.project, blobs(2000, 50), "tsne", 0,
                           lambda _p: started.set(), None, max_iter=1_000_000)
    assert started.wait(60)
    time.sleep(0.5)
    child = p._proc
    p.close()
    assert not child.is_alive()  # terminated, not waited for
    t.join(5)
    assert not t.is_alive(), "the caller is still waiting for a result from a dead child"
    assert isinstance(out.get("error"), ReprvizError), out  # told, not hung or a raw OSError


def test_close_when_idle_and_twice(proc):
    proc.loaded_modules()
    child = proc._proc
    t0 = time.monotonic()
    proc.close()
    proc.close()
    # a hang guard (close must not wait on an idle child), not a speed claim
    assert time.monotonic() - t0 < 10.0 and not child.is_alive()


# --- what the child imports ---------------------------------------------------------------
def test_child_never_imports_tensorflow_or_qt(proc):
    proc.project(blobs(60, 8), "tsne", max_iter=250)
    proc.project(blobs(60, 8), "mds")
    modules = proc.loaded_modules()
    assert "sklearn.manifold" in modules  # it did the work
    assert heavy_modules(modules) == []


def test_child_of_the_app_imports_only_what_main_py_imports(tmp_path):
    """A spawned child re-imports the parent's main script. Run one whose top level is
    main.py's, from a parent that has Qt: the child still has neither Qt nor TensorFlow."""
    main_src = (REPO / "main.py").read_text(encoding="utf-8")
    assert 'if __name__ == "__main__":' in main_src
    script = tmp_path / "main_like.py"
    script.write_text(main_src.replace('if __name__ == "__main__":', "if False:") + textwrap.dedent(
        """

        if __name__ == "__main__":
            import json
            from PySide6.QtCore import QCoreApplication  # the window's process has Qt
            app = QCoreApplication([])
            from reprviz_gui.core.analysis.projection_process import ProjectionProcess
            p = ProjectionProcess()
            print("MODULES=" + json.dumps(p.loaded_modules()))
            p.close()
        """), encoding="utf-8")
    run = subprocess.run([sys.executable, str(script)], cwd=REPO, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    modules = json.loads(run.stdout.split("MODULES=")[-1])
    assert "reprviz_gui.cli" in modules  # main.py's own import happened in the child
    assert heavy_modules(modules) == []


# --- UMAP proper (numba compile: slow) -------------------------------------------------------
@pytest.mark.slow
def test_umap_in_the_child_matches_and_cancels_mid_run(proc):
    seconds = proc.warm_up()
    assert seconds > 0
    modules = proc.loaded_modules()
    assert "umap" in modules and "numba" in modules
    assert heavy_modules(modules) == []  # umap's ParametricUMAP (TensorFlow) stays blocked
    a = blobs(300, 10)
    child = proc.project(a, "umap", seed=5)
    here = analysis.project(a, "umap", seed=5)
    np.testing.assert_allclose(child.coords, here.coords, atol=1e-4, rtol=0)
    # compiled now: a big map takes several seconds of real UMAP work; cancel it mid-run
    _cancel_mid_call(proc, blobs(8000, 50), "umap", 1.5)
    assert not proc.alive  # terminated mid-run
    assert proc.project(blobs(40, 5), "mds").coords.shape == (40, 2)


# --- the layout while it forms, and the warm-up of several methods ---------------------------
def test_child_sends_the_layout_while_it_forms(proc):
    frames: list[tuple[np.ndarray, float]] = []
    a = blobs(200, 10)
    result = proc.project(a, "tsne", seed=2, on_layout=lambda c, f: frames.append((c, f)))
    here = analysis.project(a, "tsne", seed=2)
    np.testing.assert_array_equal(result.coords, here.coords)  # watching changes nothing
    assert frames and frames[0][1] == 0.0
    assert all(c.shape == (200, 2) for c, _ in frames)
    assert [f for _, f in frames] == sorted(f for _, f in frames)


def test_warm_up_of_tsne_imports_opentsne_only(proc):
    assert proc.warm_up(methods=("tsne",)) > 0
    modules = proc.loaded_modules()
    assert "openTSNE" in modules
    assert heavy_modules(modules) == []


def test_pca_tsne_in_the_child_records_the_explained_variance(proc):
    from sklearn.decomposition import PCA

    a = blobs(120, 12)
    result = proc.project(a, "pca-tsne", seed=0, pca_components=4)
    assert result.method == "pca-tsne" and result.params["pca_components"] == 4
    expected = PCA(4).fit(a.astype(np.float64)).explained_variance_ratio_.sum()
    assert result.pca_explained_variance == pytest.approx(expected, rel=1e-4)
