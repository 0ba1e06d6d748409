"""Recording a film while a model trains: after every epoch, one layer's activations for the
sample set and the model's predictions are kept (a Keras callback, on the model lane).

The memory a film takes is known before training (``plan_film``): frames × samples × (units +
classes) float32. Over the bound (``FILM_BUDGET_BYTES``, or less when the machine's memory
budget is smaller) the epochs are thinned out evenly, the last always kept, and a note says so;
when not even two frames fit, the film is refused. The frame before the first epoch (epoch 0,
the initial weights) is recorded too: the film starts where training starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np

from ..errors import ResourceLimitError
from ..memory import format_bytes, memory_budget_bytes

FILM_BUDGET_BYTES = 512 * 2**20  # a film beside the app's other results: at most this much


@dataclass(frozen=True)
class FilmPlan:
    epochs: tuple[int, ...]  # the epochs recorded (0 = before training), ascending
    bytes_per_frame: int
    note: str = ""  # said when epochs were thinned out

    @property
    def total_bytes(self) -> int:
        return self.bytes_per_frame * len(self.epochs)

    def describe(self) -> str:
        return (f"{len(self.epochs)} frames × {format_bytes(self.bytes_per_frame)} = "
                f"{format_bytes(self.total_bytes)}")


@dataclass(frozen=True)
class FilmRecording:
    """What the recorder kept: frame ``f`` is epoch ``epochs[f]``."""

    layer: str
    epochs: np.ndarray  # (F,) int64
    activations: np.ndarray  # (F, N, D) float32
    probabilities: np.ndarray  # (F, N, C) float32
    labels: np.ndarray  # (N,) true classes of the samples
    note: str = ""
    # every layer at every recorded epoch (measures.DepthActivations), for the per-epoch layer
    # metrics; empty when not asked for or over the budget (then ``note`` says so)
    depth: tuple = ()

    @property
    def predictions(self) -> np.ndarray:
        from .training import predicted_classes

        return np.stack([predicted_classes(p) for p in self.probabilities]) \
            if len(self.probabilities) else np.zeros((0, len(self.labels)), np.int64)

    @property
    def nbytes(self) -> int:
        return int(self.activations.nbytes + self.probabilities.nbytes
                   + sum(d.nbytes for d in self.depth))


def film_budget() -> int:
    return int(min(FILM_BUDGET_BYTES, memory_budget_bytes()))


def plan_film(epochs: int, n_samples: int, units: int, n_classes: int,
              budget: Optional[int] = None) -> FilmPlan:
    """Which epochs a film of ``epochs`` epochs records within ``budget`` bytes."""
    budget = film_budget() if budget is None else int(budget)
    per_frame = int(n_samples) * (int(units) + max(int(n_classes), 2)) * 4
    wanted = list(range(0, int(epochs) + 1))
    fit = budget // max(per_frame, 1)
    if fit < 2:
        raise ResourceLimitError(
            f"A film of {n_samples:,} samples × {units:,} units needs "
            f"{format_bytes(per_frame)} per epoch; not even two frames fit in "
            f"{format_bytes(budget)}: choose fewer samples or a narrower layer.")
    if len(wanted) <= fit:
        return FilmPlan(tuple(wanted), per_frame)
    kept = sorted(set(np.linspace(0, epochs, int(fit)).round().astype(int).tolist()))
    note = (f"The film keeps {len(kept)} of {len(wanted)} epochs (every "
            f"~{epochs / max(len(kept) - 1, 1):.1f}): all of them would need "
            f"{format_bytes(per_frame * len(wanted))}, over {format_bytes(budget)}.")
    return FilmPlan(tuple(kept), per_frame, note)


def film_recorder(model: Any, x: np.ndarray, layer: str, plan: FilmPlan, labels: np.ndarray,
                  batch_size: int = 256, depth_of: Optional[Callable[[], Any]] = None,
                  budget: Optional[int] = None) -> Any:
    """A Keras callback recording the film of ``plan``: pass it to ``training.train(...,
    callbacks=[rec])``; ``rec.recording()`` is the film so far. An epoch stopped part-way is not
    recorded. ``depth_of()`` (``measures.depth_activations`` of the samples) is kept too at
    every frame, for the per-epoch layer metrics, while it fits beside the film in ``budget``
    bytes (the first frame's size decides; otherwise left out with a note)."""
    from .extraction import extract_layer
    from .runtime import keras_module
    from .training import predict_proba

    keras = keras_module()
    keep = set(plan.epochs)
    room = (film_budget() if budget is None else int(budget)) - plan.total_bytes

    class _FilmRecorder(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.epochs: list[int] = []
            self.acts: list[np.ndarray] = []
            self.probs: list[np.ndarray] = []
            self.depth: list[Any] = []
            self.depth_note = ""

        def _frame(self, epoch: int) -> None:
            self.acts.append(extract_layer(model, x, layer, batch_size=batch_size))
            self.probs.append(predict_proba(model, x, batch_size))
            self.epochs.append(epoch)
            if depth_of is not None and len(self.depth) == len(self.epochs) - 1:
                d = depth_of()
                if d.nbytes * len(plan.epochs) > room:
                    self.depth_note = (
                        f"The layers along training were left out: every layer at every "
                        f"epoch would need {format_bytes(d.nbytes * len(plan.epochs))}.")
                else:
                    self.depth.append(d)

        def on_train_begin(self, logs=None):
            if 0 in keep and not self.epochs:
                self._frame(0)

        def on_epoch_end(self, epoch, logs=None):
            if getattr(model, "stop_training", False):
                return  # an interrupted epoch is not recorded
            if epoch + 1 in keep:
                self._frame(epoch + 1)

        def recording(self) -> FilmRecording:
            acts = np.stack(self.acts) if self.acts else np.zeros((0, len(x), 0), np.float32)
            probs = np.stack(self.probs) if self.probs else np.zeros((0, len(x), 0),
                                                                     np.float32)
            depth = tuple(self.depth) if len(self.depth) == len(self.epochs) else ()
            note = " ".join(t for t in (plan.note, self.depth_note) if t)
            return FilmRecording(layer, np.asarray(self.epochs, dtype=np.int64), acts, probs,
                                 np.asarray(labels, dtype=np.int64), note, depth)

    return _FilmRecorder()


__all__ = ["FILM_BUDGET_BYTES", "FilmPlan", "FilmRecording", "film_budget", "film_recorder",
           "plan_film"]
