"""Run → Sweep… in the window: one run per combination, each a history row; Cancel stops it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from gui_support import open_main_window
from reprviz_gui.core.io.history import load_history


def _open_dialog(qtbot, win, text: str):
    from reprviz_gui.widgets.sweep_dialog import SweepDialog

    win.commands["sweep"].trigger()
    qtbot.waitUntil(lambda: win.findChild(SweepDialog) is not None)
    dlg = win.findChild(SweepDialog)
    dlg.edit.selectAll()
    qtbot.keyClick(dlg.edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(dlg.edit, text)
    return dlg


def _rows():
    return load_history().records


def test_sweep_runs_every_combination_as_history_rows(qtbot):
    win = open_main_window(qtbot, epochs=1)
    dlg = _open_dialog(qtbot, win, "l2=0,0.01 learning_rate=0.1x")
    ok = dlg.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled() and "learning_rate" in dlg.plan.text()  # a typo is refused
    qtbot.keyClick(dlg.edit, Qt.Key.Key_Backspace)
    assert ok.isEnabled() and dlg.plan.text().startswith("2 run(s)")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: getattr(win, "_sweep", None) is None and len(_rows()) == 2,
                    timeout=120_000)
    rows = _rows()
    assert [(r.l2, r.learning_rate) for r in rows] == [(0.0, 0.1), (0.01, 0.1)]
    assert all(r.hidden == (32, 16) and r.epochs_done == 1 and not r.stopped for r in rows)
    # the sidebar shows the last run's settings
    assert win.sidebar.l2_spin.value() == pytest.approx(0.01)
    assert win.sidebar.lr_spin.value() == pytest.approx(0.1)


def test_cancel_stops_the_sweep_and_keeps_the_runs_done(qtbot):
    win = open_main_window(qtbot, epochs=200, batch_size=8)
    dlg = _open_dialog(qtbot, win, "l2=0,0.01,0.1")
    qtbot.mouseClick(dlg.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    runner = win._sweep
    s = win.controller.workspace.sessions["A"]
    qtbot.waitUntil(lambda: s.training and s.curves.epochs_done >= 1, timeout=60_000)
    finished = []
    runner.finished.connect(lambda done, runs, stopped: finished.append((done, runs, stopped)))
    win.commands["cancel"].trigger()  # Ctrl-.
    qtbot.waitUntil(lambda: bool(finished) and len(_rows()) == 1, timeout=60_000)
    assert finished == [(1, 3, True)] and runner.index == 1  # no second run started
    (row,) = _rows()
    assert row.stopped and row.l2 == 0.0 and row.epochs_done >= 1
    QApplication.processEvents()
    assert not win.controller.training_sessions()
