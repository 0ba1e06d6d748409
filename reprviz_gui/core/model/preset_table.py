"""THE table of every setting a preset has: one row per parameter (type, default, range or
choices, label, help) and, per preset, which of them it lets the user edit and its own defaults.

Four places read it instead of listing parameters themselves: the sidebar (its editable fields
are generated from ``FIELDS``), the run history (its columns and a run's details), restoring a
run's settings, and the CLI (one ``analyze`` option per field, ``--sweep`` over any of them).
No Qt and no TensorFlow here, so every one of them can import it cheaply.

``target`` says which configuration a field belongs to: ``"model"`` fields are
``presets.ModelConfig``'s (they change the built model: a rebuild), ``"training"`` ones are
``training.TrainConfig``'s; ``"optimizer"`` ones are ``ModelConfig``'s too but only recompile
(the sidebar shows them in its Training box, with the training fields).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional

# the presets, with their one-line descriptions and the sidebar's labels
PRESETS: dict[str, str] = {
    "dense": "Fully connected: Flatten, two ReLU hidden layers (256, 144), softmax output",
    "multinomial": "Multinomial logistic regression: Flatten, softmax output, no hidden layer",
    "lenet": "LeNet-like CNN: two 5x5 convolutions with max-pooling, three dense layers, dropout",
    "bilstm": "Text: Embedding(vocab, 128), bidirectional LSTM(64), dropout 0.5, sigmoid output",
    "sigmoid-mlp": "Classic 400-14-10 network: one sigmoid hidden layer of 14 units, L2 1e-3 "
                   "(style notebook: the hand-made network's own cost, init and L2)",
}
PRESET_LABELS: dict[str, str] = {
    "dense": "Dense MLP",
    "multinomial": "Multinomial (no hidden layer)",
    "lenet": "LeNet-like CNN",
    "bilstm": "BiLSTM (text)",
    "sigmoid-mlp": "Sigmoid MLP 400-14-10 (L2)",
}

OPTIMIZERS = ("adam", "rmsprop", "sgd")
ACTIVATIONS = ("relu", "sigmoid", "tanh")
STYLES = ("keras", "notebook")


@dataclass(frozen=True)
class Field:
    """One setting. ``kind``: "int", "float", "choice", "bool" or "widths" (a tuple of layer
    widths, written ``256,144``). ``lo``/``hi`` bound numbers (inclusive; ``hi_open``: below
    ``hi``); ``applies`` names the optimizers a field means something for (else: always)."""

    key: str
    label: str
    kind: str
    default: Any
    target: str  # "model" | "optimizer" | "training"
    lo: Optional[float] = None
    hi: Optional[float] = None
    hi_open: bool = False
    step: float = 1.0
    decimals: int = 0
    choices: tuple[str, ...] = ()
    applies: tuple[str, ...] = ()  # optimizers this field is used by; () = every one
    help: str = ""

    @property
    def flag(self) -> str:
        """The CLI option: ``--learning-rate`` for ``learning_rate``."""
        return "--" + self.key.replace("_", "-")

    def parse(self, text: str) -> Any:
        """A value from its text (CLI, sweep, a line edit); ``ValueError`` with a one-line
        reason when it is not a valid value of this field."""
        text = str(text).strip()
        if self.kind == "widths":
            if text.lower() in ("", "none", "-"):
                return ()
            parts = [p for p in text.replace(";", ",").replace("-", ",").split(",") if p.strip()]
            try:
                widths = tuple(int(p) for p in parts)
            except ValueError:
                raise ValueError(f"expected widths like 256,144, not {text!r}") from None
            for w in widths:
                self._check_range(w)
            return widths
        if self.kind == "bool":
            low = text.lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"expected true or false, not {text!r}")
        if self.kind == "choice":
            if text.lower() not in self.choices:
                raise ValueError(f"expected one of {', '.join(self.choices)}, not {text!r}")
            return text.lower()
        if self.kind == "int":
            try:
                value: Any = int(text)
            except ValueError:
                raise ValueError(f"expected a whole number, not {text!r}") from None
        else:
            try:
                value = float(text)
            except ValueError:
                raise ValueError(f"expected a number, not {text!r}") from None
            if not math.isfinite(value):
                raise ValueError(f"expected a finite number, not {text!r}")
        self._check_range(value)
        return value

    def check(self, value: Any) -> Any:
        """The value, validated (for values from code or a saved file); ``ValueError``."""
        if self.kind == "widths":
            return self.parse(",".join(str(int(v)) for v in value))
        if self.kind == "bool" and isinstance(value, bool):
            return value
        return self.parse(str(value))  # "false" from a hand-edited file is False, not True

    def _check_range(self, value: float) -> None:
        if self.lo is not None and value < self.lo:
            raise ValueError(f"must be at least {self.lo:g}, not {value:g}")
        if self.hi is not None and (value >= self.hi if self.hi_open else value > self.hi):
            raise ValueError(f"must be {'below' if self.hi_open else 'at most'} {self.hi:g}, "
                             f"not {value:g}")


_FIELDS = (
    # --- the model (a change rebuilds it) -------------------------------------------------
    Field("style", "Style", "choice", "keras", "model", choices=STYLES,
          help="sigmoid-mlp: 'notebook' trains the hand-made network as the course does: "
               "sigmoid outputs with their cross-entropy summed over classes, uniform init "
               "±epsilon, full-batch gradient descent, L2 as λ/(2m)·Σw²; 'keras' is the usual "
               "softmax, Glorot, per-sample λ·Σw²"),
    Field("hidden", "Hidden widths", "widths", (256, 144), "model", lo=1, hi=100_000,
          help="hidden layer widths, e.g. 256,144"),
    Field("activation", "Activation", "choice", "relu", "model", choices=ACTIVATIONS,
          help="activation of the hidden layers"),
    Field("dropout", "Dropout", "float", 0.0, "model", lo=0.0, hi=0.9, step=0.05, decimals=2,
          help="dropout rate after each hidden layer"),
    Field("l2", "L2", "float", 0.0, "model", lo=0.0, hi=100.0, step=0.0001, decimals=4,
          help="L2 weight penalty λ (style notebook: the notebook's λ of λ/(2m)·Σw²)"),
    Field("init_epsilon", "Init ε", "float", 0.12, "model", lo=0.0, hi=10.0, step=0.01,
          decimals=3, help="style notebook: initial weights uniform in ±ε (0: "
                           "sqrt(6)/sqrt(fan_in + fan_out) per layer)"),
    Field("embed_dim", "Embedding size", "int", 128, "model", lo=2, hi=1024,
          help="bilstm: embedding width"),
    Field("lstm_units", "LSTM units", "int", 64, "model", lo=2, hi=1024,
          help="bilstm: LSTM units per direction"),
    # --- the optimizer (a change recompiles) ----------------------------------------------
    Field("optimizer", "Optimizer", "choice", "adam", "optimizer", choices=OPTIMIZERS,
          help="the optimizer (style notebook: plain gradient descent is sgd)"),
    Field("learning_rate", "Learning rate", "float", 1e-3, "optimizer", lo=1e-5, hi=10.0,
          step=0.0005, decimals=5, help="the optimizer's learning rate (α)"),
    Field("momentum", "Momentum", "float", 0.0, "optimizer", lo=0.0, hi=1.0, hi_open=True,
          step=0.05, decimals=2, applies=("sgd", "rmsprop"),
          help="sgd and rmsprop: momentum (the MNIST notes: SGD(0.01, 0.9, nesterov=True))"),
    Field("nesterov", "Nesterov", "bool", False, "optimizer", applies=("sgd",),
          help="sgd: Nesterov momentum"),
    # --- training ---------------------------------------------------------------------------
    Field("epochs", "Epochs", "int", 5, "training", lo=1, hi=100_000, help="training epochs"),
    Field("batch_size", "Batch size", "int", 32, "training", lo=1, hi=1_000_000,
          help="training batch size (style notebook: the whole training set)"),
    Field("validation_split", "Validation split", "float", 0.1, "training", lo=0.0, hi=1.0,
          hi_open=True, step=0.05, decimals=2,
          help="fraction of the training split held out for validation"),
    Field("seed", "Seed", "int", 0, "training", lo=0, hi=2**31 - 1, help="random seed"),
)
FIELDS: dict[str, Field] = {f.key: f for f in _FIELDS}
MODEL_FIELDS = tuple(f.key for f in _FIELDS if f.target == "model")
OPTIMIZER_FIELDS = tuple(f.key for f in _FIELDS if f.target == "optimizer")
TRAINING_FIELDS = tuple(f.key for f in _FIELDS if f.target == "training")
# what the sidebar's Training box shows, in order
TRAINING_BOX = ("epochs", "batch_size", "optimizer", "learning_rate", "momentum", "nesterov",
                "validation_split", "seed")

# which model fields each preset lets the user edit (the optimizer and training fields are
# every preset's)
PRESET_FIELDS: dict[str, tuple[str, ...]] = {
    "dense": ("hidden", "activation", "dropout", "l2"),
    "multinomial": ("l2",),
    "lenet": ("dropout",),
    "bilstm": ("embed_dim", "lstm_units", "dropout"),
    "sigmoid-mlp": ("style", "hidden", "activation", "l2", "init_epsilon"),
}
# each preset's own defaults where they differ from the fields' defaults
PRESET_DEFAULTS: dict[str, dict[str, Any]] = {
    "dense": {},
    "multinomial": {"hidden": ()},
    "lenet": {"hidden": (120, 84), "dropout": 0.25},
    "bilstm": {"hidden": (), "dropout": 0.5},
    "sigmoid-mlp": {"hidden": (14,), "activation": "sigmoid", "l2": 1e-3},
}
# fields a preset's style fixes (style notebook: full-batch gradient descent)
STYLE_FIXES: dict[str, dict[str, Any]] = {"notebook": {"optimizer": "sgd", "momentum": 0.0,
                                                       "nesterov": False}}


def preset_defaults(preset: str) -> dict[str, Any]:
    """Every model and optimizer field's value a preset starts from."""
    if preset not in PRESETS:
        raise KeyError(preset)
    values = {k: FIELDS[k].default for k in MODEL_FIELDS + OPTIMIZER_FIELDS}
    values.update(PRESET_DEFAULTS[preset])
    return values


