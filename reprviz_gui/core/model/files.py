"""Loading and saving ``.keras``/``.h5`` model files, and refusing files that would run code."""

from __future__ import annotations

import builtins
import json
import os
import sys
import zipfile
from pathlib import Path
from typing import Any, Iterator

from ..data.user_files import check_regular_file
from ..errors import ModelError, ModelFileError, ReprvizError, UnsafeModelError
from .layers import model_version
from .presets import compile_model
from .runtime import keras_module


# --- loading ----------------------------------------------------------------------------------
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _is_hdf5(path: Path) -> bool:
    # the signature sits at 0, or at 512, 1024, 2048, ... when the file has a user block
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            offset = 0
            while offset + 8 <= size:
                f.seek(offset)
                if f.read(8) == _HDF5_SIGNATURE:
                    return True
                offset = 512 if offset == 0 else offset * 2
    except OSError:
        return False
    return False


def _starts_with(path: Path, magic: bytes) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(magic)) == magic
    except OSError:
        return False


def _config_nodes(node: Any) -> Iterator[dict]:
    """Every dict in a serialised Keras config, depth first, in file order. Iterative, so a
    crafted, very deeply nested config cannot exhaust Python's recursion limit."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


# A real config nests dicts and lists ~10 levels, ~5 more per model nested in a model.
MAX_CONFIG_DEPTH = 120


def _nesting(config: Any) -> int:
    """How deep dicts and lists nest in ``config`` (iterative: no recursion to overflow)."""
    deepest, stack = 0, [(config, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict)
                                                  else item))
    return deepest


def _find_lambdas(config: Any) -> list[str]:
    """Names of Lambda layers anywhere in a serialised model config."""
    found: list[str] = []
    for node in _config_nodes(config):
        if node.get("class_name") == "Lambda":
            inner = node.get("config") or {}
            found.append(str(inner.get("name", "?")) if isinstance(inner, dict) else "?")
    return found


class ForeignCodeError(ModelFileError):
    """The model file names Python code outside Keras (a module such as ``os`` or
    ``builtins``, a custom class, a Keras function that is not a modelling one). It is refused
    before Keras reads it, trusted or not: "trust" covers Lambda layers, not imports."""


# Keras API functions that a model config must never name (Keras's own NON_MODELING_APIS,
# by their last name part): CVE-2025-9906 had a config call enable_unsafe_deserialization.
_NON_MODELLING_NAMES = frozenset({
    "clear_session", "enable_unsafe_deserialization", "load_model", "model_from_json",
    "save_model", "image_dataset_from_directory", "load_img", "save_img",
    "text_dataset_from_directory", "deserialize_keras_object", "register_keras_serializable",
    "load_weights", "save_weights", "serialize_keras_object", "audio_dataset_from_directory",
    "get_file", "TFSMLayer",
})
# class names Keras itself writes for plain Python values (no module is imported for them)
_SPECIAL_CLASS_NAMES = frozenset({
    "__keras_tensor__", "__tensor__", "__numpy__", "__bytes__", "__ellipsis__", "__slice__",
    "__lambda__", "__typespec__", "__tuple__", "__list__", "__dict__", "function",
})


def _is_keras_module(module: str) -> bool:
    return module == "keras" or module.startswith("keras.")


def _entry_name(node: dict) -> Any:
    """The name a config entry asks Keras to look up: a function's name, else the class."""
    if node.get("class_name") == "function":
        return node.get("config")
    if node.get("class_name") == "__typespec__":
        return node.get("spec_name")
    return node.get("class_name")


def _plain_name(value: Any) -> bool:
    return isinstance(value, str) and value.isidentifier()


