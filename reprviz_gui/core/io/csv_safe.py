"""CSV that a spreadsheet opens without running anything: OWASP's CSV-injection rule.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula (``=HYPERLINK("http://x","y")`` becomes a
link, ``@SUM(1+1)`` runs). Such a cell is written with a leading ``'``, which the spreadsheet
shows as text (https://owasp.org/www-community/attacks/CSV_Injection). Numbers written as
numbers (int, float, numpy scalars; ``-0.5`` included) are not text and are left alone, so a
column of losses still sorts as numbers. A dataset name, a model file's name or a class name
comes from a file the user opened: every CSV reprviz writes goes through here.
"""

from __future__ import annotations

import csv
import io
import math
import numbers
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from .atomic import atomic_write_text

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value as it goes into a CSV cell: text that a spreadsheet would take for a formula
    gets a leading ``'``; numbers stay numbers (non-finite ones as empty cells), None is empty."""
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)).lower()
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        f = float(value)
        return repr(f) if math.isfinite(f) else ""
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A whole CSV document (``\\r\\n`` line ends, as the csv module writes and RFC 4180 says)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buf.getvalue()


def write_csv(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    """Write a CSV table atomically, every cell through ``safe_cell``."""
    return atomic_write_text(Path(path), csv_text(header, rows))
