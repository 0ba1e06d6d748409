"""The heatmap and cosine views draw exactly the LayerResult they are given, select with real
clicks and drags (cells, rows, class bands on the axes; shift adds), mark the shared selection
with lines, and emit nothing when set from code."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF
from view_support import (
    LEFT,
    N_PER,
    NAMES,
    SHIFT,
    TAG,
    C,
    N,
    Requests,
    U,
    drag,
    make_layer,
    selection_of_rows,
    settle,
    shown,
    viewport_point,
)

from reprviz_gui.core.data.samples import SampleSet
from reprviz_gui.views import CosinePanel, HeatmapPanel
from reprviz_gui.core.analysis.colour_scales import activation_scale, robust_levels
from reprviz_gui.workspace.results import LayerResult
from reprviz_gui.workspace.state import Selection


def _view(qtbot, cls, result=None):
    panel = shown(qtbot, cls())
    panel.show_result(result if result is not None else make_layer())
    settle()
    return panel


def _cell_point(panel, row: float, col: float) -> QPoint:
    return viewport_point(panel.view, panel.plot.vb.mapViewToScene(QPointF(col, row)))


def _axis_point(panel, axis, value: float) -> QPoint:
    """A viewport pixel on `axis` (left or bottom) level with data coordinate `value`."""
    box = axis.sceneBoundingRect()
    if axis.orientation == "left":
        scene = QPointF(box.center().x(), panel.plot.vb.mapViewToScene(QPointF(0, value)).y())
    else:
        scene = QPointF(panel.plot.vb.mapViewToScene(QPointF(value, 0)).x(), box.center().y())
    return viewport_point(panel.view, scene)


def _marked_rows(panel) -> tuple[np.ndarray, np.ndarray]:
    """(rows of the horizontal lines, columns of the vertical lines) of highlight_lines."""
    x, y = panel.highlight_lines.getData()
    if x is None or len(x) == 0:
        return np.zeros(0, int), np.zeros(0, int)
    x, y = np.asarray(x).reshape(-1, 2), np.asarray(y).reshape(-1, 2)  # connect="pairs"
    horizontal = y[:, 0] == y[:, 1]
    rows = np.unique(y[horizontal, 0] - 0.5).astype(int)
    cols = np.unique(x[~horizontal, 0] - 0.5).astype(int)
    return rows, cols


# ---------------------------------------------------------------------------------------------
# Heatmap
# ---------------------------------------------------------------------------------------------
def test_heatmap_shows_the_activations_with_class_bands(qtbot):
    panel = shown(qtbot, HeatmapPanel())
    r = make_layer()
    with qtbot.assertNotEmitted(panel.selection_requested):
        panel.show_result(r)
    d = panel.displayed()
    np.testing.assert_array_equal(d["image"], r.activations)
    np.testing.assert_array_equal(d["rows"], r.samples.labels)
    np.testing.assert_array_equal(d["row_indices"], r.samples.indices)
    assert d["band_labels"] == list(NAMES)
    scale = activation_scale(r.activations)
    np.testing.assert_allclose(d["levels"], [scale.lo, scale.hi])
    assert not panel.is_empty()


@pytest.mark.parametrize("signed", [True, False])
def test_heatmap_and_heatmap_png_use_one_colour_scale(qtbot, signed):
    """The window drew viridis and analyze's heatmap.png a red-blue map for the same layer:
    both now take activation_scale's map and levels (diverging around 0 for a signed layer)."""
    from reprviz_gui.core.io.figures import heatmap_figure

    panel = shown(qtbot, HeatmapPanel())
    r = make_layer()
    acts = np.asarray(r.activations, np.float32) - (0.5 if signed else 0.0)
    r = dataclasses.replace(r, activations=acts)
    panel.show_result(r)
    d = panel.displayed()
    fig = heatmap_figure(acts, r.samples.labels, NAMES)
    im = fig.axes[0].images[0]
    assert d["diverging"] == signed and im.get_cmap().name == ("RdBu_r" if signed else "viridis")
    np.testing.assert_allclose(im.get_clim(), d["levels"], rtol=1e-6)
    if signed:
        assert d["levels"][0] == pytest.approx(-d["levels"][1])


def test_heatmap_levels_ignore_outliers():
    a = np.zeros((100, 50), np.float32) + np.linspace(0, 1, 50, dtype=np.float32)
    a[0, 0] = 1e6
    lo, hi = robust_levels(a)
    assert hi < 2.0 and lo >= 0.0


