"""The result store and result tags: bounded by bytes (least recently used out), stale results
recognised by identity, and the sample-set key stable for the same samples."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reprviz_gui.core.data.samples import sample_set_key
from reprviz_gui.workspace.results import ResultKey, ResultStore, result_nbytes
from reprviz_gui.workspace.state import ResultTag, Session, Workspace


@dataclass(frozen=True)
class Blob:
    tag: ResultTag
    values: np.ndarray


def key(kind: str, tag: ResultTag, **params) -> ResultKey:
    return ResultKey.make(kind, tag, params)


def test_store_is_a_byte_bounded_lru():
    tag = ResultTag(1, "k", "A", 1)
    store = ResultStore(max_bytes=3 * 400)
    blobs = {name: Blob(tag, np.full((10, 10), i, np.float32)) for i, name in enumerate("abcd")}
    for name in "abc":
        store.put(key("layer", tag, layer=name), blobs[name])
    assert store.nbytes == 1200 and len(store) == 3
    assert store.get(key("layer", tag, layer="a")) is blobs["a"]  # "a" is now the most recent
    store.put(key("layer", tag, layer="d"), blobs["d"])  # evicts the least recent: "b"
    assert store.get(key("layer", tag, layer="b")) is None
    assert store.get(key("layer", tag, layer="a")) is blobs["a"]
    store.put(key("layer", tag, layer="huge"), Blob(tag, np.zeros(1000, np.float32)))
    assert key("layer", tag, layer="huge") not in store and store.nbytes == 1200
    assert key("layer", tag, layer="a") == key("layer", tag, layer="a")  # params are hashable


def test_stale_results_are_dropped_by_their_tags():
    ws = Workspace()
    ws.dataset_id = 7
    s = Session("A", version=2)
    ws.sessions["A"] = s
    store = ResultStore()
    now, old = ResultTag(7, "", "A", 2), ResultTag(7, "", "A", 1)
    store.put(key("evaluation", now), Blob(now, np.zeros(3)))
    store.put(key("evaluation", old), Blob(old, np.zeros(3)))
    store.put(key("evaluation", ResultTag(6, "", "A", 2)), Blob(now, np.zeros(3)))
    assert ws.is_current(now) and not ws.is_current(old)
    assert store.drop(ws.is_current) == 2 and len(store) == 1
    s.version = 3  # training changed the weights
    assert not ws.is_current(now)
    del ws.sessions["A"]  # the comparison model was closed
    assert not ws.is_current(ResultTag(7, "", "A", 3))


def test_sample_set_key_names_the_samples():
    k = sample_set_key("test", np.arange(10))
    assert k == sample_set_key("test", np.arange(10))
    assert k != sample_set_key("test", np.arange(1, 11))
    assert k != sample_set_key("train", np.arange(10))


def test_result_nbytes_counts_arrays_once_and_not_the_shared_samples():
    @dataclass(frozen=True)
    class R:
        a: np.ndarray
        b: dict
        samples: object

    r = R(np.zeros(10, np.float32), {"x": np.zeros(5, np.float64)}, np.zeros(1000))
    assert result_nbytes(r) == 40 + 40
