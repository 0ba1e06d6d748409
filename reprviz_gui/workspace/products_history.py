"""The run history as a product: the rows of ``history.json`` (``core.io.history``), read on the
quick lane. Its parameter is the workspace's ``history_revision``, which the window bumps after
each change it writes (``history_rows.HistoryService``), so the view reloads exactly then; Qt-free.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..core.progress import ProgressFn, StopFn
from .products import Product, ProductRequest
from .state import ResultTag, Session, Workspace


@dataclass(frozen=True)
class HistoryResult:
    tag: ResultTag
    records: tuple  # core.io.history.RunRecord, oldest first
    note: Optional[str] = None  # a damaged file set aside, entries that could not be read
    path: Optional[Path] = None


def _history_params(ws: Workspace, s: Optional[Session]) -> Optional[dict]:
    return {"revision": ws.history_revision}


def _compute_history(req: ProductRequest, on_progress: ProgressFn,
                     should_stop: StopFn) -> HistoryResult:
    from ..core.io.history import load_history

    load = load_history()
    return HistoryResult(req.key.tag, tuple(load.records), load.note, load.path)


HISTORY_PRODUCT = Product("history", _history_params, _compute_history, lane="quick",
                          per_session=False, with_samples=False, busy="Reading the run history…")

# registered by catalog.load(), with every other module's
PRODUCTS = (HISTORY_PRODUCT,)
