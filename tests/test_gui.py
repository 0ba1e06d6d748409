"""The window as a user drives it (pytest-qt, offscreen): clicks, layer switching, cancel,
errors, closing mid-work. Uses scikit-learn's digits and a small MLP so each test takes seconds."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from gui_support import click, fast_settings, wait_idle
from reprviz_gui.controller import Controller, Settings
from reprviz_gui.workers import jobs


def select_layer_by_click(qtbot, win, name):
    tree = win.sidebar.layer_tree
    for i in range(tree.topLevelItemCount()):
        item = tree.topLevelItem(i)
        if item.text(0) == name:
            rect = tree.visualItemRect(item)
            qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            return
    raise AssertionError(f"no layer {name!r} in the list")


def panel_arrays_match_core(win, layer_name):
    """Every layer panel shows what the core computes for that layer, computed here again."""
    c = win.controller
    expected = jobs.layer_activations(c.model_ready.model, c.dataset, c.samples, layer_name)
    from reprviz_gui.core.analysis.similarity import cosine_similarity

    heat = win._panel("heatmap").displayed()
    np.testing.assert_allclose(heat["image"], expected, rtol=1e-4, atol=1e-5)
    cos = win._panel("cosine").displayed()
    np.testing.assert_allclose(cos["image"], cosine_similarity(expected), atol=1e-4)
    shown = win._panel("map").displayed()
    assert shown["coords"].shape == (c.samples.n, 2)


def test_default_workflow_by_clicking(qtbot, window):
    win = window
    assert win.sidebar.train_button.isEnabled() and not win.sidebar.cancel_button.isEnabled()
    click(qtbot, win.sidebar.train_button)
    assert win.sidebar.cancel_button.isEnabled()  # training started at once
    qtbot.waitUntil(lambda: not win.controller.training, timeout=60_000)
    wait_idle(qtbot, win)
    # curves drawn for both epochs, confusion table filled with all test samples
    curves = win._panel("curves").displayed()
    assert len(curves["loss"]) == 2 and len(curves["val_loss"]) == 2
    conf = win._panel("confusion").displayed()
    assert conf["counts"].sum() == len(win.controller.dataset.y_test)
    assert win.controller.evaluation.accuracy["test"] > 0.2  # 2 short epochs; chance is 0.1
    # pick another layer with a real click: every panel follows
    layers = [win.sidebar.layer_tree.topLevelItem(i).text(0)
              for i in range(win.sidebar.layer_tree.topLevelItemCount())]
    target = "hidden_1" if "hidden_1" in layers else layers[1]
    select_layer_by_click(qtbot, win, target)
    qtbot.waitUntil(lambda: win.controller._current_layer_result is not None
                    and win.controller._current_layer_result.layer_name == target,
                    timeout=30_000)
    wait_idle(qtbot, win)
    panel_arrays_match_core(win, target)
    assert win.sidebar.current_layer() == target


def test_cancel_mid_training_returns_to_idle_quickly(qtbot, window):
    win = window
    win.controller.settings.epochs = 200
    win.sidebar.set_training_settings({"epochs": 200, "batch_size": 8})
    click(qtbot, win.sidebar.train_button)
    qtbot.waitUntil(lambda: len(win.controller.curves.history.get("loss", ())) >= 1,
                    timeout=60_000)
    t0 = time.monotonic()
    click(qtbot, win.sidebar.cancel_button)
    qtbot.waitUntil(lambda: not win.controller.training, timeout=5_000)
    assert time.monotonic() - t0 < 1.5  # within a second of the batch ending (batches are ms)
    assert win.sidebar.train_button.isEnabled() and not win.sidebar.cancel_button.isEnabled()
    assert len(win.controller.curves.history["loss"]) < 200


def test_rapid_layer_switching_ends_on_the_last_layer(qtbot, window):
    win = window
    layers = [l.name for l in win.controller.available_layers()]
    sequence = [layers[i % len(layers)] for i in range(100)]
    for name in sequence:
        win.controller.select_layer(name)
    last = sequence[-1]
    qtbot.waitUntil(lambda: win.controller._current_layer_result is not None
                    and win.controller._current_layer_result.layer_name == last, timeout=60_000)
    wait_idle(qtbot, win)
    assert win._panel("map").result().layer_name == last
    panel_arrays_match_core(win, last)
    # switching back to a computed layer is instant (served from the cache, no job)
    win.controller.select_layer(sequence[-2])
    assert win.controller._current_layer_result.layer_name == sequence[-2]
    assert not any(j.kind == "layer" for j in win.controller.lanes["model"].pending_jobs())


def test_bad_file_shows_a_dialog_and_keeps_the_dataset(qtbot, window, tmp_path):
    win = window
    before = win.controller.dataset
    bad = tmp_path / "broken.csv"
    bad.write_text("a,b,label\n1,2,0\n3,x,1\n")
    win.controller.open_dataset(str(bad))
    qtbot.waitUntil(lambda: bool(win.dialogs), timeout=20_000)
    box = win.dialogs[-1]
    assert "broken.csv" in box.informativeText()
    assert win.controller.dataset is before
    assert win._panel("heatmap").displayed()["image"].shape[0] == win.controller.samples.n
    box.close()
    # still usable: switching layers still works
    win.controller.select_layer(win.controller.available_layers()[-1].name)
    wait_idle(qtbot, win)


def test_worker_exception_shows_details_and_app_stays_usable(qtbot, window, monkeypatch):
    win = window

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(jobs, "layer_activations", broken)
    win.controller._layer_cache.clear()
    win.controller.model_version += 1
    win.controller.select_layer(win.controller.available_layers()[0].name)
    qtbot.waitUntil(lambda: bool(win.dialogs), timeout=20_000)
    box = win.dialogs[-1]
    assert "RuntimeError: boom" in box.informativeText()
    assert "Traceback" in box.detailedText()
    box.close()
    monkeypatch.undo()
    click(qtbot, win.sidebar.train_button)
    qtbot.waitUntil(lambda: not win.controller.training, timeout=60_000)
    assert win.controller.evaluation is not None


def test_word_table_needs_no_model(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("REPRVIZ_CONFIG_DIR", str(tmp_path / "config"))
    from reprviz_gui.main_window import MainWindow

    win = MainWindow(Controller(fast_settings(source="capitals", n_samples=1000)), remember=False)
    qtbot.addWidget(win)
    win.show()
    win.start()
    qtbot.waitUntil(lambda: win.controller.projection_ready is not None
                    and win.controller._current_layer_result is not None, timeout=60_000)
    wait_idle(qtbot, win)
    shown = win._panel("map").displayed()
    assert shown["coords"].shape == (48, 2)
    assert sorted(shown.get("words", ())) == sorted(win.controller.dataset.words)
    assert not win.sidebar.train_button.isEnabled()
    win.close()


def test_settings_are_remembered(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("REPRVIZ_CONFIG_DIR", str(tmp_path / "config"))
    from reprviz_gui.main_window import MainWindow

    win = MainWindow(remember=True)
    qtbot.addWidget(win)
    win.controller.settings.epochs = 7
    win.controller.settings.method = "tsne"
    win.docks["cosine"].hide()
    win.close()
    again = MainWindow(remember=True)
    qtbot.addWidget(again)
    assert again.controller.settings.epochs == 7
    assert again.sidebar.epochs_spin.value() == 7
    assert again.sidebar.method_combo.currentData() == "tsne"
    again.show()
    assert not again.docks["cosine"].isVisible()
    again.reset_layout()
    assert again.docks["cosine"].isVisible()
    again.close()


def test_corrupt_settings_file_falls_back_to_defaults(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("REPRVIZ_CONFIG_DIR", str(tmp_path))
    (tmp_path / "reprviz.ini").write_bytes(b"\x00\xff[General]\nchoices=\"{not json\n")
    from reprviz_gui.main_window import MainWindow

    win = MainWindow(remember=True)
    qtbot.addWidget(win)
    assert win.controller.settings == Settings()
    win.close()


def test_window_opens_without_importing_tensorflow(tmp_path):
    """The window must appear at once: TF (≈5 s) and umap (≈8 s) load later, off the GUI thread."""
    script = textwrap.dedent(f"""
        import os, sys, time
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        os.environ["REPRVIZ_CONFIG_DIR"] = {str(tmp_path)!r}
        t0 = time.monotonic()
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from reprviz_gui.main_window import MainWindow
        w = MainWindow(remember=False)
        w.show()
        app.processEvents()
        heavy = [m for m in ("tensorflow", "keras", "umap", "numba") if m in sys.modules]
        print("heavy=" + ",".join(heavy))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "QThread: Destroyed" not in proc.stderr
    heavy = proc.stdout.split("heavy=")[-1].strip()
    assert heavy == "", f"imported before the window showed: {heavy}"


