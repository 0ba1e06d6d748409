"""Your input fits beside another (found trying compare mode at 1600 x 1000: with A's and B's
Your input side by side the window grew to 2,110 px, wider than the screen)."""
from __future__ import annotations

from reprviz_gui.views.own_input import OwnInputView


def test_your_input_drawing_tools_fit_beside_another_view(qtbot):
    view = OwnInputView()
    qtbot.addWidget(view)
    view._stack.setCurrentWidget(view.body)
    view.tools.show()  # the drawing tools, as an image model shows them
    assert view.tools.minimumSizeHint().width() <= 480
    assert view.minimumSizeHint().width() <= 480


def test_a_long_plot_title_is_elided_to_the_plot_with_the_full_text_as_tooltip(qtbot):
    # found in a real-window tryout: at ~330 px "Saliency of Trouser (0.93)" was cut at both ends
    from PySide6.QtGui import QFontMetrics

    from reprviz_gui.widgets.plot_title import full_title

    view = OwnInputView()
    qtbot.addWidget(view)
    view._stack.setCurrentWidget(view.body)
    view.resize(330, 600)
    view.show()
    qtbot.waitExposed(view)
    import numpy as np
    from types import SimpleNamespace

    probe = SimpleNamespace(saliency=np.random.default_rng(0).normal(size=(28, 28)),
                            saliency_method="grad-cam:conv2d_1", top=1,
                            class_names=["T-shirt/top", "Trouser"], saliency_score="0.93, top")
    view._draw_saliency(probe)  # the view's own path to the title
    text = "Grad-CAM (conv2d_1) of Trouser (0.93, top)"
    label = view.sal_plot.titleLabel
    fm = QFontMetrics(label.item.font())
    shown = label.text
    assert shown.endswith("…") and shown[:-1] in text
    assert fm.horizontalAdvance(shown) <= view.sal_plot.width()
    assert label.toolTip() == text and full_title(view.sal_plot) == text
    # a wide view shows it whole again
    view.resize(1400, 600)
    qtbot.waitUntil(lambda: view.sal_plot.titleLabel.text == text)
