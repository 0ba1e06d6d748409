"""Your own input through the network (issue 16 §2): a drawn or dropped image, a typed review, a
word expression — its class probabilities, saliency, and where it lands on the layer's map.

One function, ``probe_input``, serves the window's *Your input* view (on the model lane) and
``analyze --input/--review/--query`` alike. The marker is placed with the map method's own
out-of-sample rule (``placement.place_on_map``: PCA's projection, openTSNE's and umap's
``transform``; MDS: the nearest samples' mean position, said as such). Keras is imported
lazily inside the functions; no Qt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from ..errors import DataError, ReprvizError
from ..progress import StopFn
from .placement import NEIGHBOURS_FOR_MEAN, Placement, _unit, neighbour_mean, place_on_map

__all__ = [  # the placement lived here first: its names stay importable from here
    "NEIGHBOURS_FOR_MEAN", "Placement", "neighbour_mean", "place_on_map", "WORDS_SHOWN",
    "MAX_REVIEW_CHARS", "as_sample", "read_input_image", "ink_thickness", "ReviewTokens",
    "tokenise_review", "parse_expression", "expression_vector", "nearest_to_vector",
    "InputProbe", "SALIENCY_METHODS", "probe_input", "inputs_section"]

WORDS_SHOWN = 10  # nearest words listed for an expression
MAX_REVIEW_CHARS = 20_000


# --- images ----------------------------------------------------------------------------------
def as_sample(image: np.ndarray, sample_shape: Sequence[int]) -> np.ndarray:
    """An (H, W) or (H, W, 3) uint8 image in the dataset's sample shape (grey or colour)."""
    img = np.asarray(image)
    shape = tuple(int(s) for s in sample_shape)
    if img.ndim == 2 and len(shape) == 3:
        img = np.repeat(img[:, :, None], shape[2], axis=2)
    elif img.ndim == 3 and len(shape) == 2:
        img = np.rint(img[..., :3].astype(np.float64).mean(axis=2))
    elif img.ndim == 3 and len(shape) == 3 and img.shape[2] != shape[2]:
        img = np.repeat(np.rint(img.astype(np.float64).mean(axis=2))[:, :, None], shape[2], 2)
    if tuple(img.shape) != shape:
        raise DataError(f"The input image has shape {tuple(img.shape)}; the data's images are "
                        f"{shape}.")
    return np.clip(img, 0, 255).astype(np.uint8)


def read_input_image(path: str | Path, sample_shape: Sequence[int]) -> np.ndarray:
    """An image file as one sample (uint8, ``sample_shape``): opened through the image allow-list
    (never EPS/PS), resized, grey or colour as the data."""
    from ..data.image_folder import _read_image, _TooLarge
    from ..data.user_files import check_regular_file

    p = Path(path).expanduser()
    if not p.exists():
        raise DataError(f"No image file named '{p}'.")
    check_regular_file(p)
    h, w = int(sample_shape[0]), int(sample_shape[1])
    try:
        rgb, _colour, _size = _read_image(p, (h, w))
    except _TooLarge:
        raise DataError(f"{p.name} has more than 40 megapixels; shrink it first.") from None
    except Exception as exc:  # noqa: BLE001 - PIL raises many kinds for a bad file
        raise DataError(f"{p.name} is not an image reprviz reads (PNG, JPEG, BMP, GIF, TIFF, "
                        f"WEBP, PPM, ICO): {type(exc).__name__}.") from None
    return as_sample(rgb, sample_shape)


def ink_thickness(images: np.ndarray, most: int = 200) -> float:
    """How thick the data's ink is, in pixels: the mean over up to ``most`` evenly spaced images
    of the widest disc that fits in the ink (2 x the largest distance to a background pixel - 1;
    ink: above a quarter of the image's maximum). A bar w pixels wide measures w for odd w,
    w - 1 for even. The drawing canvas's default brush. A mean, not a median: the values spread
    widely on Fashion-MNIST (sandals 6, coats 18; quartiles 7 and 13), whose garments are
    filled silhouettes (10.4 on the bundled sample; trousers are 9.5 px wide on average, dresses
    11.3) where the 8 x 8 digits are strokes (2.3). NaN when no image has ink."""
    from scipy.ndimage import distance_transform_edt

    x = np.asarray(images)
    if len(x) == 0:
        return float("nan")
    idx = np.unique(np.linspace(0, len(x) - 1, min(int(most), len(x))).round().astype(int))
    found = []
    for img in x[idx]:
        img = np.asarray(img, dtype=np.float32)
        if img.ndim == 3:
            img = img.mean(axis=2)
        top = float(img.max())
        if top <= 0:
            continue
        ink = np.pad(img > 0.25 * top, 1)  # padded: ink at the border still has an edge
        found.append(2.0 * float(distance_transform_edt(ink).max()) - 1.0)
    return float(np.mean(found)) if found else float("nan")


