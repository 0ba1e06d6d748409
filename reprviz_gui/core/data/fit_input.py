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
    from PIL import Image

    out = np.empty((len(x), h, w) + x.shape[3:], dtype=x.dtype)
    for i, img in enumerate(x):
        out[i] = np.asarray(Image.fromarray(img).resize((w, h), Image.Resampling.BILINEAR))
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
                f"to {h}×{w} (bilinear).")
    dataset.notes = list(dataset.notes) + [note]
    return note
