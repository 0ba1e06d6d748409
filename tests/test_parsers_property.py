"""Property tests for the IDX and CSV parsers: what is written is read back equal, and arbitrary
or damaged input only ever raises a DataError subclass, quickly, without allocating from a lying
header."""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from reprviz_gui.core.data.types import LoadOptions
from reprviz_gui.core.errors import DataError
from reprviz_gui.core.data.idx import read_idx
from reprviz_gui.core.data.splitting import stratified_split
from reprviz_gui.core.data.tabular import load_csv

# REPRVIZ_PROP_EXAMPLES=2000 for a long hunt; the default keeps the suite fast
SETTINGS = settings(max_examples=int(os.environ.get("REPRVIZ_PROP_EXAMPLES", "60")), deadline=2000,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

IDX_DTYPES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(">i2"): 0x0B,
              np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}


def idx_bytes(arr: np.ndarray) -> bytes:
    be = arr.dtype.newbyteorder(">") if arr.dtype.itemsize > 1 else arr.dtype
    head = struct.pack(">BBBB", 0, 0, IDX_DTYPES[np.dtype(be)], arr.ndim)
    return head + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.astype(be).tobytes()


def scratch(folder: Path, name: str, data: bytes) -> Path:
    """Write the example's file (hypothesis reuses ``tmp_path`` across examples: overwrite)."""
    path = folder / name
    path.write_bytes(data)
    return path


arrays = st.sampled_from([np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]).flatmap(
    lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5),
                          elements=hnp.from_dtype(np.dtype(dt), allow_nan=False)))


@SETTINGS
@given(arr=arrays, gz=st.booleans())
def test_idx_round_trip(tmp_path, arr, gz):
    data = idx_bytes(arr)
    path = scratch(tmp_path, "a.gz" if gz else "a.idx", gzip.compress(data) if gz else data)
    out = read_idx(path)
    assert out.shape == arr.shape and out.dtype == arr.dtype.newbyteorder("=")
    np.testing.assert_array_equal(out, arr)


def only_data_errors(path: Path) -> None:
    try:
        read_idx(path)
    except DataError as err:
        assert path.name in str(err) and "\n" not in str(err)


@SETTINGS
@given(data=st.binary(max_size=300), gz=st.booleans())
def test_idx_arbitrary_bytes(tmp_path, data, gz):
    only_data_errors(scratch(tmp_path, "x.gz" if gz else "x", gzip.compress(data) if gz else data))


@SETTINGS
@given(data=st.binary(max_size=300))
def test_idx_arbitrary_bytes_named_gz(tmp_path, data):
    only_data_errors(scratch(tmp_path, "y.gz", data))


@SETTINGS
@given(arr=arrays, header=st.binary(min_size=4, max_size=20), gz=st.booleans())
def test_idx_mutated_header(tmp_path, arr, header, gz):
    data = idx_bytes(arr)
    data = header + data[len(header):]
    only_data_errors(scratch(tmp_path, "m.gz" if gz else "m", gzip.compress(data) if gz else data))


@SETTINGS
@given(arr=arrays, cut=st.integers(min_value=0, max_value=400), gz=st.booleans())
def test_idx_truncated(tmp_path, arr, cut, gz):
    data = idx_bytes(arr)
    if gz:
        data = gzip.compress(data)
    only_data_errors(scratch(tmp_path, "t.gz" if gz else "t", data[:min(cut, len(data))]))


@SETTINGS
@given(dims=st.lists(st.integers(min_value=2**20, max_value=2**32 - 1), min_size=1, max_size=4),
       code=st.sampled_from(sorted(IDX_DTYPES.values())), gz=st.booleans(),
       payload=st.binary(max_size=96))
def test_idx_huge_header_fails_fast(tmp_path, dims, code, gz, payload):
    """A header claiming gigabytes on a tiny file is refused before allocating (a MemoryError or a
    multi-second run would fail this test)."""
    data = struct.pack(f">BBBB{len(dims)}I", 0, 0, code, len(dims), *dims) + payload
    path = scratch(tmp_path, "h.gz" if gz else "h", gzip.compress(data) if gz else data)
    try:
        read_idx(path)
    except DataError:
        return
    raise AssertionError("a lying header was accepted")


# --- CSV -----------------------------------------------------------------------------------------
@SETTINGS
@given(x=hnp.arrays(np.uint8, st.tuples(st.integers(1, 30), st.just(12))),
       labels=st.lists(st.integers(0, 4), min_size=30, max_size=30),
       column_major=st.booleans(), header=st.booleans())
def test_csv_image_round_trip(tmp_path, x, labels, column_major, header):
    n = len(x)
    y = np.array(labels[:n])
    images = x.reshape(n, 3, 4)
    order = "F" if column_major else "C"
    lines = ([",".join([f"p{i}" for i in range(12)] + ["label"])] if header else [])
    lines += [",".join(map(str, list(img.flatten(order=order)) + [lab]))
              for img, lab in zip(images, y)]
    path = scratch(tmp_path, "img.csv", ("\n".join(lines) + "\n").encode())
    ds = load_csv(path, LoadOptions(image_shape=(3, 4),
                                    pixel_order="column" if column_major else "row"))
    train, test = stratified_split(y, 0.2, 0)
    np.testing.assert_array_equal(ds.x_train, images[train])
    np.testing.assert_array_equal(ds.x_test, images[test])
    present = sorted(set(y.tolist()))
    assert ds.class_names == [str(i) for i in range(max(present) + 1)]
    np.testing.assert_array_equal(ds.y_train, y[train])


