"""Word-vector tables without a model: GloVe and word2vec text files, and word-table CSVs.

- GloVe text: one ``word v1 v2 ... vD`` per line, separated by spaces.
- word2vec text (``.txt``/``.vec``, e.g. fastText): the same after a first line ``count dim``.
- CSV (see ``tabular.py``): a first column of unique words, numeric columns for the vector, an
  optional label column ("label", "kind" or "class", or ``LoadOptions.label_column``) and other
  text columns kept in ``Dataset.columns`` (``capitals.csv``: class names country/capital from
  ``kind``, and a ``country`` column).

A word table is not training data: everything goes in the test split, ``x_train`` has no rows, and
the samples are float32 vectors (kind "vector"). Class names of a word table keep the order in which
the labels first appear (so capitals.csv gives ["country", "capital"]).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

import numpy as np

from .types import Dataset, LoadOptions
from ..errors import (CorruptFileError, EmptyDataError, FileFormatError, ShapeDataError,
                      ValueDataError)
from .idx import ensure_fits
from ..progress import ProgressFn, StopFn, check_stop, report
from .csv_sniff import open_text
from .tabular import FLOAT32_MAX, _CountingLines, check_text_file, is_number, labels_from_cells

if TYPE_CHECKING:  # pragma: no cover
    from .tabular import _Layout, _Parsed

CHUNK_LINES = 4096
UNLABELLED_CLASS = "word"


def make_word_dataset(name: str, words: list[str], vectors: np.ndarray, labels: np.ndarray,
                      class_names: list[str], provenance: str, options: LoadOptions,
                      columns: Optional[dict[str, list[str]]] = None,
                      notes: Optional[list[str]] = None) -> Dataset:
    """A word table as a ``Dataset``: all rows in the test split, ``x_train`` empty."""
    vectors = np.asarray(vectors, dtype=np.float32)
    notes = list(notes or [])
    dupes = len(words) - len(set(words))
    if dupes:
        notes.append(f"{dupes} word(s) appear more than once; every occurrence is kept.")
    return Dataset(
        name=name, kind="vector",
        x_train=np.zeros((0, vectors.shape[1]), dtype=np.float32),
        y_train=np.zeros(0, dtype=np.int64),
        x_test=vectors, y_test=np.asarray(labels, dtype=np.int64),
        class_names=list(class_names), provenance=provenance, split_made_by_app=False,
        words=list(words), columns=dict(columns or {}), notes=notes,
        per_sample_minmax=options.per_sample_minmax)


def word_table_dataset(path: Path, parsed: "_Parsed", layout: "_Layout",
                       options: LoadOptions, provenance: Optional[str] = None) -> Dataset:
    """Build the ``Dataset`` of a word-table CSV parsed by ``tabular.load_csv``."""
    name = path.name
    words = parsed.strings[0]
    if layout.label_col is not None:
        labels, class_names = labels_from_cells(parsed.strings[layout.label_col], parsed.lines,
                                                name, options.label_map, order="first")
    else:
        labels = np.zeros(len(words), dtype=np.int64)
        class_names = [UNLABELLED_CLASS]
    columns = {}
    for j in layout.string_cols:
        if j in (0, layout.label_col):
            continue
        named = layout.header is not None and layout.header[j]
        key = layout.header[j] if named else f"column {j + 1}"
        columns[key] = parsed.strings[j]
    label_text = (f", classes from {layout.column_name(layout.label_col)}"
                  if layout.label_col is not None else "")
    return make_word_dataset(
        path.stem, words, parsed.values, labels, class_names,
        provenance or (f"Word table {name}: {len(words):,} words, {parsed.values.shape[1]}-"
                       f"dimensional vectors{label_text}."),
        options, columns=columns)


def load_text_vectors(path: str | Path, options: LoadOptions = LoadOptions(),
                      on_progress: ProgressFn | None = None,
                      should_stop: StopFn | None = None) -> Dataset:
    """Load a GloVe or word2vec text file (the word2vec ``count dim`` first line is detected)."""
    path = Path(path)
    name = path.name
    size = check_text_file(path, "word-vector")
    ensure_fits(2 * size, f"Reading {name}")
    report(on_progress, "load", 0.0, f"Reading {name}")
    words: list[str] = []
    chunks: list[np.ndarray] = []
    buf: list[list[str]] = []
    buf_lines: list[int] = []
    dim: Optional[int] = None
    declared: Optional[int] = None
    fmt = "GloVe"

    def flush() -> None:
        if not buf:
            return
        try:
            arr = np.array(buf, dtype=np.float64)
        except (ValueError, OverflowError):
            for i, row in enumerate(buf):
                for j, tok in enumerate(row):
                    if not is_number(tok):
                        shown = tok if len(tok) <= 30 else tok[:27] + "..."
                        raise ValueDataError(f"{name}, line {buf_lines[i]}, value {j + 1}: "
                                             f"'{shown}' is not a number.") from None
            raise  # pragma: no cover
        finite = np.isfinite(arr)
        if not finite.all():
            i, j = map(int, np.argwhere(~finite)[0])
            raise ValueDataError(f"{name}, line {buf_lines[i]}, value {j + 1}: '{buf[i][j]}' is "
                                 f"not a finite number (NaN and infinity are not allowed).")
        too_big = np.abs(arr) > FLOAT32_MAX
        if too_big.any():
            i, j = map(int, np.argwhere(too_big)[0])
            raise ValueDataError(f"{name}, line {buf_lines[i]}, value {j + 1}: '{buf[i][j]}' is "
                                 f"too large (32-bit floats end near 3.4e38).")
        chunks.append(arr.astype(np.float32))
        buf.clear()
        buf_lines.clear()
        check_stop(should_stop)
        report(on_progress, "load", 0.95 * counted.chars / max(1, size), f"Reading {name}")

    with open_text(path) as fh:  # UTF-8, or UTF-16 after its byte-order mark
        counted = _CountingLines(fh, name, "word-vector")
        for line_no, line in enumerate(counted, start=1):
            tokens = line.split()
            if not tokens:
                continue
            if dim is None:
                if (len(tokens) == 2 and tokens[0].isdigit() and tokens[1].isdigit()
                        and not words):
                    declared, dim, fmt = int(tokens[0]), int(tokens[1]), "word2vec"
                    if dim < 1:
                        raise FileFormatError(f"{name}: the word2vec header line says the "
                                              f"vectors have {dim} dimensions.")
                    continue
                if len(tokens) < 2 or not all(is_number(t) for t in tokens[1:]):
                    raise FileFormatError(
                        f"{name} is not a GloVe/word2vec text file: line {line_no} does not look "
                        f"like 'word v1 v2 ...' followed by numbers.")
                dim = len(tokens) - 1
            if len(tokens) != dim + 1:
                # a word with spaces in it (GloVe 840B has some): extra leading non-numbers
                extra = tokens[1:len(tokens) - dim]
                if len(tokens) < dim + 1 or any(is_number(t) for t in extra):
                    raise ShapeDataError(f"{name}, line {line_no}: {len(tokens) - 1} values after "
                                         f"the word, but the vectors have {dim}.")
                tokens = [" ".join(tokens[:len(tokens) - dim])] + tokens[len(tokens) - dim:]
            words.append(tokens[0])
            buf.append(tokens[1:])
            buf_lines.append(line_no)
            if len(buf) >= CHUNK_LINES:
                flush()
        flush()
    if not words:
        raise EmptyDataError(f"{name} holds no word vectors.")
    if declared is not None and declared != len(words):
        raise CorruptFileError(f"{name}: its first line says {declared:,} words but the file holds "
                               f"{len(words):,} (is it truncated?).")
    vectors = np.concatenate(chunks)
    return make_word_dataset(
        path.stem, words, vectors, np.zeros(len(words), dtype=np.int64), [UNLABELLED_CLASS],
        f"{fmt} text file {name}: {len(words):,} words, {vectors.shape[1]}-dimensional vectors.",
        options)
