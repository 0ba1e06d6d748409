"""Plain progress/cancel callbacks (Orange3's style), so long work runs the same from a thread,
the CLI or a test.

A long function takes ``on_progress: ProgressFn | None`` and ``should_stop: StopFn | None``.
It reports ``Progress`` now and then and calls ``check_stop(should_stop)`` between units of
work; when the user cancels, ``check_stop`` raises ``Cancelled``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from .errors import Cancelled


@dataclass(frozen=True)
class Progress:
    """One progress report. ``fraction`` is in [0, 1]; ``message`` is what a status bar shows."""

    stage: str  # "load", "train", "extract", "project", "evaluate", ...
    fraction: float
    message: str = ""
    eta_seconds: Optional[float] = None
    details: dict[str, Any] = field(default_factory=dict)


ProgressFn = Callable[[Progress], None]
StopFn = Callable[[], bool]


def report(on_progress: ProgressFn | None, stage: str, fraction: float, message: str = "",
           eta_seconds: float | None = None, **details: Any) -> None:
    """Call ``on_progress`` if given; clamps the fraction so callers need not."""
    if on_progress is not None:
        on_progress(Progress(stage, min(1.0, max(0.0, float(fraction))), message, eta_seconds,
                             dict(details)))


def check_stop(should_stop: StopFn | None) -> None:
    """Raise ``Cancelled`` if the user asked to stop."""
    if should_stop is not None and should_stop():
        raise Cancelled("Cancelled by the user.")
