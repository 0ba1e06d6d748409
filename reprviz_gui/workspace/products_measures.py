"""Products of the measures (issue "Depth, trust and difference"): every layer of a model read
once for the sample set ("depth_acts", model lane), and from it the layer metrics and the CKA
matrix; the map's quality from the layer and its map. The numbers are ``core.measures``',
the functions ``analyze`` writes report.json with. Registered on import (the views import it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..core import measures
from ..core.analysis.cka import CKAMatrix
from ..core.analysis.depth import LayerMetrics
from ..core.analysis.difference import SimilarityConfusion
from ..core.analysis.map_quality import MapQuality
from ..core.data.samples import SampleSet
from ..core.progress import ProgressFn, StopFn
from . import handles
from .products import ProductRequest, Product, _layer_why_not, _map_params
from .results import LayerResult, ProjectionResult
from .state import ResultTag, Session, Workspace


@dataclass(frozen=True)
class DepthResult:
    tag: ResultTag
    acts: measures.DepthActivations


@dataclass(frozen=True)
class LayerMetricsResult:
    tag: ResultTag
    rows: tuple[LayerMetrics, ...]
    n_samples: int


@dataclass(frozen=True)
class CKAResult:
    tag: ResultTag
    cka: CKAMatrix
    maps: dict = field(default_factory=dict)  # layer -> (N, 2) PCA map (a clicked cell's)
    labels: Optional[np.ndarray] = None  # (N,) true classes of the maps' rows


@dataclass(frozen=True)
class MapQualityResult:
    tag: ResultTag
    quality: MapQuality
    layer_name: str
    method: str
    samples: SampleSet  # the map's rows (``quality.kept`` per row)


def _depth_params(ws: Workspace, s: Optional[Session]) -> Optional[dict]:
    if ws.dataset is None or ws.samples is None or s is None or s.building:
        return None
    if ws.dataset.words is not None:
        return None  # one word per class: nothing to classify along depth
    return {"model": bool(s.has_model), "seed": int(ws.seed)}


def _why_not(ws: Workspace, s: Optional[Session]) -> str:
    if ws.dataset is not None and ws.dataset.words is not None:
        return "A word table has one sample per word: no layers to measure"
    return _layer_why_not(ws, s)


def _compute_depth(req: ProductRequest, on_progress: ProgressFn, should_stop: StopFn
                   ) -> DepthResult:
    assert req.samples is not None
    model = handles.resolve(req.model) if req.param("model") else None
    acts = measures.depth_activations(model, req.dataset, req.samples,
                                      seed=req.param("seed", 0), on_progress=on_progress,
                                      should_stop=should_stop)
    return DepthResult(req.key.tag, acts)


def _compute_metrics(req: ProductRequest, on_progress: ProgressFn, should_stop: StopFn
                     ) -> LayerMetricsResult:
    depth: DepthResult = req.inputs["depth_acts"]
    rows = measures.layer_metrics_of(depth.acts, req.param("seed", 0), on_progress, should_stop)
    return LayerMetricsResult(req.key.tag, tuple(rows), len(depth.acts.labels))


def _compute_cka(req: ProductRequest, on_progress: ProgressFn, should_stop: StopFn
                 ) -> CKAResult:
    depth: DepthResult = req.inputs["depth_acts"]
    m = measures.cka_of(depth.acts, None, bool(req.param("debiased")), on_progress, should_stop)
    return CKAResult(req.key.tag, m, measures.layer_maps(depth.acts, req.param("seed", 0),
                                                         should_stop), depth.acts.labels)


def _quality_params(ws: Workspace, s: Optional[Session]) -> Optional[dict]:
    return _map_params(ws, s)


def _compute_quality(req: ProductRequest, on_progress: ProgressFn, should_stop: StopFn
                     ) -> MapQualityResult:
    layer: LayerResult = req.inputs["layer"]
    proj: ProjectionResult = req.inputs["map"]
    stamped = {"method": proj.method, "seed": req.param("seed", 0)}
    if proj.pca_components:
        stamped["pca_components"] = proj.pca_components
    q = measures.map_quality_of(layer.activations, proj.coords, stamped, on_progress,
                                should_stop)
    return MapQualityResult(req.key.tag, q, layer.layer_name, proj.method, layer.samples)


DEPTH_ACTS_PRODUCT = Product("depth_acts", _depth_params, _compute_depth, lane="model",
                             busy="Reading every layer…", why_not=_why_not)
LAYER_METRICS_PRODUCT = Product("layer_metrics", _depth_params, _compute_metrics, lane="measure",
                                inputs=("depth_acts",), busy="Measuring every layer…",
                                why_not=_why_not)
CKA_PRODUCT = Product("cka", lambda ws, s: (None if (p := _depth_params(ws, s)) is None
                                            else {**p, "debiased": False}),
                      _compute_cka, lane="measure", inputs=("depth_acts",),
                      busy="Comparing layers (CKA)…", why_not=_why_not)
MAP_QUALITY_PRODUCT = Product("map_quality", _quality_params, _compute_quality, lane="measure",
                              inputs=("layer", "map"), busy="Measuring the map…",
                              why_not=_layer_why_not)

@dataclass(frozen=True)
class SimilarityConfusionResult:
    tag: ResultTag
    layer_name: str
    result: SimilarityConfusion


def _simconf_params(ws: Workspace, s: Optional[Session]) -> Optional[dict]:
    from .products import _layer_params

    p = _layer_params(ws, s)
    return p if p is not None and p.get("predict") else None


def _simconf_why_not(ws: Workspace, s: Optional[Session]) -> str:
    if s is None or not s.has_model:
        return "No model: choose a preset or load a model"
    return "Train the model to see whether its confusions follow its classes' overlap"


def _compute_simconf(req: ProductRequest, on_progress: ProgressFn, should_stop: StopFn
                     ) -> SimilarityConfusionResult:
    layer: LayerResult = req.inputs["layer"]
    assert layer.predictions is not None
    return SimilarityConfusionResult(req.key.tag, layer.layer_name, measures.similarity_confusion_of(
        layer.activations, layer.samples, layer.predictions))


SIMILARITY_CONFUSION_PRODUCT = Product(
    "similarity_confusion", _simconf_params, _compute_simconf, lane="measure", inputs=("layer",),
    busy="Similarity vs confusion…", why_not=_simconf_why_not)



# --- both compared models (per_session=False; inputs "kind@A", "kind@B") ----------------------
@dataclass(frozen=True)
class NeighbourhoodChangeResult:
    """Each sample's Jaccard overlap of its 10 nearest neighbours in A's and B's chosen layers
    (``model_difference.neighbourhood_change`` of ``analyze --compare``)."""

    tag: ResultTag
    change: measures.NeighbourhoodChange
    samples: SampleSet  # the rows ``change.jaccard`` is per


@dataclass(frozen=True)
class CKABetweenResult:
    tag: ResultTag
    cka: CKAMatrix  # rows A's layers, cols B's


def _both(ws: Workspace) -> Optional[tuple[Session, Session]]:
    a, b = ws.session("A"), ws.session("B")
    if a is None or b is None or a.building or b.building or not (a.has_model and b.has_model):
        return None
    return a, b


def _change_params(ws: Workspace, _s: Optional[Session]) -> Optional[dict]:
    from .products import _layer_params

    both = _both(ws)
    if both is None or _depth_params(ws, both[0]) is None:
        return None
    la, lb = _layer_params(ws, both[0]), _layer_params(ws, both[1])
    if la is None or lb is None:
        return None
    # the versions name the weights: retraining either model makes a new key
    return {"layer_a": la["layer"], "layer_b": lb["layer"], "version_a": both[0].version,
            "version_b": both[1].version}


def _cka_between_params(ws: Workspace, _s: Optional[Session]) -> Optional[dict]:
    both = _both(ws)
    if both is None or _depth_params(ws, both[0]) is None:
        return None
    return {"version_a": both[0].version, "version_b": both[1].version, "debiased": False}


def _both_why_not(ws: Workspace, _s: Optional[Session]) -> str:
    return "Compare two models (Run → Compare with) to see where they part"


def _compute_change(req: ProductRequest, on_progress: ProgressFn, should_stop: StopFn
                    ) -> NeighbourhoodChangeResult:
    a: LayerResult = req.inputs["layer@A"]
    b: LayerResult = req.inputs["layer@B"]
    change = measures.neighbourhood_change_of(a.activations, b.activations, a.layer_name,
                                              b.layer_name, should_stop)
    return NeighbourhoodChangeResult(req.key.tag, change, a.samples)


def _compute_cka_between(req: ProductRequest, on_progress: ProgressFn, should_stop: StopFn
                         ) -> CKABetweenResult:
    a: DepthResult = req.inputs["depth_acts@A"]
    b: DepthResult = req.inputs["depth_acts@B"]
    return CKABetweenResult(req.key.tag, measures.cka_of(a.acts, b.acts,
                                                         bool(req.param("debiased")),
                                                         on_progress, should_stop))


NEIGHBOURHOOD_CHANGE_PRODUCT = Product(
    "neighbourhood_change", _change_params, _compute_change, lane="measure", per_session=False,
    inputs=("layer@A", "layer@B"), busy="Neighbourhood change between A and B…",
    why_not=_both_why_not)
CKA_BETWEEN_PRODUCT = Product(
    "cka_between", _cka_between_params, _compute_cka_between, lane="measure", per_session=False,
    inputs=("depth_acts@A", "depth_acts@B"), busy="CKA between A's and B's layers…",
    why_not=_both_why_not)

# the CKA view's "Debiased" box asks for these on demand (the plain ones stay the default)
CKA_DEBIASED_PRODUCT = Product(
    "cka_debiased", lambda ws, s: (None if (p := _depth_params(ws, s)) is None
                                   else {**p, "debiased": True}),
    _compute_cka, lane="measure", inputs=("depth_acts",), busy="Comparing layers (CKA)…",
    why_not=_why_not)
CKA_BETWEEN_DEBIASED_PRODUCT = Product(
    "cka_between_debiased",
    lambda ws, s: None if (p := _cka_between_params(ws, s)) is None else {**p, "debiased": True},
    _compute_cka_between, lane="measure", per_session=False,
    inputs=("depth_acts@A", "depth_acts@B"), busy="CKA between A's and B's layers…",
    why_not=_both_why_not)

# registered by catalog.load(), with every other module's
PRODUCTS = (DEPTH_ACTS_PRODUCT, LAYER_METRICS_PRODUCT, CKA_PRODUCT, MAP_QUALITY_PRODUCT,
            SIMILARITY_CONFUSION_PRODUCT, NEIGHBOURHOOD_CHANGE_PRODUCT, CKA_BETWEEN_PRODUCT,
            CKA_DEBIASED_PRODUCT, CKA_BETWEEN_DEBIASED_PRODUCT)
