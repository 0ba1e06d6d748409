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
