"""One workspace, many views (pytest-qt, offscreen): the linked selection across views, two
models side by side, the window and `analyze` computing the same arrays, and results that can
never mix data or models."""

from __future__ import annotations

import threading

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from gui_support import click, is_training, layer_result, session, wait_idle
from reprviz_gui.workspace.state import Selection


def trained(qtbot, win):
    click(qtbot, win.sidebar.train_button)
    qtbot.waitUntil(lambda: not is_training(win) and win.controller.result("evaluation")
                    is not None, timeout=60_000)
    wait_idle(qtbot, win)


def confusion_cell(win, true: int, predicted: int):
    table = win.view("confusion").table
    return table.viewport(), table.visualRect(table.model().index(true, predicted)).center()


def test_a_confusion_cell_selects_exactly_those_samples_in_every_view(qtbot, window):
    win, c = window, window.controller
    trained(qtbot, win)
    ev = c.result("evaluation")
    cm = np.asarray(ev.confusion).copy()
    np.fill_diagonal(cm, 0)
    t, p = np.unravel_index(int(np.argmax(cm)), cm.shape)  # the most confused pair
    viewport, pos = confusion_cell(win, t, p)
    QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=pos)
    want = np.flatnonzero((ev.labels == t) & (ev.predictions == p))  # computed here again
    sel = c.workspace.selection
    assert sel.split == "test" and np.array_equal(sel.indices, want) and len(want) >= 1
    rows = np.flatnonzero(np.isin(c.samples.indices, want))  # where they sit in the views
    np.testing.assert_array_equal(win.view("map").displayed()["selected"], rows)
    np.testing.assert_array_equal(np.sort(win.view("heatmap").highlight()), rows)
    np.testing.assert_array_equal(np.sort(win.view("cosine").highlight()), rows)
    gallery = win.view("gallery").displayed()
    assert gallery["indices"] == list(want)
    assert f"{len(want)} selected" in win.selection_bar.text()
    names = c.dataset.class_names
    assert all(f"→ {names[p]} ✗" in text for text in gallery["texts"])
    # shift adds the diagonal cell of the same class; Esc clears everywhere
    viewport, pos = confusion_cell(win, t, t)
    QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, pos)
    both = np.union1d(want, np.flatnonzero((ev.labels == t) & (ev.predictions == t)))
    assert np.array_equal(c.workspace.selection.indices, both)
    QTest.keyClick(win, Qt.Key.Key_Escape)
    assert c.workspace.selection.empty
    assert len(win.view("map").displayed()["selected"]) == 0
    assert win.view("gallery").is_empty() and not win.selection_bar.clear_button.isEnabled()


def test_a_map_box_selects_the_points_inside_in_every_view(qtbot, window):
    win, c = window, window.controller
    m = win.view("map")
    # the fixture waits for the layer; its map (and the measures) may still be on their way,
    # and a map that arrives mid-drag would move the points under the box
    wait_idle(qtbot, win)
    qtbot.waitUntil(lambda: (r := m.result()) is not None and c.workspace.is_current(r.tag),
                    timeout=60_000)
    coords = np.asarray(m.result().coords)
    x0, x1 = np.percentile(coords[:, 0], [20, 60])
    y0, y1 = np.percentile(coords[:, 1], [30, 70])
    vb = m.viewbox
    a = m.view.mapFromScene(vb.mapViewToScene(QPointF(x0, y1)))  # top left, in pixels
    b = m.view.mapFromScene(vb.mapViewToScene(QPointF(x1, y0)))
    m.set_tool("box")
    vp = m.view.viewport()
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, pos=a)
    for k in range(1, 11):
        QTest.mouseMove(vp, a + (b - a) * (k / 10))
        QTest.qWait(15)  # pyqtgraph drops moves closer than 10 ms apart
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=b)
    # the box in data coordinates, as the pixels the drag went through map back
    p0, p1 = vb.mapSceneToView(m.view.mapToScene(a)), vb.mapSceneToView(m.view.mapToScene(b))
    lo = np.minimum([p0.x(), p0.y()], [p1.x(), p1.y()])
    hi = np.maximum([p0.x(), p0.y()], [p1.x(), p1.y()])
    inside = np.flatnonzero(np.all((coords >= lo) & (coords <= hi), axis=1))
    assert len(inside) > 5
    sel = c.workspace.selection
    np.testing.assert_array_equal(sel.indices, np.sort(c.samples.indices[inside]))
    np.testing.assert_array_equal(m.displayed()["selected"], inside)
    np.testing.assert_array_equal(np.sort(win.view("heatmap").highlight()), inside)


