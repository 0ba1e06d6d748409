"""The measures' views in a real window: Layers along depth, Layer similarity (CKA) and Map
quality show the numbers core.measures computes for the same model and samples, and their clicks
pick a layer or select samples in every view."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from reprviz_gui.core import measures
from reprviz_gui.workspace import handles

from gui_support import session, wait_idle, wait_layer
from test_course_views2_window import show_dock

LEFT = Qt.MouseButton.LeftButton


def _click_cell(qtbot, table, row: int, col: int) -> None:
    rect = table.visualRect(table.model().index(row, col))
    qtbot.mouseClick(table.viewport(), LEFT, pos=rect.center())


def _evaluation(labels, predictions):
    from reprviz_gui.workspace.results import EvaluationResult
    from reprviz_gui.workspace.state import ResultTag

    return EvaluationResult(ResultTag(1, ""), np.zeros((3, 3), np.int64), ("a", "b", "c"),
                            {"test": 0.0}, np.zeros(3), (), labels=labels,
                            predictions=predictions)


def test_agreement_cells_select_their_samples(qtbot):
    from reprviz_gui.views.agreement import AgreementPanel

    view = AgreementPanel()
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.show()
    qtbot.waitExposed(view)
    y = np.array([0, 1, 2, 0, 1, 2])
    view.show_product("evaluation", "A", _evaluation(y, np.array([0, 1, 0, 1, 1, 2])))
    assert view.is_empty()  # one model: nothing to compare
    view.show_product("evaluation", "B", _evaluation(y, np.array([0, 0, 2, 1, 1, 0])))
    assert view.displayed() == {"both right": 2, "only A right": 2, "only B right": 1,
                                "both wrong": 1}
    asked = []
    view.selection_requested.connect(lambda sel, add: asked.append((sel, add)))
    _click_cell(qtbot, view.table, 0, 1)  # A right, B wrong
    assert len(asked) == 1
    selection, additive = asked[0]
    assert selection.indices.tolist() == [1, 5] and selection.split == "test" and not additive
    view.product_unavailable("evaluation", "B", "gone")
    assert view.is_empty()


def test_depth_and_cka_views_show_core_numbers_and_pick_layers(qtbot, window):
    win, c = window, window.controller
    depth = show_dock(qtbot, win, "depth")
    qtbot.waitUntil(lambda: not depth.is_empty(), timeout=120_000)
    cka = show_dock(qtbot, win, "cka")
    qtbot.waitUntil(lambda: not cka.is_empty(), timeout=120_000)
    wait_idle(qtbot, win)
    model = handles.resolve(session(win).handle)  # lanes idle: compute the reference here
    acts = measures.depth_activations(model, c.dataset, c.samples, seed=0)
    rows = {r.layer: r for r in measures.layer_metrics_of(acts)}
    shown = depth.displayed()
    assert list(shown) == ["input", "hidden_1:raw", "hidden_1", "hidden_2:raw", "hidden_2",
                           "output:raw", "output"]
    for name, r in rows.items():
        assert shown[name]["probe"] == f"{r.probe_accuracy:.1%}"
        assert shown[name]["kNN"] == f"{r.knn_accuracy:.1%}"
    # a click on a row of the depth table shows that layer everywhere
    _click_cell(qtbot, depth.table, list(shown).index("hidden_1"), 0)
    assert session(win).layer == "hidden_1"
    wait_layer(qtbot, win, "hidden_1")

    ref = measures.cka_of(acts).matrix
    cka = show_dock(qtbot, win, "cka")
    got = cka.displayed()
    assert got["rows"] == list(shown)
    np.testing.assert_allclose(got["matrix"], np.round(ref, 2), atol=0.0051)
    i, j = got["rows"].index("hidden_2:raw"), got["rows"].index("output")
    _click_cell(qtbot, cka.table, i, j)
    assert cka.displayed()["picked"] == f"hidden_2:raw × output: CKA {ref[i, j]:.3f}"
    assert session(win).layer == "hidden_2:raw"

    # "Debiased" (issue 15 §2): a real click asks for the debiased product on demand
    wait_idle(qtbot, win)
    debiased = measures.cka_of(acts, None, True).matrix
    assert np.abs(np.round(debiased, 2) - np.round(ref, 2)).max() > 0.02  # they differ
    qtbot.mouseClick(cka.debiased_check, Qt.MouseButton.LeftButton)
    assert cka.options.debiased and "cka_debiased" in cka.wanted_products()
    qtbot.waitUntil(lambda: "(debiased)" in cka.caption.text(), timeout=120_000)
    np.testing.assert_allclose(cka.displayed()["matrix"], np.round(debiased, 2), atol=0.0051)
    qtbot.mouseClick(cka.debiased_check, Qt.MouseButton.LeftButton)
    assert not cka.options.debiased and cka.wanted_products() == ()
    assert "(debiased)" not in cka.caption.text()
    np.testing.assert_allclose(cka.displayed()["matrix"], np.round(ref, 2), atol=0.0051)


def test_map_quality_view_and_select_worst_points(qtbot, window):
    win, c = window, window.controller
    view = show_dock(qtbot, win, "map_quality")
    qtbot.waitUntil(lambda: not view.is_empty(), timeout=120_000)
    layer = win.view("heatmap").result()
    proj = win.view("map").result()
    q = measures.map_quality_of(layer.activations, proj.coords, {"method": "pca", "seed": 0})
    shown = view.displayed()
    assert shown["trustworthiness"] == pytest.approx(q.trustworthiness)
    assert "method pca" in shown["text"] and "seed 0" in shown["text"]
    qtbot.mouseClick(view.worst_button, LEFT)
    worst = c.samples.indices[q.worst(0.05)]
    qtbot.waitUntil(lambda: set(c.workspace.selection.indices.tolist()) == set(worst.tolist()),
                    timeout=10_000)


def test_similarity_vs_confusion_view(qtbot, window):
    win, c = window, window.controller
    view = show_dock(qtbot, win, "similarity_confusion")
    assert "Train" in view.hint_text()  # an untrained model's confusions say nothing
    c.train("A")
    qtbot.waitUntil(lambda: session(win).trained_epochs == 2 and not view.is_empty(),
                    timeout=120_000)
    layer = win.view("heatmap").result()
    ref = measures.similarity_confusion_of(layer.activations, layer.samples, layer.predictions)
    shown = view.displayed()
    np.testing.assert_allclose(shown["y"], ref.confusion_rate)
    assert f"rho = {ref.rho:+.3f}" in shown["caption"]
