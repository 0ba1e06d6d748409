"""Input preprocessing for models trained elsewhere: images (0–255) scaled the way the model
was trained. reprviz's own models take 0–1 (``"unit"``, the default); a Keras Applications
network expects its family's ``preprocess_input``; many published models take −1–1.

Qt-free and TensorFlow-free: the Keras Applications modes are written out here in numpy (the
three modes of ``keras.applications.imagenet_utils.preprocess_input``; a test compares each
family with Keras's own function), so choosing one never imports TensorFlow on a data thread.
"""

from __future__ import annotations

import numpy as np

from ..errors import ReprvizError

# mode of each Keras Applications family's preprocess_input
_TF = ("mobilenet", "mobilenet_v2", "inception_v3", "inception_resnet_v2", "xception",
       "nasnet", "resnet_v2")
_TORCH = ("densenet",)
_CAFFE = ("vgg16", "vgg19", "resnet", "resnet50")
# these include their own rescaling layer: preprocess_input passes 0–255 through
_PASS = ("efficientnet", "efficientnet_v2", "convnext", "regnet", "mobilenet_v3")
FAMILIES: dict[str, str] = {**{f: "tf" for f in _TF}, **{f: "torch" for f in _TORCH},
                            **{f: "caffe" for f in _CAFFE}, **{f: "raw" for f in _PASS}}
PREPROCESS: tuple[str, ...] = ("unit", "symmetric") + tuple(FAMILIES)
LABELS = {"unit": "scaled to 0–1", "symmetric": "scaled to −1–1"}

_CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)
_TORCH_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_TORCH_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


class PreprocessError(ReprvizError):
    """An unknown preprocessing, or a family's needing colour images."""


def check_preprocess(how: str) -> str:
    how = str(how).strip().lower()
    if how not in PREPROCESS:
        raise PreprocessError(f"Unknown preprocessing {how!r}; choose unit (0–1), symmetric "
                              f"(−1–1) or a Keras Applications family: {', '.join(FAMILIES)}.")
    return how


def describe(how: str) -> str:
    how = check_preprocess(how)
    if how in LABELS:
        return LABELS[how]
    return f"keras.applications.{how}.preprocess_input ({FAMILIES[how]} mode)"


def preprocess_images(x: np.ndarray, how: str) -> np.ndarray:
    """Images with values 0–255 (channels last) -> float32 model input per ``how``."""
    how = check_preprocess(how)
    out = np.asarray(x, dtype=np.float32)
    if how == "unit":
        return out / np.float32(255.0)
    mode = FAMILIES.get(how, "tf" if how == "symmetric" else "")
    if mode == "tf":
        return out / np.float32(127.5) - np.float32(1.0)
    if mode == "raw":
        return out
    if out.ndim < 2 or out.shape[-1] != 3:
        raise PreprocessError(f"{how}'s preprocess_input works on colour images (3 channels, "
                              f"last); these have shape {tuple(out.shape[1:])}.")
    if mode == "torch":
        return (out / np.float32(255.0) - _TORCH_MEAN) / _TORCH_STD
    return out[..., ::-1] - _CAFFE_MEAN_BGR  # caffe: RGB -> BGR, minus ImageNet's means
