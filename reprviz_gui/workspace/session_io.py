"""Sessions, Qt-free: what goes into a session file and what opening one gives back.

``snapshot`` reads the workspace (its ``WorkspaceState``), the settings, the current results in
the store, the run-history rows made in this session and what the window adds (each view's
options, the dock layout); ``save_job`` runs on the model lane (the models live there): each
model saved as ``.keras``, then one file written atomically (``core/io/session_file.py``).
``read_plan`` reads and checks a file completely before anything in the window changes: a
session from a newer version, a damaged file, a data file that has moved, a model holding a
Lambda layer that is not trusted all raise one ``ReprvizError`` and leave the window as it was.
The controller then applies the ``RestorePlan`` (``Controller.restore_session``).
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

import numpy as np

from ..core.data.types import LoadOptions
from ..core.errors import ReprvizError
from ..core.io import session_file
from ..core.io.session_file import MAX_EMBEDDED_DATA, SessionFileError
from .results import ResultKey
from .session_state import NOT_SAVED, StateError, Unencodable, WorkspaceState, decode_result, \
    encode_result
from .settings import Settings
from .state import ModelHandle, ResultTag, Workspace


@dataclass
class Snapshot:
    """Everything of a session but its models (which the save job writes on the model lane)."""

    manifest: dict[str, Any]
    arrays: dict[str, np.ndarray]
    files: dict[str, Path]  # stored data files: name in the session -> path
    handles: dict[str, ModelHandle]  # session id -> model to save
    notes: list[str] = field(default_factory=list)
    # the data was opened with pickle (the user trusted it): a stored .npz holding object
    # arrays is written without pickle (``_unpickled_copy``), so the session opens without it
    trusted_data: bool = False


@dataclass
class RestorePlan:
    """A session file read and checked: what the controller and the window restore."""

    path: Path
    state: WorkspaceState
    settings: Settings
    data_source: str  # what to load: the original path/name, or the stored copy
    load_options: LoadOptions
    entries: list[dict[str, Any]]
    arrays: dict[str, np.ndarray]
    models: dict[str, Path]  # session id -> extracted .keras
    trust: bool
    views: dict[str, dict[str, Any]]  # "view_id/session_id" -> options
    layout: dict[str, str]  # "window_state" / "views_state": base64
    history_rows: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    folder: Optional[Path] = None  # where its models and data were extracted (removed at exit)

    def decode(self, samples: Any, tag_for: Any) -> list[tuple[ResultKey, Any]]:
        return [decode_result(e, self.arrays, samples, tag_for) for e in self.entries]


# --- saving ------------------------------------------------------------------------------------
def snapshot(ws: Workspace, settings: Settings, store: Any, active: str,
             load_options: Optional[LoadOptions] = None, views: Optional[dict] = None,
             layout: Optional[dict] = None, history_rows: Optional[list] = None,
             extra_results: Optional[list[tuple[ResultKey, Any]]] = None) -> Snapshot:
    """The session as it is now (results: every current one the store holds)."""
    from .. import __version__

    if ws.dataset is None:
        raise ReprvizError("There is nothing to save yet: open a dataset first.")
    state = WorkspaceState.capture(ws, active, _options_dict(load_options or LoadOptions()))
    arrays: dict[str, np.ndarray] = {}
    entries, left_out = [], []
    from .products_film import films_to_save

    results = list(extra_results or []) + films_to_save(ws) + [
        (k, v) for k, v in store.items() if ws.is_current(k.tag) and k.kind not in NOT_SAVED
        and not getattr(v, "preview", False)]
    seen: set = set()
    shared: dict[int, str] = {}  # an array several results hold is written once
    for i, (key, value) in enumerate(results):
        if key in seen:
            continue
        seen.add(key)
        part: dict[str, np.ndarray] = {}
        try:
            entries.append(encode_result(key, value, part, f"r{i}", dict(shared)))
        except Unencodable:
            left_out.append(key.kind)
            continue
        arrays.update(part)
        shared.update({id(a): name for name, a in part.items()})
    data, files, notes = _data_reference(ws.source, load_options)
    if left_out:
        kinds = ", ".join(sorted(set(left_out)))
        notes.append(f"Not stored (computed again when shown): {kinds}.")
    manifest = {
        "app_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "dataset": {"name": ws.dataset.name, **data},
        "settings": settings.to_dict(),
        "workspace": state.to_dict(),
        "results": entries,
        "views": dict(views or {}),
        "layout": dict(layout or {}),
        "history_rows": list(history_rows or []),
        "notes": notes,
    }
    handles = {s.id: s.handle for s in ws.sessions.values() if s.handle is not None}
    return Snapshot(manifest, arrays, files, handles, notes,
                    bool(load_options is not None and load_options.allow_pickle))


def save_session(c: Any, path: str | Path, views: Optional[dict] = None,
                 layout: Optional[dict] = None) -> None:
    """The controller's *Save session*: a snapshot now, written by a job on the model lane (the
    models live there). ``ReprvizError`` when there is nothing to save or a model trains."""
    from ..workers.lane import Job, JobKind

    if c.training_sessions():
        raise ReprvizError("A model is training: wait for it to end (or cancel it) before "
                           "saving the session, so the file holds what the views show.")
    snap = snapshot(c.workspace, c.settings, c.scheduler.store, c.active, c.data_options, views,
                    layout, c.history.made_rows())
    c.lanes["model"].submit(Job(JobKind.SAVE, save_job(path, snap), f"saving {Path(path).name}",
                                payload=("session", snap)), supersede=False)


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name).lstrip(".") or "data"


def _data_reference(source: str, options: Optional[LoadOptions]
                    ) -> tuple[dict[str, Any], dict[str, Path], list[str]]:
    """The dataset's reference; a user's data file (and labels file) stored when small
    enough, else a note that it must stay where it is."""
    ref: dict[str, Any] = {"source": str(source), "stored": None, "labels_stored": None}
    files: dict[str, Path] = {}
    notes: list[str] = []
    path = Path(source)
    if path.is_file():
        if path.stat().st_size <= MAX_EMBEDDED_DATA:
            ref["stored"] = _safe_name(path.name)
            files[ref["stored"]] = path
        else:
            notes.append(f"The data file {path} is larger than "
                         f"{MAX_EMBEDDED_DATA // 2**20} MB and is not stored in the session: "
                         "it must stay where it is to open the session.")
    elif source == "keras-imdb" and options is not None and options.allow_pickle:
        # Keras's cached imdb.npz, opened trusted: stored (without pickle, ``save_job``) so the
        # session opens without asking again; the cache's word index still names its words
        from ..core.data.keras_cache import imdb_path

        cached = imdb_path()
        if cached.is_file() and cached.stat().st_size <= MAX_EMBEDDED_DATA:
            ref["stored"] = cached.name
            files[cached.name] = cached
    elif path.is_dir():
        notes.append(f"The data folder {path} is not stored in the session: it must stay where "
                     "it is to open the session.")
    labels = options.labels_file if options is not None else None
    if labels and Path(labels).is_file() and ref["stored"]:
        name = "labels-" + _safe_name(Path(labels).name)
        ref["labels_stored"] = name
        files[name] = Path(labels)
    return ref, files, notes


def _options_dict(options: LoadOptions) -> dict[str, Any]:
    d = asdict(options)
    if d.get("label_map") is not None:
        d["label_map"] = [[int(k), int(v)] for k, v in d["label_map"].items()]
    return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


def options_from_dict(d: Any) -> LoadOptions:
    if not isinstance(d, dict):
        raise StateError("its data options are not an object")
    kw: dict[str, Any] = {}
    base = LoadOptions()
    for f in fields(LoadOptions):
        if f.name not in d:
            continue
        v = d[f.name]
        if f.name == "label_map" and v is not None:
            v = {int(a): int(b) for a, b in v}
        elif f.name in ("image_shape", "image_size") and v is not None:
            if not isinstance(v, list) or not all(isinstance(x, int) for x in v):
                raise StateError(f"its data option {f.name!r} is not a shape")
            v = tuple(v)
        elif v is not None and getattr(base, f.name) is not None and \
                not isinstance(v, type(getattr(base, f.name))):
            raise StateError(f"its data option {f.name!r} is {type(v).__name__}")
        kw[f.name] = v
    return LoadOptions(**kw)


def save_job(path: str | Path, snap: Snapshot) -> Any:
    """The job (model lane) writing the session: the models first, then one atomic file."""

    def run(on_progress: Any, should_stop: Any) -> Path:
        from ..core.model.files import save_model_file
        from . import handles

        from ..core.io.temp_folders import mark

        with tempfile.TemporaryDirectory(prefix="reprviz-save-") as tmp:
            mark(Path(tmp))  # a killed save's folder is removed at the next start
            models = {}
            for sid, handle in snap.handles.items():
                models[sid] = save_model_file(handles.resolve(handle), Path(tmp) / f"{sid}.keras")
            files = {name: _unpickled_copy(src, Path(tmp) / "data" / name)
                     if snap.trusted_data else src for name, src in snap.files.items()}
            return session_file.write_session(path, snap.manifest, snap.arrays, models,
                                              files, should_stop)

    return run


def _unpickled_copy(src: Path, target: Path) -> Path:
    """``src`` itself, or for an .npz that only pickle reads (Keras's imdb.npz: object arrays of
    token lists) a copy at ``target`` without pickle: each sequence array as int32 ids plus
    offsets (``keras_cache.to_ragged``), read back by ``load_npz_dataset``. The user trusted
    ``src`` when opening it; a session is never unpickled."""
    from ..core.data.keras_cache import RAGGED_OFFSETS, to_ragged
    from ..core.data.npz import inspect_npz, read_npz

    if src.suffix.lower() != ".npz" or not any(
            dt.hasobject for _, dt in inspect_npz(src).values()):
        return src
    out: dict[str, np.ndarray] = {}
    for key, arr in read_npz(src, allow_pickle=True).items():
        if not arr.dtype.hasobject:
            out[key] = arr
            continue
        try:
            out[key], out[f"{key}{RAGGED_OFFSETS}"] = to_ragged(arr)
        except (ValueError, TypeError, ReprvizError):  # not token ids: kept as it is
            return src
    target.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(target, **out)
    return target


# --- opening -----------------------------------------------------------------------------------
def read_plan(path: str | Path, trust: bool = False,
              extract_to: Optional[str | Path] = None) -> RestorePlan:
    """Read and check a session file completely; nothing in the window changes here."""
    path = Path(path)
    from ..core.io.temp_folders import make_temp_folder

    folder = Path(extract_to) if extract_to else make_temp_folder("reprviz-session-")
    try:
        return _read_plan(path, trust, folder)
    except BaseException:
        if not extract_to:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)  # a refused file leaves nothing behind
        raise


def _read_plan(path: Path, trust: bool, folder: Path) -> RestorePlan:
    from ..core.model.files import check_model_file

    contents = session_file.read_session(path, folder,
                                         check_model=lambda p: check_model_file(p, trust))
    m = contents.manifest
    try:
        state = WorkspaceState.from_dict(m.get("workspace"))
        settings, _ = Settings.from_dict(m.get("settings"))
        options = options_from_dict(state.load_options)
        # a session never turns pickle on: the data it names (or holds) opens without it, and
        # a file that needs pickle asks "trust this file?" as when opened by hand
        options = replace(options, allow_pickle=False)
        entries = m.get("results", [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise StateError("its results are not a list")
        for ms in state.models:
            if ms.has_model and ms.id not in contents.models:
                raise StateError(f"model {ms.id} is missing")
        views, layout, rows = m.get("views", {}), m.get("layout", {}), m.get("history_rows", [])
        if not isinstance(views, dict) or not isinstance(layout, dict) or \
                not isinstance(rows, list):
            raise StateError("its views, layout or history rows are not what reprviz writes")
    except StateError as err:
        raise SessionFileError(f"{path.name} is damaged: {err}.") from None
    source, options = _data_to_open(path, m.get("dataset", {}), contents.files, options)
    plan = RestorePlan(path, state, settings, source, options, entries, contents.arrays,
                       contents.models, trust, views,
                       {k: v for k, v in layout.items() if isinstance(v, str)}, rows,
                       [n for n in m.get("notes", []) if isinstance(n, str)], folder)
    try:  # every stored result rebuilt once now: a damaged one fails here, not half-way
        plan.decode(None, lambda sid, with_samples: ResultTag(0, ""))
    except StateError as err:
        raise SessionFileError(f"{path.name} is damaged: {err}.") from None
    return plan


def _data_to_open(path: Path, ref: Any, files: dict[str, Path], options: LoadOptions
                  ) -> tuple[str, LoadOptions]:
    if not isinstance(ref, dict) or not isinstance(ref.get("source"), str):
        raise SessionFileError(f"{path.name} is damaged: it names no dataset.")
    stored = ref.get("stored")
    if stored:
        if stored not in files:
            raise SessionFileError(f"{path.name} is damaged: its stored data file is missing.")
        labels = ref.get("labels_stored")
        if labels and labels in files:
            options = replace(options, labels_file=str(files[labels]))
        return str(files[stored]), options
    source = ref["source"]
    from ..core.data.sources import list_sources

    names = {s.name for s in list_sources()}
    if source not in names and not Path(source).exists():
        raise SessionFileError(
            f"{path.name} uses the data at {source}, which is no longer there (moved or "
            "deleted): put it back at that place to open the session.")
    return source, options


def tag_maker(ws: Workspace, samples_key: str) -> Any:
    """``tag_for(session id, with_samples)`` for results restored into ``ws`` now."""

    def tag_for(session_id: str, with_samples: bool) -> ResultTag:
        key = samples_key if with_samples else ""
        if not session_id:
            return ResultTag(ws.dataset_id, key)
        s = ws.sessions.get(session_id)
        return ResultTag(ws.dataset_id, key, session_id, s.version if s is not None else -1)

    return tag_for
