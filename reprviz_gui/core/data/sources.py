"""Where data comes from: the built-in sources, the Keras cache, and files or folders a user picks.

Public API (docs/architecture.md):
- ``list_sources() -> list[SourceInfo]``
- ``load_dataset(source, options=LoadOptions(), on_progress=None, should_stop=None) -> Dataset``
- ``DEFAULT_SOURCE``, ``SourceInfo``, ``resources_dir()``

``source`` is a source name or a path; a path's format is detected from its content (a folder of
IDX files, a folder of class sub-folders of images, a CSV of samples or words, a GloVe/word2vec
text file, an .npz in the Keras layout). Every problem is a ``DataError`` subclass with a one-line
message naming the file; no numpy/PIL/gzip exception reaches the caller.
"""

from __future__ import annotations

import os
import re
import zlib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from . import keras_cache
from .types import Dataset, LoadOptions
from ..errors import (CorruptFileError, DataError, EmptyDataError, FileFormatError, ReprvizError,
                      ResourceLimitError, UnsafeFileError)
from .idx import FASHION_CLASSES, GZIP_MAGIC, is_idx_folder, load_idx_folder
from .image_folder import is_image_folder, load_image_folder
from ..progress import ProgressFn, StopFn, check_stop, report
from .splitting import check_test_fraction, make_split
from .user_files import check_regular_file

DEFAULT_SOURCE = "fashion-mnist-sample"
IMDB_SAMPLE_SHA256 = "da99e324dca330e1655b535beaab61c0cfb42f104f48a53b22ca83d2c608c029"


@dataclass(frozen=True)
class SourceInfo:
    """One entry of the data-source list: ``name`` to pass to ``load_dataset``, ``label`` for a
    menu, a one-line ``description``, and whether its files are there now."""

    name: str
    label: str
    description: str
    available: bool


def resources_dir() -> Path:
    """The bundled data folder: the repository's ``resources/data``, or ``$REPRVIZ_RESOURCES``
    (either that data folder itself, or a ``resources`` folder that holds ``data/``)."""
    env = os.environ.get("REPRVIZ_RESOURCES")
    if env:
        path = Path(env).expanduser()
        if (path / "data").is_dir() and not (path / "fashion-mnist-subset").exists():
            return path / "data"
        return path
    return Path(__file__).resolve().parents[3] / "resources" / "data"


def _fashion_dir() -> Path:
    return resources_dir() / "fashion-mnist-subset"


def _imdb_sample_path() -> Path:
    return resources_dir() / "imdb-subset" / "imdb.npz"


def bundled_word_index_path() -> Path:
    """The first 1,000 words of Keras's IMDB word index, bundled to decode the bundled sample
    when the Keras cache has no full ``imdb_word_index.json``."""
    return resources_dir() / "imdb-subset" / keras_cache.WORD_INDEX_NAME


def _capitals_path() -> Path:
    return resources_dir() / "capitals" / "capitals.csv"


# --- provenance of the bundled data, from resources/data/README.md -----------------------------
_FALLBACK_PROVENANCE = {
    "fashion-mnist-subset/": "the first images of the public Fashion-MNIST files (Xiao, Rasul and "
                             "Vollgraf, 2017, Zalando Research), MIT licence",
    "imdb-subset/imdb.npz": "the first reviews of the Keras preprocessing of the Large Movie "
                            "Review Dataset (Maas et al., 2011)",
    "capitals/capitals.csv": "each word embedded on its own by the all-MiniLM-L6-v2 "
                             "sentence-embedding model (mean pooling, L2-normalised); model "
                             "published under Apache-2.0",
}


def _readme_source(entry: str) -> str:
    """The "source and licence" cell of ``entry``'s row in resources/data/README.md."""
    try:
        text = (resources_dir() / "README.md").read_text(encoding="utf-8")
    except OSError:
        text = ""
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].strip("`") == entry:
            return cells[-1].replace("`", "")
    return _FALLBACK_PROVENANCE[entry]


# --- the built-in sources -----------------------------------------------------------------------
def _load_fashion_sample(options: LoadOptions, on_progress, should_stop) -> Dataset:
    folder = _fashion_dir()
    if not folder.is_dir():
        raise DataError(f"The bundled Fashion-MNIST sample is missing: {folder} does not exist "
                        f"(a broken install? set REPRVIZ_RESOURCES to the data folder).")
    ds = load_idx_folder(folder, options, on_progress, should_stop, name=DEFAULT_SOURCE,
                         class_names=FASHION_CLASSES)
    ds.provenance = (f"Fashion-MNIST sample bundled with reprviz ({len(ds.y_train):,} training and "
                     f"{len(ds.y_test):,} test images): {_readme_source('fashion-mnist-subset/')}.")
    return ds


