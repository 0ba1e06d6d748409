"""The run history file: where it lives, round trips, a damaged file set aside (never lost),
entries from another version kept, deleting, CSV export."""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from reprviz_gui.core.io import history
from reprviz_gui.core.io.history import (HistoryError, RunRecord, append_run, cross_entropy,
                                         delete_runs, export_csv, history_path, load_history,
                                         new_run_id)


def run(lr: float = 1e-3, **kw) -> RunRecord:
    base = dict(id=new_run_id(), time="2026-01-31T14:25:01+01:00", dataset="digits",
                architecture="dense 256-144 relu", preset="dense", hidden=(256, 144),
                optimizer="adam", learning_rate=lr, l2=0.0, dropout=0.0, epochs_planned=5,
                epochs_done=5, batch_size=32, train_accuracy=0.9, train_loss=0.3,
                val_accuracy=0.88, val_loss=0.35, test_accuracy=0.87, test_loss=0.4,
                duration_s=3.5, stopped=False, source="window",
                settings={"model": {"preset": "dense", "learning_rate": lr}})
    base.update(kw)
    return RunRecord(**base)


def test_history_lives_beside_the_window_settings(tmp_path, monkeypatch, _isolated_config_dir):
    assert history_path() == _isolated_config_dir / "history.json"  # conftest's folder
    monkeypatch.setenv("REPRVIZ_CONFIG_DIR", str(tmp_path / "cfg"))
    assert history_path() == tmp_path / "cfg" / "history.json"
    pytest.importorskip("PySide6")
    from reprviz_gui.main_window import settings_path

    assert history_path().parent == settings_path().parent
    if sys.platform.startswith("linux"):  # without the override: Qt's config folder, mirrored
        monkeypatch.delenv("REPRVIZ_CONFIG_DIR")
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
        assert history_path() == tmp_path / "xdg" / "reprviz" / "history.json"
        assert history_path().parent == settings_path().parent


def test_runs_round_trip_in_order(tmp_path):
    path = tmp_path / "sub" / "history.json"
    assert load_history(path).records == () and not path.exists()
    runs = [run(lr) for lr in (0.1, 0.01, 0.001)]
    for r in runs:
        append_run(r, path)
    loaded = load_history(path)
    assert loaded.records == tuple(runs) and loaded.note is None
    assert [r.learning_rate for r in loaded.records] == [0.1, 0.01, 0.001]
    assert loaded.records[0].settings == runs[0].settings  # kept, though not compared
    assert loaded.records[0].hidden == (256, 144) and loaded.records[0].status == "finished"
    doc = json.loads(path.read_text())
    assert doc["format"] == "reprviz-run-history" and len(doc["runs"]) == 3
    assert sorted(p.name for p in path.parent.iterdir()) == ["history.json", "history.json.lock"]


def test_default_path_is_used(_isolated_config_dir):
    append_run(run())
    assert (_isolated_config_dir / "history.json").is_file()
    assert len(load_history().records) == 1


def test_nan_values_are_stored_as_null(tmp_path):
    path = tmp_path / "history.json"
    loaded = append_run(run(train_loss=float("nan"), val_loss=float("inf")), path)
    assert loaded.records[0].train_loss is None and loaded.records[0].val_loss is None
    assert load_history(path).records == loaded.records


@pytest.mark.parametrize("content", [b'{"format": "reprviz-run-history", "runs": [{"id": ',
                                     b"\xff\xfe garbage", b'["a list"]',
                                     b'{"format": "something else", "runs": []}'])
def test_a_damaged_file_is_set_aside_not_lost(tmp_path, content):
    path = tmp_path / "history.json"
    path.write_bytes(content)
    loaded = load_history(path)
    assert loaded.records == ()
    assert loaded.set_aside is not None and loaded.set_aside.read_bytes() == content
    assert loaded.set_aside.parent == tmp_path
    assert loaded.set_aside.name.startswith("history.damaged-")
    assert loaded.set_aside.name in loaded.note and "damaged" in loaded.note
    assert not path.exists()
    # the next run starts a new history; the damaged one stays where it was put
    r = run()
    assert append_run(r, path).note is None
    assert load_history(path).records == (r,) and loaded.set_aside.read_bytes() == content


def test_append_sets_a_damaged_file_aside_and_says_so(tmp_path):
    path = tmp_path / "history.json"
    path.write_text("not json")
    loaded = append_run(run(), path)
    assert len(loaded.records) == 1 and "damaged" in loaded.note
    assert loaded.set_aside.read_text() == "not json"


