"""The run history: one row per training run (window or ``analyze``), kept per user next to the
window's settings, like the hyper-parameter table of the course's hand-made network.

The file is ``history.json`` beside ``reprviz.ini`` (``history_path()``)::

    {"format": "reprviz-run-history", "version": 1, "runs": [
    {...one RunRecord per line...},
    ...
    ]}

Every change rewrites the whole file atomically (core/io/atomic.py), under a lock file so a
window and an ``analyze`` finishing together do not lose each other's row: a kill at any moment
leaves the previous history or the new one, never half of it. A file that is not a history (cut
short by something else, edited by hand) is never overwritten: it is renamed beside itself with a
timestamp (``history.damaged-20260131-142501.json``) and the caller gets a ``note`` saying so.
Entries this version cannot read (a newer version's, a hand-edited one) are kept in the file;
entries nested absurdly deep are left out when the file is next written, after a copy of it is
kept (``history.damaged-<stamp>.json``). Each writer first removes temp copies a killed writer
left behind.
No Qt here: ``history_path()`` mirrors ``main_window.settings_path()``.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Sequence

from ..analysis.metrics import cross_entropy  # noqa: F401 - its home before
from ..errors import ReprvizError
from ..model.preset_table import HISTORY_COLUMNS, run_setting
from .atomic import atomic_write_text
from .csv_safe import write_csv
from .writers import _jsonable
from .run_record import (  # noqa: F401 (a run's row lives there; callers import it from here)
    RunRecord, describe_architecture, new_run_id, now_iso, record_from_run)

HISTORY_NAME = "history.json"
FORMAT = "reprviz-run-history"
VERSION = 1
# A real entry nests 4 levels (runs > entry > settings > model); anything much deeper is damage,
# and past Python's recursion limit json and every walk over it fail with RecursionError.
_MAX_DEPTH = 32


class HistoryError(ReprvizError):
    """The run history cannot be read or written (permissions, a full disk)."""

    category = "history"


# --- where ---------------------------------------------------------------------------------------
def config_dir() -> Path:
    """The folder of the window's settings: ``$REPRVIZ_CONFIG_DIR``, else the system's config
    folder + ``reprviz`` (``~/.config/reprviz`` on Linux), as Qt's GenericConfigLocation."""
    override = os.environ.get("REPRVIZ_CONFIG_DIR")
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = str(Path.home() / "Library" / "Preferences")
    else:
        xdg = os.environ.get("XDG_CONFIG_HOME", "")
        base = xdg if xdg and Path(xdg).is_absolute() else str(Path.home() / ".config")
    return Path(base) / "reprviz"


def history_path() -> Path:
    """``history.json`` beside the settings file ``reprviz.ini`` (read at call time)."""
    return config_dir() / HISTORY_NAME


# --- one run -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HistoryLoad:
    """What ``load_history`` found: the runs oldest first, and a ``note`` for the user when
    something was not as expected (a damaged file set aside, entries that could not be read)."""

    records: tuple[RunRecord, ...]
    note: Optional[str] = None
    path: Optional[Path] = None
    set_aside: Optional[Path] = None  # where a damaged file was moved


@dataclass
class _State:
    raw: list[Any]  # every entry of "runs", readable or not, in file order
    records: list[RunRecord]
    note: Optional[str]
    set_aside: Optional[Path]


def _resolve(path: Optional[str | Path]) -> Path:
    return Path(path) if path is not None else history_path()


