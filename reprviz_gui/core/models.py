"""Model presets, loading ``.keras``/``.h5`` files, and what a model looks like inside.

Keras is imported lazily (``tf_runtime.keras_module()``) inside the functions, never at module
level, so importing this module is instant.

Layer names are fixed per preset so the GUI, the CLI's ``--layer`` and the reports can name
them::

    dense        flatten, hidden_1 .. hidden_k, [dropout_1 .. dropout_k], output
    multinomial  flatten, output
    sigmoid-mlp  flatten, hidden_1, output                    (same builder as dense)
    lenet        [reshape], conv_1, pool_1, conv_2, pool_2, flatten,
                 hidden_1, [dropout_1], hidden_2, [dropout_2], output
    bilstm       embedding, bilstm, dropout, output

(``[...]`` only when it applies: ``reshape`` for grey images, ``dropout_i`` when dropout > 0.)
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import weakref
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterator, Optional

import numpy as np

from .dataset_types import Dataset
from .errors import (ModelError, ModelFileError, ReprvizError, ShapeMismatchError,
                     UnsafeModelError)
from .tf_runtime import keras_module, set_seed

PRESETS: dict[str, str] = {
    "dense": "Fully connected: Flatten, two ReLU hidden layers (256, 144), softmax output",
    "multinomial": "Multinomial logistic regression: Flatten, softmax output, no hidden layer",
    "lenet": "LeNet-like CNN: two 5x5 convolutions with max-pooling, three dense layers, dropout",
    "bilstm": "Text: Embedding(vocab, 128), bidirectional LSTM(64), dropout 0.5, sigmoid output",
    "sigmoid-mlp": "Classic 400-14-10 network: one sigmoid hidden layer of 14 units, L2 1e-3",
}

OPTIMIZERS = ("adam", "rmsprop", "sgd")


@dataclass(frozen=True)
class ModelConfig:
    """Everything a user can change about a preset. ``default_config(preset)`` gives the values
    each preset is meant to start from (``ModelConfig(preset=...)`` alone keeps the dense
    defaults for every field)."""

    preset: str = "dense"
    hidden: tuple[int, ...] = (256, 144)
    activation: str = "relu"
    dropout: float = 0.0
    l2: float = 0.0
    embed_dim: int = 128
    lstm_units: int = 64
    vocab_size: Optional[int] = None  # None: largest token id in the data + 1
    optimizer: str = "adam"  # "adam" | "rmsprop" | "sgd"
    learning_rate: float = 1e-3
    momentum: float = 0.0  # sgd and rmsprop
    nesterov: bool = False  # sgd


_DEFAULTS: dict[str, dict[str, Any]] = {
    "dense": {},
    "multinomial": {"hidden": ()},
    "lenet": {"hidden": (120, 84), "dropout": 0.25},
    "bilstm": {"hidden": (), "dropout": 0.5},
    "sigmoid-mlp": {"hidden": (14,), "activation": "sigmoid", "l2": 1e-3},
}


def default_config(preset: str) -> ModelConfig:
    """The configuration a preset starts from."""
    _check_preset(preset)
    return replace(ModelConfig(preset=preset), **_DEFAULTS[preset])


def default_preset_for(dataset: Dataset) -> str:
    """The preset that suits this data: ``bilstm`` for token sequences, else ``dense``."""
    return "bilstm" if dataset.kind == "sequence" else "dense"


def preset_suits(preset: str, dataset: Dataset) -> bool:
    """Whether ``build_model`` can build this preset for this kind of data (the same rules,
    without TensorFlow): the window uses it to switch presets when new data arrives."""
    shape = dataset.sample_shape
    if preset == "bilstm":
        return dataset.kind == "sequence"
    if preset == "lenet":
        return dataset.kind == "image" and len(shape) in (2, 3) and min(shape[:2]) >= 4
    return dataset.kind != "sequence"


def _check_preset(preset: str) -> None:
    if preset not in PRESETS:
        raise ModelError(f"Unknown model preset {preset!r}; choose one of {', '.join(PRESETS)}.")


@dataclass(frozen=True)
class LayerInfo:
    index: int  # position in model.layers (what --layer N means)
    name: str
    type: str  # class name: "Dense", "Conv2D", "Bidirectional", ...
    output_shape: tuple[Optional[int], ...]  # without the batch axis
    activation: str  # "relu", "softmax", ... or "" when the layer has none
    params: int
    has_kernel: bool  # the layer has a weight matrix ("kernel"): Dense, Conv


# --- model versions (so caches know when weights changed) -------------------------------------
_version_lock = threading.Lock()
_uid_counter = itertools.count(1)
_versions: "weakref.WeakKeyDictionary[Any, list[int]]" = weakref.WeakKeyDictionary()


def model_version(model) -> str:
    """A cheap fingerprint that changes whenever ``train()`` changes the weights (or
    ``bump_version`` is called). Unique per model object for the life of the process."""
    with _version_lock:
        entry = _versions.get(model)
        if entry is None:
            entry = [next(_uid_counter), 0]
            _versions[model] = entry
        return f"m{entry[0]}.v{entry[1]}"


def bump_version(model) -> str:
    """Mark the model's weights as changed; returns the new version."""
    model_version(model)
    with _version_lock:
        _versions[model][1] += 1
    return model_version(model)


