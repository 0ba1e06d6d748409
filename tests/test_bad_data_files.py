"""A corpus of bad data files, made here. Each case: the exact error class (so the category a user
sees), a one-line message, and the file's name in it. No bare numpy/PIL/gzip exception escapes."""

from __future__ import annotations

import gzip
import io
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest
from PIL import Image

from reprviz_gui.core.data.types import LoadOptions
from reprviz_gui.core.data.sources import load_dataset
from reprviz_gui.core.errors import (CorruptFileError, DataError, EmptyDataError, FileFormatError,
                                     LabelError, ShapeDataError, UnsafeFileError, ValueDataError)
from reprviz_gui.core.data.idx import read_idx


def idx(arr, dims=None, code=0x08, magic=None):
    arr = np.asarray(arr, dtype=np.uint8)
    dims = arr.shape if dims is None else dims
    head = magic if magic is not None else struct.pack(">BBBB", 0, 0, code, len(dims))
    return head + struct.pack(f">{len(dims)}I", *dims) + arr.tobytes()


def idx_folder(tmp_path, images=None, labels=None, gz=True, images_bytes=None, labels_bytes=None,
               name="data"):
    folder = tmp_path / name
    folder.mkdir()
    ext = ".gz" if gz else ""
    img = images_bytes if images_bytes is not None else idx(
        images if images is not None else np.zeros((3, 2, 2)))
    lab = labels_bytes if labels_bytes is not None else idx(
        labels if labels is not None else np.zeros(3))
    (folder / f"train-images-idx3-ubyte{ext}").write_bytes(gzip.compress(img) if gz else img)
    (folder / f"train-labels-idx1-ubyte{ext}").write_bytes(gzip.compress(lab) if gz else lab)
    return folder


def expect(exc_type, source, fname, options=LoadOptions()):
    with pytest.raises(DataError) as info:
        load_dataset(source, options)
    err = info.value
    assert type(err) is exc_type, f"{type(err).__name__}: {err}"
    msg = str(err)
    assert fname in msg, msg
    assert "\n" not in msg
    return msg


# --- IDX / gzip ----------------------------------------------------------------------------------
def test_truncated_gzip(tmp_path):
    folder = idx_folder(tmp_path, images=np.arange(300).reshape(3, 10, 10) % 256)
    path = folder / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-30])
    expect(CorruptFileError, folder, "train-images-idx3-ubyte.gz")


def test_corrupt_gzip_stream(tmp_path):
    folder = idx_folder(tmp_path, images=np.arange(3000).reshape(30, 10, 10) % 256)
    path = folder / "train-images-idx3-ubyte.gz"
    data = bytearray(path.read_bytes())
    for i in range(12, len(data) - 8, 7):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    expect(CorruptFileError, folder, "train-images-idx3-ubyte.gz")


def test_gzip_crc_mismatch(tmp_path):
    folder = idx_folder(tmp_path)
    path = folder / "train-labels-idx1-ubyte.gz"
    data = bytearray(path.read_bytes())
    data[-8] ^= 0x01  # the CRC-32 in the trailer
    path.write_bytes(bytes(data))
    expect(CorruptFileError, folder, "train-labels-idx1-ubyte.gz")


def test_wrong_idx_magic(tmp_path):
    folder = idx_folder(tmp_path, images_bytes=idx(np.zeros((3, 2, 2)), magic=b"\x12\x34\x08\x03"))
    msg = expect(FileFormatError, folder, "train-images-idx3-ubyte.gz")
    assert "magic" in msg


def test_unknown_idx_type_code(tmp_path):
    folder = idx_folder(tmp_path, gz=False, labels_bytes=idx(np.zeros(3), code=0x42))
    expect(FileFormatError, folder, "train-labels-idx1-ubyte")


def test_header_count_larger_than_raw_data(tmp_path):
    folder = idx_folder(tmp_path, gz=False, images_bytes=idx(np.zeros((3, 2, 2)), dims=(5, 2, 2)))
    msg = expect(CorruptFileError, folder, "train-images-idx3-ubyte")
    assert "20" in msg and "12" in msg


def test_header_count_larger_than_gz_data(tmp_path):
    folder = idx_folder(tmp_path, images_bytes=idx(np.zeros((3, 2, 2)), dims=(5, 2, 2)))
    expect(CorruptFileError, folder, "train-images-idx3-ubyte.gz")


