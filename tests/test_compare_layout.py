"""The compare layout (issue 19 §1.10): with two models the confusion matrices show all their
rows and the accuracy column, and the heatmaps keep the dock's width, at the default 1280 × 960
window and at 1920 × 1080 — one tab per model for those views, the maps side by side; View →
Compare in tabs puts every view in tabs; the sidebar's model tab brings that model's tab front."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from gui_support import is_training, session, wait_idle


def _fits(table) -> bool:
    """Every row and the last (accuracy) column inside the table's viewport."""
    n, cols = table.rowCount(), table.columnCount()
    if n == 0:
        return False
    vp = table.viewport()
    rows_h = sum(table.rowHeight(i) for i in range(n))
    last = cols - 1
    right = table.columnViewportPosition(last) + table.columnWidth(last)
    return rows_h <= vp.height() and right <= vp.width() and \
        table.verticalScrollBar().maximum() == 0


def test_compared_confusion_matrices_and_heatmaps_fit_and_the_tabs_toggle(qtbot, open_window):
    win = open_window(epochs=1)
    c = win.controller
    c.add_comparison("multinomial", train=True)
    qtbot.waitUntil(lambda: "B" in c.workspace.sessions and session(win, "B").trained_epochs
                    == 1 and not is_training(win), timeout=90_000)
    c.train("A")
    qtbot.waitUntil(lambda: session(win).trained_epochs == 1 and not is_training(win),
                    timeout=90_000)
    wait_idle(qtbot, win)
    for size in ((1280, 960), (1920, 1080)):
        win.resize(*size)
        win.reset_layout()
        QApplication.processEvents()
        for sid in ("A", "B"):
            win.sidebar.session_chosen.emit(sid)  # the sidebar's model tab
            QApplication.processEvents()
            view = win.view("confusion", sid)
            qtbot.waitUntil(lambda: view.isVisible() and view.displayed().get("counts")
                            is not None and view.displayed()["counts"].sum() > 0,
                            timeout=30_000)
            qtbot.waitUntil(lambda: _fits(view.table), timeout=5_000)
            assert view.table.rowCount() == 10
            heat = win.view("heatmap", sid)
            assert heat.isVisible()
            # the heatmap has the dock's width, not half of it (30 px each at 1920 × 1080)
            assert heat.width() >= 0.9 * win.host("heatmap").width()
            cosine = win.view("cosine", sid)  # ~50 px each side by side at 1600 × 1000
            assert cosine.isVisible() and cosine.width() >= 0.9 * win.host("cosine").width()
        # the maps stay side by side: both visible at once
        assert win.view("map", "A").isVisible() and win.view("map", "B").isVisible()

    # View → Compare in tabs: every view one tab per model, and back
    action = win.commands["compare_tabs"]
    action.trigger()
    assert action.isChecked() and win.host("map").mode == "tabs"
    win.sidebar.session_chosen.emit("B")
    QApplication.processEvents()
    assert win.view("map", "B").isVisible() and not win.view("map", "A").isVisible()
    action.trigger()
    assert win.host("map").mode == "side" and win.host("confusion").mode == "tabs"
    QApplication.processEvents()
    assert win.view("map", "A").isVisible() and win.view("map", "B").isVisible()
