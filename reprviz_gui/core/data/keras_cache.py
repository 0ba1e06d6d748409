"""The Keras dataset cache and ``.npz`` files in the Keras layouts (mnist.npz, imdb.npz).

Keras keeps what ``keras.datasets.*.load_data()`` downloaded in ``$KERAS_HOME/datasets``
(default ``~/.keras/datasets``): ``mnist.npz`` (plain uint8 arrays), ``fashion-mnist/`` (IDX gz
files), ``imdb.npz`` and ``imdb_word_index.json``. Offline lab machines often have these.

Keras's ``imdb.npz`` holds object arrays that only pickle can read, and pickle can run code hidden
in a file. So an ``.npz`` is always opened with ``allow_pickle=False`` first; pickle is used only
when the user explicitly trusts the file (``LoadOptions.allow_pickle``), or for the bundled
``imdb-sample`` after its SHA-256 matches the known value. Before numpy reads an array, the npy
header of every member is checked against the member's size and the memory budget, because
numpy allocates what the header asks for.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from .types import Dataset, LoadOptions
from ..errors import (DataError, FileFormatError, LabelError, ShapeDataError,
                      ValueDataError)
from ..progress import ProgressFn, StopFn, check_stop, report
from .npz import TRUST_HINT, inspect_npz, read_npz, unsafe_message  # noqa: F401 - re-exported
from .splitting import make_split
from .tabular import to_pixels

IMDB_CLASSES = ["negative", "positive"]
IMDB_START, IMDB_OOV, IMDB_PAD, IMDB_INDEX_FROM = 1, 2, 0, 3
_LAYOUT_KEYS = ("x_train", "y_train", "x_test", "y_test")
WORD_INDEX_NAME = "imdb_word_index.json"
RAGGED_OFFSETS = "__offsets"  # x_train + x_train__offsets: token sequences without pickle
MAX_WORD_INDEX_BYTES = 64_000_000  # Keras's full index is 1.6 MB
MAX_WORD_CHARS = 40  # the longest real IMDB "word" is shorter


# --- where the cache is -------------------------------------------------------------------------
def keras_home() -> Path:
    """``$KERAS_HOME`` (read at call time) or ``~/.keras``."""
    env = os.environ.get("KERAS_HOME")
    return Path(env).expanduser() if env else Path.home() / ".keras"


def datasets_dir() -> Path:
    return keras_home() / "datasets"


def mnist_path() -> Path:
    return datasets_dir() / "mnist.npz"


def fashion_dir() -> Path:
    return datasets_dir() / "fashion-mnist"


def imdb_path() -> Path:
    return datasets_dir() / "imdb.npz"


def word_index_path() -> Path:
    """The Keras cache's full IMDB word index (``keras.datasets.imdb.get_word_index()``)."""
    return datasets_dir() / WORD_INDEX_NAME


def available() -> dict[str, bool]:
    """Which Keras-cache sources exist now: ``{"keras-mnist": ..., ...}``."""
    from .idx import find_idx_files

    fashion = find_idx_files(fashion_dir()) if fashion_dir().is_dir() else {}
    return {
        "keras-mnist": mnist_path().is_file(),
        "keras-fashion-mnist": any({"images", "labels"} <= set(v) for v in fashion.values()),
        "keras-imdb": imdb_path().is_file(),
    }


# --- sequences -----------------------------------------------------------------------------------
def to_ragged(seqs) -> tuple[np.ndarray, np.ndarray]:
    """Token sequences (an object array of lists) as two plain arrays, readable without pickle:
    every id in one int32 array and each sequence's start in an int64 array (n + 1 entries)."""
    parts = [np.asarray(q, dtype=np.int64).ravel() for q in seqs]
    offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(a) for a in parts])
    flat = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    if flat.size and (flat.min() < np.iinfo(np.int32).min or flat.max() > np.iinfo(np.int32).max):
        raise ValueDataError("token ids do not fit 32 bits")
    return flat.astype(np.int32), offsets


