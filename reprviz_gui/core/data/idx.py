"""IDX files (the format of MNIST and Fashion-MNIST), gzip'd or raw, read without trusting the
header.

An IDX file is a 4-byte magic (two zero bytes, a type code, the number of dimensions), one
big-endian uint32 per dimension, then the values. The header is untrusted input: before anything is
allocated, the size it promises is compared with the file (raw files), with what a gzip stream of
that size can possibly hold (deflate expands at most ~1032x) and with the memory budget. A gzip
stream is read for at most the promised number of bytes.

Also here: the folder loader for the standard file names (``train-images-idx3-ubyte[.gz]``, the
original MNIST spelling ``train-images.idx3-ubyte``, ``t10k-...``) and ``ensure_fits``, the memory
check every loader in this package calls before a large allocation.
"""

from __future__ import annotations

import gzip
import os
import re
import struct
import zlib
from pathlib import Path
from typing import Optional

import numpy as np

from .types import Dataset, LoadOptions
from .user_files import read_head
from ..errors import (CorruptFileError, DataError, EmptyDataError, FileFormatError, LabelError,
                      ResourceLimitError, ShapeDataError)
from ..progress import ProgressFn, StopFn, check_stop, report
from .splitting import make_split

# type code -> dtype (big-endian, as stored)
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODE_OF_KIND = {("u", 1): 0x08, ("i", 1): 0x09, ("i", 2): 0x0B, ("i", 4): 0x0C, ("f", 4): 0x0D,
                 ("f", 8): 0x0E}
GZIP_MAGIC = b"\x1f\x8b"
# deflate cannot expand data by more than about 1032:1; allow a little slack for tiny files
MAX_DEFLATE_RATIO = 1032
_DEFLATE_SLACK = 4096
_CHUNK = 1 << 20

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot"]
DIGIT_CLASSES = [str(i) for i in range(10)]


