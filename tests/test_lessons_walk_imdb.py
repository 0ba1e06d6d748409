"""The BiLSTM post's and the hand-made network's lessons walked end to end (their own file,
so that xdist runs the long walks in parallel)."""

from __future__ import annotations

import pytest
from lesson_support import walk


@pytest.mark.slow
def test_imdb_bilstm_lesson(qtbot, open_window):
    win = open_window()
    feedback = walk(qtbot, win, "imdb-bilstm")
    # both number questions were answered right, and the window is where the lesson left it
    assert len(feedback) == 2 and all(f.startswith("✔") for f in feedback), feedback
    assert win.controller.session("A").preset == "bilstm"
    assert win.controller.dataset.kind == "sequence"


@pytest.mark.slow
def test_hand_made_network_lesson(qtbot, open_window):
    win = open_window()
    feedback = walk(qtbot, win, "hand-made-network")
    assert len(feedback) == 3 and all(f.startswith("✔") for f in feedback), feedback
    assert win.controller.session("A").preset == "sigmoid-mlp"
