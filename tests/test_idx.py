"""IDX files and folders: raw and gzip'd, both MNIST spellings, one-split folders, the bundled
sample."""

from __future__ import annotations

import gzip
import struct
import tracemalloc

import numpy as np
import pytest

from reprviz_gui.core.data.types import LoadOptions
from reprviz_gui.core.errors import (CorruptFileError, DataError, FileFormatError, LabelError,
                                     ResourceLimitError)
from reprviz_gui.core.data.idx import (DIGIT_CLASSES, FASHION_CLASSES, find_idx_files,
                                       load_idx_folder, read_idx, write_idx)

_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(">i2"): 0x0B,
          np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}


def idx_bytes(arr: np.ndarray, dims=None) -> bytes:
    """An IDX file built by hand with struct (independent of the module under test)."""
    arr = np.asarray(arr)
    be = arr.dtype.newbyteorder(">") if arr.dtype.itemsize > 1 else arr.dtype
    dims = arr.shape if dims is None else dims
    header = struct.pack(">BBBB", 0, 0, _CODES[np.dtype(be)], len(dims))
    header += struct.pack(f">{len(dims)}I", *dims)
    return header + arr.astype(be).tobytes()


def write(path, arr, gz=None, dims=None):
    data = idx_bytes(arr, dims)
    gz = str(path).endswith(".gz") if gz is None else gz
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def make_split_files(folder, x, y, split="train", gz=True, spelling="-"):
    folder.mkdir(parents=True, exist_ok=True)
    ext = ".gz" if gz else ""
    write(folder / f"{split}-images{spelling}idx3-ubyte{ext}", x)
    write(folder / f"{split}-labels{spelling}idx1-ubyte{ext}", y)


def images(n, h=4, w=5, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(n, h, w), dtype=np.uint8)


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_read_idx_round_trip(tmp_path, gz, dtype):
    arr = (np.arange(60).reshape(3, 4, 5) - 20).astype(dtype)
    if dtype == np.uint8:
        arr = np.arange(60, dtype=np.uint8).reshape(3, 4, 5)
    path = write(tmp_path / ("a.idx.gz" if gz else "a.idx"), arr)
    out = read_idx(path)
    assert out.dtype == np.dtype(dtype).newbyteorder("=")
    np.testing.assert_array_equal(out, arr)


def test_write_idx_matches_hand_built_header(tmp_path):
    arr = images(3)
    p = write_idx(tmp_path / "x.idx", arr)
    assert p.read_bytes() == idx_bytes(arr)
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / "x.gz", arr)), arr)


def test_gz_named_file_that_is_raw_idx_is_read_by_content(tmp_path):
    arr = images(2)
    path = write(tmp_path / "t.gz", arr, gz=False)
    np.testing.assert_array_equal(read_idx(path), arr)


