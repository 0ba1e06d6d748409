"""Sessions in the window (pytest-qt): File → Save session, then a second window opens the file
and shows the same arrays, layer, selection, view options and layout, with no training,
extraction or map job run; a damaged or newer file changes nothing."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from gui_support import fast_settings, layer_result, map_result, wait_idle, wait_layer
from reprviz_gui.workers.lane import JobKind
from reprviz_gui.workspace.state import Selection


def _trained(qtbot, win):
    c = win.controller
    c.train()
    qtbot.waitUntil(lambda: c.result("evaluation", "A") is not None, timeout=120_000)
    wait_idle(qtbot, win)


def _new_window(qtbot, started: list):
    from reprviz_gui.main_window import MainWindow
    from reprviz_gui.workspace.controller import Controller

    win = MainWindow(Controller(fast_settings(source="fashion-mnist-sample")), remember=False)
    qtbot.addWidget(win)
    for lane in win.controller.lanes.values():
        lane.job_started.connect(lambda job: started.append(job.kind))
    win.show()
    return win


def _save(qtbot, win, path):
    from reprviz_gui.window_session import save_session

    saved = []
    win.controller.session_saved.connect(saved.append)
    assert save_session(win, path)
    qtbot.waitUntil(lambda: saved == [str(path)], timeout=60_000)


def test_a_saved_session_reopens_identical_without_computing(qtbot, open_window, tmp_path):
    win = open_window()
    c = win.controller
    _trained(qtbot, win)
    c.select_layer("hidden_1")
    wait_layer(qtbot, win, "hidden_1")
    wait_idle(qtbot, win)
    c.select(Selection.of("test", c.samples.indices[[1, 5, 9]], "picked"))
    win.view("map").options.colour_by = "predicted"  # moves the combo box (bound)
    win.view("cosine").options.mode = "centroids"
    win.docks["curves"].close()
    path = tmp_path / "lesson.reprviz"
    _save(qtbot, win, path)
    layer, proj, ev = layer_result(win), map_result(win), c.result("evaluation")

    started: list = []
    win2 = _new_window(qtbot, started)
    restored = []
    win2.controller.session_restored.connect(restored.append)
    win2.start(str(path))
    c2 = win2.controller
    qtbot.waitUntil(lambda: bool(restored) and layer_result(win2) is not None
                    and map_result(win2) is not None
                    and c2.result("evaluation", "A") is not None, timeout=60_000)
    wait_idle(qtbot, win2)
    # nothing was trained, extracted or mapped: the data and the model were only read
    assert JobKind.TRAIN not in started and JobKind.PRODUCT not in started, started
    assert JobKind.BUILD not in started
    s2 = c2.workspace.sessions["A"]
    assert s2.layer == "hidden_1" and s2.trained_epochs == 2
    l2, p2, ev2 = layer_result(win2), map_result(win2), c2.result("evaluation", "A")
    np.testing.assert_array_equal(l2.activations, layer.activations)
    np.testing.assert_array_equal(l2.cosine, layer.cosine)
    np.testing.assert_array_equal(p2.coords, proj.coords)
    np.testing.assert_array_equal(ev2.predictions, ev.predictions)
    np.testing.assert_array_equal(ev2.probabilities, ev.probabilities)
    np.testing.assert_array_equal(c2.samples.indices, c.samples.indices)
    np.testing.assert_array_equal(c2.workspace.selection.indices, c.samples.indices[[1, 5, 9]])
    np.testing.assert_array_equal(win2.view("map").displayed()["selected"], [1, 5, 9])
    assert win2.view("map").options_state() == win.view("map").options_state()
    assert win2.view("cosine").options_state()["mode"] == "centroids"
    assert not win2.docks["curves"].isVisible() and win2.docks["heatmap"].isVisible()
    assert s2.curves.epochs_done == 2  # the learning curves, shown when the view opens
    assert s2.curves.history == c.workspace.sessions["A"].curves.history
    assert win2.session_path == str(path)
    # the model itself came back: training on goes on from the saved weights
    assert s2.has_model and s2.label == c.workspace.sessions["A"].label
    # the run made in the session travelled in the file and is in the history once
    from reprviz_gui.core.io.history import load_history

    with zipfile.ZipFile(path) as z:
        rows = json.loads(z.read("manifest.json"))["history_rows"]
    assert len(rows) == 1 and rows[0]["epochs_done"] == 2
    assert win2.controller.history.flush(10)
    assert [r.id for r in load_history().records].count(rows[0]["id"]) == 1


@pytest.mark.slow
def test_a_session_that_cannot_open_changes_nothing(qtbot, window, tmp_path):
    """A newer version, a cut-short file, a file that is no session, a model with a Lambda
    layer: one dialog each (the Lambda model asks for trust) and the window as it was."""
    from reprviz_gui import window_session

    win, c = window, window.controller
    good = tmp_path / "good.reprviz"
    _save(qtbot, win, good)
    before = (c.workspace.dataset_id, c.workspace.sessions["A"].version, layer_result(win))
    for damage in ("newer", "truncated", "not-a-session", "lambda"):
        path = tmp_path / f"{damage}.reprviz"
        path.write_bytes(good.read_bytes())
        if damage == "newer":
            _rewrite_manifest(path, lambda m: {**m, "version": 99, "app_version": "9.0"})
            expected = "was saved by reprviz 9.0 in session format 99"
        elif damage == "truncated":
            path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
            expected = "is damaged"
        elif damage == "not-a-session":
            path.write_text("x,y\n1,2\n")
            expected = "is not a reprviz session"
        else:
            _replace_model_with_lambda(path, tmp_path)
            expected = "Lambda layer"
        assert not window_session.open_session(win, path)
        box = win.dialogs[-1]
        assert expected in box.informativeText() or expected in box.text(), damage
        assert box.objectName() == ("trust_dialog" if damage == "lambda" else "error_dialog")
        box.close()
        wait_idle(qtbot, win)
        assert (c.workspace.dataset_id, c.workspace.sessions["A"].version,
                layer_result(win)) == before, damage


def _rewrite_manifest(path, change):
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members["manifest.json"] = json.dumps(change(json.loads(members["manifest.json"]))).encode()
    with zipfile.ZipFile(path, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)


def _replace_model_with_lambda(path, tmp_path):
    """The session's model swapped for one holding a Lambda layer (made in a child process:
    TensorFlow stays on the window's model lane)."""
    import subprocess
    import sys

    model = tmp_path / "lambda.keras"
    code = ("import keras\n"
            "i = keras.Input((64,))\n"
            "x = keras.layers.Lambda(lambda t: t * 2)(i)\n"
            "o = keras.layers.Dense(10, activation='softmax')(x)\n"
            f"keras.Model(i, o).save({str(model)!r})\n")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=120)
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members["models/A.keras"] = model.read_bytes()
    with zipfile.ZipFile(path, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)