def _foreign_reference(node: dict) -> tuple[str, str] | None:
    """``(kind, what)`` when this config entry points outside Keras, else None. ``kind`` is
    "python" for a module of Python itself (os, builtins, subprocess, ...), "nonmodelling" for
    a Keras API that is not a layer or function of a model, "custom" for any other code."""
    module, cls, reg = node.get("module"), node.get("class_name"), node.get("registered_name")
    name = _entry_name(node)
    shown = f"{module}.{name}" if isinstance(module, str) else str(name)
    if module is not None:
        if not isinstance(module, str):
            return "custom", repr(module)[:60]
        if not all(part.isidentifier() for part in module.split(".")):
            return "custom", "a value that is not a module name"  # never quote a blob
        top = module.split(".", 1)[0]
        if module == "builtins" and cls == "function" and _plain_name(name) \
                and not hasattr(builtins, name):
            pass  # how Keras writes its own functions by name ("relu", "mse"): never imported
        elif not _is_keras_module(module):
            if top in sys.stdlib_module_names or top in ("builtins", "posix", "nt", "sys"):
                return "python", shown
            return "custom", reg if isinstance(reg, str) and ">" in reg else shown
    if isinstance(name, str) and name in _NON_MODELLING_NAMES:
        return "nonmodelling", shown
    if isinstance(reg, str) and reg and not (reg == cls or reg == name or _plain_name(reg)):
        return "custom", reg  # "package>Name" or a dotted path: registered outside Keras
    if cls is not None and not (isinstance(cls, str) and cls in _SPECIAL_CLASS_NAMES) \
            and not _plain_name(cls):
        return "custom", str(cls)[:60]  # the legacy .h5 "package>Name", or "os.system"
    if cls == "function" and name is not None and not _plain_name(name):
        return "custom", str(name)[:60]
    return None


# Layer options that, given as a string, are a path Keras reads when it rebuilds the layer
# (StringLookup/IntegerLookup/TextVectorization vocabularies, TF-IDF weights).
_FILE_READING_KEYS = ("vocabulary", "idf_weights")


def _check_no_file_reading(node: dict, path: Path) -> None:
    """Refuse a layer whose vocabulary names a file: loading would read a file on this computer
    (anything the user can read) into the model. Trust does not cover it: no real saved model
    needs it, since Keras stores a vocabulary inside the .keras file itself."""
    inner = node.get("config") if isinstance(node.get("config"), dict) else None
    if inner is None:
        return
    for key in _FILE_READING_KEYS:
        value = inner.get(key)
        if isinstance(value, str) and value:
            layer = node.get("class_name") if isinstance(node.get("class_name"), str) else "a"
            raise ForeignCodeError(
                f"{path.name}: its {layer} layer {inner.get('name', '?')!s} takes its {key} from "
                f"the file {value!r} on this computer; loading it would read that file, so "
                "reprviz never loads it, trusted or not (a saved model keeps its vocabulary "
                "inside the .keras file).")


def check_no_foreign_code(config: Any, path: Path) -> None:
    """Raise ``ForeignCodeError`` if any entry of the saved config names code outside Keras.

    Defence in depth: Keras >= 3.9 refuses such modules itself in safe mode, but an older or
    future Keras (or safe_mode=False for a trusted Lambda) must never be talked into importing
    ``os``, ``builtins``, ``subprocess``... from a model file."""
    custom: list[str] = []
    for node in _config_nodes(config):
        _check_no_file_reading(node, path)
        if node.get("class_name") == "TorchModuleWrapper":
            raise ForeignCodeError(
                f"{path.name} holds a PyTorch module pickled inside a TorchModuleWrapper layer; "
                "unpickling it would run code, so reprviz never loads it, trusted or not.")
        if "class_name" not in node and "module" not in node:
            continue
        found = _foreign_reference(node)
        if found is None:
            continue
        kind, what = found
        if kind == "python":
            raise ForeignCodeError(
                f"{path.name} names the Python module '{what.split('.')[0]}' ({what}), which is "
                "not part of Keras: a model file that points outside Keras could run code when "
                "loaded, so reprviz never loads it, trusted or not.")
        if kind == "nonmodelling":
            raise ForeignCodeError(
                f"{path.name} names {what}, a Keras function that does not belong in a saved "
                "model (it loads or saves files, or switches off Keras's safety checks), so "
                "reprviz never loads it, trusted or not.")
        custom.append(what)
    if custom:
        custom = list(dict.fromkeys(custom))
        raise ForeignCodeError(
            f"{path.name} uses custom code that is not part of Keras ({', '.join(custom[:5])}), "
            "so reprviz cannot rebuild it; save the model with built-in Keras layers only.")


# A real config.json is a few KB to a few MB (a thousand layers); a small zip member that inflates
# to gigabytes would exhaust memory before Keras's own checks are reached.
MAX_CONFIG_BYTES = 64_000_000


def _config_too_big(path: Path, size: int | None) -> str:
    said = f" ({size / 1e6:,.0f} MB)" if size else ""
    return (f"{path.name}: its config.json inflates to more than "
            f"{MAX_CONFIG_BYTES / 1e6:.0f} MB{said}; a Keras model's is a few MB at "
            f"most, so it is refused.")


