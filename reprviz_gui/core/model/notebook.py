"""The hand-made network's own configuration (the course's 400-14-10 notebook), as the
``sigmoid-mlp`` preset's style "notebook":

- sigmoid outputs, one per class, and the cost summed over the classes (one-vs-all)::

      J(θ) = −1/m Σ_i Σ_k [ y_ik log h_ik + (1 − y_ik) log(1 − h_ik) ]  +  λ/(2m) Σ θ²

  where the penalty sums the squared weights of every layer, biases excluded;
- initial weights and biases uniform in ±ε (ε = 0.12 as the notebook; ε = 0 means
  sqrt(6)/sqrt(fan_in + fan_out) per layer, the notebook's suggested rule = Glorot uniform);
- full-batch gradient descent (plain SGD, one batch of all m training rows per epoch).

Keras adds its regularizers to the batch-mean loss as they are, so the notebook's λ/(2m) needs
m, the number of rows trained on: ``NotebookL2`` keeps it in a variable that ``train`` sets
(``set_training_size``) once it knows the validation split. Keras's own ``L2(λ)`` adds λ·Σw²
to a per-sample mean, ~2m times the notebook's penalty for the same λ (m = 4,500: ~9,000×).
"""

from __future__ import annotations

from typing import Any

from .runtime import keras_module

STYLE_ATTR = "_reprviz_style"  # set on a model built in the notebook style
_EPSILON = 1e-7  # probabilities are clipped as Keras's own cross-entropy clips them
_classes: dict[str, Any] = {}


def _make_classes() -> dict[str, Any]:
    if _classes:
        return _classes
    keras = keras_module()
    ops = keras.ops

    @keras.saving.register_keras_serializable(package="reprviz")
    class NotebookL2(keras.regularizers.Regularizer):
        """λ/(2m)·Σw², m read from a variable at every step (``set_training_size``)."""

        def __init__(self, l2: float = 0.0, m: float = 1.0) -> None:
            self.l2 = float(l2)
            self.m = keras.Variable(float(m), trainable=False, dtype="float32",
                                    name="notebook_m")

        def __call__(self, x):
            return self.l2 / (2.0 * self.m) * ops.sum(ops.square(x))

        def get_config(self) -> dict:
            return {"l2": self.l2, "m": float(self.m.numpy())}

    @keras.saving.register_keras_serializable(package="reprviz")
    def notebook_cost(y_true, y_pred):
        """Per sample: −Σ_k [y_k log h_k + (1 − y_k) log(1 − h_k)] with y one-hot of the
        integer label (Keras averages it over the batch: the 1/m)."""
        k = ops.shape(y_pred)[-1]
        y = ops.one_hot(ops.cast(ops.reshape(y_true, (-1,)), "int32"), k)
        h = ops.clip(y_pred, _EPSILON, 1.0 - _EPSILON)
        return -ops.sum(y * ops.log(h) + (1.0 - y) * ops.log(1.0 - h), axis=-1)

    _classes.update(NotebookL2=NotebookL2, notebook_cost=notebook_cost)
    return _classes


def regularizer(l2: float):
    """The notebook's λ/(2m)·Σw² (m set by ``set_training_size``); None when λ is 0."""
    return _make_classes()["NotebookL2"](l2) if l2 > 0 else None


def initializer(epsilon: float):
    """Uniform in ±ε; ε = 0: sqrt(6)/sqrt(fan_in + fan_out), i.e. Glorot uniform."""
    keras = keras_module()
    if epsilon <= 0:
        return keras.initializers.GlorotUniform()
    return keras.initializers.RandomUniform(-float(epsilon), float(epsilon))


def cost():
    return _make_classes()["notebook_cost"]


def is_notebook(model) -> bool:
    """A model built in the notebook style (full-batch gradient descent, the summed cost)."""
    return getattr(model, STYLE_ATTR, "") == "notebook"


def mark(model) -> None:
    setattr(model, STYLE_ATTR, "notebook")


def set_training_size(model, m: int) -> None:
    """Tell every notebook L2 penalty the number of rows trained on (its m)."""
    if not _classes:
        return  # no notebook model was ever built
    cls = _classes["NotebookL2"]
    for layer in model.layers:
        reg = getattr(layer, "kernel_regularizer", None)
        if isinstance(reg, cls):
            reg.m.assign(float(max(int(m), 1)))