# --- building ---------------------------------------------------------------------------------
def _make_optimizer(keras, config: ModelConfig):
    name = config.optimizer.lower()
    lr = float(config.learning_rate)
    if not lr > 0:
        raise ModelError(f"The learning rate must be positive, not {config.learning_rate}.")
    if name == "adam":
        return keras.optimizers.Adam(learning_rate=lr)
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate=lr, momentum=float(config.momentum))
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate=lr, momentum=float(config.momentum),
                                    nesterov=bool(config.nesterov))
    raise ModelError(f"Unknown optimizer {config.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}.")


def _output_units(model) -> tuple[int, str]:
    layer = model.layers[-1]
    units = int(model.outputs[0].shape[-1]) if model.outputs else 0
    return units, _activation_name(layer)


def output_kind(model) -> tuple[str, bool]:
    """``("binary" | "multiclass", from_logits)``: one output unit is a binary classifier;
    an output layer without softmax/sigmoid gives logits."""
    units, act = _output_units(model)
    if units == 1:
        return "binary", act != "sigmoid"
    return "multiclass", act != "softmax"


def _loss_for(keras, model):
    kind, logits = output_kind(model)
    if kind == "binary":
        return keras.losses.BinaryCrossentropy(from_logits=True) if logits \
            else "binary_crossentropy"
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True) if logits \
        else "sparse_categorical_crossentropy"


def compile_model(model, config: ModelConfig | None = None) -> None:
    """Compile for this app's integer labels: loss from the output layer (one sigmoid unit:
    binary cross-entropy; else sparse categorical), optimizer from ``config``, accuracy."""
    keras = keras_module()
    config = config or ModelConfig()
    model.compile(optimizer=_make_optimizer(keras, config), loss=_loss_for(keras, model),
                  metrics=["accuracy"])


def ensure_compiled(model) -> None:
    """Compile a loaded (uncompiled) model with Adam and the task's loss."""
    if not getattr(model, "compiled", False) or getattr(model, "optimizer", None) is None:
        compile_model(model)


def _vocab_size(config: ModelConfig, dataset: Dataset) -> int:
    highest = -1
    for x in (dataset.x_train, dataset.x_test):
        if x.size:
            highest = max(highest, int(np.max(x)))
            if int(np.min(x)) < 0:
                raise ShapeMismatchError(f"Dataset {dataset.name!r} has negative token ids; "
                                         "the bilstm preset needs ids 0..vocab-1.")
    if config.vocab_size is None:
        return max(highest + 1, 2)
    if int(config.vocab_size) <= highest:
        raise ShapeMismatchError(
            f"vocab_size {config.vocab_size} is too small: dataset {dataset.name!r} uses token ids "
            f"up to {highest} (need at least {highest + 1}).")
    return int(config.vocab_size)


def _refuse(preset: str, dataset: Dataset, why: str) -> ShapeMismatchError:
    return ShapeMismatchError(
        f"The {preset} preset cannot take dataset {dataset.name!r} "
        f"({dataset.kind}s of shape {dataset.sample_shape}): {why}.")


