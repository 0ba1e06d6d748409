"""One session file: a zip holding ``manifest.json``, arrays as ``.npy``, models as ``.keras``
and, when the data came from a user file small enough, that file itself.

Qt-free and knowing nothing of the window: the caller hands a manifest (plain JSON values), named
arrays, model files and data files; reading gives them back. Reading never unpickles
(``allow_pickle=False``) and never runs code: a model is only extracted here, and its config is
checked (``model.files.check_model_config``: foreign modules refused, a Lambda layer only when
trusted) before anything else happens. Member names inside the zip are never used as paths.
Written atomically (``atomic.atomic_write``): killing the writer leaves the previous file.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from ..errors import ReprvizError
from .atomic import atomic_write

FORMAT = "reprviz-session"
VERSION = 1  # bumped when a reader of the previous version could not read the file
SUFFIX = ".reprviz"
MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
# a user's data file up to this size travels inside the session; beyond it the session names
# the file, which must then stay where it is
MAX_EMBEDDED_DATA = 256 * 1024 * 1024


class SessionFileError(ReprvizError):
    """A session file that cannot be opened (damaged, not a session, from a newer version)."""

    category = "session"


@dataclass
class SessionContents:
    manifest: dict[str, Any]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    models: dict[str, Path] = field(default_factory=dict)  # session id -> extracted .keras
    files: dict[str, Path] = field(default_factory=dict)  # data file name -> extracted copy


def _array_member(name: str) -> str:
    return f"arrays/{name}.npy"


def write_session(path: str | Path, manifest: dict[str, Any], arrays: dict[str, np.ndarray],
                  models: Optional[dict[str, Path]] = None,
                  files: Optional[dict[str, Path]] = None,
                  should_stop: Optional[Callable[[], bool]] = None) -> Path:
    """Write the session to ``path`` atomically. ``arrays``' names must be plain (letters,
    digits, ``_-.``); ``models`` maps a session id to a ``.keras`` file, ``files`` a stored data
    file's name to its path. The manifest gets ``format``, ``version`` and the lists of members."""
    models, files = dict(models or {}), dict(files or {})
    for name in list(arrays) + list(models) + list(files):
        _check_name(name)
    manifest = {**manifest, "format": FORMAT, "version": VERSION,
                "arrays": sorted(arrays), "models": sorted(models), "files": sorted(files)}
    text = json.dumps(manifest, ensure_ascii=False, allow_nan=True)

    def write(fh: Any) -> None:
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as z:
            for name, arr in arrays.items():
                if should_stop is not None and should_stop():
                    raise ReprvizError("Saving the session was cancelled; the previous file "
                                       "is kept.")
                a = np.ascontiguousarray(arr)
                if a.dtype.hasobject:
                    raise ValueError(f"array {name!r} holds Python objects; not saved")
                with z.open(_array_member(name), "w", force_zip64=True) as out:
                    np.lib.format.write_array(out, a, allow_pickle=False)
            for sid, model_path in models.items():  # a .keras file is a zip already: stored
                z.write(model_path, f"models/{sid}.keras", compress_type=zipfile.ZIP_STORED)
            for name, data_path in files.items():
                z.write(data_path, f"data/{name}")
            z.writestr(MANIFEST, text)  # last: a cut-short file has no manifest to trust

    return atomic_write(path, write)


def _check_name(name: str) -> None:
    ok = name and all(c.isalnum() or c in "_-." for c in name) and not name.startswith(".")
    if not ok:
        raise ValueError(f"not a plain member name: {name!r}")


def read_manifest(path: str | Path) -> dict[str, Any]:
    """Only the manifest (checked: a session, of a version this reader knows)."""
    path = Path(path)
    with _open_zip(path) as z:
        return _manifest(z, path)


