"""Faults in the window (pytest-qt, offscreen): requests too big for memory are refused with a
message and the rest still draws; the status bar's Cancel stops extraction and projection within a
second and keeps what was shown; the model saves from the window to a loadable .keras file."""

from __future__ import annotations

import threading
import time

import numpy as np

from gui_support import (click, is_training, layer_result, pending, session, wait_idle,
                         wait_layer)
from reprviz_gui.core import pipeline
from reprviz_gui.core.errors import Cancelled
from reprviz_gui.core.memory import ENV_LIMIT
from reprviz_gui.core.progress import report


def other_layer(win) -> str:
    """A layer with units that is not the one shown (its result is not cached yet)."""
    shown = layer_result(win).layer_name
    names = [l.name for l in win.controller.layers_of()
             if l.type not in ("InputLayer", "Flatten") and l.name != shown]
    return names[0]


def snapshot(win) -> dict:
    return {key: win.view(key).displayed() for key in ("heatmap", "cosine", "map")}


def assert_same_panels(before: dict, after: dict) -> None:
    np.testing.assert_array_equal(after["heatmap"]["image"], before["heatmap"]["image"])
    np.testing.assert_array_equal(after["cosine"]["image"], before["cosine"]["image"])
    np.testing.assert_array_equal(after["map"]["coords"], before["map"]["coords"])


# --- memory ---------------------------------------------------------------------------------
def test_cosine_matrix_too_big_is_sampled_with_a_note_and_the_rest_draws(qtbot, open_window,
                                                                        monkeypatch):
    from reprviz_gui.core.analysis.similarity import cosine_similarity

    win = open_window()
    n = win.controller.samples.n
    assert n == 200
    # 200 x 200 float32 = 160,000 bytes; allow a little less (memory.py reads this per call)
    monkeypatch.setenv(ENV_LIMIT, "0.15")
    target = other_layer(win)
    win.controller.select_layer(target)
    wait_layer(qtbot, win, target)
    wait_idle(qtbot, win)
    result = layer_result(win)
    rows = result.cosine_rows
    m = len(rows)
    assert 150 <= m < n and m * m * 4 <= 0.15 * 2**20  # the largest matrix that fits
    assert np.all(np.diff(rows) > 0) and rows[0] >= 0 and rows[-1] < n
    # each kept class keeps about its share of the rows
    counts = np.bincount(result.samples.labels[rows], minlength=10)
    full = np.bincount(result.samples.labels, minlength=10)
    assert np.all(np.abs(counts - full * m / n) <= 2)
    np.testing.assert_allclose(result.cosine, cosine_similarity(result.activations[rows]),
                               atol=1e-6)
    assert f"{m:,} of the 200 samples" in result.note and "sampled" in result.note
    cos = win.view("cosine").displayed()
    assert cos["view"] == "samples" and cos["note"] == result.note  # the note is visible
    assert win.view("cosine").note_label.isVisible()
    np.testing.assert_array_equal(cos["image"], result.cosine)
    np.testing.assert_array_equal(cos["sample_rows"], rows)
    np.testing.assert_array_equal(cos["rows"], result.samples.labels[rows])
    assert f"{m} samples of 200" in win.view("cosine").subtitle.text()
    heat = win.view("heatmap").displayed()
    assert heat["image"].shape[0] == n
    np.testing.assert_allclose(heat["image"], result.activations)
    assert win.view("map").displayed()["coords"].shape == (n, 2)
    assert not win.dialogs  # a note in the panel, not an error dialog


