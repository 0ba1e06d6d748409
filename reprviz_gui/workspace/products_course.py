"""Products of the course views (issue 9): weights as images, typical inputs, important regions.

Registered at import; the view modules import this one, and the window imports a view's module
when it builds the view. Each ``compute`` calls a tested core function and returns a frozen
result tagged with its key's tag. "Does not apply" is said by ``params`` returning None with a
``why_not`` (no dialog); the rare model the GUI-side check lets through comes back as a result
carrying ``why`` instead of raising.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..core.analysis.typical import TypicalInputs, typical_inputs
from ..core.analysis.weights import WeightImages
from ..core.progress import ProgressFn, StopFn, check_stop, report
from . import handles
from .products import EVALUATION_PRODUCT, Product, ProductRequest
from .state import ResultTag, Session, Workspace

TYPICAL_K_MAX = 24  # the typical view shows the first k (default 8) of these
SALIENCY_PER_CLASS = 200  # test samples averaged per class for saliency (the first, by index)

# layers that only pass values on before the first weights (core/analysis/weights.py)
_PASS = frozenset(("InputLayer", "Flatten", "Reshape", "Dropout", "SpatialDropout1D",
                   "SpatialDropout2D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
                   "Rescaling", "Activation"))


# --- shared checks --------------------------------------------------------------------------
def _model_why(ws: Workspace, s: Optional[Session], what: str) -> str:
    """Why a model product cannot be made now ('' when it can, as far as the session says)."""
    ds = ws.dataset
    if ds is None:
        return "Open a dataset"
    if ds.words is not None:
        return f"A word table has no model: there are no {what} to show"
    if s is None or not s.has_model:
        return f"No model: choose a preset or load a model to see its {what}"
    if s.building:
        return "Preparing the model…"
    if s.training:
        return f"Training… the {what} appear when it ends"
    if ds.kind != "image":
        return (f"The {what} are drawn as images; {ds.name} holds "
                f"{'text' if ds.kind == 'sequence' else 'vectors'}, not images")
    return ""


def first_weighted_layer(s: Session):
    """The session's first layer with weights (a LayerInfo), or None."""
    for info in s.layers:
        if getattr(info, "parent", "") or (info.type in _PASS and not info.params):
            continue
        return info
    return None


# --- weights as images ----------------------------------------------------------------------
@dataclass(frozen=True)
class WeightsResult:
    tag: ResultTag
    weights: Optional[WeightImages]  # None: the weights are not images (``why`` says why)
    why: str = ""


def _weights_why(ws: Workspace, s: Optional[Session]) -> str:
    why = _model_why(ws, s, "weights")
    if why or s is None:
        return why
    first = first_weighted_layer(s)
    if first is None:
        return "This model has no layer with weights"
    if first.type not in ("Dense", "Conv2D"):
        return (f"Weights as images need a first layer with weights that is Dense or Conv2D and "
                f"reads the image; this model starts with {first.type} ({first.name!r})")
    return ""


def _weights_params(ws: Workspace, s: Optional[Session]) -> Optional[dict]:
    return None if _weights_why(ws, s) else {}


def _compute_weights(req: ProductRequest, on_progress: ProgressFn,
                     should_stop: StopFn) -> WeightsResult:
    from ..core.analysis.weights import first_layer_weights
    from ..core.errors import ModelError

    ds = req.dataset
    try:
        w = first_layer_weights(handles.resolve(req.model), ds.sample_shape, ds.class_names)
    except ModelError as e:
        return WeightsResult(req.key.tag, None, str(e))
    return WeightsResult(req.key.tag, w)


# --- typical inputs -------------------------------------------------------------------------
@dataclass(frozen=True)
class TypicalResult:
    """Per class, the test samples most typical of it and the most confidently wrong ones
    (``core.analysis.typical``), with what is needed to show each sample."""

    tag: ResultTag
    classes: tuple[TypicalInputs, ...]
    class_names: tuple[str, ...]
    split: str
    shown: np.ndarray  # (M,) sorted dataset indices of every sample listed
    labels: np.ndarray  # (M,) their true class
    predicted: np.ndarray  # (M,) the model's class for each
    confidence: np.ndarray  # (M,) the probability of that predicted class
    images: Optional[np.ndarray] = None  # (M, H, W[, C]) uint8 (image data)
    texts: Optional[tuple[str, ...]] = None  # (M,) the words (text / vector data)

    def row(self, index: int) -> int:
        """Position of a dataset index in ``shown``."""
        return int(np.searchsorted(self.shown, index))


def _typical_why(ws: Workspace, s: Optional[Session]) -> str:
    if ws.dataset is not None and ws.dataset.words is not None:
        return "A word table has no model and nothing to predict"
    if s is None or not s.has_model:
        return "No model: choose a preset or load a model to see its typical inputs"
    if s.training:
        return "Training… the typical inputs appear when it ends"
    if s.building:
        return "Preparing the model…"
    return "Train the model to see the inputs it finds most typical of each class"


def _typical_params(ws: Workspace, s: Optional[Session]) -> Optional[dict]:
    if EVALUATION_PRODUCT.params(ws, s) is None:
        return None
    return {"k": TYPICAL_K_MAX}


def _sample_text(ds, x: np.ndarray) -> str:
    from ..core.data.samples import decode_tokens

    if ds.kind == "sequence":
        return decode_tokens(x, ds.vocabulary)
    return ", ".join(f"{float(v):.3g}" for v in np.asarray(x).ravel()[:12])