def from_ragged(flat: np.ndarray, offsets: np.ndarray, name: str = "") -> np.ndarray:
    """``to_ragged``'s arrays as an object array of int32 sequences (made here, not unpickled)."""
    offsets = np.asarray(offsets)
    if flat.ndim != 1 or offsets.ndim != 1 or offsets.size == 0 or offsets[0] != 0 or \
            offsets[-1] != flat.size or np.any(np.diff(offsets) < 0):
        raise FileFormatError(f"{name}: its token sequences and their offsets do not match.")
    out = np.empty(offsets.size - 1, dtype=object)
    for i in range(offsets.size - 1):
        out[i] = flat[offsets[i]:offsets[i + 1]]
    return out


def pad_sequences(seqs, maxlen: int, name: str = "") -> np.ndarray:
    """Like ``keras.utils.pad_sequences`` with its defaults: pre-padding with 0, pre-truncation
    (keep the last ``maxlen`` tokens); int32 ``N×maxlen``."""
    maxlen = int(maxlen)
    if maxlen < 1:
        raise DataError(f"Sequence length (maxlen) must be at least 1, got {maxlen}.")
    out = np.zeros((len(seqs), maxlen), dtype=np.int32)
    for i, seq in enumerate(seqs):
        arr = _as_tokens(seq, i, name)
        if len(arr) == 0:
            continue
        tail = arr[-maxlen:]
        out[i, maxlen - len(tail):] = tail
    return out


def _as_tokens(seq, i: int, name: str) -> np.ndarray:
    try:
        arr = np.asarray(seq)
    except (ValueError, TypeError):
        arr = None
    if arr is None or arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
        raise ValueDataError(f"{name}: sequence {i} is not a list of whole-number token ids.")
    limit = np.iinfo(np.int32).max - IMDB_INDEX_FROM
    if arr.size and (int(arr.min()) < 0 or int(arr.max()) > limit):
        raise ValueDataError(f"{name}: sequence {i} holds a token id out of range "
                             f"(ids must be 0..{limit}).")
    return arr.astype(np.int64)


def build_vocabulary(word_index_file: Path,
                     max_token: Optional[int] = None) -> Optional[dict[int, str]]:
    """``{token: word}`` from Keras's ``imdb_word_index.json`` with the Keras offsets (word index +
    3; 0 = padding, 1 = start, 2 = out of vocabulary). ``None`` if the file is missing or bad."""
    try:
        if word_index_file.stat().st_size > MAX_WORD_INDEX_BYTES:
            return None
        raw = json.loads(word_index_file.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError, MemoryError):  # deep JSON: RecursionError
        return None
    if not isinstance(raw, dict):
        return None
    vocab: dict[int, str] = {IMDB_PAD: "<pad>", IMDB_START: "<start>", IMDB_OOV: "<oov>"}
    for word, index in raw.items():
        if isinstance(index, int) and not isinstance(index, bool) and index >= 1:
            token = index + IMDB_INDEX_FROM
            if max_token is None or token <= max_token:
                vocab[token] = _short_word(word)
    return vocab


def _short_word(word: str) -> str:
    """A word as shown in every review preview: at most ``MAX_WORD_CHARS`` (a 1 MB "word" in a
    doctored index would otherwise be copied into each card and tile)."""
    return word if len(word) <= MAX_WORD_CHARS else word[:MAX_WORD_CHARS - 1] + "…"


def word_index_candidates(beside: Optional[Path] = None) -> list[Path]:
    """Where an IMDB word index is looked for, best first: an ``imdb_word_index.json`` next to
    the data file (``beside``), the Keras cache's full index, the 1,000-word index bundled with
    reprviz (enough for the bundled sample, whose vocabulary stops at 500 words)."""
    from .sources import bundled_word_index_path  # sources imports this module

    out = [beside / WORD_INDEX_NAME] if beside is not None else []
    out += [word_index_path(), bundled_word_index_path()]
    return list(dict.fromkeys(out))


