"""Opening a file the user picked: one place that turns OS errors into user-facing messages."""

from __future__ import annotations

from pathlib import Path

from ..errors import DataError, FileFormatError


def read_head(path: Path, n: int, what: str) -> tuple[int, bytes]:
    """The file's size and its first ``n`` bytes; a missing file, a folder or an unreadable file
    raises a one-line ``DataError`` naming it (``what``: "IDX", "CSV", ...)."""
    name = path.name
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(n)
    except FileNotFoundError:
        raise DataError(f"{name}: file not found ({path}).") from None
    except IsADirectoryError:
        raise FileFormatError(f"{name} is a folder, not {_article(what)} {what} file.") from None
    except OSError as exc:
        raise DataError(f"{name} cannot be read: {exc.strerror or exc}.") from None
    return size, head


def _article(word: str) -> str:
    return "an" if word[:1].upper() in "AEIOU" else "a"
