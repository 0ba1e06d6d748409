"""One function per result, called by the window's workers and by ``analyze`` alike.

The window and the CLI must show the same numbers for the same model, samples, layer and
method, so neither composes core calls of its own: a layer's activations, cosine matrices and
predictions come from ``analyse_layer``; its 2-D map from ``layer_map``. Plain callbacks
(``on_progress`` / ``should_stop``), no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from .analysis.projection import Projection, project
from .analysis.similarity import (centroid_similarity, cosine_matrix, cosine_rows,
                                  cosine_similarity)
from .data.samples import SampleSet
from .data.types import Dataset
from .errors import ResourceLimitError
from .progress import ProgressFn, StopFn, check_stop, report
from .threads import numeric_threads

# The pseudo-layer of data used without a model: the samples' own values (pixels, word vectors).
INPUT_LAYER = "input"
CAPPED = "more rows than a screen shows (the heatmap and the map have every sample)"


@dataclass(frozen=True)
class LayerAnalysis:
    """One layer's representation of a sample set, as every layer view shows it."""

    layer: str
    activations: np.ndarray  # (N, units) float32, rows in sample-set order
    cosine: Optional[np.ndarray]  # (N, N) float32; None when it would not fit (see note)
    centroid_cosine: np.ndarray  # (C, C) float32 between class means
    predictions: Optional[np.ndarray] = None  # (N,) int64 predicted class; None without a model
    probabilities: Optional[np.ndarray] = None  # (N, C) float32
    note: str = ""
    # with ``sample_cosine``: the rows ``cosine`` covers when it is sampled; None: every row
    cosine_rows: Optional[np.ndarray] = None
    # how the layer's feature maps became rows (reduction.describe); "" without maps
    reduction: str = ""


def sample_inputs(dataset: Dataset, samples: SampleSet) -> np.ndarray:
    """Model-ready inputs of the sample set's rows."""
    x, _ = dataset.split(samples.split)
    return dataset.inputs(x[samples.indices])


def layer_reduction(model: Any, layer: str, reduction: Optional[str] = None) -> str:
    """What the views say about how ``layer`` is reduced (``reduction.describe``): the one
    asked for, else its default; "" for a layer without feature maps (or no model)."""
    if model is None or layer == INPUT_LAYER:
        return ""
    from .model.extraction import is_raw, layer_output_shape, reductions_for
    from .model.reduction import describe

    if is_raw(layer):
        return ""
    how = reductions_for(model, [layer], {layer: reduction} if reduction else None)[layer]
    return describe(how, layer_output_shape(model, layer))


def streamed_layers(model: Any, dataset: Dataset, samples: SampleSet, names: list[str],
                    on_progress: ProgressFn | None = None, should_stop: StopFn | None = None,
                    reductions: Optional[dict[str, str]] = None):
    """``names`` for the sample set through ``core/model/activation_cache.stream_layers``:
    inputs made batch by batch, rows to memory-mapped files in the user's cache (reused for
    the same weights, samples and preprocessing); returns its ``StreamResult``."""
    from .model.activation_cache import data_fingerprint, stream_layers

    x, _ = dataset.split(samples.split)
    key = data_fingerprint(x, extra=f"{dataset.name}|{dataset.kind}|{dataset.per_sample_minmax}"
                                    f"|{getattr(dataset, 'preprocess', '')}|{samples.key}")
    idx = samples.indices
    return stream_layers(model, lambda a, b: dataset.inputs(x[idx[a:b]]), len(idx), names,
                         data_key=key, reductions=reductions, on_progress=on_progress,
                         should_stop=should_stop)


