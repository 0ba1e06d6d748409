"""What a session file restores, Qt-free: the workspace's saved fields as one evented state
object (``WorkspaceState``, psygnal as ``Settings``) and the results codec.

A session is "that state plus the stored results": ``WorkspaceState.capture`` reads the
workspace, ``to_dict`` / ``from_dict`` round-trip it (``from_dict`` checks every value, as
``Settings.from_dict`` does, and refuses what it cannot use). Results (frozen dataclasses of
arrays and plain values) are encoded generically: arrays go out by name, the result's tag and
sample set are written as markers and replaced on reading by the restored workspace's, and only
result classes of reprviz's own modules are rebuilt (by their dataclass constructor; a class
name from a file never imports anything).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Callable, Optional

import numpy as np
from psygnal import evented

from ..core.errors import ReprvizError
from .results import ResultKey
from .state import NO_MODEL, SESSION_IDS, Selection, Session, TrainingCurves, Workspace

# modules whose dataclasses may be rebuilt from a session file (results and what they hold)
def _result_modules() -> tuple[str, ...]:
    from .catalog import MODULES

    return ("reprviz_gui.workspace.results",
            *(f"reprviz_gui.workspace.{m}" for m in MODULES),
            "reprviz_gui.core.analysis.typical", "reprviz_gui.core.analysis.weights",
            "reprviz_gui.core.model.layers",
            # a film: its recording (every layer at every epoch too) and its aligned maps
            "reprviz_gui.core.model.film", "reprviz_gui.core.analysis.film",
            "reprviz_gui.core.analysis.depth", "reprviz_gui.core.measures")


RESULT_MODULES = _result_modules()
NOT_SAVED = frozenset({"history"})  # read from the user's run-history file, not a result


class StateError(ReprvizError):
    category = "session"


@evented
@dataclass
class ModelState:
    """One session's model as saved: its choices and where training got to."""

    id: str = "A"
    preset: str = "dense"
    params: dict[str, Any] = field(default_factory=dict)
    label: str = ""
    file: str = ""
    layer: Optional[str] = None
    trained_epochs: int = 0
    has_model: bool = False
    version: int = 0
    history: dict[str, list[float]] = field(default_factory=dict)
    epochs_planned: int = 0
    stopped: bool = False
    # how training went on (Continue training): where continued runs started, the last run's
    # history id, an epoch stopped part-way, and the rows it held out ([fraction, seed])
    continued_at: list = field(default_factory=list)
    last_run_id: str = ""
    partial_epoch: bool = False
    held_out: list = field(default_factory=list)
    film_offset: int = 0  # the epochs before the run whose film the session keeps
    reductions: dict[str, str] = field(default_factory=dict)  # layer -> its chosen reduction


