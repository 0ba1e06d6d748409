"""The course views' shared pieces and hand-made results, without TensorFlow: the tile grid
draws images pixel-exact and reflows with its width, reports hover and clicks per tile; the
colour key; the three views on results built by hand (colour filters, text samples, a model
without back-projection)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from reprviz_gui.core.analysis.typical import typical_inputs
from reprviz_gui.core.analysis.weights import WeightImages, diverging_rgb
from reprviz_gui.views.legend import DivergingLegend
from reprviz_gui.views.regions import RegionsView
from reprviz_gui.views.tiles import Section, Tile, TileGrid
from reprviz_gui.views.typical import TypicalView
from reprviz_gui.views.weights import WeightsView
from reprviz_gui.workspace.products_course import (
    RegionsResult,
    TypicalResult,
    WeightsResult,
    first_per_class,
)
from reprviz_gui.workspace.state import ResultTag, Selection

TAG = ResultTag(1, "", "A", 1)


def _settle():
    for _ in range(3):
        QApplication.processEvents()


def _grid(qtbot, sections, width=400, height=300) -> TileGrid:
    grid = TileGrid()
    qtbot.addWidget(grid)
    grid.resize(width, height)
    grid.show()
    qtbot.waitExposed(grid)
    grid.set_sections(sections)
    _settle()
    return grid


# --- the tile grid ----------------------------------------------------------------------------
def test_tiles_are_drawn_pixel_exact_at_a_whole_factor(qtbot):
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (4, 3, 3), dtype=np.uint8)
    grey = rng.integers(0, 256, (4, 3), dtype=np.uint8)
    grid = _grid(qtbot, [Section("t", tiles=[Tile(rgb, "a"), Tile(grey, "b")])])
    grid.set_target_px(32)  # 32 / 4 rows -> factor 8
    _settle()
    assert grid.factors() == [8]
    shot = grid.canvas.grab().toImage()
    for index, image in ((0, rgb), (1, np.repeat(grey[..., None], 3, axis=2))):
        rect = grid.tile_rect(0, index)
        assert (rect.width(), rect.height()) == (3 * 8, 4 * 8)
        drawn = np.array([[shot.pixelColor(rect.left() + x, rect.top() + y).getRgb()[:3]
                           for x in range(1, rect.width() - 1)]
                          for y in range(1, rect.height() - 1)], dtype=np.uint8)
        expected = np.kron(image, np.ones((8, 8, 1), np.uint8))[1:-1, 1:-1]  # inside the frame
        np.testing.assert_array_equal(drawn, expected)


def test_the_grid_reflows_with_its_width_and_fit_fills_the_space(qtbot):
    tiles = [Tile(np.zeros((8, 8), np.uint8), f"{i}") for i in range(12)]
    grid = _grid(qtbot, [Section(tiles=tiles)], width=260, height=2000)
    grid.set_target_px(48)
    _settle()
    narrow = grid.columns()
    grid.resize(700, 2000)
    _settle()
    wide = grid.columns()
    assert 1 <= narrow < wide <= 12
    assert all(grid.tile_rect(0, i).right() < grid.canvas.width() for i in range(12))
    # fit: the largest factor at which everything shows without scrolling
    grid.set_target_px(0)
    grid.resize(700, 300)
    _settle()
    small = grid.factors()[0]
    assert grid.canvas.height() <= 300
    grid.resize(1400, 900)
    _settle()
    assert grid.factors()[0] > small and grid.canvas.height() <= 900


def test_fit_fills_a_wide_panel_when_nothing_fits_its_height(qtbot):
    """Issue 19, 1.11: Important regions' four sections of ten maps in a wide, short panel were
    drawn at the 40 px minimum, a thin strip; now each section fills the width in one row."""
    sections = [Section(f"kind {k}", "a note", [Tile(np.zeros((20, 20), np.uint8), f"class {i}")
                                                 for i in range(10)]) for k in range(4)]
    grid = _grid(qtbot, sections, width=1400, height=300)
    assert grid.canvas.height() > 300  # it scrolls at any size
    assert [grid.columns(k) for k in range(4)] == [10] * 4  # one row per section
    side = grid.tile_rect(0, 0).width()
    assert side >= 100  # the 10 tiles span most of the 1,400 px
    assert grid.tile_rect(0, 9).right() > 0.7 * 1400
    grid.resize(500, 300)  # narrower: no section wraps onto more rows than at the minimum
    _settle()
    assert grid.factors()[0] == 2 and grid.tile_rect(0, 0).width() == 40


def test_hover_and_clicks_name_the_tile(qtbot):
    tiles = [Tile(np.zeros((6, 6), np.uint8), str(i), key=100 + i) for i in range(5)]
    grid = _grid(qtbot, [Section("first", tiles=tiles[:2]), Section("second", tiles=tiles[2:])])
    hovered, clicked = [], []
    grid.tile_hovered.connect(lambda s, i, p: hovered.append((s, i)))
    grid.tile_clicked.connect(lambda s, i, shift: clicked.append((s, i, shift)))
    QTest.mouseMove(grid.canvas, grid.tile_rect(1, 2).center())
    assert hovered[-1] == (1, 2)
    QTest.mouseClick(grid.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     grid.tile_rect(0, 1).center())
    QTest.mouseClick(grid.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier,
                     grid.tile_rect(1, 0).center())
    QTest.mouseClick(grid.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(grid.canvas.width() - 2, grid.canvas.height() - 2))  # no tile
    assert clicked == [(0, 1, False), (1, 0, True)]
    grid.set_marked({103})
    assert grid.marked() == {103}


def test_the_colour_key_names_its_ends():
    legend = DivergingLegend()
    legend.set_scale(0.41234, "green up")
    assert legend.labels() == ("\u22120.412", "0", "+0.412") and legend.text() == "green up"
    legend.set_scale(None, "own scale")
    assert legend.labels() == ("\u2212max", "0", "+max")
    legend.set_text_only("colour filters")
    assert legend.labels() == ("", "", "") and legend.text() == "colour filters"
    legend.deleteLater()


# --- the views on hand-made results -----------------------------------------------------------
def _weight_images(rgb: bool) -> WeightImages:
    rng = np.random.default_rng(1)
    images = rng.normal(size=(4, 5, 5, 3) if rgb else (4, 5, 5)).astype(np.float32)
    flat = images.reshape(4, -1)
    return WeightImages("conv_1", "Conv2D", images, [f"filter {i}" for i in range(4)],
                        np.arange(4), np.zeros(4, np.float32),
                        np.linalg.norm(flat, axis=1).astype(np.float32), flat.min(1), flat.max(1),
                        float(np.abs(flat).max()), False, rgb)


def test_weights_view_draws_colour_filters_and_says_why_when_there_are_none(qtbot):
    view = WeightsView()
    qtbot.addWidget(view)
    w = _weight_images(rgb=True)
    view.show_result(WeightsResult(TAG, w))
    shown = view.displayed()
    np.testing.assert_array_equal(shown["images"], w.colour_images())
    assert shown["legend"] == ("", "", "") and "mid-grey" in shown["legend_text"]
    view.show_result(WeightsResult(TAG, None, "Weights as images need image input."))
    assert view.is_empty() and view.hint_text() == "Weights as images need image input."


def _typical_result(texts: bool) -> TypicalResult:
    rng = np.random.default_rng(2)
    n, c = 30, 3
    labels = np.arange(n) % c
    probs = rng.dirichlet(np.ones(c), n).astype(np.float32)
    classes = typical_inputs(probs, labels, 4, ["neg", "pos", "mid"])
    shown = np.unique(np.concatenate([x.typical for x in classes] + [x.wrong for x in classes]))
    pred = probs.argmax(1)
    return TypicalResult(TAG, tuple(classes), ("neg", "pos", "mid"), "test", shown,
                         labels[shown], pred[shown], probs[shown, pred[shown]],
                         None if texts else rng.integers(0, 256, (len(shown), 6, 6), np.uint8),
                         tuple(f"review {i} words" for i in shown) if texts else None)


def test_typical_view_shows_text_samples_and_marks_the_selection(qtbot):
    view = TypicalView()
    qtbot.addWidget(view)
    view.resize(700, 500)
    r = _typical_result(texts=True)
    view.show_result(r)
    sections = view.grid.sections()
    assert [t.key for t in sections[0].tiles] == r.classes[0].typical[:8].tolist()
    assert all(t.text == f"review {t.key} words" and t.image is None for t in sections[0].tiles)
    assert all(t.tone == "bad" for t in sections[1].tiles)
    picked = []
    view.selection_requested.connect(lambda sel, add: picked.append((sel, add)))
    view._on_click(1, 0, True)
    sel, additive = picked[-1]
    assert sel.indices.tolist() == [int(r.classes[0].wrong[0])] and additive
    view.set_selection(Selection.of("test", [int(r.classes[0].typical[1])]))
    assert view.displayed()["marked"] == [int(r.classes[0].typical[1])]
    view.set_selection(Selection.of("train", [int(r.classes[0].typical[1])]))
    assert view.displayed()["marked"] == []  # another split's samples are not these


def test_regions_view_without_backprojection_explains_and_shows_saliency(qtbot):
    view = RegionsView()
    qtbot.addWidget(view)
    rng = np.random.default_rng(3)
    sal = rng.normal(size=(2, 4, 4)).astype(np.float32)
    r = RegionsResult(TAG, ("a", "b"), None, "it has Conv2D ('conv_1')", sal, np.abs(sal),
                      np.array([3, 2]), np.array([9, 7]), 200, "logit")
    view.show_result(r)
    shown = view.displayed()
    assert shown["kinds"] == ["saliency", "saliency_abs"]
    assert "does not apply" in shown["note"] and "conv_1" in shown["note"]
    np.testing.assert_array_equal(shown["saliency_images"], np.stack([diverging_rgb(m)
                                                                      for m in sal]))
    assert (shown["saliency_abs_images"].min(axis=(1, 2)) == 0).all()  # the max is black
    view.explain_box.setChecked(False)
    assert all(note == "" for note in view.displayed()["notes"])


def test_regions_view_says_how_to_compute_again_after_a_stop(qtbot):
    from reprviz_gui.views.regions import STOPPED_HINT

    view = RegionsView()
    qtbot.addWidget(view)
    view.clear("Computing…")
    view.set_busy("Computing saliency…")
    view.set_busy("")  # the job ended without a result: Esc
    assert view.hint_text() == STOPPED_HINT


@pytest.mark.parametrize("cap, expected", [(1, [0, 1, 2]), (2, [0, 1, 2, 3, 4, 6]),
                                           (5, list(range(9)))])
def test_first_per_class_takes_the_first_samples_of_each_class_by_index(cap, expected):
    labels = np.array([2, 0, 1, 0, 2, 2, 1, 0, 0])
    assert first_per_class(labels, 3, cap).tolist() == expected