def build_model(config: ModelConfig, dataset: Dataset, seed: int = 0):
    """A compiled Keras model for this dataset: input shape = the dataset's sample shape,
    output = one unit per class (one sigmoid unit for 2-class text with ``bilstm``).
    Raises ``ShapeMismatchError`` when the preset cannot take this kind of data."""
    _check_preset(config.preset)
    keras = keras_module()
    layers = keras.layers
    preset = config.preset
    shape = tuple(int(d) for d in dataset.sample_shape)
    n_classes = dataset.n_classes
    if n_classes < 2:
        raise ModelError(f"Dataset {dataset.name!r} has {n_classes} class(es); a classifier "
                         "needs at least 2.")
    if not shape or any(d <= 0 for d in shape):
        raise _refuse(preset, dataset, "the samples have no values")
    if any(int(h) <= 0 for h in config.hidden):
        raise ModelError(f"Hidden layer widths must be positive, not {tuple(config.hidden)}.")
    if not 0.0 <= float(config.dropout) < 1.0:
        raise ModelError(f"Dropout must be in [0, 1), not {config.dropout}.")

    if preset == "bilstm":
        if dataset.kind != "sequence":
            raise _refuse(preset, dataset, "it reads token sequences (text), not "
                          f"{dataset.kind}s; use dense, multinomial or lenet")
    elif preset == "lenet":
        if dataset.kind != "image" or len(shape) not in (2, 3):
            raise _refuse(preset, dataset, "a CNN needs images (height x width [x channels]); "
                          "use bilstm for text, dense or multinomial for vectors")
        if shape[0] < 4 or shape[1] < 4:
            raise _refuse(preset, dataset, "images must be at least 4x4 pixels for two "
                          "2x2 poolings")
    elif dataset.kind == "sequence":
        raise _refuse(preset, dataset, "it reads pixel or feature values, but these samples are "
                      "token ids; use the bilstm preset for text")

    set_seed(seed)
    reg = keras.regularizers.L2(float(config.l2)) if config.l2 > 0 else None

    def dense_stack() -> list:
        out = []
        for i, width in enumerate(config.hidden, start=1):
            out.append(layers.Dense(int(width), activation=config.activation,
                                    kernel_regularizer=reg, name=f"hidden_{i}"))
            if config.dropout > 0:
                out.append(layers.Dropout(float(config.dropout), name=f"dropout_{i}"))
        return out

    def softmax_output() -> Any:
        return layers.Dense(n_classes, activation="softmax", kernel_regularizer=reg,
                            name="output")

    if preset in ("dense", "sigmoid-mlp", "multinomial"):
        stack = [keras.Input(shape, name="input"), layers.Flatten(name="flatten")]
        if preset != "multinomial":
            stack += dense_stack()
        stack.append(softmax_output())
    elif preset == "lenet":
        stack = [keras.Input(shape, name="input")]
        if len(shape) == 2:
            stack.append(layers.Reshape(shape + (1,), name="reshape"))
        stack += [
            layers.Conv2D(6, 5, padding="same", activation=config.activation,
                          kernel_regularizer=reg, name="conv_1"),
            layers.MaxPooling2D(2, name="pool_1"),
            layers.Conv2D(16, 5, padding="same", activation=config.activation,
                          kernel_regularizer=reg, name="conv_2"),
            layers.MaxPooling2D(2, name="pool_2"),
            layers.Flatten(name="flatten"),
            *dense_stack(),
            softmax_output(),
        ]
    else:  # bilstm
        vocab = _vocab_size(config, dataset)
        stack = [
            keras.Input(shape, dtype="int32", name="input"),
            layers.Embedding(vocab, int(config.embed_dim), name="embedding"),
            layers.Bidirectional(layers.LSTM(int(config.lstm_units)), name="bilstm"),
            layers.Dropout(float(config.dropout), name="dropout"),
            *[layers.Dense(int(w), activation=config.activation, kernel_regularizer=reg,
                           name=f"hidden_{i}") for i, w in enumerate(config.hidden, start=1)],
        ]
        if n_classes == 2:
            stack.append(layers.Dense(1, activation="sigmoid", kernel_regularizer=reg,
                                      name="output"))
        else:
            stack.append(softmax_output())
    model = keras.Sequential(stack, name=preset.replace("-", "_"))
    compile_model(model, config)
    model_version(model)
    return model


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
    from .atomic import atomic_save_via_path

    path = check_model_save_path(path)
    try:
        # Keras picks the format from the temp file's suffix (case-sensitively: ".KERAS" fails)
        return atomic_save_via_path(path, lambda tmp: model.save(str(tmp), overwrite=True),
                                    suffix=path.suffix.lower())
    except OSError as err:
        raise ReprvizError(f"Cannot save the model to {path}: "
                           f"{err.strerror or ' '.join(str(err).split())}") from err


