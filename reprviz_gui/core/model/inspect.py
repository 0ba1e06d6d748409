"""The layer inspector: one table row per layer with the settings a course asks about (units,
kernel size, strides, activation, initialisers, regularisers with their factors, dropout), each
layer's full configuration as JSON-safe data, and the layers of a model as one plain chain (for
the analyses that walk a network from its input to its output).

Keras is imported lazily (``keras_module()``) inside the functions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from ..errors import ModelError, UnknownLayerError
from .layers import describe_layers
from .runtime import keras_module


@dataclass(frozen=True)
class LayerRow:
    """One layer as the inspector shows it. Settings that do not apply are ``None`` (numbers,
    tuples) or ``""`` (text)."""

    index: int  # position in model.layers
    name: str
    type: str  # "Dense", "Conv2D", "Bidirectional(LSTM)", ...
    units: Optional[int]  # Dense / recurrent units (Bidirectional: per direction); Embedding dims
    filters: Optional[int]  # convolutions
    kernel_size: Optional[tuple[int, ...]]
    strides: Optional[tuple[int, ...]]
    pool_size: Optional[tuple[int, ...]]
    padding: str
    activation: str  # "relu", "softmax", "linear", ... ("" when the layer has none)
    use_bias: Optional[bool]
    kernel_initializer: str  # e.g. "GlorotUniform", "RandomUniform(minval=-0.05, maxval=0.05)"
    bias_initializer: str
    kernel_regularizer: str  # e.g. "L2(0.001)", "L1L2(l1=0.01, l2=0.001)"; "" when none
    bias_regularizer: str
    activity_regularizer: str
    dropout: Optional[float]  # Dropout layers: the rate; recurrent layers: input dropout
    recurrent_dropout: Optional[float]
    params: int
    trainable_params: int
    trainable: bool
    output_shape: tuple[Optional[int], ...]  # without the batch axis
    notes: str  # anything else worth a glance: "vocabulary 5000", "target shape (28, 28, 1)", ...


# (field, column header) in the order a table shows them
LAYER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("index", "#"), ("name", "Name"), ("type", "Type"), ("units", "Units"),
    ("filters", "Filters"), ("kernel_size", "Kernel"), ("strides", "Strides"),
    ("pool_size", "Pool"), ("padding", "Padding"), ("activation", "Activation"),
    ("use_bias", "Bias"), ("kernel_initializer", "Kernel init"),
    ("bias_initializer", "Bias init"), ("kernel_regularizer", "Kernel reg."),
    ("bias_regularizer", "Bias reg."), ("activity_regularizer", "Activity reg."),
    ("dropout", "Dropout"), ("recurrent_dropout", "Recurrent dropout"),
    ("params", "Parameters"), ("trainable_params", "Trainable parameters"),
    ("trainable", "Trainable"), ("output_shape", "Output shape"), ("notes", "Notes"),
)


# --- JSON-safe configs ------------------------------------------------------------------------
def json_safe(value: Any) -> Any:
    """``value`` with tuples as lists, NumPy scalars and arrays as Python numbers and lists,
    non-finite floats as the strings "nan"/"inf"/"-inf", and any other object as its Keras
    serialisation (or its ``repr`` when it has none): ``json.dumps(..., allow_nan=False)``
    accepts the result."""
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, np.generic):
        return json_safe(value.item())
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    try:
        serialized = keras_module().saving.serialize_keras_object(value)
    except Exception:
        return repr(value)
    if serialized is value or not isinstance(serialized, (dict, list, str)):
        return repr(value)
    return json_safe(serialized)


def _get_layer(model, name: str):
    from .nested import get_layer_at, is_nested

    if is_nested(name):  # a layer inside a nested model, by path
        return get_layer_at(model, name)
    try:
        return model.get_layer(name)
    except ValueError:
        names = ", ".join(layer.name for layer in model.layers)
        raise UnknownLayerError(f"The model has no layer {name!r}; its layers are: "
                                f"{names}.") from None


def layer_config(model, name: str) -> dict:
    """The layer's full ``get_config()`` made JSON-safe (see ``json_safe``), plus
    ``"class_name"``. Raises ``UnknownLayerError`` for a name the model lacks and
    ``ModelError`` when the layer cannot describe itself (a custom layer without get_config)."""
    layer = _get_layer(model, name)
    try:
        config = layer.get_config()
    except Exception as err:  # custom layers may not implement it
        raise ModelError(f"Layer {name!r} ({type(layer).__name__}) cannot describe its "
                         f"settings: {err}") from err
    out = {"class_name": type(layer).__name__}
    out.update(json_safe(dict(config)))
    return out


# --- readable settings ------------------------------------------------------------------------
def _number(v: Any) -> str:
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return str(int(v))
    try:
        return format(float(v), "g")
    except (TypeError, ValueError):
        return str(v)


def _class_and_config(spec: Any) -> tuple[str, dict] | str:
    """A Keras serialised object (``{"class_name", "config"}``) as its class name and set
    (non-None) settings; a plain string (``""`` for none) when it is not such a dict."""
    if spec is None or spec == "":
        return ""
    if isinstance(spec, str):
        return spec
    if not isinstance(spec, dict):
        spec = json_safe(spec)
        if not isinstance(spec, dict):
            return str(spec)
    cfg = {k: v for k, v in (spec.get("config") or {}).items() if v is not None}
    return str(spec.get("class_name", "?")), cfg


def describe_regularizer(spec: Any) -> str:
    """``"L2(0.001)"``, ``"L1(0.01)"``, ``"L1L2(l1=0.01, l2=0.001)"``, ``"OrthogonalRegularizer
    (factor=0.01, mode=rows)"``; ``""`` for none. ``spec`` is what ``get_config()`` holds."""
    parsed = _class_and_config(spec)
    if isinstance(parsed, str):
        return parsed
    name, cfg = parsed
    if name in ("L1", "L2") and len(cfg) == 1:
        return f"{name}({_number(next(iter(cfg.values())))})"
    if name == "L1L2":
        cfg = {k: v for k, v in cfg.items() if float(v) != 0.0} or cfg
    inner = ", ".join(f"{k}={_number(v) if not isinstance(v, str) else v}"
                      for k, v in cfg.items())
    return f"{name}({inner})" if inner else name


