"""What a model looks like inside: layer descriptions, input/output shapes, whether it fits
a dataset, and a version number that changes whenever the weights do."""

from __future__ import annotations

import itertools
import threading
import weakref
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from ..data.types import Dataset
from ..errors import ModelError, ShapeMismatchError
from .runtime import keras_module


@dataclass(frozen=True)
class LayerInfo:
    index: int  # position in model.layers (what --layer N means)
    name: str
    type: str  # class name: "Dense", "Conv2D", "Bidirectional", ...
    output_shape: tuple[Optional[int], ...]  # without the batch axis
    activation: str  # "relu", "softmax", ... or "" when the layer has none
    params: int
    has_kernel: bool  # the layer has a weight matrix ("kernel"): Dense, Conv
    has_units: bool = False  # units of its own (Dense, LSTM, Conv, ...), not a pass-through
    # the nested model holding it ("backbone", "backbone/block"); "" for the model's own
    # layers. A nested layer's ``name`` is its path ("backbone/block_3_add") and ``index``
    # its position among its parent's layers
    parent: str = ""


# layer types that carry units of their own; Dropout, Flatten, Reshape, pooling, normalisation ...
# only pass values through, so they are never the default layer
UNIT_LAYER_TYPES = frozenset(("Dense", "Bidirectional", "LSTM", "GRU", "SimpleRNN", "RNN",
                              "Conv1D", "Conv2D", "Conv3D", "SeparableConv2D", "DepthwiseConv2D",
                              "EinsumDense"))


def default_layer(layers: "list[LayerInfo] | tuple[LayerInfo, ...]") -> Optional[str]:
    """The last layer before the output that has units of its own (the last hidden layer, what
    a course looks at first); the output layer itself when there is no hidden one. The window and
    ``analyze`` both use this rule."""
    layers = [info for info in layers if not getattr(info, "parent", "")]  # the model's own
    if not layers:
        return None
    for info in reversed(list(layers)[:-1]):
        if info.has_units:
            return info.name
    return layers[-1].name


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


def _output_units(model) -> tuple[int, str]:
    layer = model.layers[-1]
    units = int(model.outputs[0].shape[-1]) if model.outputs else 0
    return units, _activation_name(layer)


def output_kind(model) -> tuple[str, bool]:
    """``("binary" | "multiclass", from_logits)``: one output unit is a binary classifier;
    an output layer without softmax/sigmoid gives logits (a sigmoid per class, the hand-made
    network's, gives probabilities of each class on its own)."""
    units, act = _output_units(model)
    if units == 1:
        return "binary", act != "sigmoid"
    return "multiclass", act not in ("softmax", "sigmoid")  # sigmoid: one per class


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
        else:
            from ..data.fit_input import spatial_mismatch

            if dataset.kind == "image" and spatial_mismatch(want, have):
                hint = (" (images of another size: zero-pad or resize them to the model's "
                        "input with --fit-input pad|resize)")
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


def _has_units(layer) -> bool:
    from .nested import inner_graph

    if inner_graph(layer) is not None:  # a nested model (a backbone): its output has units
        return True
    wrapped = getattr(layer, "layer", None)  # Bidirectional, TimeDistributed
    kinds = {type(layer).__name__, type(wrapped).__name__ if wrapped is not None else ""}
    return bool(kinds & UNIT_LAYER_TYPES)


def describe_layers(model) -> list[LayerInfo]:
    """One ``LayerInfo`` per entry of ``model.layers``, in order."""
    return [_info(layer, i, layer.name) for i, layer in enumerate(model.layers)]


def _info(layer, index: int, name: str, parent: str = "") -> LayerInfo:
    return LayerInfo(
        index=index,
        name=name,
        type=type(layer).__name__,
        output_shape=_layer_output_shape(layer),
        activation=_activation_name(layer),
        params=int(layer.count_params()) if layer.built else 0,
        has_kernel=_has_kernel(layer),
        has_units=_has_units(layer),
        parent=parent,
    )


def describe_tree(model) -> list[LayerInfo]:
    """``describe_layers`` with every nested model's layers after it (names are paths,
    ``parent`` says which nested model holds them): the window's layer tree."""
    from .nested import SEP, walk

    out = []
    for path, depth, layer, index in walk(model):
        parent = path.rsplit(SEP, 1)[0] if depth else ""
        out.append(_info(layer, index, path, parent))
    return out
