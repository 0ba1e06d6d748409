"""Products: the results views draw, declared once — what they follow, which lane computes them,
and how. The controller asks for the products that visible views need, serves them from the
result store when it can, and computes the rest in the background.

A new kind of result is one ``Product`` in a products module's ``PRODUCTS``, its kind declared in
``catalog.ProductKind`` (``catalog.load`` registers them all; views never register products):
Orange3's widgets and napari's contributions work the same way. ``compute`` runs on a lane
thread with a ``ProductRequest`` (never on the GUI thread) and returns a frozen result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np

from ..core.data.samples import SampleSet
from ..core.data.types import Dataset
from ..core.pipeline import INPUT_LAYER
from ..core.progress import ProgressFn, StopFn
from . import handles
from .results import EvaluationResult, LayerResult, ProjectionResult, ResultKey
from .state import ModelHandle, Session, Workspace

# Lanes: "data" reads files, "model" runs everything TensorFlow, "projection" drives the map
# child process, "quick" runs short numpy work (PCA previews, sample sets) so it never waits
# behind a long UMAP or a training run; "measure" runs the seconds-long scikit-learn measures
# (layer metrics, CKA, map quality) so they hold up neither PCA previews nor TensorFlow.
LANES = ("data", "model", "projection", "quick", "measure")


@dataclass(frozen=True)
class ProductRequest:
    """Everything a product's compute function may use (read-only)."""

    key: ResultKey
    dataset: Dataset
    samples: Optional[SampleSet]
    model: Optional[ModelHandle]  # resolve with ``handles.resolve`` (model lane only)
    inputs: dict[str, Any] = field(default_factory=dict)  # results of ``Product.inputs``

    def param(self, name: str, default: Any = None) -> Any:
        return self.key.param(name, default)


ParamsFn = Callable[[Workspace, Optional[Session]], Optional[dict]]
ComputeFn = Callable[[ProductRequest, ProgressFn, StopFn], Any]


@dataclass(frozen=True)
class Product:
    kind: str
    params: ParamsFn  # None when the product does not apply now (then ``why_not`` says why)
    compute: Optional[ComputeFn] = None  # None: the controller pushes it (training curves)
    lane: str | Callable[[dict], str] = "model"
    per_session: bool = True  # made from one session's model (False: from the data alone)
    with_samples: bool = True  # depends on the sample set
    # products of the same session it is computed from; "layer@B": session B's (a product of
    # both compared models, per_session=False, whose params name both models' versions)
    inputs: tuple[str, ...] = ()
    busy: str = "Computing…"
    why_not: Callable[[Workspace, Optional[Session]], str] = lambda ws, s: ""
    # a cheap stand-in shown while this one computes (the PCA map before UMAP)
    preview: Optional[Callable[[dict], Optional[dict]]] = None
    # False: a newer request lets a running job finish (killing the UMAP child costs its JIT)
    interrupt_running: bool = True
    # True: params read the selection (a word's neighbours), so selecting recomputes it
    follows_selection: bool = False
    # what the activity bar says while it computes (None: "computing <kind>")
    describe: Optional[Callable[[ResultKey], str]] = None

    def lane_for(self, params: dict) -> str:
        return self.lane(params) if callable(self.lane) else self.lane


REGISTRY: dict[str, Product] = {}


def describe(key: ResultKey, who: str = "") -> str:
    """The activity bar's text for computing ``key`` (``who``: the model's label when two are
    compared)."""
    spec = REGISTRY.get(key.kind)
    text = spec.describe(key) if spec is not None and spec.describe is not None \
        else f"computing {key.kind.replace('_', ' ')}"
    return text + (f" ({who})" if who else "")


def method_label(method: str) -> str:
    from ..core.analysis.projection import METHOD_LABELS

    return {"mds": "MDS"}.get(method, METHOD_LABELS.get(method, method))


def register(product: Product) -> Product:
    REGISTRY[product.kind] = product
    return product


# --- the layer and its map ------------------------------------------------------------------
def _layer_params(ws: Workspace, s: Optional[Session]) -> Optional[dict]:
    if ws.dataset is None or ws.samples is None or s is None or s.building:
        return None
    layer = s.layer if s.has_model else INPUT_LAYER
    if not layer:
        return None
    # an untrained model's predictions are noise: no "colour by predicted" for it
    p = {"layer": layer, "predict": bool(s.has_model and (s.trained_epochs or s.file))}
    if s.reductions.get(layer):  # a reduction chosen for this layer (else its default)
        p["reduction"] = s.reductions[layer]
    return p


def _layer_why_not(ws: Workspace, s: Optional[Session]) -> str:
    if s is not None and s.building:
        return "Preparing the model…"
    return "Computing…" if ws.dataset is not None else "Open a dataset"


