"""Your own input (issue 16 §2): the core probe (expressions, reviews, map placement), the
*Your input* view driven with real mouse events, and ``analyze --input/--query/--review``."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from reprviz_gui.core.analysis import own_input as oi
from reprviz_gui.core.analysis.projection import project
from reprviz_gui.core.data.sources import load_dataset

from gui_support import click, open_main_window, session

LEFT = Qt.MouseButton.LeftButton


# --- core ------------------------------------------------------------------------------------
def test_expression_paris_minus_france_plus_italy_is_rome():
    ds = load_dataset("capitals")
    vec, used = oi.expression_vector("paris - france + italy", ds.words, ds.x_test)
    near = oi.nearest_to_vector(vec, ds.words, ds.x_test, exclude=used)
    assert used == ["paris", "france", "italy"]
    assert near[0][0] == "rome"
    # the vector is the signed sum of the three unit vectors, computed here another way
    table = np.asarray(ds.x_test, dtype=np.float64)
    unit = {w: table[ds.words.index(w)] / np.linalg.norm(table[ds.words.index(w)])
            for w in used}
    np.testing.assert_allclose(vec, unit["paris"] - unit["france"] + unit["italy"], atol=1e-9)


def test_expression_errors_name_the_problem():
    ds = load_dataset("capitals")
    with pytest.raises(Exception, match="atlantis"):
        oi.expression_vector("paris - atlantis", ds.words, ds.x_test)
    with pytest.raises(Exception, match="Cannot read"):
        oi.parse_expression("paris -- + ")


def test_review_tokens_follow_the_training_data():
    ds = load_dataset("imdb-sample")
    maxlen = ds.x_test.shape[1]
    t = oi.tokenise_review("A wonderful film, brilliant acting", ds.vocabulary, maxlen,
                           int(ds.x_test.max()))
    index = {w: k for k, w in ds.vocabulary.items()}
    assert t.words == ("a", "wonderful", "film", "brilliant", "acting")
    assert t.known == tuple(w in index and index[w] > 2 for w in t.words)
    # start token, then each known word's token and <oov> (2) for the others, at the end
    expect = [1] + [index[w] if k else 2 for w, k in zip(t.words, t.known)]
    assert list(t.ids[-len(expect):]) == expect and not t.ids[:-len(expect)].any()
    # the data's own reviews start the same way (whole, before maxlen cuts their start)
    assert all(ds.tokens("test", i)[0] == 1 for i in range(20))


def test_placement_pca_is_the_maps_own_projection_and_neighbour_mean_for_mds():
    rng = np.random.default_rng(0)
    acts = rng.normal(size=(60, 8)).astype(np.float32)
    proj = project(acts, "pca", seed=0)
    # a sample already on the map lands exactly on its own point
    p = oi.place_on_map(acts, proj.coords, "pca", acts[7], seed=0)
    np.testing.assert_allclose(p.position, proj.coords[7], atol=1e-4)
    assert p.rule == "pca-projection"
    # a map with flipped axes (what a different solver could give): still on its own point
    p = oi.place_on_map(acts, -proj.coords, "pca", acts[7], seed=0)
    np.testing.assert_allclose(p.position, -proj.coords[7], atol=1e-4)
    coords = rng.normal(size=(60, 2))
    m = oi.place_on_map(acts, coords, "mds", acts[3])
    unit = acts / np.linalg.norm(acts, axis=1, keepdims=True)
    nearest = np.argsort(-(unit @ unit[3]))[:10]
    np.testing.assert_allclose(m.position, coords[nearest].mean(axis=0))
    assert "mean position of its 10 nearest" in m.how


def test_ink_thickness_is_the_width_of_a_bar_and_garment_wide_on_fashion():
    imgs = np.zeros((5, 28, 28), np.uint8)
    for k, w in enumerate((1, 3, 7, 11)):  # bars of odd widths, one per image
        imgs[k, 2:26, 5:5 + w] = 180 + k
    assert oi.ink_thickness(imgs) == (1 + 3 + 7 + 11) / 4  # the blank image does not count
    assert oi.ink_thickness(np.repeat(imgs[3:4, :, :, None], 3, axis=3)) == 11.0  # colour
    assert np.isnan(oi.ink_thickness(np.zeros((3, 8, 8), np.uint8)))
    # the data: Fashion-MNIST's garments are filled shapes about as wide as a pair of trousers
    # (9.5 px on average here), the 8 x 8 digits thin strokes
    assert 10.0 < oi.ink_thickness(load_dataset("fashion-mnist-sample").x_train) < 10.5
    assert oi.ink_thickness(load_dataset("digits").x_train) < 2.5


# --- the view's flow control -------------------------------------------------------------------
def test_one_input_in_flight_and_the_same_picture_is_not_sent_twice(qtbot):
    from reprviz_gui.views.own_input import OwnInputView
    from reprviz_gui.workspace.products_own_input import OwnInput, OwnInputResult
    from reprviz_gui.workspace.state import ResultTag

    view = OwnInputView()
    qtbot.addWidget(view)
    view.set_dataset(load_dataset("digits"))
    sent = []
    view.own_input_changed.connect(sent.append)
    a = OwnInput("image", image=np.zeros((8, 8), np.uint8))
    b = OwnInput("image", image=np.full((8, 8), 9, np.uint8))

    def answer(own):
        view.show_product("own_input", "A", OwnInputResult(ResultTag(1, ""), own, None, "pca",
                                                           "input", None, None, "no model"))

    view.send(a)
    view.send(b)  # while a is in flight: kept
    view.send(OwnInput("image", image=np.zeros((8, 8), np.uint8)))  # a again (the release)
    assert sent == [a]
    answer(a)  # the picture waiting is the one answered: nothing more goes out, nothing waits
    assert sent == [a] and view._pending is None and not view._in_flight
    view.send(b)
    answer(b)
    assert sent == [a, b] and "no model" in view.info.text()


def test_the_demo_input_is_one_bar_drawn_with_the_default_brush(qtbot):
    from reprviz_gui.views.own_input import OwnInputView

    view = OwnInputView()
    qtbot.addWidget(view)
    view.set_dataset(load_dataset("fashion-mnist-sample"))
    sent = []
    view.own_input_changed.connect(sent.append)
    view.demo_input()
    drawn = view.canvas.array()
    # a 10 px pen from (14, 1.5) to (14, 26.5): columns 9-18, its round caps reaching the edges
    expect = np.zeros((28, 28), np.uint8)
    expect[:, 9:19] = 255
    np.testing.assert_allclose(drawn[1:27], expect[1:27], atol=8)  # antialiasing's traces
    assert drawn[0, 9:19].min() > 100 and drawn[27, 9:19].min() > 100
    # the stroke goes out: the first touch of the pen now, the whole bar once that is back
    assert len(sent) == 1 and (view._pending.image == drawn).all()


# --- the window ------------------------------------------------------------------------------
def _draw_vertical_bar(qtbot, canvas) -> None:
    """One vertical bar as a user draws it: the pen pressed near the top in the middle of the
    canvas, dragged down to near the bottom, released — real mouse events, the default brush."""
    size = canvas.image_size()
    t = canvas._target()

    def at(ix: float, iy: float) -> QPoint:  # the centre of image pixel (ix, iy) on screen
        return QPoint(int(t.x() + (ix + 0.5) * t.width() / size.width()),
                      int(t.y() + (iy + 0.5) * t.height() / size.height()))

    middle = size.width() / 2 - 0.5  # x = 14.0 on a 28-pixel canvas
    qtbot.mousePress(canvas, LEFT, pos=at(middle, 1))
    for row in range(2, size.height() - 1):
        qtbot.mouseMove(canvas, at(middle, row))
    qtbot.mouseRelease(canvas, LEFT, pos=at(middle, size.height() - 2))


@pytest.mark.slow
def test_drawing_one_vertical_bar_is_a_trouser_near_the_trouser_centroid(qtbot, tmp_path):
    from PIL import Image

    legs = np.zeros((56, 56), np.uint8)
    legs[4:54, 18:26] = 230
    legs[4:54, 31:39] = 230
    Image.fromarray(legs).save(tmp_path / "legs.png")
    (tmp_path / "fake.png").write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 1 1\n")
    # the sidebar's default training (5 epochs of 32, seed 0) on the whole training split
    win = open_main_window(qtbot, source="fashion-mnist-sample", preset="dense",
                           model_params={}, epochs=5, batch_size=32, n_samples=300,
                           method="tsne")
    click(qtbot, win.sidebar.train_button)
    qtbot.waitUntil(lambda: session(win).trained_epochs == 5 and not session(win).training,
                    timeout=180_000)
    dock = win.docks["own_input"]
    dock.show()
    dock.raise_()
    qtbot.waitUntil(dock.isVisible, timeout=5000)
    view = win.view("own_input")
    assert view.canvas.isVisible() and view.canvas.image_size().width() == 28
    # the default brush is as thick as the data's ink (Fashion-MNIST: garments, not strokes)
    assert view.width_box.value() == 10.0 and view.canvas.brush_width == 10.0
    _draw_vertical_bar(qtbot, view.canvas)
    drawn = view.canvas.array()
    # 10 px wide (columns 9-18; antialiasing leaves a trace of 1 next to it) top to bottom
    assert drawn.shape == (28, 28) and drawn[:, :9].max() < 8 and drawn[:, 19:].max() < 8
    assert drawn[1:27, 9:19].min() == 255

    def settled(rule: str) -> bool:
        shown = view.displayed()
        return (shown.get("placement") == rule and view._shown.own_input == view._last_sent
                and not view._in_flight and view._pending is None)

    qtbot.waitUntil(lambda: settled("tsne-transform"), timeout=120_000)
    shown = view.displayed()
    names = win.controller.dataset.class_names
    probs = dict(zip(names, np.round(shown["probabilities"], 3).tolist()))
    print("one bar:", probs)  # Trouser 0.87 here (with the old 2.5 px brush: Dress 0.81)
    assert shown["top"] == "Trouser", probs
    assert "openTSNE" in shown["info"]  # the view says how the marker was placed
    coords, labels, marker = shown["coords"], shown["labels"], shown["marker"]
    centroids = np.array([coords[labels == c].mean(axis=0) for c in range(len(names))])
    dist = np.linalg.norm(centroids - marker, axis=1)
    print("marker to centroids:", dict(zip(names, np.round(dist, 1).tolist())))
    assert names[int(np.argmin(dist))] == "Trouser"

    # PCA: the marker is the map's own PCA applied to the drawing's layer values, computed
    # again here from the model
    from sklearn.decomposition import PCA

    from reprviz_gui.core.model.extraction import extract_layer
    from reprviz_gui.workspace import handles

    win.controller.set_method("pca")
    qtbot.waitUntil(lambda: settled("pca-projection"), timeout=60_000)
    shown = view.displayed()
    s = session(win)
    acts = np.asarray(win.view("heatmap").result().activations, np.float32)
    point = extract_layer(handles.resolve(s.handle), win.controller.dataset.inputs(drawn[None]),
                          s.layer)
    np.testing.assert_allclose(shown["coords"], PCA(2, random_state=0).fit_transform(acts),
                               atol=1e-3)
    np.testing.assert_allclose(shown["marker"],
                               PCA(2, random_state=0).fit(acts).transform(point)[0], atol=1e-3)
    # Clear: the canvas is blank
    click(qtbot, view.clear_button)
    assert view.canvas.array().max() == 0

    # an image file dropped on the canvas: read on the model lane at the data's size
    _drop(view.canvas, tmp_path / "legs.png")
    qtbot.waitUntil(lambda: view._shown is not None and view._shown.own_input.kind == "file"
                    and not view._in_flight, timeout=60_000)
    from reprviz_gui.core.analysis.own_input import read_input_image

    np.testing.assert_array_equal(view.canvas.array(),
                                  read_input_image(tmp_path / "legs.png", (28, 28)))
    assert view.displayed()["top"] == "Trouser"
    _drop(view.canvas, tmp_path / "fake.png")  # PostScript named .png: never opened
    qtbot.waitUntil(lambda: view._shown.own_input.text.endswith("fake.png")
                    and not view._in_flight, timeout=60_000)
    assert "not an image reprviz reads" in view.displayed()["error"]
    # a sample picked from the training split
    view.split_box.setCurrentText("train")
    view.index_box.setValue(5)
    click(qtbot, view.pick_button)
    ds = win.controller.dataset
    np.testing.assert_array_equal(view.canvas.array(), ds.x_train[5])
    qtbot.waitUntil(lambda: settled("pca-projection")
                    and (view._shown.own_input.image == ds.x_train[5]).all(), timeout=60_000)


def _drop(widget, path) -> None:
    """A file dragged onto the widget and dropped: the drag-enter event (Qt delivers a drop only
    to a widget that accepted one), then the drop, both carrying the file's URL."""
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    at = QPointF(widget.width() / 2, widget.height() / 2)
    enter = QDragEnterEvent(at.toPoint(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(widget, QDropEvent(at, Qt.DropAction.CopyAction, mime,
                                              Qt.MouseButton.NoButton,
                                              Qt.KeyboardModifier.NoModifier))


def test_typing_an_expression_on_a_word_table(qtbot):
    win = open_main_window(qtbot, source="capitals", preset="none", method="pca")
    dock = win.docks["own_input"]
    dock.show()
    dock.raise_()
    view = win.view("own_input")
    qtbot.waitUntil(lambda: view.text.isVisible(), timeout=5000)
    assert not view.canvas.isVisible()

    def shows(text: str) -> bool:  # the result on screen is this text's (not a prefix typed)
        view.displayed()
        return view._shown is not None and view._shown.own_input.text == text

    qtbot.keyClicks(view.text, "paris - france + italy")
    qtbot.keyClick(view.text, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: shows("paris - france + italy"), timeout=30_000)
    assert view.displayed()["neighbours"][0] == "rome"
    method = win.controller.workspace.method  # a word table picks its own map (MDS)
    assert view.displayed()["placement"] == {"pca": "pca-projection", "tsne": "tsne-transform",
                                             "umap": "umap-transform",
                                             }.get(method, "neighbour-mean")
    assert "<b>rome</b>" in view.info.text()
    qtbot.keyClick(view.text, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(view.text, "paris - atlantis")
    qtbot.keyClick(view.text, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: shows("paris - atlantis"), timeout=30_000)
    assert "atlantis" in view.displayed()["error"] and "atlantis" in view.info.text()


# --- analyze ---------------------------------------------------------------------------------
def test_analyze_query_writes_the_inputs_key(tmp_path):
    from reprviz_gui.cli import main

    out = tmp_path / "out"
    assert main(["analyze", "--data", "capitals", "--model", "none", "--out", str(out),
                 "--no-figures", "--no-history", "--no-measures",
                 "--query", "paris - france + italy", "--query", "berlin"]) == 0
    inputs = json.loads((out / "report.json").read_text())["inputs"]
    assert [q["input"] for q in inputs] == ["paris - france + italy", "berlin"]
    assert inputs[0]["nearest_words"][0]["word"] == "rome"
    assert len(inputs[0]["map_position"]) == 2


def test_analyze_input_image_file(tmp_path):
    from PIL import Image

    from reprviz_gui.cli import main

    img = np.zeros((56, 56), np.uint8)
    img[6:50, 24:32] = 255  # a vertical bar, twice the data's size
    Image.fromarray(img).save(tmp_path / "bar.png")
    (tmp_path / "fake.png").write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n")  # EPS: never opened
    out = tmp_path / "out"
    assert main(["analyze", "--data", "digits", "--model", "dense", "--epochs", "1",
                 "--samples", "100", "--out", str(out), "--no-figures", "--no-history",
                 "--no-measures", "--input", str(tmp_path / "bar.png")]) == 0
    inputs = json.loads((out / "report.json").read_text())["inputs"]
    assert inputs[0]["input"] == "bar.png"
    assert inputs[0]["top_class"] in [str(i) for i in range(10)]
    assert abs(sum(inputs[0]["probabilities"].values()) - 1) < 1e-4
    assert inputs[0]["saliency"]["method"] == "gradient"  # a dense model: no Grad-CAM
    assert main(["analyze", "--data", "digits", "--model", "dense", "--epochs", "1",
                 "--samples", "100", "--out", str(out), "--no-figures", "--no-history",
                 "--no-measures", "--input", str(tmp_path / "fake.png")]) == 2


@pytest.mark.slow
def test_typed_positive_review_is_positive_from_the_trained_bilstm(tmp_path):
    from reprviz_gui.cli import main

    out = tmp_path / "out"
    # 3 epochs of 64 (p(positive) 0.90, seed 0): 46 s here where 4 epochs of 32 took 82 s
    assert main(["analyze", "--data", "imdb-sample", "--model", "bilstm", "--epochs", "3",
                 "--batch-size", "64", "--samples", "100", "--out", str(out), "--no-figures", "--no-history",
                 "--no-measures", "--review", "a wonderful film, brilliant acting"]) == 0
    review = json.loads((out / "report.json").read_text())["inputs"][0]
    assert review["top_class"] == "positive", review
    assert "brilliant" in review["unknown_words"]  # beyond the sample's 500-word index
    assert [t["word"] for t in review["tokens"]][:2] == ["a", "wonderful"]


@pytest.mark.slow  # a BiLSTM trained in the window: ~50 s on 2 shared cores
def test_typing_a_review_shows_its_tokens_and_cores_prediction(qtbot):
    """A review typed with real key clicks into the view, on imdb-sample with a tiny BiLSTM
    (1 epoch): the tokens shown mark the unknown words, and the probabilities shown are
    ``probe_input``'s for the same text and model, computed here again."""
    from reprviz_gui.workspace import handles

    win = open_main_window(qtbot, source="imdb-sample", preset="bilstm", epochs=1,
                           model_params={"embed_dim": 8, "lstm_units": 4}, n_samples=60,
                           method="pca")
    click(qtbot, win.sidebar.train_button)
    qtbot.waitUntil(lambda: session(win).trained_epochs == 1 and not session(win).training,
                    timeout=120_000)
    dock = win.docks["own_input"]
    dock.show()
    dock.raise_()
    view = win.view("own_input")
    qtbot.waitUntil(lambda: view.text.isVisible(), timeout=5000)
    assert not view.canvas.isVisible()
    text = "a wonderful film zzqxv brilliant acting"
    qtbot.keyClicks(view.text, text)
    qtbot.keyClick(view.text, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view._shown is not None and view._shown.probe is not None
                    and view._shown.own_input.text == text and not view._in_flight,
                    timeout=60_000)
    shown = view.displayed()
    ds = win.controller.dataset
    index = {w: k for k, w in ds.vocabulary.items()}
    s = session(win)
    model = handles.resolve(s.handle)
    # what the model's embedding accepts decides "known", as in tokenise_review
    rows = next(int(l.input_dim) for l in model.layers if type(l).__name__ == "Embedding")
    unknown = [w for w in text.split() if not (w in index and 2 < index[w] < rows)]
    assert "zzqxv" in unknown and shown["unknown"] == unknown
    info = view.info.text()
    for w in text.split():  # every word shown; the unknown ones struck out in red
        assert (f"<s>{w}</s>" in info) == (w in unknown), (w, info)
    assert f"{len(unknown)} unknown" in info
    r = view._shown
    probe = oi.probe_input(ds, model, r.layer, win.view("heatmap").result().activations,
                           r.coords, r.method, review=text)
    np.testing.assert_allclose(shown["probabilities"], probe.probabilities, atol=1e-5)
    assert shown["top"] == probe.class_names[probe.top]
    np.testing.assert_allclose(shown["marker"], probe.placement.position, atol=1e-4)
