"""The *Your input* product (issue 16 §2): one drawn, dropped, picked, typed input put through a
session's model on the model lane and placed on the layer's map
(``core.analysis.own_input.probe_input``, the function ``analyze --input`` calls too).

The view sends an ``OwnInput`` (``Panel.own_input_changed`` -> ``Controller.set_own_input``),
which the workspace keeps per session; the product's params hold it (its digest makes the key),
and its inputs are the layer and its map, so the marker is always on the map shown. A user error
(an unknown word, a review without a word index) comes back as a result carrying ``error``: the
view says it in place, with no dialog at every keystroke.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..core.analysis.own_input import InputProbe
from ..core.progress import ProgressFn, StopFn
from . import handles
from .products import REGISTRY, Product, ProductRequest, method_label
from .results import LayerResult, ProjectionResult
from .state import ResultTag, Session, Workspace


@dataclass(frozen=True, eq=False)
class OwnInput:
    """An input the user made: ``kind`` "image" (uint8 in the data's sample shape), "file" (an
    image file, read on the lane), "review" or "query" (``text``), and the saliency asked of an
    image ("gradient" | "grad-cam"). Equal when the content and the saliency are."""

    kind: str
    image: Optional[np.ndarray] = None
    text: str = ""
    saliency: str = "gradient"

    @property
    def digest(self) -> str:
        h = hashlib.blake2b(digest_size=12)
        h.update(self.kind.encode())
        h.update(self.text.encode("utf-8", "replace"))
        h.update(self.saliency.encode())
        if self.image is not None:
            h.update(repr(self.image.shape).encode())
            h.update(np.ascontiguousarray(self.image).tobytes())
        return h.hexdigest()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OwnInput) and other.digest == self.digest

    def __hash__(self) -> int:
        return hash(self.digest)

    def __repr__(self) -> str:  # keys are logged and compared: never the pixels
        return f"OwnInput({self.kind}, {self.digest[:8]})"


@dataclass(frozen=True)
class OwnInputResult:
    tag: ResultTag
    own_input: OwnInput
    probe: Optional[InputProbe]  # None: ``error`` says why
    method: str
    layer: str
    coords: Optional[np.ndarray]  # the map the marker is placed on (the sample set's rows)
    labels: Optional[np.ndarray]
    error: str = ""


def _why(ws: Workspace, s: Optional[Session]) -> str:
    ds = ws.dataset
    if ds is None:
        return "Open a dataset"
    if s is not None and s.building:
        return "Preparing the model…"
    if ds.words is not None:
        return "Type a word or an expression such as paris - france + italy"
    if s is None or not s.has_model or not (s.trained_epochs or s.file):
        return "Train or load a model, then draw, drop or type your own input"
    if s.training:
        return "Training… your input is put through the model when it ends"
    if ds.kind == "image":
        return "Draw on the canvas, drop an image file on it, or pick a sample"
    if ds.kind == "sequence":
        return "Type a review"
    return "Your own input works on images, reviews and word tables"


def _params(ws: Workspace, s: Optional[Session]) -> Optional[dict]:
    if s is None or ws.dataset is None:
        return None
    own = ws.own_inputs.get(s.id)
    map_params = REGISTRY["map"].params(ws, s)
    if own is None or map_params is None:
        return None
    if ws.dataset.words is None and (not s.has_model or s.training
                                     or not (s.trained_epochs or s.file)):
        return None
    return {**map_params, "input": own}


def _compute(req: ProductRequest, on_progress: ProgressFn, should_stop: StopFn
             ) -> OwnInputResult:
    from ..core.analysis.own_input import probe_input
    from ..core.errors import ReprvizError

    own: OwnInput = req.param("input")
    layer: LayerResult = req.inputs["layer"]
    proj: ProjectionResult = req.inputs["map"]
    method = req.param("method")
    kwargs = {"image": own.image} if own.kind == "image" else \
        {"image_file": own.text} if own.kind == "file" else \
        {"review": own.text} if own.kind == "review" else {"query": own.text}
    model = handles.resolve(req.model) if req.model is not None else None
    base = dict(tag=req.key.tag, own_input=own, method=method, layer=layer.layer_name,
                coords=proj.coords, labels=np.asarray(layer.samples.labels))
    try:
        probe = probe_input(req.dataset, model, layer.layer_name, layer.activations,
                            proj.coords, method, int(req.param("seed", 0)),
                            reduction=req.param("reduction"), saliency=own.saliency,
                            should_stop=should_stop, **kwargs)
    except ReprvizError as exc:
        return OwnInputResult(probe=None, error=str(exc), **base)
    return OwnInputResult(probe=probe, **base)


OWN_INPUT = Product(
    "own_input", _params, _compute, lane="model", inputs=("layer", "map"),
    busy="Putting your input through the model…", why_not=_why,
    # a stroke's result must arrive even while the next stroke is drawn (the view sends the
    # next input when this one is back), so a newer request never kills a running one
    interrupt_running=False,
    describe=lambda key: f"placing your input on the {method_label(key.param('method'))} map")
# registered by catalog.load(), with every other module's
PRODUCTS = (OWN_INPUT,)