def test_closing_during_training_exits_cleanly(tmp_path):
    """Close mid-training: the process exits within 5 s, without Qt's thread warning."""
    script = textwrap.dedent(f"""
        import os, sys, time
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        os.environ["REPRVIZ_CONFIG_DIR"] = {str(tmp_path)!r}
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from reprviz_gui.controller import Controller, Settings
        from reprviz_gui.main_window import MainWindow
        c = Controller(Settings(source="digits", epochs=500, batch_size=8, n_samples=100,
                                method="pca"))
        w = MainWindow(c, remember=False)
        w.show(); w.start()
        state = {{}}
        def on_model(ready):
            if ready is not None and not c.training and "t" not in state:
                c.train()
        def on_curves(curves):
            if len(curves.history.get("loss", ())) >= 1 and "t" not in state:
                state["t"] = time.monotonic()
                w.close()
                app.quit()
        c.model_changed.connect(on_model)
        c.curves_changed.connect(on_curves)
        QTimer.singleShot(90_000, app.quit)
        app.exec()
        print("closed-after", time.monotonic() - state.get("t", 0), flush=True)
    """)
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "QThread: Destroyed" not in proc.stderr
    closed_after = float(proc.stdout.split("closed-after")[-1])
    assert closed_after < 5.0


def test_picking_a_preset_shows_its_own_defaults(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("REPRVIZ_CONFIG_DIR", str(tmp_path))
    from reprviz_gui.main_window import MainWindow

    win = MainWindow(Controller(fast_settings()), remember=False)
    qtbot.addWidget(win)
    win.show()
    combo = win.sidebar.preset_combo
    with qtbot.waitSignal(win.sidebar.model_chosen) as chosen:
        combo.activated.emit(combo.findData("bilstm"))  # what a user's pick emits
    assert chosen.args[0] == "bilstm"
    assert chosen.args[1]["dropout"] == pytest.approx(0.5)
    assert win.sidebar.dropout_spin.value() == pytest.approx(0.5)
    combo.activated.emit(combo.findData("sigmoid-mlp"))
    assert win.sidebar.hidden_edit.text() == "14"
    assert win.sidebar.activation_combo.currentText() == "sigmoid"
    win.close()


def test_new_data_gets_a_preset_that_fits(qtbot, window):
    """dense cannot read text: opening IMDB switches to the BiLSTM, and a word table back to
    images restores a real model; the sidebar always shows the model the panels come from."""
    win, c = window, window.controller
    c.settings.n_samples = 50
    c.open_dataset("imdb-sample")
    qtbot.waitUntil(lambda: c.dataset.name == "imdb-sample" and c.model_ready is not None
                    and c.model_ready.label.startswith("bilstm"), timeout=60_000)
    assert win.sidebar.preset_combo.currentData() == "bilstm"
    assert not win.dialogs
    c.open_dataset("capitals")
    qtbot.waitUntil(lambda: c.dataset.name == "capitals" and c.model_ready is None
                    and c._current_layer_result is not None, timeout=60_000)
    c.open_dataset("digits")
    qtbot.waitUntil(lambda: c.dataset.name == "digits" and c.model_ready is not None,
                    timeout=60_000)
    assert c.settings.preset == "dense" and win.sidebar.preset_combo.currentData() == "dense"
    wait_idle(qtbot, win)
