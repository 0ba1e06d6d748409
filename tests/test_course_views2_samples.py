"""Class sample grid: the seeded choice of examples, images drawn pixel-exact (colour in colour)
in rows of ten, real clicks select (shift adds), the shared selection is framed, hovering shows
index, label and predictions, and texts are listed instead of drawn."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage, QPalette

from reprviz_gui.core.data.types import Dataset
from reprviz_gui.views.samples_grid import COLUMNS, DEFAULT_N, SampleGridView, class_examples
from reprviz_gui.workspace.results import EvaluationResult
from reprviz_gui.workspace.state import ResultTag, Selection

NAMES = ["red", "green", "blue"]
LEFT = Qt.MouseButton.LeftButton
SHIFT = Qt.KeyboardModifier.ShiftModifier


def colour_dataset(n_test=240, n_train=90, shape=(6, 5, 3), seed=0) -> Dataset:
    rng = np.random.default_rng(seed)
    return Dataset("colours", "image",
                   rng.integers(0, 256, (n_train,) + shape, dtype=np.uint8),
                   np.arange(n_train) % 3,
                   rng.integers(0, 256, (n_test,) + shape, dtype=np.uint8),
                   np.arange(n_test) % 3, list(NAMES), "test")


def text_dataset() -> Dataset:
    rng = np.random.default_rng(1)
    vocab = {3: "good", 4: "bad", 5: "film"}
    x = rng.integers(3, 6, (30, 6)).astype(np.int32)
    x[:, 0] = 1  # the <start> token
    return Dataset("reviews", "sequence", x[:0], np.zeros(0, np.int64), x, np.arange(30) % 2,
                   ["negative", "positive"], "test", vocabulary=vocab)


def evaluation(ds: Dataset, seed=3) -> EvaluationResult:
    rng = np.random.default_rng(seed)
    y = np.asarray(ds.y_test)
    probs = rng.dirichlet(np.ones(ds.n_classes), size=len(y)).astype(np.float32)
    preds = probs.argmax(1)
    cm = np.zeros((ds.n_classes,) * 2, dtype=np.int64)
    np.add.at(cm, (y, preds), 1)
    return EvaluationResult(ResultTag(1, "", "A", 1), cm, tuple(ds.class_names),
                            {"test": float((preds == y).mean())}, np.zeros(ds.n_classes), (),
                            split="test", labels=y, predictions=preds, probabilities=probs)


@pytest.fixture
def view(qtbot):
    v = SampleGridView()
    qtbot.addWidget(v)
    v.resize(700, 600)
    v.show()
    qtbot.waitExposed(v)
    return v


def grid_image(view):
    """What the grid canvas paints, as an (H, W, 3) uint8 array read back from the screen."""
    img = view.canvas.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    w, h = img.width(), img.height()
    buf = np.frombuffer(img.constBits(), dtype=np.uint8, count=img.bytesPerLine() * h)
    # copy while ``img`` is alive: the buffer is the QImage's own memory
    return buf.reshape(h, img.bytesPerLine())[:, : 3 * w].reshape(h, w, 3).copy()


def cell_pixels(view, pos: int, screen: np.ndarray) -> np.ndarray:
    """Image ``pos`` of the grid downsampled at its pixel centres (undoing the upscaling)."""
    rect = view.canvas.cell_rect(pos)
    s = view.canvas.scale
    ys = rect.top() + s // 2 + s * np.arange(rect.height() // s)
    xs = rect.left() + s // 2 + s * np.arange(rect.width() // s)
    return screen[np.ix_(ys, xs)]


def test_class_examples_are_a_seeded_choice_of_that_class():
    y = np.arange(500) % 7
    a = class_examples(y, 3, 60, seed=0)
    assert len(a) == 60 and (y[a] == 3).all() and (np.diff(a) > 0).all()
    np.testing.assert_array_equal(a, class_examples(y, 3, 60, seed=0))
    assert not np.array_equal(a, class_examples(y, 3, 60, seed=1))
    # fewer members than asked: all of them
    np.testing.assert_array_equal(class_examples(y, 6, 1000), np.flatnonzero(y == 6))
    assert len(class_examples(y, 9, 10)) == 0


def test_grid_shows_sixty_of_the_class_in_colour_pixel_exact(qtbot, view):
    ds = colour_dataset()
    view.set_dataset(ds)
    shown = view.displayed()
    assert shown["class"] == 0 and shown["split"] == "test"
    assert shown["indices"] == class_examples(ds.y_test, 0, DEFAULT_N, 0).tolist()
    assert len(shown["indices"]) == 60 and "60 of 80 test samples" in shown["header"]
    canvas = view.canvas
    assert canvas.columns() == COLUMNS and canvas.rows() == 6
    assert canvas.scale >= 2  # upscaled by a whole factor
    screen = grid_image(view)
    for pos in (0, 9, 10, 59):  # first and last of a row, first of the next row, last image
        np.testing.assert_array_equal(cell_pixels(view, pos, screen),
                                      ds.x_test[shown["indices"][pos]])
    # every pixel of a scaled pixel is the same colour (nearest neighbour, no smoothing)
    rect, s = canvas.cell_rect(0), canvas.scale
    block = screen[rect.top():rect.top() + s, rect.left():rect.left() + s]
    assert (block == block[0, 0]).all()


def test_choosing_class_split_and_others_by_hand(qtbot, view):
    ds = colour_dataset()
    view.set_dataset(ds)
    view.class_combo.setFocus()
    qtbot.keyClick(view.class_combo, Qt.Key.Key_Down)  # a user edit: class "green"
    assert view.current_class() == 1
    assert view.displayed()["indices"] == class_examples(ds.y_test, 1, 60, 0).tolist()
    qtbot.mouseClick(view.others, LEFT)
    other = view.displayed()["indices"]
    assert other == class_examples(ds.y_test, 1, 60, 1).tolist() and (ds.y_test[other] == 1).all()
    view.split_combo.setFocus()
    qtbot.keyClick(view.split_combo, Qt.Key.Key_Down)
    assert view.current_split() == "train"
    shown = view.displayed()
    assert len(shown["indices"]) == 30 and (ds.y_train[shown["indices"]] == 1).all()
    screen = grid_image(view)
    np.testing.assert_array_equal(cell_pixels(view, 29, screen), ds.x_train[shown["indices"][29]])
    view.n_spin.setFocus()
    qtbot.keyClick(view.n_spin, Qt.Key.Key_Down)
    assert len(view.displayed()["indices"]) == 30  # 59 asked, the class has 30 in train


def test_clicks_select_and_the_selection_is_framed(qtbot, view):
    ds = colour_dataset()
    view.set_dataset(ds)
    got = []
    view.selection_requested.connect(lambda sel, add: got.append((sel, add)))
    idx = view.shown_indices()
    qtbot.mouseClick(view.canvas, LEFT, pos=view.canvas.cell_rect(3).center())
    qtbot.mouseClick(view.canvas, LEFT, SHIFT, pos=view.canvas.cell_rect(12).center())
    qtbot.mouseClick(view.canvas, LEFT, pos=QPoint(1, 1))  # in the gap: nothing
    assert [(s.split, s.indices.tolist(), add) for s, add in got] == [
        ("test", [int(idx[3])], False), ("test", [int(idx[12])], True)]
    # the controller answers with the shared selection: those images are framed
    view.set_selection(Selection.of("test", [idx[3], idx[12], 1, 2]))
    assert view.displayed()["marked"] == [3, 12]
    screen = grid_image(view)
    rect = view.canvas.cell_rect(12)
    frame = screen[rect.center().y(), rect.left() - 2]
    hl = view.canvas.palette().color(QPalette.ColorRole.Highlight)
    assert tuple(frame) == (hl.red(), hl.green(), hl.blue())
    far = view.canvas.cell_rect(6)  # no selected neighbour
    unframed = screen[far.center().y(), far.left() - 2]
    assert tuple(unframed) != (hl.red(), hl.green(), hl.blue())
    view.set_selection(Selection.of("train", [idx[3]]))  # another split: nothing framed here
    assert view.displayed()["marked"] == []


def test_hover_shows_index_label_and_each_models_prediction(qtbot, view):
    ds = colour_dataset()
    view.set_dataset(ds)
    ev = evaluation(ds)
    view.show_product("evaluation", "A", ev)
    pos = 5
    i = int(view.shown_indices()[pos])
    qtbot.mouseMove(view.canvas, view.canvas.cell_rect(pos).center())
    qtbot.waitUntil(view.tooltip.isVisible, timeout=2000)
    text = view.tooltip.text()
    pred = int(ev.predictions[i])
    assert f"#{i} (test)  red" in text
    assert f"→ {NAMES[pred]} ({ev.probabilities[i, pred]:.0%})" in text
    assert ("✓" if pred == 0 else "✗") in text and view.tooltip.image_count() == 1
    # two models compared: both predictions, named
    view.show_product("evaluation", "B", evaluation(ds, seed=4))
    qtbot.mouseMove(view.canvas, view.canvas.cell_rect(pos + 1).center())
    qtbot.mouseMove(view.canvas, view.canvas.cell_rect(pos).center())
    assert "A: " in view.tooltip.text() and "B: " in view.tooltip.text()
    # the train split has no evaluation: index and label only
    view.choose(0, "train")
    qtbot.mouseMove(view.canvas, view.canvas.cell_rect(0).center())
    qtbot.mouseMove(view.canvas, view.canvas.cell_rect(1).center())
    assert view.tooltip.text().count("\n") == 0 and "(train)" in view.tooltip.text()


def test_grey_images_are_drawn_grey(qtbot, view):
    rng = np.random.default_rng(5)
    x = rng.integers(0, 256, (40, 8, 8), dtype=np.uint8)
    ds = Dataset("grey", "image", x[:0], np.zeros(0, np.int64), x, np.arange(40) % 2,
                 ["a", "b"], "test")
    view.set_dataset(ds)
    shown = view.displayed()["indices"]
    assert view.split_combo.count() == 1  # no training split offered when it is empty
    screen = grid_image(view)
    got = cell_pixels(view, 7, screen)
    np.testing.assert_array_equal(got, np.repeat(x[shown[7]][:, :, None], 3, axis=2))


def test_texts_are_listed_and_clicked(qtbot, view):
    ds = text_dataset()
    view.set_dataset(ds)
    shown = view.displayed()
    assert "texts" in shown and len(shown["texts"]) == 15
    first = shown["indices"][0]
    assert shown["texts"][0].startswith(f"#{first}  <start>")
    got = []
    view.selection_requested.connect(lambda sel, add: got.append((sel.indices.tolist(), add)))
    item = view.listing.item(2)
    qtbot.mouseClick(view.listing.viewport(), LEFT,
                     pos=view.listing.visualItemRect(item).center())
    assert got == [([shown["indices"][2]], False)]
    view.set_selection(Selection.of("test", [shown["indices"][2]]))
    assert view.displayed()["marked"] == [2] and view.listing.item(2).font().bold()


def test_a_new_dataset_resets_and_none_clears(qtbot, view):
    view.set_dataset(colour_dataset())
    view.choose(2)
    view.show_product("evaluation", "A", evaluation(colour_dataset()))
    view.set_dataset(colour_dataset(seed=9))
    assert view.current_class() == 0 and view._evaluations == {}
    # the window clears every view with "Computing…" on new data: the grid has its data
    view.clear("Computing…")
    assert not view.is_empty() and len(view.displayed()["indices"]) == 60
    view.set_dataset(None)
    assert view.is_empty() and view.displayed() == {}