# --- reviews ---------------------------------------------------------------------------------
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


@dataclass(frozen=True)
class ReviewTokens:
    ids: np.ndarray  # (maxlen,) int32, padded/cut as the training data (keeps the end)
    words: tuple[str, ...]  # the review's words, in order
    known: tuple[bool, ...]  # False: not in the word index the data was made with (<oov>)
    cut: bool  # longer than maxlen: only the end is read


def tokenise_review(text: str, vocabulary: Optional[dict[int, str]], maxlen: int,
                    max_token: Optional[int] = None) -> ReviewTokens:
    """A review as the IMDB data's token ids: lower case, words (apostrophes kept), each the
    word index's token (index + 3) or 2 (<oov>) when unknown or beyond ``max_token``, after the
    start token 1, padded and cut as ``pad_sequences`` (the end is kept)."""
    from ..data.keras_cache import IMDB_OOV, IMDB_START, pad_sequences

    if not vocabulary:
        raise DataError("This data has no word index: a typed review cannot be turned into "
                        "its tokens.")
    text = str(text)[:MAX_REVIEW_CHARS].lower().replace("<br />", " ")
    words = _WORD.findall(text)
    index = {w: t for t, w in vocabulary.items() if t > IMDB_OOV}
    ids, known = [IMDB_START], []
    for w in words:
        t = index.get(w)
        ok = t is not None and (max_token is None or t <= max_token)
        ids.append(int(t) if ok else IMDB_OOV)
        known.append(ok)
    padded = pad_sequences([np.asarray(ids, dtype=np.int64)], maxlen)[0]
    return ReviewTokens(padded, tuple(words), tuple(known), len(ids) > maxlen)


# --- word expressions ------------------------------------------------------------------------
_TERM = re.compile(r"\s*([+-]?)\s*([^\s+-][^+-]*?)\s*(?=[+-]|$)")


def parse_expression(expr: str) -> list[tuple[int, str]]:
    """``"paris - france + italy"`` -> [(+1, "paris"), (-1, "france"), (+1, "italy")]."""
    text = str(expr).strip()
    if not text:
        raise ReprvizError("Type a word or an expression such as 'paris - france + italy'.")
    terms, pos = [], 0
    for m in _TERM.finditer(text):
        if m.start() != pos or not m.group(2).strip():
            break
        terms.append((-1 if m.group(1) == "-" else 1, m.group(2).strip()))
        pos = m.end()
    if not terms or pos != len(text):
        raise ReprvizError(f"Cannot read {text!r}: write words joined by + and -, such as "
                           "'paris - france + italy'.")
    return terms


def expression_vector(expr: str, words: Sequence[str], vectors: np.ndarray
                      ) -> tuple[np.ndarray, list[str]]:
    """(the expression's vector: the sum of its words' unit vectors with their signs, the rows'
    words used). An unknown word raises naming it."""
    from .words import word_row

    vectors = np.asarray(vectors, dtype=np.float64)
    total = np.zeros(vectors.shape[1])
    used = []
    for sign, word in parse_expression(expr):
        row = word_row(words, word)
        total += sign * _unit(vectors[row])
        used.append(words[row])
    return total, used


def nearest_to_vector(vector: np.ndarray, words: Sequence[str], vectors: np.ndarray,
                      exclude: Sequence[str] = (), k: int = WORDS_SHOWN
                      ) -> list[tuple[str, float]]:
    """The ``k`` words nearest ``vector`` by cosine, leaving out the words in ``exclude`` (the
    expression's own, as analogy tests do)."""
    sims = _unit(vectors) @ _unit(vector)
    leave = {w.casefold() for w in exclude}
    order = np.argsort(-sims, kind="stable")
    out = [(str(words[i]), float(sims[i])) for i in order if str(words[i]).casefold() not in leave]
    return out[:k]