@contextlib.contextmanager
def _locked(path: Path, create: bool) -> Iterator[None]:
    """Hold ``<history>.lock`` (POSIX flock) so two writers take turns; a no-op elsewhere, or
    when only reading and the folder does not exist."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock; the atomic rename still keeps the file whole
        yield
        return
    if create:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise HistoryError(f"Cannot create the folder of the run history {path.parent}: "
                               f"{err.strerror or err}") from None
    elif not path.parent.is_dir():
        yield
        return
    try:
        fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:  # a read-only folder: read without the lock (rename keeps reads whole)
        if create:
            raise HistoryError(f"The run history's folder {path.parent} is not writable") \
                from None
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock (also when the process dies)


def _set_aside(path: Path, why: str) -> tuple[Optional[Path], str]:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for n in range(100):
        suffix = f"-{n}" if n else ""
        target = path.with_name(f"{path.stem}.damaged-{stamp}{suffix}{path.suffix}")
        if target.exists():
            continue
        try:
            os.replace(path, target)
        except OSError as err:
            raise HistoryError(f"The run history {path} is damaged ({why}) and could not be set "
                               f"aside: {err.strerror or err}") from None
        return target, (f"The run history {path.name} was damaged ({why}); it was kept as "
                        f"{target.name} next to it, and a new history was started.")
    raise HistoryError(f"The run history {path} is damaged ({why}) and could not be set aside")


def _too_deep(value: Any, limit: int = _MAX_DEPTH) -> bool:
    """True when ``value`` nests lists/dicts more than ``limit`` levels (iterative: no recursion
    to overflow)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            if depth > limit:
                return True
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict)
                                                  else item))
    return False


def _copy_aside(path: Path, why: str) -> tuple[Optional[Path], str]:
    """Keep a copy of the file as it is (``history.damaged-<stamp>.json``) before it is
    rewritten without its damaged entries."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for n in range(100):
        suffix = f"-{n}" if n else ""
        target = path.with_name(f"{path.stem}.damaged-{stamp}{suffix}{path.suffix}")
        try:
            with open(path, "rb") as src, open(target, "xb") as dst:
                dst.write(src.read())
        except FileExistsError:
            continue
        except OSError as err:
            raise HistoryError(f"The run history {path} is damaged ({why}) and could not be "
                               f"copied aside: {err.strerror or err}") from None
        return target, (f"The run history {path.name} was damaged ({why}); a copy was kept as "
                        f"{target.name} next to it and the damaged entries were left out.")
    raise HistoryError(f"The run history {path} is damaged ({why}) and could not be copied aside")


def _remove_stale_temps(path: Path) -> None:
    """Delete temp copies (``.history.json.XXXX.tmp``) a killed writer left behind. Called with
    the lock held, so no live writer is using one (without flock: only ones over an hour old)."""
    try:
        import fcntl  # noqa: F401 - only asks whether the lock protects us
        min_age = 0.0
    except ImportError:
        min_age = 3600.0
    now = datetime.now().timestamp()
    try:
        temps = list(path.parent.glob(f".{path.name}.*.tmp"))
    except OSError:
        return
    for tmp in temps:
        try:
            st = tmp.lstat()
            if now - st.st_mtime >= min_age and not tmp.is_symlink() and tmp.is_file():
                tmp.unlink()
        except OSError:
            pass


def _read(path: Path, writing: bool = False) -> _State:
    """The file's entries. A damaged file is set aside (the caller holds the lock when it will
    write); a file that cannot be read at all raises ``HistoryError`` so it is never
    overwritten. Entries nested too deep are left out; when ``writing`` (the caller will
    rewrite the file) a copy of the file is kept first."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return _State([], [], None, None)
    except OSError as err:
        raise HistoryError(f"The run history {path} cannot be read: {err.strerror or err}") \
            from None
    if not data.strip():  # an empty file holds no runs: nothing to keep
        return _State([], [], None, None)
    why = None
    try:
        doc = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        why = "it is not UTF-8 text"
    except ValueError as err:
        why = f"not valid JSON: {str(err)[:80]}"
    except RecursionError:
        why = "it is nested too deep"
    else:
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            why = "it is not a reprviz run history"
        elif not isinstance(doc.get("runs"), list):
            why = "it holds no list of runs"
    if why is not None:
        target, note = _set_aside(path, why)
        return _State([], [], note, target)
    raw = [e for e in doc["runs"] if not _too_deep(e)]
    deep = len(doc["runs"]) - len(raw)
    records, bad = [], 0
    for entry in raw:
        try:
            records.append(RunRecord.from_json(entry))
        except (ValueError, TypeError):
            bad += 1
    note, kept = None, None
    if bad:
        note = (f"{bad} entr{'y' if bad == 1 else 'ies'} of the run history {path.name} could not "
                f"be read (made by another version?); kept in the file, not shown.")
    if deep:
        why = f"{deep} entr{'y' if deep == 1 else 'ies'} nested too deep"
        if writing:
            kept, deep_note = _copy_aside(path, why)
        else:
            deep_note = (f"The run history {path.name} is damaged ({why}); "
                         f"{'they are' if deep > 1 else 'it is'} not shown.")
        note = f"{note} {deep_note}" if note else deep_note
    return _State(raw, records, note, kept)


