"""Word-vector tables without a model: GloVe, word2vec text, word-table CSVs, the bundled
capitals."""

from __future__ import annotations

import numpy as np
import pytest

from reprviz_gui.core.data.types import LoadOptions
from reprviz_gui.core.data.sources import load_dataset
from reprviz_gui.core.errors import (CorruptFileError, FileFormatError, ShapeDataError,
                                     ValueDataError)
from reprviz_gui.core.data.word_vectors import load_text_vectors

VECS = {"king": [0.5, -1.25, 3.0], "queen": [0.25, -1.0, 2.75], "paris": [1e-3, 2.0, -0.5]}


def glove_text(vecs=VECS):
    return "".join(f"{w} {' '.join(repr(v) for v in vec)}\n" for w, vec in vecs.items())


def check_table(ds, vecs=VECS):
    assert ds.kind == "vector"
    assert ds.words == list(vecs)
    assert ds.x_train.shape == (0, 3) and ds.y_train.shape == (0,)
    np.testing.assert_array_equal(ds.x_test, np.array(list(vecs.values()), dtype=np.float32))
    assert ds.x_test.dtype == np.float32
    assert len(ds.y_test) == len(vecs) and ds.n_classes >= 1
    assert not ds.split_made_by_app


def test_glove_text(tmp_path):
    path = tmp_path / "glove.6B.3d.txt"
    path.write_text(glove_text())
    ds = load_text_vectors(path)
    check_table(ds)
    assert "GloVe" in ds.provenance and "glove.6B.3d.txt" in ds.provenance


def test_word2vec_text_with_count_line(tmp_path):
    path = tmp_path / "wiki.vec"
    path.write_text("3 3\n" + glove_text())
    ds = load_dataset(path)
    check_table(ds)
    assert "word2vec" in ds.provenance


def test_word2vec_count_mismatch(tmp_path):
    path = tmp_path / "cut.vec"
    path.write_text("5 3\n" + glove_text())
    with pytest.raises(CorruptFileError, match=r"cut\.vec.*5 words.*3"):
        load_text_vectors(path)


def test_wrong_width_line_names_line_number(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text(glove_text() + "rome 1.0 2.0\n")
    with pytest.raises(ShapeDataError, match=r"bad\.txt, line 4: 2 values.*3"):
        load_text_vectors(path)
    path.write_text("3 3\n" + glove_text().replace("queen 0.25", "queen 0.25 9.0"))
    with pytest.raises(ShapeDataError, match=r"bad\.txt, line 3: 4 values"):
        load_text_vectors(path)


def test_words_with_spaces_are_kept(tmp_path):
    path = tmp_path / "g.txt"
    path.write_text(glove_text() + ". . . 1.0 2.0 3.0\n")
    ds = load_text_vectors(path)
    assert ds.words[-1] == ". . ."


def test_nan_in_vector(tmp_path):
    path = tmp_path / "n.txt"
    path.write_text(glove_text() + "rome 1.0 nan 2.0\n")
    with pytest.raises(ValueDataError, match=r"n\.txt, line 4, value 2"):
        load_text_vectors(path)


def test_prose_txt_is_not_word_vectors(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("These are my notes about the course.\nNothing numeric here.\n")
    with pytest.raises(FileFormatError, match=r"notes\.txt"):
        load_dataset(path)


def test_word_table_csv_with_label_and_extra_columns(tmp_path):
    path = tmp_path / "animals.csv"
    path.write_text("word,group,habitat,d0,d1,d2\n"
                    "cat,pet,home,0.5,-1.25,3.0\n"
                    "wolf,wild,forest,0.25,-1.0,2.75\n"
                    "dog,pet,home,0.001,2.0,-0.5\n")
    ds = load_dataset(path, LoadOptions(label_column="group"))
    assert ds.words == ["cat", "wolf", "dog"]
    assert ds.class_names == ["pet", "wild"]  # order of first appearance
    assert ds.y_test.tolist() == [0, 1, 0]
    assert ds.columns == {"habitat": ["home", "forest", "home"]}
    np.testing.assert_array_equal(ds.x_test[0], np.float32([0.5, -1.25, 3.0]))
    assert ds.x_train.shape == (0, 3)


def test_word_table_csv_without_labels(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("".join(f"{w},{','.join(map(repr, v))}\n" for w, v in VECS.items()))
    ds = load_dataset(path)
    check_table(ds)
    assert ds.class_names == ["word"] and ds.y_test.tolist() == [0, 0, 0]


def test_capitals_source(resources):
    ds = load_dataset("capitals")
    assert ds.name == "capitals" and ds.kind == "vector"
    assert ds.x_test.shape == (48, 384) and len(ds.x_train) == 0
    assert ds.class_names == ["country", "capital"]
    assert len(ds.words) == 48 and ds.words[:2] == ["france", "paris"]
    assert len(ds.columns["country"]) == 48
    # the documented property: every capital's nearest country (cosine) is its own
    x = ds.x_test / np.linalg.norm(ds.x_test, axis=1, keepdims=True)
    countries = np.flatnonzero(ds.y_test == 0)
    for i in np.flatnonzero(ds.y_test == 1):
        nearest = countries[np.argmax(x[countries] @ x[i])]
        assert ds.words[nearest] == ds.columns["country"][i]
    assert "all-MiniLM-L6-v2" in ds.provenance