# --- the probe ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class InputProbe:
    """What one input gives: probabilities, saliency, its layer values and its map position."""

    kind: str  # "image" | "review" | "query"
    label: str  # what it was (file name, the review's start, the expression)
    class_names: tuple[str, ...]
    probabilities: Optional[np.ndarray] = None  # (C,) float32; None without a model
    saliency: Optional[np.ndarray] = None  # (H, W) float32 gradient of the top class's score
    saliency_score: str = ""  # "logit" | "probability"
    saliency_method: str = ""  # "gradient" | "grad-cam" (with its layer: "grad-cam:conv_2")
    activation: Optional[np.ndarray] = None  # (units,) float32 in the map's layer
    placement: Optional[Placement] = None
    image: Optional[np.ndarray] = None  # the input image as read (uint8, sample shape)
    tokens: Optional[ReviewTokens] = None
    neighbours: tuple[tuple[str, float], ...] = ()  # nearest words (expressions)
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def top(self) -> Optional[int]:
        return None if self.probabilities is None else int(np.argmax(self.probabilities))

    def to_json(self) -> dict:
        out: dict[str, Any] = {"kind": self.kind, "input": self.label}
        if self.probabilities is not None:
            out["probabilities"] = {n: round(float(p), 6)
                                    for n, p in zip(self.class_names, self.probabilities)}
            out["top_class"] = self.class_names[self.top]
        if self.placement is not None:
            out["map_position"] = [round(float(v), 6) for v in self.placement.position]
            out["placement"] = {"rule": self.placement.rule, "how": self.placement.how}
        if self.tokens is not None:
            out["tokens"] = [{"word": w, "known": k}
                             for w, k in zip(self.tokens.words, self.tokens.known)]
            out["unknown_words"] = sorted({w for w, k in zip(self.tokens.words,
                                                              self.tokens.known) if not k})
            out["cut_to_maxlen"] = self.tokens.cut
        if self.saliency_method:
            method, _, layer = self.saliency_method.partition(":")
            out["saliency"] = {"method": method, "score": self.saliency_score,
                               **({"layer": layer} if layer else {})}
        if self.neighbours:
            out["nearest_words"] = [{"word": w, "cosine": round(c, 6)}
                                    for w, c in self.neighbours]
        if self.notes:
            out["notes"] = list(self.notes)
        return out


def _forward(model, x: np.ndarray, layer: str, reduction: Optional[str] = None
             ) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities (C,), the layer's values (units,)) of one model-ready input, its feature
    maps reduced as the map's samples were (``pipeline.layer_activations``)."""
    from ..model.extraction import extract_layers
    from ..model.training import class_probabilities
    from ..pipeline import INPUT_LAYER

    output = model.layers[-1].name
    names = [output] if layer == INPUT_LAYER else [layer, output]
    out = extract_layers(model, x, names, reductions={layer: reduction} if reduction and
                         layer != INPUT_LAYER else None)
    probs = class_probabilities(out[output], model)[0]
    act = x.reshape(len(x), -1)[0] if layer == INPUT_LAYER else out[layer][0]
    return np.asarray(probs, np.float32), np.asarray(act, np.float32)


SALIENCY_METHODS = ("auto", "gradient", "grad-cam")  # auto: Grad-CAM for convolutional models


def _saliency(model, x: np.ndarray, cls: int, n_classes: int, method: str = "gradient",
              size: Optional[Sequence[int]] = None) -> tuple[np.ndarray, str, str, list[str]]:
    """(map (H, W), score kind, method used, notes): the input gradient of the class's score,
    or Grad-CAM of the last convolution (``gradcam.py``) when asked and the model has one."""
    from .gradcam import grad_cam, last_conv_layer
    from .regions import class_saliency

    if method not in SALIENCY_METHODS:
        raise ReprvizError(f"Unknown saliency method {method!r}: one of "
                           f"{', '.join(SALIENCY_METHODS)}.")
    notes = []
    if method != "gradient":
        if last_conv_layer(model) is not None:
            cam = grad_cam(model, x, cls, tuple(size[:2]) if size is not None else None)
            return cam.map, cam.score, f"grad-cam:{cam.layer}", notes
        if method == "grad-cam":
            notes.append("Grad-CAM needs a convolutional layer; this model has none, so the "
                         "saliency shown is the input gradient.")
    sal = class_saliency(model, x, np.array([cls]), n_classes)
    m = np.asarray(sal.maps[cls], dtype=np.float32)
    return (m.sum(axis=-1) if m.ndim == 3 else m), sal.score, "gradient", notes


