"""One run of the run history: ``RunRecord`` (what a training run was and gave, one row of
``history.json`` and of its CSV export) and ``record_from_run``, which makes it from a finished
run. Reading and writing the history file is ``history.py``'s."""

from __future__ import annotations

import math
import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from .writers import _jsonable

if TYPE_CHECKING:  # pragma: no cover
    from ..model.presets import ModelConfig
    from ..model.training import Evaluation, TrainConfig, TrainResult


@dataclass(frozen=True)
class RunRecord:
    """One training run. Train and validation values are the last epoch's, as Keras reported
    them (what the learning curves show); test accuracy and loss are measured after training
    (the loss is the cross-entropy of the predicted probabilities, without an L2 penalty).
    ``None`` where a value does not apply (no validation split, a model file's unknown
    optimizer, no epoch finished)."""

    id: str
    time: str  # when the run started, ISO 8601 local time with its UTC offset
    dataset: str
    architecture: str  # "dense 256-144 relu", "bilstm", "file mymodel.keras"
    preset: Optional[str] = None
    hidden: tuple[int, ...] = ()
    model_file: Optional[str] = None
    optimizer: Optional[str] = None
    learning_rate: Optional[float] = None
    l2: Optional[float] = None
    dropout: Optional[float] = None
    epochs_planned: int = 0
    epochs_done: int = 0
    batch_size: Optional[int] = None
    train_accuracy: Optional[float] = None
    train_loss: Optional[float] = None
    val_accuracy: Optional[float] = None
    val_loss: Optional[float] = None
    test_accuracy: Optional[float] = None
    test_loss: Optional[float] = None
    # one loss definition for every split: the loss *includes* the weight penalty (L2) Keras
    # minimises, measured at the final weights; the plain cross-entropy is kept beside it
    train_cross_entropy: Optional[float] = None
    val_cross_entropy: Optional[float] = None
    test_cross_entropy: Optional[float] = None
    l2_penalty: Optional[float] = None
    duration_s: float = 0.0
    stopped: bool = False  # True: cancelled before the planned epochs
    # a run that continued trained weights: the epochs they had before it, and the id of the
    # run it continued (None: it started from fresh weights or a model file)
    epochs_before: int = 0
    continued_from: Optional[str] = None
    partial_batches: int = 0  # batches of an epoch it stopped in (they changed the weights)
    source: str = "window"  # "window" or "analyze"
    # what restores the run in the sidebar: {"model": ModelConfig fields | {"file": path},
    # "training": TrainConfig fields, "data": source name}
    settings: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def status(self) -> str:
        return "stopped" if self.stopped else "finished"

    @property
    def epochs_total(self) -> int:
        """The full epochs the weights have after this run (earlier continued runs too)."""
        return self.epochs_before + self.epochs_done

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values (tuples as lists, NaN and infinity as null)."""
        return _jsonable(asdict(self))

    @classmethod
    def from_json(cls, data: Any) -> "RunRecord":
        """A record from its JSON object; ``ValueError`` when it is not one. Unknown keys (a
        newer version's) are ignored; missing optional ones take their defaults."""
        if not isinstance(data, dict):
            raise ValueError("not an object")
        for key in ("id", "time", "dataset", "architecture"):
            if not isinstance(data.get(key), str) or not data[key]:
                raise ValueError(f"no {key}")
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                continue
            if key == "hidden":
                if not isinstance(value, list) or not all(_is_int(v) for v in value):
                    raise ValueError("hidden is not a list of whole numbers")
                value = tuple(int(v) for v in value)
            elif key in _FLOAT_FIELDS and value is not None:
                if not _is_number(value):
                    raise ValueError(f"{key} is not a number")
                value = float(value)
            elif key in _INT_FIELDS and value is not None:
                if not _is_int(value):
                    raise ValueError(f"{key} is not a whole number")
                value = int(value)
            elif key == "continued_from" and value is not None and not isinstance(value, str):
                raise ValueError("continued_from is not a run id")
            elif key == "stopped":
                value = bool(value)
            elif key == "settings" and not isinstance(value, dict):
                raise ValueError("settings is not an object")
            kwargs[key] = value
        return cls(**kwargs)


_FLOAT_FIELDS = {"learning_rate", "l2", "dropout", "train_accuracy", "train_loss",
                 "val_accuracy", "val_loss", "test_accuracy", "test_loss", "duration_s",
                 "train_cross_entropy", "val_cross_entropy", "test_cross_entropy",
                 "l2_penalty"}
_INT_FIELDS = {"epochs_planned", "epochs_done", "batch_size", "epochs_before",
               "partial_batches"}


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _finite(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def new_run_id() -> str:
    return uuid.uuid4().hex


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def describe_architecture(config: Optional["ModelConfig"] = None,
                          model_file: Optional[str | Path] = None) -> str:
    """One short line: ``dense 256-144 relu``, ``multinomial``, ``bilstm 64``, ``file m.keras``."""
    if model_file is not None:
        return f"file {Path(model_file).name}"
    if config is None:
        return "none"
    parts = [config.preset]
    if config.preset == "bilstm":
        parts.append(str(config.lstm_units))
    elif config.hidden:
        parts += ["-".join(str(h) for h in config.hidden), config.activation]
    return " ".join(parts)


def record_from_run(*, dataset: str, train_config: "TrainConfig", result: "TrainResult",
                    config: Optional["ModelConfig"] = None,
                    model_file: Optional[str | Path] = None,
                    evaluation: Optional["Evaluation"] = None, source: str = "window",
                    started: Optional[str] = None,
                    data_source: Optional[str] = None) -> RunRecord:
    """The ``RunRecord`` of a finished or stopped ``train(...)`` (and its ``evaluate(...)`` on
    the test split, when there was one). ``config`` for a preset, ``model_file`` for a loaded
    model (its optimizer is then unknown). ``dataset``: the name shown; ``data_source``: what
    reopens it (a source name or path; default ``dataset``), kept in ``settings["data"]``."""
    hist = result.history or {}

    def last(key: str) -> Optional[float]:
        values = hist.get(key) or []
        return _finite(float(values[-1])) if values else None

    test_acc = None
    loss = {"train": last("loss"), "validation": last("val_loss"), "test": None}
    ce: dict[str, Optional[float]] = {"train": None, "validation": None, "test": None}
    penalty = last("penalty")
    if penalty is not None and loss["validation"] is not None:  # Keras's val_loss holds it
        ce["validation"] = loss["validation"] - penalty
    elif penalty is None:
        ce = {k: v for k, v in loss.items()}
    if evaluation is not None and getattr(evaluation, "split", "test") == "test":
        test_acc = evaluation.accuracy.get("test")
        # every split measured alike at the final weights: loss = cross-entropy + penalty
        penalty = float(getattr(evaluation, "penalty", 0.0) or 0.0)
        for split, value in (getattr(evaluation, "cross_entropy", None) or {}).items():
            if split in ce and value is not None:
                ce[split] = _finite(float(value))
                loss[split] = _finite(float(value) + penalty)
    has_penalty = bool(penalty)
    model_settings: dict[str, Any] = ({"file": str(model_file)} if model_file is not None
                                      else asdict(config) if config is not None else {})
    if "hidden" in model_settings:
        model_settings["hidden"] = list(model_settings["hidden"])
    return RunRecord(
        id=new_run_id(), time=started or now_iso(), dataset=str(dataset),
        architecture=describe_architecture(config, model_file),
        preset=config.preset if config is not None and model_file is None else None,
        hidden=tuple(config.hidden) if config is not None and model_file is None else (),
        model_file=str(model_file) if model_file is not None else None,
        optimizer=config.optimizer if config is not None and model_file is None else None,
        learning_rate=(float(config.learning_rate) if config is not None and model_file is None
                       else None),
        l2=float(config.l2) if config is not None and model_file is None else None,
        dropout=float(config.dropout) if config is not None and model_file is None else None,
        epochs_planned=int(train_config.epochs), epochs_done=int(result.epochs_done),
        batch_size=int(train_config.batch_size),
        train_accuracy=last("accuracy"), train_loss=loss["train"],
        val_accuracy=last("val_accuracy"), val_loss=loss["validation"],
        test_accuracy=_finite(float(test_acc)) if test_acc is not None else None,
        test_loss=loss["test"], train_cross_entropy=ce["train"],
        val_cross_entropy=ce["validation"], test_cross_entropy=ce["test"],
        l2_penalty=_finite(float(penalty)) if has_penalty else None,
        duration_s=round(float(result.seconds), 3), stopped=bool(result.stopped), source=source,
        settings={"data": str(data_source or dataset), "model": model_settings,
                  "training": asdict(train_config)})


# --- the file ------------------------------------------------------------------------------------