@pytest.mark.parametrize("gz", [False, True])
def test_huge_header_on_tiny_file_fails_fast_without_allocating(tmp_path, gz):
    path = write(tmp_path / ("big.gz" if gz else "big"), np.zeros(88, np.uint8),
                 dims=(2**31, 28, 28), gz=gz)
    tracemalloc.start()
    with pytest.raises(CorruptFileError, match="big"):
        read_idx(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 10 * 2**20  # refused from the header, nothing allocated for the 1.6 GB


def test_max_bytes_refuses_before_reading(tmp_path):
    # 1 MB of zeros compresses to ~1 KB: plausible for gzip, but over the explicit limit
    path = write(tmp_path / "zeros.gz", np.zeros((1000, 1000), np.uint8))
    with pytest.raises(ResourceLimitError, match="zeros.gz"):
        read_idx(path, max_bytes=100_000)
    assert read_idx(path, max_bytes=2_000_000).shape == (1000, 1000)


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("spelling", ["-", "."])
def test_folder_with_both_splits(tmp_path, gz, spelling):
    xtr, ytr = images(20), np.arange(20, dtype=np.uint8) % 10
    xte, yte = images(10, seed=1), np.arange(10, dtype=np.uint8)
    make_split_files(tmp_path / "mnist", xtr, ytr, "train", gz, spelling)
    make_split_files(tmp_path / "mnist", xte, yte, "t10k", gz, spelling)
    ds = load_idx_folder(tmp_path / "mnist")
    assert ds.kind == "image" and not ds.split_made_by_app and ds.notes == []
    np.testing.assert_array_equal(ds.x_train, xtr)
    np.testing.assert_array_equal(ds.y_train, ytr)
    np.testing.assert_array_equal(ds.x_test, xte)
    np.testing.assert_array_equal(ds.y_test, yte)
    assert ds.class_names == DIGIT_CLASSES
    assert ds.y_train.dtype == np.int64


def test_fashion_folder_gets_fashion_names(tmp_path):
    make_split_files(tmp_path / "My-Fashion-data", images(10), np.arange(10, dtype=np.uint8))
    make_split_files(tmp_path / "My-Fashion-data", images(10), np.arange(10, dtype=np.uint8),
                     "t10k")
    assert load_idx_folder(tmp_path / "My-Fashion-data").class_names == FASHION_CLASSES


def test_raw_file_preferred_when_both_exist(tmp_path):
    folder = tmp_path / "d"
    make_split_files(folder, images(3), np.zeros(3, np.uint8), gz=True)
    make_split_files(folder, images(4), np.zeros(4, np.uint8), gz=False)
    found = find_idx_files(folder)
    assert found["train"]["images"].name == "train-images-idx3-ubyte"


def test_one_split_folder_is_split_stratified_with_note(tmp_path):
    y = np.repeat(np.arange(10, dtype=np.uint8), [10, 20, 30, 40, 50, 10, 20, 30, 40, 50])
    x = images(len(y))
    x[:, 0, 0] = np.arange(len(y)) % 256  # make rows identifiable
    make_split_files(tmp_path / "only-train", x, y, "train")
    ds = load_idx_folder(tmp_path / "only-train", LoadOptions(test_fraction=0.2, seed=3))
    assert ds.split_made_by_app
    assert any("app made" in n and "20%" in n and "seed 3" in n for n in ds.notes)
    assert len(ds.y_train) + len(ds.y_test) == len(y)
    counts_test = np.bincount(ds.y_test, minlength=10)
    np.testing.assert_array_equal(counts_test, [2, 4, 6, 8, 10, 2, 4, 6, 8, 10])
    # same seed -> same split, other seed -> other split
    again = load_idx_folder(tmp_path / "only-train", LoadOptions(test_fraction=0.2, seed=3))
    np.testing.assert_array_equal(again.x_test, ds.x_test)
    other = load_idx_folder(tmp_path / "only-train", LoadOptions(test_fraction=0.2, seed=4))
    assert not np.array_equal(other.x_test, ds.x_test)


def test_only_test_split_is_split_too(tmp_path):
    make_split_files(tmp_path / "t", images(20), np.arange(20, dtype=np.uint8) % 2, "t10k")
    ds = load_idx_folder(tmp_path / "t")
    assert ds.split_made_by_app and "t10k" not in ds.notes[0] and "test files" in ds.notes[0]
    assert len(ds.y_test) == 4


def test_labels_out_of_range(tmp_path):
    make_split_files(tmp_path / "d", images(3), np.array([0, 10, 1], np.uint8))
    with pytest.raises(LabelError, match=r"train-labels-idx1-ubyte\.gz.*10.*0\.\.9"):
        load_idx_folder(tmp_path / "d")


def test_label_count_differs(tmp_path):
    make_split_files(tmp_path / "d", images(3), np.array([0, 1], np.uint8))
    with pytest.raises(LabelError, match="2 labels.*3 images"):
        load_idx_folder(tmp_path / "d")


def test_missing_labels_file(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    write(folder / "train-images-idx3-ubyte.gz", images(3))
    with pytest.raises(DataError, match="train-labels-idx1-ubyte"):
        load_idx_folder(folder)


def test_images_must_be_bytes(tmp_path):
    folder = tmp_path / "d"
    make_split_files(folder, images(2).astype(np.int32), np.zeros(2, np.uint8))
    with pytest.raises(FileFormatError, match="train-images"):
        load_idx_folder(folder)


def test_bundled_fashion_sample(resources):
    calls = []
    ds = load_idx_folder(resources / "fashion-mnist-subset", on_progress=calls.append)
    assert ds.x_train.shape == (3615, 28, 28) and ds.x_test.shape == (4443, 28, 28)
    assert ds.x_train.dtype == np.uint8
    assert set(np.unique(ds.y_train)) == set(range(10)) == set(np.unique(ds.y_test))
    assert ds.class_names == FASHION_CLASSES
    assert calls and calls[-1].fraction == 1.0 and all(c.stage == "load" for c in calls)
