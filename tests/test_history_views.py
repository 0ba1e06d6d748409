"""The run history in the window: each training run (finished or stopped) adds a row that a new
window reads back; the view's table, scatter, filter, restore, delete and CSV export; a damaged
file is set aside and said so. Values are checked against the file read by core.io.history and
against the session's own learning curves."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from gui_support import click, is_training, session, wait_idle
from PySide6.QtCore import QPoint
from view_support import LEFT, shown, viewport_point

from reprviz_gui.core.io.history import RunRecord, history_path, load_history, new_run_id
from reprviz_gui.views.history import HistoryView
from reprviz_gui.workspace.history_rows import writer
from reprviz_gui.workspace.products_history import HistoryResult
from reprviz_gui.workspace.state import ResultTag

RATES = (0.001, 0.01, 0.05)


def _history_view(win):
    win.docks["history"].show()
    win.docks["history"].raise_()
    return win.view("history")


def _rows(view) -> int:
    return len(view.displayed().get("ids", []))


def _train(qtbot, win, lr: float) -> None:
    """What a user does: type the learning rate, press Train, wait for the run's row."""
    sb = win.sidebar
    before = len(load_history().records)
    sb.lr_spin.setValue(lr)
    sb.lr_spin.editingFinished.emit()
    click(qtbot, sb.train_button)
    qtbot.waitUntil(lambda: not is_training(win), timeout=120_000)
    qtbot.waitUntil(lambda: writer(win.controller).pending() == 0
                    and len(load_history().records) == before + 1, timeout=30_000)


def test_three_runs_three_rows_and_points_that_survive_a_restart(qtbot, open_window):
    win = open_window(epochs=1)
    view = _history_view(win)
    qtbot.waitUntil(lambda: "No training runs yet" in view.hint_text(), timeout=10_000)
    curves = []
    for lr in RATES:
        _train(qtbot, win, lr)
        curves.append(dict(session(win).curves.history))
        qtbot.waitUntil(lambda: _rows(view) == len(curves), timeout=30_000)

    records = load_history().records
    assert [r.learning_rate for r in records] == list(RATES)
    for rec, hist in zip(records, curves):
        assert rec.val_accuracy == hist["val_accuracy"][-1]
        # measured again at the final weights (one loss definition for every split): the
        # same number as Keras's last val_loss up to float32 rounding
        assert rec.val_loss == pytest.approx(hist["val_loss"][-1], rel=1e-5)
        assert (rec.dataset, rec.architecture, rec.source) == ("digits", "dense 32-16 relu",
                                                               "window")
        assert rec.settings["model"]["hidden"] == [32, 16]
        assert rec.settings["training"]["batch_size"] == 64
        assert rec.test_accuracy is not None and rec.status == "finished"
    d = view.displayed()
    assert d["ids"] == [r.id for r in reversed(records)]  # newest first
    lr_col = d["columns"].index("learning rate")
    assert [row[lr_col] for row in d["rows"]] == [f"{lr:g}" for lr in reversed(RATES)]
    assert d["point_ids"] == [r.id for r in records]
    np.testing.assert_allclose(d["points"], [[r.val_loss, 100 * r.val_accuracy]
                                             for r in records])

    # hovering a point names its run
    k = 2
    qtbot.mouseMove(view.view.viewport(), viewport_point(view.view, view.scene_pos_of(k)))
    qtbot.waitUntil(lambda: view.tooltip.isVisible(), timeout=5_000)
    assert "lr 0.05" in view.tooltip.text() and "dense 32-16 relu" in view.tooltip.text()

    # a restart: a new window reads the same three runs
    win.close()
    win2 = open_window()
    view2 = _history_view(win2)
    qtbot.waitUntil(lambda: _rows(view2) == 3, timeout=30_000)
    assert sorted(view2.displayed()["ids"]) == sorted(r.id for r in records)

    # clicking a row shows its settings; "Restore" puts lr 0.05 back in the sidebar
    win2.sidebar.lr_spin.setValue(0.2)
    win2.sidebar.lr_spin.editingFinished.emit()
    row = view2.displayed()["ids"].index(records[2].id)
    t = view2.table
    qtbot.mouseClick(t.viewport(), LEFT, pos=t.visualItemRect(t.item(row, 0)).center())
    assert view2.displayed()["current"] == records[2].id
    assert "learning rate" in view2.displayed()["details"] and "0.05" in \
        view2.displayed()["details"]
    version = session(win2).version
    click(qtbot, view2.restore_button)
    assert win2.sidebar.lr_spin.value() == pytest.approx(0.05)
    assert win2.controller.settings.learning_rate == pytest.approx(0.05)
    assert win2.sidebar.batch_spin.value() == 64
    qtbot.waitUntil(lambda: session(win2).version > version and not session(win2).building,
                    timeout=60_000)  # the model was rebuilt, ready to train again
    assert session(win2).params["hidden"] == [32, 16]


