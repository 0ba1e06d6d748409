"""Your own input on the window's UMAP map (issue 16 §2): the marker is placed by umap's own
``transform`` in the projection process, against the fit that process kept from drawing the map
(``core/analysis/umap_transform.py``), and the view says so."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from gui_support import open_main_window


@pytest.mark.slow
def test_typed_expression_on_a_umap_map_is_placed_by_umaps_transform(qtbot):
    from reprviz_gui.core.analysis.own_input import expression_vector
    from reprviz_gui.core.analysis.projection_process import shared_process

    win = open_main_window(qtbot, source="capitals", preset="none", method="pca")
    win.controller.set_method("umap")  # a word table opens on MDS
    view = win.view("own_input")
    dock = win.docks["own_input"]
    dock.show()
    dock.raise_()
    qtbot.waitUntil(lambda: view.text.isVisible(), timeout=5000)
    expr = "paris - france + italy"
    qtbot.keyClicks(view.text, expr)
    qtbot.keyClick(view.text, Qt.Key.Key_Return)

    def settled() -> bool:
        shown = view.displayed()
        return (shown.get("placement") == "umap-transform" and view._shown is not None
                and view._shown.own_input.text == expr and view._shown.method == "umap"
                and not view._in_flight)

    qtbot.waitUntil(settled, timeout=180_000)
    shown = view.displayed()
    assert "umap's transform against the shown map" in view.info.text()
    assert "kept by the map worker" in view.info.text()  # the map's own fit, not a refit
    assert shown["neighbours"][0] == "rome"
    # the marker is umap's transform of the expression's vector onto the map shown, asked of
    # the same projection process again here
    ds = win.controller.dataset
    acts = np.asarray(win.view("heatmap").result().activations)
    vec, _ = expression_vector(expr, ds.words, np.asarray(ds.x_test, dtype=np.float64))
    again = shared_process().transform(acts, shown["coords"], vec[None, :], 0)
    assert again["fit"] == "map"
    np.testing.assert_allclose(shown["marker"], again["positions"][0], atol=1e-5)
