"""The selection gallery shows exactly the selected samples with each model's prediction; the
view host puts one view per model side by side, routes products and busy badges to the right
one, and re-emits what the user asks for with the model's session id."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PySide6.QtCore import Qt
from view_support import (
    LEFT,
    NAMES,
    Requests,
    make_dataset,
    make_evaluation,
    make_layer,
    make_projection,
    selection_of_rows,
    settle,
    shown,
    viewport_point,
)

from reprviz_gui.views import ConfusionPanel, MapPanel
from reprviz_gui.views.gallery import GalleryView
from reprviz_gui.widgets.selection_bar import selected_classes
from reprviz_gui.views.host import ViewHost
from reprviz_gui.views.registry import view_spec
from reprviz_gui.workspace.state import Selection


def _evaluation(ds, wrong: dict[int, int], split: str = "test"):
    _, y = ds.split(split)
    preds = np.asarray(y).copy()
    for i, p in wrong.items():
        preds[i] = p
    return replace(make_evaluation(predictions=preds, labels=np.asarray(y)), split=split)


def _gallery(qtbot):
    view = shown(qtbot, GalleryView())
    ds = make_dataset()
    view.set_dataset(ds)
    return view, ds


# ---------------------------------------------------------------------------------------------
# Gallery
# ---------------------------------------------------------------------------------------------
def test_gallery_shows_exactly_the_selected_samples_with_predictions(qtbot):
    view, ds = _gallery(qtbot)
    assert view.is_empty()  # nothing selected yet
    view.show_product("evaluation", "A", _evaluation(ds, {4: 2, 7: 0}))
    with qtbot.assertNotEmitted(view.selection_requested):
        view.set_selection(Selection.of("test", [12, 4, 3, 7, 999], "map box"))
    d = view.displayed()
    assert d["indices"] == [3, 4, 7, 12]  # dataset order; 999 is not in the split
    # test sample i has class i % 3: 3 and 12 are cats, 4 and 7 dogs
    assert d["texts"] == ["#3  cat\n\u2192 cat \u2713", "#4  dog\n\u2192 bird \u2717",
                          "#7  dog\n\u2192 cat \u2717", "#12  cat\n\u2192 cat \u2713"]
    header = d["header"]
    assert "4 selected" in header and "map box" in header and "cat 2" in header
    wrong = [view.tiles.item(k).foreground().color().getRgb()[:3] for k in range(4)]
    assert wrong[1] == wrong[2] == (200, 30, 30) and wrong[0] != (200, 30, 30)
    assert all(not view.tiles.item(k).icon().isNull() for k in range(4))  # images as icons


def test_gallery_names_each_model_when_two_are_compared(qtbot):
    view, ds = _gallery(qtbot)
    view.show_product("evaluation", "B", _evaluation(ds, {5: 0}))
    view.show_product("evaluation", "A", _evaluation(ds, {}))
    view.set_selection(Selection.of("test", [5, 6]))
    assert view.displayed()["texts"] == ["#5  bird\nA: bird \u2713\nB: cat \u2717",
                                         "#6  cat\nA: cat \u2713\nB: cat \u2713"]
    view.product_unavailable("evaluation", "B", "Training\u2026")  # B is retraining
    assert view.displayed()["texts"] == ["#5  bird\n\u2192 bird \u2713",
                                         "#6  cat\n\u2192 cat \u2713"]


def test_gallery_ignores_other_splits_and_clears(qtbot):
    view, ds = _gallery(qtbot)
    view.show_product("evaluation", "A", _evaluation(ds, {1: 0}, split="train"))
    view.set_selection(Selection.of("test", [1]))
    assert view.displayed()["texts"] == ["#1  dog"]  # a train evaluation says nothing here
    view.set_selection(Selection())
    assert view.is_empty() and view.displayed() == {}
    view.set_selection(Selection.of("test", [1]))
    view.set_dataset(make_dataset())  # a new dataset forgets the old selection
    assert view.is_empty()


def test_selected_classes_counts_the_selection():
    labels = np.arange(40) % 3
    assert selected_classes(Selection.of("test", [0, 3, 6, 1, 99]), labels, NAMES) == \
        "cat: 3, dog: 1"
    assert selected_classes(Selection(), labels, NAMES) is None


# ---------------------------------------------------------------------------------------------
# ViewHost
# ---------------------------------------------------------------------------------------------
def _host(qtbot, view_id: str, sessions=None) -> ViewHost:
    host = shown(qtbot, ViewHost(view_spec(view_id)), size=(900, 420))
    if sessions is not None:
        host.set_sessions(sessions)
    settle()
    return host


def test_two_sessions_get_two_captioned_views_and_products_go_to_their_own(qtbot):
    host = _host(qtbot, "map")
    assert list(host.views) == ["A"] and host._captions["A"].isHidden()  # one model: no caption
    host.set_sessions({"A": "dense", "B": "lenet"})
    a, b = host.view("A"), host.view("B")
    assert isinstance(a, MapPanel) and isinstance(b, MapPanel) and a is not b
    assert not host._captions["A"].isHidden() and not host._captions["B"].isHidden()
    assert host._captions["A"].text() == "<b>A</b> · dense"
    assert host._captions["B"].text() == "<b>B</b> · lenet"

    r = make_projection()
    host.show_product("map", "B", r)
    assert b.result() is r and a.is_empty() and a.result() is None
    host.set_busy("map", "A", "Computing the map\u2026")
    assert a.busy_text() == "Computing the map\u2026" and not b.is_busy()
    host.set_busy("map", "A", "")
    assert not a.is_busy()
    host.product_unavailable("map", "B", "Training\u2026")
    assert b.is_empty() and b.hint_text() == "Training\u2026"

    host.set_sessions({"A": "dense"})  # the comparison ends
    assert list(host.views) == ["A"] and host.view("A") is a
    assert host._captions["A"].isHidden()


def test_host_passes_the_selection_down_and_the_users_requests_up(qtbot):
    host = _host(qtbot, "map", {"A": "dense", "B": "lenet"})
    r = make_projection()
    host.show_product("map", "A", r)
    host.show_product("map", "B", r)
    settle()
    s = r.samples
    with qtbot.assertNotEmitted(host.selection_requested):
        host.set_selection(selection_of_rows(s, [2, 17]))
    for sid in ("A", "B"):
        np.testing.assert_array_equal(host.view(sid).displayed()["selected"], [2, 17])
    requests = Requests(host.selection_requested)
    b = host.view("B")
    qtbot.mouseClick(b.view.viewport(), LEFT, pos=viewport_point(b.view, b.scene_pos_of(9)))
    sel, additive = requests.only()
    assert list(sel.indices) == [s.indices[9]] and not additive
    # a view added later starts with the current selection
    host.set_sessions({"A": "dense"})
    host.set_sessions({"A": "dense", "B": "lenet"})
    assert host.view("B").selection().n == 2


def test_host_re_emits_cell_picked_with_the_session_id(qtbot):
    host = _host(qtbot, "confusion", {"A": "dense", "B": "lenet"})
    assert isinstance(host.view("B"), ConfusionPanel)
    host.show_product("evaluation", "A", make_evaluation())
    host.show_product("evaluation", "B", make_evaluation())
    settle()
    picks = []
    host.cell_picked.connect(lambda sid, t, p, additive: picks.append((sid, t, p, additive)))
    for sid, (row, col) in (("B", (2, 0)), ("A", (0, 1))):
        host.show_session(sid)  # the confusion matrices of two models: one tab each
        settle()
        table = host.view(sid).table
        rect = table.visualItemRect(table.item(row, col))
        qtbot.mouseClick(table.viewport(), LEFT, Qt.KeyboardModifier.NoModifier, rect.center())
    assert picks == [("B", 2, 0, False), ("A", 0, 1, False)]


def test_a_shared_view_has_one_instance_for_every_session(qtbot):
    host = _host(qtbot, "gallery", {"A": "dense", "B": "lenet"})
    assert list(host.views) == [""] and host.view("B") is host.view("A")
    ds = make_dataset()
    host.set_dataset(ds)
    host.show_product("evaluation", "B", _evaluation(ds, {0: 1}))
    host.set_selection(Selection.of("test", [0]))
    assert host.view().displayed()["texts"] == ["#0  cat\n\u2192 dog \u2717"]


def test_heatmap_host_routes_a_layer_and_busy_per_session(qtbot):
    host = _host(qtbot, "heatmap", {"A": "dense", "B": "lenet"})
    layer = make_layer()
    host.show_product("layer", "A", layer)
    assert host.view("A").result() is layer and host.view("B").is_empty()
    host.set_busy("layer", "B", "Reading the layer\u2026")
    host.set_busy("map", "B", "")  # another product's badge ending leaves this one
    assert host.view("B").busy_text() == "Reading the layer\u2026"
    host.clear_all("Open a dataset")
    assert all(v.is_empty() and v.hint_text() == "Open a dataset" for v in host.views.values())


def test_gallery_tiles_hold_every_models_prediction(qtbot):
    """Issue 19, 1.11: with two models a tile has three caption lines; a fixed 54 px of text
    cut off model B's (at a user's larger font, or any font with 18 px lines)."""
    from PySide6.QtWidgets import QStyleOptionViewItem

    view, ds = _gallery(qtbot)
    ds = replace(ds, class_names=["T-shirt/top", "Pullover", "Shirt"])
    view.set_dataset(ds)
    font = view.tiles.font()
    font.setPointSizeF(font.pointSizeF() * 1.5)
    view.tiles.setFont(font)
    view.show_product("evaluation", "A", _evaluation(ds, {0: 1, 2: 0}))
    view.show_product("evaluation", "B", _evaluation(ds, {1: 2}))
    view.set_selection(Selection.of("test", [0, 1, 2]))
    t = view.tiles
    option = QStyleOptionViewItem()
    t.initViewItemOption(option)
    grid = t.gridSize()
    for k in range(t.count()):
        assert t.item(k).text().count("\n") == 2  # true class, A, B
        need = t.itemDelegate().sizeHint(option, t.model().index(k, 0))
        assert need.height() <= grid.height() and need.width() <= grid.width(), t.item(k).text()


def test_a_review_cut_to_its_line_can_be_read_whole(qtbot):
    """Issue 19, 1.11: IMDB reviews in the Selection view were cut at 160 characters with no
    way to read the rest; a double-click opens the whole review, selectable and scrollable."""
    from reprviz_gui.core.data.samples import decode_tokens
    from reprviz_gui.core.data.sources import load_dataset

    view = shown(qtbot, GalleryView())
    ds = load_dataset("imdb-sample")
    view.set_dataset(ds)
    lengths = [len(decode_tokens(ds.tokens("test", i), ds.vocabulary)) for i in range(20)]
    i = int(np.argmax(lengths))
    assert lengths[i] > 400
    view.set_selection(Selection.of("test", [i]))
    t = view.tiles
    item = t.item(0)
    full = decode_tokens(ds.tokens("test", i), ds.vocabulary)
    assert item.text().endswith("\u2026") and full not in item.text()  # cut in the list
    rect = t.visualItemRect(item)
    # a double-click as Qt receives it: press, release, then the double-click press
    qtbot.mouseClick(t.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(t.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: view.reader is not None and view.reader.isVisible())
    from PySide6.QtWidgets import QPlainTextEdit

    text = view.reader.findChild(QPlainTextEdit, "review_text")
    assert text.toPlainText() == full and text.isReadOnly()
    assert f"#{i}" in view.reader.windowTitle()
    view.reader.close()