def test_heatmap_row_click_selects_that_sample_and_hover_describes_it(qtbot):
    panel = _view(qtbot, HeatmapPanel)
    r = panel.result()
    row, unit = 12, 3  # a "dog" predicted as "cat"
    scene = panel.plot.vb.mapViewToScene(QPointF(unit + 0.5, row + 0.5))
    assert panel.cell_at(scene) == (row, unit)
    requests = Requests(panel.selection_requested)
    qtbot.mouseClick(panel.view.viewport(), LEFT, pos=viewport_point(panel.view, scene))
    sel, additive = requests.only()
    assert (sel.split, list(sel.indices), additive) == ("test", [r.samples.indices[row]], False)
    qtbot.mouseClick(panel.view.viewport(), LEFT, SHIFT, _cell_point(panel, 20.5, 1.5))
    assert requests.calls[1][1] is True and list(requests.calls[1][0].indices) == [160]

    qtbot.mouseMove(panel.view.viewport(), viewport_point(panel.view, scene))
    qtbot.waitUntil(lambda: panel.tooltip.isVisible())
    text = panel.tooltip.text()
    assert f"#{r.samples.indices[row]}" in text and f"unit {unit}" in text
    assert "true: dog" in text and "predicted: cat \u2717" in text
    assert f"{r.activations[row, unit]:.4g}" in text
    assert panel.tooltip.image_count() == 1


def test_heatmap_axis_click_selects_the_class_band_and_drag_a_row_range(qtbot):
    panel = _view(qtbot, HeatmapPanel)
    s = panel.result().samples
    requests = Requests(panel.selection_requested)
    qtbot.mouseClick(panel.view.viewport(), LEFT, pos=_axis_point(panel, panel.left_axis, 14.5))
    sel, additive = requests.only()
    np.testing.assert_array_equal(sel.indices, s.indices[s.labels == 1])  # the "dog" band
    assert not additive and "dog" in sel.source
    qtbot.mouseClick(panel.view.viewport(), LEFT, SHIFT,
                     _axis_point(panel, panel.left_axis, 27.5))
    sel, additive = requests.calls[1]
    np.testing.assert_array_equal(sel.indices, s.indices[s.labels == 2])
    assert additive

    # a drag along the axis from row 5 to row 17 selects rows 5..17
    drag(panel.view, [_axis_point(panel, panel.left_axis, 5.5),
                      _axis_point(panel, panel.left_axis, 11.5),
                      _axis_point(panel, panel.left_axis, 17.5)])
    sel, additive = requests.calls[2]
    assert len(requests.calls) == 3 and not additive
    np.testing.assert_array_equal(sel.indices, s.indices[5:18])


def test_heatmap_set_selection_marks_exactly_those_rows(qtbot):
    panel = _view(qtbot, HeatmapPanel)
    s = panel.result().samples
    with qtbot.assertNotEmitted(panel.selection_requested):
        panel.set_selection(selection_of_rows(s, [2, 5, 29]))
    rows, _ = _marked_rows(panel)
    np.testing.assert_array_equal(rows, [2, 5, 29])
    x, _ = panel.highlight_lines.getData()
    assert len(x) == 6 and set(x) == {0.0, float(U)}  # one line per row, across every unit
    panel.set_selection(Selection.of("test", [s.indices[7], 101, 102, 10_000]))
    np.testing.assert_array_equal(_marked_rows(panel)[0], [7])
    for sel in (Selection.of("test", [101, 104, 10_000]), Selection.of("train", s.indices),
                Selection()):
        panel.set_selection(sel)
        assert len(_marked_rows(panel)[0]) == 0


def test_heatmap_selection_follows_a_new_result_by_dataset_index(qtbot):
    panel = _view(qtbot, HeatmapPanel)
    s = panel.result().samples
    panel.set_selection(selection_of_rows(s, [3, 15]))
    perm = np.concatenate([np.arange(k * N_PER, (k + 1) * N_PER)[::-1] for k in range(C)])
    s2 = SampleSet(s.indices[perm], s.labels[perm], s.class_names)
    panel.show_result(LayerResult(TAG, "dense_2", s2, panel.result().activations[perm]))
    np.testing.assert_array_equal(_marked_rows(panel)[0],
                                  np.sort(np.flatnonzero(np.isin(perm, [3, 15]))))


