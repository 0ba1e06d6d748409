"""Grad-CAM for one input of a convolutional model (issue 16 §2, the *Your input* view and
``analyze --input``): the last convolutional layer's feature maps weighted by the spatial mean of
the class score's gradient with respect to them, summed over channels, clipped at zero and
upsampled (bilinear) to the input's height and width (Selvaraju et al. 2017).

The score is the class's logit where it can be reached (the last Dense layer's input times its
kernel plus bias, as gradient saliency uses), else its probability. The layers after the
convolution are applied one by one from the feature maps, so the model must be a plain chain
(``inspect.layer_chain``). Keras/TF are imported lazily; no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..errors import ModelError

_CONV = ("Conv2D", "SeparableConv2D", "DepthwiseConv2D", "Conv2DTranspose")


@dataclass(frozen=True)
class GradCam:
    map: np.ndarray  # (H, W) float32 >= 0, the input's height and width
    layer: str  # the convolutional layer it was read from
    score: str  # "logit" | "probability"


def last_conv_layer(model) -> Optional[object]:
    """The model's last 2-D convolution (None: it has none, so Grad-CAM does not apply)."""
    from ..model.inspect import layer_chain

    try:
        chain = layer_chain(model)
    except ModelError:
        return None
    return next((layer for layer in reversed(chain) if type(layer).__name__ in _CONV), None)


def grad_cam(model, x: np.ndarray, cls: int, size: Optional[tuple[int, int]] = None) -> GradCam:
    """Grad-CAM of class ``cls`` for the one model-ready input ``x`` (shape (1, ...)), upsampled
    to ``size`` (height, width; default: ``x``'s own, for image-shaped input)."""
    from ..model.inspect import layer_chain
    from ..model.runtime import keras_module, tf_module

    keras, tf = keras_module(), tf_module()
    conv = last_conv_layer(model)
    if conv is None:
        raise ModelError("Grad-CAM needs a convolutional model (a Conv2D layer in a plain "
                         "chain of layers); use gradient saliency for this one.")
    chain = layer_chain(model)
    after = chain[chain.index(conv) + 1:]
    while after and type(after[-1]).__name__ in ("Dropout",):
        after = after[:-1]
    last = after[-1] if after else None
    squash = getattr(getattr(last, "activation", None), "__name__", "")
    logit = isinstance(last, keras.layers.Dense) and squash in ("softmax", "sigmoid", "linear")
    features = keras.Model(model.inputs, conv.output)
    xb = tf.convert_to_tensor(np.asarray(x), dtype=tf.float32)
    maps = features(xb, training=False)
    with tf.GradientTape() as tape:
        tape.watch(maps)
        h = maps
        for layer in (after[:-1] if logit else after):
            h = layer(h, training=False)
        if logit:  # the last Dense's pre-activation: its input times kernel plus bias
            h = tf.matmul(h, last.kernel) + (last.bias if last.use_bias else 0.0)
        h = tf.reshape(h, (tf.shape(h)[0], -1))
        if h.shape[-1] == 1:  # one sigmoid unit: class 0 is the other side of it
            s = h[:, 0]
            h = tf.stack([-s if logit else 1.0 - s, s], axis=1)
        score = h[0, int(cls)]
    grads = tape.gradient(score, maps)
    if grads is None:
        raise ModelError("Grad-CAM: the score does not depend on the last convolution's maps.")
    weights = tf.reduce_mean(grads, axis=(1, 2))  # (1, channels): one weight per feature map
    cam = tf.nn.relu(tf.reduce_sum(maps * weights[:, None, None, :], axis=-1))  # (1, h, w)
    size = tuple(int(s) for s in (size or xb.shape[1:3]))
    up = tf.image.resize(cam[..., None], size, method="bilinear")[0, ..., 0]
    return GradCam(np.asarray(up, dtype=np.float32), conv.name,
                   "logit" if logit else "probability")
