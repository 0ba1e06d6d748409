"""Important regions of the input for each class: back-projection of the weights (the course's
hand-made network) and gradient saliency (any model with numeric input).

Keras/TensorFlow are imported lazily inside the functions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from ..errors import ModelError, ShapeMismatchError
from ..progress import ProgressFn, StopFn, check_stop, report
from .weights import image_layout

# What the view shows next to each map: plain language for students.
REGION_DESCRIPTIONS: dict[str, str] = {
    "backprojection": (
        "Back-projection sends each class's output back through the network's weights to the "
        "pixels: k = onehot(class) · Wₙᵀ · … · W₁ᵀ, leaving out the biases and the activation "
        "functions. Green pixels push the class's score up, purple ones push it down, as if "
        "the network were one linear layer. It depends only on the weights, not on any image, "
        "and it needs a network made only of Dense layers."),
    "saliency": (
        "Saliency is the gradient of the class's score with respect to every input pixel, "
        "averaged over the images of that class: how much a small brightening of that pixel "
        "would raise (green) or lower (purple) the score for those very images. It goes "
        "through the real network, activation functions included, so it works for any model "
        "that reads pixels or numbers (convolutions too)."),
    "difference": (
        "Back-projection asks what the weights favour in general, with the network flattened "
        "to one linear map; saliency asks what changes the score of the actual images of the "
        "class, through the real, non-linear network. Where they agree, the linear picture "
        "is a fair summary; where they differ, the activations (for example ReLUs that stay "
        "off for these images) decide what matters."),
}

SCORE_DESCRIPTIONS: dict[str, str] = {
    "logit": "the class's score before the softmax (its logit)",
    "probability": "the class's output probability (the score before the output activation "
                   "could not be reached in this model)",
}


# --- back-projection --------------------------------------------------------------------------
_PASS_THROUGH = ("Flatten", "Dropout", "Reshape", "Activation", "SpatialDropout1D",
                 "SpatialDropout2D", "GaussianDropout", "GaussianNoise", "AlphaDropout")


def class_backprojection(model, sample_shape: Optional[Sequence[int]] = None) -> np.ndarray:
    """(C, *image_shape) float32: row c is onehot(c) · Wₙᵀ · … · W₁ᵀ over all Dense layers from
    input to output, biases and activations left out, reshaped to the input image. Image
    shape: ``sample_shape`` (default: the model's input shape) with a trailing single channel
    dropped. A model with one sigmoid output unit gets two rows: class 0 (-k) and class 1 (k).
    Raises ``ModelError`` naming the first layer that is not Dense/Flatten/Dropout/Reshape."""
    from ..model.inspect import layer_chain
    from ..model.layers import input_shape
    from ..model.runtime import keras_module

    keras = keras_module()
    what = "Important regions"
    shape = tuple(sample_shape) if sample_shape is not None else input_shape(model)
    if any(d is None for d in shape):
        raise ModelError(f"{what} need a fixed input shape; this model's is {shape}.")
    kernels: list[tuple[str, np.ndarray]] = []
    for layer in layer_chain(model):
        kind = type(layer).__name__
        if isinstance(layer, keras.layers.Dense):
            kernels.append((layer.name, np.asarray(layer.kernel.numpy(), dtype=np.float64)))
        elif kind not in _PASS_THROUGH:
            raise ModelError(f"{what} need a model made only of Dense layers (Flatten, Dropout "
                             f"and Reshape pass through); this one has {kind} ({layer.name!r}).")
    if not kernels:
        raise ModelError(f"{what} need at least one Dense layer; model {model.name!r} has none.")
    image_shape, _ = image_layout(shape, what)
    width = int(np.prod(shape))
    for layer_name, kernel in kernels:
        if kernel.shape[0] != width:
            raise ModelError(f"{what}: Dense layer {layer_name!r} reads {kernel.shape[0]} values "
                             f"at a time, not the {width} its previous layer gives, so the "
                             "weights cannot be multiplied through.")
        width = kernel.shape[1]
    total = kernels[0][1]  # W1 · W2 · … · Wn: (pixels, outputs); k for class c is its column c
    for _, kernel in kernels[1:]:
        total = total @ kernel
    k = total.T
    if k.shape[0] == 1:  # one sigmoid unit: its logit is evidence for class 1, against class 0
        k = np.concatenate([-k, k])
    return k.reshape((k.shape[0],) + image_shape).astype(np.float32)


# --- saliency ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class SaliencyMaps:
    maps: np.ndarray  # (C, *input_shape) float32: mean gradient over the class's samples
    abs_maps: np.ndarray  # (C, *input_shape) float32: mean |gradient| (where it matters at all)
    counts: np.ndarray  # (C,) int64 samples averaged per class (0: that map is all zeros)
    score: str  # "logit" or "probability": what was differentiated (see SCORE_DESCRIPTIONS)


# layers that are the identity at inference: the score can be read before them
_IDENTITY_AT_INFERENCE = ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianDropout",
                          "GaussianNoise", "AlphaDropout")


def _score_model(model, keras):
    """(callable x -> (B, K) scores, "logit" | "probability"). The pre-activation score is
    reached when the last layer that computes something is a Dense or Activation layer of the
    model itself (its input times kernel plus bias, or its input); a linear output is already
    the logit. Otherwise the model's output is differentiated as it is."""
    from ..model.inspect import layer_chain
    from ..model.layers import output_kind

    def whole(x):
        return model(x, training=False)

    try:
        chain = layer_chain(model)
    except ModelError:
        chain = list(model.layers[-1:])
    last = next((layer for layer in reversed(chain)
                 if type(layer).__name__ not in _IDENTITY_AT_INFERENCE), None)
    is_dense = isinstance(last, keras.layers.Dense)
    if is_dense or type(last).__name__ in ("Activation", "Softmax"):
        activation = "softmax" if type(last).__name__ == "Softmax" else \
            getattr(getattr(last, "activation", None), "__name__", "")
        if activation == "linear":
            return whole, "logit"
        if activation not in ("softmax", "sigmoid"):  # not a squashing output: take it as is
            return whole, "logit" if output_kind(model)[1] else "probability"
        try:  # only a layer of this model's own graph can be read from its input
            features = keras.Model(model.inputs, last.input)
        except Exception:
            features = None
        if features is not None and is_dense:
            def dense_logits(x):
                z = keras.ops.matmul(features(x, training=False), last.kernel)
                return z + last.bias if last.bias is not None else z
            return dense_logits, "logit"
        if features is not None:
            return (lambda x: features(x, training=False)), "logit"
        return whole, "probability"
    return whole, "logit" if output_kind(model)[1] else "probability"


def class_saliency(model, x: np.ndarray, labels: np.ndarray, n_classes: int,
                   batch_size: int = 128, on_progress: ProgressFn | None = None,
                   should_stop: StopFn | None = None) -> SaliencyMaps:
    """Per class c, the gradient of c's score with respect to the input, averaged over the
    samples whose label is c. ``x``: model-ready input (``dataset.inputs(...)``); the maps have
    its sample shape. The score is the logit when it can be reached, else the probability
    (``SaliencyMaps.score``); for one sigmoid unit, class 1's score is z (or p) and class 0's
    is -z (or 1 - p). Reports stage ``"saliency"`` per batch; cancels between batches."""
    from ..model.layers import expects_tokens
    from ..model.runtime import keras_module, tf_module

    keras = keras_module()
    tf = tf_module()
    x = np.asarray(x)
    labels = np.asarray(labels).reshape(-1).astype(np.int64)
    n_classes = int(n_classes)
    if len(labels) != len(x):
        raise ShapeMismatchError(f"Saliency got {len(x)} samples but {len(labels)} labels.")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ShapeMismatchError(f"Saliency: a label lies outside the classes 0..{n_classes - 1}.")
    if expects_tokens(model) or not np.issubdtype(x.dtype, np.floating):
        raise ModelError("Saliency needs numeric input (pixels or features); this model reads "
                         "token ids, which have no gradient.")
    width = int(model.outputs[0].shape[-1])
    if (2 if width == 1 else width) != n_classes:
        raise ShapeMismatchError(f"Saliency: the model has {width} output unit"
                                 f"{'s' if width != 1 else ''} but the data has {n_classes} "
                                 "classes.")
    scores_of, kind = _score_model(model, keras)
    sums = np.zeros((n_classes,) + x.shape[1:], np.float64)
    abs_sums = np.zeros_like(sums)
    counts = np.bincount(labels, minlength=n_classes).astype(np.int64)
    batch_size = max(1, int(batch_size))
    batches = max(1, -(-len(x) // batch_size))
    started = time.perf_counter()
    for b, start in enumerate(range(0, len(x), batch_size), start=1):
        check_stop(should_stop)
        xb = tf.convert_to_tensor(x[start:start + batch_size], dtype=tf.float32)
        yb = labels[start:start + batch_size]
        with tf.GradientTape() as tape:
            tape.watch(xb)
            scores = scores_of(xb)
            scores = tf.reshape(scores, (tf.shape(scores)[0], -1))
            if scores.shape[-1] == 1:  # binary: class 0 is the other side of the same unit
                s = scores[:, 0]
                scores = tf.stack([-s if kind == "logit" else 1.0 - s, s], axis=1)
            # samples are independent at inference, so the gradient of the sum holds each
            # sample's own gradient in its own row
            picked = tf.gather(scores, tf.constant(yb), axis=1, batch_dims=1)
            total = tf.reduce_sum(picked)
        grads = tape.gradient(total, xb)
        if grads is None:
            raise ModelError("Saliency: the model's output does not depend on its input through "
                             "differentiable operations.")
        g = np.asarray(grads, dtype=np.float64)
        np.add.at(sums, yb, g)
        np.add.at(abs_sums, yb, np.abs(g))
        elapsed = time.perf_counter() - started
        report(on_progress, "saliency", b / batches, f"Saliency: batch {b}/{batches}",
               elapsed / b * (batches - b), batch=b, batches=batches)
    check_stop(should_stop)
    scale = np.where(counts > 0, counts, 1).reshape((-1,) + (1,) * (x.ndim - 1))
    return SaliencyMaps(maps=(sums / scale).astype(np.float32),
                        abs_maps=(abs_sums / scale).astype(np.float32),
                        counts=counts, score=kind)