def read_session(path: str | Path, extract_to: str | Path,
                 check_model: Optional[Callable[[Path], None]] = None) -> SessionContents:
    """Read everything; models and stored data files are extracted into ``extract_to`` under
    names made here (never the zip's). ``check_model(path)`` is called on each extracted model
    and may raise (a Lambda layer not trusted). Raises ``SessionFileError`` for a damaged file,
    one that is not a session or one from a newer version."""
    path, folder = Path(path), Path(extract_to)
    with _open_zip(path) as z:
        manifest = _manifest(z, path)
        try:
            arrays = {}
            for name in _names(manifest, "arrays", path):
                with z.open(_array_member(name)) as fh:
                    arrays[name] = np.lib.format.read_array(io.BufferedReader(fh),
                                                            allow_pickle=False)
            folder.mkdir(parents=True, exist_ok=True)
            models = {}
            for sid in _names(manifest, "models", path):
                target = folder / f"model-{sid}.keras"
                target.write_bytes(z.read(f"models/{sid}.keras"))
                models[sid] = target
            files = {}
            for i, name in enumerate(_names(manifest, "files", path)):
                sub = folder / f"data-{i}"
                sub.mkdir(exist_ok=True)
                target = sub / name
                with z.open(f"data/{name}") as src, open(target, "wb") as out:
                    while chunk := src.read(1 << 20):
                        out.write(chunk)
                files[name] = target
        except KeyError as err:
            raise SessionFileError(f"{path.name} is damaged: it lacks {err}.") from None
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError,
                OSError) as err:
            if isinstance(err, OSError) and not isinstance(err, EOFError) and \
                    getattr(err, "errno", None) is not None:
                raise SessionFileError(f"Cannot read {path.name}: {err.strerror}.") from None
            raise SessionFileError(f"{path.name} is damaged ({type(err).__name__}: "
                                   f"{str(err)[:80]}); it cannot be opened.") from None
    if check_model is not None:
        for model in models.values():
            check_model(model)
    return SessionContents(manifest, arrays, models, files)


def _open_zip(path: Path) -> zipfile.ZipFile:
    from ..data.user_files import check_regular_file

    if not path.exists():
        raise SessionFileError(f"Session file not found: {path}")
    check_regular_file(path, SessionFileError)
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        with open(path, "rb") as fh:
            head = fh.read(4)
        what = "damaged (a truncated or broken zip archive)" if head == b"PK\x03\x04" else \
            "not a reprviz session"
        raise SessionFileError(f"{path.name} is {what}; it cannot be opened.") from None
    except OSError as err:
        raise SessionFileError(f"Cannot read {path.name}: {err.strerror or err}.") from None


def _manifest(z: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    try:
        info = z.getinfo(MANIFEST)
    except KeyError:
        raise SessionFileError(f"{path.name} is not a reprviz session (it has no "
                               f"{MANIFEST}), or it was cut short while being written.") from None
    if info.file_size > MAX_MANIFEST_BYTES:
        raise SessionFileError(f"{path.name}: its manifest is over "
                               f"{MAX_MANIFEST_BYTES // 2**20} MB; not a reprviz session.")
    try:
        with z.open(info) as fh:
            data = fh.read(MAX_MANIFEST_BYTES + 1)
        manifest = json.loads(data.decode("utf-8"))
    except (zipfile.BadZipFile, ValueError, UnicodeDecodeError, RecursionError, EOFError,
            OSError) as err:
        raise SessionFileError(f"{path.name} is damaged: its manifest cannot be read "
                               f"({type(err).__name__}).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise SessionFileError(f"{path.name} is not a reprviz session.")
    version = manifest.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SessionFileError(f"{path.name} is damaged: its format version is {version!r}.")
    if version > VERSION:
        from ... import __version__

        made_by = manifest.get("app_version", "a newer reprviz")
        raise SessionFileError(
            f"{path.name} was saved by reprviz {made_by} in session format {version}; this "
            f"reprviz ({__version__}) reads format {VERSION} and older: update reprviz to "
            "open it.")
    return manifest


def _names(manifest: dict, key: str, path: Path) -> list[str]:
    names = manifest.get(key, [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise SessionFileError(f"{path.name} is damaged: its manifest's {key!r} is not a list "
                               "of names.")
    for n in names:
        try:
            _check_name(n)
        except ValueError:
            raise SessionFileError(f"{path.name} is damaged: {n!r} is not a member name "
                                   "reprviz writes.") from None
    return names
