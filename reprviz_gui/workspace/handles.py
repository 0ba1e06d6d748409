"""Keras models stay on the model lane: the rest of the app holds a ``ModelHandle``.

TensorFlow objects must only be used from the model lane's thread (see docs/architecture.md), so
a built or loaded model is registered here by the job that made it, and jobs that need it
resolve the handle on that same thread. The GUI thread only ever sees the handle.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

from .state import ModelHandle

_lock = threading.Lock()
_models: dict[int, Any] = {}
_ids = itertools.count(1)


def register(model: Any, label: str) -> ModelHandle:
    with _lock:
        handle = ModelHandle(next(_ids), label)
        _models[handle.id] = model
    return handle


def resolve(handle: ModelHandle | None) -> Any:
    """The model behind a handle (call on the model lane only); None for None."""
    if handle is None:
        return None
    with _lock:
        model = _models.get(handle.id)
    if model is None:
        raise LookupError(f"model {handle.label!r} was closed")
    return model


def release(handle: ModelHandle | None) -> None:
    """Forget a model (its memory goes when the last job using it ends)."""
    if handle is None:
        return
    with _lock:
        model = _models.pop(handle.id, None)
    if model is not None:
        from ..core.model.extraction import forget_extractors

        forget_extractors(model)


def count() -> int:
    with _lock:
        return len(_models)
