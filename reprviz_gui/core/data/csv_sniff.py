"""Reading CSV text the way spreadsheets write it.

- The file must be UTF-8 text; a UTF-8 byte-order mark (Excel's "CSV UTF-8") is dropped.
  Binary files picked by mistake are named ("it looks like a PNG image").
- The delimiter is detected from the first lines: comma, semicolon or tab, whichever splits
  every line into the same number of columns (the most columns wins; a tie goes to tab, then
  semicolon, because a comma may be a decimal comma).
- With a semicolon or tab delimiter, numbers written with a decimal comma ("1,5", as
  spreadsheets in German, French, ... locales save them) are read as 1.5. A comma-separated
  file always uses decimal points.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Optional

from ..errors import EmptyDataError, FileFormatError
from .user_files import read_head

DELIMITERS = ("\t", ";", ",")  # in the order a tie is broken
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_DECIMAL_COMMA = re.compile(r"\s*[+-]?(\d+,\d*|,\d+)([eE][+-]?\d+)?\s*")

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
        even, odd = head[0::2], head[1::2]
        if len(head) >= 8 and (even.count(0) > 0.9 * len(even) or odd.count(0) > 0.9 * len(odd)):
            return "UTF-16 text without a byte-order mark (save it as UTF-8 text)"
        return "a binary file"
    return None


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def text_encoding(head: bytes) -> str:
    """How to decode a text file that starts with ``head``: UTF-16 when it starts with its
    byte-order mark (Excel's "Unicode text"), else UTF-8 (a UTF-8 BOM dropped)."""
    return "utf-16" if head.startswith(_UTF16_BOMS) else "utf-8-sig"


def check_text_file(path: Path, what: str) -> int:
    """Check that ``path`` is a non-empty text file; return its size in bytes."""
    name = path.name
    size, head = read_head(path, 65536, what)
    if text_encoding(head) == "utf-16":  # NUL bytes are part of every character here
        text = head[: len(head) - len(head) % 2].decode("utf-16", "replace")
        if not text.strip():
            raise EmptyDataError(f"{name} is empty.")
        return size
    if size == 0 or not head.strip() or head.strip() == b"\xef\xbb\xbf":
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


def open_text(path: Path) -> io.TextIOWrapper:
    """The file as text for ``csv``: UTF-8 (a byte-order mark dropped) or, after its BOM,
    UTF-16; newlines kept as they are (the csv module handles quoted line breaks itself)."""
    with open(path, "rb") as fh:
        head = fh.read(2)
    return open(path, encoding=text_encoding(head), newline="")


class CountingLines:
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


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    decimal_comma: bool

    def describe(self) -> str:
        """e.g. "semicolon-separated, decimal commas" (empty for plain comma-separated)."""
        parts = [] if self.delimiter == "," else [f"{DELIMITER_NAMES[self.delimiter]}-separated"]
        if self.decimal_comma:
            parts.append("decimal commas")
        return ", ".join(parts)


def _widths(lines: list[str], delimiter: str) -> list[int]:
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    widths: list[int] = []
    try:
        for row in reader:
            if row and any(c.strip() for c in row):
                widths.append(len(row))
    except csv.Error:
        pass  # a quoted field cut by the end of the sample: judge by the rows before it
    return widths


def sniff_dialect(lines: list[str]) -> Dialect:
    """The delimiter and decimal mark of a CSV, from its first lines (see the module doc)."""
    best: Optional[tuple[int, str]] = None
    for d in DELIMITERS:
        widths = _widths(lines, d)
        if widths and widths[0] >= 2 and len(set(widths)) == 1:
            if best is None or widths[0] > best[0]:
                best = (widths[0], d)
    if best is not None:
        delimiter = best[1]
    else:  # no delimiter gives every line the same width: the one the first line has most of
        first = next((line for line in lines if line.strip()), "")
        counts = {d: first.count(d) for d in (",", ";", "\t")}
        delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    decimal_comma = False
    if delimiter != ",":
        for row in csv.reader(lines[:200], delimiter=delimiter):
            if any("," in c and _DECIMAL_COMMA.fullmatch(c) for c in row):
                decimal_comma = True
                break
    return Dialect(delimiter, decimal_comma)


def iter_rows(lines: Iterable[str], dialect: Dialect,
              name: str) -> Iterator[tuple[int, list[str]]]:
    """``(line number, cells)`` for each non-blank row; decimal commas become points."""
    reader = csv.reader(lines, delimiter=dialect.delimiter, strict=True)
    fix = dialect.decimal_comma
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
        if fix:
            row = [c.replace(",", ".") if "," in c and _DECIMAL_COMMA.fullmatch(c) else c
                   for c in row]
        yield reader.line_num, row  # unstripped: float() ignores spaces; text is stripped on use


def read_start(lines: Iterator[str], n: int) -> list[str]:
    """Up to ``n`` lines from the start of ``lines`` that hold something (blank ones kept in
    place, so line numbers stay right); raises ``EmptyDataError`` via the caller if none."""
    out: list[str] = []
    seen = 0
    for line in lines:
        out.append(line)
        if line.strip():
            seen += 1
            if seen >= n:
                break
    return out