def test_projection_too_big_is_refused_with_a_dialog(qtbot, open_window, monkeypatch):
    from reprviz_gui.core.analysis.projection_process import close_shared_process

    win = open_window()
    wait_idle(qtbot, win)  # the PCA map comes from its own job, just after the layer
    before = snapshot(win)
    # MDS of 200 samples needs 200*200*8*4 bytes = 1.2 MiB; the cosine matrix 0.15 MiB fits
    monkeypatch.setenv(ENV_LIMIT, "1")
    close_shared_process()  # the map child reads the limit when it starts
    win.controller.set_method("mds")
    qtbot.waitUntil(lambda: bool(win.dialogs), timeout=60_000)
    box = win.dialogs[-1]
    assert "MDS map" in box.text()
    assert "MDS of 200 samples would need 1.2 MiB" in box.informativeText()
    assert "Traceback" not in (box.detailedText() or "")
    wait_idle(qtbot, win)
    assert not win.activity_bar.busy
    # the PCA map and the layer panels are kept
    assert_same_panels(before, snapshot(win))
    box.close()
    # and the app goes on: back to PCA at once, another layer still computes
    win.controller.set_method("pca")
    assert win.view("map").result().method == "pca"
    target = other_layer(win)
    win.controller.select_layer(target)
    wait_layer(qtbot, win, target)
    wait_idle(qtbot, win)
    assert win.view("cosine").displayed()["image"].shape == (200, 200)


# --- cancel ---------------------------------------------------------------------------------
def slow_extraction(entered: threading.Event):
    def fake(model, dataset, samples, layer_name, with_output=False, on_progress=None,
             should_stop=None, **options):  # reduction=, stream=: whatever the real one takes
        entered.set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if should_stop is not None and should_stop():
                raise Cancelled("Cancelled by the user.")
            report(on_progress, "extract", 0.5, f"Extracting {layer_name} (slowly)…")
            time.sleep(0.01)
        raise AssertionError("extraction was never cancelled")

    return fake


def test_cancel_during_extraction(qtbot, open_window, monkeypatch):
    win = open_window()
    wait_idle(qtbot, win)
    before = snapshot(win)
    shown = layer_result(win).layer_name
    entered = threading.Event()
    real = pipeline.layer_activations
    monkeypatch.setattr(pipeline, "layer_activations", slow_extraction(entered))
    target = other_layer(win)
    win.controller.select_layer(target)
    qtbot.waitUntil(entered.is_set, timeout=30_000)
    qtbot.waitUntil(lambda: win.activity_bar.busy
                    and win.activity_bar.cancel_button.isVisible(), timeout=10_000)
    lane = win.controller.lanes["model"]
    with qtbot.waitSignal(lane.job_cancelled, timeout=5_000) as blocker:  # a hang guard
        click(qtbot, win.activity_bar.cancel_button)
    assert blocker.args[0].payload.kind == "layer"
    qtbot.waitUntil(lambda: not win.activity_bar.busy, timeout=1_000)
    assert not pending(win)
    assert "Cancelled reading" in win.statusBar().currentMessage()
    # what was shown stays: the previous layer's panels, unchanged
    assert layer_result(win).layer_name == shown
    assert_same_panels(before, snapshot(win))
    assert not win.dialogs
    # and the next request works
    monkeypatch.setattr(pipeline, "layer_activations", real)
    win.controller.select_layer(target)
    wait_layer(qtbot, win, target)
    wait_idle(qtbot, win)
    assert win.view("heatmap").displayed()["image"].shape[0] == 200