@pytest.mark.parametrize("gz", [False, True])
def test_huge_header_on_a_100_byte_file_fails_fast(tmp_path, gz):
    data = idx(np.zeros(84), dims=(2**31, 28, 28))
    assert len(data) == 100
    path = tmp_path / ("huge.gz" if gz else "huge")
    path.write_bytes(gzip.compress(data) if gz else data)
    tracemalloc.start()
    with pytest.raises(CorruptFileError, match="huge"):
        read_idx(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 10 * 2**20  # refused from the header, nothing allocated for the 1.6 GB


def test_more_data_than_header(tmp_path):
    folder = idx_folder(tmp_path, gz=False, labels_bytes=idx(np.zeros(3)) + b"\x00" * 5)
    expect(CorruptFileError, folder, "train-labels-idx1-ubyte")


def test_header_cut_short(tmp_path):
    folder = idx_folder(tmp_path, gz=False, images_bytes=b"\x00\x00\x08\x03\x00\x00")
    expect(CorruptFileError, folder, "train-images-idx3-ubyte")


def test_label_count_differs_from_image_count(tmp_path):
    folder = idx_folder(tmp_path, labels=np.zeros(4))
    msg = expect(LabelError, folder, "train-labels-idx1-ubyte.gz")
    assert "4 labels" in msg and "3 images" in msg


def test_labels_out_of_range(tmp_path):
    folder = idx_folder(tmp_path, labels=np.array([0, 1, 200]))
    msg = expect(LabelError, folder, "train-labels-idx1-ubyte.gz")
    assert "200" in msg


def test_empty_idx_file(tmp_path):
    folder = idx_folder(tmp_path, gz=False, images_bytes=b"")
    expect(EmptyDataError, folder, "train-images-idx3-ubyte")


def test_empty_gzip_stream(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(b""))
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx(np.zeros(3))))
    expect(EmptyDataError, folder, "train-images-idx3-ubyte.gz")


def test_text_file_named_gz(tmp_path):
    folder = idx_folder(tmp_path)
    (folder / "train-images-idx3-ubyte.gz").write_text("this is not gzip\n")
    msg = expect(FileFormatError, folder, "train-images-idx3-ubyte.gz")
    assert "gzip" in msg


# --- CSV -----------------------------------------------------------------------------------------
def csv_file(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_ragged_csv_rows(tmp_path):
    path = csv_file(tmp_path, "a,b,label\n1,2,0\n3,4,1\n5,0\n")
    msg = expect(ShapeDataError, path, "data.csv")
    assert "line 4" in msg and "2 values" in msg


def test_ragged_row_after_many_rows(tmp_path):
    path = csv_file(tmp_path, "1,2,0\n" * 5000 + "1,2,3,0\n")
    msg = expect(ShapeDataError, path, "data.csv")
    assert "line 5001" in msg


def test_non_numeric_cell(tmp_path):
    path = csv_file(tmp_path, "a,b,label\n1,2,0\n3,x7,1\n")
    msg = expect(ValueDataError, path, "data.csv")
    assert "line 3" in msg and "column 2 ('b')" in msg and "'x7'" in msg


def test_empty_cell(tmp_path):
    path = csv_file(tmp_path, "1,2,0\n3,,1\n")
    msg = expect(ValueDataError, path, "data.csv")
    assert "line 2" in msg and "column 2" in msg and "empty" in msg


@pytest.mark.parametrize("bad", ["nan", "inf", "-Infinity"])
def test_nan_or_inf_cell(tmp_path, bad):
    path = csv_file(tmp_path, f"1,2,0\n3,{bad},1\n")
    msg = expect(ValueDataError, path, "data.csv")
    assert "line 2" in msg and "column 2" in msg and "finite" in msg


def test_empty_csv(tmp_path):
    expect(EmptyDataError, csv_file(tmp_path, ""), "data.csv")


def test_blank_lines_only_csv(tmp_path):
    expect(EmptyDataError, csv_file(tmp_path, "\n\n  \n"), "data.csv")


def test_header_only_csv(tmp_path):
    expect(EmptyDataError, csv_file(tmp_path, "a,b,label\n"), "data.csv")


def test_image_shape_does_not_match_rows(tmp_path):
    path = csv_file(tmp_path, "1,2,3,4,5,0\n6,7,8,9,10,1\n")
    msg = expect(ShapeDataError, path, "data.csv", LoadOptions(image_shape=(2, 2)))
    assert "5" in msg and "2x2" in msg


def test_label_column_not_found(tmp_path):
    path = csv_file(tmp_path, "a,b,c\n1,2,0\n")
    expect(LabelError, path, "data.csv", LoadOptions(label_column="target"))


def test_negative_label(tmp_path):
    path = csv_file(tmp_path, "1,2,0\n3,4,-1\n")
    msg = expect(LabelError, path, "data.csv")
    assert "line 2" in msg


def test_fractional_label(tmp_path):
    expect(LabelError, csv_file(tmp_path, "1,2,0\n3,4,1.5\n"), "data.csv")


def test_png_named_csv(tmp_path):
    buf = io.BytesIO()
    Image.new("L", (4, 4)).save(buf, "PNG")
    path = tmp_path / "pixels.csv"
    path.write_bytes(buf.getvalue())
    expect(FileFormatError, path, "pixels.csv")


def test_latin1_bytes_in_csv(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes("word,d0\ncaf\xe9,1.0\n".encode("latin-1"))
    expect(FileFormatError, path, "data.csv")


def test_unterminated_quote(tmp_path):
    path = csv_file(tmp_path, 'a,b,label\n1,2,"0\n3,4,1\n')
    msg = expect(FileFormatError, path, "data.csv")
    assert "not valid CSV" in msg


# --- word vectors --------------------------------------------------------------------------------
def test_word_vector_line_of_wrong_width(tmp_path):
    path = tmp_path / "glove.txt"
    path.write_text("a 1 2 3\nb 4 5 6\nc 7 8\n")
    msg = expect(ShapeDataError, path, "glove.txt")
    assert "line 3" in msg


def test_word_vector_non_numeric_value(tmp_path):
    path = tmp_path / "glove.txt"
    path.write_text("a 1 2 3\nb 4 x 6\n")
    msg = expect(ValueDataError, path, "glove.txt")
    assert "line 2" in msg


def test_empty_word_vector_file(tmp_path):
    path = tmp_path / "vectors.vec"
    path.write_text("")
    expect(EmptyDataError, path, "vectors.vec")


def test_word2vec_header_only(tmp_path):
    path = tmp_path / "vectors.vec"
    path.write_text("0 300\n")
    expect(EmptyDataError, path, "vectors.vec")


def test_binary_word2vec_named_txt(tmp_path):
    path = tmp_path / "GoogleNews.txt"
    path.write_bytes(b"3 2\nking \x00\x00\x80?\x00\x00\x00@\n")
    expect(FileFormatError, path, "GoogleNews.txt")


# --- npz -----------------------------------------------------------------------------------------
def test_npz_needing_pickle(tmp_path):
    path = tmp_path / "imdb.npz"
    x = np.empty(2, dtype=object)
    x[:] = [[1, 2], [1, 3, 4]]
    np.savez(path, x_train=x, y_train=np.array([0, 1]), x_test=x, y_test=np.array([1, 0]))
    msg = expect(UnsafeFileError, path, "imdb.npz")
    assert "pickle" in msg and "--trust-pickle" in msg


def test_truncated_npz(tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=np.zeros((50, 8, 8), np.uint8), y_train=np.zeros(50, np.int64))
    path.write_bytes(path.read_bytes()[:1500])
    expect(CorruptFileError, path, "mnist.npz")


def test_npz_header_claims_huge_array(tmp_path):
    path = tmp_path / "lies.npz"
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "|u1", "fortran_order": False,
                                               "shape": (2**31, 28, 28)})
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("x_train.npy", buf.getvalue() + b"\x00" * 100)
        zf.writestr("y_train.npy", buf.getvalue())
    tracemalloc.start()
    expect(CorruptFileError, path, "lies.npz")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 10 * 2**20  # refused from the header, nothing allocated for the 1.6 GB


