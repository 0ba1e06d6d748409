"""The window's rows of the run history: what a training run records, written off the GUI
thread, and restoring a recorded run's settings.

``run_start`` snapshots, when Train is pressed, what the run uses (the sidebar may change while
it trains); ``record_run`` turns it and the ``TrainOutcome`` into a ``RunRecord``
(``core.io.history.record_from_run``, the same row ``analyze`` writes) and appends it. Appending
rewrites the whole file atomically under a lock — 40 ms for 100 runs, 130 ms for 500 (measured)
— so it runs on a thread of its own, and the "history" product is recomputed when it is done.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional

from PySide6.QtCore import QObject, Signal, Slot

from ..core.errors import ReprvizError
from ..core.model.preset_table import (FIELDS, MODEL_FIELDS, OPTIMIZER_FIELDS, TRAINING_FIELDS,
                                       editable, format_value, history_keys)
from ..workers.lane import JobFailure
from .state import NO_MODEL, Session

from .signals import WorkspaceSignals
from .state import Workspace

if TYPE_CHECKING:
    from ..core.io.history import HistoryLoad, RunRecord
    from .controller import Controller
    from .jobs import TrainOutcome
    from .scheduler import ProductScheduler
    from .settings import Settings


@dataclass(frozen=True)
class RunStart:
    """What a training run was started with (taken when Train is pressed)."""

    started: str  # ISO 8601 local time
    dataset: str  # the dataset's name, as shown
    data_source: str  # what reopens it (a source name or a path)
    train_config: Any  # core.model.training.TrainConfig
    model_config: Any = None  # core.model.presets.ModelConfig of a preset; None for a file
    model_file: Optional[str] = None
    run_id: str = ""  # the row's id, known at the start (the next run may continue this one)
    epochs_before: int = 0  # epochs these weights had when the run started (continued)
    continued_from: Optional[str] = None  # the id of the run it continued; None: fresh


def run_start(ws: Workspace, st: "Settings", s: Session,
              train_config: Any) -> Optional[RunStart]:
    """The snapshot of a run about to start on session ``s`` (None without data or model)."""
    from ..core.io.history import new_run_id, now_iso

    if ws.dataset is None or s.preset == NO_MODEL:
        return None
    # a continued run: the epochs before it count in its row, which names the run it continued
    go_on = dict(run_id=new_run_id(), epochs_before=s.trained_epochs,
                 continued_from=s.last_run_id or None)
    if s.file or s.preset == "file":
        return RunStart(now_iso(), ws.dataset.name, ws.source, train_config, None, s.file,
                        **go_on)
    from ..core.model.presets import ModelConfig, default_config

    base = default_config(s.preset)
    params = {k: (tuple(v) if k == "hidden" else v) for k, v in s.params.items()
              if hasattr(base, k)}
    # train() compiles with the sidebar's optimizer and learning rate just before it starts
    params.update(optimizer=st.optimizer, learning_rate=float(st.learning_rate),
                  momentum=float(st.momentum), nesterov=bool(st.nesterov))
    config = ModelConfig(**{**base.__dict__, **params})
    return RunStart(now_iso(), ws.dataset.name, ws.source, train_config, config, None, **go_on)


def record_for(run: RunStart, outcome: "TrainOutcome") -> "RunRecord":
    """The history row of a finished or stopped run (the window's ``TrainOutcome`` has what
    ``record_from_run`` reads of a ``TrainResult`` and of an ``Evaluation``)."""
    from dataclasses import replace

    from ..core.io.history import record_from_run

    record = record_from_run(dataset=run.dataset, train_config=run.train_config,
                             result=outcome, config=run.model_config,
                             model_file=run.model_file, evaluation=outcome.evaluation,
                             source="window", started=run.started,
                             data_source=run.data_source)
    return replace(record, id=run.run_id or record.id, epochs_before=run.epochs_before,
                   continued_from=run.continued_from,
                   partial_batches=int(getattr(outcome, "partial_batches", 0)))




# --- writing off the GUI thread -----------------------------------------------------------------
class HistoryService(QObject):
    """The run history's writer: appends and deletes on one worker thread, in order; when a
    change is on disk it bumps the workspace's ``history_revision`` and refreshes the "history"
    product so the history view reloads, and says what went wrong. Made with the controller."""

    _done = Signal(object, object)  # HistoryLoad or None, JobFailure or None (worker -> GUI)

    def __init__(self, workspace: Workspace, scheduler: "ProductScheduler",
                 signals: WorkspaceSignals) -> None:
        super().__init__(signals)
        self.workspace, self.scheduler, self.signals = workspace, scheduler, signals
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="run-history")
        self._pending = 0
        self._futures: set[Future] = set()
        self._lock = threading.Lock()
        self._done.connect(self._on_done)  # queued: emitted on the worker thread
        self._made: list["RunRecord"] = []  # rows of this window's session (session files)

    def record_run(self, run: Optional[RunStart], outcome: "TrainOutcome") -> bool:
        """Append the run's row (in the background); False when there is nothing to record
        (no snapshot, or stopped before its first batch: the weights did not change). A run
        stopped within its first epoch is recorded: its batches changed the weights."""
        if run is None or (outcome.epochs_done <= 0 and not outcome.partial_batches):
            return False
        self.append(record_for(run, outcome))
        return True

    def append(self, record: "RunRecord") -> None:
        from ..core.io.history import append_run

        self._made.append(record)
        self._submit(lambda: append_run(record))

    def made_rows(self) -> list[dict]:
        """The rows added in this session, as JSON (a session file keeps them)."""
        return [r.to_json() for r in self._made]

    def adopt(self, rows: Iterable[dict]) -> None:
        """A session's rows: each one the run history lacks (by id) is added to it."""
        from ..core.io.history import RunRecord, append_run, load_history

        records = []
        for raw in rows:
            try:
                records.append(RunRecord.from_json(raw))
            except (ValueError, TypeError):
                continue  # a row a hand edit damaged: left out, the rest kept
        if not records:
            return
        self._made.extend(records)

        def add() -> "HistoryLoad":
            have = {r.id for r in load_history().records}
            load = None
            for r in records:
                if r.id not in have:
                    load = append_run(r)
            return load if load is not None else load_history()

        self._submit(add)

    def delete(self, ids: Iterable[str]) -> None:
        from ..core.io.history import delete_runs

        ids = list(ids)
        self._submit(lambda: delete_runs(ids))

    def pending(self) -> int:
        with self._lock:
            return self._pending

    def flush(self, timeout: float = 3.0) -> bool:
        """Wait (at most ``timeout`` seconds) until every change is on disk; the window calls
        it when it closes, so a run that ended just before is not lost. True when done."""
        from concurrent.futures import wait

        with self._lock:
            futures = set(self._futures)
        return not wait(futures, timeout).not_done if futures else True

    def _submit(self, fn: Callable[[], "HistoryLoad"]) -> None:
        future = self._pool.submit(fn)
        with self._lock:
            self._pending += 1
            self._futures.add(future)
        future.add_done_callback(self._finished)

    def _finished(self, future: Future) -> None:  # on the worker thread
        with self._lock:
            self._futures.discard(future)
        load, failure = None, None
        try:
            load = future.result()
        except ReprvizError as err:
            failure = JobFailure(str(err), "", "history", True)
        except Exception as err:  # noqa: BLE001 - a bug: report it, never lose the thread
            import traceback

            failure = JobFailure(f"{type(err).__name__}: {err}", traceback.format_exc(),
                                 "bug", False)
        try:
            self._done.emit(load, failure)
        except RuntimeError:
            pass  # the window closed meanwhile: the file is written, nobody to tell

    @Slot(object, object)
    def _on_done(self, load: Optional["HistoryLoad"], failure: Optional[JobFailure]) -> None:
        with self._lock:
            self._pending -= 1
        if failure is not None:
            self.signals.failed.emit("saving the run history", failure)
        elif load is not None and load.note:
            self.signals.message.emit(load.note)
        self.workspace.history_revision += 1
        self.scheduler.refresh(kinds={"history"})