def _compute_typical(req: ProductRequest, on_progress: ProgressFn,
                     should_stop: StopFn) -> TypicalResult:
    ev = req.inputs["evaluation"]
    ds = req.dataset
    probs = np.asarray(ev.probabilities)
    labels = np.asarray(ev.labels)
    k = int(req.param("k", TYPICAL_K_MAX))
    classes = typical_inputs(probs, labels, k, ds.class_names)
    check_stop(should_stop)
    parts = [c.typical for c in classes] + [c.wrong for c in classes]
    shown = np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
    predicted = np.asarray(ev.predictions)[shown].astype(np.int64)
    confidence = probs[shown, predicted].astype(np.float32) if len(shown) else \
        np.zeros(0, np.float32)
    x, _ = ds.split(ev.split)
    images = texts = None
    if ds.kind == "image":
        images = np.array(x[shown], dtype=np.uint8, copy=True)
    else:
        texts = tuple(_sample_text(ds, x[i]) for i in shown)
    return TypicalResult(req.key.tag, tuple(classes), tuple(ds.class_names), ev.split,
                         shown.astype(np.int64), labels[shown].astype(np.int64).copy(),
                         predicted, confidence, images, texts)


# --- important regions ----------------------------------------------------------------------
@dataclass(frozen=True)
class RegionsResult:
    """Per class: the back-projection of the weights (None when the model is not Dense-only,
    ``backprojection_why`` says why) and the mean gradient saliency over test samples."""

    tag: ResultTag
    class_names: tuple[str, ...]
    backprojection: Optional[np.ndarray]  # (C, H, W) float32, colour channels summed
    backprojection_why: str
    saliency: np.ndarray  # (C, H, W) float32 mean gradient (colour channels summed)
    saliency_abs: np.ndarray  # (C, H, W) float32 mean |gradient| (channels summed)
    counts: np.ndarray  # (C,) samples averaged per class
    available: np.ndarray  # (C,) test samples of each class
    per_class: int  # the cap on samples per class
    score: str  # "logit" | "probability" (core.analysis.regions.SCORE_DESCRIPTIONS)
    split: str = "test"


def _regions_why(ws: Workspace, s: Optional[Session]) -> str:
    why = _model_why(ws, s, "important regions")
    if why or s is None:
        return why
    if not s.trained_epochs and not s.file:
        return "Train the model to see which regions of the input matter for each class"
    if not len(ws.dataset.y_test):
        return "There is no test split to average saliency over"
    return ""


def _regions_params(ws: Workspace, s: Optional[Session]) -> Optional[dict]:
    return None if _regions_why(ws, s) else {"per_class": SALIENCY_PER_CLASS}


def first_per_class(labels: np.ndarray, n_classes: int, cap: int) -> np.ndarray:
    """Sorted indices of the first ``cap`` samples (by index) of each class."""
    labels = np.asarray(labels).reshape(-1)
    parts = [np.flatnonzero(labels == c)[:cap] for c in range(n_classes)]
    return np.sort(np.concatenate(parts)).astype(np.int64) if parts else np.zeros(0, np.int64)


def _as_images(maps: np.ndarray, image_ndim: int) -> np.ndarray:
    """(C, H, W) from (C, H, W), (C, H, W, 1) or (C, H, W, 3): channels summed."""
    m = np.asarray(maps, dtype=np.float32)
    return m.sum(axis=-1) if m.ndim == image_ndim + 2 else m


def _compute_regions(req: ProductRequest, on_progress: ProgressFn,
                     should_stop: StopFn) -> RegionsResult:
    from ..core.analysis.regions import class_backprojection, class_saliency
    from ..core.errors import ModelError

    ds = req.dataset
    model = handles.resolve(req.model)
    try:
        back = _as_images(class_backprojection(model, ds.sample_shape), 2)
        back_why = ""
    except ModelError as e:
        back, back_why = None, str(e)
    cap = int(req.param("per_class", SALIENCY_PER_CLASS))
    rows = first_per_class(ds.y_test, ds.n_classes, cap)
    report(on_progress, "saliency", 0.0, f"Saliency on {len(rows):,} test samples…")
    sal = class_saliency(model, ds.inputs(ds.x_test[rows]), ds.y_test[rows], ds.n_classes,
                         on_progress=on_progress, should_stop=should_stop)
    return RegionsResult(
        req.key.tag, tuple(ds.class_names), back, back_why,
        _as_images(sal.maps, 2).copy(), _as_images(sal.abs_maps, 2).copy(),
        np.asarray(sal.counts).copy(),
        np.bincount(np.asarray(ds.y_test, np.int64), minlength=ds.n_classes),
        cap, sal.score)


WEIGHTS_PRODUCT = Product("weights", _weights_params, _compute_weights, lane="model",
                          with_samples=False, busy="Reading the weights…", why_not=_weights_why)
TYPICAL_PRODUCT = Product("typical", _typical_params, _compute_typical, lane="quick",
                          with_samples=False, inputs=("evaluation",),
                          busy="Finding typical inputs…", why_not=_typical_why)
REGIONS_PRODUCT = Product("regions", _regions_params, _compute_regions, lane="model",
                          with_samples=False, busy="Computing saliency…", why_not=_regions_why)

# registered by catalog.load(), with every other module's
PRODUCTS = (WEIGHTS_PRODUCT, TYPICAL_PRODUCT, REGIONS_PRODUCT)
