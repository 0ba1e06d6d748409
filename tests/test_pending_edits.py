"""Issue 19, 1.1: a value typed into a field counts the moment a shortcut or menu item reads it,
without Enter or Tab (Ctrl-T after typing 50 epochs trained the old 5)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from gui_support import is_training, session, wait_idle


def _type(qtbot, line_edit, text: str) -> None:
    """Select all and type, as a user does: no Enter, no Tab."""
    line_edit.setFocus()
    qtbot.keyClick(line_edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(line_edit, text)


def test_typed_epochs_count_for_ctrl_t_without_enter(qtbot, window):
    win, c = window, window.controller
    spin = win.sidebar.epochs_spin
    assert spin.value() == 2  # the fast settings' epochs
    _type(qtbot, spin.lineEdit(), "50")
    assert spin.text() == "50"
    QTest.keyClick(win, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: is_training(win), timeout=10_000)
    assert session(win).curves.epochs_planned == 50  # the training job's epochs
    assert c.settings.epochs == 50
    c.cancel()
    qtbot.waitUntil(lambda: not is_training(win), timeout=60_000)


def test_typed_learning_rate_counts_for_the_run_menu(qtbot, window):
    win, c = window, window.controller
    _type(qtbot, win.sidebar.lr_spin.lineEdit(), "0.01")
    _type(qtbot, win.sidebar.batch_spin.lineEdit(), "16")
    win.commands["train"].trigger()  # Run → Train, clicked in the menu
    qtbot.waitUntil(lambda: is_training(win), timeout=10_000)
    assert (c.settings.learning_rate, c.settings.batch_size) == (0.01, 16)
    c.cancel()
    qtbot.waitUntil(lambda: not is_training(win), timeout=60_000)


def test_typed_hidden_widths_count_for_ctrl_t_without_enter(qtbot, window):
    """The line-edit case: the typed widths rebuild the model before Train reads it, and Train
    waits for that model, then trains it (never the old one, and no lost click)."""
    win, c = window, window.controller
    assert session(win).params["hidden"] in ([32, 16], (32, 16))
    _type(qtbot, win.sidebar.hidden_edit, "12")
    with qtbot.waitSignal(c.message) as said:
        QTest.keyClick(win, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert "training starts as soon as it is ready" in said.args[0]
    assert tuple(session(win).params["hidden"]) == (12,)
    qtbot.waitUntil(lambda: session(win).trained_epochs > 0 and not is_training(win),
                    timeout=60_000)
    assert [l.output_shape[-1] for l in session(win).layers if l.type == "Dense"][0] == 12
    wait_idle(qtbot, win)


def test_a_committed_field_is_not_committed_again(qtbot, window):
    """Enter commits once; the next shortcut re-emits nothing (a dropout edit would rebuild)."""
    from reprviz_gui.widgets.pending_edits import commit_pending_edits

    win = window
    _type(qtbot, win.sidebar.seed_spin.lineEdit(), "7")
    qtbot.keyClick(win.sidebar.seed_spin.lineEdit(), Qt.Key.Key_Return)
    assert win.controller.settings.seed == 7
    assert commit_pending_edits(win) == 0


def test_every_command_commits_typed_fields_first(qtbot, window):
    """The dispatcher commits, not each handler: any command (here Esc) makes a typed seed
    count, as Enter would."""
    win = window
    _type(qtbot, win.sidebar.seed_spin.lineEdit(), "11")
    assert win.controller.settings.seed == 0
    win.commands["escape"].trigger()
    assert win.controller.settings.seed == 11


def test_the_training_rows_are_bound_to_the_settings_both_ways(open_window, qtbot):
    """Issue 19 §6: settings set from code reach the sidebar through their events, and the
    user's edits reach the settings, with nothing copied by hand in between."""
    win = open_window()
    st, sb = win.controller.settings, win.sidebar
    epochs = sb._training_rows["epochs"]
    st.epochs = 17  # as a restored run, a session or a lesson sets it
    assert epochs.value() == 17
    st.learning_rate = 0.25
    assert sb.training_settings()["learning_rate"] == 0.25
    epochs.setFocus()
    epochs.selectAll()
    qtbot.keyClicks(epochs, "42")
    epochs.clearFocus()  # commits the typed text, as leaving the field does
    qtbot.waitUntil(lambda: st.epochs == 42, timeout=5_000)