def _compute_layer(req: ProductRequest, on_progress: ProgressFn,
                   should_stop: StopFn) -> LayerResult:
    from ..core.pipeline import analyse_layer

    assert req.samples is not None
    # a cosine matrix too big for memory, or for a screen, is sampled, with a note the cosine
    # view shows
    a = analyse_layer(handles.resolve(req.model), req.dataset, req.samples, req.param("layer"),
                      on_progress, should_stop, sample_cosine=True,
                      cosine_max_n=COSINE_MAX_ROWS, reduction=req.param("reduction"),
                      stream=req.samples.n >= STREAM_MIN_ROWS)
    preds = a.predictions if req.param("predict") else None
    return LayerResult(req.key.tag, a.layer, req.samples, a.activations, a.cosine,
                       a.centroid_cosine, preds, a.note, cosine_rows=a.cosine_rows,
                       reduction=a.reduction)


# Rows of the window's cosine matrix at most: more than any screen shows (it is drawn at screen
# resolution); 4,096² float32 is 64 MiB where 9,000² was 324 MiB and 2.6 s of the 9,000-image
# map's wait for its layer (measured, bench/window.py)
COSINE_MAX_ROWS = 4_096
# From this many samples a layer is streamed through the activation cache (memory-mapped files
# in the user's cache, reused for the same weights and samples; File → Clear cache deletes
# them): memory stays bounded whatever N is
STREAM_MIN_ROWS = 50_000


def _map_params(ws: Workspace, s: Optional[Session]) -> Optional[dict]:
    p = _layer_params(ws, s)
    if p is None:
        return None
    p = {**p, "method": ws.method, "seed": ws.seed}
    if ws.method == "pca-tsne":  # the IMDB post's k (only this method's maps depend on it)
        p["pca_components"] = ws.pca_components
    return p


def _compute_map(req: ProductRequest, on_progress: ProgressFn,
                 should_stop: StopFn) -> ProjectionResult:
    from ..core.pipeline import layer_map

    layer: LayerResult = req.inputs["layer"]
    method = req.param("method")
    if layer.activations.shape[0] < 3:
        from ..core.errors import ReprvizError

        raise ReprvizError("A 2-D map needs at least 3 samples.")
    extra = {"pca_components": req.param("pca_components")} if method == "pca-tsne" else {}

    def on_layout(coords: np.ndarray, fraction: float) -> None:
        """The layout while it optimises, shown meanwhile (through the lane's progress)."""
        from ..core.analysis.projection import METHOD_LABELS
        from ..core.progress import report

        forming = ProjectionResult(req.key.tag, layer.layer_name, method,
                                   np.asarray(coords, dtype=np.float32), layer.samples,
                                   layer.predictions, preview=True,
                                   note=f"{METHOD_LABELS.get(method, method)}: "
                                        f"{fraction:.0%} optimised")
        report(on_progress, "layout", fraction, kind="layout", result=forming)

    if method == "pca":
        # In this process, beside the map child: one BLAS thread. With two, OpenBLAS's threads
        # and the child's fought over the two cores: the 9,000-image preview took 6.2 s instead
        # of 0.5, and the t-SNE beside it 9.3 s instead of 4.3 (bench/profiles/README.md).
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            proj = layer_map(layer.activations, method, seed=req.param("seed", 0),
                             in_child=False, on_progress=on_progress, should_stop=should_stop)
    else:
        proj = layer_map(layer.activations, method, seed=req.param("seed", 0), in_child=True,
                         on_progress=on_progress, should_stop=should_stop,
                         on_layout=on_layout, **extra)
    pca = method == "pca-tsne" and proj.pca_explained_variance is not None
    return ProjectionResult(req.key.tag, layer.layer_name, method,
                            np.asarray(proj.coords, dtype=np.float32).copy(), layer.samples,
                            layer.predictions, proj.explained_variance, note=proj.note,
                            pca_components=proj.params.get("pca_components") if pca else None,
                            pca_explained_variance=float(proj.pca_explained_variance)
                            if pca else None, reduction=layer.reduction)


LAYER_PRODUCT = Product("layer", _layer_params, _compute_layer, lane="model",
                        busy="Reading the layer…", why_not=_layer_why_not,
                        describe=lambda key: f"reading {key.param('layer')}")
MAP_PRODUCT = Product("map", _map_params, _compute_map,
                      lane=lambda p: "quick" if p.get("method") == "pca" else "projection",
                      inputs=("layer",), busy="Computing the map…", why_not=_layer_why_not,
                      preview=lambda p: ({**{k: v for k, v in p.items() if k != "pca_components"},
                                          "method": "pca"} if p.get("method") != "pca" else None),
                      interrupt_running=False,
                      describe=lambda key: f"computing the {method_label(key.param('method'))} map")


