"""The confusion and curves views, the shared view pieces (axes, thumbnails, hover text), the
view registry, and that creating and closing views leaves no windows behind."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QFontMetrics, QImage, QPainter
from PySide6.QtWidgets import QApplication, QWidget
from view_support import (
    LEFT,
    NAMES,
    SHIFT,
    make_curves,
    make_dataset,
    make_evaluation,
    make_layer,
    make_predictions,
    make_projection,
    make_samples,
    plain,
    settle,
    shown,
)

from reprviz_gui.views import (
    PANEL_CLASSES,
    ConfusionPanel,
    CosinePanel,
    CurvesPanel,
    HeatmapPanel,
    MapPanel,
    Panel,
)
from reprviz_gui.views.axes import BandAxisItem, band_separators, separator_lines
from reprviz_gui.views.describe import class_name, elide, sample_lines, sample_title
from reprviz_gui.views.gallery import GalleryView
from reprviz_gui.views.registry import VIEWS
from reprviz_gui.widgets.thumbnail_tooltip import ThumbnailTooltip, array_to_qimage
from reprviz_gui.workspace.state import Selection, TrainingCurves


# ---------------------------------------------------------------------------------------------
# Confusion
# ---------------------------------------------------------------------------------------------
def test_confusion_table_matches_counts_and_accuracy(qtbot):
    panel = shown(qtbot, ConfusionPanel())
    r = make_evaluation()
    with qtbot.assertNotEmitted(panel.cell_picked), \
            qtbot.assertNotEmitted(panel.selection_requested):
        panel.show_result(r)
        panel.set_selection(Selection.of("test", [1, 2, 3]))
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


def test_confusion_cell_click_emits_true_predicted_and_shift(qtbot):
    panel = shown(qtbot, ConfusionPanel())
    panel.show_result(make_evaluation())
    settle()
    picks = []
    panel.cell_picked.connect(lambda t, p, additive: picks.append((t, p, additive)))

    def click(row, col, modifier=Qt.KeyboardModifier.NoModifier):
        rect = panel.table.visualItemRect(panel.table.item(row, col))
        qtbot.mouseClick(panel.table.viewport(), LEFT, modifier, rect.center())

    click(2, 0)
    click(1, 2, SHIFT)
    click(0, 0)
    click(1, 3)  # the accuracy column is no cell of the matrix
    assert picks == [(2, 0, False), (1, 2, True), (0, 0, False)]


def test_confusion_pair_link_click_emits_the_pair(qtbot):
    panel = shown(qtbot, ConfusionPanel())
    panel.show_result(make_evaluation())
    settle()
    label = panel.pairs_label
    fm = QFontMetrics(label.font())
    # the first link, "bird → cat: 12", right after "Most confused: " on the first line
    x = label.contentsRect().left() + fm.horizontalAdvance("Most confused: ") \
        + fm.horizontalAdvance("bird \u2192 cat: 12") // 2
    with qtbot.waitSignal(panel.cell_picked) as sig:
        qtbot.mouseClick(label, LEFT, pos=QPoint(x, label.contentsRect().top() + fm.height() // 2))
    assert sig.args == [2, 0, False]
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


def test_curves_header_says_running_stopped_or_done(qtbot):
    panel = shown(qtbot, CurvesPanel())
    panel.show_result(make_curves(4, planned=10, running=False, stopped=True))
    status = plain(panel.displayed()["status"]).replace("\u00a0", " ")  # no-break spaces
    assert status.startswith("Stopped at epoch 4 of 10")
    assert "loss 0.250" in status  # the last epoch's values follow
    panel.show_result(make_curves(10, planned=10, running=False))
    assert plain(panel.displayed()["status"]).startswith("10 epochs")
    panel.show_result(make_curves(2, planned=10, running=True))
    assert plain(panel.displayed()["status"]).startswith("Epoch 2 / 10")


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
    _, _ticks, texts = axis.generateDrawSpecs(p)
    p.end()
    assert 0 < len(texts) < 100
    ys = sorted(rect.center().y() for rect, _, _ in texts)
    heights = texts[0][0].height()
    assert all(b - a >= heights for a, b in itertools.pairwise(ys))


def test_band_separators_and_lines():
    bands = make_samples().class_bands()
    assert bands == [(0, 10, "cat"), (10, 20, "dog"), (20, 30, "bird")]
    assert band_separators(bands) == [10.0, 20.0]
    xs, ys = separator_lines([10.0, 20.0], (0, 8), horizontal=True)
    np.testing.assert_array_equal(xs, [0, 8, 0, 8])
    np.testing.assert_array_equal(ys, [10, 10, 20, 20])


def test_sample_lines_name_the_sample_and_mark_a_wrong_prediction():
    s = make_samples(words=True)
    preds = make_predictions()
    assert sample_title(s, 12) == "#136 (test)"
    assert sample_lines(s, 12, preds) == ["#136 (test)  \u201cw12\u201d", "true: dog",
                                          "predicted: cat \u2717"]
    assert sample_lines(s, 11, preds)[2] == "predicted: dog \u2713"
    assert sample_lines(s, 11) == ["#133 (test)  \u201cw11\u201d", "class: dog"]
    assert class_name(s, 7) == "class 7"
    assert elide("a  b\n c" * 40, 10) == "a b ca b \u2026"


# ---------------------------------------------------------------------------------------------
# Registry and lifetime
# ---------------------------------------------------------------------------------------------
def test_every_panel_takes_its_id_and_title_from_its_spec(qtbot):
    import importlib

    from reprviz_gui.views.registry import VIEWS, spec_of

    for spec in VIEWS:
        assert spec_of(getattr(importlib.import_module(spec.module), spec.cls)) is spec
    assert len({spec_of(cls).id for cls in PANEL_CLASSES}) == len(PANEL_CLASSES) == 5
    panel = PANEL_CLASSES[0]()
    qtbot.addWidget(panel)
    spec = spec_of(PANEL_CLASSES[0])
    assert (panel.panel_id, panel.title) == (spec.id, spec.title)
    assert panel.objectName() == f"panel_{spec.id}"


def test_every_registered_view_builds_with_its_id(qtbot):
    """Saved layouts and --view name docks by spec id: the view a spec builds must carry it."""
    ids = [spec.id for spec in VIEWS]
    assert len(set(ids)) == len(ids)
    for spec in VIEWS:
        view = spec.create()
        qtbot.addWidget(view)
        assert isinstance(view, Panel) and view.panel_id == spec.id, spec.id


def test_creating_and_closing_panels_leaves_no_top_level_widgets(qtbot):
    from reprviz_gui.widgets.top_levels import address, gc_paused, top_level_addresses

    app = QApplication.instance()
    before = top_level_addresses()
    results = {
        HeatmapPanel: make_layer(), CosinePanel: make_layer(), MapPanel: make_projection(),
        ConfusionPanel: make_evaluation(), CurvesPanel: make_curves(4), GalleryView: None,
    }
    for cls, result in results.items():
        panel = cls()
        panel.resize(450, 350)
        panel.show()
        qtbot.waitExposed(panel)
        if result is None:  # the gallery draws a dataset's selected samples
            panel.set_dataset(make_dataset())
            panel.set_selection(Selection.of("test", [1, 2, 3]))
        else:
            panel.show_result(result)
        panel.set_busy("Computing\u2026")
        panel.show_hover(QPoint(20, 20), [np.zeros((8, 8), np.uint8)], ["hello"])
        settle()
        panel.close()
        panel.deleteLater()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        settle()
    with gc_paused():
        leaked = [type(w).__name__ for w in app.topLevelWidgets() if address(w) not in before]
    assert leaked == []
