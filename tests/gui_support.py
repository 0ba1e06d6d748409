"""Helpers shared by the window tests (pytest-qt, offscreen): the small, fast settings every
window test starts from, a factory that opens a window and waits for its first layer, and the
waits, reads and clicks the tests drive it with. The fixtures built on these live in conftest.py."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from reprviz_gui.workers.lane import JobKind
from reprviz_gui.workspace.controller import Controller, Settings


def fast_settings(**overrides) -> Settings:
    """Digits, a small dense model, 2 short epochs, 200 samples and PCA: each test takes seconds."""
    base = dict(source="digits", preset="dense", model_params={"hidden": [32, 16]}, epochs=2,
                batch_size=64, n_samples=200, method="pca", seed=0)
    base.update(overrides)
    return Settings(**base)


def session(win, sid: str = "A"):
    return win.controller.workspace.sessions[sid]


def layer_result(win, sid: str = "A"):
    """The layer result the views of this session show now (None while computing)."""
    view = win.view("heatmap", sid)
    r = view.result() if view is not None else None
    return r if r is not None and win.controller.workspace.is_current(r.tag) else None


def map_result(win, sid: str = "A"):
    view = win.view("map", sid)
    return view.result() if view is not None else None


def is_training(win) -> bool:
    return bool(win.controller.training_sessions())


def ready(win, sid: str = "A") -> bool:
    """The session's model (or the data itself) is ready and its chosen layer is drawn."""
    s = win.controller.workspace.sessions.get(sid)
    if s is None or s.building:
        return False
    r = layer_result(win, sid)
    return r is not None and r.layer_name == (s.layer if s.has_model else r.layer_name)


def open_main_window(qtbot, **overrides):
    """A started MainWindow on fast_settings(**overrides), with its model and first layer ready."""
    from reprviz_gui.main_window import MainWindow

    win = MainWindow(Controller(fast_settings(**overrides)), remember=False)
    qtbot.addWidget(win)
    win.show()
    win.start()
    qtbot.waitUntil(lambda: ready(win), timeout=60_000)
    return win


def top_level_widgets() -> set[int]:
    """The top-level widgets' C++ addresses (wrappers held across a test can outlive them)."""
    from reprviz_gui.widgets.top_levels import top_level_addresses

    return top_level_addresses()


def close_and_check_none_left_open(windows, before: set[int]) -> None:
    """Close the windows; fail if any other top-level widget opened since `before` is visible."""
    from reprviz_gui.widgets.top_levels import address, gc_paused

    for win in windows:
        win.close()
    QApplication.processEvents()
    with gc_paused():
        left = [repr(w) for w in QApplication.topLevelWidgets()
                if address(w) not in before and w.isVisible()]
    if left:
        pytest.fail(f"top-level widget left open: {left[0]}")


def pending(win, kind=None):
    """The jobs queued or running in any lane, warm-ups aside (only those of `kind` if given)."""
    return [j for lane in win.controller.lanes.values() for j in lane.pending_jobs()
            if j.kind != JobKind.WARMUP and (kind is None or j.kind == kind)]


def wait_idle(qtbot, win, timeout=60_000):
    qtbot.waitUntil(lambda: not pending(win), timeout=timeout)


def wait_layer(qtbot, win, name: str, sid: str = "A", timeout=60_000):
    qtbot.waitUntil(lambda: layer_result(win, sid) is not None
                    and layer_result(win, sid).layer_name == name, timeout=timeout)


def click(qtbot, widget):
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def layer_names(win, sid: str = "A") -> list[str]:
    return [l.name for l in win.controller.layers_of(sid)]


def expected_activations(win, layer: str, sid: str = "A") -> np.ndarray:
    """The layer's activations computed again here, straight from the core pipeline."""
    from reprviz_gui.core.pipeline import layer_activations
    from reprviz_gui.workspace import handles

    c = win.controller
    acts, _ = layer_activations(handles.resolve(c.workspace.sessions[sid].handle), c.dataset,
                                c.samples, layer)
    return acts
