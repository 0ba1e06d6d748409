"""CSV files: one sample per row, or a table of word vectors.

A samples CSV has numeric feature columns and one label column (``LoadOptions.label_column``: a
name or a 0-based index; by default the column named "label" when the header has one, else the
last column). With ``LoadOptions.image_shape`` each row is an image (``pixel_order="column"``
for files stored column-major, like the 20x20 digits of Andrew Ng's course); without it rows are
float32 vectors. The file is read as a stream, a chunk of rows at a time, so a large CSV never
exists as millions of Python strings.

A CSV whose first column holds unique, non-numeric words next to numeric columns (the layout of
the bundled ``capitals.csv``) is a word table; ``word_vectors.word_table_dataset`` builds that.

Every problem is a ``DataError`` subclass whose one-line message names the file, and the line and
column where it matters.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import Iterable, Iterator, Optional

import numpy as np

from .types import Dataset, LoadOptions
from .user_files import read_head
from ..errors import (DataError, EmptyDataError, FileFormatError, LabelError, ShapeDataError,
                      ValueDataError)
from .idx import ensure_fits
from ..progress import ProgressFn, StopFn, check_stop, report
from .splitting import make_split

SNIFF_ROWS = 200  # rows looked at to detect the header, the column types and word tables
CHUNK_ROWS = 2048
MAX_CLASSES = 10_000
FLOAT32_MAX = float(np.finfo(np.float32).max)

# signatures of binary files people pick by mistake; a text loader names what it found
_SIGNATURES: list[tuple[bytes, str]] = [
    (b"PK\x03\x04", "a zip archive (an .npz?)"),
    (b"\x1f\x8b", "a gzip file"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\x93NUMPY", "a numpy .npy file"),
    (b"\x89HDF", "an HDF5 file (a .h5 model?)"),
    (b"\x00\x00\x08", "an IDX file"),
]


def is_number(cell: str) -> bool:
    """True if ``float(cell)`` accepts it (NaN and inf too: they are rejected later, by name)."""
    try:
        float(cell)
    except (ValueError, TypeError):
        return False
    return True


def _sniff_binary(head: bytes) -> Optional[str]:
    for sig, what in _SIGNATURES:
        if head.startswith(sig):
            return what
    if b"\x00" in head:
        return "a binary file"
    return None


def check_text_file(path: Path, what: str) -> int:
    """Check that ``path`` is a non-empty text file; return its size in bytes."""
    name = path.name
    size, head = read_head(path, 65536, what)
    if size == 0 or not head.strip():
        raise EmptyDataError(f"{name} is empty.")
    found = _sniff_binary(head)
    if found:
        raise FileFormatError(f"{name} is not a {what} text file: it looks like {found}.")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            raise FileFormatError(f"{name} is not a {what} text file (it is not UTF-8 text: "
                                  f"byte {exc.start + 1} cannot be decoded).") from None
    return size


class _CountingLines:
    """Iterates the lines of a text file, counting characters read (for progress) and turning
    decoding errors into a ``FileFormatError``."""

    def __init__(self, fh: io.TextIOBase, name: str, what: str) -> None:
        self.fh, self.name, self.what, self.chars = fh, name, what, 0

    def __iter__(self) -> Iterator[str]:
        while True:
            try:
                line = self.fh.readline()
            except UnicodeDecodeError:
                raise FileFormatError(f"{self.name} is not a {self.what} text file (it holds "
                                      f"bytes that are not UTF-8 text).") from None
            if not line:
                return
            if "\x00" in line:
                raise FileFormatError(f"{self.name} is not a {self.what} text file (it holds "
                                      f"NUL bytes).")
            self.chars += len(line)
            yield line


def _guess_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _iter_rows(lines: Iterable[str], delimiter: str, name: str) -> Iterator[tuple[int, list[str]]]:
    """``(line number, cells)`` for each non-blank row."""
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FileFormatError(f"{name}, line {reader.line_num}: not valid CSV "
                                  f"({' '.join(str(exc).split())}).") from None
        if not row or all(not c.strip() for c in row):
            continue
        yield reader.line_num, row  # unstripped: float() ignores spaces; text is stripped on use


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


def _as_int(cell: str) -> Optional[int]:
    try:
        return int(cell)
    except ValueError:
        pass
    try:
        f = float(cell)
    except ValueError:
        return None
    if math.isfinite(f) and f.is_integer():
        return int(f)
    raise ValueError(cell)  # a number, but not a whole one


def labels_from_cells(cells: list[str], lines: list[int], name: str,
                      label_map: Optional[dict[int, int]] = None,
                      order: str = "sorted") -> tuple[np.ndarray, list[str]]:
    """Integer labels and class names from label cells.

    Whole numbers are class numbers (after ``label_map``), named "0".."max". Anything else is a
    class name; classes are sorted (``order="sorted"``) or kept in order of first appearance
    (``order="first"``).
    """
    ints: list[int] = []
    numeric = True
    for cell, line in zip(cells, lines):
        if cell == "":
            raise LabelError(f"{name}, line {line}: the label is empty.")
        try:
            value = _as_int(cell)
        except ValueError:
            raise LabelError(f"{name}, line {line}: the label '{cell}' is not a whole number; "
                             f"labels must be class numbers (0, 1, 2, ...) or class "
                             f"names.") from None
        if value is None:
            numeric = False
            break
        ints.append(value)
    if numeric:
        if label_map:
            mapping = {int(k): int(v) for k, v in label_map.items()}
            ints = [mapping.get(v, v) for v in ints]
        for value, line in zip(ints, lines):
            if value < 0:
                raise LabelError(f"{name}, line {line}: the label {value} is negative; labels must "
                                 f"be class numbers 0, 1, 2, ...")
            if value >= MAX_CLASSES:
                raise LabelError(f"{name}, line {line}: the label {value} is too large; labels "
                                 f"must be class numbers 0, 1, 2, ... (at most {MAX_CLASSES - 1}).")
        y = np.array(ints, dtype=np.int64)
        n = int(y.max()) + 1 if len(y) else 0
        return y, [str(i) for i in range(n)]
    if label_map:
        raise LabelError(f"{name}: a label map needs whole-number labels, but the labels are "
                         f"names such as '{next(c for c in cells if _safe_int(c) is None)}'.")
    if order == "first":
        classes = list(dict.fromkeys(cells))
    else:
        classes = sorted(set(cells))
    if len(classes) > MAX_CLASSES:
        raise LabelError(f"{name} has {len(classes):,} different labels; at most {MAX_CLASSES:,} "
                         f"classes are supported.")
    index = {c: i for i, c in enumerate(classes)}
    return np.array([index[c] for c in cells], dtype=np.int64), classes


def _safe_int(cell: str) -> Optional[int]:
    try:
        return _as_int(cell)
    except ValueError:
        return 0


def check_image_shape(shape, name: str) -> tuple[int, ...]:
    try:
        dims = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise ShapeDataError(f"{name}: the image shape {shape!r} is not a list of whole numbers.")
    if len(dims) not in (2, 3) or any(d <= 0 for d in dims):
        raise ShapeDataError(f"{name}: the image shape {shape!r} must be height x width or "
                             f"height x width x channels, all positive.")
    return dims


def to_pixels(values: np.ndarray, lo: float, hi: float, integral: bool) -> tuple[np.ndarray, str]:
    """uint8 pixels: whole numbers within 0..255 as they are, anything else min-max scaled over
    the whole array to 0..255 (returns the note that says so, else "")."""
    if integral and lo >= 0 and hi <= 255:
        return values.astype(np.uint8), ""
    span = hi - lo
    if not np.isfinite(span) or span <= 0:
        scaled = np.zeros(values.shape, dtype=np.uint8)
    else:
        scaled = np.rint((values.astype(np.float64) - lo) * (255.0 / span)).clip(0, 255)
        scaled = scaled.astype(np.uint8)
    return scaled, (f"Pixel values range from {lo:g} to {hi:g}, not whole numbers 0..255; they "
                    f"were scaled to 0..255 (min-max over the whole file).")


def reshape_images(flat: np.ndarray, shape: tuple[int, ...], pixel_order: str) -> np.ndarray:
    """Rows of pixels -> images; ``pixel_order="column"`` reads each row in Fortran order."""
    n = len(flat)
    if pixel_order == "column":
        # element (i, j[, c]) of a column-major image sits at i + j*H (+ c*H*W)
        return np.ascontiguousarray(flat.reshape((n,) + shape[::-1]).transpose(
            (0,) + tuple(range(len(shape), 0, -1))))
    return flat.reshape((n,) + shape)


def load_csv(path: str | Path, options: LoadOptions = LoadOptions(),
             on_progress: ProgressFn | None = None, should_stop: StopFn | None = None) -> Dataset:
    """Load a CSV of samples (or a word table, see the module docstring) into a ``Dataset``."""
    path = Path(path)
    name = path.name
    size = check_text_file(path, "CSV")
    if options.pixel_order not in ("row", "column"):
        raise DataError(f"{name}: pixel order must be 'row' or 'column', not "
                        f"{options.pixel_order!r}.")
    shape = check_image_shape(options.image_shape, name) if options.image_shape else None
    # every value is at least one character plus a separator, and becomes a 4-byte float
    ensure_fits(2 * size, f"Reading {name}")
    report(on_progress, "load", 0.0, f"Reading {name}")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        counted = _CountingLines(fh, name, "CSV")
        lines = iter(counted)
        leading: list[str] = []
        for line in lines:
            leading.append(line)
            if line.strip():
                break
        if not leading or not leading[-1].strip():
            raise EmptyDataError(f"{name} is empty.")
        rows = _iter_rows(chain(leading, lines), _guess_delimiter(leading[-1]), name)
        sniff = list(islice(rows, SNIFF_ROWS + 1))
        if not sniff:
            raise EmptyDataError(f"{name} is empty.")
        layout = _plan(sniff, options, name)
        data_rows = chain(sniff[1:] if layout.header is not None else sniff, rows)

        def progress() -> None:
            report(on_progress, "load", 0.95 * counted.chars / max(1, size), f"Reading {name}")

        parsed = _parse(data_rows, layout, name, progress, should_stop)
    if len(parsed.lines) == 0:
        raise EmptyDataError(f"{name} holds no data rows.")
    if layout.word_table:
        from .word_vectors import word_table_dataset

        return word_table_dataset(path, parsed, layout, options)
    return _samples_dataset(path, parsed, layout, options, shape)


def _samples_dataset(path: Path, parsed: _Parsed, layout: _Layout, options: LoadOptions,
                     shape: Optional[tuple[int, ...]]) -> Dataset:
    name = path.name
    assert layout.label_col is not None
    y, class_names = labels_from_cells(parsed.strings[layout.label_col], parsed.lines, name,
                                       options.label_map, order="sorted")
    notes: list[str] = []
    n_features = parsed.values.shape[1]
    if shape is not None:
        n_pixels = int(np.prod(shape))
        if n_pixels != n_features:
            raise ShapeDataError(f"{name}: the image shape {'x'.join(map(str, shape))} needs "
                                 f"{n_pixels} values per row, but the rows hold {n_features} "
                                 f"(besides the label).")
        pixels, note = to_pixels(parsed.values, parsed.lo, parsed.hi, parsed.integral)
        if note:
            notes.append(note)
        x = reshape_images(pixels, shape, options.pixel_order)
        kind = "image"
    else:
        x = parsed.values
        kind = "vector"
    x_train, y_train, x_test, y_test, note = make_split(x, y, options.test_fraction, options.seed,
                                                        "rows")
    notes.append(note)
    label_name = layout.column_name(layout.label_col)
    return Dataset(
        name=path.stem, kind=kind, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
        class_names=class_names,
        provenance=(f"CSV file {name}: {len(y):,} rows, labels from {label_name}."),
        split_made_by_app=True, notes=notes, per_sample_minmax=options.per_sample_minmax)
