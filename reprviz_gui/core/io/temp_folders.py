"""reprviz's own temp folders (an opened session's extracted models and data, a save's models):
made with the owning process's id inside, so the next start can remove what a killed app left.

``remove_stale`` only touches folders named with reprviz's prefixes, holding an owner file,
last changed before the running process started and whose owner is no longer running: another
reprviz open at the same time keeps its folders.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Optional

PREFIXES = ("reprviz-session-", "reprviz-save-")
OWNER = ".reprviz-owner"  # the pid of the process that made the folder
STARTED = time.time()  # this process's start, near enough (reprviz imports this early)


def make_temp_folder(prefix: str = "reprviz-session-") -> Path:
    """A new temp folder marked as this process's."""
    if prefix not in PREFIXES:
        raise ValueError(f"not one of reprviz's temp prefixes: {prefix!r}")
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    mark(folder)
    return folder


def mark(folder: Path) -> None:
    (Path(folder) / OWNER).write_text(str(os.getpid()))


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":  # no signal 0 on Windows: a folder is its owner's while it is recent
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process with that id: leave the folder
    return True


def remove_stale(root: Optional[Path] = None, started: Optional[float] = None) -> list[Path]:
    """Remove the temp folders a killed reprviz left in ``root`` (the system temp folder);
    returns those removed."""
    root = Path(root or tempfile.gettempdir())
    started = STARTED if started is None else started
    removed = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(PREFIXES):
            continue
        try:
            if not entry.is_dir(follow_symlinks=False) or \
                    entry.stat(follow_symlinks=False).st_mtime >= started:
                continue
            owner = Path(entry.path) / OWNER
            pid = int(owner.read_text().strip())
        except (OSError, ValueError):
            continue  # not marked (or not readable): not provably ours and abandoned
        if _running(pid):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        if not os.path.exists(entry.path):
            removed.append(Path(entry.path))
    return removed
