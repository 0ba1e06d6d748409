"""Model presets, loading ``.keras``/``.h5`` files, and what a model looks like inside.

Keras is imported lazily (``tf_runtime.keras_module()``) inside the functions, never at module
level, so importing this module is instant.

Layer names are fixed per preset so the GUI, the CLI's ``--layer`` and the reports can name
them::

    dense        flatten, hidden_1 .. hidden_k, [dropout_1 .. dropout_k], output
    multinomial  flatten, output
    sigmoid-mlp  flatten, hidden_1, output                    (same builder as dense)
    lenet        [reshape], conv_1, pool_1, conv_2, pool_2, flatten,
                 hidden_1, [dropout_1], hidden_2, [dropout_2], output
    bilstm       embedding, bilstm, dropout, output

(``[...]`` only when it applies: ``reshape`` for grey images, ``dropout_i`` when dropout > 0.)
"""


from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Optional

import numpy as np

from ..data.types import Dataset
from ..errors import ModelError, ShapeMismatchError
from .layers import model_version, output_kind
from .preset_table import OPTIMIZERS, PRESETS, preset_defaults  # noqa: F401 (re-exported)
from .runtime import keras_module, set_seed



@dataclass(frozen=True)
class ModelConfig:
    """Everything a user can change about a preset (the fields of ``preset_table.FIELDS`` whose
    target is "model" or "optimizer"). ``default_config(preset)`` gives the values each preset
    is meant to start from (``ModelConfig(preset=...)`` alone keeps the dense defaults)."""

    preset: str = "dense"
    hidden: tuple[int, ...] = (256, 144)
    activation: str = "relu"
    dropout: float = 0.0
    l2: float = 0.0
    embed_dim: int = 128
    lstm_units: int = 64
    vocab_size: Optional[int] = None  # None: largest token id in the data + 1
    optimizer: str = "adam"  # "adam" | "rmsprop" | "sgd"
    learning_rate: float = 1e-3
    momentum: float = 0.0  # sgd and rmsprop
    nesterov: bool = False  # sgd
    style: str = "keras"  # sigmoid-mlp: "notebook" = the hand-made network's own configuration
    init_epsilon: float = 0.12  # style notebook: uniform init in ±epsilon (0: sqrt(6/(in+out)))


def default_config(preset: str) -> ModelConfig:
    """The configuration a preset starts from."""
    _check_preset(preset)
    return replace(ModelConfig(preset=preset), **preset_defaults(preset))


def default_preset_for(dataset: Dataset) -> str:
    """The preset that suits this data: ``bilstm`` for token sequences, else ``dense``."""
    return "bilstm" if dataset.kind == "sequence" else "dense"


def preset_suits(preset: str, dataset: Dataset) -> bool:
    """Whether ``build_model`` can build this preset for this kind of data (the same rules,
    without TensorFlow): the window uses it to switch presets when new data arrives."""
    shape = dataset.sample_shape
    if preset == "bilstm":
        return dataset.kind == "sequence"
    if preset == "lenet":
        return dataset.kind == "image" and len(shape) in (2, 3) and min(shape[:2]) >= 4
    return dataset.kind != "sequence"


def presets_for(dataset: Dataset) -> tuple[str, ...]:
    """The presets of the table (``PRESETS``, in order) that can take this data."""
    return tuple(p for p in PRESETS if preset_suits(p, dataset))


def refusal(preset: str, dataset: Dataset) -> str:
    """One line: why ``preset`` cannot take ``dataset`` and which presets can."""
    what = ("token sequences (text)" if dataset.kind == "sequence" else
            f"{dataset.kind}s of shape {tuple(dataset.sample_shape)}")
    fits = ", ".join(presets_for(dataset)) or "none"
    return f"The {preset} preset cannot take {dataset.name} ({what}); presets that can: {fits}."


def _check_preset(preset: str) -> None:
    if preset not in PRESETS:
        raise ModelError(f"Unknown model preset {preset!r}; choose one of {', '.join(PRESETS)}.")



# --- building ---------------------------------------------------------------------------------
def _make_optimizer(keras, config: ModelConfig):
    name = config.optimizer.lower()
    lr = float(config.learning_rate)
    if not lr > 0:
        raise ModelError(f"The learning rate must be positive, not {config.learning_rate}.")
    if name == "adam":
        return keras.optimizers.Adam(learning_rate=lr)
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate=lr, momentum=float(config.momentum))
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate=lr, momentum=float(config.momentum),
                                    nesterov=bool(config.nesterov))
    raise ModelError(f"Unknown optimizer {config.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}.")