def _load_digits(options: LoadOptions, on_progress, should_stop) -> Dataset:
    from sklearn.datasets import load_digits

    report(on_progress, "load", 0.0, "Loading scikit-learn's digits")
    bunch = load_digits()
    x = np.rint(np.asarray(bunch.images, dtype=np.float64) * (255.0 / 16.0)).clip(0, 255)
    x = x.astype(np.uint8)
    y = np.asarray(bunch.target, dtype=np.int64)
    check_stop(should_stop)
    x_train, y_train, x_test, y_test, note = make_split(x, y, options.test_fraction, options.seed,
                                                        "images")
    return Dataset(
        name="digits", kind="image", x_train=x_train, y_train=y_train, x_test=x_test,
        y_test=y_test, class_names=[str(i) for i in range(10)],
        provenance=("scikit-learn's 8x8 handwritten digits (load_digits: 1,797 images from the UCI "
                    "ML optical recognition of handwritten digits data set), values 0..16 scaled "
                    "to 0..255."),
        split_made_by_app=True, notes=[note])


def _load_imdb_sample(options: LoadOptions, on_progress, should_stop) -> Dataset:
    path = _imdb_sample_path()
    if not path.is_file():
        raise DataError(f"The bundled IMDB sample is missing: {path} does not exist (a broken "
                        f"install? set REPRVIZ_RESOURCES to the data folder).")
    return load_trusted_npz(path, IMDB_SAMPLE_SHA256, options, on_progress, should_stop,
                            name="imdb-sample",
                            provenance=f"IMDB sample bundled with reprviz: "
                                       f"{_readme_source('imdb-subset/imdb.npz')}.")


def load_trusted_npz(path: Path, sha256: str, options: LoadOptions, on_progress=None,
                     should_stop=None, *, name: str, provenance: str) -> Dataset:
    """Load a known imdb-layout .npz with pickle, but only if its SHA-256 is ``sha256``; the bytes
    that were hashed are the bytes that are read."""
    try:
        digest, data = keras_cache.sha256_bytes(path)
    except OSError as exc:
        raise DataError(f"{path.name} cannot be read: {exc.strerror or exc}.") from None
    if digest != sha256:
        raise UnsafeFileError(f"{path.name} is not the file shipped with reprviz (its SHA-256 is "
                              f"{digest[:12]}..., expected {sha256[:12]}...); it needs pickle, "
                              f"which can run code, so it is not loaded. Reinstall the app to "
                              f"restore it.")
    ds = keras_cache.load_npz_dataset(
        path, options, on_progress, should_stop, name=name, provenance=provenance,
        class_names=list(keras_cache.IMDB_CLASSES), n_classes=2, trusted_bytes=data,
        sequences=True, vocabulary_file=keras_cache.word_index_candidates())
    return ds


def _load_capitals(options: LoadOptions, on_progress, should_stop) -> Dataset:
    from .tabular import load_csv

    path = _capitals_path()
    if not path.is_file():
        raise DataError(f"The bundled capitals table is missing: {path} does not exist (a broken "
                        f"install? set REPRVIZ_RESOURCES to the data folder).")
    ds = load_csv(path, LoadOptions(per_sample_minmax=options.per_sample_minmax), on_progress,
                  should_stop)
    ds.name = "capitals"
    counts = {c: int((ds.y_test == i).sum()) for i, c in enumerate(ds.class_names)}
    what = " and ".join(f"{n} {c.rstrip('y') + 'ies' if c.endswith('y') else c + 's'}"
                        for c, n in counts.items())
    ds.provenance = (f"{what} as {ds.x_test.shape[1]}-dimensional word vectors, bundled with "
                     f"reprviz: {_readme_source('capitals/capitals.csv')}.")
    return ds


_Loader = Callable[[LoadOptions, Optional[ProgressFn], Optional[StopFn]], Dataset]


@dataclass(frozen=True)
class _Builtin:
    label: str
    description: str
    load: _Loader
    available: Callable[[], bool]