def describe_initializer(spec: Any) -> str:
    """``"GlorotUniform"``, ``"RandomNormal(mean=0, stddev=0.05)"``, ``"Constant(value=0.1)"``;
    settings that are unset (None) are left out. ``""`` when there is none."""
    parsed = _class_and_config(spec)
    if isinstance(parsed, str):
        return parsed
    name, cfg = parsed
    inner = ", ".join(f"{k}={_number(v) if not isinstance(v, (str, list, dict)) else v}"
                      for k, v in cfg.items())
    return f"{name}({inner})" if inner else name


def _tuple(v: Any) -> Optional[tuple[int, ...]]:
    if v is None:
        return None
    if isinstance(v, (list, tuple)):
        return tuple(int(d) for d in v)
    return (int(v),)


def _float(v: Any) -> Optional[float]:
    return None if v is None else float(v)


def _activation(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, dict):
        return str(v.get("config", {}).get("name") or v.get("class_name", ""))
    return str(v)


def _count(weights) -> int:
    return int(sum(int(np.prod(w.shape)) for w in weights))


def layer_table(model) -> list[LayerRow]:
    """One ``LayerRow`` per entry of ``model.layers``, in order. A layer whose configuration
    cannot be read still gets a row (name, type, parameters, output shape)."""
    infos = describe_layers(model)
    rows = []
    for info, layer in zip(infos, model.layers):
        try:
            cfg = dict(layer.get_config())
        except Exception:
            cfg = {}
        type_name = info.type
        inner = cfg
        wrapped = cfg.get("layer")
        if isinstance(wrapped, dict) and isinstance(wrapped.get("config"), dict):
            # Bidirectional / TimeDistributed: the settings live on the wrapped layer
            inner = wrapped["config"]
            type_name = f"{info.type}({wrapped.get('class_name', '?')})"
        notes = []
        units = inner.get("units")
        if type_name.startswith("Embedding") or "output_dim" in inner:
            units = inner.get("output_dim", units)
            if "input_dim" in inner:
                notes.append(f"vocabulary {inner['input_dim']}")
        if "merge_mode" in cfg:
            notes.append(f"merge {cfg['merge_mode']}")
        if "target_shape" in cfg:
            notes.append(f"target shape {tuple(cfg['target_shape'])}")
        if inner.get("recurrent_activation"):
            notes.append(f"recurrent activation {_activation(inner['recurrent_activation'])}")
        if inner.get("return_sequences"):
            notes.append("returns sequences")
        if inner.get("dilation_rate") not in (None, 1, (1,), (1, 1), [1, 1], (1, 1, 1)):
            notes.append(f"dilation {tuple(_tuple(inner['dilation_rate']) or ())}")
        dropout = inner.get("rate") if "rate" in inner else inner.get("dropout")
        activation = _activation(inner.get("activation")) if "activation" in inner \
            else info.activation
        kernel_init = inner.get("kernel_initializer", inner.get("embeddings_initializer"))
        kernel_reg = inner.get("kernel_regularizer", inner.get("embeddings_regularizer"))
        built = bool(getattr(layer, "built", False))
        rows.append(LayerRow(
            index=info.index,
            name=info.name,
            type=type_name,
            units=None if units is None else int(units),
            filters=None if inner.get("filters") is None else int(inner["filters"]),
            kernel_size=_tuple(inner.get("kernel_size")),
            strides=_tuple(inner.get("strides")),
            pool_size=_tuple(inner.get("pool_size")),
            padding=str(inner.get("padding") or ""),
            activation=activation,
            use_bias=None if "use_bias" not in inner else bool(inner["use_bias"]),
            kernel_initializer=describe_initializer(kernel_init),
            bias_initializer=describe_initializer(inner.get("bias_initializer")),
            kernel_regularizer=describe_regularizer(kernel_reg),
            bias_regularizer=describe_regularizer(inner.get("bias_regularizer")),
            activity_regularizer=describe_regularizer(
                cfg.get("activity_regularizer", inner.get("activity_regularizer"))),
            dropout=_float(dropout),
            recurrent_dropout=_float(inner.get("recurrent_dropout")),
            params=info.params,
            trainable_params=_count(layer.trainable_weights) if built else 0,
            trainable=bool(layer.trainable),
            output_shape=info.output_shape,
            notes="; ".join(notes),
        ))
    return rows


