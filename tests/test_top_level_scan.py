"""The scans of the top-level widgets run with no garbage collection inside them.

A collection in the middle of ``QApplication.topLevelWidgets()`` and its reading frees the C++
menus of a dropped pyqtgraph plot whose wrappers the scan already holds, and the next call on
one reads freed memory: a segfault in ``adopt_orphan_windows`` took a test worker down (seen
once in a full run under load; a low ``gc`` threshold crashed 2 runs in 5 of building every
view). With the collector started by (almost) every allocation, none may run in a scan."""

from __future__ import annotations

import gc
import linecache
import sys

from reprviz_gui.views.registry import VIEWS
from reprviz_gui.widgets import top_levels
from reprviz_gui.widgets.top_levels import new_parentless_windows, top_level_addresses

SCANS = ("top_level_addresses", "new_parentless_windows")


def _in_a_scan() -> bool:
    """Whether the caller runs inside a scan's body: after its ``with gc_paused():`` line, or
    in its comprehension."""
    frame = sys._getframe(2)
    while frame is not None:
        code = frame.f_code
        if code.co_filename == top_levels.__file__:
            if code.co_name.startswith("<"):
                return True
            if code.co_name in SCANS:
                line = linecache.getline(code.co_filename, frame.f_lineno)
                if "gc_paused" not in line:
                    return True
        frame = frame.f_back
    return False


def test_no_collection_runs_while_the_top_level_widgets_are_read(qtbot):
    before = top_level_addresses()
    view = next(spec for spec in VIEWS if spec.id == "map").create()  # pyqtgraph menus made
    qtbot.addWidget(view)
    phases: list[tuple[str, bool]] = []

    def heard(phase: str, _info: dict) -> None:
        phases.append((phase, _in_a_scan()))

    threshold = gc.get_threshold()
    gc.callbacks.append(heard)
    gc.set_threshold(1, 1, 1)  # a collection at (almost) every allocation
    try:
        addresses = top_level_addresses()
        found = new_parentless_windows(before, view)
    finally:
        gc.set_threshold(*threshold)
        gc.callbacks.remove(heard)
    assert phases  # the collector ran around the scans (so it was heard)...
    assert [p for p in phases if p[1]] == []  # ...and never inside one
    assert len(addresses) > len(before) + 1  # the view and its pyqtgraph menus were seen
    assert view not in found and all(w.parent() is None for w in found)
