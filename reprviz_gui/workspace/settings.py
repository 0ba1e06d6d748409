"""What the user chose in the sidebar, as one evented state object.

``Settings`` is a psygnal evented dataclass: every field has a signal
(``settings.events.epochs.connect(fn)`` gets the new value whenever it changes, also when set from
code), so widgets bind to it instead of being re-synced by hand. ``to_dict`` / ``from_dict``
round-trip it for the settings file and, later, a session file; ``from_dict`` validates every
value and keeps the default for anything odd (a seed of -1, a batch size of 0, an unknown method
or preset, a list where a number belongs), naming what it rejected.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Callable

from psygnal import evented

MAX_SEED = 2**32 - 1  # numpy's and TensorFlow's seeds are 32-bit
SPLITS = ("train", "test")
OPTIMIZERS = ("adam", "sgd", "rmsprop")


@evented
@dataclass
class Settings:
    """What the user chose in the sidebar; remembered between runs."""

    source: str = "fashion-mnist-sample"
    preset: str = "dense"
    model_params: dict[str, Any] = field(default_factory=dict)
    epochs: int = 5
    batch_size: int = 32
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    momentum: float = 0.0  # sgd and rmsprop (the preset table's optimizer fields)
    nesterov: bool = False  # sgd
    validation_split: float = 0.1
    seed: int = 0
    n_samples: int = 1000
    split: str = "test"
    method: str = "umap"
    pca_components: int = 20  # k of the PCA → t-SNE map
    record_film: bool = False  # keep the layer after every epoch while training (Film view)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (the settings file's "choices")."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> tuple["Settings", list[str]]:
        """Settings from saved values: each one checked; returns the settings and the names
        of the values rejected (their defaults are kept)."""
        settings, rejected = cls(), []
        if not isinstance(data, dict):
            return settings, ["choices"] if data not in (None, "", {}) else []
        for f in fields(cls):
            if f.name not in data:
                continue
            value = _valid(f.name, data[f.name])
            if value is _BAD:
                rejected.append(f.name)
            else:
                setattr(settings, f.name, value)
        return settings, rejected

    def update(self, other: "Settings") -> None:
        """Take every value of ``other`` (one event per changed field)."""
        for f in fields(self):
            setattr(self, f.name, getattr(other, f.name))


_BAD = object()


def _int_in(lo: int, hi: int) -> Callable[[Any], Any]:
    def check(v: Any) -> Any:
        ok = isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi
        return v if ok else _BAD
    return check


def _float_in(lo: float, hi: float, open_lo: bool = False) -> Callable[[Any], Any]:
    def check(v: Any) -> Any:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            return _BAD
        ok = (lo < v if open_lo else lo <= v) and v <= hi
        return float(v) if ok else _BAD
    return check


def _one_of(choices: Callable[[], Any]) -> Callable[[Any], Any]:
    def check(v: Any) -> Any:
        return v if isinstance(v, str) and v in choices() else _BAD
    return check


def _text(v: Any) -> Any:
    return v if isinstance(v, str) and v and len(v) < 4096 and "\x00" not in v else _BAD


def _params(v: Any) -> Any:
    """A preset's parameters: a flat dict of numbers, strings and lists of numbers."""
    if not isinstance(v, dict) or len(v) > 32:
        return _BAD
    for key, value in v.items():
        if not isinstance(key, str):
            return _BAD
        if isinstance(value, list):
            if len(value) > 16 or not all(isinstance(x, (int, float)) and not isinstance(x, bool)
                                          for x in value):
                return _BAD
        elif not isinstance(value, (int, float, str)) or (isinstance(value, str)
                                                          and len(value) > 64):
            return _BAD
    return dict(v)


def _presets() -> Any:
    from ..core.model.presets import PRESETS
    from .state import NO_MODEL

    return set(PRESETS) | {NO_MODEL, "file"}


def _methods() -> Any:
    from ..core.analysis.projection import METHODS

    return set(METHODS) | {"mds"}


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "source": _text,
    "preset": _one_of(_presets),
    "model_params": _params,
    "epochs": _int_in(1, 100_000),
    "batch_size": _int_in(1, 1_000_000),
    "optimizer": _one_of(lambda: OPTIMIZERS),
    "learning_rate": _float_in(0.0, 100.0, open_lo=True),
    "momentum": _float_in(0.0, 1.0),
    "nesterov": lambda v: v if isinstance(v, bool) else _BAD,
    "validation_split": _float_in(0.0, 0.9),
    "seed": _int_in(0, MAX_SEED),
    "n_samples": _int_in(1, 10_000_000),
    "split": _one_of(lambda: SPLITS),
    "method": _one_of(_methods),
    "pca_components": _int_in(1, 10_000),
    "record_film": lambda v: v if isinstance(v, bool) else _BAD,
}


def optimizer_of(st: Settings) -> tuple[str, float, float, bool]:
    """The optimizer fields of the settings (a change recompiles the model)."""
    return (st.optimizer, float(st.learning_rate), float(st.momentum), bool(st.nesterov))


def _valid(name: str, value: Any) -> Any:
    return _CHECKS[name](value)


__all__ = ["Settings", "MAX_SEED", "optimizer_of"]
