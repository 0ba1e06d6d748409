"""Typical inputs: the most typical samples of each class and the most confidently wrong ones,
against a repeated-argmax reference."""

from __future__ import annotations

import numpy as np
import pytest

from reprviz_gui.core.analysis.typical import typical_inputs


def _repeated_argmax(p, candidates, k):
    """Reference: take the argmax, blank it out, repeat (argmax picks the first of equals)."""
    scores = np.full(len(p), -np.inf)
    scores[candidates] = p[candidates]
    picked = []
    for _ in range(min(k, len(candidates))):
        i = int(np.argmax(scores))
        picked.append(i)
        scores[i] = -np.inf
    return picked


def _probabilities(n, c, seed):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(n, c)) * 2
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    p = np.round(p, 2).astype(np.float32)  # rounding makes ties, to check their order
    return p, rng.integers(0, c, n)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_typical_and_wrong_are_the_top_k_by_probability(seed):
    p, labels = _probabilities(200, 4, seed)
    result = typical_inputs(p, labels, k=6, class_names=["a", "b", "c", "d"])
    assert [r.class_index for r in result] == [0, 1, 2, 3]
    assert [r.class_name for r in result] == ["a", "b", "c", "d"]
    for r in result:
        c = r.class_index
        mine = np.flatnonzero(labels == c)
        others = np.flatnonzero(labels != c)
        assert r.typical.tolist() == _repeated_argmax(p[:, c], mine, 6)
        assert r.wrong.tolist() == _repeated_argmax(p[:, c], others, 6)
        np.testing.assert_array_equal(r.typical_probabilities, p[r.typical, c])
        np.testing.assert_array_equal(r.wrong_probabilities, p[r.wrong, c])
        assert np.all(labels[r.typical] == c) and np.all(labels[r.wrong] != c)
        np.testing.assert_array_equal(r.wrong_labels, labels[r.wrong])
        np.testing.assert_array_equal(r.wrong_predicted, p[r.wrong].argmax(axis=1) == c)
        # nothing left out beats the last one chosen
        assert p[np.setdiff1d(mine, r.typical), c].max() <= r.typical_probabilities[-1]


def test_small_classes_give_fewer_and_names_default_to_numbers():
    p = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]], dtype=np.float32)
    labels = np.array([0, 0, 1])
    first, second = typical_inputs(p, labels, k=5)
    assert first.class_name == "0" and first.typical.tolist() == [0, 1]
    assert first.wrong.tolist() == [2]
    assert first.wrong_probabilities.tolist() == [pytest.approx(0.2)]
    assert first.wrong_predicted.tolist() == [False]
    assert second.typical.tolist() == [2] and second.wrong.tolist() == [1, 0]
    assert second.wrong_labels.tolist() == [0, 0]
    assert typical_inputs(p, labels, k=0)[0].typical.size == 0
    with pytest.raises(ValueError, match="probabilities must be"):
        typical_inputs(p, labels[:2])
