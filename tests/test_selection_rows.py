"""The selection's sets of indices and the rows a sample set holds them in, against plain
Python sets (the fast paths: a sorted unique without numpy's hash unique, a cached index order)."""

from __future__ import annotations

import numpy as np
import pytest

from reprviz_gui.core.data.samples import SampleSet
from reprviz_gui.workspace.state import Selection, sorted_unique


@pytest.mark.parametrize("values", [[], [7], [3, 3], [1, 2, 5, 9], [9, 2, 2, 5, 1, 9, 0],
                                    list(np.random.default_rng(0).integers(0, 50, 300)),
                                    list(range(1000))])
def test_sorted_unique_is_the_sorted_set(values):
    got = sorted_unique(values)
    assert got.dtype == np.int64 and got.tolist() == sorted(set(int(v) for v in values))


def test_selection_of_and_union_are_sets():
    a = Selection.of("test", [5, 1, 5, 3], "map box")
    b = Selection.of("test", [3, 8], "map lasso")
    assert a.indices.tolist() == [1, 3, 5]
    assert a.union(b).indices.tolist() == [1, 3, 5, 8]
    assert a.union(b).source == "map box + map lasso"


def test_rows_of_finds_each_sample_and_keeps_working_after_the_first_call():
    rng = np.random.default_rng(1)
    indices = rng.permutation(5000)[:2000]  # sorted by class, not by value, as a sample set is
    s = SampleSet(indices=indices, labels=np.zeros(2000, dtype=np.int64), class_names=("a",))
    where = {int(i): row for row, i in enumerate(indices)}
    for _ in range(3):  # the index order is made once and reused
        wanted = rng.choice(5000, 400, replace=False)  # a selection: unique
        expected = sorted({where[int(i)] for i in wanted if int(i) in where})
        assert s.rows_of("test", wanted).tolist() == expected
    assert s.rows_of("train", wanted).tolist() == []
    ordered = SampleSet(indices=np.arange(10) * 2, labels=np.zeros(10, dtype=np.int64),
                        class_names=("a",))
    assert ordered.rows_of("test", np.array([18, 4, 5, 0])).tolist() == [0, 2, 9]