def _builtins() -> dict[str, _Builtin]:
    cache = keras_cache.available  # evaluated at call time: the cache can change while running
    return {
        "fashion-mnist-sample": _Builtin(
            "Fashion-MNIST sample (bundled)",
            "3,615 training and 4,443 test 28x28 grey images of clothes, 10 classes.",
            _load_fashion_sample, lambda: _fashion_dir().is_dir()),
        "digits": _Builtin(
            "Digits 8x8 (scikit-learn)",
            "1,797 8x8 grey handwritten digits from scikit-learn; the app makes the split.",
            _load_digits, lambda: True),
        "imdb-sample": _Builtin(
            "IMDB reviews sample (bundled)",
            "5,000 training and 1,000 test movie reviews as word-index sequences, positive or "
            "negative.",
            _load_imdb_sample, lambda: _imdb_sample_path().is_file()),
        "capitals": _Builtin(
            "Countries and capitals (word vectors, bundled)",
            "24 countries and their capitals as 384-dimensional word vectors; no model needed.",
            _load_capitals, lambda: _capitals_path().is_file()),
        "keras-mnist": _Builtin(
            "MNIST (Keras cache)",
            "60,000 training and 10,000 test 28x28 handwritten digits from "
            "$KERAS_HOME/datasets/mnist.npz.",
            keras_cache.load_keras_mnist, lambda: cache()["keras-mnist"]),
        "keras-fashion-mnist": _Builtin(
            "Fashion-MNIST (Keras cache)",
            "60,000 training and 10,000 test 28x28 images of clothes from "
            "$KERAS_HOME/datasets/fashion-mnist/.",
            keras_cache.load_keras_fashion, lambda: cache()["keras-fashion-mnist"]),
        "keras-imdb": _Builtin(
            "IMDB reviews (Keras cache; needs trust)",
            "25,000 training and 25,000 test reviews from $KERAS_HOME/datasets/imdb.npz; the "
            "file needs pickle, so it loads only when you trust it.",
            keras_cache.load_keras_imdb, lambda: cache()["keras-imdb"]),
    }


def list_sources() -> list[SourceInfo]:
    """The built-in sources and the Keras cache entries, with ``available`` checked now."""
    out = []
    for name, b in _builtins().items():
        try:
            ok = bool(b.available())
        except OSError:
            ok = False
        out.append(SourceInfo(name, b.label, b.description, ok))
    return out


# --- paths ---------------------------------------------------------------------------------------
_TEXT_VECTOR_SUFFIXES = {".txt", ".vec"}
_CSV_SUFFIXES = {".csv", ".tsv"}
_IDX_FILE_RE = re.compile(r"^(train|t10k|test)-(images|labels)[-.]idx[13]-ubyte(\.gz)?$", re.I)


def _reads_as_csv(path: Path) -> bool:
    suffix = path.suffix.lower()
    if path.is_dir():
        return False
    if suffix in _CSV_SUFFIXES:
        return True
    return suffix in _TEXT_VECTOR_SUFFIXES and _first_line(path).count(",") >= 1 \
        and len(_first_line(path).split()) <= 1


def _check_labels_file_fits(options: LoadOptions, what: str) -> None:
    """A labels file only goes with a CSV of samples: say so rather than ignore it."""
    if options.labels_file is not None:
        raise DataError(f"A labels file ({Path(options.labels_file).name}) goes with a CSV of "
                        f"samples; {what} is not one.")