def probe_input(dataset, model, layer: str, activations: np.ndarray, coords: Optional[np.ndarray],
                method: str, seed: int = 0, *, reduction: Optional[str] = None,
                image: Optional[np.ndarray] = None,
                image_file: Optional[str | Path] = None, review: Optional[str] = None,
                query: Optional[str] = None, saliency: str = "gradient",
                map_params: Optional[dict] = None, should_stop: StopFn | None = None
                ) -> InputProbe:
    """Put one input through ``model`` (None: a word table, no model) and onto the map
    ``coords`` of ``layer`` (made from ``activations`` with ``method``). Exactly one of
    ``image`` (uint8 in the data's sample shape), ``image_file``, ``review``, ``query``.
    ``saliency``: "gradient", "grad-cam" or "auto" (Grad-CAM where there is a convolution).
    ``map_params``: the map's parameters (UMAP's transform; None: the defaults)."""
    names = tuple(dataset.class_names)
    notes: list[str] = []
    if query is not None:
        if dataset.words is None:
            raise ReprvizError("Word expressions need a word table (such as capitals).")
        vectors = np.asarray(dataset.x_test, dtype=np.float64)
        vec, used = expression_vector(query, dataset.words, vectors)
        near = nearest_to_vector(vec, dataset.words, vectors, exclude=used)
        place = place_on_map(activations, coords, method, vec, seed, map_params,
                             should_stop) if coords is not None else None
        return InputProbe("query", str(query), names, activation=vec.astype(np.float32),
                          placement=place, neighbours=tuple(near))
    if model is None:
        raise ReprvizError("Train or load a model first: without one there is nothing to "
                           "predict.")
    tokens = None
    img = None
    if review is not None:
        if dataset.kind != "sequence":
            raise ReprvizError("A typed review needs text data (such as imdb-sample).")
        maxlen = int(dataset.x_test.shape[1] if len(dataset.x_test) else dataset.x_train.shape[1])
        tokens = tokenise_review(review, dataset.vocabulary, maxlen,
                                 _embedding_rows(model))
        x = np.asarray(tokens.ids[None, :], dtype=np.int32)
        label = " ".join(tokens.words[:12]) + (" …" if len(tokens.words) > 12 else "")
        if not any(tokens.known):
            notes.append("None of the review's words is in the word index: the model reads "
                         "only <oov> tokens.")
    else:
        if dataset.kind != "image":
            raise ReprvizError("Drawn or dropped inputs need image data.")
        if image_file is not None:
            img = read_input_image(image_file, dataset.sample_shape)
            label = Path(image_file).name
        else:
            img = as_sample(image, dataset.sample_shape)
            label = "drawn"
        x = dataset.inputs(img[None])
    probs, act = _forward(model, x, layer, reduction)
    top = int(np.argmax(probs))
    sal, score, how = (None, "", "")
    if img is not None:
        sal, score, how, more = _saliency(model, x, top, len(names), saliency,
                                          dataset.sample_shape)
        notes.extend(more)
    place = None
    if coords is not None and activations is not None and len(activations) >= 3:
        place = place_on_map(activations, coords, method, act, seed, map_params, should_stop)
    return InputProbe("review" if review is not None else "image", label, names, probs, sal,
                      score, how, act, place, img, tokens, (), tuple(notes))


def _embedding_rows(model) -> Optional[int]:
    """The largest token id the model's Embedding accepts (None: no embedding found)."""
    for layer in getattr(model, "layers", []):
        if type(layer).__name__ == "Embedding":
            return int(layer.input_dim) - 1
    return None


def inputs_section(dataset, model, layer: str, activations: np.ndarray, coords: np.ndarray,
                   method: str, seed: int = 0, files: Sequence[str | Path] = (),
                   queries: Sequence[str] = (), reviews: Sequence[str] = (),
                   reduction: Optional[str] = None, saliency: str = "auto",
                   map_params: Optional[dict] = None, should_stop: StopFn | None = None
                   ) -> Optional[list[dict]]:
    """report.json's ``inputs`` (``analyze --input/--query/--review``): one entry per input, in
    the order given (files, then expressions, then reviews); None when none was given. An
    image's entry says which saliency was computed (``saliency.method``: Grad-CAM for a
    convolutional model, else the input gradient, by default)."""
    if not (files or queries or reviews):
        return None
    common = (dataset, model, layer, activations, coords, method, seed)
    kw = {"reduction": reduction, "map_params": map_params, "should_stop": should_stop}
    out = [probe_input(*common, image_file=f, saliency=saliency, **kw).to_json() for f in files]
    out += [probe_input(*common, query=q, **kw).to_json() for q in queries]
    out += [probe_input(*common, review=r, **kw).to_json() for r in reviews]
    return out