def test_two_presets_side_by_side_show_the_same_samples(qtbot, window):
    win, c = window, window.controller
    c.add_comparison("lenet")
    qtbot.waitUntil(lambda: "B" in c.workspace.sessions and not session(win, "B").building
                    and layer_result(win, "B") is not None, timeout=90_000)
    wait_idle(qtbot, win)
    a, b = win.view("map", "A"), win.view("map", "B")
    assert a is not b and a.result() is not None and b.result() is not None
    ra, rb = a.displayed(), b.displayed()
    np.testing.assert_array_equal(ra["sample_indices"], rb["sample_indices"])
    assert ra["legend"] == rb["legend"]
    assert b.result().layer_name == "hidden_2"  # the CNN's last hidden layer
    assert win.host("map")._captions["B"].text().startswith("<b>B</b>")
    # the selection is shared: a point picked in A's map is marked in B's
    c.select(Selection.of("test", c.samples.indices[[3, 7]], "test"))
    np.testing.assert_array_equal(a.displayed()["selected"], [3, 7])
    np.testing.assert_array_equal(b.displayed()["selected"], [3, 7])
    # both confusion views once both are trained
    c.train("A")
    c.train("B")
    qtbot.waitUntil(lambda: c.result("evaluation", "A") is not None
                    and c.result("evaluation", "B") is not None, timeout=120_000)
    wait_idle(qtbot, win)
    n = len(c.dataset.y_test)
    assert win.view("confusion", "A").displayed()["counts"].sum() == n
    assert win.view("confusion", "B").displayed()["counts"].sum() == n
    c.remove_comparison()
    assert win.view("map", "B") is None


def test_analyze_and_the_window_give_identical_arrays(qtbot, window, tmp_path):
    from reprviz_gui.core.data.types import LoadOptions
    from reprviz_gui.core.io.report import AnalyzeOptions, analyze

    win, c = window, window.controller
    trained(qtbot, win)
    path = tmp_path / "m.keras"
    c.save_model(path)
    qtbot.waitUntil(path.exists, timeout=30_000)
    layer = layer_result(win)
    out = tmp_path / "out"
    analyze(AnalyzeOptions(data="digits", model=str(path), epochs=0, layer=layer.layer_name,
                           samples=c.samples.n, projection="pca", seed=0, out=out,
                           figures=False, load=LoadOptions(seed=0), history=False))
    saved = np.load(out / "activations.npz")
    np.testing.assert_array_equal(saved["sample_indices"], c.samples.indices)
    np.testing.assert_array_equal(saved["activations"], layer.activations)
    np.testing.assert_array_equal(saved["coords"], win.view("map").result().coords)
    np.testing.assert_array_equal(win.view("heatmap").displayed()["image"], layer.activations)


def test_opening_other_data_while_training_never_mixes_them(qtbot, window):
    win, c = window, window.controller
    win.sidebar.set_training_settings({"epochs": 300, "batch_size": 8})
    click(qtbot, win.sidebar.train_button)
    qtbot.waitUntil(lambda: len(session(win).curves.history.get("loss", ())) >= 1,
                    timeout=60_000)
    old_handle = session(win).handle
    c.open_dataset("capitals")  # what File → Open does while the model trains
    qtbot.waitUntil(lambda: c.dataset.name == "capitals" and not is_training(win)
                    and layer_result(win) is not None, timeout=60_000)
    wait_idle(qtbot, win)
    s = session(win)
    assert s.handle != old_handle and not s.has_model  # a word table: the data itself
    assert c.result("evaluation") is None and s.trained_epochs == 0
    assert layer_result(win).tag.dataset_id == c.workspace.dataset_id
    assert layer_result(win).activations.shape[1] == c.dataset.x_test.shape[1]
    assert win.view("confusion").is_empty()
    assert not win.sidebar.cancel_button.isEnabled() and win.sidebar.source_combo.isEnabled()


def test_large_sample_sets_are_made_off_the_gui_thread(qtbot, window, monkeypatch):
    from reprviz_gui.workspace import jobs

    win, c = window, window.controller
    made_on = []
    real = jobs.make_sample_set

    def spy(*args, **kwargs):
        made_on.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(jobs, "make_sample_set", spy)
    c.set_samples(100_000, "train")
    qtbot.waitUntil(lambda: c.samples.split == "train" and bool(made_on), timeout=30_000)
    wait_idle(qtbot, win)
    assert made_on and all(t is not threading.main_thread() for t in made_on)
    assert c.samples.n == len(c.dataset.y_train)
    assert win.view("heatmap").displayed()["image"].shape[0] == c.samples.n


