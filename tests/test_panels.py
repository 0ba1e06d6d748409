"""Panels draw exactly the result objects they are given, react to real mouse/keyboard input, emit
nothing when set from code, and leave no windows behind."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication

from reprviz_gui.panels import (
    PANEL_CLASSES,
    ConfusionPanel,
    CosinePanel,
    CurvesPanel,
    HeatmapPanel,
    MapPanel,
)
from reprviz_gui.panels.base import BandAxisItem, robust_levels
from reprviz_gui.state import EvaluationResult, LayerResult, ProjectionResult, SampleSet, TrainingCurves
from reprviz_gui.widgets.colormaps import class_colors
from reprviz_gui.widgets.thumbnail_tooltip import ThumbnailTooltip, array_to_qimage

NAMES = ("cat", "dog", "bird")
N_PER, C, U = 10, 3, 8


# ---------------------------------------------------------------------------------------------
# Hand-made result objects
# ---------------------------------------------------------------------------------------------
def make_samples(words: bool = False, predictions: bool = True, thumbnails: bool = True) -> SampleSet:
    rng = np.random.default_rng(1)
    n = N_PER * C
    labels = np.repeat(np.arange(C), N_PER)
    preds = labels.copy()
    preds[[1, 12, 13, 25]] = [2, 0, 2, 1]  # four mistakes
    thumbs = rng.integers(0, 256, (n, 8, 8), dtype=np.uint8) if thumbnails else None
    return SampleSet(
        indices=np.arange(n) * 3 + 100,
        labels=labels,
        class_names=NAMES,
        split="test",
        predictions=preds if predictions else None,
        thumbnails=thumbs,
        words=tuple(f"w{i}" for i in range(n)) if words else None,
    )


def make_layer(cosine: bool = True, samples: SampleSet | None = None) -> LayerResult:
    s = samples or make_samples()
    rng = np.random.default_rng(2)
    act = rng.random((s.n, U), dtype=np.float32)
    a = act / np.linalg.norm(act, axis=1, keepdims=True)
    cen = np.stack([act[s.labels == k].mean(0) for k in range(C)])
    cen /= np.linalg.norm(cen, axis=1, keepdims=True)
    return LayerResult(
        request_id=1, layer_name="dense_1", activations=act, samples=s,
        cosine=(a @ a.T).astype(np.float32) if cosine else None,
        centroid_cosine=(cen @ cen.T).astype(np.float32),
        note="" if cosine else "too many samples for a cosine matrix",
    )


def make_projection(words: bool = False, predictions: bool = True, method: str = "pca",
                    preview: bool = False) -> ProjectionResult:
    s = make_samples(words=words, predictions=predictions)
    rng = np.random.default_rng(3)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [5.0, 9.0]])
    coords = (centres[s.labels] + rng.normal(0, 1.0, (s.n, 2))).astype(np.float32)
    return ProjectionResult(
        request_id=1, layer_name="dense_1", method=method, coords=coords, samples=s,
        explained_variance=np.array([0.3, 0.11], np.float32) if method == "pca" else None,
        preview=preview,
    )


def make_evaluation() -> EvaluationResult:
    cm = np.array([[50, 3, 7], [1, 55, 4], [12, 0, 48]], dtype=np.int64)
    return EvaluationResult(
        confusion=cm, class_names=NAMES,
        accuracy={"test": float(cm.trace() / cm.sum()), "train": 0.95, "validation": 0.9},
        per_class_accuracy=cm.diagonal() / cm.sum(1),
        top_pairs=((2, 0, 12), (0, 2, 7), (1, 2, 4), (0, 1, 3), (1, 0, 1)),
    )


def make_curves(k: int, planned: int = 10, running: bool = True) -> TrainingCurves:
    e = np.arange(1, k + 1, dtype=float)
    return TrainingCurves(
        history={"loss": tuple(1 / e), "accuracy": tuple(1 - 0.5 / e),
                 "val_loss": tuple(1.1 / e), "val_accuracy": tuple(0.95 - 0.5 / e)},
        epochs_planned=planned, running=running,
    )


def shown(qtbot, panel, size=(520, 420)):
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def settle():
    for _ in range(3):
        QApplication.processEvents()


def viewport_point(view, scene_pos: QPointF) -> QPoint:
    return view.mapFromScene(scene_pos)


# ---------------------------------------------------------------------------------------------
# Heatmap
# ---------------------------------------------------------------------------------------------
def test_heatmap_shows_the_activations_with_class_bands(qtbot):
    panel = shown(qtbot, HeatmapPanel())
    r = make_layer()
    with qtbot.assertNotEmitted(panel.samples_picked):
        panel.show_result(r)
    d = panel.displayed()
    np.testing.assert_array_equal(d["image"], r.activations)
    np.testing.assert_array_equal(d["rows"], r.samples.labels)
    assert d["band_labels"] == list(NAMES)
    lo, hi = robust_levels(r.activations)
    np.testing.assert_allclose(d["levels"], [lo, hi])
    assert not panel.is_empty()


def test_heatmap_levels_ignore_outliers():
    a = np.zeros((100, 50), np.float32) + np.linspace(0, 1, 50, dtype=np.float32)
    a[0, 0] = 1e6
    lo, hi = robust_levels(a)
    assert hi < 2.0 and lo >= 0.0


def test_heatmap_row_click_picks_that_sample_and_hover_describes_it(qtbot):
    panel = shown(qtbot, HeatmapPanel())
    r = make_layer()
    panel.show_result(r)
    settle()
    row, unit = 14, 3
    scene = panel.plot.vb.mapViewToScene(QPointF(unit + 0.5, row + 0.5))
    assert panel.cell_at(scene) == (row, unit)
    with qtbot.waitSignal(panel.samples_picked) as sig:
        qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton,
                         pos=viewport_point(panel.view, scene))
    np.testing.assert_array_equal(sig.args[0], [row])
    qtbot.mouseMove(panel.view.viewport(), viewport_point(panel.view, scene))
    qtbot.waitUntil(lambda: panel.tooltip.isVisible())
    text = panel.tooltip.text()
    assert f"#{r.samples.indices[row]}" in text and "dog" in text and f"unit {unit}" in text
    assert f"{r.activations[row, unit]:.4g}" in text
    assert panel.tooltip.image_count() == 1


def test_heatmap_clear_and_busy(qtbot):
    panel = shown(qtbot, HeatmapPanel())
    panel.show_result(make_layer())
    panel.set_busy("Computing\u2026")
    assert panel.is_busy() and panel.busy_text() == "Computing\u2026"
    assert panel.displayed()["image"].shape == (N_PER * C, U)  # busy does not blank the drawing
    panel.set_busy(None)
    assert not panel.is_busy()
    panel.clear()
    assert panel.is_empty() and panel.displayed() == {}
    assert "Train or load a model" in panel.hint_text()
    panel.clear("Layer has no units")
    assert panel.hint_text() == "Layer has no units"


def test_heatmap_highlight_draws_one_line_per_row(qtbot):
    panel = shown(qtbot, HeatmapPanel())
    panel.show_result(make_layer())
    panel.set_highlight(np.array([2, 5, 29]))
    x, y = panel.highlight_lines.getData()
    assert len(x) == 6  # two points per highlighted row
    panel.set_highlight(None)
    x, _ = panel.highlight_lines.getData()
    assert x is None or len(x) == 0


def test_heatmap_handles_a_wide_conv_layer_quickly(qtbot):
    import time

    panel = shown(qtbot, HeatmapPanel())
    s = make_samples()
    act = np.random.default_rng(0).random((s.n * 10, 4704), dtype=np.float32)
    big = SampleSet(indices=np.arange(s.n * 10), labels=np.repeat(np.arange(C), N_PER * 10),
                    class_names=NAMES)
    t = time.perf_counter()
    panel.show_result(LayerResult(1, "conv", act, big))
    settle()
    assert time.perf_counter() - t < 3.0
    assert panel.displayed()["image"].shape == (300, 4704)


# ---------------------------------------------------------------------------------------------
# Cosine
# ---------------------------------------------------------------------------------------------
def test_cosine_samples_then_centroids_by_clicking_the_toggle(qtbot):
    panel = shown(qtbot, CosinePanel())
    r = make_layer()
    with qtbot.assertNotEmitted(panel.view_changed):
        panel.show_result(r)
    d = panel.displayed()
    assert d["view"] == "samples"
    np.testing.assert_array_equal(d["image"], r.cosine)
    np.testing.assert_array_equal(d["levels"], [-1.0, 1.0])
    assert d["band_labels"] == list(NAMES)
    with qtbot.waitSignal(panel.view_changed) as sig:
        qtbot.mouseClick(panel.centroids_button, Qt.MouseButton.LeftButton)
    assert sig.args == ["centroids"]
    d = panel.displayed()
    assert d["view"] == "centroids"
    np.testing.assert_array_equal(d["image"], r.centroid_cosine)
    assert d["band_labels"] == list(NAMES)
    assert len(d["values"]) == C * C  # values written in cells (C <= 12)
    assert d["values"][0] == "1"
    # The user's choice survives the next result.
    panel.show_result(make_layer())
    assert panel.displayed()["view"] == "centroids"


def test_cosine_without_sample_matrix_shows_note_and_centroids(qtbot):
    panel = shown(qtbot, CosinePanel())
    r = make_layer(cosine=False)
    with qtbot.assertNotEmitted(panel.view_changed), qtbot.assertNotEmitted(panel._group.idClicked):
        panel.show_result(r)
    d = panel.displayed()
    assert d["view"] == "centroids"
    np.testing.assert_array_equal(d["image"], r.centroid_cosine)
    assert d["note"] == "too many samples for a cosine matrix"
    assert not panel.samples_button.isEnabled()
    assert panel.centroids_button.isChecked()


def test_cosine_set_mode_from_code_emits_nothing(qtbot):
    panel = shown(qtbot, CosinePanel())
    panel.show_result(make_layer())
    with qtbot.assertNotEmitted(panel.view_changed), qtbot.assertNotEmitted(panel.samples_picked):
        panel.set_mode("centroids")
        panel.set_mode("samples")
    assert panel.samples_button.isChecked()


def test_cosine_hover_names_the_pair(qtbot):
    panel = shown(qtbot, CosinePanel())
    r = make_layer()
    panel.show_result(r)
    settle()
    i, j = 3, 22
    scene = panel.plot.vb.mapViewToScene(QPointF(j + 0.5, i + 0.5))
    qtbot.mouseMove(panel.view.viewport(), viewport_point(panel.view, scene))
    qtbot.waitUntil(lambda: panel.tooltip.isVisible())
    text = panel.tooltip.text()
    assert f"#{r.samples.indices[i]}" in text and f"#{r.samples.indices[j]}" in text
    assert "cat" in text and "bird" in text and f"{r.cosine[i, j]:.3f}" in text
    assert panel.tooltip.image_count() == 2


# ---------------------------------------------------------------------------------------------
# Map
# ---------------------------------------------------------------------------------------------
def _colors_for(classes):
    return class_colors(C)[np.asarray(classes)][:, :3]


def test_map_points_colours_and_misclassified_markers(qtbot):
    panel = shown(qtbot, MapPanel())
    r = make_projection()
    with qtbot.assertNotEmitted(panel.colour_by_changed), qtbot.assertNotEmitted(panel.samples_picked):
        panel.show_result(r)
    d = panel.displayed()
    np.testing.assert_allclose(d["coords"], r.coords, rtol=0, atol=1e-5)
    np.testing.assert_array_equal(d["colors"][:, :3], _colors_for(r.samples.labels))
    wrong = np.flatnonzero(r.samples.labels != r.samples.predictions)
    assert len(d["misclassified"]) == len(wrong) == 4
    np.testing.assert_array_equal(d["misclassified"], wrong)
    assert d["legend"] == list(NAMES)
    assert "PCA" in d["subtitle"] and "41 % of variance" in d["subtitle"]
    assert "preview" not in d["subtitle"]

    # A real user edit of the combo recolours by prediction and emits once.
    with qtbot.waitSignal(panel.colour_by_changed) as sig:
        panel.colour_combo.setFocus()
        qtbot.keyClick(panel.colour_combo, Qt.Key.Key_Down)
    assert sig.args == ["predicted"]
    d = panel.displayed()
    assert d["colour_by"] == "predicted"
    np.testing.assert_array_equal(d["colors"][:, :3], _colors_for(r.samples.predictions))

    # Hiding the markers is a user toggle of the checkbox.
    qtbot.mouseClick(panel.errors_check, Qt.MouseButton.LeftButton)
    assert not panel.displayed()["misclassified_visible"]


def test_map_set_from_code_emits_nothing_and_falls_back_without_predictions(qtbot):
    panel = shown(qtbot, MapPanel())
    panel.show_result(make_projection())
    with qtbot.assertNotEmitted(panel.colour_by_changed), \
            qtbot.assertNotEmitted(panel.colour_combo.currentIndexChanged):
        panel.set_colour_by("predicted")
    assert panel.colour_combo.currentIndex() == 1
    r = make_projection(predictions=False, method="tsne", preview=True)
    with qtbot.assertNotEmitted(panel.colour_by_changed), \
            qtbot.assertNotEmitted(panel.colour_combo.currentIndexChanged):
        panel.show_result(r)
    d = panel.displayed()
    assert d["colour_by"] == "true" and panel.colour_combo.currentIndex() == 0
    assert len(d["misclassified"]) == 0
    assert "t-SNE" in d["subtitle"] and "(preview)" in d["subtitle"]
    assert not panel.colour_combo.model().item(1).isEnabled()


def test_map_hover_shows_thumbnail_with_true_and_predicted_label(qtbot):
    panel = shown(qtbot, MapPanel())
    r = make_projection()
    panel.show_result(r)
    settle()
    row = 12  # a "dog" predicted as "cat"
    scene = panel.scene_pos_of(row)
    qtbot.mouseMove(panel.view.viewport(), viewport_point(panel.view, scene))
    qtbot.waitUntil(lambda: panel.tooltip.isVisible())
    text = panel.tooltip.text()
    assert f"#{r.samples.indices[row]}" in text
    assert "true: dog" in text and "predicted: cat" in text
    assert panel.tooltip.image_count() == 1
    assert not panel.tooltip.isWindow()
    # Hover is hidden when leaving the plot.
    QApplication.sendEvent(panel.view.viewport(), QEvent(QEvent.Type.Leave))
    assert not panel.tooltip.isVisible()


def test_map_click_and_legend_pick_samples(qtbot):
    panel = shown(qtbot, MapPanel())
    r = make_projection()
    panel.show_result(r)
    settle()
    row = 21
    with qtbot.waitSignal(panel.samples_picked) as sig:
        qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton,
                         pos=viewport_point(panel.view, panel.scene_pos_of(row)))
    np.testing.assert_array_equal(sig.args[0], [row])
    item = panel.legend.item(1)
    with qtbot.waitSignal(panel.samples_picked) as sig:
        qtbot.mouseClick(panel.legend.viewport(), Qt.MouseButton.LeftButton,
                         pos=panel.legend.visualItemRect(item).center())
    np.testing.assert_array_equal(sig.args[0], np.flatnonzero(r.samples.labels == 1))


def test_map_word_table_labels_points(qtbot):
    panel = shown(qtbot, MapPanel())
    r = make_projection(words=True, method="umap")
    panel.show_result(r)
    d = panel.displayed()
    assert d["words"] == list(r.samples.words)
    positions = np.array([[t.pos().x(), t.pos().y()] for t in panel._word_items])
    np.testing.assert_allclose(positions, r.coords, atol=1e-5)


def test_map_highlight_and_clear(qtbot):
    panel = shown(qtbot, MapPanel())
    panel.show_result(make_projection())
    panel.set_highlight(np.array([0, 4, 7]))
    assert len(panel.highlight_rings.data) == 3
    panel.clear()
    assert panel.is_empty() and panel.displayed() == {}
    assert len(panel.scatter.data) == 0 and panel.legend.count() == 0


def test_map_draws_ten_thousand_points_quickly(qtbot):
    import time

    panel = shown(qtbot, MapPanel())
    n = 10_000
    rng = np.random.default_rng(0)
    labels = np.sort(rng.integers(0, 10, n))
    s = SampleSet(indices=np.arange(n), labels=labels, class_names=tuple(str(k) for k in range(10)),
                  predictions=rng.integers(0, 10, n))
    r = ProjectionResult(1, "d", "tsne", rng.normal(size=(n, 2)).astype(np.float32), s)
    t = time.perf_counter()
    panel.show_result(r)
    settle()
    assert time.perf_counter() - t < 3.0
    t = time.perf_counter()
    for k in range(50):
        panel.point_at(panel.scene_pos_of(k))
    assert (time.perf_counter() - t) / 50 < 0.02  # nearest-point lookup stays cheap


# ---------------------------------------------------------------------------------------------
# Confusion
# ---------------------------------------------------------------------------------------------
def test_confusion_table_matches_counts_and_accuracy(qtbot):
    panel = shown(qtbot, ConfusionPanel())
    r = make_evaluation()
    with qtbot.assertNotEmitted(panel.cell_picked):
        panel.show_result(r)
    d = panel.displayed()
    np.testing.assert_array_equal(d["counts"], r.confusion)
    np.testing.assert_allclose(d["per_class_accuracy"], r.per_class_accuracy, atol=5e-4)
    assert d["rows"] == list(NAMES) and d["columns"] == list(NAMES) + ["accuracy"]
    assert f"{100 * r.accuracy['test']:.1f} %" in d["accuracy_text"]
    assert "train 95.0 %" in d["accuracy_text"] and "validation 90.0 %" in d["accuracy_text"]
    assert d["top_pairs"][0] == "bird \u2192 cat: 12"
    # Diagonal cells are green-ish, off-diagonal errors red-ish.
    diag = panel.table.item(0, 0).background().color()
    err = panel.table.item(2, 0).background().color()
    assert diag.green() > diag.red() and err.red() > err.green()


def test_confusion_cell_click_emits_true_and_predicted(qtbot):
    panel = shown(qtbot, ConfusionPanel())
    panel.show_result(make_evaluation())
    settle()
    rect = panel.table.visualItemRect(panel.table.item(2, 0))
    with qtbot.waitSignal(panel.cell_picked) as sig:
        qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert sig.args == [2, 0]
    with qtbot.waitSignal(panel.cell_picked) as sig:
        panel.pairs_label.linkActivated.emit("0,2")
    assert sig.args == [0, 2]
    panel.clear()
    assert panel.displayed() == {} and panel.table.rowCount() == 0


# ---------------------------------------------------------------------------------------------
# Curves
# ---------------------------------------------------------------------------------------------
def test_curves_follow_the_history_and_reuse_items(qtbot):
    panel = shown(qtbot, CurvesPanel())
    first = make_curves(3, planned=10)
    panel.show_result(first)
    items = dict(panel.items)
    d = panel.displayed()
    np.testing.assert_array_equal(d["epochs"], [1, 2, 3])
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(d[key], first.history[key])
    lo, hi = d["x_range"]
    assert lo <= 1 and hi >= 10
    assert "Epoch 3 / 10" in d["status"]

    longer = make_curves(7, planned=10)
    panel.show_result(longer)
    assert panel.items == items and all(panel.items[k] is items[k] for k in items)
    d = panel.displayed()
    np.testing.assert_array_equal(d["epochs"], np.arange(1, 8))
    np.testing.assert_allclose(d["val_accuracy"], longer.history["val_accuracy"])

    # Training ran past the plan (or the plan is unknown): the axis still covers every epoch.
    panel.show_result(make_curves(12, planned=0, running=False))
    assert panel.displayed()["x_range"][1] >= 12


def test_curves_missing_validation_and_empty_history(qtbot):
    panel = shown(qtbot, CurvesPanel())
    panel.show_result(TrainingCurves({"loss": (0.5, 0.4), "accuracy": (0.8, 0.9)}, 5, True))
    d = panel.displayed()
    assert len(d["val_loss"]) == 0 and len(d["loss"]) == 2
    panel.show_result(TrainingCurves({}, 20, True))
    assert not panel.is_empty() and "Epoch 0 / 20" in panel.displayed()["status"]
    panel.show_result(TrainingCurves({}, 0, False))
    assert panel.is_empty()


# ---------------------------------------------------------------------------------------------
# Shared pieces
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(8, 8), (8, 8, 1), (6, 9, 3), (5, 5, 4)])
def test_array_to_qimage_formats(shape):
    a = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    img = array_to_qimage(a)
    assert (img.height(), img.width()) == shape[:2]
    if len(shape) == 2 or shape[2] == 1:
        assert img.pixelColor(2, 3).red() == a.reshape(shape[:2])[3, 2]
    else:
        assert img.pixelColor(2, 3).green() == a[3, 2, 1]


def test_thumbnail_tooltip_stays_inside_its_parent(qtbot):
    from PySide6.QtWidgets import QWidget

    parent = QWidget()
    qtbot.addWidget(parent)
    parent.resize(300, 200)
    parent.show()
    tip = ThumbnailTooltip(parent)
    tip.show_at(QPoint(290, 190), [np.zeros((28, 28), np.uint8)], ["a", "b"])
    assert tip.isVisible() and not tip.isWindow()
    assert parent.rect().contains(tip.geometry())
    assert tip.focusPolicy() == Qt.FocusPolicy.NoFocus


def test_band_axis_drops_colliding_labels():
    axis = BandAxisItem("left")
    bands = [(k * 10, k * 10 + 10, f"class {k}") for k in range(100)]
    axis.set_bands(bands)
    axis.setGeometry(0, 0, 80, 200)
    axis.setRange(0, 1000)
    img = QImage(100, 220, QImage.Format.Format_ARGB32)
    p = QPainter(img)
    _, ticks, texts = axis.generateDrawSpecs(p)
    p.end()
    assert 0 < len(texts) < 100
    ys = sorted(rect.center().y() for rect, _, _ in texts)
    heights = texts[0][0].height()
    assert all(b - a >= heights for a, b in zip(ys, ys[1:]))


def test_every_panel_has_a_stable_id_and_title():
    ids = [cls.panel_id for cls in PANEL_CLASSES]
    assert len(set(ids)) == len(ids) == 5
    assert all(cls.title for cls in PANEL_CLASSES)


def test_creating_and_closing_panels_leaves_no_top_level_widgets(qtbot):
    app = QApplication.instance()
    before = set(map(id, app.topLevelWidgets()))
    results = {
        HeatmapPanel: make_layer(), CosinePanel: make_layer(), MapPanel: make_projection(),
        ConfusionPanel: make_evaluation(), CurvesPanel: make_curves(4),
    }
    for cls, result in results.items():
        panel = cls()
        panel.resize(450, 350)
        panel.show()
        qtbot.waitExposed(panel)
        panel.show_result(result)
        panel.set_busy("Computing\u2026")
        panel.show_hover(QPoint(20, 20), [np.zeros((8, 8), np.uint8)], ["hello"])
        settle()
        panel.close()
        panel.deleteLater()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        settle()
    after = {id(w): w for w in app.topLevelWidgets()}
    leaked = [type(w).__name__ for k, w in after.items() if k not in before]
    assert leaked == []
