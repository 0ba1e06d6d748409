"""Analogies and offsets (capital → country), checked against a plain numpy computation on the
bundled table read with the csv module."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from reprviz_gui.core.analysis.analogies import (WordPair, analyse_offsets, find_pairs,
                                                 table_offsets)
from reprviz_gui.core.analysis.words import word_table
from reprviz_gui.core.data.sources import load_dataset
from test_words_neighbours import read_capitals_csv


def numpy_reference(words, kinds, countries, vectors):
    """Straight loops: offsets, their mean pairwise cosine, every ordered analogy, verdicts."""
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    caps = [i for i, k in enumerate(kinds) if k == "capital"]
    cty = [next(j for j, w in enumerate(words) if kinds[j] == "country" and w == countries[i])
           for i in caps]
    offsets = [unit[c] - unit[a] for a, c in zip(caps, cty)]
    cos = [float(np.dot(offsets[a], offsets[b]) / np.linalg.norm(offsets[a])
                 / np.linalg.norm(offsets[b]))
           for a, b in itertools.permutations(range(len(caps)), 2)]

    def nearest(v, leave_out):
        best, best_sim = None, -np.inf
        for j in range(len(words)):
            if words[j] in leave_out:
                continue
            sim = np.dot(unit[j], v) / np.linalg.norm(v)
            if sim > best_sim:
                best, best_sim = j, sim
        return best

    correct = {}
    for a, b in itertools.permutations(range(len(caps)), 2):
        v = unit[cty[a]] - unit[caps[a]] + unit[caps[b]]
        got = nearest(v, {words[cty[a]], words[caps[a]], words[caps[b]]})
        correct[(a, b)] = got == cty[b]
    verdict = []
    for b in range(len(caps)):
        mean = np.mean([offsets[a] for a in range(len(caps)) if a != b], axis=0)
        verdict.append(nearest(unit[caps[b]] + mean, {words[caps[b]]}) == cty[b])
    return caps, cty, float(np.mean(cos)), correct, verdict


def test_capitals_against_numpy(resources):
    words, kinds, countries, vectors = read_capitals_csv(resources)
    caps, cty, mean_cos, correct, verdict = numpy_reference(words, kinds, countries, vectors)
    result = table_offsets(word_table(load_dataset("capitals")))

    assert (result.source_kind, result.target_kind) == ("capital", "country")
    assert [(p.source_row, p.target_row) for p in result.pairs] == list(zip(caps, cty))
    assert result.pairs[0] == WordPair("france", "paris", "france", 1, 0)
    assert result.offsets.shape == (24, 384)
    assert result.mean_offset_cosine == pytest.approx(mean_cos, abs=1e-5)
    assert result.n_trials == 24 * 23
    assert {(t.a, t.b): t.correct for t in result.trials} == correct
    assert result.n_trials_correct == sum(correct.values())
    per_capital = [sum(correct[(a, b)] for a in range(24) if a != b) for b in range(24)]
    assert [v.correct_from for v in result.verdicts] == per_capital
    assert all(v.trials == 23 for v in result.verdicts)
    assert [v.correct for v in result.verdicts] == verdict
    assert result.summary()["pairs"] == 552
    assert result.summary()["correct"] == sum(correct.values())
    assert result.summary()["groups_correct"] == sum(verdict)
    # each trial's reported cosines and rank agree with its own verdict
    for t in result.trials:
        assert (t.expected_rank == 1) == t.correct
        assert t.cosine >= t.expected_cosine - 1e-9


def test_known_answers_on_a_made_up_table():
    """Three groups share nearly one offset, so analogies among them are right. The fourth's
    offset is reversed and a decoy sits where source(4) + the shared offset lands: every analogy
    into group 4 picks the decoy, and so does its verdict; the others' verdicts hold."""
    e = np.eye(6)
    d = e[5] * 0.3
    unit = lambda v: v / np.linalg.norm(v)  # noqa: E731
    shared = unit(e[0] + d) - e[0]
    words = ["a1", "b1", "a2", "b2", "a3", "b3", "a4", "b4", "decoy"]
    kinds = ["src", "tgt"] * 4 + ["other"]
    groups = ["g1", "g1", "g2", "g2", "g3", "g3", "g4", "g4", "-"]
    vecs = np.array([e[0], e[0] + d, e[1], e[1] + d, e[2], e[2] + d, e[3] + d, e[3],
                     unit(e[3] + d) + shared])
    pairs, notes = find_pairs(words, kinds, groups, "src", "tgt")
    assert [p.group for p in pairs] == ["g1", "g2", "g3", "g4"] and notes == []
    result = analyse_offsets(vecs, words, pairs, "src", "tgt")
    by_pair = {(t.a, t.b): t for t in result.trials}
    assert all(by_pair[(a, b)].correct for a, b in itertools.permutations(range(3), 2))
    assert all(by_pair[(a, 3)].predicted == "decoy" for a in range(3))
    assert [v.correct for v in result.verdicts] == [True, True, True, False]
    assert result.verdicts[3].predicted == "decoy"
    o1, o2, o4 = unit(e[0] + d) - e[0], unit(e[1] + d) - e[1], e[3] - unit(e[3] + d)
    assert result.offset_cosines[0, 1] == pytest.approx(unit(o1) @ unit(o2), abs=1e-6)
    assert result.offset_cosines[0, 3] == pytest.approx(unit(o1) @ unit(o4), abs=1e-6)
    assert result.offset_cosines[0, 3] < 0
    assert result.n_trials_correct == sum(t.correct for t in result.trials)


def test_pairs_need_both_kinds_and_fewer_than_two_pairs_is_empty():
    words = ["x", "y", "z", "x2"]
    pairs, notes = find_pairs(words, ["src", "tgt", "src", "src"], ["g", "g", "h", "g"],
                              "src", "tgt")
    assert [(p.source, p.target) for p in pairs] == [("x", "y")]
    assert any("first of each" in n for n in notes) and any("no tgt" in n for n in notes)
    result = analyse_offsets(np.eye(4), words, pairs, "src", "tgt")
    assert result.trials == () and result.verdicts == () and result.mean_offset_cosine is None
