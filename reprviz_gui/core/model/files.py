"""Loading and saving ``.keras``/``.h5`` model files, and refusing files that would run code."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any, Iterator

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
    """Every dict in a serialised Keras config, depth first, in file order."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _config_nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _config_nodes(value)


def _find_lambdas(config: Any) -> list[str]:
    """Names of Lambda layers anywhere in a serialised model config."""
    found: list[str] = []
    for node in _config_nodes(config):
        if node.get("class_name") == "Lambda":
            inner = node.get("config") or {}
            found.append(str(inner.get("name", "?")) if isinstance(inner, dict) else "?")
    return found


def _custom_classes(config: Any) -> list[str]:
    """Registered names of non-Keras classes in a serialised config (e.g. ``"mine>Twice"``)."""
    found: list[str] = []
    for node in _config_nodes(config):
        if "class_name" not in node:
            continue
        reg, module, cls = node.get("registered_name"), node.get("module"), node.get("class_name")
        if isinstance(reg, str) and ">" in reg:
            found.append(reg)
        elif isinstance(cls, str) and ">" in cls:  # the legacy .h5 layout
            found.append(cls)
        elif isinstance(module, str) and not module.startswith("keras"):
            found.append(f"{module}.{cls}")
    return list(dict.fromkeys(found))


def _read_config(path: Path, kind: str) -> Any:
    """The model's architecture as saved, or raise ModelFileError when there is none."""
    if kind == "keras":
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
                if "config.json" not in names:
                    raise ModelFileError(
                        f"{path.name} is a zip file but not a Keras model (no config.json).")
                return json.loads(z.read("config.json").decode("utf-8"))
        except ModelFileError:
            raise
        except (zipfile.BadZipFile, OSError, ValueError, UnicodeDecodeError) as err:
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
            if isinstance(raw, bytes):
                raw = raw.decode("utf-8")
            return json.loads(raw)
    except ModelFileError:
        raise
    except (OSError, ValueError, KeyError, UnicodeDecodeError) as err:
        raise ModelFileError(f"{path.name} is damaged and cannot be read as an .h5 model "
                             f"({type(err).__name__}).") from err


def load_model_file(path: str | Path, trust: bool = False):
    """Load a ``.keras`` or ``.h5`` model (uncompiled in the file's sense; it is compiled here
    with Adam and the task's loss so it can be trained further).

    A model containing code (a Lambda layer) is refused with ``UnsafeModelError`` unless
    ``trust`` is True. Missing, corrupt or mislabelled files raise ``ModelFileError``.
    """
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"Model file not found: {path}")
    if path.is_dir():
        raise ModelFileError(f"{path} is a folder; reprviz loads a single .keras or .h5 model "
                             "file (TensorFlow SavedModel folders are not supported by Keras 3).")
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
    lambdas = _find_lambdas(config)
    if lambdas and not trust:
        raise _unsafe(path, lambdas)

    keras = keras_module()
    try:
        model = keras.saving.load_model(str(path), safe_mode=not trust, compile=False)
    except Exception as err:  # Keras raises ValueError/TypeError/OSError/KeyError/...
        text = " ".join(str(err).split())
        if "safe_mode" in text or "arbitrary code" in text:
            raise _unsafe(path, lambdas) from err
        custom = _custom_classes(config)
        if custom:
            raise ModelFileError(
                f"{path.name} uses custom code that is not part of Keras "
                f"({', '.join(custom[:5])}), so reprviz cannot rebuild it; save the model "
                "with built-in Keras layers only.") from err
        if "Could not locate" in text or "Unknown layer" in text:
            raise ModelFileError(f"{path.name} uses a layer or function that this Keras "
                                 f"version does not know: {text[:160]}") from err
        raise ModelFileError(f"{path.name} could not be loaded as a Keras model: "
                             f"{type(err).__name__}: {text[:200]}") from err
    if not isinstance(model, keras.Model):
        raise ModelFileError(f"{path.name} does not hold a Keras model.")
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


