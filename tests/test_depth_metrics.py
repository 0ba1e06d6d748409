"""Layer metrics, map quality and model difference (core/analysis/depth.py, map_quality.py,
difference.py) against references computed another way."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import ortho_group, spearmanr
from sklearn.datasets import load_digits
from sklearn.manifold import trustworthiness as sk_trust

from reprviz_gui.core.analysis import depth, difference, map_quality
from reprviz_gui.core.errors import Cancelled


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    return d.data.astype(np.float32), d.target.astype(np.int64)


# --- layer metrics ----------------------------------------------------------------------------
def test_held_out_split_is_stratified_and_disjoint(digits):
    _, y = digits
    fit, score = depth.held_out_split(y)
    assert len(np.intersect1d(fit, score)) == 0 and len(fit) + len(score) == len(y)
    assert abs(len(fit) / len(y) - 0.7) < 0.01
    for c in range(10):  # every class in both parts, in proportion
        assert abs(np.mean(y[score] == c) - np.mean(y == c)) < 0.01


def test_knn_accuracy_against_a_hand_written_vote(digits):
    x, y = digits
    fit, score = depth.held_out_split(y)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    sim = unit[score] @ unit[fit].T
    near = np.argsort(-sim, axis=1, kind="stable")[:, :10]
    votes = np.array([np.bincount(y[fit][row], minlength=10).argmax() for row in near])
    assert depth.knn_accuracy(x, y, fit, score) == pytest.approx(np.mean(votes == y[score]),
                                                                  abs=2 / len(score))
    assert depth.knn_accuracy(x, y, fit, score) > 0.95


def test_probe_separates_informative_from_noise(digits):
    x, y = digits
    fit, score = depth.held_out_split(y)
    assert depth.probe_accuracy(x, y, fit, score) > 0.93
    noise = np.random.default_rng(0).standard_normal(x.shape).astype(np.float32)
    assert depth.probe_accuracy(noise, y, fit, score) < 0.25
    # standardised inputs: scaling one pixel by 1e4 changes nothing
    scaled = x.copy()
    scaled[:, 20] *= 1e4
    assert depth.probe_accuracy(scaled, y, fit, score) == pytest.approx(
        depth.probe_accuracy(x, y, fit, score), abs=0.01)


def test_dead_units_and_zeros():
    a = np.array([[0, 1, 0, 2], [0, 0, 0, 3], [0, 5, 0, 0]], dtype=np.float32)
    assert depth.dead_units_and_zeros(a) == (2, pytest.approx(8 / 12))


@pytest.mark.parametrize("d", [2, 5, 10])
def test_two_nn_recovers_known_dimension(d):
    rng = np.random.default_rng(d)
    z = rng.random((2500, d))  # a d-dimensional cube, embedded linearly in 60 dimensions
    x = z @ rng.standard_normal((d, 60))
    assert depth.intrinsic_dimension(x) == pytest.approx(d, rel=0.15)


def test_reduce_width_keeps_narrow_layers_and_projects_wide_ones():
    a = np.random.default_rng(0).random((50, 30)).astype(np.float32)
    same, reduced = depth.reduce_width(a, max_units=64)
    assert reduced is None and np.array_equal(same, a)
    wide = np.random.default_rng(1).random((300, 3000)).astype(np.float32)
    small, reduced = depth.reduce_width(wide, max_units=1024)
    assert small.shape == (300, 1024) and reduced == 1024
    # Johnson–Lindenstrauss: pairwise distances kept within a few per cent
    d0 = np.linalg.norm(wide[:20, None] - wide[None, :20], axis=2)[np.triu_indices(20, 1)]
    d1 = np.linalg.norm(small[:20, None] - small[None, :20], axis=2)[np.triu_indices(20, 1)]
    assert np.max(np.abs(d1 / d0 - 1)) < 0.15


def test_depth_metrics_every_layer_and_cancel(digits):
    x, y = digits
    rng = np.random.default_rng(0)
    layers = {"input": x, "noise": rng.standard_normal((len(x), 16)).astype(np.float32)}
    rows = depth.depth_metrics(list(layers), layers.__getitem__, y)
    assert [r.layer for r in rows] == ["input", "noise"]
    assert rows[0].probe_accuracy > rows[1].probe_accuracy + 0.5
    assert rows[0].knn_accuracy > rows[1].knn_accuracy + 0.5
    assert rows[0].units == 64 and rows[0].dead_units == int((x.max(axis=0) == 0).sum()) > 0
    with pytest.raises(Cancelled):
        depth.depth_metrics(list(layers), layers.__getitem__, y, should_stop=lambda: True)


# --- map quality ------------------------------------------------------------------------------
def _layer_and_map(n=400, seed=0):
    rng = np.random.default_rng(seed)
    layer = rng.standard_normal((n, 12))
    unit = layer / np.linalg.norm(layer, axis=1, keepdims=True)
    coords = unit[:, :2] + 0.2 * rng.standard_normal((n, 2))  # a lossy map
    return layer, unit, coords


def test_trustworthiness_and_continuity_match_sklearn():
    layer, unit, coords = _layer_and_map()
    q = map_quality.map_quality(layer, coords)
    assert q.trustworthiness == pytest.approx(sk_trust(unit, coords, n_neighbors=10), abs=1e-12)
    assert q.continuity == pytest.approx(sk_trust(coords, unit, n_neighbors=10), abs=1e-12)
    assert q.trustworthiness < 0.95 and q.n_scored == 400


def test_isometric_map_scores_one():
    rng = np.random.default_rng(1)
    plane = rng.standard_normal((300, 2))
    layer = np.hstack([plane, np.zeros((300, 3))]) @ ortho_group.rvs(5, random_state=2)
    assert map_quality.trustworthiness(layer, 3.0 * plane) == pytest.approx(1.0)
    assert map_quality.trustworthiness(3.0 * plane, layer) == pytest.approx(1.0)
    assert np.all(map_quality.overlap(map_quality.knn_indices(layer),
                                      map_quality.knn_indices(plane)) == 1.0)


def test_neighbours_kept_per_point_against_a_direct_count():
    layer, unit, coords = _layer_and_map(200, 3)
    q = map_quality.map_quality(layer, coords, params={"method": "pca", "seed": 0})
    d_hi = np.linalg.norm(unit[:, None] - unit[None], axis=2)
    d_lo = np.linalg.norm(coords[:, None] - coords[None], axis=2)
    np.fill_diagonal(d_hi, np.inf)
    np.fill_diagonal(d_lo, np.inf)
    hi = np.argsort(d_hi, axis=1)[:, :10]
    lo = np.argsort(d_lo, axis=1)[:, :10]
    expected = [len(set(a) & set(b)) / 10 for a, b in zip(hi, lo)]
    np.testing.assert_allclose(q.kept, expected)
    worst = q.worst(0.05)
    assert len(worst) == 10 and q.kept[worst].max() <= np.sort(q.kept)[9]
    assert "method pca" in q.text() and q.summary()["points_scored"] == 200


def test_map_quality_scores_at_most_max_points():
    layer, unit, coords = _layer_and_map(300, 4)
    q = map_quality.map_quality(layer, coords, max_points=120)
    assert q.n_scored == 120 and q.n_points == 300 and len(q.kept) == 300
    assert "120 of 300" in q.text()


# --- model difference -------------------------------------------------------------------------
def test_agreement_cells():
    y = np.array([0, 1, 2, 0, 1, 2])
    a = np.array([0, 1, 0, 1, 1, 2])
    b = np.array([0, 0, 2, 1, 1, 0])
    ag = difference.agreement(y, a, b)
    assert {k: v.tolist() for k, v in ag.cells.items()} == {
        "both right": [0, 4], "only A right": [1, 5], "only B right": [2], "both wrong": [3]}
    assert ag.table().tolist() == [[2, 2], [1, 1]]


def test_neighbourhood_change_jaccard():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((150, 8))
    same = difference.neighbourhood_change(a, a @ ortho_group.rvs(8, random_state=0) * 4)
    assert np.allclose(same, 1.0)
    other = rng.standard_normal((150, 5))
    j = difference.neighbourhood_change(a, other)
    na = map_quality.knn_indices(a / np.linalg.norm(a, axis=1, keepdims=True))
    nb = map_quality.knn_indices(other / np.linalg.norm(other, axis=1, keepdims=True))
    ref = [len(set(x) & set(y)) / len(set(x) | set(y)) for x, y in zip(na, nb)]
    np.testing.assert_allclose(j, ref)
    assert j.mean() < 0.3


def test_similarity_vs_confusion_against_scipy():
    rng = np.random.default_rng(0)
    c, n = 5, 500
    y = np.repeat(np.arange(c), n // c)
    centres = rng.standard_normal((c, 6)) + 3
    acts = centres[y] + rng.standard_normal((n, 6))
    pred = y.copy()
    flip = rng.random(n) < 0.3
    pred[flip] = rng.integers(0, c, flip.sum())
    r = difference.similarity_vs_confusion(acts, y, pred, c, tuple("abcde"))
    assert len(r.pairs) == c * (c - 1)
    sims, rates = [], []
    for i in range(c):
        for j in range(c):
            if i != j:
                mi, mj = acts[y == i].mean(0), acts[y == j].mean(0)
                sims.append(mi @ mj / np.linalg.norm(mi) / np.linalg.norm(mj))
                rates.append(np.sum((y == i) & (pred == j)) / np.sum(y == i))
    np.testing.assert_allclose(r.similarity, sims, rtol=1e-5)
    np.testing.assert_allclose(r.confusion_rate, rates)
    # sim(i, j) == sim(j, i): rounding makes the reference's pairs tie as exactly as they should
    assert r.rho == pytest.approx(spearmanr(np.round(sims, 5), rates).statistic, abs=1e-9)
    assert r.summary()["points"][0]["true"] == "a"


def test_map_quality_of_a_handful_of_points_uses_fewer_neighbours():
    layer, unit, coords = _layer_and_map(15, 5)
    q = map_quality.map_quality(layer, coords)
    assert q.k == 7
    assert q.trustworthiness == pytest.approx(sk_trust(unit, coords, n_neighbors=7), abs=1e-12)
