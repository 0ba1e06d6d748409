"""The defects a new user met in the first ten minutes (issue "the basics right"), each driven
as a user would in the window (pytest-qt, offscreen)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from gui_support import click, is_training, session, wait_idle


def _wheel(widget, delta: int = -120) -> None:
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    glob = QPointF(widget.mapToGlobal(pos.toPoint()))
    ev = QWheelEvent(pos, glob, QPoint(0, 0), QPoint(0, delta), Qt.MouseButton.NoButton,
                     Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, ev)


def test_status_bar_messages_are_visible(qtbot, window):
    """The activity widget no longer stretches over the message area."""
    win = window
    win.show_message("Saved model to /tmp/x.keras.")
    bar = win.statusBar()
    assert bar.currentMessage() == "Saved model to /tmp/x.keras."
    room = win.activity_bar.geometry().left()  # the message is drawn left of the activity
    assert room >= bar.fontMetrics().horizontalAdvance(bar.currentMessage())


def test_train_before_the_model_is_ready_waits_for_it(qtbot, open_window):
    """Train pressed while the model is being rebuilt is not lost: it says so, waits for the
    model and then trains it (it used to answer "still being prepared" and do nothing)."""
    win = open_window()
    c = win.controller
    c.set_model_preset("dense", {"hidden": [8]})  # a rebuild: the model is being prepared
    assert session(win).building
    assert "prepared" in win.sidebar.train_button.toolTip()
    with qtbot.waitSignal(c.message) as said:
        win.action_train.trigger()  # Ctrl+T
    assert "training starts as soon as it is ready" in said.args[0]
    assert not win.sidebar.train_button.isEnabled()  # asked once; a second click adds nothing
    qtbot.waitUntil(lambda: is_training(win), timeout=60_000)
    qtbot.waitUntil(lambda: not is_training(win), timeout=60_000)
    assert session(win).trained_epochs == c.settings.epochs
    assert win.sidebar.train_button.isEnabled()


def test_a_loaded_trained_model_is_evaluated_and_shown_as_trained(qtbot, open_window, tmp_path):
    win = open_window()
    c = win.controller
    click(qtbot, win.sidebar.train_button)
    qtbot.waitUntil(lambda: not is_training(win) and c.result("evaluation") is not None,
                    timeout=60_000)
    trained_acc = c.result("evaluation").accuracy["test"]
    path = tmp_path / "trained.keras"
    c.save_model(path)
    qtbot.waitUntil(path.exists, timeout=30_000)
    wait_idle(qtbot, win)
    win.sidebar.set_model_choice("multinomial", {})  # what a previous preset left behind
    c.load_model(str(path))
    qtbot.waitUntil(lambda: session(win).file == str(path) and not session(win).building,
                    timeout=60_000)
    qtbot.waitUntil(lambda: c.result("evaluation") is not None
                    and c.result("evaluation").tag.model_version == session(win).version,
                    timeout=60_000)
    wait_idle(qtbot, win)
    assert c.result("evaluation").accuracy["test"] == trained_acc  # same weights, no training
    info = win.sidebar.model_info.text()
    assert "loaded from file" in info and "untrained" not in info
    assert f"{trained_acc:.1%}" in info
    assert win.sidebar.preset_combo.currentText() == "Loaded: trained.keras"
    assert not win.sidebar.hidden_edit.isVisible()  # no preset fields for a file
    assert win.view("confusion").displayed()["counts"].sum() == len(c.dataset.y_test)
    qtbot.waitUntil(lambda: win.view("map").result() is not None
                    and win.view("map").result().predictions is not None, timeout=30_000)
    m = win.view("map")
    assert m.colour_combo.model().item(1).isEnabled() and m.errors_check.isEnabled()


def test_wheel_over_the_sidebar_scrolls_and_edits_nothing(qtbot, window):
    win = window
    sb = win.sidebar
    win.resize(1280, 520)  # short enough for the sidebar to scroll
    qtbot.waitUntil(lambda: sb.verticalScrollBar().maximum() > 0, timeout=5_000)
    before = (sb.batch_spin.value(), sb.epochs_spin.value(), sb.optimizer_combo.currentText(),
              sb.method_combo.currentData())
    for w in (sb.batch_spin, sb.epochs_spin, sb.optimizer_combo, sb.method_combo):
        assert not w.hasFocus()
        _wheel(w)
        _wheel(w.lineEdit() if hasattr(w, "lineEdit") and w.lineEdit() else w)
    after = (sb.batch_spin.value(), sb.epochs_spin.value(), sb.optimizer_combo.currentText(),
             sb.method_combo.currentData())
    assert after == before
    sb.batch_spin.setFocus()
    qtbot.waitUntil(sb.batch_spin.hasFocus, timeout=2_000)
    _wheel(sb.batch_spin, 120)  # a focused field still takes the wheel
    assert sb.batch_spin.value() == before[0] + 1


def test_growing_the_window_gives_the_space_to_the_views(qtbot, window):
    win = window
    win.resize(1280, 900)
    QApplication.processEvents()
    side = win.sidebar_dock.width()
    views = win.views_area.width()
    win.resize(1900, 1000)  # what maximising does
    qtbot.waitUntil(lambda: win.width() == 1900, timeout=5_000)
    QApplication.processEvents()
    assert abs(win.sidebar_dock.width() - side) <= 4
    assert win.views_area.width() >= views + 600


def test_reset_layout_fits_a_small_window(qtbot, window):
    win = window
    win.resize(1024, 700)
    qtbot.waitUntil(lambda: win.width() == 1024, timeout=5_000)
    win.docks["cosine"].hide()
    win.reset_layout()
    QApplication.processEvents()
    assert (win.width(), win.height()) == (1024, 700)  # the window keeps its size
    assert win.sidebar_dock.width() <= 340
    assert win.docks["cosine"].isVisible()
    for view_id in ("heatmap", "map", "cosine", "confusion"):
        dock = win.docks[view_id]
        assert dock.isVisible() and dock.width() >= 150 and dock.height() >= 120, view_id
    cm = win.view("confusion").table
    assert cm.columnCount() == 0 or cm.horizontalHeader().sectionSize(0) > 0


def test_sample_box_shows_the_count_actually_used(qtbot, window):
    win = window
    c = win.controller
    spin = win.sidebar.samples_spin
    # no cap at the larger split: a spin box drops the keystroke past its maximum
    assert spin.maximum() > 100 * max(len(c.dataset.y_train), len(c.dataset.y_test))
    spin.setValue(100_000)  # more than either split: the window shows the whole test split
    spin.editingFinished.emit()
    qtbot.waitUntil(lambda: c.samples is not None and c.samples.n == len(c.dataset.y_test),
                    timeout=30_000)
    assert spin.value() == len(c.dataset.y_test)  # 359 of the test split, not what was typed
    assert "359" in spin.toolTip()


def test_status_bar_never_shows_a_finished_jobs_progress(qtbot, open_window):
    """While the t-SNE map computes, the status bar names it (as "t-SNE"), not the last batch
    of the layer read that finished before it."""
    win = open_window(method="tsne", n_samples=1500, split="train")
    qtbot.waitUntil(lambda: "t-SNE" in win.activity_bar.label.text(), timeout=60_000)
    text = win.activity_bar.label.text()
    assert "Reading" not in text and "TSNE" not in text
    win.controller.cancel()
    wait_idle(qtbot, win)


def test_busy_badge_leaves_the_map_controls_free(qtbot, window):
    m = window.view("map")
    m.set_busy("Computing the UMAP map…")
    badge = m._busy.geometry()
    for control in (m.errors_check, m.reset_button, m.colour_combo):
        rect = control.geometry()
        rect.moveTopLeft(control.mapTo(m, control.rect().topLeft()))
        assert not badge.intersects(rect), control.text() if hasattr(control, "text") else ""
    m.set_busy("")


def test_map_axes_have_no_si_scale_suffix(qtbot, window):
    from dataclasses import replace

    m = window.view("map")
    r = m.result()
    m.show_result(replace(r, coords=(np.asarray(r.coords) * 1e-3).astype(np.float32)))
    label = m.plot.getAxis("bottom").labelString()
    assert "x0.001" not in label and "(x" not in label


def test_subtitles_wrap_instead_of_being_cut(qtbot, window):
    m = window.view("heatmap")
    m.resize(180, 400)
    QApplication.processEvents()
    sub = m.subtitle
    assert sub.wordWrap()
    assert sub.height() >= sub.heightForWidth(sub.width()) - 1


def test_word_table_says_there_is_nothing_to_predict(qtbot, open_window):
    win = open_window(source="capitals", preset="none", n_samples=1000)
    hint = win.view("confusion").hint_text()
    assert "word table" in hint.lower() and "train" not in hint.lower()


def test_going_busy_and_idle_never_resizes_the_views(qtbot, window):
    """The Cancel button made the status bar taller while busy: every job's start and end
    resized the views area and redrew every plot (the window's longest stalls)."""
    from PySide6.QtWidgets import QApplication

    wait_idle(qtbot, window)
    window.statusBar().clearMessage()
    window.activity_bar.set_idle()
    QApplication.processEvents()
    heat = window.view("heatmap")
    sizes = [(window.statusBar().height(), heat.size().toTuple())]
    window.activity_bar.set_activity("Training epoch 1 / 3", 0.3, 5.0)
    QApplication.processEvents()
    sizes.append((window.statusBar().height(), heat.size().toTuple()))
    window.activity_bar.set_idle()
    QApplication.processEvents()
    sizes.append((window.statusBar().height(), heat.size().toTuple()))
    assert window.activity_bar.cancel_button.isHidden()
    assert sizes[0] == sizes[1] == sizes[2], sizes
