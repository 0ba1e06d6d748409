"""The measured parts of ``report.json`` (issue "Depth, trust and difference"): ``layer_metrics``,
``cka``, ``map_quality``, ``similarity_vs_confusion`` and, with ``--compare``,
``model_difference``. Each is one small function over ``core.measures``, the functions the
window's products call, so ``analyze`` and the window give the same numbers.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .. import measures
from ..analysis.depth import KNN_K, MAX_UNITS, TRAIN_FRACTION
from ..analysis.map_quality import MAX_POINTS
from ..data.samples import SampleSet
from ..data.types import Dataset
from ..progress import ProgressFn, StopFn

MEASURE_KEYS = ("layer_metrics", "cka", "map_quality", "similarity_vs_confusion",
                "model_difference")


def layer_metrics_section(acts: measures.DepthActivations, seed: int,
                          on_progress: ProgressFn | None = None,
                          should_stop: StopFn | None = None) -> dict:
    rows = measures.layer_metrics_of(acts, seed, on_progress, should_stop)
    n = len(acts.labels)
    return {"layers": [r.to_dict() for r in rows],
            "method": {"held_out": f"stratified {1 - TRAIN_FRACTION:.0%} of the {n:,} samples "
                                   f"(seeded {seed}); kNN and probe fitted on the other "
                                   f"{TRAIN_FRACTION:.0%}",
                       "knn": f"k = {KNN_K}, cosine, majority vote",
                       "probe": "multinomial logistic regression (lbfgs) on standardised inputs",
                       "dead_units": "never non-zero on the samples",
                       "intrinsic_dimension": "TwoNN (Facco et al. 2017), scikit-dimension",
                       "wide_layers": f"layers wider than {MAX_UNITS:,} units randomly "
                                      f"projected to {MAX_UNITS:,} (reduced_to) for kNN, probe, "
                                      f"ID and CKA"}}


def cka_section(acts: measures.DepthActivations,
                other: Optional[measures.DepthActivations] = None,
                on_progress: ProgressFn | None = None,
                should_stop: StopFn | None = None) -> dict:
    """CKA between this model's layers, and with ``other`` (the compared model) when given."""
    out: dict[str, Any] = {"layers": list(acts.names),
                           **_cka_dict(measures.cka_of(acts, None, False, on_progress,
                                                       should_stop)),
                           "debiased": _cka_dict(measures.cka_of(acts, None, True))["matrix"]}
    if other is not None:
        between = measures.cka_of(acts, other, False, on_progress, should_stop)
        out["between_models"] = {"rows": list(between.rows), "cols": list(between.cols),
                                 "matrix": _cka_dict(between)["matrix"]}
    return out


def _cka_dict(m) -> dict:
    d = m.to_dict()
    return {"matrix": d["matrix"], "forms": d["forms"], "n_samples": d["n_samples"],
            "kind": "linear CKA (Kornblith et al. 2019); 'debiased': Nguyen et al. 2021"}


def map_quality_section(activations: np.ndarray, coords: np.ndarray, method: str,
                        params: dict, seed: int, should_stop: StopFn | None = None) -> dict:
    stamped = {"method": method, "seed": seed, **{k: v for k, v in params.items()
                                                  if v is not None}}
    q = measures.map_quality_of(activations, coords, stamped, should_stop=should_stop)
    out = q.summary()
    out["note"] = (f"trustworthiness and continuity on at most {MAX_POINTS:,} points; "
                   "neighbours kept on every point")
    return out


def similarity_confusion_section(activations: np.ndarray, samples: SampleSet,
                                 predictions: np.ndarray, layer: str) -> dict:
    r = measures.similarity_confusion_of(activations, samples, predictions)
    return {"layer": layer, **r.summary(),
            "method": "Spearman's rho between the cosine similarity of class centroids (true i, "
                      "predicted j, i != j) and the fraction of class i predicted as j, on the "
                      "selected samples"}


def compare_model(spec: str, dataset: Dataset, opts: Any, on_progress: ProgressFn | None = None,
                  should_stop: StopFn | None = None) -> tuple[Any, str]:
    """Build (or load) and train the ``--compare`` model like the main one; ``(model, its
    description)``."""
    from pathlib import Path

    from .. import model as models
    from ..errors import ModelError
    from ..model.training import TrainConfig, train
    from .analyze_steps import DEFAULT_EPOCHS, _looks_like_path

    if _looks_like_path(spec):
        model = models.load_model_file(spec, trust=opts.trust_model)
        models.check_compatible(model, dataset, Path(spec).name)
        return model, str(Path(spec).resolve())
    if spec not in models.PRESETS:
        raise ModelError(f"Unknown model {spec!r} for --compare: not a preset "
                         f"({', '.join(models.PRESETS)}) and no such file")
    model = models.build_model(models.default_config(spec), dataset, seed=opts.seed)
    epochs = DEFAULT_EPOCHS if opts.epochs is None else int(opts.epochs)
    if epochs > 0 and len(dataset.x_train):
        train(model, dataset, TrainConfig(epochs=epochs, batch_size=int(opts.batch_size),
                                          validation_split=float(opts.validation_split),
                                          seed=int(opts.seed)), on_progress, should_stop)
    return model, spec


def model_difference_section(samples: SampleSet, pred_a: np.ndarray, pred_b: np.ndarray,
                             acts_a: np.ndarray, acts_b: np.ndarray, layer_a: str, layer_b: str,
                             model_b: str) -> dict:
    d = measures.model_difference_of(samples, pred_a, pred_b, acts_a, acts_b, layer_a, layer_b)
    return {"model_b": model_b, **d.summary(samples)}


def measures_sections(model: Any, dataset: Dataset, samples: SampleSet, layer: str,
                      activations: np.ndarray, predictions: Optional[np.ndarray],
                      coords: np.ndarray, method: str, map_params: dict, opts: Any,
                      on_progress: ProgressFn | None = None,
                      should_stop: StopFn | None = None) -> dict:
    """Every measured key of ``report.json`` (``None`` where it does not apply)."""
    seed = int(opts.seed)
    out: dict[str, Any] = dict.fromkeys(MEASURE_KEYS)
    out["map_quality"] = map_quality_section(activations, coords, method, map_params, seed,
                                             should_stop)
    if dataset.words is not None:  # a word table: one sample per class, nothing to classify
        return out
    acts = measures.depth_activations(model, dataset, samples, seed=seed,
                                      on_progress=on_progress, should_stop=should_stop)
    out["layer_metrics"] = layer_metrics_section(acts, seed, on_progress, should_stop)
    other = None
    spec_b = getattr(opts, "compare", None)
    if model is not None and spec_b:
        from ..model.layers import default_layer, describe_layers
        from ..pipeline import analyse_layer

        model_b, name_b = compare_model(str(spec_b), dataset, opts, on_progress, should_stop)
        other = measures.depth_activations(model_b, dataset, samples, seed=seed,
                                           should_stop=should_stop)
        layer_b = default_layer(describe_layers(model_b))
        b = analyse_layer(model_b, dataset, samples, layer_b, should_stop=should_stop)
        out["model_difference"] = model_difference_section(
            samples, predictions, b.predictions, activations, b.activations, layer, layer_b,
            name_b)
        out["layer_metrics"]["model_b"] = {
            "model": name_b, "layers": [r.to_dict() for r in measures.layer_metrics_of(
                other, seed, should_stop=should_stop)]}
    out["cka"] = cka_section(acts, other, on_progress, should_stop)
    if predictions is not None and model is not None:
        out["similarity_vs_confusion"] = similarity_confusion_section(
            activations, samples, predictions, layer)
    return out