def _find_vocabulary(candidates: list[Path], tokens: dict[str, np.ndarray],
                     notes: list[str]) -> Optional[dict[int, str]]:
    """The vocabulary from the first readable index in ``candidates``; notes say what a user
    should know (an unreadable index, tokens the index has no word for, no index at all)."""
    max_token = max((int(a.max()) if a.size else 0 for a in tokens.values()), default=0)
    for path in candidates:
        if not path.is_file():
            continue
        vocabulary = build_vocabulary(path, max_token)
        if vocabulary is None:
            notes.append(f"{path} could not be read as a word index; trying the next one.")
            continue
        used = np.unique(np.concatenate([a.ravel() for a in tokens.values()])) \
            if tokens else np.zeros(0, dtype=np.int64)
        missing = [int(t) for t in used if int(t) > IMDB_INDEX_FROM and int(t) not in vocabulary]
        if missing:
            notes.append(f"{len(missing):,} token ids of these reviews have no word in {path}; "
                         f"they show as #id.")
        return vocabulary
    notes.append("No IMDB word index (imdb_word_index.json) found; reviews show as token ids.")
    return None


# --- datasets from npz ---------------------------------------------------------------------------
def load_npz_dataset(path: Path, options: LoadOptions = LoadOptions(),
                     on_progress: ProgressFn | None = None, should_stop: StopFn | None = None, *,
                     name: Optional[str] = None, provenance: Optional[str] = None,
                     class_names: Optional[list[str]] = None, n_classes: Optional[int] = None,
                     trusted_bytes: Optional[bytes] = None, sequences: Optional[bool] = None,
                     vocabulary_file: Optional[Path | Sequence[Path]] = None) -> Dataset:
    """An .npz in the Keras layout (``x_train, y_train`` and usually ``x_test, y_test``) as a
    Dataset: uint8 images (3-D/4-D arrays), token sequences (object arrays or 2-D integer arrays
    of an imdb file) padded to ``options.maxlen``, or float32 vectors (2-D arrays).

    ``trusted_bytes``: the file's content, already verified by hash; read with pickle allowed.
    ``vocabulary_file``: the word index (or candidates, first readable wins) to decode token
    sequences with; None = ``word_index_candidates(path.parent)`` for an imdb file.
    """
    fname = path.name
    report(on_progress, "load", 0.0, f"Reading {fname}")
    members = inspect_npz(path, data=trusted_bytes)
    missing = [k for k in ("x_train", "y_train") if k not in members]
    if missing:
        raise FileFormatError(f"{fname} does not hold the arrays x_train and y_train (it holds: "
                              f"{', '.join(sorted(members)[:8])}).")
    has_test = "x_test" in members and "y_test" in members
    keys = _LAYOUT_KEYS if has_test else ("x_train", "y_train")
    ragged = tuple(f"{k}{RAGGED_OFFSETS}" for k in ("x_train", "x_test")
                   if f"{k}{RAGGED_OFFSETS}" in members)
    arrays = read_npz(path, allow_pickle=trusted_bytes is not None or options.allow_pickle,
                      data=trusted_bytes, keys=keys + ragged)
    for name in ragged:  # token sequences stored without pickle (a session's copy)
        key = name[:-len(RAGGED_OFFSETS)]
        arrays[key] = from_ragged(arrays[key], arrays.pop(name), fname)
        sequences = True
    check_stop(should_stop)
    report(on_progress, "load", 0.5, f"Checking {fname}")
    is_imdb = "imdb" in fname.lower()
    x_tr = arrays["x_train"]
    if sequences is None:
        sequences = x_tr.dtype.hasobject or (is_imdb and x_tr.ndim == 2 and x_tr.dtype.kind in "iu")
    notes: list[str] = []
    parts = {}
    for split in ("train", "test") if has_test else ("train",):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        parts[split] = (x, _labels(y, len(x), f"y_{split}", fname, n_classes))
    vocabulary = None
    full: dict[str, list[np.ndarray]] = {}  # every review whole, when maxlen cuts one
    cut = False
    if sequences:
        tokens = {s: [_as_tokens(q, i, fname) for i, q in enumerate(p[0])]
                  for s, p in parts.items()}
        starts_ok = all(int(a[0]) == IMDB_START for seqs in tokens.values() for a in seqs if a.size)
        raw_ids = not starts_ok and is_imdb
        out = {}
        for s, seqs in tokens.items():
            if raw_ids:  # Keras's raw imdb.npz: word ranks; add start and offset like load_data()
                seqs = [np.concatenate(([IMDB_START], a + IMDB_INDEX_FROM)) for a in seqs]
            out[s] = pad_sequences(seqs, options.maxlen, fname)
            full[s] = [np.asarray(a, dtype=np.int32) for a in seqs]
            cut |= any(len(a) > options.maxlen for a in seqs)
            check_stop(should_stop)
        if raw_ids:
            notes.append("Token ids shifted like keras.datasets.imdb.load_data(): 1 = start of "
                         "review, word index + 3.")
        if vocabulary_file is None:
            candidates = word_index_candidates(path.parent) if is_imdb else []
        elif isinstance(vocabulary_file, (str, Path)):
            candidates = [Path(vocabulary_file)]
        else:
            candidates = [Path(c) for c in vocabulary_file]
        if candidates:
            vocabulary = _find_vocabulary(candidates, out, notes)
        xs_final = out
        kind = "sequence"
    else:
        xs_final = {}
        kind = None
        for s, (x, _) in parts.items():
            if x.dtype.hasobject or x.dtype.kind not in "iufb":
                raise ValueDataError(f"{fname}: x_{s} holds {x.dtype} values, not numbers.")
            if x.ndim in (3, 4):
                k = "image"
            elif x.ndim == 2:
                k = "vector"
            else:
                raise ShapeDataError(f"{fname}: x_{s} has shape {x.shape}; expected images "
                                     f"(N, H, W[, C]) or vectors (N, D).")
            if kind is not None and k != kind:
                raise ShapeDataError(f"{fname}: x_train and x_test have different shapes.")
            kind = k
            if x.dtype.kind == "f" and not np.isfinite(x).all():
                raise ValueDataError(f"{fname}: x_{s} holds NaN or infinite values.")
            xs_final[s] = x
        if kind == "image":
            converted = {}
            for s, x in xs_final.items():
                if x.dtype == np.uint8:
                    converted[s] = x
                    continue
                xf = x.astype(np.float64)
                lo, hi = float(xf.min()) if xf.size else 0.0, float(xf.max()) if xf.size else 0.0
                pix, note = to_pixels(xf, lo, hi, bool(np.all(xf == np.round(xf))))
                converted[s] = pix
                if note:
                    notes.append(f"x_{s}: {note}")
            xs_final = converted
        else:
            xs_final = {s: x.astype(np.float32) for s, x in xs_final.items()}
    if has_test and xs_final["train"].shape[1:] != xs_final["test"].shape[1:]:
        raise ShapeDataError(f"{fname}: x_train samples are {xs_final['train'].shape[1:]} but "
                             f"x_test samples are {xs_final['test'].shape[1:]}.")
    y_all = np.concatenate([p[1] for p in parts.values()])
    if class_names is None:
        n = int(y_all.max()) + 1 if len(y_all) else 0
        if sequences and is_imdb and n <= 2:
            class_names = list(IMDB_CLASSES)
        else:
            class_names = [str(i) for i in range(max(n, 1))]
    split_by_app = False
    if has_test:
        x_train, y_train = xs_final["train"], parts["train"][1]
        x_test, y_test = xs_final["test"], parts["test"][1]
    else:
        x_train, y_train, x_test, y_test, note = make_split(
            xs_final["train"], parts["train"][1], options.test_fraction, options.seed, "samples")
        notes.append(note)
        split_by_app = True
        if cut:  # the same stratified, seeded split as make_split's
            from .splitting import stratified_split

            tr, te = stratified_split(parts["train"][1], options.test_fraction, options.seed)
            whole = full["train"]
            full = {"train": [whole[i] for i in tr], "test": [whole[i] for i in te]}
    if len(y_train) + len(y_test) == 0:
        from ..errors import EmptyDataError

        raise EmptyDataError(f"{fname} holds no samples.")
    report(on_progress, "load", 1.0, f"Loaded {fname}")
    return Dataset(
        name=name or path.stem, kind=kind, x_train=x_train, y_train=y_train, x_test=x_test,
        y_test=y_test, class_names=list(class_names),
        provenance=provenance or (f"{fname}: {len(y_train):,} training and {len(y_test):,} test "
                                  f"samples."),
        split_made_by_app=split_by_app, vocabulary=vocabulary, notes=notes,
        per_sample_minmax=options.per_sample_minmax, full_sequences=full if cut else None)


