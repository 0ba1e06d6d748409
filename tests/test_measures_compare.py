"""Issue "Depth, trust and difference", the parts that follow the map and two compared models:
*Colour by → neighbours kept* and *→ neighbourhood change* on the map (computed only while
chosen), the samples that moved most listed in the gallery in their order, CKA between A's and
B's layers with the clicked cell's two maps, the depth view's lines of both models — and the
issue's check "Dense vs LeNet compared: the CKA matrix between their layers, the agreement table
and the neighbourhood-change colouring all work; clicking a cell of each selects in every
view". Numbers are compared with ``core.measures`` computed another way (here, on the test
thread from the window's own models)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from reprviz_gui.core import measures
from reprviz_gui.views.map_measures import CHANGE, KEPT
from reprviz_gui.widgets.colormaps import sequential_cmap
from reprviz_gui.workspace import handles
from reprviz_gui.workspace.state import Selection

from gui_support import session, wait_idle
from test_course_views2_window import show_dock

LEFT = Qt.MouseButton.LeftButton


def choose(qtbot, combo, data) -> None:
    """Pick an entry of a closed combo box with the arrow keys, as a user can."""
    combo.setFocus()
    for key in (Qt.Key.Key_Home,) + (Qt.Key.Key_Down,) * combo.count():
        if combo.currentData() == data:
            return
        qtbot.keyClick(combo, key)
    assert combo.currentData() == data


def click_cell(qtbot, table, row: int, col: int) -> None:
    rect = table.visualRect(table.model().index(row, col))
    qtbot.mouseClick(table.viewport(), LEFT, pos=rect.center())


def test_selection_ranked_keeps_its_order_and_the_gallery_lists_it_so(qtbot):
    from view_support import make_dataset, shown

    from reprviz_gui.views.gallery import GalleryView

    sel = Selection.ranked("test", [5, 2, 7, 2], "moved most")
    assert sel.indices.tolist() == [2, 5, 7] and sel.order == (5, 2, 7)
    view = shown(qtbot, GalleryView())
    view.set_dataset(make_dataset())
    view.set_selection(sel)
    assert view.displayed()["indices"] == [5, 2, 7]
    view.set_selection(Selection.of("test", [5, 2, 7]))
    assert view.displayed()["indices"] == [2, 5, 7]


def test_map_colour_by_neighbours_kept_on_demand_and_its_bands_select(qtbot, window):
    win, c = window, window.controller
    view = win.view("map")
    wait_idle(qtbot, win)
    assert ("map_quality", "A") not in c.scheduler.wanted  # nobody asked: not computed
    choose(qtbot, view.colour_combo, KEPT)
    assert ("map_quality", "A") in c.scheduler.wanted
    qtbot.waitUntil(lambda: view.measure_values() is not None, timeout=60_000)
    layer, proj = win.view("heatmap").result(), view.result()
    ref = measures.map_quality_of(layer.activations, proj.coords, {"method": "pca"}).kept
    np.testing.assert_allclose(view.measure_values(), ref)
    shown = view.displayed()
    want = sequential_cmap().map(ref, mode="byte")[:, :3]
    np.testing.assert_array_equal(shown["colors"][:, :3], want)
    got = view.report_numbers()["map_quality.neighbours_kept_mean"]
    assert abs(got.value - ref.mean()) <= got.tol + 1e-9  # as shown, rounded
    # the lowest band with points: one click selects exactly those points everywhere
    band = int(np.min(np.minimum((ref * 5).astype(int), 4)))
    item = view.legend.item(band)
    qtbot.mouseClick(view.legend.viewport(), LEFT,
                     pos=view.legend.visualItemRect(item).center())
    rows = np.flatnonzero(np.minimum((ref * 5).astype(int), 4) == band)
    qtbot.waitUntil(lambda: c.workspace.selection.indices.tolist()
                    == sorted(c.samples.indices[rows].tolist()), timeout=10_000)
    assert sorted(win.view("gallery").displayed()["indices"]) == \
        sorted(c.samples.indices[rows].tolist())
    choose(qtbot, view.colour_combo, view.TRUE)
    assert ("map_quality", "A") not in c.scheduler.wanted


@pytest.mark.slow
def test_dense_vs_lenet_compared_cka_agreement_and_neighbourhood_change(qtbot, window):
    """The issue's Done-when, on digits (2 epochs each, 200 samples)."""
    win, c = window, window.controller
    c.train("A")
    qtbot.waitUntil(lambda: session(win).trained_epochs == 2, timeout=120_000)
    assert not win.commands["moved_most"].isEnabled()  # Selection → ...: when comparing
    c.add_comparison("lenet")
    qtbot.waitUntil(lambda: "B" in c.workspace.sessions and session(win, "B").has_model
                    and not session(win, "B").building, timeout=120_000)
    c.train("B")
    qtbot.waitUntil(lambda: session(win, "B").trained_epochs == 2, timeout=120_000)

    # the agreement table: a click selects those test samples in every view
    agree = show_dock(qtbot, win, "agreement")
    qtbot.waitUntil(lambda: not agree.is_empty() and agree.moved_button.isEnabled(),
                    timeout=120_000)
    wait_idle(qtbot, win)
    ev_a, ev_b = (win.view("confusion", s).result() for s in ("A", "B"))
    cells = measures.agreement(ev_a.labels, ev_a.predictions, ev_b.predictions).cells
    assert agree.displayed() == {k: len(v) for k, v in cells.items()}
    click_cell(qtbot, agree.table, 0, 1)  # only A right
    qtbot.waitUntil(lambda: c.workspace.selection.indices.tolist()
                    == cells["only A right"].tolist(), timeout=10_000)
    assert win.view("gallery").displayed()["indices"] == cells["only A right"].tolist()
    for sid in ("A", "B"):  # both maps mark them (those of the sample set)
        m = win.view("map", sid)
        samples = m.result().samples
        want = np.flatnonzero(np.isin(samples.indices, cells["only A right"]))
        if samples.split == "test":
            assert m.displayed()["selected"].tolist() == want.tolist()

    # neighbourhood change between A's layer and B's: the same numbers as core's
    la, lb = win.view("heatmap", "A").result(), win.view("heatmap", "B").result()
    ref = measures.neighbourhood_change_of(la.activations, lb.activations, la.layer_name,
                                           lb.layer_name)
    assert f"mean Jaccard {ref.mean:.3f}" in agree.change_text.text()
    qtbot.mouseClick(agree.moved_button, LEFT)
    moved = la.samples.indices[ref.moved_most()].tolist()
    qtbot.waitUntil(lambda: list(c.workspace.selection.order) == moved, timeout=10_000)
    assert win.view("gallery").displayed()["indices"] == moved  # most moved first
    # Selection → Samples that moved most does the same from the menu
    click_cell(qtbot, agree.table, 0, 1)
    qtbot.waitUntil(lambda: c.workspace.selection.order == (), timeout=10_000)
    assert win.commands["moved_most"].isEnabled()
    win.commands["moved_most"].trigger()
    qtbot.waitUntil(lambda: list(c.workspace.selection.order) == moved, timeout=10_000)
    map_a = win.view("map", "A")
    choose(qtbot, map_a.colour_combo, CHANGE)
    qtbot.waitUntil(lambda: map_a.measure_values() is not None, timeout=60_000)
    np.testing.assert_allclose(map_a.measure_values(), ref.jaccard)
    assert "mean Jaccard" in map_a.displayed()["subtitle"]

    # CKA between A's and B's layers; a click shows both layers everywhere, and their maps
    cka = show_dock(qtbot, win, "cka")
    qtbot.waitUntil(lambda: cka.displayed().get("show") == "A×B", timeout=120_000)
    wait_idle(qtbot, win)
    acts = [measures.depth_activations(handles.resolve(session(win, s).handle), c.dataset,
                                       c.samples, seed=0) for s in ("A", "B")]
    between = measures.cka_of(acts[0], acts[1])
    shown = cka.displayed()
    assert shown["rows"] == [f"A · {n}" for n in between.rows]
    assert shown["cols"] == [f"B · {n}" for n in between.cols]
    np.testing.assert_allclose(shown["matrix"], np.round(between.matrix, 2), atol=0.0051)
    i, j = between.rows.index("hidden_1"), len(between.cols) - 2
    click_cell(qtbot, cka.table, i, j)
    qtbot.waitUntil(lambda: session(win, "A").layer == "hidden_1"
                    and session(win, "B").layer == between.cols[j], timeout=10_000)
    assert cka.displayed()["pair"] == ["A: hidden_1 (PCA)", f"B: {between.cols[j]} (PCA)"]
    assert f"CKA {between.matrix[i, j]:.3f}" in cka.displayed()["picked"]
    choose(qtbot, cka.show_combo, "A×A")
    assert cka.displayed()["rows"] == list(acts[0].names)

    # the depth view: both models' lines in one plot; a click on B's row picks B's layer
    depth = show_dock(qtbot, win, "depth")
    qtbot.waitUntil(lambda: any(n.startswith("B · ") for n in depth.displayed()),
                    timeout=120_000)
    names = list(depth.displayed())
    assert names[:len(acts[0].names)] == list(acts[0].names)
    assert names[len(acts[0].names):] == [f"B · {n}" for n in acts[1].names]
    assert len(depth.knn_line_b.getData()[0]) == len(acts[1].names)
    target = acts[1].names[1]
    click_cell(qtbot, depth.table, len(acts[0].names) + 1, 0)
    qtbot.waitUntil(lambda: session(win, "B").layer == target, timeout=10_000)


