"""Fit images to a model made for another input size (issue 19 §3): the course's LeNet takes
MNIST zero-padded to 32 × 32, and a model file made that way is refused on 28 × 28 data unless
the images are padded (or resized) to its input. Qt-free, TensorFlow-free: numpy and Pillow.
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from ..errors import ShapeMismatchError
from .types import Dataset

FIT_MODES = ("pad", "resize")


def spatial_mismatch(want: Sequence[Optional[int]], have: Sequence[int]) -> bool:
    """Whether images of shape ``have`` (H×W or H×W×C) differ from a model input ``want`` only
    in height/width (and a missing channel axis of 1): what ``fit_images`` can fix."""
    want, have = tuple(want), tuple(int(h) for h in have)
    if len(have) not in (2, 3) or len(want) not in (2, 3) or None in want[:2]:
        return False
    c_want = want[2] if len(want) == 3 else None
    c_have = have[2] if len(have) == 3 else None
    channels_ok = c_want == c_have or (c_have is None and c_want == 1)
    return channels_ok and tuple(want[:2]) != have[:2]


def _pad(x: np.ndarray, h: int, w: int) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    hh, hw = x.shape[1:3]
    top, left = (h - hh) // 2, (w - hw) // 2
    widths = [(0, 0), (top, h - hh - top), (left, w - hw - left)] + [(0, 0)] * (x.ndim - 3)
    return np.pad(x, widths, mode="constant"), (top, h - hh - top, left, w - hw - left)


def _resize(x: np.ndarray, h: int, w: int) -> np.ndarray:
    """Each image resized to fit ``h`` x ``w`` with its aspect kept (bilinear), centred, the
    rest zeros; images of the model's aspect fill it exactly."""
    from PIL import Image

    hh, hw = x.shape[1:3]
    scale = min(h / hh, w / hw)
    nh, nw = max(1, min(h, round(hh * scale))), max(1, min(w, round(hw * scale)))
    top, left = (h - nh) // 2, (w - nw) // 2
    out = np.zeros((len(x), h, w) + x.shape[3:], dtype=x.dtype)
    for i, img in enumerate(x):
        out[i, top:top + nh, left:left + nw] = np.asarray(
            Image.fromarray(img).resize((nw, nh), Image.Resampling.BILINEAR))
    return out


def fit_images(dataset: Dataset, want: Sequence[Optional[int]], how: str) -> Optional[str]:
    """Pad (zeros, centred) or resize ``dataset``'s images in place to the model input ``want``
    (adding a channel axis of 1 when the model has one and the data does not); returns the
    note to show, or None when the images fit already or this is not an image size mismatch
    (the model's own shape check then says what is wrong). ``ShapeMismatchError`` when padding
    would have to crop."""
    if how not in FIT_MODES:
        raise ShapeMismatchError(f"--fit-input must be one of {', '.join(FIT_MODES)}, not "
                                 f"{how!r}")
    have = tuple(int(d) for d in dataset.sample_shape)
    if dataset.kind != "image" or not spatial_mismatch(want, have):
        return None
    h, w = int(want[0]), int(want[1])
    parts = []
    for name in ("x_train", "x_test"):
        x = getattr(dataset, name)
        if len(x) == 0:
            x = np.zeros((0, h, w) + x.shape[3:], dtype=x.dtype)
        elif how == "pad":
            if h < have[0] or w < have[1]:
                raise ShapeMismatchError(
                    f"The model expects {h}×{w} images but dataset {dataset.name!r} has "
                    f"{have[0]}×{have[1]}: padding cannot shrink them; use --fit-input resize.")
            x, margins = _pad(x, h, w)
            parts = margins
        else:
            x = _resize(x, h, w)
        setattr(dataset, name, x)
    if len(want) == 3 and len(have) == 2:  # the model has a channel axis of 1
        dataset.x_train, dataset.x_test = dataset.x_train[..., None], dataset.x_test[..., None]
    if how == "pad":
        top, bottom, left, right = parts
        note = (f"The model expects {h}×{w} input: the {have[0]}×{have[1]} images were "
                f"zero-padded ({top} rows above, {bottom} below, {left} columns left, {right} "
                f"right), as the course pads MNIST for LeNet.")
    else:
        note = (f"The model expects {h}×{w} input: the {have[0]}×{have[1]} images were resized "
                f"to {h}×{w} (bilinear, aspect kept"
                + (", the rest padded with zeros)." if have[0] * w != have[1] * h else ").")
                )
    dataset.notes = list(dataset.notes) + [note]
    return note


