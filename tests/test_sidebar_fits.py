"""The sidebar's controls fit its width (found trying the window at its default size: the
Training row's Record a film check box was cut off, with Open folder… beside it)."""
from __future__ import annotations

from PySide6.QtCore import QPoint

from reprviz_gui.widgets.sidebar import Sidebar


def _right_edge_in_viewport(sb: Sidebar, widget) -> int:
    return widget.mapTo(sb.viewport(), QPoint(widget.width(), 0)).x()


def test_sidebar_at_its_minimum_width_clips_no_button(qtbot):
    sb = Sidebar()
    qtbot.addWidget(sb)
    sb.resize(sb.minimumWidth(), 900)
    sb.show()
    qtbot.waitExposed(sb)
    view_w = sb.viewport().width()
    for w in (sb.film_check, sb.cancel_button, sb.open_folder_button, sb.train_button):
        assert _right_edge_in_viewport(sb, w) <= view_w, w.objectName() or w.text()
    # the check box shows its whole label
    assert sb.film_check.width() >= sb.film_check.sizeHint().width()


def test_sidebar_widens_when_train_becomes_continue_training(qtbot):
    """Found in docs/lesson.png: once the model was trained, "Train" read "Continue training"
    and the wider row pushed Cancel past the sidebar's right edge."""
    sb = Sidebar()
    qtbot.addWidget(sb)
    sb.resize(sb.minimumWidth(), 900)
    sb.show()
    qtbot.waitExposed(sb)
    before = sb.minimumWidth()
    sb.set_can_train(True, continues=True)
    assert sb.train_button.text() == "Continue training"
    qtbot.waitUntil(lambda: sb.minimumWidth() > before, timeout=3000)
    sb.resize(sb.minimumWidth(), 900)
    qtbot.waitUntil(lambda: sb.viewport().width() >= sb.widget().minimumSizeHint().width(),
                    timeout=3000)
    view_w = sb.viewport().width()
    for w in (sb.cancel_button, sb.scratch_button, sb.train_button):
        assert _right_edge_in_viewport(sb, w) <= view_w, w.text()
