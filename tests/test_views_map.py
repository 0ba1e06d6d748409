"""The map view draws exactly the ProjectionResult it is given and selects with real mouse input:
a click, a box or lasso drag, a legend entry; shift adds. It shows the shared selection, and
nothing it is told from code makes it emit."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtWidgets import QApplication
from view_support import (
    LEFT,
    NAMES,
    SHIFT,
    C,
    N,
    Requests,
    big_projection,
    distance_to_edges,
    drag,
    inside_polygon,
    make_projection,
    selection_of_rows,
    settle,
    shown,
    viewport_point,
)

from reprviz_gui.views import MapPanel
from reprviz_gui.views.map_tools import points_in
from reprviz_gui.views.map_view import ERRORS_ON_UP_TO, point_style
from reprviz_gui.widgets.colormaps import class_colors
from reprviz_gui.workspace.state import Selection


def _colors_for(classes):
    return class_colors(C)[np.asarray(classes)][:, :3]


def _map(qtbot, result=None):
    panel = shown(qtbot, MapPanel())
    panel.show_result(result if result is not None else make_projection())
    settle()
    return panel


def _pixels(panel, coords) -> np.ndarray:
    """Viewport pixel (float) of each data point."""
    t = panel.view.viewportTransform()
    out = []
    for x, y in coords:
        p = t.map(panel.viewbox.mapViewToScene(QPointF(float(x), float(y))))
        out.append((p.x(), p.y()))
    return np.array(out)


def _data_of(panel, vp: QPoint) -> tuple[float, float]:
    p = panel.viewbox.mapSceneToView(panel.view.mapToScene(vp))
    return p.x(), p.y()


def _clear_edge(values: np.ndarray, target: float, margin: float = 4.0) -> int:
    """The integer pixel nearest `target` that no point comes within `margin` px of."""
    for d in range(200):
        for c in (round(target) + d, round(target) - d):
            if np.abs(values - c).min() > margin:
                return c
    raise AssertionError("no clear pixel column near the target")


# ---------------------------------------------------------------------------------------------
# Drawing
# ---------------------------------------------------------------------------------------------
def test_map_points_colours_and_misclassified_markers(qtbot):
    panel = shown(qtbot, MapPanel())
    r = make_projection()
    with qtbot.assertNotEmitted(panel.colour_by_changed), \
            qtbot.assertNotEmitted(panel.selection_requested):
        panel.show_result(r)
    d = panel.displayed()
    np.testing.assert_allclose(d["coords"], r.coords, rtol=0, atol=1e-5)
    np.testing.assert_array_equal(d["colors"][:, :3], _colors_for(r.samples.labels))
    np.testing.assert_array_equal(d["sample_indices"], r.samples.indices)
    wrong = np.flatnonzero(r.samples.labels != r.predictions)
    assert len(d["misclassified"]) == len(wrong) == 4
    np.testing.assert_array_equal(d["misclassified"], wrong)
    assert d["misclassified_visible"]  # 30 points: marks on by default
    # black crosses with a white edge: no class colour can be mistaken for them
    assert panel.error_marks.opts["symbol"] == "x"
    assert panel.error_marks.opts["brush"].color().getRgb() == (0, 0, 0, 255)
    assert panel.error_marks.opts["pen"].color().getRgb() == (255, 255, 255, 255)
    assert d["legend"] == list(NAMES)
    assert "PCA" in d["subtitle"] and "explain 41 % of the variance" in d["subtitle"]
    assert "preview" not in d["subtitle"] and not d["preview"]
    assert len(d["selected"]) == 0

    # A real user edit of the combo recolours by prediction and emits once.
    with qtbot.waitSignal(panel.colour_by_changed) as sig:
        panel.colour_combo.setFocus()
        qtbot.keyClick(panel.colour_combo, Qt.Key.Key_Down)
    assert sig.args == ["predicted"]
    d = panel.displayed()
    assert d["colour_by"] == "predicted"
    np.testing.assert_array_equal(d["colors"][:, :3], _colors_for(r.predictions))

    # Hiding the markers is a user toggle of the checkbox.
    qtbot.mouseClick(panel.errors_check, LEFT)
    assert not panel.displayed()["misclassified_visible"]


@pytest.mark.parametrize("n, on", [(300, True), (ERRORS_ON_UP_TO, True), (5_000, False)])
def test_misclassified_marks_default_by_point_count(qtbot, n, on):
    panel = _map(qtbot, big_projection(n))
    r = panel.result()
    d = panel.displayed()
    assert d["misclassified_visible"] is on and panel.errors_check.isChecked() is on
    np.testing.assert_array_equal(d["misclassified"],
                                  np.flatnonzero(r.predictions != r.samples.labels))
    size, alpha = point_style(n)
    assert d["point_size"] == size
    assert set(d["colors"][:, 3]) == {alpha}


def test_the_users_choice_of_marks_outlives_the_point_count(qtbot):
    panel = _map(qtbot, big_projection(5_000))
    assert not panel.errors_check.isChecked()
    qtbot.mouseClick(panel.errors_check, LEFT)  # the user wants them on
    panel.show_result(big_projection(5_000, seed=1))
    assert panel.displayed()["misclassified_visible"]


def test_point_style_shrinks_and_fades_with_more_points():
    sizes, alphas = zip(*(point_style(n) for n in (100, 2_000, 5_000, 20_000, 100_000)))
    assert list(sizes) == sorted(sizes, reverse=True) and sizes[0] > sizes[-1]
    assert list(alphas) == sorted(alphas, reverse=True) and alphas[0] > alphas[-1]


def test_map_set_from_code_emits_nothing_and_falls_back_without_predictions(qtbot):
    panel = _map(qtbot)
    quiet = (panel.colour_by_changed, panel.colour_combo.currentIndexChanged,
             panel.selection_requested, panel.errors_check.toggled)
    with qtbot.assertNotEmitted(quiet[0]), qtbot.assertNotEmitted(quiet[1]), \
            qtbot.assertNotEmitted(quiet[2]), qtbot.assertNotEmitted(quiet[3]):
        panel.set_colour_by("predicted")
        panel.set_show_errors(False)
        panel.set_tool("lasso")
        panel.set_selection(selection_of_rows(panel.result().samples, [1, 2]))
        panel.reset_view()
    assert panel.colour_combo.currentIndex() == 1
    assert not panel.errors_check.isChecked() and not panel.displayed()["misclassified_visible"]
    assert panel.viewbox.mode == "lasso" and panel.tool_buttons["lasso"].isChecked()
    r = make_projection(predictions=False, method="tsne", preview=True)
    with qtbot.assertNotEmitted(quiet[0]), qtbot.assertNotEmitted(quiet[1]), \
            qtbot.assertNotEmitted(quiet[2]):
        panel.show_result(r)
    d = panel.displayed()
    assert d["colour_by"] == "true" and panel.colour_combo.currentIndex() == 0
    assert len(d["misclassified"]) == 0
    assert "t-SNE" in d["subtitle"] and "preview" in d["subtitle"] and d["preview"]
    assert not panel.colour_combo.model().item(1).isEnabled()


def test_map_hover_shows_thumbnail_with_true_and_predicted_label(qtbot):
    panel = _map(qtbot)
    r = panel.result()
    row = 12  # a "dog" predicted as "cat"
    qtbot.mouseMove(panel.view.viewport(), viewport_point(panel.view, panel.scene_pos_of(row)))
    qtbot.waitUntil(lambda: panel.tooltip.isVisible())
    text = panel.tooltip.text()
    assert f"#{r.samples.indices[row]}" in text
    assert "true: dog" in text and "predicted: cat \u2717" in text
    assert panel.tooltip.image_count() == 1
    assert not panel.tooltip.isWindow()
    # Hover is hidden when leaving the plot.
    QApplication.sendEvent(panel.view.viewport(), QEvent(QEvent.Type.Leave))
    assert not panel.tooltip.isVisible()


def test_map_word_table_labels_points(qtbot):
    panel = _map(qtbot, make_projection(words=True, method="umap"))
    r = panel.result()
    assert panel.displayed()["words"] == list(r.samples.words)
    positions = np.array([[t.pos().x(), t.pos().y()] for t in panel._word_items])
    np.testing.assert_allclose(positions, r.coords, atol=1e-5)


def test_map_clear_forgets_everything(qtbot):
    panel = _map(qtbot)
    panel.set_highlight(np.array([0, 4, 7]))
    assert len(panel.selected) == 3
    panel.clear()
    assert panel.is_empty() and panel.displayed() == {}
    assert len(panel.scatter) == 0 and panel.legend.count() == 0
    assert len(panel.selected) == 0 and len(panel.error_marks) == 0


def test_map_draws_ten_thousand_points_and_finds_each(qtbot):
    panel = _map(qtbot, big_projection(10_000))
    d = panel.displayed()
    np.testing.assert_allclose(d["coords"], panel.result().coords, atol=1e-5)
    assert d["point_size"] == point_style(10_000)[0]
    for k in (0, 1, 4_999, 9_999):
        assert panel.point_at(panel.scene_pos_of(k)) == k


# ---------------------------------------------------------------------------------------------
# Selecting with the mouse
# ---------------------------------------------------------------------------------------------
def test_map_click_selects_the_point_and_shift_adds(qtbot):
    panel = _map(qtbot)
    s = panel.result().samples
    requests = Requests(panel.selection_requested)
    qtbot.mouseClick(panel.view.viewport(), LEFT,
                     pos=viewport_point(panel.view, panel.scene_pos_of(21)))
    sel, additive = requests.only()
    assert (sel.split, list(sel.indices), additive) == ("test", [s.indices[21]], False)
    qtbot.mouseClick(panel.view.viewport(), LEFT, SHIFT,
                     viewport_point(panel.view, panel.scene_pos_of(3)))
    sel, additive = requests.calls[1]
    assert list(sel.indices) == [s.indices[3]] and additive
    assert len(requests.calls) == 2


def test_box_drag_selects_exactly_the_points_inside_and_emits_once(qtbot):
    panel = _map(qtbot)
    r = panel.result()
    px = _pixels(panel, r.coords)
    # a box over the right part of the "cat" cluster and the left part of the "dog" cluster,
    # its edges in pixel columns/rows that no point is near
    (tx0, ty0), (tx1, ty1) = _pixels(panel, [(-0.5, 2.5), (9.5, -2.5)])
    x0, x1 = _clear_edge(px[:, 0], tx0), _clear_edge(px[:, 0], tx1)
    y0, y1 = _clear_edge(px[:, 1], ty0), _clear_edge(px[:, 1], ty1)
    (dx0, dy0), (dx1, dy1) = _data_of(panel, QPoint(x0, y0)), _data_of(panel, QPoint(x1, y1))
    c = r.coords.astype(float)
    expected = np.flatnonzero((c[:, 0] > min(dx0, dx1)) & (c[:, 0] < max(dx0, dx1))
                              & (c[:, 1] > min(dy0, dy1)) & (c[:, 1] < max(dy0, dy1)))
    assert 3 <= len(expected) <= N - 3  # a box that tells inside from outside
    assert set(r.samples.labels[expected]) == {0, 1}

    qtbot.mouseClick(panel.tool_buttons["box"], LEFT)
    assert panel.viewbox.mode == "box"
    requests = Requests(panel.selection_requested)
    range_before = panel.viewbox.viewRange()
    drag(panel.view, [QPoint(x0, y0), QPoint((x0 + x1) // 2, (y0 + y1) // 2), QPoint(x1, y1)])
    sel, additive = requests.only()
    assert sel.split == "test" and not additive
    np.testing.assert_array_equal(sel.indices, r.samples.indices[expected])
    assert panel.viewbox.viewRange() == range_before  # a box tool drag does not pan
    assert not panel.viewbox._outline.isVisible()

    # shift adds; the same box from the opposite corner selects the same points
    drag(panel.view, [QPoint(x1, y1), QPoint((x0 + x1) // 2, y1), QPoint(x0, y0)], SHIFT)
    sel, additive = requests.calls[1]
    assert additive and len(requests.calls) == 2
    np.testing.assert_array_equal(sel.indices, r.samples.indices[expected])


def _star(centre: np.ndarray, radius: float, turn: float) -> np.ndarray:
    """A concave five-pointed star, edges split into three steps (integer pixels)."""
    k = np.arange(10)
    rad = np.where(k % 2 == 0, radius, radius * 0.45)
    ang = turn + k * np.pi / 5
    tips = centre + np.stack([rad * np.cos(ang), rad * np.sin(ang)], axis=1)
    steps = [a + (b - a) * t for a, b in zip(tips, np.roll(tips, -1, axis=0))
             for t in (0.0, 1 / 3, 2 / 3)]
    return np.round(np.array(steps[:-2])).astype(int)  # the last edge closes by itself


def test_lasso_selects_exactly_the_points_inside_and_emits_once(qtbot):
    panel = _map(qtbot)
    r = panel.result()
    px = _pixels(panel, r.coords)
    centre = _pixels(panel, [(5.0, 3.0)])[0]
    # find a star whose outline passes no point closely, that holds some points, and whose
    # bounding box holds points the star does not (so a box could not pass this test)
    for radius in range(60, 200, 4):
        for turn in np.linspace(0, 2 * np.pi / 5, 6, endpoint=False):
            verts = _star(centre, radius, turn)
            inside = inside_polygon(verts.astype(float), px)
            lo, hi = verts.min(axis=0), verts.max(axis=0)
            in_box = np.all((px > lo) & (px < hi), axis=1)
            if distance_to_edges(verts.astype(float), px).min() > 3 and \
                    4 <= inside.sum() <= N - 4 and (in_box & ~inside).any():
                break
        else:
            continue
        break
    else:
        raise AssertionError("no usable lasso for this map")
    poly = np.array([_data_of(panel, QPoint(int(x), int(y))) for x, y in verts])
    expected = np.flatnonzero(inside_polygon(poly, r.coords.astype(float)))
    np.testing.assert_array_equal(expected, np.flatnonzero(inside))  # pixels and data agree

    qtbot.mouseClick(panel.tool_buttons["lasso"], LEFT)
    assert panel.viewbox.mode == "lasso" and panel.tool_buttons["lasso"].isChecked()
    requests = Requests(panel.selection_requested)
    drag(panel.view, [QPoint(int(x), int(y)) for x, y in verts])
    sel, additive = requests.only()
    assert not additive and sel.split == "test"
    np.testing.assert_array_equal(sel.indices, r.samples.indices[expected])
    drag(panel.view, [QPoint(int(x), int(y)) for x, y in verts], SHIFT)
    assert requests.calls[1][1] is True
    np.testing.assert_array_equal(requests.calls[1][0].indices, r.samples.indices[expected])


def test_a_pan_drag_pans_and_selects_nothing(qtbot):
    panel = _map(qtbot)
    requests = Requests(panel.selection_requested)
    before = panel.viewbox.viewRange()
    drag(panel.view, [QPoint(150, 150), QPoint(190, 170), QPoint(230, 190)])
    assert requests.calls == []
    assert panel.viewbox.viewRange() != before


def test_legend_click_selects_a_class_true_then_predicted(qtbot):
    panel = _map(qtbot)
    r = panel.result()
    s = r.samples
    requests = Requests(panel.selection_requested)

    def click_legend(k, modifier=Qt.KeyboardModifier.NoModifier):
        rect = panel.legend.visualItemRect(panel.legend.item(k))
        qtbot.mouseClick(panel.legend.viewport(), LEFT, modifier, rect.center())

    click_legend(1)
    sel, additive = requests.only()
    np.testing.assert_array_equal(sel.indices, s.indices[np.flatnonzero(s.labels == 1)])
    assert not additive and "dog" in sel.source

    panel.colour_combo.setFocus()
    qtbot.keyClick(panel.colour_combo, Qt.Key.Key_Down)  # the user colours by prediction
    assert panel.colour_by() == "predicted"
    click_legend(2)
    sel, additive = requests.calls[1]
    rows = np.flatnonzero(r.predictions == 2)
    assert list(rows) == [1, 13] + [20, 21, 22, 23, 24, 26, 27, 28, 29]
    np.testing.assert_array_equal(sel.indices, s.indices[rows])
    assert not additive and "predicted" in sel.source
    click_legend(0, SHIFT)
    sel, additive = requests.calls[2]
    np.testing.assert_array_equal(sel.indices, s.indices[np.flatnonzero(r.predictions == 0)])
    assert additive and len(requests.calls) == 3


# ---------------------------------------------------------------------------------------------
# Showing the shared selection
# ---------------------------------------------------------------------------------------------
def test_set_selection_marks_exactly_those_rows(qtbot):
    panel = _map(qtbot)
    s = panel.result().samples
    rows = np.array([0, 4, 7, 25])
    base_alpha = point_style(N)[1]
    with qtbot.assertNotEmitted(panel.selection_requested):
        panel.set_selection(selection_of_rows(s, rows))
    d = panel.displayed()
    np.testing.assert_array_equal(d["selected"], rows)
    # the rest fades; the selection is drawn on top, solid, with the class colours
    rest = np.setdiff1d(np.arange(N), rows)
    assert set(d["colors"][rest, 3]) == {max(35, base_alpha // 4)}
    sel_colors = panel.selected.colors()
    order = panel.selected.rows()
    np.testing.assert_array_equal(sel_colors[:, :3], _colors_for(s.labels[order]))
    assert set(sel_colors[:, 3]) == {255}

    # dataset indices the sample set lacks are ignored; only the present ones are marked
    mixed = Selection.of("test", np.concatenate([s.indices[[2, 9]], [101, 102, 99_999]]))
    panel.set_selection(mixed)
    np.testing.assert_array_equal(panel.displayed()["selected"], [2, 9])
    # none present, or another split: nothing marked, and nothing faded
    for sel in (Selection.of("test", [101, 102, 5_000]), Selection.of("train", s.indices[:5]),
                Selection()):
        panel.set_selection(sel)
        d = panel.displayed()
        assert len(d["selected"]) == 0
        assert set(d["colors"][:, 3]) == {base_alpha}


def test_faded_colours_follow_a_recolouring_between_selections(qtbot):
    """A new selection over a faded map keeps the scatter's colours (a 1,000,000-point map
    paid 40 ms for them at each box); a recolouring while selected must still show."""
    panel = _map(qtbot)
    r = panel.result()
    s = r.samples
    base_alpha = point_style(N)[1]
    faded = max(35, base_alpha // 4)
    panel.set_selection(selection_of_rows(s, [0, 4]))
    panel.set_colour_by("predicted")
    panel.set_selection(selection_of_rows(s, [7, 25, 29]))
    d = panel.displayed()
    np.testing.assert_array_equal(d["selected"], [7, 25, 29])
    np.testing.assert_array_equal(d["colors"][:, :3], _colors_for(r.predictions))
    assert set(d["colors"][np.setdiff1d(np.arange(N), [7, 25, 29]), 3]) == {faded}
    panel.set_colour_by("true")
    panel.set_selection(Selection())
    d = panel.displayed()
    np.testing.assert_array_equal(d["colors"][:, :3], _colors_for(s.labels))
    assert set(d["colors"][:, 3]) == {base_alpha}


def test_the_selection_follows_a_new_result_by_dataset_index(qtbot):
    """The selection names samples, not rows: a new result with the rows in another order marks
    the same samples."""
    from reprviz_gui.core.data.samples import SampleSet
    from reprviz_gui.workspace.results import ProjectionResult

    panel = _map(qtbot)
    r = panel.result()
    panel.set_selection(selection_of_rows(r.samples, [3, 15]))
    perm = np.concatenate([np.arange(k * 10, k * 10 + 10)[::-1] for k in range(C)])
    s2 = SampleSet(r.samples.indices[perm], r.samples.labels[perm], r.samples.class_names)
    panel.show_result(ProjectionResult(r.tag, "dense_1", "pca", r.coords[perm], s2))
    np.testing.assert_array_equal(panel.displayed()["selected"],
                                  np.sort(np.flatnonzero(np.isin(perm, [3, 15]))))


def test_points_in_agrees_with_ray_casting():
    rng = np.random.default_rng(5)
    pts = rng.uniform(-1, 1, (2_000, 2))
    for _ in range(5):
        ang = np.sort(rng.uniform(0, 2 * np.pi, 9))
        rad = rng.uniform(0.2, 1.0, 9)
        poly = np.stack([rad * np.cos(ang), rad * np.sin(ang)], axis=1)
        keep = distance_to_edges(poly, pts) > 1e-6
        got = np.isin(np.arange(len(pts)), points_in(poly, pts))
        np.testing.assert_array_equal(got[keep], inside_polygon(poly, pts)[keep])
    assert len(points_in(np.array([[0, 0], [1, 1], [2, 2]]), pts)) == 0  # a line holds nothing
    assert len(points_in(np.zeros((2, 2)), pts)) == 0
