"""The BiLSTM post's and the hand-made network's lessons walked end to end (their own file,
so that xdist runs the long walks in parallel)."""

from __future__ import annotations

import pytest
from lesson_support import walk


@pytest.mark.slow
def test_imdb_bilstm_lesson(qtbot, open_window):
    walk(qtbot, open_window(), "imdb-bilstm")


@pytest.mark.slow
def test_hand_made_network_lesson(qtbot, open_window):
    walk(qtbot, open_window(), "hand-made-network")
