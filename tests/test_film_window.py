"""The Film view in the window (issue 16 §1): tick Record a film, train 10 epochs, and the film
plays: the slider runs through every epoch, the selected samples stay marked in every frame,
the curves mark the epoch shown, and the film exports as a GIF of every frame."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from gui_support import click, is_training

from reprviz_gui.workspace.state import Selection


def _film(win):
    view = win.view("film")
    r = view.result()
    return r if r is not None and not r.preview else None


def test_a_film_of_ten_epochs_records_plays_and_follows_the_selection(open_window, qtbot,
                                                                     tmp_path, monkeypatch):
    win = open_window(epochs=10, n_samples=120)
    sb = win.sidebar
    # over the bound, the sidebar says before training which epochs the film would keep
    from reprviz_gui.core.model import film as film_module

    budget = film_module.film_budget
    frame_bytes = 120 * (16 + 10) * 4  # samples x (units of hidden_2 + classes) x float32
    monkeypatch.setattr(film_module, "film_budget", lambda: 5 * frame_bytes)
    sb.set_record_film(True)
    win.film_wiring.update_cost()
    assert "keeps 5 of 11 epochs" in sb.film_cost.text()
    monkeypatch.setattr(film_module, "film_budget", lambda: frame_bytes)
    win.film_wiring.update_cost()
    assert "Film refused" in sb.film_cost.text() and "not even two frames" in sb.film_cost.text()
    monkeypatch.setattr(film_module, "film_budget", budget)  # (not undo(): the config dir)
    sb.set_record_film(False)
    assert not win.docks["film"].isVisible()
    click(qtbot, sb.film_check)
    assert win.controller.settings.record_film is True
    assert win.docks["film"].isVisible()  # asking for a film opens where it plays
    # the cost is said before training: 11 frames (the start and 10 epochs)
    assert sb.film_cost.isVisible() and "11 frames" in sb.film_cost.text()
    click(qtbot, sb.train_button)
    qtbot.waitUntil(lambda: not is_training(win), timeout=120_000)
    qtbot.waitUntil(lambda: _film(win) is not None, timeout=60_000)
    view = win.view("film")
    r = _film(win)
    assert r.maps.epochs.tolist() == list(range(11))
    assert r.maps.alignment == "Procrustes onto the previous frame"  # PCA (fast settings)
    assert r.maps.n_frames == 11 and r.recording.activations.shape[1] == 120
    assert view.displayed()["frame"] == 10  # the film ends on the trained model
    # the last frame's predictions are the trained model's, as the accuracy the view says
    acc = float(np.mean(r.recording.predictions[-1] == r.samples.labels))
    assert f"{acc:.1%}" in view.displayed()["epoch_text"]

    # select three samples: they are marked, at their own place, in whatever frame is shown
    rows = np.array([0, 5, 40])
    win.controller.select(Selection.of(r.samples.split, r.samples.indices[rows], "test"))
    qtbot.waitUntil(lambda: len(view.displayed()["marked"][0]) == 3)
    view.slider.setValue(0)
    view.fps_box.setValue(8)
    shown = []
    view.epoch_shown.connect(shown.append)
    click(qtbot, view.play_button)
    assert view.play_button.text() == "Pause" and view.timer.isActive()
    qtbot.waitUntil(lambda: not view.timer.isActive(), timeout=30_000)  # stops at the end
    assert shown == list(range(1, 11))  # every epoch in order
    assert view.play_button.text() == "Play" and view.displayed()["frame"] == 10
    for frame in (0, 4, 10):
        view.slider.setValue(frame)
        d = view.displayed()
        np.testing.assert_allclose(d["marked"][0], r.maps.coords[frame][rows, 0], rtol=1e-6)
        np.testing.assert_allclose(d["marked"][1], r.maps.coords[frame][rows, 1], rtol=1e-6)
        assert win.view("curves").marked_epoch() == (frame or None)
        # the confusions follow the frame: that epoch's predictions of the film's samples
        preds = r.recording.probabilities[frame].argmax(axis=1)
        expected = np.zeros((10, 10), np.int64)
        np.add.at(expected, (r.samples.labels, preds), 1)
        np.testing.assert_array_equal(d["confusion"], expected)

    # the layers along training: every layer's kNN accuracy at every epoch, the last epoch's
    # equal to the depth measures of the trained model's layers (core.measures, another path)
    from reprviz_gui.core.measures import layer_metrics_of

    qtbot.waitUntil(lambda: view.metrics_shown() is not None, timeout=60_000)
    m = view.metrics_shown()
    assert m.epochs.tolist() == list(range(11)) and m.layers[0] == "input"
    # metrics that come (again) while a frame is shown relabel it without saying the epoch twice
    # (they came mid-play once, and the curves heard epoch 10 twice)
    before = list(shown)
    view.show_product("film_metrics", "A", SimpleNamespace(metrics=m))
    assert shown == before and "kNN" in view.displayed()["epoch_text"]
    last = {row.layer: row.knn_accuracy for row in layer_metrics_of(r.recording.depth[-1])}
    assert m.knn_accuracy[-1].tolist() == [last[name] for name in m.layers]
    knn = m.knn_accuracy[view.displayed()["frame"], m.layers.index(r.recording.layer)]
    assert f"kNN {knn:.1%}" in view.displayed()["epoch_text"]  # the frame's, in its label
    assert m.knn_accuracy[-1, m.layers.index(r.recording.layer)] > \
        m.knn_accuracy[0, m.layers.index(r.recording.layer)]  # the layer learned

    # the probe accuracy instead, chosen in the view
    view.along_combo.setCurrentIndex(view.along_combo.findText("probe"))
    assert view.options.along == "probe"
    np.testing.assert_array_equal(np.stack(view.displayed()["along"], axis=1),
                                  m.probe_accuracy)

    # the film as a GIF: every frame, as the view draws it
    import imageio.v3 as iio

    from reprviz_gui.views.film_export import export_film

    view.slider.setValue(3)
    (gif,) = export_film(view, tmp_path / "film.gif")
    frames = iio.imread(gif, index=None)
    assert len(frames) == 11
    assert not np.array_equal(frames[0], frames[10])  # the points moved
    assert view.displayed()["frame"] == 3  # back where it was


@pytest.mark.slow
def test_a_saved_film_reopens_with_the_same_frames_without_computing(open_window, qtbot,
                                                                     tmp_path):
    """A film travels in a session file (its recording and maps as .npy): the window opening
    it shows the same frames and layer metrics and runs no job to make them."""
    from test_sessions_window import _new_window, _save

    from reprviz_gui.workers.lane import JobKind

    win = open_window(epochs=3, n_samples=120)
    click(qtbot, win.sidebar.film_check)  # opens the Film view too
    click(qtbot, win.sidebar.train_button)
    qtbot.waitUntil(lambda: not is_training(win), timeout=120_000)
    qtbot.waitUntil(lambda: _film(win) is not None
                    and win.view("film").metrics_shown() is not None, timeout=60_000)
    r, m = _film(win), win.view("film").metrics_shown()
    path = tmp_path / "film.reprviz"
    _save(qtbot, win, path)

    started: list = []
    win2 = _new_window(qtbot, started)
    restored: list = []
    win2.controller.session_restored.connect(restored.append)
    win2.start(str(path))
    qtbot.waitUntil(lambda: bool(restored) and _film(win2) is not None
                    and win2.view("film").metrics_shown() is not None, timeout=60_000)
    assert JobKind.TRAIN not in started and JobKind.PRODUCT not in started, started
    r2, view2 = _film(win2), win2.view("film")
    np.testing.assert_array_equal(r2.maps.coords, r.maps.coords)
    np.testing.assert_array_equal(r2.maps.epochs, [0, 1, 2, 3])
    np.testing.assert_array_equal(r2.recording.probabilities, r.recording.probabilities)
    np.testing.assert_array_equal(view2.metrics_shown().knn_accuracy, m.knn_accuracy)
    assert view2.displayed()["frame"] == 3
    view2.slider.setValue(1)
    np.testing.assert_array_equal(view2.displayed()["coords"], r.maps.coords[1])
    assert view2.displayed()["epoch"] == 1


def test_a_film_of_a_continued_run_counts_its_epochs_on(open_window, qtbot):
    """Train 1 epoch, then continue 2 with a film: its frames are epochs 1, 2, 3 in the view,
    its label and on the curves (they counted from 0, and the first frame was not marked)."""
    win = open_window(epochs=1, n_samples=60)
    click(qtbot, win.sidebar.train_button)
    qtbot.waitUntil(lambda: not is_training(win) and win.controller.session("A").trained_epochs
                    == 1, timeout=120_000)
    win.controller.settings.epochs = 2
    click(qtbot, win.sidebar.film_check)
    click(qtbot, win.sidebar.train_button)  # Continue training
    qtbot.waitUntil(lambda: not is_training(win), timeout=120_000)
    qtbot.waitUntil(lambda: _film(win) is not None, timeout=60_000)
    view, r = win.view("film"), _film(win)
    assert r.maps.epochs.tolist() == [1, 2, 3]
    view.slider.setValue(0)
    assert view.displayed()["epoch_text"].startswith("epoch 1 ")
    assert win.view("curves").marked_epoch() == 1
    view.slider.setValue(2)
    assert view.displayed()["epoch_text"].startswith("epoch 3 ")
    assert win.view("curves").marked_epoch() == 3
