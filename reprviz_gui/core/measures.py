"""One function per model-wide measure (issue "Depth, trust and difference"), called by the
window's products and by ``analyze`` alike, so both give the same numbers.

``depth_activations`` reads every layer of a model for a sample set (on the model lane: it runs
TensorFlow); ``layer_metrics_of``, ``cka_of``, ``map_quality_of``, ``model_difference_of``
and ``similarity_confusion_of`` are numpy / scikit-learn on what it returned.

"Every layer" is the input (the samples' own values; not for token sequences), then, in depth
order, each layer with units of its own (Dense, Conv, LSTM, ...; not Dropout or Flatten, which
only pass values on), a Dense layer's raw projection x·W just before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from .analysis.cka import CKAMatrix, cka_matrix
from .analysis.depth import LayerActivations, LayerMetrics, depth_metrics, prepare_layer
from .analysis.difference import (Agreement, SimilarityConfusion, agreement,
                                  neighbourhood_change, similarity_vs_confusion)
from .analysis.map_quality import MapQuality, map_quality
from .data.samples import SampleSet
from .data.types import Dataset
from .pipeline import INPUT_LAYER, sample_inputs
from .progress import ProgressFn, StopFn, check_stop, report

# read layers together in one forward pass while their float32 outputs stay under this
_ONE_PASS_BYTES = 256 * 2 ** 20


@dataclass(frozen=True)
class DepthActivations:
    """Every layer of one model for one sample set, prepared for measuring."""

    layers: tuple[LayerActivations, ...]  # in depth order
    labels: np.ndarray  # (N,) true classes of the sample set's rows

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(la.layer for la in self.layers)

    def get(self, name: str) -> LayerActivations:
        return self.layers[self.names.index(name)]

    @property
    def nbytes(self) -> int:
        return sum(la.nbytes for la in self.layers)


def depth_layer_names(model: Any, dataset: Dataset) -> list[str]:
    """The layers measured along depth, in order (see the module doc)."""
    names = [] if dataset.kind == "sequence" else [INPUT_LAYER]
    if model is None:
        return [INPUT_LAYER]
    from .model.extraction import RAW_SUFFIX
    from .model.layers import describe_layers

    for info in describe_layers(model):
        if not info.has_units:
            continue
        if info.type == "Dense":
            names.append(f"{info.name}{RAW_SUFFIX}")
        names.append(info.name)
    return names


def depth_activations(model: Any, dataset: Dataset, samples: SampleSet,
                      names: Optional[list[str]] = None, seed: int = 0,
                      on_progress: ProgressFn | None = None,
                      should_stop: StopFn | None = None) -> DepthActivations:
    """Every layer's activations for ``samples``, each reduced as it arrives (a conv layer's
    full output is never held beside the others)."""
    names = list(names) if names is not None else depth_layer_names(model, dataset)
    x = sample_inputs(dataset, samples)
    out: list[LayerActivations] = []
    if INPUT_LAYER in names:
        out.append(prepare_layer(x.reshape(len(x), -1), INPUT_LAYER, seed))
    model_names = [n for n in names if n != INPUT_LAYER]
    if model is not None and model_names:
        from .model.extraction import extract_layers, extraction_bytes

        # group layers into passes that fit _ONE_PASS_BYTES (one pass each for wide ones)
        groups: list[list[str]] = [[]]
        size = 0
        for name in model_names:
            b = extraction_bytes(model, [name], len(x))
            if groups[-1] and size + b > _ONE_PASS_BYTES:
                groups.append([])
                size = 0
            groups[-1].append(name)
            size += b
        for g, group in enumerate(groups):
            check_stop(should_stop)
            report(on_progress, "extract", g / len(groups), f"Reading {len(names)} layers…")
            read = extract_layers(model, x, group, should_stop=should_stop)
            for name in group:
                out.append(prepare_layer(read.pop(name), name, seed))
    order = {n: i for i, n in enumerate(names)}
    out.sort(key=lambda la: order[la.layer])
    report(on_progress, "extract", 1.0, "Layers read")
    return DepthActivations(tuple(out), np.asarray(samples.labels, dtype=np.int64).copy())


def layer_metrics_of(acts: DepthActivations, seed: int = 0,
                     on_progress: ProgressFn | None = None,
                     should_stop: StopFn | None = None) -> list[LayerMetrics]:
    return depth_metrics(acts.names, acts.get, acts.labels, seed, on_progress, should_stop)


def cka_of(acts: DepthActivations, other: Optional[DepthActivations] = None,
           debiased: bool = False, on_progress: ProgressFn | None = None,
           should_stop: StopFn | None = None) -> CKAMatrix:
    """CKA between every pair of layers, or between this model's layers and ``other``'s."""
    rows = {la.layer: la.x for la in acts.layers}
    cols = {la.layer: la.x for la in other.layers} if other is not None else None
    return cka_matrix(rows, cols, debiased=debiased, on_progress=on_progress,
                      should_stop=should_stop)


def layer_maps(acts: DepthActivations, seed: int = 0,
               should_stop: StopFn | None = None) -> dict[str, np.ndarray]:
    """A PCA map (N, 2) of every measured layer (as measured: wider layers randomly projected
    to 1,024 units first): the CKA view draws a cell's two layers side by side with them."""
    from .analysis.projection import project

    out: dict[str, np.ndarray] = {}
    for la in acts.layers:
        check_stop(should_stop)
        out[la.layer] = np.asarray(project(la.x, "pca", seed=seed).coords, dtype=np.float32)
    return out


