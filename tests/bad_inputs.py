"""A corpus of bad inputs a user can pick: one function per case.

Each ``make_*`` function writes its file or folder into the (existing) directory it is given
and returns a ``Bad``: what to open (a path, or a source name such as ``keras-imdb``), the
error category the user must see (``ReprvizError.category``: "corrupt", "format", "labels",
"values", "shape", "empty", "unsafe", "mismatch", "model-file", "unsafe-model") and a fragment
the one-line message must contain (usually the file's name). ``Case.build(d)`` creates ``d``
first.

``DATA_CASES`` are opened as data (``--data`` / ``Controller.open_dataset``) with the digits
preset model; ``MODEL_CASES`` are loaded as models (``--model`` / ``Controller.load_model``) on
the ``digits`` dataset (8x8 grey images, 10 classes). ``trusted`` marks the two cases whose
refusal comes with a "trust this file" override that then loads the file.

Everything is generated here; only the two real-model cases (``lambda_model``,
``mismatched_model``) need Keras, imported when they are made. The image folder whose broken
files are skipped is not an error and lives in ``make_image_folder_with_skipped_files``.
"""

from __future__ import annotations

import gzip
import io
import json
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np


class Bad(NamedTuple):
    source: str  # path (or source name) to open or load
    category: str  # the ReprvizError category the user must get
    expect: str  # a fragment the message must contain (case-insensitive)


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # "data" | "model"
    make: Callable[[Path], Bad]
    needs_tf: bool = False  # making it (or reaching its error) imports TensorFlow
    trusted: bool = False  # refused as unsafe, with an override that then loads it

    def build(self, d: Path) -> Bad:
        """Make the case in ``d`` (created if missing)."""
        d.mkdir(parents=True, exist_ok=True)
        return self.make(d)


# --- helpers ------------------------------------------------------------------------------------
def _idx(arr, dims=None, code=0x08, magic=None) -> bytes:
    arr = np.asarray(arr, dtype=np.uint8)
    dims = arr.shape if dims is None else dims
    head = magic if magic is not None else struct.pack(">BBBB", 0, 0, code, len(dims))
    return head + struct.pack(f">{len(dims)}I", *dims) + arr.tobytes()


def _images(n=20, side=8, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, side, side), dtype=np.uint8)


def _labels(n=20) -> np.ndarray:
    return np.arange(n) % 10


def _idx_folder(d: Path, name: str, images: bytes | None = None, labels: bytes | None = None,
                gz: bool = True) -> tuple[Path, Path, Path]:
    folder = d / name
    folder.mkdir(parents=True)
    ext = ".gz" if gz else ""
    img = images if images is not None else _idx(_images())
    lab = labels if labels is not None else _idx(_labels())
    ip = folder / f"train-images-idx3-ubyte{ext}"
    lp = folder / f"train-labels-idx1-ubyte{ext}"
    ip.write_bytes(gzip.compress(img) if gz else img)
    lp.write_bytes(gzip.compress(lab) if gz else lab)
    return folder, ip, lp


def _write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _png(size=(8, 8), colour=128) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", size, colour).save(buf, "PNG")
    return buf.getvalue()


