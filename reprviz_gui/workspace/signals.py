"""The signals the window's views and bars listen to, in one QObject the services share.

The controller is this object (it adds the intents); each service (models, training, history)
gets it as its one way to tell the window what changed, so none of them needs the others.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class WorkspaceSignals(QObject):
    dataset_changed = Signal(object)  # Dataset
    samples_changed = Signal(object)  # SampleSet
    session_changed = Signal(str)  # a session's model, layers, chosen layer or status changed
    sessions_changed = Signal()  # a session was added or removed (comparison)
    selection_changed = Signal(object)  # Selection
    training_changed = Signal(str, bool)  # session id, running
    product_ready = Signal(str, str, object)  # product kind, session id ("" = none), result
    product_unavailable = Signal(str, str, str)  # product kind, session id, why
    product_busy = Signal(str, str, str)  # product kind, session id, message ("" = done)
    activity = Signal(str, float, object)  # message, fraction (<0: indeterminate), eta seconds
    idle = Signal()
    message = Signal(str)  # a status-bar note
    failed = Signal(str, object)  # what was being done, JobFailure
    unsafe_model = Signal(str, str, str)  # session id, path, message: ask "trust this file?"
    unsafe_data = Signal(str, str)  # source, message: ask "trust this file?"
    session_saved = Signal(str)  # the session file written
    session_restored = Signal(str)  # a session file's results are in the store and shown


__all__ = ["WorkspaceSignals"]
