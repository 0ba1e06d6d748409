"""File → Export… writes on the export lane: the window keeps processing events meanwhile, the
export says started, progress…, finished in that order, Cancel leaves no files, and a folder that
cannot be made is reported. The writer itself (workspace/export_job.py) is tested without Qt."""

from __future__ import annotations

import csv
import gc
import threading
import weakref

import numpy as np
import pytest
from gui_support import wait_idle
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialogButtonBox, QPushButton

from reprviz_gui.core.errors import Cancelled, ReprvizError
from reprviz_gui.core.io import tables
from reprviz_gui.workspace import exports
from reprviz_gui.workspace.export_job import ExportPlan, SessionExport, write_export
from reprviz_gui.workspace.state import Selection


def _export(window, qtbot, folder, *, figures=False):
    """Choose File → Export…, type the folder, click Export: the ExportRun it started."""
    window.commands["export"].trigger()
    dialog = window.export_dialog
    dialog.folder.clear()
    qtbot.keyClicks(dialog.folder, str(folder))
    dialog.figures.setChecked(figures)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    run = window.export_run
    events: list[str] = []
    # the lane's signals are queued: nothing arrives before the event loop runs again
    run.started.connect(lambda: events.append("started"))
    run.progress.connect(lambda f, m: events.append("progress"))
    run.finished.connect(lambda files, notes: events.append("finished"))
    run.failed.connect(lambda message: events.append("failed"))
    run.cancelled.connect(lambda: events.append("cancelled"))
    return run, events


def _wait_end(qtbot, events):
    qtbot.waitUntil(lambda: bool(events) and events[-1] in ("finished", "failed", "cancelled"),
                    timeout=60_000)


def test_export_writes_off_the_gui_thread_while_the_window_runs(window, qtbot, tmp_path,
                                                                monkeypatch):
    wait_idle(qtbot, window)
    window.controller.clear_selection()
    layer = window.controller.result("layer", "A")
    writer_threads = []
    ticked_meanwhile = threading.Event()
    original = exports.export_tables

    def tables_after_a_tick(*args, **kwargs):
        # the tables wait until the GUI thread has run a timer and changed the selection: a
        # writer on the GUI thread would never see that (and the wait would fail)
        writer_threads.append(threading.current_thread())
        assert ticked_meanwhile.wait(30), "the GUI thread processed no events during export"
        return original(*args, **kwargs)

    monkeypatch.setattr(exports, "export_tables", tables_after_a_tick)

    def tick():
        if writer_threads and not ticked_meanwhile.is_set():
            # selected after the export began: the snapshot must not pick it up
            window.controller.select(Selection.of(layer.samples.split,
                                                  layer.samples.indices[:5], "test"))
            ticked_meanwhile.set()

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    timer.start()
    out = tmp_path / "out"
    run, events = _export(window, qtbot, out)
    plan = weakref.ref(run.plan)
    _wait_end(qtbot, events)
    timer.stop()
    gc.collect()
    assert plan() is None  # an ended export keeps none of the results it wrote
    assert events[0] == "started" and events[-1] == "finished"
    assert set(events[1:-1]) == {"progress"}
    assert writer_threads and writer_threads[0] is not threading.main_thread()
    assert ticked_meanwhile.is_set()
    assert not window.controller.workspace.selection.empty  # the tick did select
    with open(out / "map.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == layer.samples.n
    assert {r["selected"] for r in rows} == {"false"}  # as it was when Export was chosen
    assert "Exported" in window.statusBar().currentMessage()
    assert str(out) in window.statusBar().currentMessage()
    assert not any(p.name.startswith(".reprviz-export-") for p in out.iterdir())


def test_cancel_mid_export_leaves_no_files(window, qtbot, tmp_path, monkeypatch):
    wait_idle(qtbot, window)
    reached, proceed = threading.Event(), threading.Event()
    original = tables.write_map_npy

    def npy_then_wait(*args, **kwargs):
        path = original(*args, **kwargs)  # the projector bundle and map.csv are written too
        reached.set()
        proceed.wait(30)
        return path

    monkeypatch.setattr(tables, "write_map_npy", npy_then_wait)
    out = tmp_path / "out"
    run, events = _export(window, qtbot, out)
    qtbot.waitUntil(reached.is_set, timeout=60_000)
    assert any(p.is_file() for p in out.rglob("*"))  # files were written by now (staged)
    progress = run.dialog
    qtbot.waitUntil(progress.isVisible)  # shown once the export has run a while
    qtbot.mouseClick(progress.findChild(QPushButton), Qt.MouseButton.LeftButton)
    proceed.set()
    _wait_end(qtbot, events)
    assert events[0] == "started" and events[-1] == "cancelled"
    assert not out.exists() or not any(out.rglob("*"))
    assert "cancelled" in window.statusBar().currentMessage()
    assert getattr(window, "last_export", None) is None


def test_a_folder_that_cannot_be_made_is_reported(window, qtbot, tmp_path):
    wait_idle(qtbot, window)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    run, events = _export(window, qtbot, blocker / "out")
    _wait_end(qtbot, events)
    assert events == ["started", "failed"]
    box = next(d for d in window.dialogs if d.objectName() == "error_dialog")
    assert "Cannot make the folder" in box.informativeText()
    assert str(blocker / "out") in box.informativeText()
    assert "Export failed" in window.statusBar().currentMessage()


# --- the writer, without Qt ----------------------------------------------------------------
@pytest.mark.parametrize("stop_after", [1, 3, 6])
def test_write_export_cancelled_at_any_point_leaves_nothing(tmp_path, stop_after, monkeypatch):
    """A plan of tables only (fake results are not needed: the map is skipped and noted); the
    stop comes after the ``stop_after``-th check."""
    layer = _fake_layer()
    plan = ExportPlan(tmp_path / "out", (SessionExport("A", layer, None, None),),
                      projector=True, tables=True, html=False)
    asked = [0]

    def should_stop():
        asked[0] += 1
        return asked[0] > stop_after

    with pytest.raises(Cancelled):
        write_export(plan, should_stop=should_stop)
    assert not (tmp_path / "out").exists()  # the export made it, so it is gone again


def test_write_export_moves_a_complete_export_into_place(tmp_path):
    layer = _fake_layer()
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "mine.txt").write_text("kept")
    plan = ExportPlan(folder, (SessionExport("A", layer, None, None),), html=False,
                      figures=(("map.png", b"\x89PNG fake"),))
    progress = []
    outcome = write_export(plan, on_progress=progress.append)
    names = sorted(p.relative_to(folder).as_posix() for p in outcome.files)
    assert names == ["activations.npy", "layer_metrics.csv", "map.png",
                     "projector/metadata.tsv", "projector/projector_config.pbtxt",
                     "projector/tensors.tsv"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["activations.npy", "layer_metrics.csv", "map.png", "mine.txt", "projector"])
    tsv = np.loadtxt(folder / "projector" / "tensors.tsv", delimiter="\t", dtype=np.float32)
    np.testing.assert_array_equal(tsv, layer.activations)
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    with pytest.raises(ReprvizError, match="Cannot make the folder"):
        write_export(ExportPlan(folder / "mine.txt" / "x"))


