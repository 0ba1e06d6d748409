"""metrics.py against scikit-learn as the reference."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from reprviz_gui.core.analysis import metrics


def _labels(seed: int, n: int, c: int, skew: bool = False):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, c, n)
    # mostly right, with structured mistakes so some pairs are confused more than others
    y_pred = y_true.copy()
    wrong = rng.random(n) < 0.3
    y_pred[wrong] = (y_true[wrong] + rng.integers(1, 3, wrong.sum())) % c
    if skew:
        y_pred[y_pred == c - 1] = 0  # class c-1 is never predicted: zero precision denominator
    return y_true, y_pred


@pytest.mark.parametrize("seed,n,c,skew", [(0, 200, 10, False), (1, 57, 3, True),
                                           (2, 5, 4, False), (3, 300, 2, False)])
def test_confusion_matrix_matches_sklearn(seed, n, c, skew):
    y_true, y_pred = _labels(seed, n, c, skew)
    cm = metrics.confusion_matrix(y_true, y_pred, c)
    ref = skm.confusion_matrix(y_true, y_pred, labels=np.arange(c))
    assert cm.dtype == np.int64
    np.testing.assert_array_equal(cm, ref)
    assert cm.sum() == n


@pytest.mark.parametrize("seed,n,c,skew", [(0, 200, 10, False), (1, 57, 3, True),
                                           (2, 5, 4, False), (4, 120, 5, True)])
def test_precision_recall_f1_match_sklearn(seed, n, c, skew):
    y_true, y_pred = _labels(seed, n, c, skew)
    cm = metrics.confusion_matrix(y_true, y_pred, c)
    p, r, f, s = metrics.precision_recall_f1(cm)
    rp, rr, rf, rs = skm.precision_recall_fscore_support(
        y_true, y_pred, labels=np.arange(c), zero_division=0)
    np.testing.assert_allclose(p, rp, atol=1e-12)
    np.testing.assert_allclose(r, rr, atol=1e-12)
    np.testing.assert_allclose(f, rf, atol=1e-12)
    np.testing.assert_array_equal(s, rs)
    np.testing.assert_allclose(metrics.per_class_accuracy(cm), rr, atol=1e-12)


@pytest.mark.parametrize("seed,n,c,skew", [(0, 200, 10, False), (1, 57, 3, True)])
def test_classification_report_matches_sklearn(seed, n, c, skew):
    y_true, y_pred = _labels(seed, n, c, skew)
    names = [f"class {i}" for i in range(c)]
    ours = metrics.classification_report(y_true, y_pred, names)
    ref = skm.classification_report(y_true, y_pred, labels=np.arange(c), target_names=names,
                                    output_dict=True, zero_division=0)
    assert set(ours) == set(ref)
    assert ours["accuracy"] == pytest.approx(ref["accuracy"])
    for key in names + ["macro avg", "weighted avg"]:
        for field in ("precision", "recall", "f1-score", "support"):
            assert ours[key][field] == pytest.approx(ref[key][field], abs=1e-12), (key, field)


def test_absent_class_counts_as_zero_like_sklearn():
    y_true = np.array([0, 0, 1, 1])
    y_pred = np.array([0, 1, 1, 1])
    rep = metrics.classification_report(y_true, y_pred, ["a", "b", "never"])
    assert rep["never"] == {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 0}
    ref = skm.classification_report(y_true, y_pred, labels=[0, 1, 2], target_names=["a", "b", "never"],
                                    output_dict=True, zero_division=0)
    assert rep["macro avg"]["f1-score"] == pytest.approx(ref["macro avg"]["f1-score"])


def test_top_confused_pairs_largest_first_and_no_zeros():
    cm = np.array([[5, 3, 0],
                   [7, 4, 1],
                   [3, 0, 9]])
    assert metrics.top_confused_pairs(cm) == [[1, 0, 7], [0, 1, 3], [2, 0, 3], [1, 2, 1]]
    assert metrics.top_confused_pairs(cm, k=2) == [[1, 0, 7], [0, 1, 3]]
    assert metrics.top_confused_pairs(np.diag([3, 4])) == []


def test_top_confused_pairs_against_a_brute_force_reference():
    y_true, y_pred = _labels(7, 500, 6)
    cm = metrics.confusion_matrix(y_true, y_pred, 6)
    counts: dict[tuple[int, int], int] = {}
    for t, p in zip(y_true, y_pred):
        if t != p:
            counts[(int(t), int(p))] = counts.get((int(t), int(p)), 0) + 1
    ref = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    assert metrics.top_confused_pairs(cm, 10) == [[t, p, c] for (t, p), c in ref]


def test_bad_labels_are_rejected():
    with pytest.raises(ValueError):
        metrics.confusion_matrix([0, 3], [0, 1], 3)
    with pytest.raises(ValueError):
        metrics.confusion_matrix([0, 1, 2], [0, 1], 3)
