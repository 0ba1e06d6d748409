"""analysis: cosine matrices, projections and the capitals' nearest countries."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.metrics.pairwise import cosine_similarity as sk_cosine

from reprviz_gui.core import analysis
from reprviz_gui.core.errors import ReprvizError, ResourceLimitError
from reprviz_gui.core.progress import Progress

CAPITALS = Path(__file__).resolve().parents[1] / "resources" / "data" / "capitals" / "capitals.csv"


def _clusters(n=120, d=20, k=4, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((k, d)) * 3
    labels = np.sort(rng.integers(0, k, n))
    x = centers[labels] + rng.standard_normal((n, d))
    return np.maximum(x, 0).astype(np.float32), labels


# --- cosine ----------------------------------------------------------------------------------
def test_cosine_matches_sklearn_and_is_float32():
    x, _ = _clusters()
    x[3] = 0.0  # an all-zero row must not produce NaN
    cos = analysis.cosine_similarity(x)
    assert cos.dtype == np.float32
    assert cos.shape == (len(x), len(x))
    np.testing.assert_allclose(cos, sk_cosine(x.astype(np.float64)), atol=1e-5)
    assert np.isfinite(cos).all()
    assert cos[3].max() == 0.0


def test_cosine_accepts_images_and_ints():
    x = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    cos = analysis.cosine_similarity(x)
    np.testing.assert_allclose(cos, sk_cosine(x.reshape(2, -1).astype(float)), atol=1e-5)


def test_cosine_rejects_nan():
    x = np.ones((4, 3), np.float32)
    x[1, 1] = np.nan
    with pytest.raises(ReprvizError, match="NaN"):
        analysis.cosine_similarity(x)


def test_cosine_refused_before_allocating(monkeypatch):
    monkeypatch.setenv("REPRVIZ_MEMORY_LIMIT_MB", "1")
    # 100,000 x 1 float32 is tiny; its cosine matrix would be 37 GiB. It must be refused up front
    # (if it were not, this test would run out of memory rather than fail politely).
    x = np.ones((100_000, 1), np.float32)
    with pytest.raises(ResourceLimitError, match="cosine matrix of 100,000 samples"):
        analysis.cosine_similarity(x)


def test_centroid_similarity_matches_manual_reference():
    x, labels = _clusters(k=4)
    keep = labels != 2  # class 2 absent
    x, labels = x[keep], labels[keep]
    got = analysis.centroid_similarity(x, labels, 5)
    assert got.dtype == np.float32 and got.shape == (5, 5)
    for c in (2, 4):
        assert np.isnan(got[c]).all() and np.isnan(got[:, c]).all()
    present = [0, 1, 3]
    means = np.stack([x[labels == c].astype(np.float64).mean(0) for c in present])
    means /= np.linalg.norm(means, axis=1, keepdims=True)
    np.testing.assert_allclose(got[np.ix_(present, present)], means @ means.T, atol=1e-5)


def test_within_between():
    x, labels = _clusters()
    stats = analysis.within_between_similarity(analysis.cosine_similarity(x), labels)
    assert stats["within_class"] > stats["between_class"]


# --- projections -----------------------------------------------------------------------------
def test_pca_matches_sklearn():
    x, _ = _clusters()
    proj = analysis.project(x, "pca", seed=0)
    ref = PCA(n_components=2, random_state=0)
    ref_coords = ref.fit_transform(x)
    assert proj.coords.dtype == np.float32 and proj.coords.shape == (len(x), 2)
    assert proj.method == "pca"
    np.testing.assert_allclose(proj.explained_variance, ref.explained_variance_ratio_, atol=1e-5)
    for j in range(2):  # components are defined up to sign
        sign = np.sign(np.dot(proj.coords[:, j], ref_coords[:, j]))
        np.testing.assert_allclose(proj.coords[:, j], sign * ref_coords[:, j], atol=1e-3)


def test_progress_reported_and_cancel_honoured():
    x, _ = _clusters()
    seen: list[Progress] = []
    analysis.project(x, "pca", on_progress=seen.append)
    assert [p.stage for p in seen] == ["project", "project"]
    assert seen[0].fraction == 0.0 and seen[-1].fraction == 1.0
    from reprviz_gui.core.errors import Cancelled

    with pytest.raises(Cancelled):
        analysis.project(x, "tsne", should_stop=lambda: True)


@pytest.mark.parametrize("method", ["mds", "tsne"])
def test_mds_tsne_shape_and_seeded(method):
    x, _ = _clusters(n=80)
    a = analysis.project(x, method, seed=3, max_iter=250)
    b = analysis.project(x, method, seed=3, max_iter=250)
    assert a.coords.shape == (80, 2) and a.coords.dtype == np.float32
    assert np.isfinite(a.coords).all()
    assert a.explained_variance is None
    np.testing.assert_array_equal(a.coords, b.coords)


def test_mds_preserves_cosine_structure():
    x, labels = _clusters(n=60, k=3)
    coords = analysis.project(x, "mds").coords
    d = np.linalg.norm(coords[:, None] - coords[None], axis=2)
    same = labels[:, None] == labels[None]
    assert d[same].mean() < 0.5 * d[~same].mean()


@pytest.mark.slow
def test_umap_seeded_repeatable():
    x, _ = _clusters(n=150)
    a = analysis.project(x, "umap", seed=1)
    b = analysis.project(x, "umap", seed=1)
    assert a.coords.shape == (150, 2) and a.coords.dtype == np.float32
    np.testing.assert_allclose(a.coords, b.coords, atol=1e-5)


@pytest.mark.parametrize("method", ["pca", "mds", "tsne"])
def test_degenerate_inputs(method):
    with pytest.raises(ReprvizError, match="at least 3 samples"):
        analysis.project(np.ones((2, 4)), method)
    const = analysis.project(np.ones((10, 4)), method)
    assert (const.coords == 0).all() and const.note
    tiny = analysis.project(np.random.default_rng(0).random((4, 1)), method)
    assert tiny.coords.shape == (4, 2) and np.isfinite(tiny.coords).all()


def test_unknown_method():
    with pytest.raises(ReprvizError, match="Unknown projection"):
        analysis.project(np.ones((5, 2)), "lda")


def test_mds_memory_refusal(monkeypatch):
    monkeypatch.setenv("REPRVIZ_MEMORY_LIMIT_MB", "1")
    with pytest.raises(ResourceLimitError):
        analysis.project(np.random.default_rng(0).random((2000, 3)), "mds")


# --- word tables -----------------------------------------------------------------------------
def _load_capitals():
    with open(CAPITALS, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["word", "kind", "country"]
    words = [r[0] for r in body]
    kinds = [r[1] for r in body]
    groups = [r[2] for r in body]
    vectors = np.array([[float(v) for v in r[3:]] for r in body], dtype=np.float32)
    return vectors, words, kinds, groups


def test_capitals_nearest_country_is_own():
    vectors, words, kinds, groups = _load_capitals()
    assert vectors.shape == (48, 384)
    rows = analysis.nearest_by_group(vectors, words, kinds, "capital", "country", groups=groups)
    assert len(rows) == 24
    assert sum(r["own"] for r in rows) == 24
    paris = next(r for r in rows if r["word"] == "paris")
    assert paris["nearest"] == "france" and paris["own_rank"] == 1
    assert all(-1 <= r["similarity"] <= 1 for r in rows)
    summary = analysis.group_similarity_summary(vectors, kinds, groups)
    assert summary["mean_own"] == pytest.approx(0.74, abs=0.01)
    assert summary["mean_other"] == pytest.approx(0.39, abs=0.01)


def test_nearest_by_group_without_groups_and_bad_kinds():
    vectors, words, kinds, _ = _load_capitals()
    rows = analysis.nearest_by_group(vectors, words, kinds)
    assert set(rows[0]) == {"word", "nearest", "similarity"}
    with pytest.raises(ReprvizError, match="city"):
        analysis.nearest_by_group(vectors, words, kinds, "city", "country")
