"""Reading ``QApplication.topLevelWidgets()`` without a garbage collection in the middle.

The list holds wrappers that do not own their widgets. If Python's cyclic collector runs while
the list is read (any allocation may start it), collecting a dropped pyqtgraph plot deletes the
C++ widgets it made (its menus, its first viewport), and the next call on such a wrapper reads
freed memory: a segfault in ``adopt_orphan_windows`` (seen in the suite; reproduced with a low
``gc`` threshold). Every scan of the top-level widgets runs inside ``gc_paused``."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

import shiboken6
from PySide6.QtWidgets import QApplication, QWidget


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block (restored as it was after)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def address(widget: QWidget) -> int:
    """The C++ object's address. Not ``id()``: ``topLevelWidgets()`` hands out temporary Python
    wrappers whose ids change from call to call."""
    return int(shiboken6.getCppPointer(widget)[0])


def top_level_addresses() -> set[int]:
    """The C++ addresses of today's top-level widgets."""
    with gc_paused():
        return {address(w) for w in QApplication.topLevelWidgets()}


def new_parentless_windows(before: set[int], besides: QWidget) -> list[QWidget]:
    """The parentless top-level widgets made since ``before`` (other than ``besides``)."""
    with gc_paused():
        return [w for w in QApplication.topLevelWidgets()
                if address(w) not in before and w is not besides and w.parent() is None]