def test_npz_labels_do_not_match(tmp_path):
    path = tmp_path / "m.npz"
    np.savez(path, x_train=np.zeros((5, 4, 4), np.uint8), y_train=np.zeros(4, np.int64))
    expect(LabelError, path, "m.npz")


def test_npz_with_wrong_keys(tmp_path):
    path = tmp_path / "weights.npz"
    np.savez(path, w=np.zeros(3))
    msg = expect(FileFormatError, path, "weights.npz")
    assert "x_train" in msg and "w" in msg


def test_csv_named_npz(tmp_path):
    path = tmp_path / "table.npz"
    path.write_text("1,2,3\n")
    expect(FileFormatError, path, "table.npz")


# --- image folders -------------------------------------------------------------------------------
def test_image_folder_with_only_broken_images(tmp_path):
    root = tmp_path / "photos"
    (root / "cats").mkdir(parents=True)
    (root / "cats" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    (root / "cats" / "b.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken too")
    msg = expect(EmptyDataError, root, "photos")
    assert "2" in msg


def test_empty_folder(tmp_path):
    root = tmp_path / "nothing"
    root.mkdir()
    expect(EmptyDataError, root, "nothing")


def test_folder_of_text_files(tmp_path):
    root = tmp_path / "docs"
    (root / "a").mkdir(parents=True)
    (root / "a" / "x.txt").write_text("hello")
    expect(FileFormatError, root, "docs")


def test_missing_path_names_it(tmp_path):
    msg = expect(DataError, tmp_path / "gone.csv", "gone.csv")
    assert "No data source or file" in msg


def test_value_too_large_for_float32(tmp_path):
    msg = expect(ValueDataError, csv_file(tmp_path, "1,2,0\n3,1e300,1\n"), "data.csv")
    assert "line 2" in msg and "too large" in msg
    path = tmp_path / "big.txt"
    path.write_text("a 1 2\nb 1e39 2\n")
    assert "line 2" in expect(ValueDataError, path, "big.txt")