def _read_config(path: Path, kind: str) -> Any:
    """The model's architecture as saved, or raise ModelFileError when there is none."""
    if kind == "keras":
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
                if "config.json" not in names and any(n.endswith("/data.pkl") for n in names):
                    raise ModelFileError(f"{path.name} is a PyTorch file (torch.save), not a Keras "
                                         "model; reprviz loads Keras models only.")
                if "config.json" not in names:
                    raise ModelFileError(
                        f"{path.name} is a zip file but not a Keras model (no config.json).")
                info = z.getinfo("config.json")
                if info.file_size > MAX_CONFIG_BYTES:  # what the zip says it inflates to
                    raise ModelFileError(_config_too_big(path, info.file_size))
                with z.open(info) as fh:  # and never trust that: read at most one byte more
                    data = fh.read(MAX_CONFIG_BYTES + 1)
                if len(data) > MAX_CONFIG_BYTES:
                    raise ModelFileError(_config_too_big(path, None))
                return json.loads(data.decode("utf-8"))
        except ModelFileError:
            raise
        except (zipfile.BadZipFile, OSError, ValueError, UnicodeDecodeError,
                RecursionError) as err:
            raise ModelFileError(f"{path.name} is damaged and cannot be read as a .keras model "
                                 f"({type(err).__name__}).") from err
    import h5py

    try:
        with h5py.File(path, "r") as f:
            raw = f.attrs.get("model_config")
            if raw is None:
                if "model_weights" in f or "layers" in f or "vars" in f:
                    raise ModelFileError(f"{path.name} holds only weights, not a whole model; "
                                         "save it with model.save(...), not save_weights.")
                raise ModelFileError(f"{path.name} is an HDF5 file but not a Keras model.")
            # the training config is only read when compiling, but it is checked as well
            extra = f.attrs.get("training_config")
            texts = [raw] + ([extra] if extra is not None else [])
            parsed = [json.loads(t.decode("utf-8") if isinstance(t, bytes) else str(t))
                      for t in texts]
            return parsed[0] if len(parsed) == 1 else {"model_config": parsed[0],
                                                       "training_config": parsed[1]}
    except ModelFileError:
        raise
    except (OSError, ValueError, KeyError, UnicodeDecodeError, RecursionError) as err:
        raise ModelFileError(f"{path.name} is damaged and cannot be read as an .h5 model "
                             f"({type(err).__name__}).") from err


def load_model_file(path: str | Path, trust: bool = False):
    """Load a ``.keras`` or ``.h5`` model (uncompiled in the file's sense; it is compiled here
    with Adam and the task's loss so it can be trained further).

    A model containing code (a Lambda layer) is refused with ``UnsafeModelError`` unless
    ``trust`` is True. A config that names anything outside Keras (a module such as ``os`` or
    ``builtins.exec``, a custom class) raises ``ForeignCodeError`` before Keras reads the file,
    even with ``trust``. Missing, corrupt or mislabelled files raise ``ModelFileError``.
    """
    path = check_model_file(path, trust)
    return _load_checked(path, trust)