def _main_py(*args, timeout=300):
    import subprocess
    import sys

    from conftest import REPO

    return subprocess.run([sys.executable, str(REPO / "main.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=REPO)


@pytest.mark.slow
def test_a_session_from_analyze_opens_in_the_window_as_it_is(qtbot, tmp_path):
    """Made by another process (analyze --session), opened here: the same arrays as its
    activations.npz, and no training, extraction or map job; then `main.py export` (a third
    process) writes the same arrays from the same file."""
    session = tmp_path / "gpu-run.reprviz"
    run = _main_py("analyze", "--data", "digits", "--model", "dense", "--hidden", "32,16",
                   "--epochs", "2", "--samples", "200", "--projection", "pca",
                   "--reduction", "flatten", "--preprocess", "symmetric", "--out",
                   tmp_path / "out", "--session", session, "--no-figures", "--no-measures",
                   "--quiet")
    assert run.returncode == 0, run.stderr
    saved = np.load(tmp_path / "out" / "activations.npz")

    started: list = []
    win = _new_window(qtbot, started)
    restored = []
    win.controller.session_restored.connect(restored.append)
    win.start(str(session))
    c = win.controller
    qtbot.waitUntil(lambda: bool(restored) and layer_result(win) is not None
                    and map_result(win) is not None
                    and c.result("evaluation", "A") is not None, timeout=60_000)
    wait_idle(qtbot, win)
    assert JobKind.TRAIN not in started and JobKind.PRODUCT not in started, started
    assert c.workspace.sessions["A"].trained_epochs == 2
    # read as analyze read it: its reduction and preprocessing (else the layer is extracted again)
    assert c.workspace.sessions["A"].reductions == {"hidden_2": "flatten"}
    assert c.dataset.preprocess == "symmetric"
    np.testing.assert_array_equal(c.samples.indices, saved["sample_indices"])
    np.testing.assert_array_equal(layer_result(win).activations, saved["activations"])
    np.testing.assert_array_equal(map_result(win).coords, saved["coords"])
    np.testing.assert_array_equal(layer_result(win).predictions, saved["predictions"])
    assert win.view("confusion").displayed()["counts"].sum() == len(c.dataset.y_test)

    out = _main_py("export", session, "--csv", tmp_path / "csv", "--projector",
                   tmp_path / "proj", timeout=120)
    assert out.returncode == 0, out.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "csv" / "activations.npy"),
                                  saved["activations"])
    lines = (tmp_path / "proj" / "tensors.tsv").read_text().splitlines()
    assert len(lines) == 200


def test_ctrl_s_saves_and_a_dropped_session_file_opens(qtbot, window, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication, QMenu

    win, c = window, window.controller
    path = tmp_path / "again.reprviz"
    win.session_path = str(path)  # as after an earlier save: Ctrl+S saves there, no dialog
    qtbot.waitUntil(lambda: map_result(win) is not None, timeout=60_000)
    wait_idle(qtbot, win)
    saved = []
    c.session_saved.connect(saved.append)
    win.activateWindow()
    qtbot.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: saved == [str(path)], timeout=60_000)
    handle = c.workspace.sessions["A"].handle

    # what `main.py export` writes from it: the views in three formats and the HTML report
    import xml.etree.ElementTree as ET

    from reprviz_gui.workspace.session_headless import export_session

    export_session(path, figures=tmp_path / "figs", formats=("png", "svg", "pdf"),
                   html=tmp_path / "report.html")
    names = {p.name for p in (tmp_path / "figs").iterdir()}
    for view in ("heatmap", "map", "cosine"):  # untrained: no confusion matrix yet
        assert {f"{view}.png", f"{view}.svg", f"{view}.pdf"} <= names, names
    assert ET.parse(tmp_path / "figs" / "map.svg").getroot().tag.endswith("svg")
    assert (tmp_path / "figs" / "map.pdf").read_bytes().startswith(b"%PDF")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") >= 3 and "digits" in html

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    enter = QDragEnterEvent(win.rect().center(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(win, enter)
    assert enter.isAccepted()
    restored = []
    c.session_restored.connect(restored.append)
    drop = QDropEvent(QPointF(win.rect().center()), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(win, drop)
    qtbot.waitUntil(lambda: restored == [str(path)] and layer_result(win) is not None,
                    timeout=60_000)
    assert c.workspace.sessions["A"].handle.id != handle.id  # the model came from the file
    menu = win.findChild(QMenu, "menu_recent_sessions")
    menu.aboutToShow.emit()
    assert any(str(path) in a.text() for a in menu.actions())


@pytest.mark.slow
def test_a_comparison_reopens_with_both_models(qtbot, open_window, tmp_path):
    win = open_window()
    c = win.controller
    c.add_comparison("multinomial")
    qtbot.waitUntil(lambda: layer_result(win, "B") is not None
                    and map_result(win, "B") is not None, timeout=60_000)
    wait_idle(qtbot, win)
    path = tmp_path / "compare.reprviz"
    _save(qtbot, win, path)
    before = {sid: (layer_result(win, sid), map_result(win, sid)) for sid in ("A", "B")}

    started: list = []
    win2 = _new_window(qtbot, started)
    restored = []
    win2.controller.session_restored.connect(restored.append)
    win2.start(str(path))
    qtbot.waitUntil(lambda: bool(restored) and all(
        layer_result(win2, sid) is not None and map_result(win2, sid) is not None
        for sid in ("A", "B")), timeout=60_000)
    wait_idle(qtbot, win2)
    assert JobKind.PRODUCT not in started and JobKind.BUILD not in started, started
    assert set(win2.controller.workspace.sessions) == {"A", "B"}
    for sid in ("A", "B"):
        layer, proj = before[sid]
        np.testing.assert_array_equal(layer_result(win2, sid).activations, layer.activations)
        np.testing.assert_array_equal(map_result(win2, sid).coords, proj.coords)
        assert win2.controller.workspace.sessions[sid].label == \
            c.workspace.sessions[sid].label
    assert win2.host("map")._captions["B"].isVisibleTo(win2.host("map"))


@pytest.mark.slow
def test_a_word_table_session_reopens_without_a_model(qtbot, open_window, tmp_path):
    win = open_window(source="capitals", method="mds")
    c = win.controller
    qtbot.waitUntil(lambda: map_result(win) is not None, timeout=60_000)
    wait_idle(qtbot, win)
    path = tmp_path / "words.reprviz"
    _save(qtbot, win, path)
    layer, proj = layer_result(win), map_result(win)

    started: list = []
    win2 = _new_window(qtbot, started)
    restored = []
    win2.controller.session_restored.connect(restored.append)
    win2.start(str(path))
    qtbot.waitUntil(lambda: bool(restored) and layer_result(win2) is not None
                    and map_result(win2) is not None, timeout=60_000)
    wait_idle(qtbot, win2)
    assert JobKind.BUILD not in started and JobKind.LOAD_MODEL not in started, started
    assert not win2.controller.workspace.sessions["A"].has_model
    assert win2.controller.dataset.words is not None and map_result(win2).method == "mds"
    np.testing.assert_array_equal(layer_result(win2).activations, layer.activations)
    np.testing.assert_array_equal(map_result(win2).coords, proj.coords)