def _loss_for(keras, model):
    from . import notebook

    if notebook.is_notebook(model) or _sigmoid_outputs(model):
        return notebook.cost()  # one sigmoid per class: the summed one-vs-all cross-entropy
    kind, logits = output_kind(model)
    if kind == "binary":
        return keras.losses.BinaryCrossentropy(from_logits=True) if logits \
            else "binary_crossentropy"
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True) if logits \
        else "sparse_categorical_crossentropy"


def _sigmoid_outputs(model) -> bool:
    layer = model.layers[-1]
    act = getattr(getattr(layer, "activation", None), "__name__", "")
    return act == "sigmoid" and int(model.outputs[0].shape[-1]) > 1


def compile_model(model, config: ModelConfig | None = None) -> None:
    """Compile for this app's integer labels: loss from the output layer (one sigmoid unit:
    binary cross-entropy; a sigmoid per class: the notebook's summed cost; else sparse
    categorical), optimizer from ``config``, accuracy. A notebook-style model always gets
    plain gradient descent (``preset_table.STYLE_FIXES``) at ``config``'s learning rate."""
    from . import notebook
    from .preset_table import STYLE_FIXES

    keras = keras_module()
    config = config or ModelConfig()
    if notebook.is_notebook(model):
        config = replace(config, **STYLE_FIXES["notebook"])
    model.compile(optimizer=_make_optimizer(keras, config), loss=_loss_for(keras, model),
                  metrics=["accuracy"])


def ensure_compiled(model) -> None:
    """Compile a loaded (uncompiled) model with Adam and the task's loss."""
    if not getattr(model, "compiled", False) or getattr(model, "optimizer", None) is None:
        compile_model(model)


def _vocab_size(config: ModelConfig, dataset: Dataset) -> int:
    highest = -1
    for x in (dataset.x_train, dataset.x_test):
        if x.size:
            highest = max(highest, int(np.max(x)))
            if int(np.min(x)) < 0:
                raise ShapeMismatchError(f"Dataset {dataset.name!r} has negative token ids; "
                                         "the bilstm preset needs ids 0..vocab-1.")
    if config.vocab_size is None:
        return max(highest + 1, 2)
    if int(config.vocab_size) <= highest:
        raise ShapeMismatchError(
            f"vocab_size {config.vocab_size} is too small: dataset {dataset.name!r} uses token ids "
            f"up to {highest} (need at least {highest + 1}).")
    return int(config.vocab_size)


def _refuse(preset: str, dataset: Dataset, why: str) -> ShapeMismatchError:
    return ShapeMismatchError(
        f"The {preset} preset cannot take dataset {dataset.name!r} "
        f"({dataset.kind}s of shape {dataset.sample_shape}): {why}.")


