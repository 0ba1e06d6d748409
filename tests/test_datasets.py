"""The public entry points: list_sources(), load_dataset() with names and paths, the Keras cache,
the bundled samples, format detection from content."""

from __future__ import annotations

import gzip
import json
import shutil
import struct
import zipfile

import numpy as np
import pytest

from reprviz_gui.core.data import sources as datasets
from reprviz_gui.core.data.types import LoadOptions
from reprviz_gui.core.data.sources import DEFAULT_SOURCE, list_sources, load_dataset, resources_dir
from reprviz_gui.core.errors import DataError, FileFormatError, UnsafeFileError
from reprviz_gui.core.data.idx import FASHION_CLASSES

BUILTIN = ["fashion-mnist-sample", "digits", "imdb-sample", "capitals", "keras-mnist",
           "keras-fashion-mnist", "keras-imdb"]


def idx_gz(path, arr):
    arr = np.asarray(arr, dtype=np.uint8)
    header = struct.pack(f">BBBB{arr.ndim}I", 0, 0, 8, arr.ndim, *arr.shape)
    path.write_bytes(gzip.compress(header + arr.tobytes()))


def object_array(seqs):
    out = np.empty(len(seqs), dtype=object)
    out[:] = [list(s) for s in seqs]
    return out


@pytest.fixture
def cache(_isolated_keras_home):
    d = _isolated_keras_home / "datasets"
    d.mkdir()
    return d


def test_sources_listed_and_default(resources):
    infos = {s.name: s for s in list_sources()}
    assert list(infos) == BUILTIN
    assert DEFAULT_SOURCE == "fashion-mnist-sample"
    for name in ["fashion-mnist-sample", "digits", "imdb-sample", "capitals"]:
        assert infos[name].available and infos[name].label and infos[name].description
    for name in ["keras-mnist", "keras-fashion-mnist", "keras-imdb"]:
        assert not infos[name].available  # the test KERAS_HOME is empty
    assert resources_dir() == resources


def test_default_source_is_the_bundled_fashion_sample():
    ds = load_dataset(DEFAULT_SOURCE)
    assert (len(ds.y_train), len(ds.y_test)) == (3615, 4443)
    assert ds.x_train.shape[1:] == (28, 28) and ds.x_train.dtype == np.uint8
    assert set(np.unique(ds.y_train)) == set(range(10))
    assert ds.class_names == FASHION_CLASSES
    assert "Zalando" in ds.provenance and "MIT" in ds.provenance
    assert not ds.split_made_by_app


def test_digits_split_by_the_app():
    ds = load_dataset("digits", LoadOptions(test_fraction=0.25, seed=7))
    assert ds.x_train.shape[1:] == (8, 8) and ds.x_train.dtype == np.uint8
    assert ds.x_train.max() == 255 and ds.x_train.min() == 0
    assert len(ds.y_train) + len(ds.y_test) == 1797
    assert abs(len(ds.y_test) / 1797 - 0.25) < 0.01
    counts = np.bincount(ds.y_test, minlength=10) / np.bincount(
        np.concatenate([ds.y_train, ds.y_test]), minlength=10)
    assert np.all(np.abs(counts - 0.25) < 0.03)  # stratified
    assert ds.split_made_by_app and any("seed 7" in n for n in ds.notes)
    again = load_dataset("digits", LoadOptions(test_fraction=0.25, seed=7))
    np.testing.assert_array_equal(again.y_test, ds.y_test)


@pytest.mark.parametrize("maxlen", [200, 50])
def test_imdb_sample_padded(maxlen):
    ds = load_dataset("imdb-sample", LoadOptions(maxlen=maxlen))
    assert ds.kind == "sequence"
    assert ds.x_train.shape == (5000, maxlen) and ds.x_test.shape == (1000, maxlen)
    assert ds.x_train.dtype == np.int32
    assert ds.class_names == ["negative", "positive"]
    assert set(np.unique(ds.y_train)) == {0, 1}
    assert int(ds.x_train.max()) < 500


def test_imdb_sample_pads_and_truncates_at_the_front():
    with np.load(resources_dir() / "imdb-subset" / "imdb.npz", allow_pickle=True) as f:
        raw = f["x_train"]
    ds = load_dataset("imdb-sample", LoadOptions(maxlen=100))
    short = next(i for i, s in enumerate(raw) if len(s) < 100)
    long = next(i for i, s in enumerate(raw) if len(s) > 100)
    s = raw[short]
    assert ds.x_train[short, :100 - len(s)].tolist() == [0] * (100 - len(s))
    assert ds.x_train[short, 100 - len(s):].tolist() == list(s)
    assert ds.x_train[long].tolist() == list(raw[long][-100:])


