"""The fast map pipeline: shared neighbours, UMAP/t-SNE layouts, PCA → t-SNE, the sampled cosine
matrix and the on-disk numba cache. Numbers are checked against references computed another way;
no timings are asserted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from reprviz_gui.core.analysis import jit_cache
from reprviz_gui.core.analysis.neighbors import (nearest_neighbours, pca_reduce, prepare,
                                                 unit_rows, with_self)
from reprviz_gui.core.analysis.projection import METHOD_LABELS, METHODS, project
from reprviz_gui.core.analysis.similarity import (cosine_matrix, cosine_similarity,
                                                  sample_rows, within_between_similarity)

ROOT = Path(__file__).resolve().parents[1]


def blobs(n_per: int = 60, k: int = 5, dim: int = 30, seed: int = 0):
    """k well-separated Gaussian clusters; labels are the cluster."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((k, dim)) * 10
    labels = np.repeat(np.arange(k), n_per)
    x = centres[labels] + rng.standard_normal((len(labels), dim))
    return x.astype(np.float32), labels


def knn_accuracy(coords: np.ndarray, labels: np.ndarray) -> float:
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    return float(cross_val_score(KNeighborsClassifier(10), coords, labels, cv=5).mean())


# --- neighbours --------------------------------------------------------------------------------
def test_nearest_neighbours_match_a_full_distance_matrix():
    rng = np.random.default_rng(3)
    pts = rng.standard_normal((200, 20)).astype(np.float32)
    ind, dist = nearest_neighbours(pts, 7)
    full = np.sqrt(((pts[:, None, :].astype(np.float64) - pts[None]) ** 2).sum(-1))
    np.fill_diagonal(full, np.inf)
    ref = np.argsort(full, axis=1)[:, :7]
    assert ind.shape == (200, 7) and dist.dtype == np.float32
    assert np.array_equal(ind, ref)
    np.testing.assert_allclose(dist, np.take_along_axis(full, ref, 1), rtol=1e-4, atol=1e-4)
    own_i, own_d = with_self(ind, dist)
    assert np.array_equal(own_i[:, 0], np.arange(200)) and np.all(own_d[:, 0] == 0)


def test_cosine_neighbours_are_euclidean_neighbours_of_unit_rows():
    rng = np.random.default_rng(4)
    a = (rng.standard_normal((150, 12)) * rng.uniform(0.1, 9, (150, 1))).astype(np.float32)
    reduced = prepare(a, "cosine", n_components=50)
    assert reduced.explained_variance is None  # 12 wide: no PCA
    ind, _ = nearest_neighbours(reduced.points, 5)
    cos = cosine_similarity(a)
    np.fill_diagonal(cos, -np.inf)
    assert np.array_equal(ind, np.argsort(-cos, axis=1, kind="stable")[:, :5])
    np.testing.assert_allclose(np.linalg.norm(unit_rows(a), axis=1), 1.0, rtol=1e-5)


# --- maps -------------------------------------------------------------------------------------
def test_pca_tsne_is_a_method_with_a_label():
    assert "pca-tsne" in METHODS and METHOD_LABELS["pca-tsne"] == "PCA → t-SNE"


@pytest.mark.parametrize("k", [3, 20])
def test_pca_tsne_explained_variance_is_sklearn_pcas(k):
    from sklearn.decomposition import PCA

    x, _ = blobs(40, 5, 30)
    result = project(x, "pca-tsne", seed=0, pca_components=k, max_iter=60,
                     early_exaggeration_iter=30)
    expected = PCA(n_components=k).fit(x.astype(np.float64)).explained_variance_ratio_.sum()
    assert result.method == "pca-tsne" and result.params["pca_components"] == k
    assert result.pca_explained_variance == pytest.approx(expected, rel=1e-4)
    assert result.coords.shape == (len(x), 2) and result.coords.dtype == np.float32


def test_pca_tsne_with_more_components_than_features_keeps_all_variance():
    x, _ = blobs(20, 3, 6)
    result = project(x, "pca-tsne", seed=0, pca_components=20, max_iter=40,
                     early_exaggeration_iter=20)
    assert result.pca_explained_variance == 1.0 and result.params["pca_components"] == 6
    assert "6 components" in result.note


@pytest.mark.parametrize("method", ["tsne", "pca-tsne"])
def test_tsne_maps_are_seeded_and_separate_blobs(method):
    x, labels = blobs()
    a = project(x, method, seed=7)
    b = project(x, method, seed=7)
    c = project(x, method, seed=8)
    assert np.array_equal(a.coords, b.coords)
    assert not np.array_equal(a.coords, c.coords)
    assert knn_accuracy(a.coords, labels) >= 0.95
    assert 0.0 < (a.pca_explained_variance or 1.0) <= 1.0


@pytest.mark.slow
def test_umap_map_is_seeded_and_separates_blobs():
    x, labels = blobs()
    a = project(x, "umap", seed=3)
    b = project(x, "umap", seed=3)
    assert np.array_equal(a.coords, b.coords)
    assert knn_accuracy(a.coords, labels) >= 0.95
    assert a.params["n_epochs"] == 200 and a.params["pca_components"] == 30


