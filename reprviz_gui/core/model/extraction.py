"""Reading layers: one batched forward pass for many layers, and a Dense layer's raw projection.

``x`` handed to ``extract_layers`` is model-ready input (``dataset.inputs(x_split[indices])``).

Every Dense layer also has a *raw* pseudo-layer, named ``f"{name}{RAW_SUFFIX}"`` (e.g.
``"hidden_2:raw"``): its input times its kernel, without bias or activation (what the
Fashion-MNIST practical calls the embedding). ``extract_layers`` and ``resolve_layer`` take
these names like real layer names; ``raw_layer_names(model)`` lists them.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any, Mapping, Sequence

import numpy as np

from ..errors import ModelError, ShapeMismatchError, UnknownLayerError
from ..progress import ProgressFn, StopFn, check_stop, report
from .nested import get_layer_at, inner_graph, is_nested, tap_tensors
from .reduction import DEFAULT_CROP, check_reduction, default_reduction, graph_reduce, \
    reduce_activations, reduced_width
from .runtime import keras_module


# --- layers -----------------------------------------------------------------------------------
RAW_SUFFIX = ":raw"


def layer_names(model) -> list[str]:
    return [layer.name for layer in model.layers]


def is_raw(name: str) -> bool:
    """Whether ``name`` names a raw projection (``"hidden_2:raw"``)."""
    return isinstance(name, str) and name.endswith(RAW_SUFFIX)


def raw_base(name: str) -> str:
    """The Dense layer a raw name belongs to: ``"hidden_2:raw"`` -> ``"hidden_2"``."""
    return name[: -len(RAW_SUFFIX)] if is_raw(name) else name


def raw_layer_names(model) -> list[str]:
    """``f"{name}:raw"`` for every Dense layer of ``model.layers``, in layer order."""
    keras = keras_module()
    return [f"{layer.name}{RAW_SUFFIX}" for layer in model.layers
            if isinstance(layer, keras.layers.Dense)]


def _dense_kernel(model, layer_name: str) -> np.ndarray:
    """The kernel of a Dense layer as float32 (ModelError for another kind of layer)."""
    keras = keras_module()
    layer = model.get_layer(layer_name)
    if not isinstance(layer, keras.layers.Dense):
        raise ModelError(f"The raw projection needs a Dense layer; {layer_name!r} is a "
                         f"{type(layer).__name__}.")
    return np.asarray(layer.kernel.numpy() if hasattr(layer.kernel, "numpy") else
                      layer.get_weights()[0], dtype=np.float32)


def resolve_layer(model, name_or_index: str | int) -> str:
    """A layer name from a name or an index into ``model.layers`` (the CLI's ``--layer``);
    a string of digits counts as an index; negative indices count from the end."""
    names = layer_names(model)
    key: Any = name_or_index
    if isinstance(key, str):
        stripped = key.strip()
        if stripped.lstrip("-").isdigit() and stripped not in names:
            key = int(stripped)
        else:
            key = stripped
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        i = int(key)
        if -len(names) <= i < len(names):
            return names[i]
        raise UnknownLayerError(
            f"Layer index {i} is out of range: the model has {len(names)} layers "
            f"(0..{len(names) - 1}: {', '.join(names)}).")
    if key in names:
        return key
    if isinstance(key, str) and is_nested(key) and not is_raw(key):
        get_layer_at(model, key)  # UnknownLayerError naming the nested model's layers
        return key
    if is_raw(key) and raw_base(key) in names:
        _check_names(model, [key])  # a raw name is valid only for a Dense layer
        return key
    raw = raw_layer_names(model)  # the raw projections are layers too (--layer hidden_1:raw)
    raise UnknownLayerError(f"The model has no layer {key!r}; its layers are: {', '.join(names)}"
                            + (f"; raw projections: {', '.join(raw)}." if raw else "."))


def _check_names(model, names: Sequence[str]) -> None:
    valid = layer_names(model)
    for n in names:  # a path into a nested model: each step must exist
        if is_nested(n) and not is_raw(n):
            get_layer_at(model, n)
    bad = [n for n in names if raw_base(n) not in valid and not is_nested(n)]
    if bad:
        raise UnknownLayerError(
            f"The model has no layer{'s' if len(bad) > 1 else ''} "
            f"{', '.join(repr(b) for b in bad)}; its layers are: {', '.join(valid)}.")
    raw = [n for n in names if is_raw(n)]
    if any(is_nested(n) for n in raw):
        raise UnknownLayerError("Raw projections exist only for Dense layers of the model "
                                "itself, not inside a nested model.")
    if raw:
        dense = raw_layer_names(model)
        wrong = [n for n in raw if n not in dense]
        if wrong:
            base = raw_base(wrong[0])
            have = ", ".join(dense) or "none"
            raise UnknownLayerError(
                f"Layer {base!r} is a {type(model.get_layer(base)).__name__}; raw projections "
                f"exist only for Dense layers (this model's: {have}).")


# extractor models, built once per (model, outputs) and reused: rebuilding retraces
_extractors: "weakref.WeakKeyDictionary[Any, dict[tuple, Any]]" = weakref.WeakKeyDictionary()
_extractor_lock = threading.Lock()
_MAX_EXTRACTORS_PER_MODEL = 8


def _extractor(model, keys: tuple[tuple[str, str], ...]):
    """A Keras model mapping the model's input to the tensors named by ``keys``: ``(path,
    "output")`` a layer's output, ``(path, "input")`` its input; a path inside a nested model
    reads the flattened graph (``nested.tap_tensors``); ``(path, "mean")`` / ``(path, "max")``
    its output averaged / maxed over positions inside the graph (``reduction.graph_reduce``:
    only the reduced values leave TensorFlow). Cached per model."""
    keras = keras_module()
    with _extractor_lock:
        per_model = _extractors.get(model)
        if per_model is None:
            per_model = {}
            _extractors[model] = per_model
        found = per_model.get(keys)
        if found is not None:
            return found
    if not getattr(model, "inputs", None):
        raise ModelError("The model has no defined input; it must be built with "
                         "keras.Input(shape) before its layers can be read.")
    taps = [(name, "input" if part == "input" else "output") for name, part in keys]
    if any(is_nested(name) or _is_sub_model(model, name) for name, _ in keys):
        tensors = tap_tensors(model, taps)
    else:
        tensors = []
        for name, part in taps:
            layer = model.get_layer(name)
            try:
                tensor = layer.input if part == "input" else layer.output
            except (AttributeError, ValueError) as err:
                raise ModelError(f"Layer {name!r} cannot be read on its own (it is used more "
                                 f"than once or is inside a nested model): {err}") from err
            tensors.append(tensor)
        _check_single(keys, tensors)
        tensors = [t[0] if isinstance(t, (list, tuple)) else t for t in tensors]
    tensors = [graph_reduce(t, part, keras.ops) if part in ("mean", "max") else t
               for t, (_, part) in zip(tensors, keys)]
    extractor = keras.Model(model.inputs, tensors, name="reprviz_extractor")
    with _extractor_lock:
        per_model = _extractors.setdefault(model, {})
        if len(per_model) >= _MAX_EXTRACTORS_PER_MODEL:
            per_model.pop(next(iter(per_model)))
        per_model[keys] = extractor
    return extractor


def _is_sub_model(model, name: str) -> bool:
    """A top-level layer that is itself a model: its ``.output`` lies on its own inner graph,
    not on the outer model's (Keras: "Output ... is not connected to inputs"), so it is read
    from the flattened graph too (found with a CNN holding a functional block and a
    Sequential, whose depth metrics read every top-level layer)."""
    try:
        return inner_graph(model.get_layer(name)) is not None
    except ValueError:
        return False


def _check_single(keys, tensors) -> None:
    for (name, part), tensor in zip(keys, tensors):
        if isinstance(tensor, (list, tuple)) and len(tensor) != 1:
            raise ModelError(f"Layer {name!r} has {len(tensor)} "
                             f"{'inputs' if part == 'input' else 'outputs'}; only single-tensor "
                             "layers can be shown.")


def forget_extractors(model) -> None:
    """Drop the cached extractor models of ``model`` (e.g. when the model is closed)."""
    with _extractor_lock:
        _extractors.pop(model, None)


def _output_size(tensor_shape) -> int:
    return int(np.prod([int(d) for d in tuple(tensor_shape)[1:] if d is not None] or [1]))


def layer_output_shape(model, name: str) -> tuple:
    """A layer's output shape without the batch axis (a path reads a nested model's layer)."""
    layer = get_layer_at(model, raw_base(name)) if is_nested(name) else \
        model.get_layer(raw_base(name))
    out = layer.output
    out = out[0] if isinstance(out, (list, tuple)) else out
    return tuple(None if d is None else int(d) for d in tuple(out.shape)[1:])


def reductions_for(model, names: Sequence[str],
                   reductions: "Mapping[str, str] | None" = None) -> dict[str, str]:
    """The reduction each layer is read with: the one asked for, else ``default_reduction``
    of its shape (global average once flattening would pass the width limit). Raw
    projections are flat: ``"flatten"``."""
    reductions = dict(reductions or {})
    out = {}
    for name in names:
        if is_raw(name):
            out[name] = "flatten"
            continue
        asked = reductions.get(name) or reductions.get("*")
        out[name] = check_reduction(asked) if asked else \
            default_reduction(layer_output_shape(model, name))
    return out


def extraction_bytes(model, layer_names: Sequence[str], n: int,
                     inputs_of: Sequence[str] = (),
                     reductions: "Mapping[str, str] | None" = None,
                     crop: int = DEFAULT_CROP) -> int:
    """Bytes the float32 result of ``extract_layers`` would take, for a memory check first."""
    _check_names(model, list(layer_names) + list(inputs_of))
    total = 0
    hows = reductions_for(model, layer_names, reductions)
    for name in layer_names:
        total += reduced_width(layer_output_shape(model, name), hows[name], crop) \
            if not is_raw(name) else _output_size(model.get_layer(raw_base(name)).output.shape)
    for name in inputs_of:
        inp = model.get_layer(name).input
        inp = inp[0] if isinstance(inp, (list, tuple)) else inp
        total += _output_size(inp.shape)
    return int(total) * int(n) * 4


def extract_layers(model, x: np.ndarray, layer_names: Sequence[str], batch_size: int = 256,
                   inputs_of: Sequence[str] = (), on_progress: ProgressFn | None = None,
                   should_stop: StopFn | None = None,
                   reductions: "Mapping[str, str] | None" = None,
                   crop: int = DEFAULT_CROP) -> dict[str, np.ndarray]:
    """All requested layers in one batched forward pass (inference mode: dropout off).

    Returns ``{name: (N, width) float32}``, each layer's batch reduced as it arrives
    (``reduction.reduce_activations``: ``reductions[name]``, or ``reductions["*"]``, else
    ``reductions_for``'s default), so a convolutional layer's full maps are never held for all
    samples; plus ``{f"{name}/input": ...}`` (flattened) for every name in ``inputs_of``.
    A name may be a path into a nested model (``"backbone/block_3_add"``). A raw name
    (``"hidden_2:raw"``) gives that Dense layer's input times its kernel, computed batch by
    batch in the same pass. Reports stage ``"extract"`` per batch; cancels between batches
    (``Cancelled``). Unknown names raise ``UnknownLayerError`` listing the valid ones.
    """
    requested = list(dict.fromkeys(layer_names))
    inputs_of = list(dict.fromkeys(inputs_of))
    _check_names(model, requested + inputs_of)
    raw = [n for n in requested if is_raw(n)]
    names = [n for n in requested if not is_raw(n)]
    hows = reductions_for(model, names, reductions)
    # the raw projections read their layer's input: ask the extractor for it too
    wanted_inputs = list(dict.fromkeys(inputs_of + [raw_base(n) for n in raw]))
    # a global average or max is taken inside the graph (the same numbers; only C values per
    # sample leave TensorFlow instead of H x W x C): what makes reading every layer of a
    # MobileNetV2 cost about one predict
    in_graph = {n for n in names if hows[n] in ("mean", "max")
                and len(layer_output_shape(model, n)) >= 2}
    keys = tuple((n, hows[n] if n in in_graph else "output") for n in names) + \
        tuple((n, "input") for n in wanted_inputs)
    if not keys:
        return {}
    kernels = {n: _dense_kernel(model, raw_base(n)) for n in raw}
    x = np.asarray(x)
    n = len(x)
    want = tuple(model.inputs[0].shape[1:]) if getattr(model, "inputs", None) else None
    if want is not None and (len(want) != x.ndim - 1 or any(
            w is not None and int(w) != int(h) for w, h in zip(want, x.shape[1:]))):
        raise ShapeMismatchError(
            f"The model expects input of shape {tuple(want)} but got samples of shape "
            f"{tuple(x.shape[1:])}.")
    check_stop(should_stop)
    extractor = _extractor(model, keys)
    shapes = [tuple(None if d is None else int(d) for d in tuple(t.shape)[1:])
              for t in extractor.outputs]
    widths = [reduced_width(shape, hows[name], crop) if part == "output"
              else _output_size((None,) + shape) for (name, part), shape in zip(keys, shapes)]
    kept = [k for k in keys if k[1] != "input" or k[0] in inputs_of]
    # inputs read only for a raw projection are not stored whole: one batch at a time
    out = [np.empty((n, w), dtype=np.float32) if k in kept else None
           for k, w in zip(keys, widths)]
    raw_out = {r: np.empty((n, kernels[r].shape[1]), dtype=np.float32) for r in raw}
    for r in raw:
        width = widths[keys.index((raw_base(r), "input"))]
        if width != kernels[r].shape[0]:
            raise ModelError(f"Layer {raw_base(r)!r} applies its kernel along the last axis of "
                             f"a {width}-value input; its raw projection needs a flat input.")
    batch_size = max(1, int(batch_size))
    batches = max(1, -(-n // batch_size))
    started = time.perf_counter()
    for b, start in enumerate(range(0, n, batch_size), start=1):
        check_stop(should_stop)
        stop = min(n, start + batch_size)
        result = extractor.predict_on_batch(x[start:stop])
        if not isinstance(result, (list, tuple)):
            result = [result]
        batch = {}
        for key, store, values in zip(keys, out, result):
            how = hows[key[0]] if key[1] == "output" else "flatten"  # reduced in the graph
            values = reduce_activations(np.asarray(values), how, crop)
            batch[key] = values
            if store is not None:
                store[start:stop] = values
        for r in raw:
            raw_out[r][start:stop] = np.matmul(batch[(raw_base(r), "input")], kernels[r])
        elapsed = time.perf_counter() - started
        report(on_progress, "extract", b / batches, f"Reading layers: batch {b}/{batches}",
               elapsed / b * (batches - b), batch=b, batches=batches)
    check_stop(should_stop)
    found = {(k[0] if k[1] != "input" else f"{k[0]}/input"): v
             for k, v in zip(keys, out) if v is not None}
    found.update(raw_out)
    # in the order asked: layers (raw ones among them), then the inputs
    return {k: found[k] for k in requested + [f"{m}/input" for m in inputs_of]}


def extract_layer(model, x: np.ndarray, layer_name: str, **kwargs) -> np.ndarray:
    """One layer's activations, ``(N, units)`` float32."""
    return extract_layers(model, x, [layer_name], **kwargs)[layer_name]


def raw_projection(model, layer_name: str, layer_input: np.ndarray) -> np.ndarray:
    """``layer_input @ W`` for a Dense layer: its weighted sums without bias or activation
    (what the Fashion-MNIST practical calls the embedding). ``layer_input`` is what
    ``extract_layers(..., inputs_of=[layer_name])`` returns under ``f"{layer_name}/input"``."""
    _check_names(model, [layer_name])
    layer_name = raw_base(layer_name)
    kernel = _dense_kernel(model, layer_name)
    a = np.asarray(layer_input, dtype=np.float32)
    a = a.reshape(len(a), -1)
    if a.shape[1] != kernel.shape[0]:
        raise ShapeMismatchError(f"Layer {layer_name!r} takes {kernel.shape[0]} inputs but got "
                                 f"an array of shape {a.shape}.")
    return np.matmul(a, kernel).astype(np.float32, copy=False)
