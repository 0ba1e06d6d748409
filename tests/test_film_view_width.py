"""The Film view fits beside another (found trying compare mode at 1600 x 1000: with a film of
A and one of B side by side the window grew to 1,982 px, wider than the screen)."""
from __future__ import annotations

from PySide6.QtCore import QPoint

from reprviz_gui.views.film import FilmPanel


def test_the_film_view_is_narrow_enough_for_two_side_by_side_and_clips_no_control(qtbot):
    view = FilmPanel()
    qtbot.addWidget(view)
    view._stack.setCurrentWidget(view.body)  # the controls, as a film shows them
    width = view.minimumSizeHint().width()
    assert width <= 480  # two of them, the sidebar and a column of views fit in 1,600 px
    view.resize(width, 600)
    view.show()
    qtbot.waitExposed(view)
    for w in (view.play_button, view.epoch_label, view.fps_box, view.predicted_check,
              view.along_combo, view.export_button):
        assert w.isVisible()
        assert w.mapTo(view, QPoint(w.width(), 0)).x() <= view.width()
        assert w.width() >= w.minimumSizeHint().width()