def _labels(y: np.ndarray, n: int, key: str, fname: str, n_classes: Optional[int]) -> np.ndarray:
    y = np.asarray(y)
    if y.dtype.hasobject or y.dtype.kind not in "iuf" or y.ndim != 1:
        if y.ndim == 2 and y.shape[1] == 1 and y.dtype.kind in "iuf":
            y = y[:, 0]
        else:
            raise LabelError(f"{fname}: {key} must be one whole-number label per sample "
                             f"(it is {y.dtype} with shape {y.shape}).")
    if len(y) != n:
        raise LabelError(f"{fname}: {key} holds {len(y):,} labels but x_{key[2:]} holds {n:,} "
                         f"samples.")
    if y.dtype.kind == "f":
        if not np.isfinite(y).all() or not np.all(y == np.round(y)):
            raise LabelError(f"{fname}: {key} holds labels that are not whole numbers.")
    y = y.astype(np.int64)
    if len(y):
        lo, hi = int(y.min()), int(y.max())
        limit = n_classes if n_classes is not None else 10_000
        if lo < 0 or hi >= limit:
            bad = lo if lo < 0 else hi
            raise LabelError(f"{fname}: {key} holds the label {bad}, outside the range "
                             f"0..{limit - 1}.")
    return y


# --- the cache entries ---------------------------------------------------------------------------
def _missing(source: str, path: Path, call: str) -> DataError:
    return DataError(f"{source} is not in the Keras cache: {path} does not exist. Run {call} once "
                     f"on a machine with internet and copy the file there, or set KERAS_HOME.")