def test_set_aside_twice_in_one_second_keeps_both(tmp_path):
    path = tmp_path / "history.json"
    kept = []
    for text in ("first bad", "second bad"):
        path.write_text(text)
        kept.append(load_history(path).set_aside)
    assert kept[0] != kept[1] and [p.read_text() for p in kept] == ["first bad", "second bad"]


def test_entries_this_version_cannot_read_are_kept(tmp_path):
    path = tmp_path / "history.json"
    good = run()
    future = {"id": "x1", "time": "2030-01-01T00:00:00+00:00", "dataset": "d",
              "architecture": "transformer", "learning_rate": "fast"}
    path.write_text(json.dumps({"format": "reprviz-run-history", "version": 9,
                                "runs": [good.to_json(), future, 42]}))
    loaded = load_history(path)
    assert loaded.records == (good,) and "2 entries" in loaded.note
    append_run(run(), path)
    delete_runs([good.id], path)
    raw = json.loads(path.read_text())["runs"]
    assert future in raw and 42 in raw and len(raw) == 3


def test_unknown_keys_are_ignored_and_missing_ones_default():
    r = RunRecord.from_json({"id": "a", "time": "t", "dataset": "d", "architecture": "x",
                             "future_field": 1})
    assert r.learning_rate is None and r.epochs_done == 0
    for bad in ({"id": "a"}, {"id": "a", "time": "t", "dataset": "d", "architecture": "x",
                               "hidden": [1.5]}, {"id": "a", "time": "t", "dataset": "d",
                                                  "architecture": "x", "epochs_done": True}):
        with pytest.raises(ValueError):
            RunRecord.from_json(bad)


def test_delete_runs(tmp_path):
    path = tmp_path / "history.json"
    runs = [run(lr) for lr in (0.1, 0.01, 0.001)]
    for r in runs:
        append_run(r, path)
    left = delete_runs([runs[1].id, "no-such-id"], path)
    assert left.records == (runs[0], runs[2])
    assert load_history(path).records == (runs[0], runs[2])
    assert delete_runs([], tmp_path / "nothing" / "history.json").records == ()


def test_export_csv(tmp_path):
    runs = [run(0.1), run(0.01, stopped=True, epochs_done=2, val_loss=None, model_file=None)]
    out = export_csv(runs, tmp_path / "runs.csv")
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["learning_rate"] for r in rows] == ["0.1", "0.01"]
    assert rows[0]["hidden"] == "256-144" and rows[0]["status"] == "finished"
    assert rows[1]["status"] == "stopped" and rows[1]["val_loss"] == ""
    assert rows[1]["epochs_done"] == "2" and rows[1]["epochs_planned"] == "5"
    assert list(rows[0]) == list(history.CSV_COLUMNS)


def test_an_unreadable_history_is_never_overwritten(tmp_path, monkeypatch):
    path = tmp_path / "history.json"
    append_run(run(), path)
    before = path.read_bytes()
    real = Path.read_bytes

    def refuse(self):
        if self == path:
            raise PermissionError(13, "Permission denied")
        return real(self)

    with monkeypatch.context() as m:
        m.setattr(Path, "read_bytes", refuse)  # as root, chmod 0 would not stop a read
        with pytest.raises(HistoryError, match="cannot be read: Permission denied"):
            append_run(run(), path)
        with pytest.raises(HistoryError, match="cannot be read"):
            load_history(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.json", "history.json.lock"]


def test_cross_entropy_against_a_hand_computation():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5], [1.0, 0.0]])
    labels = np.array([0, 1, 0, 1])
    want = -(np.log(0.9) + np.log(0.8) + np.log(0.5) + np.log(1e-7)) / 4
    assert cross_entropy(probs, labels) == pytest.approx(want, rel=1e-6)
    assert cross_entropy(probs[:0], labels[:0]) is None


def test_record_fields_are_what_the_view_needs():
    r = run()
    assert replace(r, stopped=True).status == "stopped"
    for name in ("time", "dataset", "architecture", "optimizer", "learning_rate", "l2",
                 "dropout", "epochs_planned", "epochs_done", "batch_size", "train_accuracy",
                 "train_loss", "val_accuracy", "val_loss", "test_accuracy", "test_loss",
                 "duration_s", "stopped", "id"):
        assert hasattr(r, name), name
    assert Path(history_path()).name == "history.json"