def test_imdb_sample_hash_mismatch_is_refused(tmp_path, monkeypatch, resources):
    data = tmp_path / "data"
    shutil.copytree(resources, data)
    npz = data / "imdb-subset" / "imdb.npz"
    npz.write_bytes(npz.read_bytes() + b"\x00")  # still a usable zip, but not the known file
    monkeypatch.setenv("REPRVIZ_RESOURCES", str(data))
    assert resources_dir() == data
    with pytest.raises(UnsafeFileError, match=r"imdb\.npz.*SHA-256"):
        load_dataset("imdb-sample")


def test_resources_env_accepts_the_resources_folder(tmp_path, monkeypatch, resources):
    monkeypatch.setenv("REPRVIZ_RESOURCES", str(resources.parent))
    assert resources_dir() == resources


def test_imdb_sample_vocabulary_from_the_keras_word_index(cache):
    (cache / "imdb_word_index.json").write_text(json.dumps({"the": 1, "and": 2, "zzz": 99999}))
    ds = load_dataset("imdb-sample")
    assert ds.vocabulary[4] == "the" and ds.vocabulary[5] == "and"
    assert ds.vocabulary[0] == "<pad>" and ds.vocabulary[1] == "<start>"
    assert ds.vocabulary[2] == "<oov>"
    assert 99999 + 3 not in ds.vocabulary  # beyond the sample's 500-word vocabulary
    assert load_dataset("imdb-sample", LoadOptions()).vocabulary is not None


def test_keras_cache_mnist(cache):
    rng = np.random.default_rng(0)
    x_tr = rng.integers(0, 256, (30, 28, 28), dtype=np.uint8)
    x_te = rng.integers(0, 256, (10, 28, 28), dtype=np.uint8)
    y_tr, y_te = np.arange(30) % 10, np.arange(10)
    np.savez_compressed(cache / "mnist.npz", x_train=x_tr, y_train=y_tr, x_test=x_te, y_test=y_te)
    assert {s.name: s.available for s in list_sources()}["keras-mnist"]
    ds = load_dataset("keras-mnist")
    np.testing.assert_array_equal(ds.x_train, x_tr)
    np.testing.assert_array_equal(ds.y_test, y_te)
    assert ds.class_names == [str(i) for i in range(10)] and ds.kind == "image"


def test_keras_cache_fashion(cache):
    folder = cache / "fashion-mnist"
    folder.mkdir()
    x = np.arange(10 * 28 * 28, dtype=np.uint32).astype(np.uint8).reshape(10, 28, 28)
    for split in ("train", "t10k"):
        idx_gz(folder / f"{split}-images-idx3-ubyte.gz", x)
        idx_gz(folder / f"{split}-labels-idx1-ubyte.gz", np.arange(10))
    assert {s.name: s.available for s in list_sources()}["keras-fashion-mnist"]
    ds = load_dataset("keras-fashion-mnist")
    assert ds.class_names == FASHION_CLASSES and ds.x_test.shape == (10, 28, 28)


def test_keras_cache_read_at_call_time(tmp_path, monkeypatch):
    other = tmp_path / "elsewhere"
    (other / "datasets").mkdir(parents=True)
    np.savez(other / "datasets" / "mnist.npz", x_train=np.zeros((2, 28, 28), np.uint8),
             y_train=np.zeros(2), x_test=np.zeros((2, 28, 28), np.uint8), y_test=np.zeros(2))
    assert not {s.name: s.available for s in list_sources()}["keras-mnist"]
    monkeypatch.setenv("KERAS_HOME", str(other))
    assert {s.name: s.available for s in list_sources()}["keras-mnist"]


def _write_keras_imdb(path):
    # the raw Keras layout: word ranks from 1, no start token
    np.savez(path, x_train=object_array([[5, 6, 7], [8, 9]]), y_train=np.array([0, 1]),
             x_test=object_array([[10, 11, 12, 13]]), y_test=np.array([1]))


def test_keras_imdb_needs_explicit_trust(cache):
    _write_keras_imdb(cache / "imdb.npz")
    assert {s.name: s.available for s in list_sources()}["keras-imdb"]
    with pytest.raises(UnsafeFileError) as err:
        load_dataset("keras-imdb")
    msg = str(err.value)
    assert "imdb.npz" in msg and "pickle" in msg and "run code" in msg
    assert "trust this file" in msg and "--trust-pickle" in msg