def build_model(config: ModelConfig, dataset: Dataset, seed: int = 0):
    """A compiled Keras model for this dataset: input shape = the dataset's sample shape,
    output = one unit per class (one sigmoid unit for 2-class text with ``bilstm``).
    Raises ``ShapeMismatchError`` when the preset cannot take this kind of data."""
    _check_preset(config.preset)
    keras = keras_module()
    layers = keras.layers
    preset = config.preset
    shape = tuple(int(d) for d in dataset.sample_shape)
    n_classes = dataset.n_classes
    if n_classes < 2:
        raise ModelError(f"Dataset {dataset.name!r} has {n_classes} class(es); a classifier "
                         "needs at least 2.")
    if not shape or any(d <= 0 for d in shape):
        raise _refuse(preset, dataset, "the samples have no values")
    if any(int(h) <= 0 for h in config.hidden):
        raise ModelError(f"Hidden layer widths must be positive, not {tuple(config.hidden)}.")
    if not 0.0 <= float(config.dropout) < 1.0:
        raise ModelError(f"Dropout must be in [0, 1), not {config.dropout}.")

    if preset == "bilstm":
        if dataset.kind != "sequence":
            raise _refuse(preset, dataset, "it reads token sequences (text), not "
                          f"{dataset.kind}s; use dense, multinomial or lenet")
    elif preset == "lenet":
        if dataset.kind != "image" or len(shape) not in (2, 3):
            raise _refuse(preset, dataset, "a CNN needs images (height x width [x channels]); "
                          "use bilstm for text, dense or multinomial for vectors")
        if shape[0] < 4 or shape[1] < 4:
            raise _refuse(preset, dataset, "images must be at least 4x4 pixels for two "
                          "2x2 poolings")
    elif dataset.kind == "sequence":
        raise _refuse(preset, dataset, "it reads pixel or feature values, but these samples are "
                      "token ids; use the bilstm preset for text")

    if config.style not in ("keras", "notebook"):
        raise ModelError(f"Unknown style {config.style!r}; choose keras or notebook.")
    notebook_style = config.style == "notebook" and preset in ("dense", "sigmoid-mlp",
                                                               "multinomial")
    from .size_check import check_model_fits  # the data decides the size: check it first

    check_model_fits(preset, shape, config.hidden, n_classes,
                     _vocab_size(config, dataset) if preset == "bilstm" else 0,
                     int(config.embed_dim), int(config.lstm_units))
    set_seed(seed)
    if notebook_style:
        from . import notebook

        reg = notebook.regularizer(float(config.l2))
        init: Any = notebook.initializer(float(config.init_epsilon))
    else:
        reg = keras.regularizers.L2(float(config.l2)) if config.l2 > 0 else None
        init = "glorot_uniform"

    def dense_stack() -> list:
        out = []
        for i, width in enumerate(config.hidden, start=1):
            out.append(layers.Dense(int(width), activation=config.activation,
                                    kernel_regularizer=reg, kernel_initializer=init,
                                    bias_initializer=init if notebook_style else "zeros",
                                    name=f"hidden_{i}"))
            if config.dropout > 0:
                out.append(layers.Dropout(float(config.dropout), name=f"dropout_{i}"))
        return out

    def softmax_output() -> Any:
        # multinomial logistic regression starts from zero weights, as scikit-learn's does (the
        # problem is convex): a pixel the data never lights keeps weight 0 (white in "weights as
        # images") instead of random noise that hides the class templates after 10 epochs
        if notebook_style:  # the notebook: a sigmoid per class, weights and biases ±ε
            return layers.Dense(n_classes, activation="sigmoid", kernel_regularizer=reg,
                                kernel_initializer=init, bias_initializer=init, name="output")
        return layers.Dense(n_classes, activation="softmax", kernel_regularizer=reg,
                            kernel_initializer="zeros" if preset == "multinomial" else init,
                            name="output")

    if preset in ("dense", "sigmoid-mlp", "multinomial"):
        stack = [keras.Input(shape, name="input"), layers.Flatten(name="flatten")]
        if preset != "multinomial":
            stack += dense_stack()
        stack.append(softmax_output())
    elif preset == "lenet":
        stack = [keras.Input(shape, name="input")]
        if len(shape) == 2:
            stack.append(layers.Reshape(shape + (1,), name="reshape"))
        stack += [
            layers.Conv2D(6, 5, padding="same", activation=config.activation,
                          kernel_regularizer=reg, name="conv_1"),
            layers.MaxPooling2D(2, name="pool_1"),
            layers.Conv2D(16, 5, padding="same", activation=config.activation,
                          kernel_regularizer=reg, name="conv_2"),
            layers.MaxPooling2D(2, name="pool_2"),
            layers.Flatten(name="flatten"),
            *dense_stack(),
            softmax_output(),
        ]
    else:  # bilstm
        vocab = _vocab_size(config, dataset)
        stack = [
            keras.Input(shape, dtype="int32", name="input"),
            layers.Embedding(vocab, int(config.embed_dim), name="embedding"),
            layers.Bidirectional(layers.LSTM(int(config.lstm_units)), name="bilstm"),
            layers.Dropout(float(config.dropout), name="dropout"),
            *[layers.Dense(int(w), activation=config.activation, kernel_regularizer=reg,
                           name=f"hidden_{i}") for i, w in enumerate(config.hidden, start=1)],
        ]
        if n_classes == 2:
            stack.append(layers.Dense(1, activation="sigmoid", kernel_regularizer=reg,
                                      name="output"))
        else:
            stack.append(softmax_output())
    model = keras.Sequential(stack, name=preset.replace("-", "_"))
    if notebook_style:
        notebook.mark(model)
    compile_model(model, config)
    model_version(model)
    return model


