"""CSV files: one sample per row, or a table of word vectors.

A samples CSV has numeric feature columns and one label column (``LoadOptions.label_column``: a
name or a 0-based index; by default the column named "label" when the header has one, else the
last column), or only feature columns and a separate labels file (``LoadOptions.labels_file``,
see ``labels.py``). With ``LoadOptions.image_shape`` each row is an image (``pixel_order=
"column"`` for files stored column-major, like the 20x20 digits of Andrew Ng's course); without
it rows are float32 vectors. Labels that are names ("setosa", "versicolor", ...) become classes
numbered in sorted order and keep their names in ``Dataset.class_names``.

Spreadsheet exports are read as they are (``csv_sniff.py``): comma, semicolon or tab delimiters,
decimal commas with a semicolon or tab delimiter, and a UTF-8 byte-order mark. The file is read
as a stream, a chunk of rows at a time, so a large CSV never exists as millions of Python
strings.

A CSV whose first column holds unique, non-numeric words next to numeric columns (the layout of
the bundled ``capitals.csv``) is a word table; ``word_vectors.word_table_dataset`` builds that.

Every problem is a ``DataError`` subclass whose one-line message names the file, and the line and
column where it matters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import Iterator, Optional

import numpy as np

from .types import Dataset, LoadOptions
from ..errors import (DataError, EmptyDataError, FileFormatError, LabelError, ShapeDataError,
                      ValueDataError)
from .idx import ensure_fits
from ..progress import ProgressFn, StopFn, check_stop, report
from .splitting import make_split
from .csv_sniff import (CountingLines, Dialect, check_text_file, is_number, iter_rows,
                        open_text, read_start, sniff_dialect)
from .labels import MAX_CLASSES, labels_from_cells, labels_from_file

# kept importable from here (word_vectors.py and keras_cache.py use them)
_CountingLines = CountingLines
__all__ = ["FLOAT32_MAX", "MAX_CLASSES", "CsvPreview", "check_image_shape", "check_text_file",
           "csv_columns", "is_number", "is_word_table", "labels_from_cells", "load_csv",
           "preview_csv",
           "reshape_images", "to_pixels"]

SNIFF_ROWS = 200  # rows looked at to detect the header, the column types and word tables
DIALECT_LINES = 50  # lines looked at to detect the delimiter and the decimal mark
CHUNK_ROWS = 2048
FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass
class _Layout:
    header: Optional[list[str]]
    width: int
    label_col: Optional[int]
    word_table: bool
    numeric_cols: list[int]
    string_cols: list[int]

    def column_name(self, j: int) -> str:
        if self.header is not None and self.header[j]:
            return f"column {j + 1} ('{self.header[j][:40]}')"
        return f"column {j + 1}"


def _detect_header(rows: list[tuple[int, list[str]]]) -> bool:
    first = rows[0][1]
    if all(is_number(c) for c in first):
        return False
    if len(rows) == 1:
        return not any(is_number(c) for c in first)
    # a header cell is non-numeric above a numeric cell
    others = [r for _, r in rows[1:] if len(r) == len(first)]
    for j, cell in enumerate(first):
        if not is_number(cell) and any(is_number(r[j]) for r in others):
            return True
    return False


def _resolve_label_column(option, header: Optional[list[str]], width: int, name: str,
                          default_names: tuple[str, ...]) -> Optional[int]:
    """Index of the label column; ``None`` only when no option is given and no default name is
    in the header and ``default_names`` is empty (word tables)."""
    if option is None:
        if header is not None:
            lowered = [h.lower() for h in header]
            for want in default_names:
                if want in lowered:
                    return lowered.index(want)
        return None
    if isinstance(option, bool):
        raise LabelError(f"{name}: label column must be a column name or number, not {option!r}.")
    if isinstance(option, str) and option.strip().lstrip("-").isdigit() and (
            header is None or option not in header):
        option = int(option)
    if isinstance(option, (int, np.integer)):
        idx = int(option)
        if not -width <= idx < width:
            raise LabelError(f"{name}: there is no label column {idx}; the file has {width} "
                             f"columns (0..{width - 1}).")
        return idx % width
    if header is None:
        raise LabelError(f"{name} has no header row, so the label column cannot be called "
                         f"'{option}'; give its number (0 = first column) instead.")
    if option in header:
        return header.index(option)
    lowered = [h.lower() for h in header]
    if str(option).lower() in lowered:
        return lowered.index(str(option).lower())
    shown = ", ".join(header[:8]) + (", ..." if len(header) > 8 else "")
    raise LabelError(f"{name} has no column named '{option}' (columns: {shown}).")


def _plan(rows: list[tuple[int, list[str]]], options: LoadOptions, name: str) -> _Layout:
    if len(rows) >= 2 and not any(is_number(c) for _, r in rows for c in r):
        raise FileFormatError(f"{name} holds no numbers; it does not look like a data CSV.")
    has_header = options.has_header if options.has_header is not None else _detect_header(rows)
    header = [c.strip() for c in rows[0][1]] if has_header else None
    data = rows[1:] if has_header else rows
    width = len(rows[0][1])
    if header is not None and not data:
        raise EmptyDataError(f"{name} has a header row but no data rows.")
    for line, row in data:
        if len(row) != width:
            raise ShapeDataError(_ragged(name, line, len(row), width, header is not None))
    if options.labels_file is not None:  # every column is a feature; labels come from the file
        if options.label_column is not None:
            raise LabelError(f"{name}: give either a label column or a labels file "
                             f"({Path(options.labels_file).name}), not both.")
        return _Layout(header, width, None, False, list(range(width)), [])
    # word table: first column of unique non-numeric words, other columns numbers
    if options.image_shape is None and width >= 2:
        first = [r[0].strip() for _, r in data]
        numeric = [j for j in range(1, width) if all(is_number(r[j]) for _, r in data)]
        label_opt = _resolve_label_column(options.label_column, header, width, name, ())
        if (numeric and label_opt != 0 and not any(is_number(w) for w in first)
                and len(set(first)) == len(first)):
            label = _resolve_label_column(options.label_column, header, width, name,
                                          ("label", "kind", "class"))
            numeric = [j for j in numeric if j != label]
            if numeric:
                strings = [j for j in range(width) if j not in numeric]
                return _Layout(header, width, label, True, numeric, strings)
    if width < 2:
        raise ShapeDataError(f"{name} has a single column; a samples CSV needs feature columns "
                             f"and a label column.")
    label = _resolve_label_column(options.label_column, header, width, name, ("label",))
    if label is None:
        label = width - 1
    if not any(is_number(r[j]) for _, r in data for j in range(width) if j != label):
        raise FileFormatError(f"{name} holds no numbers outside the label column; it does not "
                              f"look like a data CSV.")
    return _Layout(header, width, label, False, [j for j in range(width) if j != label], [label])


def _ragged(name: str, line: int, n: int, width: int, header: bool) -> str:
    return (f"{name}, line {line}: {n} values, but the {'header' if header else 'first row'} "
            f"has {width}; every row must have the same number of columns.")


def _bad_cell_error(name: str, layout: _Layout, line: int, col: int, cell: str) -> ValueDataError:
    where = f"{name}, line {line}, {layout.column_name(col)}"
    cell = cell.strip()
    if cell == "":
        return ValueDataError(f"{where}: the cell is empty; every cell must hold a number.")
    shown = cell if len(cell) <= 30 else cell[:27] + "..."
    return ValueDataError(f"{where}: '{shown}' is not a number.")


@dataclass
class _Parsed:
    values: np.ndarray  # float32 (N, F)
    strings: dict[int, list[str]]
    lines: list[int]
    lo: float
    hi: float
    integral: bool


def _parse(rows: Iterator[tuple[int, list[str]]], layout: _Layout, name: str,
           progress, should_stop: StopFn | None) -> _Parsed:
    chunks: list[np.ndarray] = []
    strings: dict[int, list[str]] = {j: [] for j in layout.string_cols}
    lines: list[int] = []
    lo, hi, integral = math.inf, -math.inf, True
    buf: list[list[str]] = []
    buf_lines: list[int] = []
    numeric = layout.numeric_cols
    take = _taker(numeric, layout.width)

    def flush() -> None:
        nonlocal lo, hi, integral
        if not buf:
            return
        try:
            arr = np.array(buf, dtype=np.float64)
        except (ValueError, OverflowError):
            for i, row in enumerate(buf):
                for j, cell in enumerate(row):
                    if not is_number(cell):
                        raise _bad_cell_error(name, layout, buf_lines[i], numeric[j],
                                              cell) from None
            raise  # pragma: no cover - numpy refused a cell float() accepts
        arr = arr.reshape(len(buf), len(numeric))
        finite = np.isfinite(arr)
        if not finite.all():
            i, j = map(int, np.argwhere(~finite)[0])
            raise ValueDataError(f"{name}, line {buf_lines[i]}, {layout.column_name(numeric[j])}: "
                                 f"'{buf[i][j].strip()}' is not a finite number (NaN and infinity "
                                 f"are not allowed).")
        too_big = np.abs(arr) > FLOAT32_MAX
        if too_big.any():
            i, j = map(int, np.argwhere(too_big)[0])
            raise ValueDataError(f"{name}, line {buf_lines[i]}, {layout.column_name(numeric[j])}: "
                                 f"'{buf[i][j].strip()}' is too large (32-bit floats end near "
                                 f"3.4e38).")
        if arr.size:
            lo, hi = min(lo, float(arr.min())), max(hi, float(arr.max()))
            integral = integral and bool(np.all(arr == np.round(arr)))
        chunks.append(arr.astype(np.float32))
        buf.clear()
        buf_lines.clear()
        check_stop(should_stop)
        progress()

    for line, row in rows:
        if len(row) != layout.width:
            raise ShapeDataError(_ragged(name, line, len(row), layout.width,
                                         layout.header is not None))
        buf.append(take(row))
        buf_lines.append(line)
        lines.append(line)
        for j in layout.string_cols:
            strings[j].append(row[j].strip())
        if len(buf) >= CHUNK_ROWS:
            flush()
    flush()
    values = (np.concatenate(chunks) if chunks
              else np.zeros((0, len(numeric)), dtype=np.float32))
    return _Parsed(values, strings, lines, lo, hi, integral)


def _taker(numeric: list[int], width: int):
    """A fast ``row -> [row[j] for j in numeric]`` for the usual layouts (label first or last)."""
    if numeric and numeric == list(range(numeric[0], numeric[-1] + 1)):
        a, b = numeric[0], numeric[-1] + 1
        return lambda row: row[a:b]
    missing = sorted(set(range(width)) - set(numeric))
    if len(missing) == 1:
        k = missing[0]
        return lambda row: row[:k] + row[k + 1:]
    return lambda row: [row[j] for j in numeric]


def check_image_shape(shape, name: str) -> tuple[int, ...]:
    try:
        dims = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise ShapeDataError(f"{name}: the image shape {shape!r} is not a list of whole numbers.")
    if len(dims) not in (2, 3) or any(d <= 0 for d in dims):
        raise ShapeDataError(f"{name}: the image shape {shape!r} must be height x width or "
                             f"height x width x channels, all positive.")
    return dims


def to_pixels(values: np.ndarray, lo: float, hi: float, integral: bool,
              per_sample: bool = False) -> tuple[np.ndarray, str]:
    """uint8 pixels: whole numbers within 0..255 as they are, anything else min-max scaled over
    the whole array to 0..255 (returns the note that says so, else ""). ``per_sample``: the
    user chose to scale each sample on its own (``Dataset.inputs`` does), and the note says so."""
    if integral and lo >= 0 and hi <= 255:
        return values.astype(np.uint8), ""
    span = hi - lo
    if not np.isfinite(span) or span <= 0:
        scaled = np.zeros(values.shape, dtype=np.uint8)
    else:
        scaled = np.rint((values.astype(np.float64) - lo) * (255.0 / span)).clip(0, 255)
        scaled = scaled.astype(np.uint8)
    how = ("each sample is scaled to its own min..max, as chosen" if per_sample else
           "they were scaled to 0..255 (min-max over the whole file)")
    return scaled, f"Pixel values range from {lo:g} to {hi:g}, not whole numbers 0..255; {how}."


def reshape_images(flat: np.ndarray, shape: tuple[int, ...], pixel_order: str) -> np.ndarray:
    """Rows of pixels -> images; ``pixel_order="column"`` reads each row in Fortran order."""
    n = len(flat)
    if pixel_order == "column":
        # element (i, j[, c]) of a column-major image sits at i + j*H (+ c*H*W)
        return np.ascontiguousarray(flat.reshape((n,) + shape[::-1]).transpose(
            (0,) + tuple(range(len(shape), 0, -1))))
    return flat.reshape((n,) + shape)


def _read_rows(path: Path, options: LoadOptions, on_progress: ProgressFn | None,
               should_stop: StopFn | None, max_rows: Optional[int] = None
               ) -> tuple[_Parsed, _Layout, Dialect]:
    """Parse ``path`` (at most ``max_rows`` data rows) into numbers and label strings."""
    name = path.name
    size = check_text_file(path, "CSV")
    if options.pixel_order not in ("row", "column"):
        raise DataError(f"{name}: pixel order must be 'row' or 'column', not "
                        f"{options.pixel_order!r}.")
    if max_rows is None:
        # every value is at least one character plus a separator, and becomes a 4-byte float
        ensure_fits(2 * size, f"Reading {name}")
    report(on_progress, "load", 0.0, f"Reading {name}")
    with open_text(path) as fh:
        counted = CountingLines(fh, name, "CSV")
        lines = iter(counted)
        start = read_start(lines, DIALECT_LINES)
        if not any(line.strip() for line in start):
            raise EmptyDataError(f"{name} is empty.")
        dialect = sniff_dialect(start)
        rows = iter_rows(chain(start, lines), dialect, name)
        sniff = list(islice(rows, SNIFF_ROWS + 1))
        if not sniff:
            raise EmptyDataError(f"{name} is empty.")
        layout = _plan(sniff, options, name)
        data_rows = chain(sniff[1:] if layout.header is not None else sniff, rows)
        if max_rows is not None:
            data_rows = islice(data_rows, max_rows)

        def progress() -> None:
            report(on_progress, "load", 0.95 * counted.chars / max(1, size), f"Reading {name}")

        parsed = _parse(data_rows, layout, name, progress, should_stop)
    if len(parsed.lines) == 0:
        raise EmptyDataError(f"{name} holds no data rows.")
    return parsed, layout, dialect


def load_csv(path: str | Path, options: LoadOptions = LoadOptions(),
             on_progress: ProgressFn | None = None, should_stop: StopFn | None = None) -> Dataset:
    """Load a CSV of samples (or a word table, see the module docstring) into a ``Dataset``."""
    path = Path(path)
    shape = check_image_shape(options.image_shape, path.name) if options.image_shape else None
    parsed, layout, dialect = _read_rows(path, options, on_progress, should_stop)
    if layout.word_table:
        from .word_vectors import word_table_dataset

        return word_table_dataset(path, parsed, layout, options)
    return _samples_dataset(path, parsed, layout, options, shape, dialect)


def _labels(path: Path, parsed: _Parsed, layout: _Layout, options: LoadOptions,
            limit: Optional[int] = None) -> tuple[np.ndarray, list[str], str]:
    """Labels, class names and where they came from (for the provenance line)."""
    if options.labels_file is not None:
        labels_path = Path(options.labels_file).expanduser()
        y, names = labels_from_file(labels_path, len(parsed.lines), path.name, options.label_map,
                                    limit=limit)
        return y, names, f"labels from {labels_path.name}"
    assert layout.label_col is not None
    y, names = labels_from_cells(parsed.strings[layout.label_col], parsed.lines, path.name,
                                 options.label_map, order="sorted")
    return y, names, f"labels from {layout.column_name(layout.label_col)}"


def _samples(path: Path, parsed: _Parsed, shape: Optional[tuple[int, ...]],
             options: LoadOptions) -> tuple[np.ndarray, str, list[str]]:
    """The samples as stored (uint8 images or float32 vectors), their kind and notes."""
    notes: list[str] = []
    n_features = parsed.values.shape[1]
    if shape is None:
        return parsed.values, "vector", notes
    n_pixels = math.prod(int(d) for d in shape)  # Python ints: np.prod wraps around at 2**64
    if n_pixels != n_features:
        besides = " (besides the label)" if options.labels_file is None else ""
        raise ShapeDataError(f"{path.name}: the image shape {'x'.join(map(str, shape))} needs "
                             f"{n_pixels} values per row, but the rows hold {n_features}"
                             f"{besides}.")
    pixels, note = to_pixels(parsed.values, parsed.lo, parsed.hi, parsed.integral,
                             options.per_sample_minmax)
    if note:
        notes.append(note)
    return reshape_images(pixels, shape, options.pixel_order), "image", notes


def _samples_dataset(path: Path, parsed: _Parsed, layout: _Layout, options: LoadOptions,
                     shape: Optional[tuple[int, ...]], dialect: Dialect) -> Dataset:
    x, kind, notes = _samples(path, parsed, shape, options)
    y, class_names, label_text = _labels(path, parsed, layout, options)
    x_train, y_train, x_test, y_test, note = make_split(x, y, options.test_fraction, options.seed,
                                                        "rows")
    notes.append(note)
    how = f" ({dialect.describe()})" if dialect.describe() else ""
    return Dataset(
        name=path.stem, kind=kind, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
        class_names=class_names,
        provenance=f"CSV file {path.name}{how}: {len(y):,} rows, {label_text}.",
        split_made_by_app=True, notes=notes, per_sample_minmax=options.per_sample_minmax)


def csv_columns(path: str | Path, has_header: Optional[bool] = None) -> tuple[list[str], bool]:
    """The column names of a CSV (its header cells, or "column 1", "column 2", ... when it has
    none) and whether it has a header, from its first rows only. For an import dialog."""
    path = Path(path)
    check_text_file(path, "CSV")
    with open_text(path) as fh:
        lines = iter(CountingLines(fh, path.name, "CSV"))
        start = read_start(lines, DIALECT_LINES)
        rows = list(islice(iter_rows(chain(start, lines), sniff_dialect(start), path.name), 50))
    if not rows:
        raise EmptyDataError(f"{path.name} is empty.")
    header = has_header if has_header is not None else _detect_header(rows)
    first = rows[0][1]
    if header:
        return [c.strip() or f"column {j + 1}" for j, c in enumerate(first)], True
    return [f"column {j + 1}" for j in range(len(first))], False


@dataclass(frozen=True)
class CsvPreview:
    """The first rows of a samples CSV as they would load: ``x`` as stored (uint8 images or
    float32 vectors, in file order, no split), ``y`` class numbers, ``class_names`` of those
    rows' labels, and ``notes``."""

    x: np.ndarray
    y: np.ndarray
    class_names: list[str]
    kind: str
    notes: list[str]
    dialect: str  # e.g. "semicolon-separated, decimal commas" ("" for plain commas)


