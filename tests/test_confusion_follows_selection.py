"""Issue 19, 1.7: the confusion matrix marks the cells the shared selection is made of, and
nothing once Esc, a box or a lasso replaced it (the clicked cell stayed highlighted)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from gui_support import click, is_training, wait_idle
from reprviz_gui.workspace.state import Selection

LEFT = Qt.MouseButton.LeftButton


def _marked(view) -> list[tuple[int, int]]:
    """The cells the table draws as selected."""
    return sorted((i.row(), i.column()) for i in view.table.selectedIndexes())


def _click_cell(qtbot, table, row: int, col: int, shift: bool = False) -> None:
    rect = table.visualItemRect(table.item(row, col))
    mod = Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier
    qtbot.mouseClick(table.viewport(), LEFT, mod, rect.center())


def test_the_marked_cell_follows_the_shared_selection(qtbot, window):
    win, c = window, window.controller
    click(qtbot, win.sidebar.train_button)
    qtbot.waitUntil(lambda: not is_training(win) and c.result("evaluation") is not None,
                    timeout=60_000)
    wait_idle(qtbot, win)
    view = win.view("confusion")
    win.docks["confusion"].raise_()
    qtbot.waitUntil(lambda: view.isVisible() and view.table.rowCount() > 0, timeout=10_000)
    ev = c.result("evaluation")
    cm = np.asarray(ev.confusion)
    off = [(int(t), int(p)) for t, p in zip(*np.nonzero(cm)) if t != p][:1]
    assert off, "the model made no error to click"

    _click_cell(qtbot, view.table, 0, 0)
    qtbot.waitUntil(lambda: c.workspace.selection.n == cm[0, 0])
    assert _marked(view) == [(0, 0)]
    _click_cell(qtbot, view.table, *off[0], shift=True)  # shift adds a second cell
    qtbot.waitUntil(lambda: c.workspace.selection.n == cm[0, 0] + cm[off[0]])
    assert _marked(view) == sorted([(0, 0), off[0]])

    QTest.keyClick(win, Qt.Key.Key_Escape)  # Esc clears the selection, and the cells
    qtbot.waitUntil(lambda: c.workspace.selection.empty)
    assert _marked(view) == []

    _click_cell(qtbot, view.table, 0, 0)
    qtbot.waitUntil(lambda: _marked(view) == [(0, 0)])
    # a box in the map: the map view asks for its rows, as its box tool does
    m = win.view("map")
    m.request_rows(np.arange(5), source="map box")
    qtbot.waitUntil(lambda: c.workspace.selection.source == "map box")
    assert _marked(view) == []


def test_selected_cells_is_exact_unions_of_whole_cells():
    from view_support import make_evaluation

    from dataclasses import replace

    from reprviz_gui.views.confusion import selected_cells

    ev = make_evaluation()
    c = np.asarray(ev.confusion).shape[0]
    rng = np.random.default_rng(0)
    labels, preds = rng.integers(0, c, 60), rng.integers(0, c, 60)
    ev = replace(ev, labels=labels, predictions=preds)
    cells = sorted({(int(t), int(p)) for t, p in zip(labels, preds)})
    a, b = cells[0], cells[-1]
    both = np.concatenate([ev.cell_indices(*a), ev.cell_indices(*b)])
    assert selected_cells(ev, Selection.of(ev.split, ev.cell_indices(*a))) == [a]
    assert selected_cells(ev, Selection.of(ev.split, both)) == sorted([a, b])
    if len(ev.cell_indices(*a)) > 1:  # part of a cell marks nothing
        assert selected_cells(ev, Selection.of(ev.split, ev.cell_indices(*a)[1:])) == []
    assert selected_cells(ev, Selection.of("train", ev.cell_indices(*a))) == []
    assert selected_cells(ev, Selection()) == []


def test_the_accuracy_column_shows_whole_at_the_default_window_size(qtbot, open_window):
    """Issue 19, 1.11: at the default 1280 × 960 window the confusion matrix of ten classes
    hid its accuracy column behind a horizontal scroll bar."""
    win = open_window(source="fashion-mnist-sample", epochs=1)
    win.resize(1280, 960)
    c = win.controller
    click(qtbot, win.sidebar.train_button)
    qtbot.waitUntil(lambda: not is_training(win) and c.result("evaluation") is not None,
                    timeout=120_000)
    view = win.view("confusion")
    win.docks["confusion"].raise_()
    qtbot.waitUntil(lambda: view.isVisible() and view.table.rowCount() == 10, timeout=10_000)
    QApplication.processEvents()
    t, h = view.table, view.table.horizontalHeader()
    last = t.columnCount() - 1
    assert h.sectionPosition(last) + h.sectionSize(last) <= t.viewport().width()
    assert not t.horizontalScrollBar().isVisible()
    for i in range(10):  # every cell's text fits its column
        for j in range(last + 1):
            item = t.item(i, j)
            assert QFontMetrics(item.font()).horizontalAdvance(item.text()) < h.sectionSize(j)