def check_model_file(path: str | Path, trust: bool = False) -> Path:
    """Every check made before Keras reads the file (also for a model inside a session file):
    its type, its config's size and depth, no module outside Keras (trusted or not), and no
    Lambda layer unless ``trust``. Returns the path; raises as ``load_model_file`` does."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"Model file not found: {path}")
    if path.is_dir():
        raise ModelFileError(f"{path} is a folder; reprviz loads a single .keras or .h5 model "
                             "file (TensorFlow SavedModel folders are not supported by Keras 3).")
    check_regular_file(path, ModelFileError)  # a FIFO would block; permission denied said so
    ext = path.suffix.lower()
    if ext == ".keras":
        kind = "keras"
        if not zipfile.is_zipfile(path):
            if _is_hdf5(path):
                what = "an HDF5 file (rename it to .h5)"
            elif _starts_with(path, b"PK\x03\x04"):
                what = "damaged (a truncated or broken zip archive)"
            else:
                what = "not a Keras model"
            raise ModelFileError(f"{path.name} is named .keras but is {what}.")
    elif ext in (".h5", ".hdf5"):
        kind = "h5"
        if not _is_hdf5(path):
            what = ("a zip file (a .keras model? rename it to .keras)" if zipfile.is_zipfile(path)
                    else "not an HDF5 model")
            raise ModelFileError(f"{path.name} is named {ext} but is {what}.")
    else:
        raise ModelFileError(f"{path.name}: unsupported model file type {ext or '(none)'!r}; "
                             "use a .keras or .h5 file saved with model.save(...).")

    config = _read_config(path, kind)
    if _nesting(config) > MAX_CONFIG_DEPTH:  # Keras rebuilds nested models recursively
        raise ModelFileError(f"{path.name} nests models or layers more than "
                             f"{MAX_CONFIG_DEPTH} levels deep; reprviz does not load it.")
    check_no_foreign_code(config, path)  # before Keras sees the file, trusted or not
    lambdas = _find_lambdas(config)
    if lambdas and not trust:
        raise _unsafe(path, lambdas)
    return path


def _load_checked(path: Path, trust: bool):
    lambdas = _find_lambdas(_read_config(path, "keras" if path.suffix.lower() == ".keras"
                                         else "h5")) if trust else []
    keras = keras_module()
    try:
        model = keras.saving.load_model(str(path), safe_mode=not trust, compile=False)
    except Exception as err:  # Keras raises ValueError/TypeError/OSError/KeyError/...
        text = " ".join(str(err).split())
        if "safe_mode" in text or "arbitrary code" in text:
            raise _unsafe(path, lambdas) from err
        if "Could not locate" in text or "Unknown layer" in text:
            raise ModelFileError(f"{path.name} uses a layer or function that this Keras "
                                 f"version does not know: {text[:160]}") from err
        raise ModelFileError(f"{path.name} could not be loaded as a Keras model: "
                             f"{type(err).__name__}: {text[:200]}") from err
    if not isinstance(model, keras.Model):
        raise ModelFileError(f"{path.name} does not hold a Keras model.")
    try:
        model.inputs, model.outputs  # noqa: B018 - an unbuilt Sequential raises here
    except (AttributeError, ValueError):
        raise ModelError(f"{path.name} was saved without an input shape (a Sequential that was "
                         "never built); rebuild it starting with keras.Input(shape=...), or "
                         "call model.build(...) before saving it.") from None
    if len(model.inputs or []) != 1 or len(model.outputs or []) != 1:
        raise ModelError(f"{path.name}: models with several inputs or outputs are not supported "
                         f"(this one has {len(model.inputs or [])} inputs and "
                         f"{len(model.outputs or [])} outputs).")
    compile_model(model)
    model_version(model)
    return model


def _unsafe(path: Path, lambdas: list[str]) -> UnsafeModelError:
    names = ", ".join(repr(n) for n in lambdas) if lambdas else "a Lambda layer"
    return UnsafeModelError(
        f"{path.name} contains Python code ({names} Lambda layer) that would run when loaded; "
        "load it only if you trust where it came from: choose 'trust this file' or pass "
        "--trust-model.")


# --- saving -----------------------------------------------------------------------------------
SAVE_SUFFIXES = (".keras", ".h5")


def check_model_save_path(path: str | Path) -> Path:
    """Raise before any work if ``path`` cannot take a saved model: ``ModelError`` for a suffix
    other than ``.keras``/``.h5``, ``ReprvizError`` for a folder that is missing or not writable
    (or a path that is a folder). Returns ``path`` as a ``Path``."""
    path = Path(path)
    if path.suffix.lower() not in SAVE_SUFFIXES:
        raise ModelError(f"Cannot save the model to {path.name}: the file name must end in "
                         f".keras (or .h5), not {path.suffix or '(nothing)'!r}.")
    if path.is_dir():
        raise ReprvizError(f"Cannot save the model to {path}: it is a folder.")
    parent = path.resolve().parent
    if not parent.is_dir():
        raise ReprvizError(f"Cannot save the model to {path}: the folder {parent} does not exist.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ReprvizError(f"Cannot save the model to {path}: the folder {parent} is not "
                           "writable.")
    return path


def save_model_file(model, path: str | Path) -> Path:
    """Save the whole model (architecture, weights, optimizer state) as ``.keras`` (or legacy
    ``.h5``) atomically: Keras writes a temp file in the same folder, which then replaces
    ``path``, so a crash or kill mid-save leaves any previous file at ``path`` intact.

    Raises ``ModelError`` for another suffix and ``ReprvizError`` when the folder is missing or
    not writable, or the disk refuses the write. Returns ``path`` as a ``Path``.
    """
    from ..io.atomic import atomic_save_via_path

    path = check_model_save_path(path)
    try:
        # Keras picks the format from the temp file's suffix (case-sensitively: ".KERAS" fails)
        return atomic_save_via_path(path, lambda tmp: model.save(str(tmp), overwrite=True),
                                    suffix=path.suffix.lower())
    except OSError as err:
        raise ReprvizError(f"Cannot save the model to {path}: "
                           f"{err.strerror or ' '.join(str(err).split())}") from err