# --- the model's evaluation and training curves -----------------------------------------------
def _evaluation_params(ws: Workspace, s: Optional[Session]) -> Optional[dict]:
    if ws.dataset is None or s is None or not s.has_model or s.training or s.building:
        return None
    if s.trained_epochs == 0 and not s.file and not s.partial_epoch:
        return None  # an untrained model's confusions say nothing
    return {} if len(ws.dataset.y_test) else None


def _evaluation_why_not(ws: Workspace, s: Optional[Session]) -> str:
    if ws.dataset is not None and ws.dataset.words is not None:
        return "A word table has no model and nothing to predict: see the map and neighbours"
    if s is None or not s.has_model:
        return "No model: choose a preset or load a model to see its confusions"
    if s.training:
        return "Training… the confusions appear when it ends"
    return "Train the model to see its confusions"


def _compute_evaluation(req: ProductRequest, on_progress: ProgressFn, should_stop: StopFn):
    from .jobs import evaluate_job

    return evaluate_job(req.model, req.dataset, req.key.tag)(on_progress, should_stop)


EVALUATION_PRODUCT = Product("evaluation", _evaluation_params, _compute_evaluation, lane="model",
                             with_samples=False, busy="Evaluating…", why_not=_evaluation_why_not)


# --- the confusion matrix on the train or validation split (the test split's: "evaluation") -----
def _confusion_split_params(ws: Workspace, s: Optional[Session]) -> Optional[dict]:
    if ws.confusion_split == "test" or _evaluation_params(ws, s) is None or s is None:
        return None
    if s.held_out is None and ws.confusion_split == "validation":
        return None  # no run here: which rows were held out is not known
    vs, seed = s.held_out if s.held_out is not None else (0.0, 0)
    return {"split": ws.confusion_split, "validation_split": vs, "seed": seed}


def _confusion_split_why_not(ws: Workspace, s: Optional[Session]) -> str:
    if ws.confusion_split != "test" and _evaluation_params(ws, s) is not None:
        return (f"No {ws.confusion_split} rows are known: the model was not trained here "
                "(the test split is shown)")
    return _evaluation_why_not(ws, s)


def _compute_confusion_split(req: ProductRequest, on_progress: ProgressFn,
                             should_stop: StopFn) -> EvaluationResult:
    """The rows a run trained on ("train") or held out ("validation"), as the run split them
    (``stratified_split`` with its validation fraction and seed), counted with the function
    ``analyze --confusion-split`` counts with."""
    from ..core.analysis import metrics
    from ..core.errors import EmptyDataError
    from ..core.model.training import split_predictions, split_rows, stratified_split
    from .handles import resolve

    ds, split = req.dataset, req.param("split")
    _, val = stratified_split(ds.y_train, float(req.param("validation_split")),
                              int(req.param("seed")))
    rows = split_rows(len(ds.x_train), split, val)
    if len(rows) == 0:
        raise EmptyDataError(f"There are no {split} samples (validation split 0).")
    pred = np.asarray(split_predictions(resolve(req.model), ds, rows), np.int64)
    labels = np.asarray(ds.y_train[rows], np.int64)
    cm = metrics.confusion_matrix(labels, pred, ds.n_classes)
    pairs = tuple((int(t), int(p), int(c)) for t, p, c in metrics.top_confused_pairs(cm))
    return EvaluationResult(tag=req.key.tag, confusion=cm, class_names=tuple(ds.class_names),
                            accuracy={split: metrics.accuracy(cm)},
                            per_class_accuracy=metrics.per_class_accuracy(cm),
                            top_pairs=pairs, split=split, labels=labels, predictions=pred,
                            rows=rows)


CONFUSION_SPLIT_PRODUCT = Product(
    "confusion_split", _confusion_split_params, _compute_confusion_split, lane="model",
    with_samples=False, busy="Counting the confusions…", why_not=_confusion_split_why_not,
    describe=lambda key: f"counting the {key.param('split')} split's confusions")


def _curves_params(ws: Workspace, s: Optional[Session]) -> Optional[dict]:
    return {} if s is not None and s.has_model else None


CURVES_PRODUCT = Product("curves", _curves_params, None, with_samples=False,
                         why_not=lambda ws, s: "Train a model to see its learning curves")

# registered by catalog.load(), with every other module's
PRODUCTS = (LAYER_PRODUCT, MAP_PRODUCT, EVALUATION_PRODUCT, CONFUSION_SPLIT_PRODUCT,
            CURVES_PRODUCT)
