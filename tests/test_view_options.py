"""Each view's own options live in an evented state object (views/options.py) that survives a
round trip through a plain dict; the view base guards the wheel and adopts pyqtgraph's
orphan menus for every view (issue 19, sections 1.12 and 6)."""

from __future__ import annotations

import json

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from reprviz_gui.views.base import Panel
from reprviz_gui.views.map_view import MapPanel
from reprviz_gui.views.regions import RegionsView
from reprviz_gui.views.typical import TypicalView
from reprviz_gui.views.weights import WeightsView


def _view(qtbot, cls):
    view = cls()
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    return view


def _pick_last(qtbot, combo) -> None:
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_End)  # a user's keyboard choice (emits activated)


def _round_trip(qtbot, cls, view):
    state = json.loads(json.dumps(view.options_state()))  # what a session file would hold
    fresh = _view(qtbot, cls)
    fresh.restore_options(state)
    return state, fresh


def test_typical_options_round_trip(qtbot):
    view = _view(qtbot, TypicalView)
    qtbot.mouseClick(view.k_box, Qt.MouseButton.LeftButton)
    view.k_box.selectAll()
    qtbot.keyClicks(view.k_box, "5")
    qtbot.keyClick(view.k_box, Qt.Key.Key_Return)
    _pick_last(qtbot, view.size_box)
    state, fresh = _round_trip(qtbot, TypicalView, view)
    assert state == {"k": 5, "size": view.size_box.itemText(view.size_box.count() - 1)}
    assert fresh.k_box.value() == 5
    assert fresh.size_box.currentText() == view.size_box.currentText() != "Fit"