def test_a_stopped_run_is_recorded_as_stopped(qtbot, open_window):
    win = open_window(epochs=60)
    c = win.controller
    # stop after the first epoch: the run's row says so
    c.product_ready.connect(lambda kind, sid, r: c.cancel_training()
                            if kind == "curves" and r.epochs_done >= 1 and r.running else None)
    c.train()
    qtbot.waitUntil(lambda: not is_training(win), timeout=120_000)
    qtbot.waitUntil(lambda: len(load_history().records) == 1, timeout=30_000)
    rec = load_history().records[0]
    assert rec.stopped and rec.status == "stopped"
    assert 1 <= rec.epochs_done < 60 and rec.epochs_planned == 60
    assert rec.epochs_done == session(win).curves.epochs_done


def _record(dataset: str, lr: float, val_acc, val_loss, **kw) -> RunRecord:
    return RunRecord(id=new_run_id(), time="2026-01-31T14:25:01+01:00", dataset=dataset,
                     architecture="dense 256-144 relu", preset="dense", learning_rate=lr,
                     val_accuracy=val_acc, val_loss=val_loss, epochs_planned=5, epochs_done=5,
                     settings={"data": dataset, "model": {"preset": "dense",
                                                          "learning_rate": lr},
                               "training": {"epochs": 5}}, **kw)


def _view_with(qtbot, records, note=None) -> HistoryView:
    view = shown(qtbot, HistoryView(), size=(900, 500))
    view.show_result(HistoryResult(ResultTag(1, ""), tuple(records), note))
    return view


def test_sorting_by_number_filter_by_dataset_and_csv_export(qtbot, tmp_path):
    recs = [_record("digits", 0.1, 0.9, 0.3), _record("mnist", 0.02, 0.95, 0.2),
            _record("digits", 0.005, 0.8, 0.6), _record("digits", 0.3, None, None)]
    view = _view_with(qtbot, recs)
    d = view.displayed()
    assert len(d["ids"]) == 4 and len(d["point_ids"]) == 3  # no validation: no point
    assert "1 without a validation split" in d["subtitle"]

    # a click on the header sorts learning rates as numbers (0.005 < 0.02 < 0.1 < 0.3)
    col = d["columns"].index("learning rate")
    header = view.table.horizontalHeader()
    qtbot.mouseClick(header.viewport(), LEFT, pos=_header_point(header, col))
    assert [r[col] for r in view.displayed()["rows"]] == ["0.005", "0.02", "0.1", "0.3"]

    # the dataset filter: table, points and export follow it
    combo = view.dataset_combo
    combo.setCurrentIndex(combo.findData("digits"))
    combo.activated.emit(combo.currentIndex())
    d = view.displayed()
    assert sorted(d["ids"]) == sorted(r.id for r in recs if r.dataset == "digits")
    assert sorted(d["point_ids"]) == sorted(r.id for r in recs[::2])
    path = tmp_path / "runs.csv"
    view.export_csv(str(path))
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows] == d["ids"]
    assert [float(r["learning_rate"]) for r in rows] == [0.005, 0.1, 0.3]

    # a point click shows that run; Delete asks the window to delete the selected rows
    k = d["point_ids"].index(recs[2].id)
    qtbot.mouseClick(view.view.viewport(), LEFT,
                     pos=viewport_point(view.view, view.scene_pos_of(k)))
    assert view.displayed()["current"] == recs[2].id and view.restore_button.isEnabled()
    with qtbot.waitSignal(view.delete_runs_requested) as sig:
        click(qtbot, view.delete_button)
    assert sig.args == [[recs[2].id]]
    with qtbot.waitSignal(view.restore_settings_requested) as sig:
        click(qtbot, view.restore_button)
    assert sig.args[0]["model"]["learning_rate"] == 0.005


