"""IMDB reviews as words: the Keras word index (token t >= 3 is the word of rank t - 3; 0 pad,
1 start, 2 out of vocabulary), the bundled 1,000-word index, the Keras cache's full index when
present, token ids only without any index."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from reprviz_gui.core.data.samples import decode_tokens
from reprviz_gui.core.data.sources import bundled_word_index_path, load_dataset
from reprviz_gui.core.data.types import LoadOptions

FIRST_REVIEW = ("<start> this film was just <oov> <oov> <oov> <oov> story direction <oov> really "
                "<oov> the part they played and you could just <oov> being there")


@pytest.fixture
def cache(_isolated_keras_home):
    folder = _isolated_keras_home / "datasets"
    folder.mkdir()
    return folder


def object_array(seqs):
    out = np.empty(len(seqs), dtype=object)
    out[:] = [list(s) for s in seqs]
    return out


def raw_reviews(resources, split="x_train"):
    with np.load(resources / "imdb-subset" / "imdb.npz", allow_pickle=True) as npz:  # known file
        return list(npz[split])


def test_bundled_index_is_the_shared_one_and_is_used_by_default(resources):
    shared = resources.parents[2] / "shared" / "data" / "imdb-subset"  # ../shared/data
    bundled = bundled_word_index_path()
    assert bundled == resources / "imdb-subset" / "imdb_word_index.json"
    index = json.loads(bundled.read_text())
    assert len(index) == 1000 and index["the"] == 1 and sorted(index.values()) == \
        list(range(1, 1001))
    if (shared / "imdb_word_index.json").is_file():
        assert bundled.read_bytes() == (shared / "imdb_word_index.json").read_bytes()


def test_first_training_review_decodes_to_words():
    ds = load_dataset("imdb-sample", LoadOptions(maxlen=400))  # the review has 218 tokens
    assert ds.notes == []
    text = decode_tokens(ds.x_train[0], ds.vocabulary)
    assert text.startswith(FIRST_REVIEW + " ")
    assert ds.y_train[0] == 1  # positive


def test_every_review_matches_a_plain_decode_of_the_file(resources):
    """All 6,000 bundled reviews, decoded by reprviz, against the npz and the JSON read
    directly and decoded with the Keras rule."""
    rank_word = {rank: word for word, rank in
                 json.loads(bundled_word_index_path().read_text()).items()}
    special = {1: "<start>", 2: "<oov>"}
    ds = load_dataset("imdb-sample", LoadOptions(maxlen=2000))
    for split in ("train", "test"):
        x, _ = ds.split(split)
        for i, review in enumerate(raw_reviews(resources, f"x_{split}")):
            want = " ".join(special.get(t) or rank_word[t - 3] for t in review)
            assert decode_tokens(x[i], ds.vocabulary) == want, (split, i)


def test_the_model_input_keeps_the_end_of_a_long_review():
    full = load_dataset("imdb-sample", LoadOptions(maxlen=400))
    cut = load_dataset("imdb-sample")  # maxlen 200, Keras's pre-truncation
    words = decode_tokens(full.x_train[0], full.vocabulary).split()
    assert decode_tokens(cut.x_train[0], cut.vocabulary).split() == words[-200:]


def test_keras_cache_index_wins_when_present(cache):
    index = json.loads(bundled_word_index_path().read_text())
    upper = {w.upper(): r for w, r in index.items()}
    (cache / "imdb_word_index.json").write_text(json.dumps(upper))
    ds = load_dataset("imdb-sample", LoadOptions(maxlen=400))
    assert decode_tokens(ds.x_train[0], ds.vocabulary).startswith(
        "<start> THIS FILM WAS JUST <oov>")


def test_damaged_cache_index_falls_back_to_the_bundled_one(cache):
    (cache / "imdb_word_index.json").write_text('{"the": 1, "and"')
    ds = load_dataset("imdb-sample", LoadOptions(maxlen=400))
    assert decode_tokens(ds.x_train[0], ds.vocabulary).startswith(FIRST_REVIEW)
    assert any("imdb_word_index.json could not be read" in n for n in ds.notes)


def test_token_ids_only_without_any_index(tmp_path, monkeypatch, resources):
    data = tmp_path / "data"
    shutil.copytree(resources, data)
    (data / "imdb-subset" / "imdb_word_index.json").unlink()
    monkeypatch.setenv("REPRVIZ_RESOURCES", str(data))
    ds = load_dataset("imdb-sample", LoadOptions(maxlen=400))
    assert ds.vocabulary is None
    assert any("No IMDB word index" in n for n in ds.notes)
    assert decode_tokens(ds.x_train[0], ds.vocabulary).startswith(
        "<start> #14 #22 #16 #43 <oov> <oov> <oov> <oov> #65")


def test_user_npz_uses_an_index_next_to_it(tmp_path, resources):
    shutil.copy(resources / "imdb-subset" / "imdb.npz", tmp_path / "imdb.npz")
    (tmp_path / "imdb_word_index.json").write_text(json.dumps({"this": 11, "film": 19}))
    ds = load_dataset(tmp_path / "imdb.npz", LoadOptions(allow_pickle=True, maxlen=400))
    assert decode_tokens(ds.x_train[0], ds.vocabulary).startswith(
        "<start> this film #16 #43 <oov>")
    assert any("have no word in" in n for n in ds.notes)


def test_full_keras_imdb_with_only_the_bundled_index(cache):
    # raw Keras layout (ranks from 1): rank 11 "this", rank 5000 is past the bundled 1,000
    np.savez(cache / "imdb.npz", x_train=object_array([[11, 19, 5000]]), y_train=np.array([1]),
             x_test=object_array([[11]]), y_test=np.array([0]))
    ds = load_dataset("keras-imdb", LoadOptions(allow_pickle=True, maxlen=5))
    assert decode_tokens(ds.x_train[0], ds.vocabulary) == "<start> this film #5003"
    assert any("1 token ids" in n and "#id" in n for n in ds.notes)


def test_decode_tokens_rules():
    vocab = {4: "the", 5: "and"}
    assert decode_tokens(np.array([0, 0, 1, 4, 2, 5, 9]), vocab) == "<start> the <oov> and #9"
    assert decode_tokens(np.array([0, 1, 4, 2]), None) == "<start> #4 <oov>"
    assert decode_tokens(np.zeros(5, dtype=np.int32), vocab) == ""