def test_keras_imdb_loads_when_trusted_with_vocabulary(cache):
    _write_keras_imdb(cache / "imdb.npz")
    (cache / "imdb_word_index.json").write_text(json.dumps({"the": 5, "film": 6, "was": 7}))
    ds = load_dataset("keras-imdb", LoadOptions(allow_pickle=True, maxlen=4))
    # like keras.datasets.imdb.load_data(): start token 1, word index + 3; then pre-padding
    assert ds.x_train.tolist() == [[1, 8, 9, 10], [0, 1, 11, 12]]
    assert ds.x_test.tolist() == [[13, 14, 15, 16]]  # pre-truncation drops the start token
    assert ds.vocabulary[8] == "the" and ds.vocabulary[9] == "film"
    assert ds.vocabulary[1] == "<start>"
    assert ds.class_names == ["negative", "positive"]


def test_user_npz_in_mnist_layout(tmp_path):
    path = tmp_path / "mine.npz"
    np.savez(path, x_train=np.full((4, 3, 3), 7, np.uint8), y_train=np.array([0, 1, 0, 1]),
             x_test=np.full((2, 3, 3), 9, np.uint8), y_test=np.array([1, 0]))
    ds = load_dataset(path)
    assert ds.kind == "image" and ds.x_test.shape == (2, 3, 3) and ds.class_names == ["0", "1"]


def test_user_npz_with_object_arrays_needs_trust(tmp_path):
    path = tmp_path / "reviews.npz"
    _write_keras_imdb(path)
    with pytest.raises(UnsafeFileError, match=r"reviews\.npz.*pickle"):
        load_dataset(path)
    ds = load_dataset(path, LoadOptions(allow_pickle=True, maxlen=3))
    assert ds.kind == "sequence" and ds.x_train.shape == (2, 3)


def test_unknown_name_or_missing_path():
    with pytest.raises(DataError, match="no-such-source"):
        load_dataset("no-such-source")
    with pytest.raises(DataError, match="keras-mnist"):
        load_dataset("keras-mnist")  # not in the (empty) test cache


def test_format_detected_from_content(tmp_path):
    folder = tmp_path / "idx"
    folder.mkdir()
    idx_gz(folder / "train-images-idx3-ubyte.gz", np.zeros((10, 2, 2)))
    idx_gz(folder / "train-labels-idx1-ubyte.gz", np.arange(10) % 2)
    ds = load_dataset(folder)
    assert ds.split_made_by_app and ds.class_names == [str(i) for i in range(10)]
    # picking one of the IDX files opens its folder
    assert load_dataset(folder / "train-images-idx3-ubyte.gz").x_train.shape[1:] == (2, 2)
    png_as_csv = tmp_path / "data.csv"
    png_as_csv.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)
    with pytest.raises(FileFormatError, match=r"data\.csv.*PNG"):
        load_dataset(png_as_csv)
    text_as_npz = tmp_path / "data.npz"
    text_as_npz.write_text("1,2,3\n")
    with pytest.raises(FileFormatError, match=r"data\.npz"):
        load_dataset(text_as_npz)
    unknown = tmp_path / "thing.xyz"
    unknown.write_text("hello")
    with pytest.raises(FileFormatError, match=r"thing\.xyz"):
        load_dataset(unknown)
    zip_no_arrays = tmp_path / "z.npz"
    with zipfile.ZipFile(zip_no_arrays, "w") as zf:
        zf.writestr("readme.txt", "hi")
    with pytest.raises(FileFormatError, match=r"z\.npz"):
        load_dataset(zip_no_arrays)


def test_per_sample_minmax_is_carried(tmp_path):
    ds = load_dataset("digits", LoadOptions(per_sample_minmax=True))
    assert ds.per_sample_minmax
    x = ds.inputs(ds.x_test[:3])
    assert np.allclose(x.reshape(3, -1).max(axis=1), 1.0)
    assert not load_dataset("digits").per_sample_minmax


def test_progress_reported_for_builtins():
    seen = []
    load_dataset("fashion-mnist-sample", on_progress=seen.append)
    assert seen and all(p.stage == "load" for p in seen) and seen[-1].fraction == 1.0


def test_bad_options_are_data_errors():
    with pytest.raises(DataError, match="fraction"):
        load_dataset("digits", LoadOptions(test_fraction=1.5))
    with pytest.raises(DataError, match="maxlen"):
        load_dataset("imdb-sample", LoadOptions(maxlen=0))
    assert datasets.DEFAULT_SOURCE in {s.name for s in list_sources()}