def test_layout_is_shown_while_it_forms():
    x, _ = blobs(80, 4, 10)
    frames: list[tuple[np.ndarray, float]] = []
    result = project(x, "tsne", seed=0, on_layout=lambda c, f: frames.append((c, f)))
    assert frames, "no intermediate layout was shown"
    fractions = [f for _, f in frames]
    assert fractions[0] == 0.0 and fractions == sorted(fractions) and fractions[-1] <= 1.0
    assert all(c.shape == (len(x), 2) and c.dtype == np.float32 for c, _ in frames)
    assert not np.array_equal(frames[0][0], result.coords)  # a copy, not the final array


def test_stopping_mid_layout_cancels():
    from reprviz_gui.core.errors import Cancelled

    x, _ = blobs(80, 4, 10)
    seen = []

    def stop() -> bool:
        return len(seen) > 0  # stop once the first layout was shown

    with pytest.raises(Cancelled):
        project(x, "tsne", seed=0, on_layout=lambda c, f: seen.append(f), should_stop=stop)
    assert seen == [0.0]


# --- cosine -----------------------------------------------------------------------------------
def test_cosine_matrix_is_complete_when_it_fits():
    x, _ = blobs(30, 3, 8)
    result = cosine_matrix(x)
    assert not result.sampled and result.note == ""
    assert np.array_equal(result.rows, np.arange(len(x)))
    np.testing.assert_array_equal(result.matrix, cosine_similarity(x))


def test_cosine_matrix_is_sampled_with_a_note_when_it_does_not_fit(monkeypatch):
    from sklearn.metrics.pairwise import cosine_similarity as sk_cosine

    rng = np.random.default_rng(5)
    x = rng.standard_normal((2000, 16)).astype(np.float32)
    monkeypatch.setenv("REPRVIZ_MEMORY_LIMIT_MB", "4")  # 4 MiB: at most 1,024 × 1,024
    with pytest.raises(Exception):
        cosine_similarity(x)  # the full one is refused...
    result = cosine_matrix(x)  # ...the sampled one is not
    m = len(result.rows)
    assert result.sampled and m == 1024 and result.n_total == 2000
    assert result.matrix.shape == (m, m) and result.matrix.dtype == np.float32
    assert np.all(np.diff(result.rows) > 0)  # increasing: class groups keep their order
    assert "1,024 of the 2,000" in result.note and "sampled" in result.note
    np.testing.assert_allclose(result.matrix, sk_cosine(x[result.rows]), atol=1e-5)


def test_cosine_matrix_max_n_and_sample_rows_spread():
    x = np.random.default_rng(6).standard_normal((1000, 4)).astype(np.float32)
    result = cosine_matrix(x, max_n=100, seed=1)
    assert len(result.rows) == 100 and "at most 100" in result.note
    rows = sample_rows(1000, 100, seed=1)
    assert np.array_equal(rows, result.rows)
    assert np.array_equal(np.arange(100), rows // 10)  # one from each tenth


def test_within_between_matches_masks():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((300, 10)).astype(np.float32)
    labels = rng.integers(0, 4, 300)
    cos = cosine_similarity(x)
    same = labels[:, None] == labels[None, :]
    np.fill_diagonal(same, False)
    diff = labels[:, None] != labels[None, :]
    got = within_between_similarity(cos, labels)
    assert got["within_class"] == pytest.approx(float(cos[same].mean()), abs=1e-6)
    assert got["between_class"] == pytest.approx(float(cos[diff].mean()), abs=1e-6)
    assert within_between_similarity(cos, np.zeros(300))["between_class"] is None


# --- numba cache ------------------------------------------------------------------------------
def test_cache_dirs_follow_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.delenv("REPRVIZ_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert jit_cache.user_cache_dir() == tmp_path / "xdg" / "reprviz"
    monkeypatch.setenv("REPRVIZ_CACHE_DIR", str(tmp_path / "mine"))
    assert jit_cache.numba_cache_dir() == tmp_path / "mine" / "numba"
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "theirs"))
    assert jit_cache.numba_cache_dir() == tmp_path / "theirs"  # the user's own setting wins


def test_use_persistent_numba_cache_creates_and_sets(monkeypatch, tmp_path):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("REPRVIZ_CACHE_DIR", str(tmp_path / "c"))
    folder = jit_cache.use_persistent_numba_cache()
    assert folder == tmp_path / "c" / "numba" and folder.is_dir()
    assert os.environ["NUMBA_CACHE_DIR"] == str(folder)
    monkeypatch.undo()  # and let an already imported numba forget the temporary folder
    if "numba" in sys.modules:
        from numba.core import config

        config.reload_config()