@evented
@dataclass
class WorkspaceState:
    """The workspace's saved fields (the dataset reference, the sample set, the map, the
    selection, one ``ModelState`` per model, the active one)."""

    source: str = "fashion-mnist-sample"
    load_options: dict[str, Any] = field(default_factory=dict)
    n_samples: int = 1000
    split: str = "test"
    seed: int = 0
    method: str = "umap"
    pca_components: int = 20
    samples_key: str = ""
    selection_split: str = "test"
    selection: list[int] = field(default_factory=list)
    selection_source: str = ""
    selection_order: list[int] = field(default_factory=list)  # its ranking (moved most first)
    preprocess: str = "unit"  # how the dataset's images become model input (Dataset.preprocess)
    models: list[ModelState] = field(default_factory=list)
    active: str = "A"

    @staticmethod
    def capture(ws: Workspace, active: str = "A",
                load_options: Optional[dict] = None) -> "WorkspaceState":
        models = []
        for s in ws.sessions.values():
            models.append(ModelState(
                s.id, s.preset, dict(s.params), s.label, s.file, s.layer, int(s.trained_epochs),
                bool(s.has_model), int(s.version),
                {k: [float(v) for v in vs] for k, vs in s.curves.history.items()},
                int(s.curves.epochs_planned), bool(s.curves.stopped),
                [int(e) for e in s.curves.continued_at], str(s.last_run_id),
                bool(s.partial_epoch), list(s.held_out) if s.held_out else [],
                int(s.film_offset), {str(k): str(v) for k, v in s.reductions.items()}))
        sel = ws.selection
        return WorkspaceState(
            str(ws.source), dict(load_options or {}), int(ws.n_samples), ws.split, int(ws.seed),
            ws.method, int(ws.pca_components), ws.samples.key if ws.samples is not None else "",
            sel.split, [int(i) for i in sel.indices], sel.source, [int(i) for i in sel.order],
            str(getattr(ws.dataset, "preprocess", "unit") or "unit"), models, active)

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "models"}
        d["models"] = [{f.name: getattr(m, f.name) for f in fields(m)} for m in self.models]
        return d

    @classmethod
    def from_dict(cls, data: Any) -> "WorkspaceState":
        """The state from a session's manifest; ``StateError`` for anything it cannot use."""
        if not isinstance(data, dict):
            raise StateError("the workspace is not an object")
        state = cls()
        for f in fields(cls):
            if f.name == "models" or f.name not in data:
                continue
            setattr(state, f.name, _checked(f.name, data[f.name], getattr(state, f.name)))
        raw = data.get("models", [])
        if not isinstance(raw, list) or len(raw) > len(SESSION_IDS):
            raise StateError("its models are not a list of at most two")
        for m in raw:
            if not isinstance(m, dict):
                raise StateError("a model entry is not an object")
            ms = ModelState()
            for f in fields(ModelState):
                if f.name in m:
                    setattr(ms, f.name, _checked(f.name, m[f.name], getattr(ms, f.name)))
            if ms.id not in SESSION_IDS:
                raise StateError(f"the model id {ms.id!r} is not A or B")
            state.models.append(ms)
        if not any(m.id == "A" for m in state.models):
            state.models.insert(0, ModelState("A", NO_MODEL))
        if state.active not in {m.id for m in state.models}:
            state.active = "A"
        return state

    def selection_of(self) -> Selection:
        sel = Selection.of(self.selection_split, np.asarray(self.selection, dtype=np.int64),
                           self.selection_source)
        order = list(dict.fromkeys(self.selection_order))
        if order and sorted(order) == sel.indices.tolist():  # a ranking of exactly those
            sel = Selection(sel.split, sel.indices, sel.source, tuple(order))
        return sel

    def session_of(self, m: ModelState) -> Session:
        """A workspace session for ``m`` (without its model: that is loaded on the lane)."""
        curves = TrainingCurves({k: tuple(v) for k, v in m.history.items()},
                                m.epochs_planned, False, m.stopped, tuple(m.continued_at))
        held = (float(m.held_out[0]), int(m.held_out[1])) if len(m.held_out) == 2 else None
        return Session(m.id, preset=m.preset, params=dict(m.params), layer=m.layer,
                       trained_epochs=m.trained_epochs, file=m.file, curves=curves,
                       last_run_id=m.last_run_id, partial_epoch=m.partial_epoch,
                       held_out=held, film_offset=m.film_offset,
                       reductions=dict(m.reductions))


def _checked(name: str, value: Any, default: Any) -> Any:
    """``value`` if it has the default's kind (ints for ints, ...), else ``StateError``."""
    if name == "layer":
        ok = value is None or isinstance(value, str)
    elif isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    elif isinstance(default, (str, dict)):
        ok = isinstance(value, type(default))
    elif isinstance(default, list):
        ok = isinstance(value, list)
    else:
        ok = True
    if name == "continued_at" and ok:
        ok = all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in value)
    if name == "held_out" and ok:
        ok = value == [] or (len(value) == 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in value)
            and value[0] < 1 and float(value[1]).is_integer())
    if name in ("selection", "selection_order") and ok:
        ok = all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in value)
    if name == "history" and ok:
        ok = all(isinstance(k, str) and isinstance(v, list) and
                 all(isinstance(x, (int, float)) for x in v) for k, v in value.items())
    if name == "reductions" and ok:
        from ..core.model.reduction import REDUCTIONS

        ok = all(isinstance(k, str) and v in REDUCTIONS for k, v in value.items())
    if name == "preprocess" and ok:
        from ..core.data.preprocess import PreprocessError, check_preprocess

        try:
            check_preprocess(value)
        except PreprocessError:
            ok = False
    if not ok:
        raise StateError(f"its {name!r} is {type(value).__name__}, not what reprviz writes")
    return value


# --- results -----------------------------------------------------------------------------------
class Unencodable(Exception):
    """A value the codec does not write (the result is then left out and recomputed)."""


def _allowed() -> dict[str, type]:
    out: dict[str, type] = {}
    for name in RESULT_MODULES:
        mod = importlib.import_module(name)
        for obj in vars(mod).values():
            if isinstance(obj, type) and is_dataclass(obj) and obj.__module__ == name:
                out[f"{name}:{obj.__qualname__}"] = obj
    return out