def load_keras_mnist(options: LoadOptions = LoadOptions(), on_progress: ProgressFn | None = None,
                     should_stop: StopFn | None = None) -> Dataset:
    path = mnist_path()
    if not path.is_file():
        raise _missing("keras-mnist", path, "keras.datasets.mnist.load_data()")
    ds = load_npz_dataset(path, options, on_progress, should_stop, name="keras-mnist",
                          class_names=[str(i) for i in range(10)], n_classes=10, sequences=False,
                          provenance=f"MNIST from the Keras cache ({path}).")
    if ds.kind != "image":
        raise ShapeDataError(f"{path.name}: x_train is not a stack of images.")
    return ds


def load_keras_fashion(options: LoadOptions = LoadOptions(), on_progress: ProgressFn | None = None,
                       should_stop: StopFn | None = None) -> Dataset:
    from .idx import FASHION_CLASSES, load_idx_folder

    folder = fashion_dir()
    if not available()["keras-fashion-mnist"]:
        raise _missing("keras-fashion-mnist", folder, "keras.datasets.fashion_mnist.load_data()")
    return load_idx_folder(folder, options, on_progress, should_stop, name="keras-fashion-mnist",
                           class_names=FASHION_CLASSES,
                           provenance=f"Fashion-MNIST from the Keras cache ({folder}).")


def load_keras_imdb(options: LoadOptions = LoadOptions(), on_progress: ProgressFn | None = None,
                    should_stop: StopFn | None = None) -> Dataset:
    path = imdb_path()
    if not path.is_file():
        raise _missing("keras-imdb", path, "keras.datasets.imdb.load_data()")
    return load_npz_dataset(path, options, on_progress, should_stop, name="keras-imdb",
                            class_names=list(IMDB_CLASSES), n_classes=2, sequences=True,
                            vocabulary_file=word_index_candidates(),
                            provenance=f"IMDB reviews from the Keras cache ({path}).")


def sha256_bytes(path: Path) -> tuple[str, bytes]:
    data = path.read_bytes()
    return hashlib.sha256(data).hexdigest(), data