def _write(path: Path, raw: list[Any]) -> None:
    head = json.dumps({"format": FORMAT, "version": VERSION})[:-1]
    runs = ",\n".join(json.dumps(_jsonable(e), ensure_ascii=False, allow_nan=False) for e in raw)
    text = f'{head}, "runs": [\n{runs}\n]}}\n' if raw else f'{head}, "runs": []}}\n'
    try:
        atomic_write_text(path, text)
    except OSError as err:
        raise HistoryError(f"Cannot write the run history {path}: {err.strerror or err}") \
            from None


def load_history(path: Optional[str | Path] = None) -> HistoryLoad:
    """The runs in the history (oldest first). A damaged file is set aside and reported in
    ``note``; ``HistoryError`` only when the file exists but cannot be read."""
    path = _resolve(path)
    with _locked(path, create=False):
        state = _read(path)
    return HistoryLoad(tuple(state.records), state.note, path, state.set_aside)


def append_run(record: RunRecord, path: Optional[str | Path] = None) -> HistoryLoad:
    """Add one run to the history (creating it and its folder if needed); returns the history
    as it is now, with a ``note`` when a damaged file had to be set aside first."""
    path = _resolve(path)
    entry = record.to_json()
    record = RunRecord.from_json(entry)  # what a reload gives (NaN as None)
    with _locked(path, create=True):
        _remove_stale_temps(path)
        state = _read(path, writing=True)
        raw = state.raw + [entry]
        _write(path, raw)
    return HistoryLoad(tuple(state.records) + (record,), state.note, path, state.set_aside)


def delete_runs(ids: Iterable[str], path: Optional[str | Path] = None) -> HistoryLoad:
    """Remove the runs with these ids (unknown ids are ignored); returns what is left."""
    path = _resolve(path)
    gone = {str(i) for i in ids}
    with _locked(path, create=path.parent.is_dir()):
        state = _read(path, writing=True)
        keep = [e for e in state.raw if not (isinstance(e, dict) and e.get("id") in gone)]
        if len(keep) != len(state.raw) or state.set_aside is not None:
            _write(path, keep)
    records = tuple(r for r in state.records if r.id not in gone)
    return HistoryLoad(records, state.note, path, state.set_aside)


_RECORD_COLUMNS = ("id", "time", "dataset", "architecture", "preset", "hidden", "model_file",
                   "optimizer", "learning_rate", "l2", "dropout", "epochs_planned",
                   "epochs_done", "batch_size", "train_accuracy", "train_loss", "val_accuracy",
                   "val_loss", "test_accuracy", "test_loss", "train_cross_entropy",
                   "val_cross_entropy", "test_cross_entropy", "l2_penalty", "duration_s",
                   "status", "source", "epochs_before", "epochs_total", "partial_batches",
                   "continued_from")
# the run's settings the preset table names as history columns (seed, validation split, ...)
# that are not record fields, read from the run's settings
_SETTING_COLUMNS = tuple(k for k in HISTORY_COLUMNS if k not in _RECORD_COLUMNS)
CSV_COLUMNS = _RECORD_COLUMNS + _SETTING_COLUMNS


def export_csv(records: Sequence[RunRecord], path: str | Path) -> Path:
    """The runs as a CSV table (one row per run, ``CSV_COLUMNS``; hidden widths as ``256-144``),
    written atomically. Text cells go through ``csv_safe``: a dataset or model file named
    ``=HYPERLINK(...)`` must not become a formula in a spreadsheet."""
    rows = []
    for r in records:
        row = []
        for col in CSV_COLUMNS:
            value = (run_setting(r.settings, col) if col in _SETTING_COLUMNS
                     else getattr(r, col))
            if col == "hidden":
                value = "-".join(str(h) for h in value)
            row.append(value)
        rows.append(row)
    path = Path(path)
    try:
        return write_csv(path, CSV_COLUMNS, rows)
    except OSError as err:
        raise HistoryError(f"Cannot write {path}: {err.strerror or err}") from None
