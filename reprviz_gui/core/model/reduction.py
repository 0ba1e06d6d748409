"""Reducing a convolutional (or sequence) layer's feature maps to one row per sample.

ONE function, ``reduce_activations``, applied to each batch inside extraction, so a layer's
full maps (a MobileNetV2 block: 48 x 48 x 96 floats per image) are never held for all samples:
only the reduced rows are. The window, ``analyze --reduction`` and the streamed cache all call
it, so they give the same numbers.

- ``"mean"``: global average per channel (the default once flattening would exceed
  ``DEFAULT_MAX_WIDTH`` values), what Keras's GlobalAveragePooling computes;
- ``"max"``: global max per channel;
- ``"flatten"``: every value (the width is the product of the shape);
- ``"crop"``: the centre ``crop`` x ``crop`` window of every channel, flattened.

The channel axis is the last one (Keras's default ``channels_last``); a 2-D batch (Dense) is
returned as it is whatever ``how`` says: there is nothing to reduce.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from ..errors import ReprvizError

REDUCTIONS: tuple[str, ...] = ("mean", "max", "flatten", "crop")
LABELS = {"mean": "global average per channel", "max": "global max per channel",
          "flatten": "flattened", "crop": "centre crop"}
# flattening a map wider than this is not the default: a 96x96 MobileNetV2's first block is
# 36,864 values per image (48x48x16); the views, cosine and metrics want hundreds to a few
# thousand. The course LeNet's first convolution (28x28x6 = 4,704; 32x32x6 = 6,144) stays
# flattened, as it always was
DEFAULT_MAX_WIDTH = 8192
DEFAULT_CROP = 3


class ReductionError(ReprvizError):
    """An unknown reduction name or a crop that does not fit."""


def check_reduction(how: str) -> str:
    how = str(how).strip().lower()
    if how not in REDUCTIONS:
        raise ReductionError(f"Unknown reduction {how!r}; choose one of: {', '.join(REDUCTIONS)}.")
    return how


def has_maps(shape: Sequence[Optional[int]]) -> bool:
    """Whether a layer's output shape (without the batch axis) has axes to reduce: positions
    (and channels), not just units."""
    return len(tuple(shape)) >= 2


def default_reduction(shape: Sequence[Optional[int]], max_width: int = DEFAULT_MAX_WIDTH) -> str:
    """``"flatten"`` when the flattened width fits ``max_width`` (or there is nothing to
    reduce), else ``"mean"``. ``shape`` excludes the batch axis; an unknown size counts as wide.
    Sequences (steps x features: an embedding, an LSTM returning sequences) stay flattened
    unless asked, as the course's views show them: the order of the words is what they hold;
    only maps with positions in two or more axes (images) default to the global average."""
    shape = tuple(shape)
    if len(shape) < 3:
        return "flatten" if None not in shape else "mean"
    if any(d is None for d in shape):
        return "mean"
    return "flatten" if int(np.prod(shape)) <= int(max_width) else "mean"


def reduced_width(shape: Sequence[Optional[int]], how: str, crop: int = DEFAULT_CROP) -> int:
    """Values per sample after ``how`` (what the layer list shows next to the choice)."""
    shape = tuple(shape)
    how = check_reduction(how)
    if not has_maps(shape) or how == "flatten":
        if any(d is None for d in shape):
            raise ReductionError(f"A layer of shape {shape} has positions of unknown size: "
                                 "flattening it gives rows of different widths; use mean or max.")
        return int(np.prod(shape or (1,)))
    channels = int(shape[-1]) if shape[-1] is not None else 0
    if how in ("mean", "max"):
        return channels
    spatial = [_crop_size(d, crop) for d in shape[:-1]]
    return int(np.prod(spatial)) * channels


def _crop_size(d: Optional[int], crop: int) -> int:
    if d is None:
        raise ReductionError("A centre crop needs positions of known size; use mean or max.")
    return min(int(d), int(crop))


def reduce_activations(batch: np.ndarray, how: str, crop: int = DEFAULT_CROP) -> np.ndarray:
    """``(B, ...)`` activations -> ``(B, width)`` float32, per ``how`` (see the module text).

    The crop keeps ``crop`` positions along each spatial axis around the centre (all of an
    axis shorter than that). Channels last, so ``mean`` of a ``(B, H, W, C)`` batch equals
    ``keras.layers.GlobalAveragePooling2D()`` of it.
    """
    how = check_reduction(how)
    a = np.asarray(batch)
    if a.ndim < 1:
        raise ReductionError("A batch of activations needs a sample axis.")
    b = a.shape[0]
    if a.ndim <= 2 or how == "flatten":
        return np.ascontiguousarray(a.reshape(b, -1), dtype=np.float32)
    spatial_axes = tuple(range(1, a.ndim - 1))
    if how == "mean":
        # float64 sums: a 48x48 map of float32 loses digits otherwise
        return a.mean(axis=spatial_axes, dtype=np.float64).astype(np.float32)
    if how == "max":
        return a.max(axis=spatial_axes).astype(np.float32, copy=False)
    if int(crop) < 1:
        raise ReductionError(f"A centre crop must keep at least 1 position, not {crop}.")
    index = [slice(None)]
    for d in a.shape[1:-1]:
        k = min(int(d), int(crop))
        start = (int(d) - k) // 2
        index.append(slice(start, start + k))
    index.append(slice(None))
    return np.ascontiguousarray(a[tuple(index)].reshape(b, -1), dtype=np.float32)


def graph_reduce(tensor, how: str, ops):
    """``reduce_activations``' mean or max inside a Keras graph (``ops`` is ``keras.ops``,
    passed in so this module never imports TensorFlow): over every axis but the sample and
    the channel axes, as the numpy version, so the numbers agree (a test compares them)."""
    axes = tuple(range(1, len(tensor.shape) - 1))
    if not axes:
        return tensor
    return ops.mean(tensor, axis=axes) if how == "mean" else ops.max(tensor, axis=axes)


def describe(how: str, shape: Sequence[Optional[int]] = (), crop: int = DEFAULT_CROP) -> str:
    """What the views say about the reduction in use: ``"global average per channel of
    48x48x16 -> 16"``; empty for a layer without maps."""
    shape = tuple(shape)
    if shape and not has_maps(shape):
        return ""
    how = check_reduction(how)
    label = LABELS[how] + (f" {crop}x{crop}" if how == "crop" else "")
    if not shape:
        return label
    dims = "x".join("?" if d is None else str(d) for d in shape)
    try:
        width = reduced_width(shape, how, crop)
    except ReductionError:
        return f"{label} of {dims}"
    return f"{label} of {dims} -> {width:,}"
