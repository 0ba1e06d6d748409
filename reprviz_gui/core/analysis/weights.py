"""Weights as images: what each unit of the first layer looks for in the input.

A Dense layer that reads the flattened image has one weight per pixel for each unit, so each
unit's weights reshape to an image. In a multinomial model that layer is the output, and its
images are one per class: a template of the class. A CNN's first convolution has small filter
images instead (colour ones for RGB input).

``diverging_rgb`` colours such signed values the way the MNIST notes do: green positive, purple
negative, white zero. This module needs only NumPy at import; Keras is reached lazily.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional, Sequence

import numpy as np

from ..errors import ModelError

# ColorBrewer's PRGn (what matplotlib's "PRGn" interpolates), from -limit (purple) to +limit
# (green), with its near-white middle made pure white so that a zero weight is exactly white
_PRGN = np.array([
    (64, 0, 75), (118, 42, 131), (153, 112, 171), (194, 165, 207), (231, 212, 232),
    (255, 255, 255),
    (217, 240, 211), (166, 219, 160), (90, 174, 97), (27, 120, 55), (0, 68, 27),
], dtype=np.float64)


def diverging_rgb(values, limit: Optional[float] = None) -> np.ndarray:
    """Colours for signed values: ``(..., 3)`` uint8, green for positive, purple for negative,
    white for zero, symmetric around zero (``-v`` gets the purple twin of ``v``'s green).

    ``limit`` is the value that gets the darkest colour (values beyond it are clipped); by
    default the largest finite ``|value|``. NaN and a zero ``limit`` give white.
    """
    v = np.asarray(values, dtype=np.float64)
    if limit is None:
        finite = np.abs(v[np.isfinite(v)])
        limit = float(finite.max()) if finite.size else 0.0
    limit = float(limit)
    if not (np.isfinite(limit) and limit > 0):
        t = np.zeros(v.shape)
    else:
        with np.errstate(invalid="ignore"):
            t = np.clip(v / limit, -1.0, 1.0)
        t = np.where(np.isnan(t), 0.0, t)
    pos = (t + 1.0) * 0.5 * (len(_PRGN) - 1)  # 0 .. 10 along the anchors
    lo = np.clip(np.floor(pos).astype(np.int64), 0, len(_PRGN) - 2)
    frac = (pos - lo)[..., None]
    rgb = _PRGN[lo] * (1.0 - frac) + _PRGN[lo + 1] * frac
    return np.rint(rgb).astype(np.uint8)


@dataclass(frozen=True)
class WeightImages:
    """One weight image per unit (or per class, or per filter) of the first weighted layer."""

    layer_name: str
    layer_type: str  # "Dense" or "Conv2D"
    images: np.ndarray  # (U, H, W) float32, or (U, H, W, 3) when ``rgb``
    labels: list[str]  # "unit 7" / "filter 3", or the class names when ``per_class``
    units: np.ndarray  # (U,) int64: each image's unit index in the layer (order_by_norm moves it)
    biases: np.ndarray  # (U,) float32; zeros when the layer has no bias
    norms: np.ndarray  # (U,) float32: L2 norm of each image's weights
    minima: np.ndarray  # (U,) float32
    maxima: np.ndarray  # (U,) float32
    symmetric_limit: float  # max |weight| over all images: a colour scale -limit..+limit
    per_class: bool  # the first Dense layer is the output (multinomial): one image per class
    rgb: bool  # the last axis of ``images`` holds the red, green and blue input channels

    def __len__(self) -> int:
        return len(self.images)

    def order_by_norm(self, descending: bool = True) -> "WeightImages":
        """The same images sorted by norm (largest first by default; ties keep unit order)."""
        key = -self.norms.astype(np.float64) if descending else self.norms.astype(np.float64)
        order = np.argsort(key, kind="stable")
        return replace(self, images=self.images[order],
                       labels=[self.labels[i] for i in order], units=self.units[order],
                       biases=self.biases[order], norms=self.norms[order],
                       minima=self.minima[order], maxima=self.maxima[order])

    def colour_images(self, limit: Optional[float] = None,
                      per_image: Optional[bool] = None) -> np.ndarray:
        """(U, H, W, 3) uint8 to draw. Grey-input weights go through ``diverging_rgb`` (green
        positive, purple negative, white zero); colour filters map -limit..+limit to 0..255
        per channel (zero is mid-grey). By default each image is on its own max |weight|, as
        the MNIST notes draw them (on one shared scale most units look faint); ``limit`` (or
        ``per_image=False``) puts them all on one scale (default ``symmetric_limit``)."""
        if per_image is None:
            per_image = limit is None
        if per_image:
            return np.stack([_colour(img, float(np.max(np.abs(img))), self.rgb)
                             for img in self.images]) if len(self) else \
                np.zeros(self.images.shape[:3] + (3,), np.uint8)
        return _colour(self.images, self.symmetric_limit if limit is None else float(limit),
                       self.rgb)


def _colour(values: np.ndarray, limit: float, rgb: bool) -> np.ndarray:
    if not rgb:
        return diverging_rgb(values, limit)
    if not limit > 0:
        return np.full(values.shape, 128, np.uint8)
    scaled = 127.5 + 127.5 * np.clip(values / limit, -1.0, 1.0)
    return np.rint(scaled).astype(np.uint8)


# --- reading the model ------------------------------------------------------------------------
# layers that only move values around (or leave them as they are at inference) before the
# first weights, so a weight still lines up with one input pixel
_PASS_BEFORE_WEIGHTS = ("Flatten", "Reshape", "Dropout", "SpatialDropout1D", "SpatialDropout2D",
                        "GaussianNoise", "GaussianDropout", "AlphaDropout", "Rescaling")


def image_layout(sample_shape: Sequence[int], what: str) -> tuple[tuple[int, ...], bool]:
    """(image shape, rgb) for ``sample_shape``: (H, W) grey, (H, W, 1) grey (channel dropped),
    (H, W, 3) colour. Raises ``ModelError`` naming ``what`` for anything else."""
    shape = tuple(int(d) for d in sample_shape)
    if len(shape) == 2:
        return shape, False
    if len(shape) == 3 and shape[-1] == 1:
        return shape[:2], False
    if len(shape) == 3 and shape[-1] == 3:
        return shape, True
    if len(shape) == 1:
        raise ModelError(f"{what} need image input; this model reads vectors of {shape[0]} "
                         "values (open the data with an image shape to see them as images).")
    raise ModelError(f"{what} need grey or RGB images; the samples have shape {shape}.")


def _unit_labels(n: int, per_class: bool, class_names: Optional[Sequence[str]],
                 prefix: str) -> list[str]:
    names = [str(c) for c in class_names] if class_names is not None else []
    if per_class and len(names) == n:
        return names
    if per_class and n == 1 and len(names) == 2:  # one sigmoid unit: evidence for class 1
        return [f"{names[1]} (vs {names[0]})"]
    return [f"{'class' if per_class else prefix} {i}" for i in range(n)]


def first_layer_weights(model, sample_shape: Optional[Sequence[int]] = None,
                        class_names: Optional[Sequence[str]] = None) -> WeightImages:
    """The first weighted layer's weights as images.

    Dense (reading the flattened input): kernel (D, U) -> U images of the input's image shape;
    when that Dense layer is the model's output (multinomial) the images are labelled with
    ``class_names``. Conv2D: kernel (kh, kw, in, out) -> ``out`` filter images (kh, kw), or
    (kh, kw, 3) colour images when in == 3. ``sample_shape``: the dataset's sample shape
    (default: the model's input shape). Raises ``ModelError`` with the reason when the model
    does not start that way (e.g. an Embedding, or vectors that are not images).
    """
    from ..model.inspect import layer_chain
    from ..model.layers import input_shape
    from ..model.runtime import keras_module

    keras = keras_module()
    what = "Weights as images"
    shape = tuple(sample_shape) if sample_shape is not None else input_shape(model)
    if any(d is None for d in shape):
        raise ModelError(f"{what} need a fixed input shape; this model's is {shape}.")
    chain = layer_chain(model)
    for position, layer in enumerate(chain):
        kind = type(layer).__name__
        if isinstance(layer, keras.layers.Dense):
            return _dense_images(layer, shape, position == len(chain) - 1, class_names, what)
        if isinstance(layer, keras.layers.Conv2D) and kind == "Conv2D":
            return _conv_images(layer, what)
        if kind in _PASS_BEFORE_WEIGHTS or (not layer.weights and kind == "Activation"):
            continue
        raise ModelError(f"{what} need a model whose first layer with weights is Dense or "
                         f"Conv2D, reading the input directly; this one has {kind} "
                         f"({layer.name!r}) first.")
    raise ModelError(f"{what} need a layer with weights; model {model.name!r} has none.")


def _weights(layer) -> tuple[np.ndarray, Optional[np.ndarray]]:
    kernel = np.asarray(layer.kernel.numpy(), dtype=np.float32)
    bias = getattr(layer, "bias", None)
    return kernel, (None if bias is None else np.asarray(bias.numpy(), dtype=np.float32))


def _dense_images(layer, shape: tuple, is_output: bool,
                  class_names: Optional[Sequence[str]], what: str) -> WeightImages:
    image_shape, rgb = image_layout(shape, what)
    kernel, bias = _weights(layer)
    n_in, n_units = kernel.shape
    pixels = int(np.prod(shape))
    if n_in != pixels:
        raise ModelError(f"{what}: Dense layer {layer.name!r} reads {n_in} values at a time, "
                         f"not the {pixels} values of a whole {shape} sample, so its weights "
                         "are not images.")
    # the kernel's rows follow the flattened (row-major) input, as Flatten lays it out
    images = kernel.T.reshape((n_units,) + image_shape)
    return _result(layer, "Dense", images, bias, rgb, is_output,
                   _unit_labels(n_units, is_output, class_names, "unit"))


def _conv_images(layer, what: str) -> WeightImages:
    kernel, bias = _weights(layer)
    kh, kw, n_in, n_out = kernel.shape
    if n_in == 1:
        images, rgb = np.moveaxis(kernel[:, :, 0, :], -1, 0), False
    elif n_in == 3:
        images, rgb = np.moveaxis(kernel, -1, 0), True
    else:
        raise ModelError(f"{what}: the filters of {layer.name!r} read {n_in} channels each; "
                         "only grey (1) or RGB (3) filters can be shown as images.")
    return _result(layer, "Conv2D", np.ascontiguousarray(images), bias, rgb, False,
                   [f"filter {i}" for i in range(n_out)])


def _result(layer, kind: str, images: np.ndarray, bias: Optional[np.ndarray], rgb: bool,
            per_class: bool, labels: list[str]) -> WeightImages:
    images = images.astype(np.float32, copy=False)
    n = len(images)
    flat = images.reshape(n, -1).astype(np.float64)
    return WeightImages(
        layer_name=layer.name,
        layer_type=kind,
        images=images,
        labels=labels,
        units=np.arange(n, dtype=np.int64),
        biases=np.zeros(n, np.float32) if bias is None else bias.astype(np.float32),
        norms=np.sqrt((flat ** 2).sum(axis=1)).astype(np.float32),
        minima=flat.min(axis=1).astype(np.float32),
        maxima=flat.max(axis=1).astype(np.float32),
        symmetric_limit=float(np.abs(flat).max()) if flat.size else 0.0,
        per_class=per_class,
        rgb=rgb,
    )