def test_heatmap_clear_and_busy(qtbot):
    panel = _view(qtbot, HeatmapPanel)
    panel.set_busy("Computing\u2026")
    assert panel.is_busy() and panel.busy_text() == "Computing\u2026"
    assert panel.displayed()["image"].shape == (N, U)  # busy does not blank the drawing
    panel.set_busy(None)
    assert not panel.is_busy()
    panel.clear()
    assert panel.is_empty() and panel.displayed() == {}
    assert "Train or load a model" in panel.hint_text()
    panel.clear("Layer has no units")
    assert panel.hint_text() == "Layer has no units"


def test_heatmap_handles_a_wide_conv_layer(qtbot):
    panel = shown(qtbot, HeatmapPanel())
    act = np.random.default_rng(0).random((N * 10, 4704), dtype=np.float32)
    big = SampleSet(indices=np.arange(N * 10), labels=np.repeat(np.arange(C), N_PER * 10),
                    class_names=NAMES)
    panel.show_result(LayerResult(TAG, "conv", big, act))
    settle()
    assert panel.displayed()["image"].shape == (300, 4704)
    assert panel.displayed()["band_labels"] == list(NAMES)


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
        qtbot.mouseClick(panel.centroids_button, LEFT)
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
    with qtbot.assertNotEmitted(panel.view_changed), \
            qtbot.assertNotEmitted(panel._group.idClicked):
        panel.show_result(r)
    d = panel.displayed()
    assert d["view"] == "centroids"
    np.testing.assert_array_equal(d["image"], r.centroid_cosine)
    assert d["note"] == "too many samples for a cosine matrix"
    assert not panel.samples_button.isEnabled()
    assert panel.centroids_button.isChecked()


def test_cosine_set_from_code_emits_nothing(qtbot):
    panel = _view(qtbot, CosinePanel)
    with qtbot.assertNotEmitted(panel.view_changed), \
            qtbot.assertNotEmitted(panel.selection_requested):
        panel.set_mode("centroids")
        panel.set_selection(selection_of_rows(panel.result().samples, [1, 2]))
        panel.set_mode("samples")
        panel.show_result(make_layer())
    assert panel.samples_button.isChecked()


def test_cosine_hover_names_the_pair(qtbot):
    panel = _view(qtbot, CosinePanel)
    r = panel.result()
    i, j = 3, 22
    qtbot.mouseMove(panel.view.viewport(), _cell_point(panel, i + 0.5, j + 0.5))
    qtbot.waitUntil(lambda: panel.tooltip.isVisible())
    text = panel.tooltip.text()
    assert f"#{r.samples.indices[i]}" in text and f"#{r.samples.indices[j]}" in text
    assert "cat" in text and "bird" in text and f"{r.cosine[i, j]:.3f}" in text
    assert panel.tooltip.image_count() == 2


def test_cosine_cell_click_selects_its_two_samples_or_two_classes(qtbot):
    panel = _view(qtbot, CosinePanel)
    s = panel.result().samples
    requests = Requests(panel.selection_requested)
    qtbot.mouseClick(panel.view.viewport(), LEFT, pos=_cell_point(panel, 3.5, 22.5))
    sel, additive = requests.only()
    np.testing.assert_array_equal(sel.indices, s.indices[[3, 22]])
    assert not additive
    qtbot.mouseClick(panel.view.viewport(), LEFT, SHIFT, _cell_point(panel, 8.5, 8.5))
    sel, additive = requests.calls[1]
    assert list(sel.indices) == [s.indices[8]] and additive  # the diagonal: one sample

    qtbot.mouseClick(panel.centroids_button, LEFT)
    qtbot.mouseClick(panel.view.viewport(), LEFT, pos=_cell_point(panel, 0.5, 2.5))
    sel, additive = requests.calls[2]
    np.testing.assert_array_equal(sel.indices, s.indices[(s.labels == 0) | (s.labels == 2)])
    assert not additive and len(requests.calls) == 3


@pytest.mark.parametrize("axis_name", ["left", "bottom"])
def test_cosine_axis_click_selects_that_class(qtbot, axis_name):
    panel = _view(qtbot, CosinePanel)
    s = panel.result().samples
    axis = panel.left_axis if axis_name == "left" else panel.bottom_axis
    requests = Requests(panel.selection_requested)
    qtbot.mouseClick(panel.view.viewport(), LEFT, pos=_axis_point(panel, axis, 24.5))
    sel, additive = requests.only()
    np.testing.assert_array_equal(sel.indices, s.indices[s.labels == 2])  # "bird"
    assert not additive
    panel.set_mode("centroids")  # one band per class: class 1 is the band [1, 2)
    qtbot.mouseClick(panel.view.viewport(), LEFT, SHIFT, _axis_point(panel, axis, 1.5))
    sel, additive = requests.calls[1]
    np.testing.assert_array_equal(sel.indices, s.indices[s.labels == 1])
    assert additive