def test_weights_and_regions_options_round_trip(qtbot):
    weights = _view(qtbot, WeightsView)
    _pick_last(qtbot, weights.order_box)
    _pick_last(qtbot, weights.scale_box)
    state, fresh = _round_trip(qtbot, WeightsView, weights)
    assert state["order"] == "By norm" and state["scale"] == "One scale for all"
    assert (fresh.order_box.currentText(), fresh.scale_box.currentText()) == \
        ("By norm", "One scale for all")

    regions = _view(qtbot, RegionsView)
    qtbot.mouseClick(regions.explain_box, Qt.MouseButton.LeftButton,
                     pos=QPoint(4, regions.explain_box.height() // 2))
    assert not regions.explain_box.isChecked()
    state, fresh = _round_trip(qtbot, RegionsView, regions)
    assert state["explanations"] is False and not fresh.explain_box.isChecked()


def test_map_options_round_trip(qtbot):
    view = _view(qtbot, MapPanel)
    _pick_last(qtbot, view.colour_combo)  # "None", the last entry
    qtbot.mouseClick(view.errors_check, Qt.MouseButton.LeftButton,
                     pos=QPoint(4, view.errors_check.height() // 2))
    state, fresh = _round_trip(qtbot, MapPanel, view)
    assert state == {"colour_by": "none", "show_errors": view.errors_check.isChecked()}
    assert fresh.colour_by() == "none" and fresh.colour_combo.currentText() == "None"
    assert fresh.errors_check.isChecked() == view.errors_check.isChecked()
    # a measure colouring is saved too; Up passes over "Neighbourhood change (A ↔ B)", which is
    # offered only while two models are compared
    assert not view.colour_combo.model().item(view.colour_combo.findData("change")).isEnabled()
    qtbot.keyClick(view.colour_combo, Qt.Key.Key_Up)
    state, fresh = _round_trip(qtbot, MapPanel, view)
    assert state["colour_by"] == "kept" and fresh.colour_by() == "kept"
    assert fresh.wanted_products() == ("map_quality",)  # and asks for its product again
    view.set_sessions(("A", "B"))  # comparing: the change colouring is offered
    assert view.colour_combo.model().item(view.colour_combo.findData("change")).isEnabled()
    qtbot.keyClick(view.colour_combo, Qt.Key.Key_Down)
    assert view.colour_by() == "change"
    view.set_sessions(("A",))  # the comparison closed: back to the true class
    assert view.colour_by() == "true" and view.colour_combo.currentData() == "true"


def test_damaged_options_keep_the_defaults(qtbot):
    view = _view(qtbot, TypicalView)
    before = view.options_state()
    view.restore_options({"k": "many", "size": [1, 2], "unknown": 3})
    view.restore_options(["not", "a", "dict"])
    assert view.options_state() == before and view.k_box.value() == before["k"]
    view.restore_options({"size": "No such size"})
    assert view.options_state()["size"] == view.size_box.currentText() == before["size"]
    map_view = _view(qtbot, MapPanel)
    map_view.restore_options({"colour_by": "rainbow"})
    assert map_view.colour_by() == "true"


def _wheel(widget, delta: int = -120) -> None:
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    glob = QPointF(widget.mapToGlobal(pos.toPoint()))
    ev = QWheelEvent(pos, glob, QPoint(0, 0), QPoint(0, delta), Qt.MouseButton.NoButton,
                     Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, ev)


def test_an_unfocused_spin_box_or_combo_in_a_view_ignores_the_wheel(qtbot):
    view = _view(qtbot, TypicalView)
    k, size = view.k_box.value(), view.size_box.currentIndex()
    view.setFocus()
    for _ in range(3):
        _wheel(view.k_box, 120)
        _wheel(view.size_box, -120)
    assert (view.k_box.value(), view.size_box.currentIndex()) == (k, size)


class _PlotView(Panel):
    """A pyqtgraph view that does nothing about pyqtgraph's parentless menus."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.body_layout.addWidget(self.plot)

    def _draw(self, result) -> None:
        pass


def _top_level_addresses() -> set[int]:
    from reprviz_gui.widgets.top_levels import top_level_addresses

    return top_level_addresses()


def test_the_base_deletes_a_pyqtgraph_views_orphan_menus_with_it(qtbot):
    from PySide6.QtCore import QCoreApplication, QEvent

    before = _top_level_addresses()
    view = _PlotView()
    made = _top_level_addresses() - before
    assert len(made) > 1  # the view and pyqtgraph's menus
    view.deleteLater()
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QApplication.processEvents()
    assert not (_top_level_addresses() - before)


def _doc_example() -> str:
    """The worked example of docs/architecture.md (the first python block after its title)."""
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "architecture.md").read_text()
    after = text[text.index("### Adding a view: one module plus one entry"):]
    return after[after.index("```python\n") + 10:after.index("```\n", after.index("```python"))]


def test_the_architecture_docs_worked_example_is_a_working_pyqtgraph_view(qtbot):
    import sys
    import types

    from view_support import make_layer

    module = types.ModuleType("reprviz_doc_example")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    try:
        exec(compile(_doc_example(), "architecture.md", "exec"), module.__dict__)
        cls = module.ActivationHistogram
        view = _view(qtbot, cls)
        layer = make_layer()
        view.show_result(layer)
        expected, _ = np.histogram(np.asarray(layer.activations, dtype=float).ravel(), bins=40)
        assert view.displayed()["counts"].tolist() == expected.tolist()
        view.bins_box.setValue(10)  # the option redraws
        assert len(view.displayed()["counts"]) == 10 and view.options_state() == {"bins": 10}
        fresh = _view(qtbot, cls)
        fresh.restore_options(view.options_state())
        assert fresh.bins_box.value() == 10
    finally:
        del sys.modules[module.__name__]


def test_history_filter_and_cosine_mode_round_trip(qtbot):
    from test_history_views import _record

    from reprviz_gui.views.cosine import CosinePanel
    from reprviz_gui.views.history import HistoryView
    from reprviz_gui.workspace.products_history import HistoryResult
    from reprviz_gui.workspace.state import ResultTag

    recs = (_record("digits", 0.1, 0.9, 0.3), _record("mnist", 0.02, 0.95, 0.2),
            _record("digits", 0.3, 0.8, 0.5))
    view = _view(qtbot, HistoryView)
    view.show_result(HistoryResult(ResultTag(1, ""), recs, ""))
    view.dataset_combo.setFocus()
    qtbot.keyClick(view.dataset_combo, Qt.Key.Key_End)  # the last dataset: mnist
    state, fresh = _round_trip(qtbot, HistoryView, view)
    assert state == {"dataset": "mnist"}
    # restored before the runs arrive: the filter applies once they do
    fresh.show_result(HistoryResult(ResultTag(1, ""), recs, ""))
    assert fresh.dataset_combo.currentData() == "mnist"
    shown = [fresh.table.item(i, 0).data(Qt.ItemDataRole.UserRole)
             for i in range(fresh.table.rowCount()) if not fresh.table.isRowHidden(i)]
    assert len(shown) == 1

    cosine = _view(qtbot, CosinePanel)
    qtbot.mouseClick(cosine.centroids_button, Qt.MouseButton.LeftButton)
    state, fresh = _round_trip(qtbot, CosinePanel, cosine)
    assert state == {"mode": "centroids"}
    assert fresh.mode() == "centroids" and fresh.centroids_button.isChecked()
