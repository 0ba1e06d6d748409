"""Nearest neighbours in a word table, checked against scikit-learn's cosine similarity."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from sklearn.metrics.pairwise import cosine_similarity as sk_cosine

from reprviz_gui.core.analysis import words as words_mod
from reprviz_gui.core.analysis.words import (all_nearest_neighbours, nearest_neighbours,
                                             word_row, word_table)
from reprviz_gui.core.data.sources import load_dataset
from reprviz_gui.core.data.types import LoadOptions
from reprviz_gui.core.errors import ReprvizError


def read_capitals_csv(resources):
    """The bundled table read with the csv module, not with reprviz's loader."""
    with open(resources / "capitals" / "capitals.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["word", "kind", "country"]
    words = [r[0] for r in body]
    kinds = [r[1] for r in body]
    countries = [r[2] for r in body]
    vectors = np.array([[float(v) for v in r[3:]] for r in body])
    return words, kinds, countries, vectors


def reference_neighbours(vectors, words, row, k, exclude_words=()):
    sims = sk_cosine(vectors)[row]
    order = sorted((j for j in range(len(words))
                    if words[j] != words[row] and words[j] not in exclude_words),
                   key=lambda j: (-sims[j], j))
    return [(words[j], sims[j]) for j in order[:k]]


def test_paris_has_france_first_and_matches_sklearn(resources):
    words, _, _, vectors = read_capitals_csv(resources)
    got = nearest_neighbours(vectors, words, "paris", k=5)
    assert got[0][0] == "france"
    want = reference_neighbours(vectors, words, words.index("paris"), 5)
    assert [w for w, _ in got] == [w for w, _ in want]
    np.testing.assert_allclose([c for _, c in got], [c for _, c in want], atol=1e-5)
    assert all(a[1] >= b[1] for a, b in zip(got, got[1:]))


def test_every_word_of_the_capitals_against_sklearn(resources):
    words, _, _, vectors = read_capitals_csv(resources)
    table = all_nearest_neighbours(vectors, words, k=5)
    assert [entry["word"] for entry in table] == words
    for i, entry in enumerate(table):
        want = reference_neighbours(vectors, words, i, 5)
        assert [n["word"] for n in entry["neighbours"]] == [w for w, _ in want], words[i]
        np.testing.assert_allclose([n["cosine"] for n in entry["neighbours"]],
                                   [c for _, c in want], atol=1e-5)
        assert words[i] not in [n["word"] for n in entry["neighbours"]]


def test_blocks_give_the_same_answer(resources, monkeypatch):
    words, _, _, vectors = read_capitals_csv(resources)
    whole = all_nearest_neighbours(vectors, words, k=3)
    monkeypatch.setattr(words_mod, "_BLOCK_CELLS", 100)  # two rows per block
    progress = []
    blocked = all_nearest_neighbours(vectors, words, k=3, on_progress=progress.append)

    def names(table):
        return [(e["word"], e["row"], [n["word"] for n in e["neighbours"]]) for e in table]

    def cosines(table):
        return [n["cosine"] for e in table for n in e["neighbours"]]

    assert names(blocked) == names(whole)
    np.testing.assert_allclose(cosines(blocked), cosines(whole), atol=1e-6)  # float32 BLAS
    assert len(progress) == 24 and progress[-1].fraction == 1.0
    some = all_nearest_neighbours(vectors, words, k=3, rows=[5, 1])
    assert names(some) == names([whole[5], whole[1]])


def test_exclude_case_rows_and_duplicates():
    vecs = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.95, 0.05], [0.9, 0.1]])
    words = ["king", "queen", "apple", "prince", "queen"]
    assert [w for w, _ in nearest_neighbours(vecs, words, "King", k=3)] == \
        ["prince", "queen", "queen"]
    # excluding a word drops every row that holds it; row numbers work as queries and exclusions
    assert [w for w, _ in nearest_neighbours(vecs, words, 0, k=3, exclude=["queen"])] == \
        ["prince", "apple"]
    assert [w for w, _ in nearest_neighbours(vecs, words, "king", k=1, exclude=[3])] == ["queen"]
    # a word's duplicate row is not its neighbour
    assert "queen" not in [w for w, _ in nearest_neighbours(vecs, words, "queen", k=4)]
    assert nearest_neighbours(vecs, words, "apple", k=10)[-1][0] == "king"  # fewer than k
    with pytest.raises(ReprvizError, match="No word 'pear'"):
        nearest_neighbours(vecs, words, "pear")
    with pytest.raises(ReprvizError, match="out of range"):
        word_row(words, 9)


@pytest.mark.parametrize("n_tied", [3, 12])  # small: full sort; large: partial sort
def test_ties_keep_table_order(n_tied):
    vecs = np.array([[1.0, 0.0]] + [[0.0, i + 1.0] for i in range(n_tied)] + [[1.0, 1.0]])
    words = ["q"] + [f"t{i}" for i in range(n_tied)] + ["d"]
    assert [w for w, _ in nearest_neighbours(vecs, words, "q", k=3)] == ["d", "t0", "t1"]
    assert [n["word"] for n in all_nearest_neighbours(vecs, words, k=3)[0]["neighbours"]] == \
        ["d", "t0", "t1"]


def test_word_table_pairs_capitals_and_a_generic_csv(tmp_path):
    table = word_table(load_dataset("capitals"))
    assert (table.query_kind, table.target_kind, table.group_column) == \
        ("capital", "country", "country")
    assert table.words[:2] == ("france", "paris") and table.groups[:2] == ("france", "france")
    assert table.kinds[:2] == ("country", "capital") and table.vectors.shape == (48, 384)

    path = tmp_path / "royals.csv"
    path.write_text("word,kind,male,d0,d1\n"
                    "king,male,king,1,0\nqueen,female,king,0.9,0.4\n"
                    "man,male,man,0.2,0\nwoman,female,man,0.1,0.4\n")
    table = word_table(load_dataset(path))
    assert (table.query_kind, table.target_kind) == ("female", "male")
    assert table.groups == ("king", "king", "man", "man")

    path = tmp_path / "plain.csv"
    path.write_text("word,d0,d1\nking,1,0\nqueen,0.9,0.4\n")
    table = word_table(load_dataset(path, LoadOptions()))
    assert table.query_kind is None and table.groups is None
