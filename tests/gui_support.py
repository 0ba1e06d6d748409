"""Helpers shared by the window tests (pytest-qt, offscreen): the small, fast settings every
window test starts from, a factory that opens a window and waits for its first layer, and the
waits and clicks the tests drive it with. The fixtures built on these live in conftest.py."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from reprviz_gui.controller import Controller, Settings


def fast_settings(**overrides) -> Settings:
    """Digits, a small dense model, 2 short epochs, 200 samples and PCA: each test takes seconds."""
    base = dict(source="digits", preset="dense", model_params={"hidden": [32, 16]}, epochs=2,
                batch_size=64, n_samples=200, method="pca", seed=0)
    base.update(overrides)
    return Settings(**base)


def open_main_window(qtbot, **overrides):
    """A started MainWindow on fast_settings(**overrides), with its model and first layer ready."""
    from reprviz_gui.main_window import MainWindow

    win = MainWindow(Controller(fast_settings(**overrides)), remember=False)
    qtbot.addWidget(win)
    win.show()
    win.start()
    qtbot.waitUntil(lambda: win.controller.model_ready is not None
                    and win.controller._current_layer_result is not None, timeout=60_000)
    return win


def top_level_widgets() -> set:
    return set(QApplication.topLevelWidgets())


def close_and_check_none_left_open(windows, before: set) -> None:
    """Close the windows; fail if any other top-level widget opened since `before` is visible."""
    for win in windows:
        win.close()
    QApplication.processEvents()
    for w in QApplication.topLevelWidgets():
        if w not in before and w.isVisible():
            pytest.fail(f"top-level widget left open: {w!r}")


def pending(win, kind=None):
    """The jobs queued or running in any lane, warm-up aside (only those of `kind` if given)."""
    return [j for lane in win.controller.lanes.values() for j in lane.pending_jobs()
            if j.kind != "warmup" and (kind is None or j.kind == kind)]


def wait_idle(qtbot, win, timeout=60_000):
    qtbot.waitUntil(lambda: not pending(win), timeout=timeout)


def click(qtbot, widget):
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
