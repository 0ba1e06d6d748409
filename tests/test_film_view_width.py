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


def test_film_insets_label_classes_whole_epochs_and_keep_the_legend_off_the_curves(qtbot):
    # found in a real-window tryout: the confusion inset was numbered -5..15, the layers plot
    # had half-epoch ticks and its legend sat over the lines
    from types import SimpleNamespace

    import numpy as np

    view = FilmPanel()
    qtbot.addWidget(view)
    view._stack.setCurrentWidget(view.body)
    view.resize(480, 700)
    view.show()
    qtbot.waitExposed(view)
    names = ["zero", "one", "two"]
    r = SimpleNamespace(samples=SimpleNamespace(class_names=names, labels=np.array([0, 1, 2, 2])),
                        recording=SimpleNamespace(predictions=np.array([[0, 1, 1, 2]])),
                        maps=SimpleNamespace(epochs=np.array([3])))
    view._draw_confusion(r, 0)
    for side in ("left", "bottom"):
        (major,) = view.cm_plot.getAxis(side)._tickLevels
        assert major == [(0.5, "zero"), (1.5, "one"), (2.5, "two")]
    epochs = np.arange(0, 4)
    m = SimpleNamespace(layers=["dense", "dense_1", "dense_2", "out", "x"], epochs=epochs,
                        knn_accuracy=np.full((4, 5), 0.6), probe_accuracy=np.full((4, 5), 0.7))
    view.show_product("film_metrics", "A", SimpleNamespace(metrics=m))
    (major,) = view.depth_plot.getAxis("bottom")._tickLevels
    assert [v for v, _ in major] == [0.0, 1.0, 2.0, 3.0]
    qtbot.waitUntil(lambda: view.depth_legend.isVisible()
                    and view.depth_legend.sceneBoundingRect().height() > 0)
    legend = view.depth_legend.sceneBoundingRect()
    plot_area = view.depth_plot.getViewBox().sceneBoundingRect()
    assert not legend.intersects(plot_area)
    assert len(view.depth_legend.items) == 5