# --- memory -------------------------------------------------------------------------------------
def memory_budget() -> int:
    """Bytes one load may allocate when ``core/memory.py`` is not available: 60 % of the memory
    currently available (Linux), else half the physical memory, else 4 GiB."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(int(line.split()[1]) * 1024 * 0.6)
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") * 0.5)
    except (ValueError, OSError, AttributeError):
        return 4 << 30


def ensure_fits(n_bytes: int, what: str, max_bytes: Optional[int] = None) -> None:
    """Raise ``ResourceLimitError`` before allocating ``n_bytes`` that would not fit.

    ``max_bytes`` is an explicit limit from the caller. Uses ``core.memory.check_fits`` when that
    module exists (the app-wide budget), else a local budget (``memory_budget()``).
    """
    n_bytes = int(n_bytes)
    if max_bytes is not None and n_bytes > max_bytes:
        raise ResourceLimitError(f"{what} needs {_human(n_bytes)}, more than the allowed "
                                 f"{_human(max_bytes)}; refused before allocating anything.")
    try:
        from ..memory import check_fits
    except ImportError:
        check_fits = None
    if check_fits is not None:
        check_fits(n_bytes, what)
        return
    budget = memory_budget()
    if n_bytes > budget:
        raise ResourceLimitError(f"{what} needs {_human(n_bytes)}, but only about {_human(budget)} "
                                 f"of memory can be used; refused before allocating anything.")


def _human(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"  # pragma: no cover


# --- one file -----------------------------------------------------------------------------------
def _parse_header(read, name: str) -> tuple[np.dtype, tuple[int, ...], int]:
    """Read and check the header with ``read(n) -> bytes``; returns dtype, dims, header length."""
    magic = read(4)
    if len(magic) >= 1 and magic[0] != 0 or len(magic) >= 2 and magic[1] != 0:
        raise FileFormatError(f"{name} is not an IDX file (wrong magic number "
                              f"0x{magic.hex()}; an IDX file starts with two zero bytes).")
    if len(magic) < 4:
        raise CorruptFileError(f"{name} is too short to be an IDX file "
                               f"({len(magic)} bytes, the header alone needs at least 4).")
    code, ndim = magic[2], magic[3]
    if code not in IDX_DTYPES:
        raise FileFormatError(f"{name} is not an IDX file (unknown data type code 0x{code:02x} "
                              f"in its magic number 0x{magic.hex()}).")
    if ndim == 0:
        raise FileFormatError(f"{name} is not a usable IDX file (its header says 0 dimensions).")
    raw_dims = read(4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise CorruptFileError(f"{name} is truncated: its header promises {ndim} dimensions but "
                               f"the file ends inside the header.")
    dims = struct.unpack(f">{ndim}I", raw_dims)
    return IDX_DTYPES[code], tuple(int(d) for d in dims), 4 + 4 * ndim


def _n_bytes(dtype: np.dtype, dims: tuple[int, ...]) -> int:
    n = 1
    for d in dims:
        n *= d
    return n * dtype.itemsize


def read_idx(path: str | Path, *, max_bytes: Optional[int] = None) -> np.ndarray:
    """Read one IDX file (gzip'd or raw, detected from its content) into a native-order array.

    Raises ``EmptyDataError`` (0 bytes), ``FileFormatError`` (not IDX / not gzip),
    ``CorruptFileError`` (truncated, corrupt gzip, header that does not match the data) or
    ``ResourceLimitError`` (the header asks for more than ``max_bytes`` or the memory budget).
    Never allocates from the header before checking it.
    """
    path = Path(path)
    name = path.name
    size, start = read_head(path, 2, "IDX")
    if size == 0:
        raise EmptyDataError(f"{name} is empty (0 bytes).")
    try:
        if start == GZIP_MAGIC:
            return _read_gz(path, size, max_bytes)
        if path.suffix.lower() == ".gz" and start[:1] != b"\x00":
            raise FileFormatError(f"{name} is not a gzip file, although its name ends in .gz "
                                  f"(it does not start with the gzip signature).")
        return _read_raw(path, size, max_bytes)
    except (DataError, ResourceLimitError):
        raise
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise CorruptFileError(f"{name} is a damaged gzip file ({_short(exc)}).") from None
    except OSError as exc:
        raise DataError(f"{name} cannot be read: {exc.strerror or _short(exc)}.") from None


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]


def _read_raw(path: Path, size: int, max_bytes: Optional[int]) -> np.ndarray:
    name = path.name
    with open(path, "rb") as fh:
        dtype, dims, header_len = _parse_header(fh.read, name)
        expected = _n_bytes(dtype, dims)
        available = size - header_len
        if expected > available:
            raise CorruptFileError(
                f"{name} is truncated or its header is wrong: the header promises "
                f"{' x '.join(map(str, dims))} values ({expected:,} bytes) but the file holds only "
                f"{available:,} bytes of data.")
        if expected < available:
            raise CorruptFileError(
                f"{name} does not match its header: it holds {available - expected:,} bytes more "
                f"than the {' x '.join(map(str, dims))} values the header describes.")
        ensure_fits(expected, f"Reading {name}", max_bytes)
        count = expected // dtype.itemsize
        data = np.fromfile(fh, dtype=dtype, count=count)
    if data.size != count:  # the file changed under us
        raise CorruptFileError(f"{name} is truncated: fewer values than its header promises.")
    return data.reshape(dims).astype(dtype.newbyteorder("="), copy=False)


def _read_gz(path: Path, size: int, max_bytes: Optional[int]) -> np.ndarray:
    name = path.name
    with gzip.open(path, "rb") as fh:
        first = fh.read(1)
        if not first:
            raise EmptyDataError(f"{name} is empty (the gzip stream holds no data).")
        rest = iter([first])

        def read(n: int) -> bytes:
            head = next(rest, b"")
            return head + fh.read(n - len(head)) if n > len(head) else head

        dtype, dims, header_len = _parse_header(read, name)
        expected = _n_bytes(dtype, dims)
        if expected + header_len > size * MAX_DEFLATE_RATIO + _DEFLATE_SLACK:
            raise CorruptFileError(
                f"{name} is corrupt: its header promises {expected:,} bytes of data, more than a "
                f"{size:,}-byte gzip file can possibly hold.")
        ensure_fits(expected, f"Reading {name}", max_bytes)
        buf = bytearray(expected)
        view = memoryview(buf)
        got = 0
        while got < expected:
            n = fh.readinto(view[got:got + _CHUNK])
            if not n:
                break
            got += n
        if got < expected:
            raise CorruptFileError(
                f"{name} is truncated or its header is wrong: the header promises "
                f"{' x '.join(map(str, dims))} values ({expected:,} bytes) but the file holds only "
                f"{got:,} bytes of data.")
        if fh.read(1):
            raise CorruptFileError(
                f"{name} does not match its header: it holds more data than the "
                f"{' x '.join(map(str, dims))} values the header describes.")
    data = np.frombuffer(buf, dtype=dtype)
    return data.reshape(dims).astype(dtype.newbyteorder("="), copy=dtype.byteorder == ">")


def write_idx(path: str | Path, array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file (gzip'd when the name ends in ``.gz``). Used by tests and
    for exporting; the dtype must be one IDX can hold (uint8, int8, int16, int32, float32,
    float64)."""
    path = Path(path)
    arr = np.asarray(array)
    code = _CODE_OF_KIND.get((arr.dtype.kind, arr.dtype.itemsize))
    if code is None or arr.ndim == 0 or arr.ndim > 255:
        raise ValueError(f"IDX cannot hold a {arr.ndim}-d {arr.dtype} array")
    data = struct.pack(f">BBBB{arr.ndim}I", 0, 0, code, arr.ndim, *arr.shape)
    data += np.ascontiguousarray(arr, dtype=IDX_DTYPES[code]).tobytes()
    if path.suffix.lower() == ".gz":
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path


# --- a folder of the standard files ------------------------------------------------------------
_SPLITS = {"train": "train", "t10k": "test", "test": "test"}
_NAME_RE = re.compile(r"^(train|t10k|test)-(images|labels)[-.]idx([13])-ubyte(\.gz)?$",
                      re.IGNORECASE)


def find_idx_files(folder: str | Path) -> dict[str, dict[str, Path]]:
    """``{"train"|"test": {"images": path, "labels": path}}`` for the standard names found in
    ``folder`` (either spelling, gzip'd or raw; a raw file wins over its .gz twin)."""
    folder = Path(folder)
    found: dict[str, dict[str, Path]] = {}
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return found
    for entry in entries:
        m = _NAME_RE.match(entry.name)
        if not m or not entry.is_file():
            continue
        split, kind, dim, gz = m.group(1).lower(), m.group(2).lower(), m.group(3), m.group(4)
        if (kind == "images") != (dim == "3"):
            continue
        slot = found.setdefault(_SPLITS[split], {})
        if kind in slot and gz:  # keep the raw file when both exist
            continue
        slot[kind] = entry
    return found


def is_idx_folder(folder: str | Path) -> bool:
    return any("images" in v or "labels" in v for v in find_idx_files(folder).values())


def load_idx_folder(folder: str | Path, options: LoadOptions = LoadOptions(),
                    on_progress: ProgressFn | None = None, should_stop: StopFn | None = None, *,
                    name: Optional[str] = None, provenance: Optional[str] = None,
                    class_names: Optional[list[str]] = None) -> Dataset:
    """Load a folder of standard IDX files into a ``Dataset`` of uint8 images.

    Class names are the Fashion-MNIST names if the folder's name contains "fashion", else "0".."9";
    labels must lie in 0..9. With only one split present, the app makes a stratified, seeded split
    and says so in ``notes``.
    """
    folder = Path(folder)
    files = find_idx_files(folder)
    if not files:
        raise FileFormatError(f"{folder.name} holds no IDX files with the standard names "
                              f"(train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], "
                              f"t10k-...).")
    if class_names is None:
        class_names = FASHION_CLASSES if "fashion" in folder.name.lower() else DIGIT_CLASSES
    n_classes = len(class_names)
    splits: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    todo = [(s, files[s]) for s in ("train", "test") if s in files]
    n_files = 2 * len(todo)
    done = 0
    for split, pair in todo:
        for kind in ("images", "labels"):
            if kind not in pair:
                other = pair["labels" if kind == "images" else "images"].name
                raise DataError(f"{folder.name}: {other} has no matching {kind} file "
                                f"(expected e.g. {_expected_name(other, kind)}).")
        check_stop(should_stop)
        report(on_progress, "load", done / n_files, f"Reading {pair['images'].name}")
        images = read_idx(pair["images"])
        done += 1
        check_stop(should_stop)
        report(on_progress, "load", done / n_files, f"Reading {pair['labels'].name}")
        labels = read_idx(pair["labels"])
        done += 1
        splits[split] = (_check_images(images, pair["images"].name),
                         _check_labels(labels, len(images), n_classes, pair["labels"].name,
                                       pair["images"].name))
    shapes = {s: v[0].shape[1:] for s, v in splits.items()}
    if len(set(shapes.values())) > 1:
        raise ShapeDataError(f"{folder.name}: training images are {_shape(shapes['train'])} but "
                             f"test images are {_shape(shapes['test'])}.")
    notes: list[str] = []
    split_by_app = False
    if len(splits) == 2:
        (x_train, y_train), (x_test, y_test) = splits["train"], splits["test"]
    else:
        (only, (x, y)), = splits.items()
        if len(x) == 0:
            raise EmptyDataError(f"{folder.name}: the {only} files hold no images.")
        x_train, y_train, x_test, y_test, note = make_split(x, y, options.test_fraction,
                                                            options.seed, "images")
        notes.append(f"Only the {only} files are present. " + note)
        split_by_app = True
    if len(x_train) + len(x_test) == 0:
        raise EmptyDataError(f"{folder.name}: the IDX files hold no images.")
    report(on_progress, "load", 1.0, f"Loaded {folder.name}")
    return Dataset(
        name=name or folder.name, kind="image", x_train=x_train, y_train=y_train, x_test=x_test,
        y_test=y_test, class_names=list(class_names),
        provenance=provenance or (f"IDX files from the folder {folder.name} ({len(x_train):,} "
                                  f"training and {len(x_test):,} test images)."),
        split_made_by_app=split_by_app, notes=notes, per_sample_minmax=options.per_sample_minmax)


def _expected_name(other: str, kind: str) -> str:
    if kind == "labels":
        return re.sub("images", "labels", re.sub("idx3", "idx1", other, flags=re.I), flags=re.I)
    return re.sub("labels", "images", re.sub("idx1", "idx3", other, flags=re.I), flags=re.I)


def _shape(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape))