def test_cancel_while_drawing_the_sprite_leaves_nothing(tmp_path, monkeypatch):
    """The sprite is drawn in blocks of grid rows with a stop check before each: a stop asked
    after its first block ends the export there (not after the whole sprite), with no files."""
    from reprviz_gui.core.io import projector

    monkeypatch.setattr(projector, "_CHUNK_ROWS", 36)  # 300 thumbnails: 9 blocks of 2 rows
    layer = _fake_layer(thumbnails=True)
    plan = ExportPlan(tmp_path / "out", (SessionExport("A", layer, None, None),),
                      projector=True, tables=False, html=False)
    sprite_reports = []

    def on_progress(p):
        if "sprite" in p.message:
            sprite_reports.append(p.fraction)

    def should_stop():  # true once the "drawing" report and the first block's have come
        return len(sprite_reports) >= 2

    with pytest.raises(Cancelled):
        write_export(plan, on_progress=on_progress, should_stop=should_stop)
    assert len(sprite_reports) == 2  # stopped before the second block
    assert not (tmp_path / "out").exists()


def _fake_layer(thumbnails: bool = False):
    """A LayerResult of 300 samples × 4 units, built as the extraction job builds one (with
    8×8 thumbnails: a sprite of 18×18 of them)."""
    from types import SimpleNamespace

    rng = np.random.default_rng(1)
    n = 300
    thumbs = rng.integers(0, 256, (n, 8, 8), dtype=np.uint8) if thumbnails else None
    samples = SimpleNamespace(
        n=n, indices=np.arange(n), split="test", labels=rng.integers(0, 3, n),
        class_names=("a", "b", "c"), thumbnails=thumbs, words=None, texts=None,
        rows_of=lambda split, idx: np.zeros(0, dtype=np.int64))
    return SimpleNamespace(layer_name="dense", activations=rng.normal(size=(n, 4)).astype(
        np.float32), samples=samples, predictions=rng.integers(0, 3, n))
