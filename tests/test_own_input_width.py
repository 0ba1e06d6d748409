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
