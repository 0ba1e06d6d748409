"""The layer inspector's products: "layer_table" reads the model once per model version on the
model lane (``core.model.inspect``); "inspector" adds the chosen layer on the quick lane, so
switching layers never waits behind training. Registered by ``catalog``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional

from ..core.model.inspect import LayerRow
from ..core.progress import ProgressFn, StopFn
from . import handles
from .products import Product, ProductRequest
from .state import ResultTag, Session, Workspace


# --- results ---------------------------------------------------------------------
@dataclass(frozen=True)
class LayerTableResult:
    """One model's layers as the inspector shows them."""

    tag: ResultTag
    rows: tuple[LayerRow, ...]
    configs: tuple[str, ...]  # per row: get_config() as pretty JSON, or why it cannot be read


@dataclass(frozen=True)
class InspectorResult:
    tag: ResultTag
    table: LayerTableResult
    layer: str  # the layer the views show ("hidden_2:raw" for a raw projection)


def _table_params(ws: Workspace, s: Optional[Session]) -> Optional[dict]:
    if ws.dataset is None or s is None or not s.has_model or s.building:
        return None
    return {}


def _inspector_params(ws: Workspace, s: Optional[Session]) -> Optional[dict]:
    if _table_params(ws, s) is None:
        return None
    return {"layer": s.layer or ""}


def _why_not(ws: Workspace, s: Optional[Session]) -> str:
    if s is not None and s.building:
        return "Preparing the model…"
    if ws.dataset is None:
        return "Open a dataset"
    return "No model: choose a preset or load a model to see its layers"


def compute_layer_table(req: ProductRequest, on_progress: ProgressFn,
                        should_stop: StopFn) -> LayerTableResult:
    from ..core.errors import ReprvizError
    from ..core.model.inspect import layer_config, layer_table

    model = handles.resolve(req.model)
    rows = tuple(layer_table(model))
    configs = []
    for row in rows:
        try:
            configs.append(json.dumps(layer_config(model, row.name), indent=2,
                                      allow_nan=False))
        except ReprvizError as err:
            configs.append(str(err))
    return LayerTableResult(req.key.tag, rows, tuple(configs))


def _compute_inspector(req: ProductRequest, on_progress: ProgressFn,
                       should_stop: StopFn) -> InspectorResult:
    return InspectorResult(req.key.tag, req.inputs["layer_table"], req.param("layer", ""))


PRODUCTS = (
    Product("layer_table", _table_params, compute_layer_table, lane="model",
            with_samples=False, busy="Reading the layers…", why_not=_why_not),
    Product("inspector", _inspector_params, _compute_inspector, lane="quick",
            with_samples=False, inputs=("layer_table",), busy="Reading the layers…",
            why_not=_why_not),
)


__all__ = ["LayerTableResult", "InspectorResult", "compute_layer_table", "PRODUCTS"]
