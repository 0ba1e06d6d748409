"""The steps a large map takes to stay cheap (issue 18, the 70,000-image map): the PCA fitted on
spread rows and applied in blocks, the PCA start read off the reduced rows, the pixels made
float32 in one pass (the threads: tests/test_threads.py). Numbers against references
computed another way; no timings."""

from __future__ import annotations

import numpy as np
import pytest

from reprviz_gui.core.analysis import layouts, neighbors
from reprviz_gui.core.analysis.neighbors import pca_reduce, prepare, unit_rows
from reprviz_gui.core.analysis.similarity import sample_rows


def rows(n: int = 3000, d: int = 40, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    scales = 10.0 * 0.7 ** np.arange(d)  # a clear order of components
    return (rng.standard_normal((n, d)) * scales + 3.0).astype(np.float32)


def test_large_pca_is_fitted_on_spread_rows_and_applied_to_all(monkeypatch):
    from sklearn.decomposition import PCA

    a = rows()
    monkeypatch.setattr(neighbors, "PCA_FIT_ROWS", 1000)
    monkeypatch.setattr(neighbors, "PCA_BLOCK", 700)  # blocks that do not divide N
    got = prepare(a, "cosine", 10, seed=3)
    ref = PCA(10, random_state=3).fit(unit_rows(a[sample_rows(3000, 1000, 3)]))
    assert got.points.shape == (3000, 10) and got.points.dtype == np.float32
    np.testing.assert_allclose(got.points, ref.transform(unit_rows(a)), rtol=1e-4, atol=1e-4)
    assert got.unit and got.explained_variance == pytest.approx(
        float(ref.explained_variance_ratio_.sum()), rel=1e-5)
    # new rows go through the same fitted PCA
    np.testing.assert_allclose(got.transform(a[:5]), got.points[:5], rtol=1e-4, atol=1e-4)
    # and the subspace is that of the full fit: the first components agree up to sign
    full = PCA(10, random_state=3).fit(unit_rows(a))
    cos = np.abs(np.sum(full.components_[:3] * got.pca.components_[:3], axis=1))
    assert (cos > 0.99).all()


def test_small_pca_is_fitted_on_every_row_as_before():
    from sklearn.decomposition import PCA

    a = rows(500)
    got = pca_reduce(a, 8, seed=1)
    np.testing.assert_allclose(got.points, PCA(8, random_state=1).fit_transform(a),
                               rtol=1e-4, atol=1e-4)
    narrow = prepare(a[:, :6], "cosine", 8)  # narrower than asked: unit rows, no PCA
    assert narrow.explained_variance is None and narrow.pca is None
    np.testing.assert_allclose(narrow.points, unit_rows(a[:, :6]))


def test_umap_pca_start_of_principal_rows_is_their_first_two_columns(monkeypatch):
    """The PCA start of rows already reduced by PCA is their first two columns: the start a
    second PCA of them gives, without fitting one."""
    from reprviz_gui.core.analysis.neighbors import nearest_neighbours

    layouts.import_umap()
    import umap.layouts

    starts = []

    def no_epochs(embedding, *args, **kwargs):  # the start, as the optimiser receives it
        starts.append(np.array(embedding))
        return embedding

    monkeypatch.setattr(umap.layouts, "optimize_layout_euclidean", no_epochs)
    reduced = prepare(rows(600, 20), "euclidean", 10)
    ind, dist = nearest_neighbours(reduced.points, 9)
    args = (reduced.points, ind, dist)
    kw = dict(n_neighbors=10, seed=0, n_epochs=5, init="pca")
    layouts.umap_layout(*args, **kw)

    import sklearn.decomposition

    def refuse(*a, **k):
        raise AssertionError("a second PCA was fitted")

    monkeypatch.setattr(sklearn.decomposition, "PCA", refuse)
    _, init, _ = layouts.umap_layout(*args, principal=True, **kw)
    assert init == "pca" and len(starts) == 2
    np.testing.assert_allclose(starts[1], starts[0], atol=1e-3)  # 0-10 coordinates


def test_image_inputs_are_float32_pixels_over_255_in_one_array():
    from reprviz_gui.core.data.samples import make_sample_set
    from reprviz_gui.core.data.types import Dataset
    from reprviz_gui.core.pipeline import INPUT_LAYER, layer_activations

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (50, 4, 4), dtype=np.uint8)
    y = rng.integers(0, 3, 50)
    ds = Dataset(name="t", kind="image", x_train=x[:10], y_train=y[:10], x_test=x, y_test=y,
                 class_names=["a", "b", "c"], provenance="test")
    samples = make_sample_set(ds, 50, "test", seed=0)
    acts, _ = layer_activations(None, ds, samples, INPUT_LAYER)
    ref = x[samples.indices].reshape(50, -1).astype(np.float32) / np.float32(255.0)
    assert acts.dtype == np.float32 and acts.flags.c_contiguous
    assert np.array_equal(acts, ref)
    assert not np.shares_memory(acts, ds.x_test)


def test_within_between_from_rows_is_the_matrix_s():
    from reprviz_gui.core.analysis.similarity import (cosine_similarity, within_between_of_rows,
                                                      within_between_similarity)

    rng = np.random.default_rng(2)
    a = rng.standard_normal((300, 12)).astype(np.float32)
    a[7] = 0.0  # an all-zero row: cosine 0 with everything, itself too
    labels = rng.integers(0, 4, 300) * 3  # codes that are not 0..C-1
    want = within_between_similarity(cosine_similarity(a), labels)
    got = within_between_of_rows(a, labels)
    assert got["within_class"] == pytest.approx(want["within_class"], abs=1e-6)
    assert got["between_class"] == pytest.approx(want["between_class"], abs=1e-6)


def test_analyze_without_figures_makes_no_cosine_matrix_and_reports_the_same(tmp_path,
                                                                            monkeypatch):
    from reprviz_gui.core import pipeline
    from reprviz_gui.core.io import report as report_module
    from reprviz_gui.core.io.report import AnalyzeOptions, analyze

    monkeypatch.setattr(report_module, "SAMPLED_STEPS_MAX", 60)  # digits' test split: 360
    common = dict(data="digits", model="none", samples="all", projection="pca", seed=3,
                  history=False, measures=False)
    made = []
    real = pipeline.cosine_matrix
    monkeypatch.setattr(pipeline, "cosine_matrix", lambda *a, **k: made.append(1) or real(*a, **k))
    with_png = analyze(AnalyzeOptions(out=tmp_path / "png", figures=True, **common))
    assert made == [1]
    without = analyze(AnalyzeOptions(out=tmp_path / "none", figures=False, **common))
    assert made == [1]  # the second run made none
    for key in ("within_class", "between_class"):
        assert without["similarity"][key] == pytest.approx(with_png["similarity"][key], abs=1e-6)
    assert any("Cosine matrix of 60 of the" in note for note in without["notes"])
