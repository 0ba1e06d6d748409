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


def test_choosing_the_larger_split_after_typing_uses_the_count_typed(qtbot):
    """60000 typed on Fashion's test split shows its 10,000; choosing train next means the
    60,000 typed, not the 10,000 the box shows for the test split (found in the real window)."""
    win = open_main_window(qtbot, source="digits", n_samples=100)
    c, spin, split = win.controller, win.sidebar.samples_spin, win.sidebar.split_combo
    n_test, n_train = len(c.dataset.y_test), len(c.dataset.y_train)
    assert n_test < n_train
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, str(n_train))
    qtbot.keyClick(spin, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: c.samples.requested == n_train and spin.value() == n_test,
                    timeout=30_000)
    split.setFocus()
    qtbot.keyClick(split, Qt.Key.Key_Down)  # test -> train, as a user picks it by keyboard
    assert split.currentText() == "train"
    qtbot.waitUntil(lambda: c.samples.split == "train", timeout=30_000)
    assert c.samples.n == n_train and spin.value() == n_train