def map_quality_of(activations: np.ndarray, coords: np.ndarray, params: dict,
                   on_progress: ProgressFn | None = None,
                   should_stop: StopFn | None = None) -> MapQuality:
    return map_quality(activations, coords, params=params, seed=int(params.get("seed") or 0),
                       on_progress=on_progress, should_stop=should_stop)


def similarity_confusion_of(activations: np.ndarray, samples: SampleSet,
                            predictions: np.ndarray) -> SimilarityConfusion:
    return similarity_vs_confusion(activations, samples.labels, predictions,
                                   len(samples.class_names), tuple(samples.class_names))


MOVED_MOST = 20  # samples listed as "moved most" (report.json and the window's button)


@dataclass(frozen=True)
class NeighbourhoodChange:
    """Per sample the Jaccard overlap of its k nearest neighbours (cosine) in model A's chosen
    layer and in model B's: 1 = the same neighbours, 0 = none shared."""

    jaccard: np.ndarray  # (N,) per row of the sample set
    layer_a: str
    layer_b: str
    k: int = 10

    def moved_most(self, n: int = MOVED_MOST) -> np.ndarray:
        """Rows of the ``n`` samples whose neighbourhoods changed most, most changed first
        (ties in row order)."""
        return np.argsort(self.jaccard, kind="stable")[:n]

    @property
    def mean(self) -> Optional[float]:
        return round(float(self.jaccard.mean()), 6) if len(self.jaccard) else None

    def summary(self, samples: SampleSet, most_moved: int = MOVED_MOST) -> dict:
        idx = samples.indices
        return {"layer_a": self.layer_a, "layer_b": self.layer_b, "k": self.k,
                "mean_jaccard": self.mean,
                "moved_most": [{"index": int(idx[r]), "jaccard": round(float(self.jaccard[r]), 6)}
                               for r in self.moved_most(most_moved)]}


def neighbourhood_change_of(acts_a: np.ndarray, acts_b: np.ndarray, layer_a: str, layer_b: str,
                            should_stop: StopFn | None = None) -> NeighbourhoodChange:
    check_stop(should_stop)
    return NeighbourhoodChange(neighbourhood_change(acts_a, acts_b), layer_a, layer_b)


@dataclass(frozen=True)
class ModelDifference:
    agreement: Agreement  # cell -> rows of the sample set
    change: NeighbourhoodChange

    def summary(self, samples: SampleSet, most_moved: int = MOVED_MOST) -> dict:
        idx = samples.indices
        return {"split": samples.split,
                "agreement": {name: {"count": int(len(rows)),
                                     "indices": idx[rows].astype(int).tolist()}
                              for name, rows in self.agreement.cells.items()},
                "neighbourhood_change": self.change.summary(samples, most_moved)}


def model_difference_of(samples: SampleSet, pred_a: np.ndarray, pred_b: np.ndarray,
                        acts_a: np.ndarray, acts_b: np.ndarray, layer_a: str, layer_b: str,
                        should_stop: StopFn | None = None) -> ModelDifference:
    """The agreement table of two models' predictions on the sample set and each sample's
    neighbourhood change between their chosen layers."""
    ag = agreement(samples.labels, pred_a, pred_b)
    return ModelDifference(ag, neighbourhood_change_of(acts_a, acts_b, layer_a, layer_b,
                                                       should_stop))