def _check_images(images: np.ndarray, name: str) -> np.ndarray:
    if images.ndim not in (3, 4):
        raise ShapeDataError(f"{name} holds a {images.ndim}-dimensional array; an images file "
                             f"needs 3 (count, rows, columns) or 4 (with colour channels).")
    if images.dtype != np.uint8:
        raise FileFormatError(f"{name} holds {images.dtype} values; an images file must hold "
                              f"unsigned bytes (0..255).")
    return images


def _check_labels(labels: np.ndarray, n_images: int, n_classes: int, name: str,
                  images_name: str) -> np.ndarray:
    if labels.ndim != 1:
        raise ShapeDataError(f"{name} holds a {labels.ndim}-dimensional array; a labels file needs "
                             f"one dimension (one label per image).")
    if labels.dtype.kind not in "iu":
        raise LabelError(f"{name} holds {labels.dtype} values; labels must be integers.")
    if len(labels) != n_images:
        raise LabelError(f"{name} holds {len(labels):,} labels but {images_name} holds "
                         f"{n_images:,} images.")
    labels = labels.astype(np.int64)
    if len(labels):
        lo, hi = int(labels.min()), int(labels.max())
        if lo < 0 or hi >= n_classes:
            bad = lo if lo < 0 else hi
            raise LabelError(f"{name} holds the label {bad}, outside the range 0..{n_classes - 1} "
                             f"of this data set.")
    return labels
