"""Class labels of CSV samples: from a column of the CSV or from a separate labels file.

Labels are whole numbers (class numbers, after an optional ``label_map`` such as {10: 0} for
the 20x20 digits where 10 means 0) or class names ("setosa", "versicolor", ...).

Class names are numbered in **sorted** order (``order="sorted"``, what sample CSVs use): the
same names always get the same class numbers, whatever order the rows come in, so a model
trained on one export of a table still fits a reshuffled one. Word tables keep the order of
first appearance (``order="first"``: capitals.csv gives ["country", "capital"]).

A labels file (``LoadOptions.labels_file``) holds one label per line, as Octave/MATLAB write a
column vector (``y``), optionally under a header line ("label", "y", "class", ...); one row of
labels separated by commas, semicolons or tabs is read too.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import EmptyDataError, LabelError
from .csv_sniff import CountingLines, check_text_file, is_number, iter_rows, open_text, \
    read_start, sniff_dialect
from .idx import ensure_fits

MAX_CLASSES = 10_000
LABEL_HEADERS = frozenset({"label", "labels", "y", "class", "classes", "target", "species",
                           "category", "digit"})


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


def _safe_int(cell: str) -> Optional[int]:
    try:
        return _as_int(cell)
    except ValueError:
        return 0


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


def read_label_cells(path: Path, limit: Optional[int] = None) -> tuple[list[str], list[int]]:
    """The label cells of a labels file and their line numbers (header skipped), at most
    ``limit`` of them. Raises ``DataError`` subclasses naming the file."""
    name = path.name
    size = check_text_file(path, "labels")
    ensure_fits(2 * size, f"Reading {name}")
    cells: list[str] = []
    lines: list[int] = []
    with open_text(path) as fh:
        counted = iter(CountingLines(fh, name, "labels"))
        start = read_start(counted, 50)
        rows = iter_rows(_chain(start, counted), sniff_dialect(start), name)
        first_width: Optional[int] = None
        for line, row in rows:
            if first_width is None:
                first_width = len(row)
                if len(row) > 1:  # one row of labels: take it, it must be the only one
                    cells = [c.strip() for c in row]
                    lines = [line] * len(row)
                    continue
            if first_width > 1 or len(row) != 1:
                raise LabelError(f"{name}, line {line}: {len(row)} values; a labels file holds "
                                 f"one label per line (or all labels in one row).")
            cells.append(row[0].strip())
            lines.append(line)
            if limit is not None and len(cells) > limit:  # + 1 for a header line
                break
    if not cells:
        raise EmptyDataError(f"{name} is empty.")
    if _is_header(cells):
        cells, lines = cells[1:], lines[1:]
        if not cells:
            raise EmptyDataError(f"{name} holds a header but no labels.")
    if limit is not None:
        cells, lines = cells[:limit], lines[:limit]
    return cells, lines


def _is_header(cells: list[str]) -> bool:
    first = cells[0]
    if is_number(first):
        return False
    if first.lower() in LABEL_HEADERS:
        return True
    rest = cells[1:51]
    return bool(rest) and all(is_number(c) for c in rest)


def _chain(start: list[str], rest):
    yield from start
    yield from rest


def labels_from_file(path: str | Path, n_rows: int, data_name: str,
                     label_map: Optional[dict[int, int]] = None,
                     limit: Optional[int] = None) -> tuple[np.ndarray, list[str]]:
    """Labels for the ``n_rows`` samples of ``data_name`` from a separate labels file.

    With ``limit`` (a preview of the first rows), only the first ``limit`` labels are read and
    the counts are not compared. Raises ``LabelError`` when the counts differ."""
    path = Path(path).expanduser()
    cells, lines = read_label_cells(path, limit)
    if limit is None and len(cells) != n_rows:
        raise LabelError(f"{path.name} holds {len(cells):,} labels but {data_name} holds "
                         f"{n_rows:,} rows; there must be one label per row, in the same order.")
    if limit is not None and len(cells) < n_rows:
        raise LabelError(f"{path.name} holds only {len(cells):,} labels but {data_name} holds "
                         f"at least {n_rows:,} rows; there must be one label per row.")
    return labels_from_cells(cells, lines, path.name, label_map, order="sorted")


def parse_label_map(text: str) -> Optional[dict[int, int]]:
    """A label map as users type it: "10:0" or "10:0, 11:1" -> {10: 0, 11: 1}; "" -> None.
    Raises ValueError with a one-line message otherwise (the CLI and the import dialog both
    read it this way)."""
    out: dict[int, int] = {}
    for item in text.replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        src, sep, dst = item.partition(":")
        try:
            if not sep:
                raise ValueError
            out[int(src)] = int(dst)
        except ValueError:
            raise ValueError(f"expected FROM:TO pairs like 10:0 or 10:0, 11:1, not "
                             f"{text.strip()!r}") from None
    return out or None