def editable(preset: str) -> tuple[str, ...]:
    """The model fields the sidebar shows for this preset (none for "none" or a file)."""
    return PRESET_FIELDS.get(preset, ())


def field_applies(key: str, optimizer: str) -> bool:
    """Whether an optimizer field means something for this optimizer (momentum: sgd/rmsprop)."""
    f = FIELDS[key]
    return not f.applies or optimizer in f.applies


def history_keys(preset: Optional[str], optimizer: Optional[str]) -> list[str]:
    """The settings a run's details list: its preset's model fields, then the optimizer's."""
    keys = list(editable(str(preset)))
    keys += [k for k in OPTIMIZER_FIELDS if field_applies(k, str(optimizer))]
    return keys


# the settings the run history shows as columns (its table and its CSV), with their headers:
# the optimizer's and training's settings and the model settings runs most often differ in
HISTORY_COLUMNS: dict[str, str] = {
    "optimizer": "optimizer", "learning_rate": "learning rate", "l2": "L2",
    "dropout": "dropout", "batch_size": "batch", "validation_split": "val split",
    "seed": "seed",
}


def run_setting(settings: Any, key: str) -> Any:
    """A recorded run's value of field ``key``, read from its ``settings`` (``{"model": ...,
    "training": ...}``) and checked against the field; None where the run has none (a model
    file's optimizer) or the value is not valid (a hand-edited history)."""
    f = FIELDS[key]
    part = settings.get("training" if f.target == "training" else "model") \
        if isinstance(settings, dict) else None
    value = part.get(key) if isinstance(part, dict) else None
    if value is None or isinstance(value, dict):
        return None
    try:
        return f.check(value)
    except (ValueError, TypeError):
        return None


def format_value(key: str, value: Any) -> str:
    """A value as the history and the CLI's summary write it (widths as 256-144)."""
    if isinstance(value, (list, tuple)):
        return "-".join(str(v) for v in value) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


__all__ = ["Field", "FIELDS", "PRESETS", "PRESET_LABELS", "PRESET_FIELDS", "PRESET_DEFAULTS",
           "MODEL_FIELDS", "OPTIMIZER_FIELDS", "TRAINING_FIELDS", "TRAINING_BOX", "OPTIMIZERS",
           "ACTIVATIONS", "STYLES", "STYLE_FIXES", "preset_defaults", "editable",
           "field_applies", "history_keys", "format_value", "HISTORY_COLUMNS", "run_setting"]