def is_word_table(path: str | Path, options: LoadOptions = LoadOptions()) -> bool:
    """Whether ``load_csv`` reads this CSV as a table of word vectors (judged from its first
    rows, as ``load_csv`` judges it). Raises the ``DataError`` of a file it cannot read."""
    _, layout, _ = _read_rows(Path(path), options, None, None, max_rows=1)
    return layout.word_table


def preview_csv(path: str | Path, options: LoadOptions = LoadOptions(),
                n: int = 12) -> CsvPreview:
    """The first ``n`` samples of a CSV read exactly as ``load_csv`` reads them (only those
    rows and labels are read, so it is instant on a large file). Pixel scaling of non-0..255
    values uses the range of these rows. Raises the same ``DataError``s as ``load_csv``, also
    for a word table, which has no samples to preview."""
    path = Path(path)
    shape = check_image_shape(options.image_shape, path.name) if options.image_shape else None
    parsed, layout, dialect = _read_rows(path, options, None, None, max_rows=max(1, int(n)))
    if layout.word_table:
        raise FileFormatError(f"{path.name} is a table of word vectors, not samples with "
                              f"labels.")
    x, kind, notes = _samples(path, parsed, shape, options)
    y, class_names, _ = _labels(path, parsed, layout, options, limit=len(parsed.lines))
    return CsvPreview(x, y, class_names, kind, notes, dialect.describe())
