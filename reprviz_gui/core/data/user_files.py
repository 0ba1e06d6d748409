"""Opening a file the user picked: one place that turns OS errors into user-facing messages."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Type

from ..errors import DataError, FileFormatError, ReprvizError

_SPECIAL = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
            (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def check_regular_file(path: Path, error: Type[ReprvizError] = DataError) -> None:
    """Refuse anything but a regular file (folders are the caller's business) before opening it:
    opening a FIFO blocks until a writer comes, forever; /dev/zero never ends. Also says
    "permission denied" plainly rather than letting a later sniff call the file the wrong
    format. Raises ``error`` with one line naming the file."""
    name = path.name or str(path)
    try:
        st = os.stat(path)  # the link's target: that is what would be read
    except FileNotFoundError:
        raise error(f"{name}: file not found ({path}).") from None
    except OSError as exc:
        raise error(f"{name} cannot be read: {exc.strerror or exc}.") from None
    if stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode):
        if stat.S_ISREG(st.st_mode):
            try:  # a regular file: opening it cannot block
                os.close(os.open(path, os.O_RDONLY))
            except PermissionError:
                raise error(f"{name} cannot be read: permission denied (check the file's "
                            f"permissions).") from None
            except OSError as exc:
                raise error(f"{name} cannot be read: {exc.strerror or exc}.") from None
        return
    kind = next((what for test, what in _SPECIAL if test(st.st_mode)), "not a regular file")
    raise error(f"{name} is {kind}, not a regular file; reprviz reads only regular files.")


def read_head(path: Path, n: int, what: str) -> tuple[int, bytes]:
    """The file's size and its first ``n`` bytes; a missing file, a folder or an unreadable file
    raises a one-line ``DataError`` naming it (``what``: "IDX", "CSV", ...)."""
    name = path.name
    check_regular_file(path)
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