# --- the model as a chain ---------------------------------------------------------------------
def _single(tensor):
    if isinstance(tensor, (list, tuple)):
        return tensor[0] if len(tensor) == 1 else None
    return tensor


def layer_chain(model) -> list:
    """The model's layers from input to output as one list, nested models expanded and input
    layers left out. Raises ``ModelError`` when the model is not a plain chain (branches,
    several inputs or outputs, a layer used twice), because walking it layer by layer would
    then be wrong."""
    keras = keras_module()
    inputs = getattr(model, "inputs", None)
    if not inputs:
        raise ModelError("The model has no defined input; it must be built with "
                         "keras.Input(shape).")
    if len(inputs) != 1 or len(getattr(model, "outputs", None) or []) != 1:
        raise ModelError(f"This analysis needs a model with one input and one output; "
                         f"{model.name!r} has {len(inputs)} inputs and "
                         f"{len(model.outputs or [])} outputs.")
    sequential = isinstance(model, keras.Sequential)
    chain: list = []
    previous = inputs[0]
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if not sequential:  # a functional model is a chain only if each layer reads the last
            try:
                fed = _single(layer.input)
            except (AttributeError, ValueError):
                fed = None
            if fed is None or fed is not previous:
                raise ModelError(f"This analysis needs a model whose layers form one chain "
                                 f"from input to output; layer {layer.name!r} of "
                                 f"{model.name!r} branches or joins.")
        if isinstance(layer, keras.Model):
            chain.extend(layer_chain(layer))
        else:
            chain.append(layer)
        try:
            previous = _single(layer.output)
        except (AttributeError, ValueError):
            previous = None
    if not sequential and previous is not model.outputs[0]:
        raise ModelError(f"This analysis needs a model whose layers form one chain from input "
                         f"to output; the output of {model.name!r} is not its last layer's.")
    return chain