@SETTINGS
@given(x=hnp.arrays(np.float32, st.tuples(st.integers(1, 20), st.integers(1, 6)),
                    elements=st.floats(-1e6, 1e6, width=32)),
       names=st.lists(st.sampled_from(["cat", "dog", "emu"]), min_size=20, max_size=20))
def test_csv_vector_round_trip(tmp_path, x, names):
    n = len(x)
    lines = [",".join([repr(float(v)) for v in row] + [names[i]]) for i, row in enumerate(x)]
    path = scratch(tmp_path, "vec.csv", ("\n".join(lines) + "\n").encode())
    ds = load_csv(path)
    y_names = names[:n]
    classes = sorted(set(y_names))
    y = np.array([classes.index(c) for c in y_names])
    train, test = stratified_split(y, 0.2, 0)
    assert ds.kind == "vector" and ds.class_names == classes
    np.testing.assert_array_equal(ds.x_train, x[train])
    np.testing.assert_array_equal(ds.x_test, x[test])


def csv_only_data_errors(path: Path, options: LoadOptions = LoadOptions()) -> None:
    try:
        load_csv(path, options)
    except DataError as err:
        assert path.name in str(err) and "\n" not in str(err)


@SETTINGS
@given(text=st.text(max_size=400))
def test_csv_arbitrary_text(tmp_path, text):
    csv_only_data_errors(scratch(tmp_path, "any.csv", text.encode("utf-8", "replace")))


@SETTINGS
@given(data=st.binary(max_size=400))
def test_csv_arbitrary_bytes(tmp_path, data):
    csv_only_data_errors(scratch(tmp_path, "bytes.csv", data))


cells = st.one_of(st.integers(-300, 300).map(str), st.floats(allow_nan=True).map(repr),
                  st.sampled_from(["", "x", "nan", "inf", '"', "1e999", "label", " 3 ", "٣"]))


@SETTINGS
@given(rows=st.lists(st.lists(cells, min_size=1, max_size=6), min_size=1, max_size=12),
       shape=st.one_of(st.none(), st.sampled_from([(2, 2), (1, 3), (2, 1, 2)])),
       label=st.one_of(st.none(), st.integers(-4, 6), st.sampled_from(["label", "nope"])),
       has_header=st.sampled_from([None, True, False]))
def test_csv_structured_garbage(tmp_path, rows, shape, label, has_header):
    text = "\n".join(",".join(r) for r in rows) + "\n"
    csv_only_data_errors(scratch(tmp_path, "rows.csv", text.encode()),
                         LoadOptions(image_shape=shape, label_column=label, has_header=has_header,
                                     pixel_order="column"))


# --- the other text and archive parsers, through load_dataset -------------------------------------
def dataset_only_data_errors(path: Path, options: LoadOptions = LoadOptions()) -> None:
    from reprviz_gui.core.data.sources import load_dataset

    try:
        load_dataset(path, options)
    except DataError as err:
        assert path.name in str(err) and "\n" not in str(err)


vector_lines = st.lists(st.lists(st.one_of(st.sampled_from(["w", "x y", "nan", "", "1e40", "3 3"]),
                                           st.floats(width=32).map(repr)), max_size=5),
                        max_size=8)


@SETTINGS
@given(lines=vector_lines, suffix=st.sampled_from([".txt", ".vec"]))
def test_word_vector_garbage(tmp_path, lines, suffix):
    text = "\n".join(" ".join(line) for line in lines)
    dataset_only_data_errors(scratch(tmp_path, "v" + suffix, text.encode()))


@SETTINGS
@given(data=st.binary(max_size=300), suffix=st.sampled_from([".txt", ".vec", ".npz", ".bin"]))
def test_other_formats_arbitrary_bytes(tmp_path, data, suffix):
    dataset_only_data_errors(scratch(tmp_path, "f" + suffix, data))


def _npz_bytes(tmp_path: Path) -> bytes:
    path = tmp_path / "seed.npz"
    np.savez(path, x_train=np.arange(48, dtype=np.uint8).reshape(3, 4, 4),
             y_train=np.array([0, 1, 2]), x_test=np.zeros((1, 4, 4), np.uint8),
             y_test=np.array([1]))
    return path.read_bytes()


@SETTINGS
@given(pos=st.integers(0, 2000), junk=st.binary(min_size=1, max_size=8),
       cut=st.integers(0, 2000), trust=st.booleans())
def test_npz_mutated(tmp_path, pos, junk, cut, trust):
    data = bytearray(_npz_bytes(tmp_path))
    pos %= len(data)
    data[pos:pos + len(junk)] = junk
    data = bytes(data[:max(1, len(data) - cut % len(data))])
    # trusting does not change what a plain (non-object) npz may raise
    dataset_only_data_errors(scratch(tmp_path, "mut.npz", data), LoadOptions(allow_pickle=trust))