def _object_reviews(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.empty(n, dtype=object)
    x[:] = [[1] + rng.integers(4, 200, rng.integers(5, 30)).tolist() for _ in range(n)]
    return x


def _save_imdb_npz(path: Path, n: int = 40) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    y = np.arange(n) % 2
    np.savez(path, x_train=_object_reviews(n, 0), y_train=y, x_test=_object_reviews(n, 1),
             y_test=y[::-1].copy())
    return path


# --- IDX and gzip -------------------------------------------------------------------------------
def make_truncated_gzip(d: Path) -> Bad:
    folder, ip, _ = _idx_folder(d, "truncated")
    ip.write_bytes(ip.read_bytes()[:-40])
    return Bad(str(folder), "corrupt", ip.name)


def make_corrupt_gzip(d: Path) -> Bad:
    folder, ip, _ = _idx_folder(d, "bitflips", images=_idx(_images(200)))
    data = bytearray(ip.read_bytes())
    for i in range(12, len(data) - 8, 7):
        data[i] ^= 0xFF
    ip.write_bytes(bytes(data))
    return Bad(str(folder), "corrupt", ip.name)


def make_wrong_idx_magic(d: Path) -> Bad:
    folder, ip, _ = _idx_folder(d, "badmagic", images=_idx(_images(), magic=b"\x12\x34\x08\x03"))
    return Bad(str(folder), "format", ip.name)


def make_header_count_too_large(d: Path) -> Bad:
    folder, ip, _ = _idx_folder(d, "shortdata", gz=False,
                                images=_idx(_images(), dims=(5000, 8, 8)))
    return Bad(str(folder), "corrupt", ip.name)


def make_label_count_mismatch(d: Path) -> Bad:
    folder, _, lp = _idx_folder(d, "counts", labels=_idx(_labels(25)))
    return Bad(str(folder), "labels", lp.name)


def make_idx_label_out_of_range(d: Path) -> Bad:
    labels = _labels()
    labels[3] = 200
    folder, _, lp = _idx_folder(d, "range", labels=_idx(labels))
    return Bad(str(folder), "labels", lp.name)


def make_empty_idx_file(d: Path) -> Bad:
    folder, ip, _ = _idx_folder(d, "emptyidx", images=b"", gz=False)
    return Bad(str(folder), "empty", ip.name)


# --- CSV ----------------------------------------------------------------------------------------
def _rows(n=30, width=4, seed=0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [",".join(str(v) for v in rng.integers(0, 9, width)) + f",{i % 3}" for i in range(n)]


def make_ragged_csv(d: Path) -> Bad:
    rows = _rows()
    rows[7] = "1,2,0"
    return Bad(str(_write(d / "ragged.csv", "\n".join(rows) + "\n")), "shape", "ragged.csv")


def make_non_numeric_csv(d: Path) -> Bad:
    rows = _rows()
    rows[4] = "1,2,abc,4,1"
    return Bad(str(_write(d / "words_in_cells.csv", "\n".join(rows) + "\n")), "values",
               "words_in_cells.csv")


def make_nan_csv(d: Path) -> Bad:
    rows = _rows()
    rows[5] = "1,nan,3,4,1"
    return Bad(str(_write(d / "has_nan.csv", "\n".join(rows) + "\n")), "values", "has_nan.csv")


def make_inf_csv(d: Path) -> Bad:
    rows = _rows()
    rows[9] = "1,2,-inf,4,2"
    return Bad(str(_write(d / "has_inf.csv", "\n".join(rows) + "\n")), "values", "has_inf.csv")


def make_csv_label_out_of_range(d: Path) -> Bad:
    rows = _rows()
    rows[2] = "1,2,3,4,-1"
    return Bad(str(_write(d / "negative_label.csv", "\n".join(rows) + "\n")), "labels",
               "negative_label.csv")


def make_empty_csv(d: Path) -> Bad:
    return Bad(str(_write(d / "empty.csv", "")), "empty", "empty.csv")


def make_png_named_csv(d: Path) -> Bad:
    return Bad(str(_write(d / "picture.csv", _png())), "format", "picture.csv")


# --- word vectors -------------------------------------------------------------------------------
def make_word_vectors_wrong_width(d: Path) -> Bad:
    lines = [f"w{i} " + " ".join(f"{v:.3f}" for v in np.linspace(0, 1, 5) + i) for i in range(8)]
    lines[6] = "w6 0.1 0.2 0.3"
    return Bad(str(_write(d / "glove.5d.txt", "\n".join(lines) + "\n")), "shape", "glove.5d.txt")


def make_empty_word_vectors(d: Path) -> Bad:
    return Bad(str(_write(d / "vectors.vec", "")), "empty", "vectors.vec")


# --- npz ----------------------------------------------------------------------------------------
def make_picked_npz_with_objects(d: Path) -> Bad:
    """A user-picked imdb-style .npz: its object arrays need pickle, refused without trust."""
    return Bad(str(_save_imdb_npz(d / "reviews.npz")), "unsafe", "reviews.npz")


def make_keras_cache_imdb(d: Path) -> Bad:
    """Keras's own imdb.npz in ``$KERAS_HOME/datasets`` (object arrays): opened as the source
    ``keras-imdb`` only through the explicit "trust this file" choice. ``d`` is not used: the
    file goes where the cache is (conftest points KERAS_HOME at an empty folder per test)."""
    from reprviz_gui.core.data import keras_cache

    _save_imdb_npz(keras_cache.imdb_path())
    return Bad("keras-imdb", "unsafe", "imdb.npz")


def make_truncated_npz(d: Path) -> Bad:
    path = d / "cut.npz"
    np.savez(path, x_train=_images(50), y_train=_labels(50))
    path.write_bytes(path.read_bytes()[:1500])
    return Bad(str(path), "corrupt", "cut.npz")


def make_npz_label_mismatch(d: Path) -> Bad:
    path = d / "fewer_labels.npz"
    np.savez(path, x_train=_images(20), y_train=_labels(18))
    return Bad(str(path), "labels", "fewer_labels.npz")


def make_text_named_npz(d: Path) -> Bad:
    return Bad(str(_write(d / "table.npz", "1,2,3\n4,5,6\n")), "format", "table.npz")


# --- folders ------------------------------------------------------------------------------------
def make_empty_folder(d: Path) -> Bad:
    folder = d / "nothing_here"
    folder.mkdir()
    return Bad(str(folder), "empty", "nothing_here")


def make_folder_of_broken_images(d: Path) -> Bad:
    root = d / "broken_photos"
    for cls in ("cats", "dogs"):
        for i in range(3):
            _write(root / cls / f"{i}.png", b"\x89PNG\r\n\x1a\n" + b"not really" * i)
    return Bad(str(root), "empty", "broken_photos")


def make_folder_of_text_files(d: Path) -> Bad:
    root = d / "notes_folder"
    for cls in ("a", "b"):
        _write(root / cls / "readme.txt", "hello\n")
    return Bad(str(root), "format", "notes_folder")


# --- model files (loaded on digits) -------------------------------------------------------------
def make_truncated_keras(d: Path) -> Bad:
    """A .keras zip cut short (an interrupted download or copy)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("metadata.json", '{"keras_version": "3.0.0"}')
        z.writestr("config.json", '{"class_name": "Sequential", "config": {"layers": []}}')
        z.writestr("model.weights.h5", np.random.default_rng(0).bytes(20_000))
    data = buf.getvalue()
    return Bad(str(_write(d / "cut.keras", data[: len(data) // 2])), "model-file", "cut.keras")


def make_garbage_h5(d: Path) -> Bad:
    data = np.random.default_rng(1).bytes(4000)
    return Bad(str(_write(d / "garbage.h5", data)), "model-file", "garbage.h5")


def make_hdf5_named_keras(d: Path) -> Bad:
    import h5py

    path = d / "really_hdf5.keras"
    with h5py.File(path, "w") as f:
        f.attrs["note"] = "an HDF5 file, as an old model.save('x.h5') writes"
        f.create_dataset("w", data=np.zeros(4))
    return Bad(str(path), "model-file", "really_hdf5.keras")


def make_junk_zip_keras(d: Path) -> Bad:
    path = d / "holiday.keras"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("photo.jpg", b"\xff\xd8\xff" + b"\x00" * 100)
        z.writestr("readme.txt", "not a model")
    return Bad(str(path), "model-file", "holiday.keras")


def make_text_named_h5(d: Path) -> Bad:
    return Bad(str(_write(d / "notes.h5", "this is a text file\n")), "model-file", "notes.h5")


def lambda_model(keras):
    """A small model for digits (8x8 grey, 10 classes) with a Lambda layer."""
    return keras.Sequential([
        keras.Input((8, 8)), keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(16, activation="relu", name="hidden"),
        keras.layers.Lambda(lambda t: t * 2.0, name="double"),
        keras.layers.Dense(10, activation="softmax", name="output")])


def make_lambda_model(d: Path) -> Bad:
    from reprviz_gui.core.model.runtime import keras_module

    path = d / "with_lambda.keras"
    lambda_model(keras_module()).save(path)
    return Bad(str(path), "unsafe-model", "with_lambda.keras")


def make_keras_with_broken_weights(d: Path) -> Bad:
    """A real .keras for digits whose weights file inside the archive is junk: the zip and its
    config.json are fine, Keras itself fails."""
    from reprviz_gui.core.model.runtime import keras_module

    keras = keras_module()
    good = d / "good.keras"
    keras.Sequential([keras.Input((8, 8)), keras.layers.Flatten(),
                      keras.layers.Dense(10, activation="softmax")]).save(good)
    path = d / "broken_weights.keras"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.endswith(".h5"):
                data = np.random.default_rng(2).bytes(len(data))
            dst.writestr(info, data)
    good.unlink()
    return Bad(str(path), "model-file", "broken_weights.keras")


def make_model_naming_os_system(d: Path) -> Bad:
    """A crafted .keras whose config asks for ``os.system`` (the CVE-2025-1550 shape): refused
    before Keras reads it, with no "trust" override."""
    path = d / "evil.keras"
    payload = {"module": "os", "class_name": "function", "config": "system",
               "registered_name": "system"}
    config = {"module": "keras", "class_name": "Sequential", "registered_name": None,
              "config": {"name": "seq", "layers": [
                  {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
                   "config": {"batch_shape": [None, 8, 8], "name": "input"}},
                  {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
                   "config": {"name": "payload", "function": payload}}]}}
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", '{"keras_version": "3.15.1"}')
        z.writestr("config.json", json.dumps(config))
    return Bad(str(path), "model-file", "evil.keras names the Python module 'os'")


def make_mismatched_model(d: Path) -> Bad:
    """A valid model for 100-value vectors: it cannot read digits' 8x8 images. (A model for
    28x28 images no longer is a mismatch in the window: it is loaded behind a resizing layer,
    with a note, as issue 18 asks.)"""
    from reprviz_gui.core.model.runtime import keras_module

    keras = keras_module()
    path = d / "vector_sized.keras"
    keras.Sequential([keras.Input((100,)),
                      keras.layers.Dense(10, activation="softmax")]).save(path)
    return Bad(str(path), "mismatch", "vector_sized.keras: The model expects input of shape (100,)")


# --- the corpus ---------------------------------------------------------------------------------
DATA_CASES: list[Case] = [
    Case("truncated_gzip", "data", make_truncated_gzip),
    Case("corrupt_gzip", "data", make_corrupt_gzip),
    Case("wrong_idx_magic", "data", make_wrong_idx_magic),
    Case("idx_header_count_too_large", "data", make_header_count_too_large),
    Case("idx_label_count_mismatch", "data", make_label_count_mismatch),
    Case("idx_label_out_of_range", "data", make_idx_label_out_of_range),
    Case("empty_idx_file", "data", make_empty_idx_file),
    Case("ragged_csv", "data", make_ragged_csv),
    Case("non_numeric_csv", "data", make_non_numeric_csv),
    Case("nan_csv", "data", make_nan_csv),
    Case("inf_csv", "data", make_inf_csv),
    Case("csv_label_out_of_range", "data", make_csv_label_out_of_range),
    Case("empty_csv", "data", make_empty_csv),
    Case("png_named_csv", "data", make_png_named_csv),
    Case("word_vectors_wrong_width", "data", make_word_vectors_wrong_width),
    Case("empty_word_vectors", "data", make_empty_word_vectors),
    Case("picked_npz_with_objects", "data", make_picked_npz_with_objects, trusted=True),
    Case("keras_cache_imdb", "data", make_keras_cache_imdb, trusted=True),
    Case("truncated_npz", "data", make_truncated_npz),
    Case("npz_label_mismatch", "data", make_npz_label_mismatch),
    Case("text_named_npz", "data", make_text_named_npz),
    Case("empty_folder", "data", make_empty_folder),
    Case("folder_of_broken_images", "data", make_folder_of_broken_images),
    Case("folder_of_text_files", "data", make_folder_of_text_files),
]

MODEL_CASES: list[Case] = [
    Case("truncated_keras", "model", make_truncated_keras),
    Case("garbage_h5", "model", make_garbage_h5),
    Case("hdf5_named_keras", "model", make_hdf5_named_keras),
    Case("junk_zip_keras", "model", make_junk_zip_keras),
    Case("text_named_h5", "model", make_text_named_h5),
    Case("keras_with_broken_weights", "model", make_keras_with_broken_weights, needs_tf=True),
    Case("model_naming_os_system", "model", make_model_naming_os_system),
    Case("lambda_model", "model", make_lambda_model, needs_tf=True, trusted=True),
    Case("mismatched_model", "model", make_mismatched_model, needs_tf=True),
]

ALL_CASES: list[Case] = DATA_CASES + MODEL_CASES


# --- not an error: unreadable files skipped with a count ----------------------------------------
SKIPPED_NOTE = "2 file(s) skipped"
SIZES_NOTE = "different sizes"


def make_image_folder_with_skipped_files(d: Path) -> Path:
    """Two classes of readable PNGs of two sizes, plus a broken PNG and a text file: it opens,
    with the two skipped files counted in ``dataset.notes`` (``SKIPPED_NOTE``) and the mixed
    sizes noted (``SIZES_NOTE``)."""
    root = d / "shapes"
    for c, cls in enumerate(("circles", "squares")):
        for i in range(12):
            size = (8, 8) if i % 2 else (12, 10)
            _write(root / cls / f"{i:02d}.png", _png(size, colour=40 + 150 * c + i))
    _write(root / "circles" / "broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    _write(root / "squares" / "notes.txt", "not an image\n")
    return root
