"""Typing more samples than a split holds (found in the real window on the full Fashion-MNIST:
"70000" typed into Samples read 7000, the spin box having dropped the keystroke past its
maximum, the larger split's 60,000). Every typed digit is kept; the window shows the whole
split and says so."""

from __future__ import annotations

from PySide6.QtCore import Qt

from gui_support import open_main_window


def test_typed_count_over_the_split_shows_all_of_it_and_says_so(qtbot):
    win = open_main_window(qtbot, source="digits", n_samples=100)
    c, spin = win.controller, win.sidebar.samples_spin
    n_test = len(c.dataset.y_test)
    typed = str(n_test * 20)  # more than either split holds
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, typed)
    assert spin.text() == typed  # no keystroke dropped
    qtbot.keyClick(spin, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: c.samples is not None and c.samples.requested == int(typed),
                    timeout=30_000)
    assert c.samples.n == n_test and c.samples.split == "test"
    qtbot.waitUntil(lambda: "has no more" in win.statusBar().currentMessage(), timeout=10_000)
    assert f"{n_test:,}" in win.statusBar().currentMessage()
    qtbot.waitUntil(lambda: spin.value() == n_test, timeout=10_000)  # the count used
    assert str(n_test) in spin.toolTip().replace(",", "")