def flush(c: "Controller", timeout: float = 3.0) -> bool:
    """Wait until the controller's history changes are written (see ``HistoryService.flush``)."""
    return c.history.flush(timeout)


def writer(c: "Controller") -> HistoryService:
    """The controller's history service."""
    return c.history


# --- restoring a run -----------------------------------------------------------------------------
# what a run's settings restore: the preset table's fields
TRAINING_KEYS = TRAINING_FIELDS
MODEL_KEYS = MODEL_FIELDS


def restore_settings(c: "Controller", settings: dict) -> str:
    """Put a recorded run's settings back: training settings, optimizer and learning rate, and
    the preset with its parameters (rebuilt, so the run can be repeated from scratch) when it
    suits the data open now. Returns the status-bar message saying what was restored."""
    training = settings.get("training") or {}
    model = settings.get("model") or {}
    st = c.settings
    # every value is checked against its field (a hand-edited history is not trusted)
    for key, value in [(k, training.get(k)) for k in TRAINING_KEYS] + \
            [(k, model.get(k)) for k in OPTIMIZER_FIELDS]:
        if value is None or isinstance(value, (dict, list)) or not hasattr(st, key):
            continue
        try:
            setattr(st, key, FIELDS[key].check(value))
        except (ValueError, TypeError):
            pass
    done = "Restored the run's training settings"
    preset = model.get("preset")
    ds = c.workspace.dataset
    data = settings.get("data")
    if model.get("file"):
        return done + f"; its model was the file {model['file']} (load it with Load model…)."
    if not preset:
        return done + "."
    from ..core.model.presets import PRESETS, preset_suits

    if preset not in PRESETS:
        return done + f"; its preset {preset!r} is unknown here."
    if ds is not None and not preset_suits(preset, ds):
        return done + f"; its {preset} preset cannot take {ds.name} (it ran on {data})."
    params = {}
    for key in editable(preset):
        if key in model:
            try:
                value = FIELDS[key].check(model[key])
            except (ValueError, TypeError):
                continue
            params[key] = list(value) if key == "hidden" else value
    c.set_model_preset(preset, params)
    where = f" (it ran on {data})" if data and ds is not None and data != c.workspace.source \
        else ""
    return f"Restored the run's settings and rebuilt its {preset} model{where}."


def settings_summary(settings: dict) -> list[tuple[str, str]]:
    """(name, value) of what a run was set to — the model settings its preset uses, the
    optimizer and the training settings — for the history view's details."""
    out: list[tuple[str, str]] = []
    model = settings.get("model") or {}
    if model.get("file"):
        out.append(("model file", str(model["file"])))
    elif model.get("preset"):
        out.append(("preset", str(model["preset"])))
    for key in history_keys(model.get("preset"), model.get("optimizer")):
        if key in model:
            out.append((key.replace("_", " "), format_value(key, model[key])))
    for key, value in (settings.get("training") or {}).items():
        if key != "progress_every":
            out.append((key.replace("_", " "), str(value)))
    if settings.get("data"):
        out.append(("data", str(settings["data"])))
    return out


__all__ = ["RunStart", "run_start", "record_for", "HistoryService", "writer",
           "flush", "restore_settings", "settings_summary"]