def test_cosine_set_selection_marks_rows_and_columns(qtbot):
    panel = _view(qtbot, CosinePanel)
    s = panel.result().samples
    panel.set_selection(selection_of_rows(s, [4, 11, 26]))
    rows, cols = _marked_rows(panel)
    np.testing.assert_array_equal(rows, [4, 11, 26])
    np.testing.assert_array_equal(cols, [4, 11, 26])
    panel.set_selection(Selection.of("test", [s.indices[0], 101, 50_000]))
    rows, cols = _marked_rows(panel)
    np.testing.assert_array_equal(rows, [0])
    np.testing.assert_array_equal(cols, [0])
    panel.set_selection(Selection.of("test", [101, 50_000]))
    assert [len(a) for a in _marked_rows(panel)] == [0, 0]
    # sample lines mean nothing on the class-by-class matrix; they come back with the samples
    panel.set_selection(selection_of_rows(s, [4]))
    panel.set_mode("centroids")
    assert [len(a) for a in _marked_rows(panel)] == [0, 0]
    panel.set_mode("samples")
    np.testing.assert_array_equal(_marked_rows(panel)[0], [4])


def test_a_sampled_cosine_matrix_names_and_selects_its_own_rows(qtbot):
    """A matrix too big for memory comes sampled: every cell, hover, click and mark refers to
    the samples the matrix holds, and the note says it is sampled."""
    full = make_layer()
    rows = np.arange(0, N, 2)  # rows 0, 2, ..., 28 of the sample set
    a = full.activations[rows] / np.linalg.norm(full.activations[rows], axis=1, keepdims=True)
    note = f"Cosine matrix of {len(rows)} of the {N} samples, spread evenly over them (sampled)"
    r = LayerResult(TAG, "dense_1", full.samples, full.activations,
                    cosine=(a @ a.T).astype(np.float32), centroid_cosine=full.centroid_cosine,
                    predictions=full.predictions, note=note, cosine_rows=rows)
    panel = _view(qtbot, CosinePanel, r)
    s = r.samples
    d = panel.displayed()
    np.testing.assert_array_equal(d["image"], r.cosine)
    np.testing.assert_array_equal(d["sample_rows"], rows)
    np.testing.assert_array_equal(d["rows"], s.labels[rows])
    assert d["band_labels"] == list(NAMES) and d["note"] == note
    assert panel.note_label.isVisible() and f"15 samples of {N}" in panel.subtitle.text()
    # hovering matrix cell (3, 12) names samples rows[3] = 6 and rows[12] = 24
    qtbot.mouseMove(panel.view.viewport(), _cell_point(panel, 3.5, 12.5))
    qtbot.waitUntil(lambda: panel.tooltip.isVisible())
    text = panel.tooltip.text()
    assert f"#{s.indices[6]}" in text and f"#{s.indices[24]}" in text
    assert f"{r.cosine[3, 12]:.3f}" in text
    requests = Requests(panel.selection_requested)
    qtbot.mouseClick(panel.view.viewport(), LEFT, pos=_cell_point(panel, 3.5, 12.5))
    np.testing.assert_array_equal(requests.only()[0].indices, s.indices[[6, 24]])
    # the class band of the matrix selects every sample of the class, sampled or not
    qtbot.mouseClick(panel.view.viewport(), LEFT,
                     pos=_axis_point(panel, panel.left_axis, 13.5))  # row 13 = sample 26
    np.testing.assert_array_equal(requests.calls[1][0].indices, s.indices[s.labels == 2])
    # the selection marks the matrix rows of the selected samples the matrix has
    panel.set_selection(selection_of_rows(s, [4, 5, 26]))
    marked, cols = _marked_rows(panel)
    np.testing.assert_array_equal(marked, [2, 13])  # samples 4 and 26; 5 is not in it
    np.testing.assert_array_equal(cols, [2, 13])
    # the class means are complete: no note there
    panel.set_mode("centroids")
    assert panel.displayed()["note"] == ""