def test_unusable_cache_dir_is_skipped(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("REPRVIZ_CACHE_DIR", str(blocker))
    assert jit_cache.use_persistent_numba_cache() is None
    assert "NUMBA_CACHE_DIR" not in os.environ


_MAP_SCRIPT = """
import numpy as np
from reprviz_gui.core.analysis.projection import project
x = np.random.default_rng(0).standard_normal((120, 8)).astype(np.float32)
print(project(x, "umap", seed=0, n_epochs=30).coords.sum())
"""


@pytest.mark.slow
def test_umap_kernels_are_cached_on_disk_and_reused(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"), NUMBA_DEBUG_CACHE="1")
    env.pop("REPRVIZ_CACHE_DIR", None)
    first = subprocess.run([sys.executable, "-c", _MAP_SCRIPT], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr[-2000:]
    layout_index = list((tmp_path / "numba").glob(
        "umap_*/layouts._optimize_layout_euclidean_single_epoch-*.nbi"))
    assert layout_index, "umap's layout kernel was not written to the cache folder"
    second = subprocess.run([sys.executable, "-c", _MAP_SCRIPT], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr[-2000:]
    loaded = [ln for ln in second.stdout.splitlines() if "data loaded" in ln and "umap_" in ln]
    saved = [ln for ln in second.stdout.splitlines() if "data saved" in ln and "umap_" in ln]
    assert any("_optimize_layout_euclidean_single_epoch" in ln for ln in loaded)
    assert any("smooth_knn_dist" in ln for ln in loaded)
    assert not saved, f"the second process compiled again: {saved[:3]}"
    assert first.stdout.splitlines()[-1] == second.stdout.splitlines()[-1]  # same map


def test_approximate_neighbours_find_most_exact_ones_and_never_the_row_itself(monkeypatch):
    pytest.importorskip("faiss")
    from reprviz_gui.core.analysis import neighbors

    rng = np.random.default_rng(0)
    centres = rng.normal(0, 5, (8, 10))
    x = (centres[rng.integers(0, 8, 3000)] + rng.normal(0, 1, (3000, 10))).astype(np.float32)
    x[1] = x[0]  # a duplicate: still not its own neighbour
    exact_i, exact_d = neighbors.nearest_neighbours(x, 10)
    monkeypatch.setattr(neighbors, "APPROXIMATE_FROM", 1000)
    ind, dist = neighbors.nearest_neighbours(x, 10)
    assert ind.shape == (3000, 10) and dist.dtype == np.float32
    assert not (ind == np.arange(3000)[:, None]).any() and ind[0, 0] == 1
    assert (np.diff(dist, axis=1) >= -1e-5).all()  # in order of distance
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ind, exact_i)])
    assert recall > 0.9
    same_first = np.isclose(dist[:, 0], exact_d[:, 0], rtol=1e-3, atol=1e-3)
    assert same_first.mean() > 0.99  # the distances are true ones, the nearest nearly always
    assert (dist[:, 0] >= exact_d[:, 0] - 1e-3).all()
    again = neighbors.nearest_neighbours(x, 10)
    assert np.array_equal(again[0], ind)  # seeded: the same table


def test_approximate_search_in_blocks_gives_the_same_table_reports_and_stops(monkeypatch):
    """100,000 rows searched in one call gave no progress and no cancel for seconds: the search
    goes in blocks, the same table, progress said within its span, a stop landing between."""
    pytest.importorskip("faiss")
    from reprviz_gui.core.analysis import neighbors
    from reprviz_gui.core.errors import Cancelled

    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, (2500, 8)).astype(np.float32)
    monkeypatch.setattr(neighbors, "APPROXIMATE_FROM", 1000)
    whole = neighbors.nearest_neighbours(x, 5)  # one block (2,500 < SEARCH_BLOCK)
    monkeypatch.setattr(neighbors, "SEARCH_BLOCK", 700)
    seen = []
    blocks = neighbors.nearest_neighbours(x, 5, on_progress=seen.append, span=(0.05, 0.2))
    assert np.array_equal(blocks[0], whole[0]) and np.array_equal(blocks[1], whole[1])
    assert [round(p.fraction, 4) for p in seen] == [
        round(0.05 + 0.15 * hi / 2500, 4) for hi in (700, 1400, 2100, 2500)]
    assert seen[-1].message == "Nearest neighbours: 2,500 of 2,500 rows"
    with pytest.raises(Cancelled):
        neighbors.nearest_neighbours(x, 5, on_progress=seen.append,
                                     should_stop=lambda: len(seen) > 4)
    assert len(seen) == 5  # stopped after the first block of the second search


def test_a_large_maps_neighbour_search_is_in_its_progress_and_can_be_stopped(monkeypatch):
    pytest.importorskip("faiss")
    from reprviz_gui.core.analysis import neighbors
    from reprviz_gui.core.errors import Cancelled

    x, _ = blobs(600, 4, 10)
    monkeypatch.setattr(neighbors, "APPROXIMATE_FROM", 1000)
    monkeypatch.setattr(neighbors, "SEARCH_BLOCK", 256)
    seen, frames = [], []
    with pytest.raises(Cancelled):
        project(x, "tsne", seed=0, on_progress=seen.append, on_layout=lambda c, f: frames.append(f),
                should_stop=lambda: any("Nearest" in p.message for p in seen))
    assert [p.message for p in seen][1:] == [
        "10 values a row; nearest neighbours of 2,400 rows…",
        "Nearest neighbours: 256 of 2,400 rows"]
    assert frames == []  # stopped before the layout began