def test_views_of_both_models_forget_a_removed_model(qtbot):
    """Depth draws B's rows beside A's; when B is closed (the host's set_sessions) they go."""
    from reprviz_gui.core.analysis.depth import LayerMetrics
    from reprviz_gui.views.depth import DepthPanel
    from reprviz_gui.workspace.products_measures import LayerMetricsResult
    from reprviz_gui.workspace.state import ResultTag

    def result(sid, names):
        rows = tuple(LayerMetrics(n, 4, 0.5 + i / 10, 0.6, 0, 0.0, 2.0)
                     for i, n in enumerate(names))
        return LayerMetricsResult(ResultTag(1, "k", sid, 1), rows, 30)

    view = DepthPanel()
    qtbot.addWidget(view)
    view.show_product("layer_metrics", "A", result("A", ["input", "dense"]))
    view.show_product("layer_metrics", "B", result("B", ["input", "conv", "out"]))
    assert list(view.displayed()) == ["input", "dense", "B · input", "B · conv", "B · out"]
    np.testing.assert_allclose(view.knn_line_b.getData()[0], [0, 0.5, 1])  # relative depth
    asked = []
    view.session_layer_requested.connect(lambda sid, name: asked.append((sid, name)))
    click_cell(qtbot, view.table, 3, 0)
    assert asked == [("B", "conv")]
    view.set_sessions(("A",))
    assert list(view.displayed()) == ["input", "dense"]
    assert not view.knn_line_b.isVisible()