def layer_activations(model: Any, dataset: Dataset, samples: SampleSet, layer: str,
                      with_output: bool = False, on_progress: ProgressFn | None = None,
                      should_stop: StopFn | None = None, reduction: Optional[str] = None,
                      stream: bool = False) -> tuple[np.ndarray, Optional[np.ndarray]]:
    """``(activations (N, units) float32, output-layer values or None)`` in one forward pass,
    feature maps reduced per batch (``reduction``, else the layer's default).

    Without a model (or for ``INPUT_LAYER``) the samples' own values, flattened. ``stream``:
    through the memory-mapped cache (``streamed_layers``): the activations are a read-only
    memory map and memory stays bounded whatever N is."""
    if model is not None and layer != INPUT_LAYER and stream:
        output = model.layers[-1].name
        got = streamed_layers(model, dataset, samples, [layer, output] if with_output
                              else [layer], on_progress, should_stop,
                              reductions={layer: reduction} if reduction else None)
        return got.arrays[layer], (np.asarray(got.arrays[output]) if with_output else None)
    x = sample_inputs(dataset, samples)
    if model is None or layer == INPUT_LAYER:
        # sample_inputs made a new array (x[indices]): no second copy of it
        return np.ascontiguousarray(x.reshape(len(x), -1), dtype=np.float32), None
    from .model.extraction import extract_layers

    output = model.layers[-1].name
    names = [layer, output] if with_output else [layer]
    out = extract_layers(model, x, names, on_progress=on_progress, should_stop=should_stop,
                         reductions={layer: reduction} if reduction else None)
    acts = np.array(out[layer], dtype=np.float32, copy=True)
    return acts, (out[output] if with_output else None)


def analyse_layer(model: Any, dataset: Dataset, samples: SampleSet, layer: str,
                  on_progress: ProgressFn | None = None,
                  should_stop: StopFn | None = None, sample_cosine: bool = False,
                  cosine_max_n: Optional[int] = None,
                  reduction: Optional[str] = None, stream: bool = False,
                  keep_cosine: bool = True) -> LayerAnalysis:
    """A layer's activations for the sample set, its cosine matrices and the model's
    predictions for the same rows (read in the same forward pass, so they always belong to
    the same weights). A cosine matrix too big for memory is left out with a note, or, with
    ``sample_cosine`` (the window), made of an evenly spread subset of the rows that fits
    (at most ``cosine_max_n``), its rows in ``cosine_rows`` and a note saying so. ``stream``:
    see ``layer_activations``. ``keep_cosine`` False (``analyze`` writing no figure): no
    matrix is made (``cosine`` None); ``cosine_rows`` and the note say which rows it would
    have covered, for ``similarity.within_between_of_rows``."""
    acts, raw_out = layer_activations(model, dataset, samples, layer, with_output=True,
                                      on_progress=on_progress, should_stop=should_stop,
                                      reduction=reduction, stream=stream)
    check_stop(should_stop)
    probs = preds = None
    if raw_out is not None:
        from .model.training import class_probabilities, predicted_classes

        probs = class_probabilities(raw_out, model)
        preds = predicted_classes(probs)
    report(on_progress, "similarity", 0.0, "Cosine similarity…")
    note = ""
    rows: Optional[np.ndarray] = None
    cosine: Optional[np.ndarray] = None
    try:
        with numeric_threads():  # the cores left free (core/threads.py)
            if not keep_cosine:
                if sample_cosine:
                    rows, note = cosine_rows(len(acts), cosine_max_n, why_capped=CAPPED)
                    rows = rows if len(rows) < len(acts) else None
            elif sample_cosine:
                sampled = cosine_matrix(acts, max_n=cosine_max_n, why_capped=CAPPED)
                cosine = sampled.matrix
                rows, note = (sampled.rows if sampled.sampled else None), sampled.note
            else:
                cosine = cosine_similarity(acts)
    except ResourceLimitError as exc:
        cosine, note = None, str(exc)
    centroid = centroid_similarity(acts, samples.labels, len(samples.class_names))
    check_stop(should_stop)
    report(on_progress, "similarity", 1.0, "Cosine similarity done")
    return LayerAnalysis(layer, acts, cosine, centroid, preds, probs, note, rows,
                         layer_reduction(model, layer, reduction))


def layer_map(activations: np.ndarray, method: str, seed: int = 0, in_child: bool = False,
              on_progress: ProgressFn | None = None, should_stop: StopFn | None = None,
              **params: Any) -> Projection:
    """The 2-D map of a layer's activations. ``in_child``: MDS, t-SNE and UMAP run in the
    long-lived projection process (the window: numba must not compile next to TensorFlow)."""
    if in_child and method != "pca":
        from .analysis.projection_process import project_in_process

        return project_in_process(activations, method, seed=seed, on_progress=on_progress,
                                  should_stop=should_stop, **params)
    return project(activations, method, seed=seed, on_progress=on_progress,
                   should_stop=should_stop, **params)
