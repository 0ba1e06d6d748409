"""Layers inside nested models, named by path: ``"outer/inner"`` (``"a/b/c"`` deeper).

Researchers' models nest: a Keras Applications backbone (MobileNetV2, ResNet50) called as one
layer of a classifier, a Sequential block inside a functional model. Keras 3 forbids ``/`` in
layer names, so the path is unambiguous. ``get_layer_at`` finds a layer by path and
``tap_tensors`` gives the tensors for ONE Keras model from the outer input to any set of
layers, nested ones included, by running the outer graph again with every nested model that
holds a requested layer *flattened*: its own layers are called on the outer tensors (sharing
their weights), so one forward pass reads every requested layer, and nothing is computed twice.
"""

from __future__ import annotations

from typing import Any, Iterator, Sequence

from ..errors import ModelError, UnknownLayerError
from .runtime import keras_module

SEP = "/"


def split_path(name: str) -> list[str]:
    return [p for p in str(name).split(SEP)]


def inner_graph(layer: Any) -> Any:
    """The functional graph of a nested model layer (a Functional model itself, a built
    Sequential's inner functional), or None for a plain layer or a subclassed model."""
    keras = keras_module()
    if not isinstance(layer, keras.Model):
        return None
    functional = getattr(layer, "_functional", None)  # a built Sequential keeps one
    if functional is not None:
        return functional
    return layer if hasattr(layer, "_nodes_by_depth") and getattr(layer, "inputs", None) else None


def get_layer_at(model: Any, path: str) -> Any:
    """The layer at ``path`` (a plain name is a layer of ``model`` itself)."""
    parts = split_path(path)
    layer, walked = model, []
    for part in parts:
        if walked and inner_graph(layer) is None:
            raise UnknownLayerError(f"Layer {SEP.join(walked)!r} is a "
                                    f"{type(layer).__name__}, not a nested model: it has no "
                                    f"layer {part!r}.")
        try:
            layer = layer.get_layer(part)
        except ValueError:
            where = f"the nested model {SEP.join(walked)!r}" if walked else "the model"
            names = ", ".join(l.name for l in layer.layers)
            raise UnknownLayerError(f"{where[0].upper()}{where[1:]} has no layer {part!r}; "
                                    f"its layers are: {names}.") from None
        walked.append(part)
    return layer


def walk(model: Any, prefix: str = "", depth: int = 0,
         max_depth: int = 8) -> Iterator[tuple[str, int, Any, int]]:
    """``(path, depth, layer, index in its parent)`` for every layer, each nested model
    followed by its own layers (the tree, in order)."""
    for i, layer in enumerate(model.layers):
        path = f"{prefix}{layer.name}"
        yield path, depth, layer, i
        graph = inner_graph(layer)
        if graph is not None and depth < max_depth:
            yield from walk(layer, path + SEP, depth + 1, max_depth)


def is_nested(path: str) -> bool:
    return SEP in str(path)


def tap_tensors(model: Any, taps: Sequence[tuple[str, str]]) -> list:
    """Symbolic tensors on ``model.inputs``' graph, one per tap ``(path, part)``, part
    ``"output"`` or ``"input"`` (the layer's first call): ``keras.Model(model.inputs, them)``
    reads them all in one pass. Layers inside nested models are read from the flattened graph
    (see the module text)."""
    wanted = {tuple(split_path(p)): part for p, part in taps}
    found = _run_flat(model, list(model.inputs), wanted)
    missing = [SEP.join(p) for p in wanted if p not in found]
    if missing:
        raise ModelError(f"Layer {missing[0]!r} is not on the path from the model's input to "
                         "its output, so one forward pass cannot read it.")
    tensors = []
    for p, part in taps:
        t = found[tuple(split_path(p))]
        if isinstance(t, (list, tuple)):
            if len(t) != 1:
                raise ModelError(f"Layer {p!r} has {len(t)} {part}s; only single-tensor layers "
                                 "can be shown.")
            t = t[0]
        tensors.append(t)
    return tensors


def _run_flat(graph_owner: Any, inputs: list, wanted: dict[tuple, str]) -> dict[tuple, Any]:
    """Run ``graph_owner``'s graph symbolically on ``inputs``, flattening nested models that
    hold a wanted layer; returns ``{path tuple: tensor}`` and leaves the outputs of the last
    run in ``found[()]``."""
    graph = inner_graph(graph_owner) or graph_owner
    found: dict[tuple, Any] = {}

    def call(op: Any, *args: Any, **kwargs: Any) -> Any:
        key = (op.name,)
        if wanted.get(key) == "input" and key not in found:
            first = args[0] if args else next(iter(kwargs.values()))
            found[key] = first[0] if isinstance(first, (list, tuple)) else first
        inner = {k[1:]: v for k, v in wanted.items() if len(k) > 1 and k[0] == op.name}
        if inner and inner_graph(op) is not None:
            first = args[0] if args else next(iter(kwargs.values()))
            sub_inputs = list(first) if isinstance(first, (list, tuple)) else [first]
            sub = _run_flat(op, sub_inputs, inner)
            outs = sub.pop(())
            for k, v in sub.items():
                found.setdefault(key + k, v)
        else:
            outs = op(*args, **kwargs)
        if wanted.get(key) == "output" and key not in found:
            found[key] = outs[0] if isinstance(outs, (list, tuple)) and len(outs) == 1 else outs
        return outs

    outs = graph._run_through_graph(inputs, call_fn=call)
    found[()] = outs
    return found
