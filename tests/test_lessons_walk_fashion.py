"""The Fashion practical and the UMAP notebook's Dense vs LeNet lessons walked end to end
(their own files, so that xdist runs the long walks in parallel)."""

from __future__ import annotations

import pytest
from lesson_support import COURSE_WIDTHS, walk


@pytest.mark.slow
def test_fashion_practical_lesson(qtbot, open_window):
    win = open_window()
    feedback = walk(qtbot, win, "fashion-practical")
    # the feedback names this model's numbers
    assert any("Shirt called" in f for f in feedback), feedback
    assert any(f"{COURSE_WIDTHS['hidden_2']} features" in f for f in feedback)


@pytest.mark.slow
def test_dense_vs_lenet_lesson(qtbot, open_window):
    walk(qtbot, open_window(), "dense-vs-lenet")