def test_a_tsne_map_is_shown_while_it_forms_after_the_map_process_warmed_up(qtbot,
                                                                           open_window):
    """The default method is warmed up in the map process at launch; its layout is drawn while
    it optimises (as a preview, a new picture each time), then the final map."""
    from reprviz_gui.core.analysis.projection_process import shared_process
    from reprviz_gui.workers.lane import JobKind

    win = open_window(method="tsne")
    c = win.controller
    drawn = []
    c.product_ready.connect(lambda kind, sid, r: drawn.append(r) if kind == "map" else None)
    qtbot.waitUntil(lambda: any(r.method == "tsne" and not r.preview for r in drawn)
                    or (win.view("map").result() is not None
                        and win.view("map").result().method == "tsne"
                        and not win.view("map").result().preview), timeout=120_000)
    assert shared_process().alive  # started at launch, kept
    # the warm-up ran on the projection lane before any t-SNE map (and finished)
    assert not [j for j in c.lanes["projection"].pending_jobs() if j.kind == JobKind.WARMUP]
    # a new layer: its map forms in view
    drawn.clear()
    names = [l.name for l in c.layers_of() if l.name != session(win).layer and
             l.type not in ("InputLayer", "Flatten") and ":raw" not in l.name]
    c.select_layer(names[0])
    qtbot.waitUntil(lambda: any(r.method == "tsne" and not r.preview and
                                r.layer_name == names[0] for r in drawn), timeout=120_000)
    forming = [r for r in drawn if r.preview and r.method == "tsne"]
    final = drawn[-1]
    assert forming, "no layout was shown while the map formed"
    assert all(r.layer_name == names[0] and r.coords.shape == final.coords.shape and
               "optimised" in r.note for r in forming)
    position = {id(r): i for i, r in enumerate(drawn)}
    assert position[id(forming[-1])] < position[id(final)] and not final.preview
    assert not np.allclose(forming[0].coords, final.coords)  # it moved while optimising
    d = win.view("map").displayed()
    assert not d["preview"] and "forming" not in d["subtitle"]
    np.testing.assert_allclose(d["coords"], final.coords, atol=1e-5)


def test_a_hidden_view_draws_the_current_result_when_it_is_shown(qtbot, window, monkeypatch):
    """Layer statistics is hidden by default: a new layer costs it no drawing until the user
    opens it, and then it shows that layer, not an older one."""
    from gui_support import wait_layer
    from reprviz_gui.views.layer_stats import LayerStatsView

    drawn: list[str] = []
    real = LayerStatsView._draw
    monkeypatch.setattr(LayerStatsView, "_draw",
                        lambda self, r: (drawn.append(r.layer_name), real(self, r))[1])
    dock = window.docks["layer_stats"]
    assert not dock.isVisible()
    shown = layer_result(window).layer_name
    target = next(l.name for l in window.controller.layers_of()
                  if l.type not in ("InputLayer", "Flatten") and l.name != shown)
    window.controller.select_layer(target)
    wait_layer(qtbot, window, target)
    wait_idle(qtbot, window)
    assert drawn == []
    dock.toggleViewAction().trigger()  # View → Layer statistics
    qtbot.waitUntil(lambda: drawn == [target], timeout=5_000)
    assert window.view("layer_stats").displayed()["layer"] == target
    assert drawn == [target]  # drawn once


def test_the_pca_map_beside_the_map_child_uses_one_blas_thread(qtbot, window, monkeypatch):
    """Two BLAS threads here and the map child's on two cores fought: the 9,000-image PCA
    preview took 6.2 s instead of 0.5 and the t-SNE beside it twice as long."""
    from threadpoolctl import threadpool_info

    from gui_support import wait_layer
    from reprviz_gui.core import pipeline

    seen: list[int] = []
    real = pipeline.layer_map

    def spy(*args, **kwargs):
        if not kwargs.get("in_child", False):
            seen.append(max(p["num_threads"] for p in threadpool_info()
                            if p["user_api"] == "blas"))
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "layer_map", spy)
    shown = layer_result(window).layer_name
    target = next(l.name for l in window.controller.layers_of()
                  if l.type not in ("InputLayer", "Flatten") and l.name != shown)
    window.controller.select_layer(target)
    wait_layer(qtbot, window, target)
    qtbot.waitUntil(lambda: window.view("map").result() is not None
                    and window.view("map").result().layer_name == target, timeout=30_000)
    assert window.view("map").result().method == "pca" and seen == [1]
