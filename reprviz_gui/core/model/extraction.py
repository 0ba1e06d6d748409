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
from typing import Any, Sequence

import numpy as np

from ..errors import ModelError, ShapeMismatchError, UnknownLayerError
from ..progress import ProgressFn, StopFn, check_stop, report
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
    if is_raw(key) and raw_base(key) in names:
        _check_names(model, [key])  # a raw name is valid only for a Dense layer
        return key
    raw = raw_layer_names(model)  # the raw projections are layers too (--layer hidden_1:raw)
    raise UnknownLayerError(f"The model has no layer {key!r}; its layers are: {', '.join(names)}"
                            + (f"; raw projections: {', '.join(raw)}." if raw else "."))


def _check_names(model, names: Sequence[str]) -> None:
    valid = layer_names(model)
    bad = [n for n in names if raw_base(n) not in valid]
    if bad:
        raise UnknownLayerError(
            f"The model has no layer{'s' if len(bad) > 1 else ''} "
            f"{', '.join(repr(b) for b in bad)}; its layers are: {', '.join(valid)}.")
    raw = [n for n in names if is_raw(n)]
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


def _extractor(model, keys: tuple[str, ...]):
    """A Keras model mapping the model's input to the tensors named by ``keys``
    (``"layer"`` = its output, ``"layer/input"`` = its input), cached per model."""
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
    tensors = []
    for key in keys:
        name, _, part = key.partition("/")
        layer = model.get_layer(name)
        try:
            tensor = layer.input if part == "input" else layer.output
        except (AttributeError, ValueError) as err:
            raise ModelError(f"Layer {name!r} cannot be read on its own (it is used more than "
                             f"once or is inside a nested model): {err}") from err
        if isinstance(tensor, (list, tuple)):
            if len(tensor) != 1:
                raise ModelError(f"Layer {name!r} has {len(tensor)} "
                                 f"{'inputs' if part else 'outputs'}; only single-tensor layers "
                                 "can be shown.")
            tensor = tensor[0]
        tensors.append(tensor)
    extractor = keras.Model(model.inputs, tensors, name="reprviz_extractor")
    with _extractor_lock:
        per_model = _extractors.setdefault(model, {})
        if len(per_model) >= _MAX_EXTRACTORS_PER_MODEL:
            per_model.pop(next(iter(per_model)))
        per_model[keys] = extractor
    return extractor


def forget_extractors(model) -> None:
    """Drop the cached extractor models of ``model`` (e.g. when the model is closed)."""
    with _extractor_lock:
        _extractors.pop(model, None)


def _output_size(tensor_shape) -> int:
    return int(np.prod([int(d) for d in tuple(tensor_shape)[1:] if d is not None] or [1]))


def extraction_bytes(model, layer_names: Sequence[str], n: int,
                     inputs_of: Sequence[str] = ()) -> int:
    """Bytes the float32 result of ``extract_layers`` would take, for a memory check first."""
    _check_names(model, list(layer_names) + list(inputs_of))
    total = 0
    for name in layer_names:
        total += _output_size(model.get_layer(raw_base(name)).output.shape)
    for name in inputs_of:
        inp = model.get_layer(name).input
        inp = inp[0] if isinstance(inp, (list, tuple)) else inp
        total += _output_size(inp.shape)
    return int(total) * int(n) * 4


def extract_layers(model, x: np.ndarray, layer_names: Sequence[str], batch_size: int = 256,
                   inputs_of: Sequence[str] = (), on_progress: ProgressFn | None = None,
                   should_stop: StopFn | None = None) -> dict[str, np.ndarray]:
    """All requested layers in one batched forward pass (inference mode: dropout off).

    Returns ``{name: (N, units) float32}`` with each output flattened, plus
    ``{f"{name}/input": ...}`` for every name in ``inputs_of``. A raw name
    (``"hidden_2:raw"``) gives that Dense layer's input times its kernel, computed batch by
    batch in the same pass. Reports stage ``"extract"`` per batch; cancels between batches
    (``Cancelled``). Unknown names raise ``UnknownLayerError`` listing the valid ones.
    """
    requested = list(dict.fromkeys(layer_names))
    inputs_of = list(dict.fromkeys(inputs_of))
    _check_names(model, requested + inputs_of)
    raw = [n for n in requested if is_raw(n)]
    names = [n for n in requested if not is_raw(n)]
    # the raw projections read their layer's input: ask the extractor for it too
    wanted_inputs = list(dict.fromkeys(inputs_of + [raw_base(n) for n in raw]))
    keys = tuple(names) + tuple(f"{n}/input" for n in wanted_inputs)
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
    sizes = [_output_size(t.shape) for t in extractor.outputs]
    kept = [k for k in keys if not (k.endswith("/input") and k[:-6] not in inputs_of)]
    # inputs read only for a raw projection are not stored whole: one batch at a time
    out = [np.empty((n, s), dtype=np.float32) if k in kept else None
           for k, s in zip(keys, sizes)]
    raw_out = {r: np.empty((n, kernels[r].shape[1]), dtype=np.float32) for r in raw}
    for r in raw:
        width = sizes[keys.index(f"{raw_base(r)}/input")]
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
            values = np.asarray(values, dtype=np.float32).reshape(stop - start, -1)
            batch[key] = values
            if store is not None:
                store[start:stop] = values
        for r in raw:
            raw_out[r][start:stop] = np.matmul(batch[f"{raw_base(r)}/input"], kernels[r])
        elapsed = time.perf_counter() - started
        report(on_progress, "extract", b / batches, f"Reading layers: batch {b}/{batches}",
               elapsed / b * (batches - b), batch=b, batches=batches)
    check_stop(should_stop)
    found = {k: v for k, v in zip(keys, out) if v is not None}
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
