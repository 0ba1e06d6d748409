"""Continue training vs Train from scratch (issue 19 §1.8), Compare that trains B with A's
settings and a refused Compare that changes nothing (§1.5, §1.6), driven in the window
(pytest-qt). A Train pressed while the model is rebuilt waits for it: test_pending_edits.py."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from gui_support import click, is_training, session, wait_idle
from reprviz_gui.core.io.history import load_history


def _type(qtbot, line_edit, text: str) -> None:
    line_edit.setFocus()
    line_edit.selectAll()
    qtbot.keyClicks(line_edit, text)


def _trained(qtbot, win, epochs_total: int) -> None:
    qtbot.waitUntil(lambda: not is_training(win) and session(win).trained_epochs == epochs_total
                    and win.controller.result("evaluation") is not None, timeout=90_000)


def _history(qtbot, win, n: int):
    win.controller.history.flush(10)
    qtbot.waitUntil(lambda: len(load_history().records) == n, timeout=10_000)
    return load_history().records


def test_continue_training_counts_on_and_from_scratch_starts_over(qtbot, open_window):
    win = open_window(epochs=1)
    c, sb = win.controller, win.sidebar
    assert sb.train_button.text() == "Train"
    click(qtbot, sb.train_button)
    _trained(qtbot, win, 1)
    first = _history(qtbot, win, 1)[0]
    wait_idle(qtbot, win)
    # a trained model: the default Train says it continues
    assert sb.train_button.text() == "Continue training"
    with qtbot.waitSignal(c.message, check_params_cb=lambda m: "Continuing" in m) as said:
        QTest.keyClick(win, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert "after 1 epoch(s)" in said.args[0]
    _trained(qtbot, win, 2)
    # the curves go on along one epoch axis: 2 epochs, the second run starting after the first
    curves = win.view("curves").displayed()
    np.testing.assert_array_equal(curves["epochs"], [1, 2])
    assert session(win).curves.continued_at == (1,)
    assert win.view("curves").continued_marks() == [1.5]  # drawn between the two runs
    second = _history(qtbot, win, 2)[1]
    assert (second.epochs_done, second.epochs_before, second.epochs_total) == (1, 1, 2)
    assert second.continued_from == first.id and first.continued_from is None
    win.docks["history"].show()
    win.docks["history"].raise_()
    qtbot.waitUntil(lambda: len(win.view("history").displayed().get("ids", [])) == 2,
                    timeout=30_000)
    shown = win.view("history").displayed()
    col = shown["columns"].index("epochs")
    cont = shown["columns"].index("continued")
    by_id = dict(zip(shown["ids"], shown["rows"]))
    assert (by_id[second.id][col], by_id[second.id][cont]) == ("2", "after 1")
    assert (by_id[first.id][col], by_id[first.id][cont]) == ("1", "fresh")
    # Train from scratch: fresh weights, the count and the curves start again
    click(qtbot, sb.scratch_button)
    qtbot.waitUntil(lambda: len(load_history().records) == 3 and not is_training(win),
                    timeout=90_000)
    third = load_history().records[2]
    assert (third.epochs_before, third.continued_from) == (0, None)
    assert session(win).trained_epochs == 1
    qtbot.waitUntil(lambda: len(win.view("curves").displayed().get("epochs", [])) == 1)


def test_a_run_stopped_in_its_first_epoch_is_recorded_and_every_text_agrees(qtbot,
                                                                            open_window):
    win = open_window(epochs=3, batch_size=1)  # ~1,500 batches an epoch: stopped in the first
    c = win.controller
    batches = []
    c.activity.connect(lambda text, *_: batches.append(text) if "batch" in text else None)
    click(qtbot, win.sidebar.train_button)
    qtbot.waitUntil(lambda: len(batches) > 0, timeout=60_000)
    with qtbot.waitSignal(c.message, timeout=60_000,
                          check_params_cb=lambda m: m.startswith("Training stopped")) as said:
        c.cancel()
    rec = _history(qtbot, win, 1)[0]
    assert rec.epochs_done == 0 and rec.partial_batches > 0 and rec.stopped
    s = session(win)
    assert s.trained_epochs == 0 and s.partial_epoch
    assert f"after 0 full epoch(s) of this run and {rec.partial_batches} batch(es)" in \
        said.args[0]
    qtbot.waitUntil(lambda: "trained 0 epoch(s) and part of one" in win.sidebar.model_info.text(),
                    timeout=30_000)
    # the next Train continues these weights and says so
    assert win.sidebar.train_button.text() == "Continue training"


def test_compare_trains_b_with_a_settings_and_says_so(qtbot, open_window):
    win = open_window(epochs=1, batch_size=128, seed=3)
    c = win.controller
    with qtbot.waitSignal(c.message, timeout=60_000,
                          check_params_cb=lambda m: m.startswith("Training B")) as said:
        win.commands["compare_multinomial"].trigger()
    assert "with A's training settings" in said.args[0]
    assert "1 epoch(s), batch 128" in said.args[0] and "seed 3" in said.args[0]
    qtbot.waitUntil(lambda: session(win, "B").trained_epochs == 1 and not is_training(win),
                    timeout=90_000)
    rec = _history(qtbot, win, 1)[0]
    assert rec.preset == "multinomial" and rec.batch_size == 128
    assert rec.settings["training"]["seed"] == 3
    wait_idle(qtbot, win)


def test_a_refused_compare_changes_nothing_and_the_menu_offers_what_fits(qtbot, open_window):
    win = open_window(source="imdb-sample", preset="bilstm",
                      model_params={"embed_dim": 8, "lstm_units": 4}, n_samples=100)
    c = win.controller
    assert not win.commands["compare_lenet"].isVisible()
    assert not win.commands["compare_dense"].isVisible()
    assert win.commands["compare_bilstm"].isVisible()
    a_before = (session(win).handle, session(win).version)
    tabs_before = win.host("map").views.keys() if hasattr(win.host("map"), "views") else None
    with qtbot.waitSignal(c.message) as said:
        win.commands["compare_lenet"].trigger()  # as a shortcut or a stale menu would
    assert "cannot take" in said.args[0] and "Nothing was changed" in said.args[0]
    assert "B" not in c.workspace.sessions
    assert (session(win).handle, session(win).version) == a_before
    assert list(win.host("map").views) == list(tabs_before)
    assert win.view("map", "B") is None
    wait_idle(qtbot, win)


def test_a_comparison_whose_model_cannot_be_built_is_not_opened(qtbot, open_window,
                                                                 monkeypatch):
    """A preset the quick check lets through but whose build fails (the size check, a shape
    rule): no "B" tab left showing the raw input, A untouched, the reason said."""
    from reprviz_gui.core.errors import ShapeMismatchError
    from reprviz_gui.workspace import jobs

    win = open_window()
    c = win.controller
    a_before = (session(win).handle, session(win).version)
    real = jobs.build_model_job

    def failing(config, dataset, seed, label):
        if config.preset != "multinomial":
            return real(config, dataset, seed, label)

        def run(on_progress, should_stop):
            raise ShapeMismatchError("The multinomial preset cannot take this data (test).")

        return run

    monkeypatch.setattr(jobs, "build_model_job", failing)
    with qtbot.waitSignal(c.failed, timeout=60_000) as failed:
        win.commands["compare_multinomial"].trigger()
    assert "The comparison was not opened" in failed.args[1].message
    assert "B" not in c.workspace.sessions and win.view("map", "B") is None
    assert (session(win).handle, session(win).version) == a_before
    assert not session(win).training
    wait_idle(qtbot, win)
