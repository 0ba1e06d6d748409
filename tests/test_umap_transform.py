"""Your own input on a UMAP map (issue 16 §2): placed by umap's own ``UMAP.transform`` in the
projection process (core/analysis/umap_transform.py), never by numba in this process. The
reference is umap.UMAP fitted and transforming in a separate process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from reprviz_gui.core.analysis import own_input as oi
from reprviz_gui.core.analysis.projection_process import ProjectionProcess

REPO = Path(__file__).resolve().parents[1]
SEED = 3


def _digits(n: int = 300) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = x.astype(np.float32)
    return x[:n], y[:n], x[n:n + 12], y[n:n + 12]


def _reference(train: np.ndarray, coords: np.ndarray, held: np.ndarray, tmp: Path
               ) -> np.ndarray:
    """umap.UMAP fitted on the map's rows (unit length, PCA to 50, as the map) with the map's
    parameters, its embedding set to the shown map, then ``transform``: in its own process."""
    np.save(tmp / "train.npy", train)
    np.save(tmp / "coords.npy", coords)
    np.save(tmp / "held.npy", held)
    script = textwrap.dedent(f"""
        import warnings, numpy as np
        from reprviz_gui.core.analysis.layouts import import_umap  # umap without TensorFlow
        from reprviz_gui.core.analysis.neighbors import prepare
        from reprviz_gui.core.threads import numeric_threads
        umap = import_umap()
        t = {str(tmp)!r}
        # the map's BLAS threads (core/threads.py): their number changes the PCA's last bits,
        # which the transform's optimisation turns into visibly different positions
        limit = numeric_threads()
        limit.__enter__()
        red = prepare(np.load(t + "/train.npy"), "cosine", 50, {SEED})
        r = umap.UMAP(n_neighbors=15, min_dist=0.1, n_epochs=200, metric="euclidean",
                      random_state={SEED}, transform_seed={SEED}, n_jobs=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r.fit(red.points)
            r.embedding_ = np.load(t + "/coords.npy")
            out = r.transform(red.transform(np.load(t + "/held.npy")))
        np.save(t + "/ref.npy", out)
        print("SMALL=" + str(r._small_data))
    """)
    run = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "SMALL=True" in run.stdout  # umap's exact neighbours, as ours
    return np.load(tmp / "ref.npy")


@pytest.mark.slow
def test_umap_placement_is_umaps_own_transform(tmp_path, monkeypatch):
    """The child's placement equals umap.UMAP's own transform; ``place_on_map`` (the window's
    model lane, ``analyze --input``) gets it from the shared child, says so, and never imports
    umap or numba here."""
    from reprviz_gui.core.analysis import projection_process

    train, labels, held, held_labels = _digits()
    proc = ProjectionProcess()
    monkeypatch.setattr(projection_process, "_shared", proc)
    had = {m for m in ("umap", "numba") if m in sys.modules}  # another test may import them
    try:
        proj = proc.project(train, "umap", seed=SEED)
        kept = proc.transform(train, proj.coords, held, SEED)
        assert kept["fit"] == "map"  # the child kept the map's own fit
        p = oi.place_on_map(train, proj.coords, "umap", held[0], seed=SEED)
        assert {m for m in ("umap", "numba") if m in sys.modules} == had
        assert p.rule == "umap-transform" and "umap's transform" in p.how
        assert "kept by the map worker" in p.how
        one = proc.transform(train, proj.coords, held[:1], SEED)["positions"][0]
        np.testing.assert_allclose(p.position, one, atol=1e-6)  # (a batch moves together)
        proc.close()  # a restarted child (a reopened session): refitted, the same placement
        refit = proc.transform(train, proj.coords, held, SEED)
        assert refit["fit"] == "refit"
        assert proc.transform(train, proj.coords, held, SEED)["fit"] == "refit"  # kept as such
        np.testing.assert_allclose(refit["positions"], kept["positions"], atol=1e-5)
        modules = proc.loaded_modules()
    finally:
        proc.close()
    assert "umap" in modules and not any(m.split(".")[0] in ("tensorflow", "keras")
                                         for m in modules)
    ref = _reference(train, proj.coords, held, tmp_path)
    span = float(np.ptp(proj.coords))
    np.testing.assert_allclose(kept["positions"], ref, atol=1e-3 * span)
    # and it is not the neighbour mean (that was the placement before)
    means = np.array([oi.neighbour_mean(train, proj.coords, h)[0] for h in held])
    assert np.abs(means - kept["positions"]).max() > 1e-2 * span
    # most held-out digits land nearest their own class's centre of the map
    centres = np.array([proj.coords[labels == c].mean(axis=0) for c in range(10)])
    nearest = np.linalg.norm(kept["positions"][:, None] - centres[None], axis=2).argmin(1)
    assert (nearest == held_labels).mean() >= 0.6