def _load_path(path: Path, options: LoadOptions, on_progress, should_stop) -> Dataset:
    from .tabular import load_csv
    from .word_vectors import load_text_vectors

    if not _reads_as_csv(path):
        _check_labels_file_fits(options, path.name)
    if path.is_dir():
        if is_idx_folder(path):
            return load_idx_folder(path, options, on_progress, should_stop)
        if is_image_folder(path):
            return load_image_folder(path, options, on_progress, should_stop)
        try:
            empty = not any(path.iterdir())
        except OSError as exc:
            raise DataError(f"{path.name} cannot be read: {exc.strerror or exc}.") from None
        if empty:
            raise EmptyDataError(f"The folder {path.name} is empty.")
        raise FileFormatError(f"The folder {path.name} holds neither IDX files "
                              f"(train-images-idx3-ubyte...) nor class sub-folders of images.")
    suffix = path.suffix.lower()
    if _IDX_FILE_RE.match(path.name):  # one of the standard IDX files: load its folder
        return load_idx_folder(path.parent, options, on_progress, should_stop)
    if suffix in _CSV_SUFFIXES:
        return load_csv(path, options, on_progress, should_stop)
    if suffix in _TEXT_VECTOR_SUFFIXES:
        if _reads_as_csv(path):
            return load_csv(path, options, on_progress, should_stop)
        return load_text_vectors(path, options, on_progress, should_stop)
    if suffix == ".npz":
        return keras_cache.load_npz_dataset(path, options, on_progress, should_stop)
    # unknown extension: decide from the content
    head = _head(path)
    if head.startswith(b"PK\x03\x04"):
        return keras_cache.load_npz_dataset(path, options, on_progress, should_stop)
    if head.startswith(GZIP_MAGIC):
        raise FileFormatError(f"{path.name} is gzip-compressed; reprviz reads gzip only for the "
                              f"standard IDX files (open their folder), so decompress it first.")
    if head[:2] == b"\x00\x00":
        raise FileFormatError(f"{path.name} looks like an IDX file; open the folder that holds the "
                              f"train-/t10k- images and labels files instead.")
    raise FileFormatError(f"{path.name}: unsupported file type; reprviz reads .csv, .txt/.vec "
                          f"(GloVe, word2vec), .npz, IDX folders and folders of images.")


def _head(path: Path, n: int = 16) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(n)
    except OSError as exc:
        raise DataError(f"{path.name} cannot be read: {exc.strerror or exc}.") from None


def _first_line(path: Path) -> str:
    line = _head(path, 4096).split(b"\n", 1)[0]
    return line.decode("utf-8", "replace")


# --- the entry point -----------------------------------------------------------------------------
def _check_options(options: LoadOptions) -> None:
    check_test_fraction(options.test_fraction)
    try:
        maxlen = int(options.maxlen)
    except (TypeError, ValueError):
        raise DataError(f"Sequence length (maxlen) must be a whole number, got "
                        f"{options.maxlen!r}.") from None
    if maxlen < 1:
        raise DataError(f"Sequence length (maxlen) must be at least 1, got {maxlen}.")


def load_dataset(source: str | Path, options: LoadOptions | None = LoadOptions(),
                 on_progress: ProgressFn | None = None,
                 should_stop: StopFn | None = None) -> Dataset:
    """Load ``source`` (a name from ``list_sources()`` or a path) as a ``Dataset``.

    Raises a ``DataError`` subclass for anything wrong with the data (``UnsafeFileError`` for a
    file that needs pickle without ``options.allow_pickle``), ``ResourceLimitError`` when it would
    not fit in memory, and ``Cancelled`` when ``should_stop()`` turned true.
    """
    options = options if options is not None else LoadOptions()
    _check_options(options)
    builtins = _builtins()
    key = source if isinstance(source, str) else None
    label = str(source)
    if isinstance(source, str) and not source.strip():
        raise DataError("No data source given: choose a built-in source or a file or folder.")
    if options.labels_file is not None and Path(options.labels_file).expanduser().exists():
        check_regular_file(Path(options.labels_file).expanduser())  # a FIFO would block
    try:
        if key is not None and key in builtins:
            _check_labels_file_fits(options, f"the built-in source '{key}'")
            ds = builtins[key].load(options, on_progress, should_stop)
        else:
            path = Path(source).expanduser()
            if not path.exists():
                names = ", ".join(builtins)
                raise DataError(f"No data source or file named '{label}' (built-in sources: "
                                f"{names}).")
            check_regular_file(path)  # a FIFO or a device would block or never end
            ds = _load_path(path, options, on_progress, should_stop)
    except ReprvizError:
        raise
    except MemoryError:
        raise ResourceLimitError(f"{Path(label).name} does not fit in memory.") from None
    except (EOFError, zlib.error, zipfile.BadZipFile) as exc:
        raise CorruptFileError(f"{Path(label).name} is damaged ({type(exc).__name__}: "
                               f"{' '.join(str(exc).split())[:160]}).") from None
    except OSError as exc:
        where = Path(exc.filename).name if getattr(exc, "filename", None) else Path(label).name
        raise DataError(f"{where} cannot be read: {exc.strerror or exc}.") from None
    ds.per_sample_minmax = bool(options.per_sample_minmax)
    report(on_progress, "load", 1.0, f"Loaded {ds.name}")
    return ds