# --- inspecting -------------------------------------------------------------------------------
def input_shape(model) -> tuple[Optional[int], ...]:
    """The model's input shape without the batch axis."""
    inputs = getattr(model, "inputs", None)
    if not inputs:
        raise ModelError("The model has no defined input shape; rebuild it with keras.Input(shape).")
    return tuple(None if d is None else int(d) for d in inputs[0].shape[1:])


def expects_tokens(model) -> bool:
    """True when the model reads integer token ids (integer input or an Embedding first)."""
    keras = keras_module()
    dtype = str(model.inputs[0].dtype)
    if "int" in dtype:
        return True
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        return isinstance(layer, keras.layers.Embedding)
    return False


def check_compatible(model, dataset: Dataset, model_name: str | None = None) -> None:
    """Raise ``ShapeMismatchError`` (naming ``model_name``, the model file, when given) if the
    model cannot take this dataset's samples or classes."""
    try:
        _check_compatible(model, dataset)
    except ShapeMismatchError as exc:
        if model_name:
            raise ShapeMismatchError(f"{model_name}: {exc}", hint=exc.hint) from None
        raise


def _check_compatible(model, dataset: Dataset) -> None:
    """Raise ``ShapeMismatchError`` when the model cannot read this dataset's samples or
    predict its classes."""
    want = input_shape(model)
    have = tuple(int(d) for d in dataset.sample_shape)
    fits = len(want) == len(have) and all(w is None or w == h for w, h in zip(want, have))
    if not fits:
        hint = ""
        if len(want) == len(have) + 1 and want[-1] == 1 and all(
                w is None or w == h for w, h in zip(want[:-1], have)):
            hint = " (the model wants a channel axis; the data has grey images without one)"
        elif int(np.prod([d or 0 for d in want])) == int(np.prod(have)) and None not in want:
            hint = " (same number of values, laid out differently)"
        raise ShapeMismatchError(
            f"The model expects input of shape {_fmt(want)} but dataset {dataset.name!r} has "
            f"samples of shape {_fmt(have)}{hint}.")
    tokens = expects_tokens(model)
    if tokens and dataset.kind != "sequence":
        raise ShapeMismatchError(
            f"The model expects token sequences of shape {_fmt(want)} but dataset "
            f"{dataset.name!r} has {dataset.kind}s of shape {_fmt(have)}.")
    if not tokens and dataset.kind == "sequence":
        raise ShapeMismatchError(
            f"The model expects numeric input of shape {_fmt(want)} but dataset "
            f"{dataset.name!r} has token sequences of shape {_fmt(have)}.")
    units, act = _output_units(model)
    n = dataset.n_classes
    if n and not (units == n or (units == 1 and n == 2)):
        raise ShapeMismatchError(
            f"The model's output has shape {_fmt((units,))} ({units} class"
            f"{'es' if units != 1 else ''}) but dataset {dataset.name!r} has {n} classes "
            f"(samples of shape {_fmt(have)}).")


def _fmt(shape: tuple) -> str:
    inner = ", ".join("?" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _activation_name(layer) -> str:
    act = getattr(layer, "activation", None)
    if act is None:
        fwd = getattr(layer, "forward_layer", None)  # Bidirectional
        act = getattr(fwd, "activation", None) if fwd is not None else None
    if act is None:
        return ""
    name = getattr(act, "__name__", None)
    if name is None:
        try:
            name = str(keras_module().activations.serialize(act))
        except Exception:
            name = type(act).__name__
    return str(name)


def _layer_output_shape(layer) -> tuple[Optional[int], ...]:
    try:
        shape = layer.output.shape
    except Exception:
        try:
            shape = layer.compute_output_shape(layer.input.shape)
        except Exception:
            return ()
    if isinstance(shape, list) and shape and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(None if d is None else int(d) for d in tuple(shape)[1:])


def _has_kernel(layer) -> bool:
    try:
        kernel = getattr(layer, "kernel", None)
    except Exception:
        return False
    return kernel is not None and len(getattr(kernel, "shape", ())) >= 2


def describe_layers(model) -> list[LayerInfo]:
    """One ``LayerInfo`` per entry of ``model.layers``, in order."""
    out = []
    for i, layer in enumerate(model.layers):
        out.append(LayerInfo(
            index=i,
            name=layer.name,
            type=type(layer).__name__,
            output_shape=_layer_output_shape(layer),
            activation=_activation_name(layer),
            params=int(layer.count_params()) if layer.built else 0,
            has_kernel=_has_kernel(layer),
        ))
    return out