def encode_result(key: ResultKey, value: Any, arrays: dict[str, np.ndarray],
                  prefix: str, shared: Optional[dict[int, str]] = None) -> dict[str, Any]:
    """``value`` as JSON with its arrays added to ``arrays`` (named ``prefix``-n). ``shared``
    (array id -> name, kept across one session's results) writes an array that several
    results hold (a film's recording and its maps' result) once."""
    counter = [0]
    shared = {} if shared is None else shared

    def enc(v: Any, depth: int = 0) -> Any:
        if depth > 12:
            raise Unencodable("too deep")
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, (int, float)):
            return v
        if isinstance(v, np.generic):
            return v.item()
        if isinstance(v, np.ndarray):
            if v.dtype.hasobject:
                raise Unencodable("object array")
            if id(v) in shared:
                return {"$array": shared[id(v)]}
            name = f"{prefix}-{counter[0]}"
            counter[0] += 1
            arrays[name] = v
            shared[id(v)] = name
            return {"$array": name}
        from ..core.data.samples import SampleSet
        from .state import ResultTag

        if isinstance(v, SampleSet):
            return {"$samples": 1}
        if isinstance(v, ResultTag):
            return {"$tag": 1}
        if isinstance(v, tuple):
            return {"$tuple": [enc(x, depth + 1) for x in v]}
        if isinstance(v, list):
            return [enc(x, depth + 1) for x in v]
        if isinstance(v, dict):
            if all(isinstance(k, str) for k in v):
                return {"$dict": {k: enc(x, depth + 1) for k, x in v.items()}}
            if all(isinstance(k, (int, np.integer)) for k in v):
                return {"$intdict": [[int(k), enc(x, depth + 1)] for k, x in v.items()]}
            raise Unencodable("dict keys")
        if is_dataclass(v) and not isinstance(v, type):
            cls = type(v)
            name = f"{cls.__module__}:{cls.__qualname__}"
            if cls.__module__ not in RESULT_MODULES:
                raise Unencodable(name)
            return {"$class": name,
                    "fields": {f.name: enc(getattr(v, f.name), depth + 1) for f in fields(v)
                               if f.init}}
        raise Unencodable(type(v).__name__)

    return {"kind": key.kind, "session": key.tag.session_id,
            "with_samples": bool(key.tag.samples_key),
            "params": [[k, enc(p)] for k, p in key.params], "value": enc(value)}


def decode_result(entry: dict[str, Any], arrays: dict[str, np.ndarray], samples: Any,
                  tag_for: Callable[[str, bool], Any]) -> tuple[ResultKey, Any]:
    """The (key, result) of an entry, tagged with ``tag_for(session id, with_samples)``.
    ``StateError`` when the entry is not what ``encode_result`` writes."""
    allowed = _allowed()
    try:
        tag = tag_for(str(entry["session"]), bool(entry["with_samples"]))
    except (KeyError, TypeError) as err:
        raise StateError(f"a stored result lacks {err}") from None

    def dec(v: Any, depth: int = 0) -> Any:
        if depth > 14:
            raise StateError("a stored result nests too deep")
        if v is None or isinstance(v, (bool, str, int, float)):
            return v
        if isinstance(v, list):
            return [dec(x, depth + 1) for x in v]
        if not isinstance(v, dict) or len(v) == 0:
            raise StateError("a stored result holds an unknown value")
        if "$array" in v:
            name = v["$array"]
            if name not in arrays:
                raise StateError(f"the array {name!r} is missing")
            return arrays[name]
        if "$samples" in v:
            return samples
        if "$tag" in v:
            return tag
        if "$tuple" in v:
            return tuple(dec(x, depth + 1) for x in _list(v["$tuple"]))
        if "$dict" in v and isinstance(v["$dict"], dict):
            return {str(k): dec(x, depth + 1) for k, x in v["$dict"].items()}
        if "$intdict" in v:
            return {int(k): dec(x, depth + 1) for k, x in _list(v["$intdict"])}
        if "$class" in v:
            cls = allowed.get(v["$class"])
            if cls is None:
                raise StateError(f"a stored result names the class {str(v['$class'])[:80]!r}, "
                                 "which is not one of reprviz's results")
            raw = v.get("fields")
            if not isinstance(raw, dict):
                raise StateError("a stored result has no fields")
            known = {f.name for f in fields(cls) if f.init}
            try:
                return cls(**{k: dec(x, depth + 1) for k, x in raw.items() if k in known})
            except TypeError as err:
                raise StateError(f"a stored {cls.__name__} does not fit: {err}") from None
        raise StateError("a stored result holds an unknown value")

    params = {}
    for pair in _list(entry.get("params", [])):
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
            raise StateError("a stored result's parameters are not pairs")
        params[pair[0]] = dec(pair[1])
    kind = entry.get("kind")
    if not isinstance(kind, str):
        raise StateError("a stored result has no kind")
    return ResultKey.make(kind, tag, params), dec(entry.get("value"))


def _list(v: Any) -> list:
    if not isinstance(v, list):
        raise StateError("a stored result holds an unknown value")
    return v