def pad_model_input(model, have: Sequence[int]):
    """The window's way: a Sequential model made for larger images gets a ZeroPadding2D layer
    (``fit_input_pad``, and a channel axis when it has one and the data not) in front, sharing
    its weights, so the data and every view stay as they are. ``(model, note)``, or None when
    this is not a padding case (the shape check then says what is wrong)."""
    from ..model.layers import input_shape
    from ..model.presets import compile_model
    from ..model.runtime import keras_module

    keras = keras_module()
    want, have = input_shape(model), tuple(int(d) for d in have)
    if not isinstance(model, keras.Sequential) or not spatial_mismatch(want, have):
        return None
    h, w = int(want[0]), int(want[1])
    # only a frame (28 → 32, as the course pads MNIST): 8×8 digits padded into a 28×28 model
    # would be a different task, and stay refused
    if not (have[0] <= h <= have[0] * 1.25 and have[1] <= w <= have[1] * 1.25):
        return None
    top, left = (h - have[0]) // 2, (w - have[1]) // 2
    front = [keras.Input(have, name="input")]
    if len(have) == 2:  # ZeroPadding2D needs a channel axis
        front.append(keras.layers.Reshape(have + (1,), name="fit_channel"))
    front.append(keras.layers.ZeroPadding2D(((top, h - have[0] - top),
                                             (left, w - have[1] - left)), name="fit_input_pad"))
    if len(want) == 2:  # the model reads images without a channel axis
        front.append(keras.layers.Reshape((h, w), name="fit_no_channel"))
    padded = keras.Sequential(front + list(model.layers), name=model.name)
    compile_model(padded)
    note = (f"The model expects {h}×{w} input: the {have[0]}×{have[1]} images are zero-padded "
            f"to it by its first layer, fit_input_pad (as the course pads MNIST for LeNet).")
    return padded, note


def resize_model_input(model, have: Sequence[int]):
    """The window's way for a model made for another image size that padding does not fit (a
    MobileNetV2 at 96×96 on a folder read at 32×32): the model, nested whole, behind a
    ``fit_input_resize`` layer that resizes each image to its input with the aspect kept
    (bilinear, the rest padded with zeros), so the data and every view stay as they are and
    its layers are read by path (``mobilenetv2/block_6_add``). ``(model, note)`` or None."""
    from ..model.layers import input_shape
    from ..model.presets import compile_model
    from ..model.runtime import keras_module

    keras = keras_module()
    want, have = input_shape(model), tuple(int(d) for d in have)
    if not spatial_mismatch(want, have):
        return None
    h, w = int(want[0]), int(want[1])
    inp = keras.Input(have, name="input")
    x = inp if len(have) == 3 else keras.layers.Reshape(have + (1,), name="fit_channel")(inp)
    x = keras.layers.Resizing(h, w, pad_to_aspect_ratio=True, name="fit_input_resize")(x)
    if len(want) == 2:
        x = keras.layers.Reshape((h, w), name="fit_no_channel")(x)
    wrapped = keras.Model(inp, model(x), name=f"{model.name}_fitted")
    compile_model(wrapped)
    note = (f"The model expects {h}×{w} input: the {have[0]}×{have[1]} images are resized to it "
            f"(aspect kept, bilinear) by a first layer, fit_input_resize; the model's own layers "
            f"are under {model.name} in the layer list.")
    return wrapped, note


def wants_channel_only(want: Sequence[Optional[int]], have: Sequence[int]) -> bool:
    """Whether a model input ``want`` (H, W, 1) differs from grey images ``have`` (H, W) only by
    the channel axis of 1: the usual Keras CNN trained on MNIST-like data."""
    want, have = tuple(want), tuple(int(h) for h in have)
    return (len(have) == 2 and len(want) == 3 and want[2] == 1
            and all(w is None or w == h for w, h in zip(want[:2], have)))


def add_channel_axis(dataset: Dataset, want: Sequence[Optional[int]]) -> Optional[str]:
    """The CLI's way (as ``fit_images``): grey H×W images get the channel axis of 1 a model
    reading H×W×1 wants, in place (lossless); the note, or None when that is not the case."""
    if dataset.kind != "image" or not wants_channel_only(want, dataset.sample_shape):
        return None
    dataset.x_train, dataset.x_test = dataset.x_train[..., None], dataset.x_test[..., None]
    h, w = (int(d) for d in dataset.sample_shape[:2])
    note = f"The model reads {h}×{w}×1 input: the grey images were given a channel axis of 1."
    dataset.notes = list(dataset.notes) + [note]
    return note


def channel_model_input(model, have: Sequence[int]):
    """The window's way for a model reading H×W×1 on grey H×W images (the data stays shared by
    both compared models): a ``fit_channel`` Reshape in front of the model, sharing its weights
    — a Sequential's layers stay flat, a functional model is nested under its name. ``(model,
    note)``, or None when that is not the case (the shape check then says what is wrong)."""
    from ..model.layers import input_shape
    from ..model.presets import compile_model
    from ..model.runtime import keras_module

    keras = keras_module()
    want, have = input_shape(model), tuple(int(d) for d in have)
    if not wants_channel_only(want, have):
        return None
    inp = keras.Input(have, name="input")
    reshape = keras.layers.Reshape(have + (1,), name="fit_channel")
    if isinstance(model, keras.Sequential):
        fitted = keras.Sequential([inp, reshape] + list(model.layers), name=model.name)
        where = ""
    else:
        fitted = keras.Model(inp, model(reshape(inp)), name=f"{model.name}_fitted")
        where = f"; the model's own layers are under {model.name} in the layer list"
    compile_model(fitted)
    note = (f"The model reads {have[0]}×{have[1]}×1 input: its first layer, fit_channel, gives "
            f"the grey images their channel axis of 1{where}.")
    return fitted, note