def _header_point(header, col) -> QPoint:
    x = header.sectionViewportPosition(col) + header.sectionSize(col) // 2
    return QPoint(x, header.height() // 2)


def test_delete_in_the_window_removes_the_rows_from_the_file(qtbot, window):
    recs = [_record("digits", 0.1, 0.9, 0.3), _record("digits", 0.2, 0.8, 0.4)]
    from reprviz_gui.core.io.history import append_run

    for r in recs:
        append_run(r)
    view = _history_view(window)
    qtbot.waitUntil(lambda: _rows(view) == 2, timeout=30_000)
    view.select_run(recs[0].id)
    click(qtbot, view.delete_button)
    qtbot.waitUntil(lambda: _rows(view) == 1, timeout=30_000)
    assert [r.id for r in load_history().records] == [recs[1].id]
    assert view.displayed()["ids"] == [recs[1].id]


def test_a_damaged_history_is_set_aside_and_the_view_says_so(qtbot, window):
    path = history_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"format": "reprviz-run-history", "runs": [{"id": "x"', encoding="utf-8")
    view = _history_view(window)
    qtbot.waitUntil(lambda: "damaged" in view.hint_text(), timeout=30_000)
    kept = list(path.parent.glob("history.damaged-*.json"))
    assert len(kept) == 1 and kept[0].name in view.hint_text()
    assert kept[0].read_text(encoding="utf-8").startswith('{"format"')
    # the next run starts a new history, and the note stays until dismissed
    window.controller.train()
    qtbot.waitUntil(lambda: _rows(view) == 1, timeout=120_000)
    assert "damaged" in view.displayed()["note"] and view.note.isVisible()
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == "reprviz-run-history"
    wait_idle(qtbot, window)


def test_closing_right_after_a_run_still_writes_its_row(qtbot, open_window, monkeypatch):
    import threading

    from reprviz_gui.core.io import history

    real = history.append_run
    disk = threading.Event()

    def slow_append(record, path=None):  # a slow disk: the row waits until it is let through
        disk.wait(30)
        return real(record, path)

    monkeypatch.setattr(history, "append_run", slow_append)
    win = open_window(epochs=1)
    win.controller.train()
    qtbot.waitUntil(lambda: not is_training(win), timeout=120_000)
    # (a fixed 0.8 s sleep could pass before this look on a loaded machine)
    assert writer(win.controller).pending() == 1 and not load_history().records
    threading.Timer(0.3, disk.set).start()  # the disk answers while close() waits
    win.close()  # waits for the write (at most 3 s), not for anything else
    assert len(load_history().records) == 1


def test_seed_and_validation_split_columns_from_the_preset_table_and_in_the_csv(qtbot,
                                                                               tmp_path):
    from reprviz_gui.core.model.preset_table import FIELDS, HISTORY_COLUMNS

    rec = _record("digits", 0.1, 0.9, 0.3)
    rec.settings["training"].update(seed=7, validation_split=0.25, batch_size=16)
    view = _view_with(qtbot, [rec])
    d = view.displayed()
    # every setting column is a field of the one preset table, read from the run's settings
    assert all(FIELDS[k] for k in HISTORY_COLUMNS)
    assert [h for h in HISTORY_COLUMNS.values()] == \
        [c for c in d["columns"] if c in HISTORY_COLUMNS.values()]
    row = dict(zip(d["columns"], d["rows"][0]))
    assert (row["seed"], row["val split"], row["batch"]) == ("7", "0.25", "16")
    path = tmp_path / "runs.csv"
    view.export_csv(str(path))
    with open(path, newline="") as fh:
        out = next(csv.DictReader(fh))
    assert (out["seed"], out["validation_split"]) == ("7", "0.25")


def test_restoring_a_run_made_on_other_data_offers_to_switch(qtbot, window):
    from reprviz_gui.core.io.history import append_run

    win, c = window, window.controller
    rec = _record("fashion-mnist-sample", 0.05, 0.9, 0.3)
    rec.settings["model"].update(preset="multinomial")
    rec.settings["training"].update(batch_size=48)
    append_run(rec)
    view = _history_view(win)
    qtbot.waitUntil(lambda: _rows(view) == 1, timeout=30_000)
    view.select_run(rec.id)
    lr, batch, version = c.settings.learning_rate, c.settings.batch_size, session(win).version
    # Cancel: nothing changes
    click(qtbot, view.restore_button)
    box = win.dialogs[-1]
    assert box.objectName() == "switch_dataset_dialog" and "fashion-mnist-sample" in box.text()
    click(qtbot, box.button(box.StandardButton.Cancel))
    assert (c.settings.learning_rate, c.settings.batch_size) == (lr, batch)
    assert c.workspace.source == "digits" and session(win).version == version
    assert not [j for lane in c.lanes.values() for j in lane.pending_jobs()
                if j.kind.name == "LOAD"]
    # Switch and restore: the run's data opens, then its settings and preset come back
    click(qtbot, view.restore_button)
    box = win.dialogs[-1]
    click(qtbot, next(b for b in box.buttons() if b.text() == "Switch and restore"))
    qtbot.waitUntil(lambda: c.workspace.source == "fashion-mnist-sample"
                    and session(win).preset == "multinomial" and not session(win).building,
                    timeout=90_000)
    assert c.settings.learning_rate == pytest.approx(0.05) and c.settings.batch_size == 48
    assert win.sidebar.batch_spin.value() == 48
    wait_idle(qtbot, win)
