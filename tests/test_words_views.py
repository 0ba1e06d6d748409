"""The words view and the map's word-table parts, in the window on the bundled capitals and on
hand-made results: neighbours, offsets and arrows are checked against numpy on the table read
with the csv module; words are chosen by typing, by clicking the map and by clicking a table."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from gui_support import click, session, wait_idle
from PySide6.QtCore import Qt
from test_words_neighbours import read_capitals_csv, reference_neighbours
from view_support import LEFT, make_dataset, make_projection, settle, shown, viewport_point

from reprviz_gui.core.analysis.analogies import table_offsets
from reprviz_gui.core.analysis.words import word_table
from reprviz_gui.core.data.sources import load_dataset
from reprviz_gui.views import MapPanel
from reprviz_gui.views.map_overlays import GAP_PX
from reprviz_gui.views.map_view import NO_COLOUR
from reprviz_gui.widgets.colormaps import class_colors


def numpy_offsets(resources):
    """Mean pairwise cosine of the capital → country offsets, written out in numpy."""
    words, kinds, countries, vectors = read_capitals_csv(resources)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    caps = [i for i, k in enumerate(kinds) if k == "capital"]
    pairs = [(i, words.index(countries[i])) for i in caps]
    off = np.array([unit[c] - unit[a] for a, c in pairs])
    off /= np.linalg.norm(off, axis=1, keepdims=True)
    cos = [float(off[a] @ off[b]) for a, b in itertools.permutations(range(len(pairs)), 2)]
    return pairs, float(np.mean(cos))


def _neighbours_of(view) -> list[str]:
    return [w for w, _ in view.displayed()["neighbours"]]


@pytest.fixture
def capitals(open_window, qtbot):
    win = open_window(source="capitals", preset="none")
    qtbot.waitUntil(lambda: not win.view("words").is_empty(), timeout=30_000)
    return win


def test_capitals_neighbours_offsets_and_arrows(qtbot, capitals, resources):
    win, c = capitals, capitals.controller
    words, _, _, vectors = read_capitals_csv(resources)
    view = win.view("words")

    # a word table opens as the practical draws it: the words view in front, an MDS map
    assert win.docks["words"].toggleViewAction().isChecked() and view.isVisible()
    assert c.workspace.method == "mds" and win.sidebar.method_combo.currentData() == "mds"
    assert not session(win).has_model

    # the offsets: the count and the mean offset cosine, as table_offsets and numpy say
    ref = table_offsets(word_table(load_dataset("capitals")))
    pairs, mean_cos = numpy_offsets(resources)
    d = view.displayed()
    assert d["groups"] == len(ref.verdicts) == 24
    assert f"<b>{ref.n_groups_correct} of 24</b> capitals" in d["summary"]
    assert f"<b>{mean_cos:.3f}</b>" in d["summary"]
    assert ref.mean_offset_cosine == pytest.approx(mean_cos, abs=1e-6)
    assert f"{ref.n_trials_correct:,} of {ref.n_trials:,} right" in d["summary"]
    assert [(cap, cty) for cap, cty, _ in d["pairs"]] == \
        [(words[a], words[b]) for a, b in pairs]
    marks = [v.startswith("✓") for _, _, v in d["pairs"]]
    assert marks == [v.correct for v in ref.verdicts]
    assert "Click a word" in d["neighbours_hint"] and d["query"] is None

    # typing a word: paris's neighbours, france first, the ranking numpy gives
    view.search.setFocus()
    qtbot.keyClicks(view.search, "Paris")
    qtbot.keyClick(view.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.displayed()["query"] == "paris", timeout=10_000)
    want = reference_neighbours(vectors, words, words.index("paris"), 10)
    got = view.displayed()["neighbours"]
    assert got[0][0] == "france"
    assert [w for w, _ in got] == [w for w, _ in want]
    np.testing.assert_allclose([x for _, x in got], [x for _, x in want], atol=1e-5)
    assert c.workspace.selection.indices.tolist() == [words.index("paris")]

    # clicking a word in the map shows its neighbours
    m = win.view("map")
    qtbot.waitUntil(lambda: m.result() is not None and m.result().method == "mds"
                    and not m.result().preview, timeout=60_000)
    r = m.result()
    # issue 19, 1.11: coloured by kind (capital / country), not "Colour by: None"
    assert m.colour_by() == "true" and m.colour_combo.currentText() == "True class"
    assert m.legend.isVisible()
    np.testing.assert_array_equal(m.displayed()["colors"][:, :3],
                                  class_colors(len(r.samples.class_names))[r.samples.labels][:, :3])
    assert len(set(r.samples.labels.tolist())) == 2  # capital, country
    row = list(r.samples.words).index("berlin")
    qtbot.mouseClick(m.view.viewport(), LEFT, pos=viewport_point(m.view, m.scene_pos_of(row)))
    qtbot.waitUntil(lambda: view.displayed()["query"] == "berlin", timeout=10_000)
    want = reference_neighbours(vectors, words, words.index("berlin"), 10)
    assert _neighbours_of(view) == [w for w, _ in want] and want[0][0] == "germany"
    assert m.displayed()["selected"].tolist() == [row]

    # clicking a neighbour in the table makes it the word
    t = view.neighbours_table
    qtbot.mouseClick(t.viewport(), LEFT, pos=t.visualItemRect(t.item(0, 1)).center())
    qtbot.waitUntil(lambda: view.displayed()["query"] == "germany", timeout=10_000)
    want = reference_neighbours(vectors, words, words.index("germany"), 10)
    assert _neighbours_of(view) == [w for w, _ in want]

    # the arrows: off until asked for, then one per pair from capital to country
    assert m.arrows_check.isVisible() and not m.displayed()["arrows_visible"]
    click(qtbot, view.arrows_button)
    d = m.displayed()
    assert m.arrows_check.isChecked() and d["arrows_visible"]
    row_of = {int(i): k for k, i in enumerate(r.samples.indices)}
    want = np.array([[r.coords[row_of[a]], r.coords[row_of[b]]] for a, b in pairs])
    np.testing.assert_allclose(d["arrows"], want, atol=1e-5)


def test_other_data_puts_the_generic_views_back(qtbot, capitals):
    win, c = capitals, capitals.controller
    assert c.workspace.method == "mds"
    c.open_dataset("digits")
    qtbot.waitUntil(lambda: c.dataset is not None and c.dataset.name == "digits",
                    timeout=30_000)
    wait_idle(qtbot, win)
    assert c.workspace.method == "pca" and win.sidebar.method_combo.currentData() == "pca"
    assert not win.docks["words"].toggleViewAction().isChecked()
    assert win.view("words").is_empty()
    m = win.view("map")
    assert m.colour_by() == "true" and not m.arrows_check.isVisible()


def test_several_words_selected_ask_for_one(qtbot, capitals):
    win, c = capitals, capitals.controller
    from reprviz_gui.workspace.state import Selection

    c.select(Selection.of("test", [0, 1, 2]))
    view = win.view("words")
    qtbot.waitUntil(lambda: "3 words are selected" in view.displayed()["neighbours_hint"],
                    timeout=10_000)
    c.select(Selection.of("test", [3]))
    qtbot.waitUntil(lambda: view.displayed()["query"] == "berlin", timeout=10_000)
    view.search.setText("atlantis")
    qtbot.keyClick(view.search, Qt.Key.Key_Return)
    assert "No word “atlantis”" in view.search_note.text() and view.search_note.isVisible()
    assert c.workspace.selection.indices.tolist() == [3]  # unchanged


# --- the map on hand-made results -------------------------------------------------------------
def _word_map(qtbot):
    panel = shown(qtbot, MapPanel())
    ds = load_dataset("capitals")  # set_dataset only looks at .words
    panel.set_dataset(ds)
    r = make_projection(words=True, method="mds", predictions=False)
    panel.show_result(r)
    settle()
    return panel, r


def test_word_map_starts_coloured_by_kind_and_uncoloured_on_demand(qtbot):
    panel, r = _word_map(qtbot)
    assert panel.colour_by() == "true" and panel.colour_combo.currentData() == "true"
    np.testing.assert_array_equal(panel.displayed()["colors"][:, :3],
                                  class_colors(3)[r.samples.labels][:, :3])
    assert panel.legend.isVisible() and not panel.errors_check.isVisible()
    with qtbot.waitSignal(panel.colour_by_changed) as sig:
        panel.colour_combo.setFocus()
        qtbot.keyClick(panel.colour_combo, Qt.Key.Key_End)  # the user: "None"
    assert sig.args == ["none"] and not panel.legend.isVisible()
    assert {tuple(c[:3]) for c in panel.displayed()["colors"]} == {NO_COLOUR}
    panel.set_dataset(make_dataset())  # other data (no words): class colours again
    assert panel.colour_by() == "true"


def test_an_unlabelled_word_table_starts_without_colours(qtbot):
    from dataclasses import replace

    panel = shown(qtbot, MapPanel())
    ds = load_dataset("capitals")
    panel.set_dataset(replace(ds, class_names=["word"]))
    assert panel.colour_by() == "none"


def test_arrows_follow_the_checkbox_and_point_from_source_to_target(qtbot):
    panel, r = _word_map(qtbot)
    pairs = np.array([[r.samples.indices[0], r.samples.indices[12]],
                      [r.samples.indices[5], r.samples.indices[25]],
                      [r.samples.indices[3], 99999]])  # not in the map: left out
    assert not panel.arrows_check.isVisible()
    panel.set_arrows(pairs)
    assert panel.arrows_check.isVisible() and not panel.arrows_check.isChecked()
    assert len(panel.displayed()["arrows"]) == 0
    with qtbot.assertNotEmitted(panel.selection_requested):
        qtbot.mouseClick(panel.arrows_check, LEFT,
                         pos=panel.arrows_check.rect().center())
    d = panel.displayed()
    assert d["arrows_visible"]
    np.testing.assert_allclose(d["arrows"], [[r.coords[0], r.coords[12]],
                                             [r.coords[5], r.coords[25]]], atol=1e-6)
    # each arrow on screen: the shaft stops GAP_PX short of both points, the barbs meet at
    # the tip near the target
    x, y = panel.arrows.curve.getData()
    pts = np.stack([x, y], axis=1).reshape(2, 6, 2)
    pw, ph = panel.viewbox.viewPixelSize()
    for k, (a, b) in enumerate(d["arrows"]):
        tail, tip = pts[k, 0], pts[k, 1]
        assert np.allclose(pts[k, 2], tip) and np.allclose(pts[k, 4], tip)
        gap = np.hypot((tip[0] - b[0]) / pw, (tip[1] - b[1]) / ph)
        assert gap == pytest.approx(GAP_PX, abs=0.01)
        direction = (b - a) / np.array([pw, ph])
        along = (tip - tail) / np.array([pw, ph])
        cross = direction[0] * along[1] - direction[1] * along[0]  # parallel: 0
        assert abs(cross) <= 1e-6 * np.hypot(*direction) * np.hypot(*along)
    panel.set_arrows(None)
    assert not panel.arrows_check.isVisible() and len(panel.displayed()["arrows"]) == 0