def test_cancel_during_tsne_keeps_the_pca_preview(qtbot, open_window, tmp_path):
    from reprviz_gui.core.analysis.projection_process import shared_process

    # 30,000 samples: t-SNE takes many seconds even with openTSNE, the PCA preview is instant
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(10, 16)) * 4
    y = rng.integers(0, 10, 30_100)
    x = (centres[y] + rng.normal(size=(len(y), 16))).astype(np.float32)
    data = tmp_path / "blobs.npz"
    np.savez(data, x_train=x[:100], y_train=y[:100], x_test=x[100:], y_test=y[100:])
    win = open_window(source=str(data), method="tsne", n_samples=30_000, split="test")
    assert win.controller.samples.n == 30_000
    lane = win.controller.lanes["projection"]

    def computing() -> bool:  # the child computes; the PCA preview or the forming layout is drawn
        shown = win.view("map").result()
        return (shown is not None and shown.preview and shared_process().alive
                and any(getattr(j.payload, "kind", "") == "map" and j.running.is_set()
                        for j in lane.pending_jobs()))  # running, not queued behind a warm-up

    qtbot.waitUntil(computing, timeout=60_000)
    before = snapshot(win)
    child = shared_process()._proc
    with qtbot.waitSignal(lane.job_cancelled, timeout=5_000) as blocker:  # a hang guard
        click(qtbot, win.activity_bar.cancel_button)
    assert blocker.args[0].payload.kind == "map"
    qtbot.waitUntil(lambda: not win.activity_bar.busy, timeout=1_000)
    qtbot.waitUntil(lambda: not child.is_alive(), timeout=5_000)  # terminated mid-t-SNE
    # (a warm-up may start a new child)
    shown = win.view("map").result()  # the PCA map comes back, no longer called a preview
    assert shown.method == "pca" and not shown.preview
    from reprviz_gui.core.analysis.projection import project
    np.testing.assert_allclose(shown.coords, project(layer_result(win).activations, "pca").coords,
                               rtol=1e-4, atol=1e-4)
    after = snapshot(win)  # the layer's views untouched
    np.testing.assert_array_equal(after["heatmap"]["image"], before["heatmap"]["image"])
    np.testing.assert_array_equal(after["cosine"]["image"], before["cosine"]["image"])
    assert "Cancelled computing the t-SNE map" in win.statusBar().currentMessage()
    assert not win.dialogs
    # a new request restarts the child
    win.controller.set_samples(60, "test")
    qtbot.waitUntil(lambda: win.view("map").result() is not None
                    and win.view("map").result().method == "tsne"
                    and win.view("map").result().samples.n == 60, timeout=120_000)
    assert shared_process().alive


def test_cancel_clears_the_busy_badges(qtbot, open_window, monkeypatch):
    win = open_window()
    wait_idle(qtbot, win)
    entered = threading.Event()
    monkeypatch.setattr(pipeline, "layer_activations", slow_extraction(entered))
    win.controller.select_layer(other_layer(win))
    qtbot.waitUntil(entered.is_set, timeout=30_000)
    qtbot.waitUntil(lambda: win.activity_bar.cancel_button.isVisible(), timeout=10_000)
    assert win.view("heatmap").is_busy()
    click(qtbot, win.activity_bar.cancel_button)
    qtbot.waitUntil(lambda: not win.activity_bar.busy, timeout=2_000)
    busy = {k: win.view(k).busy_text() for k in ("heatmap", "cosine", "map")
            if win.view(k).is_busy()}
    assert not busy, f"still marked busy after Cancel: {busy}"


# --- saving the model -----------------------------------------------------------------------
def test_save_model_from_the_window(qtbot, open_window, tmp_path):
    from reprviz_gui.core.model.files import load_model_file

    win = open_window()
    click(qtbot, win.sidebar.train_button)
    qtbot.waitUntil(lambda: not is_training(win), timeout=60_000)
    wait_idle(qtbot, win)
    path = tmp_path / "out" / "digits.keras"
    path.parent.mkdir()
    path.write_bytes(b"an older file")
    win.controller.save_model(path)
    qtbot.waitUntil(lambda: "Model saved to" in win.statusBar().currentMessage(),
                    timeout=60_000)
    wait_idle(qtbot, win)
    assert sorted(p.name for p in path.parent.iterdir()) == ["digits.keras"]  # no temp left
    loaded = load_model_file(path)
    from reprviz_gui.workspace import handles

    model = handles.resolve(session(win).handle)
    assert [l.name for l in loaded.layers] == [l.name for l in model.layers]
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not win.dialogs


def test_save_model_to_a_bad_path_shows_a_dialog(qtbot, open_window, tmp_path):
    win = open_window()
    win.controller.save_model(tmp_path / "model.txt")
    qtbot.waitUntil(lambda: bool(win.dialogs), timeout=30_000)
    box = win.dialogs[-1]
    assert "model.txt" in box.informativeText() and ".keras" in box.informativeText()
    box.close()
    win.controller.save_model(tmp_path / "missing" / "m.keras")
    qtbot.waitUntil(lambda: len(win.dialogs) >= 1 and "does not exist"
                    in win.dialogs[-1].informativeText(), timeout=30_000)
    win.dialogs[-1].close()
    assert not (tmp_path / "model.txt").exists()
