"""The course views in the window (issue 9): weights as images, typical inputs and important
regions draw what their core functions compute for the model in the window, follow training, a
model switch and a comparison (one view per model), and the typical tiles select samples.

Digits (8×8), a small dense model, 2 epochs: every test trains in seconds."""

from __future__ import annotations

import numpy as np
import pytest
from gui_support import is_training, session, wait_idle
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from reprviz_gui.workspace import handles
from reprviz_gui.workspace.state import Selection


def _model(win, sid: str = "A"):
    return handles.resolve(session(win, sid).handle)


def _show(win, view_id: str) -> None:
    win.docks[view_id].show()
    win.docks[view_id].raise_()


def _current(win, view_id: str, sid: str = "A"):
    """The view's result if it describes the model shown now, else None."""
    view = win.view(view_id, sid)
    r = view.result() if view is not None else None
    return r if r is not None and win.controller.workspace.is_current(r.tag) else None


def _wait_view(qtbot, win, view_id: str, sid: str = "A", timeout=60_000):
    qtbot.waitUntil(lambda: _current(win, view_id, sid) is not None
                    and not win.view(view_id, sid).is_empty(), timeout=timeout)
    wait_idle(qtbot, win)
    return win.view(view_id, sid)


def _train(qtbot, win, sid: str = "A") -> None:
    win.controller.train(sid)
    qtbot.waitUntil(lambda: session(win, sid).training, timeout=10_000)
    qtbot.waitUntil(lambda: not is_training(win), timeout=120_000)


def _reference_weights(win, sid: str = "A"):
    from reprviz_gui.core.analysis.weights import first_layer_weights

    ds = win.controller.dataset
    return first_layer_weights(_model(win, sid), ds.sample_shape, ds.class_names)


# --- weights as images ------------------------------------------------------------------------
def test_weights_view_draws_the_first_dense_layer_and_follows_training(window, qtbot):
    win = window
    _show(win, "weights")
    view = _wait_view(qtbot, win, "weights")
    ref = _reference_weights(win)
    shown = view.displayed()
    assert shown["layer"] == "hidden_1" and shown["layer_type"] == "Dense"
    assert shown["labels"] == [f"unit {i}" for i in range(32)] and not shown["per_class"]
    # by default each image on its own scale, as the MNIST notes draw them
    np.testing.assert_array_equal(shown["images"], ref.colour_images(per_image=True))
    assert shown["limit"] is None and shown["legend"][0] == "\u2212max"
    assert view.scale_box.currentText() == "Each on its own scale"
    view.set_per_unit_scale(False)  # the shared scale stays an option
    shared = view.displayed()
    np.testing.assert_array_equal(shared["images"], ref.colour_images(per_image=False))
    assert shared["limit"] == pytest.approx(ref.symmetric_limit)
    assert shared["legend"] == ("\u2212" + f"{ref.symmetric_limit:.3g}", "0",
                                "+" + f"{ref.symmetric_limit:.3g}")
    view.set_per_unit_scale(True)
    before = shown["images"]

    # sorted by norm: largest first, the same images moved with their units
    view.set_order(by_norm=True)
    by_norm = view.displayed()
    order = np.argsort(-ref.norms.astype(np.float64), kind="stable")
    np.testing.assert_array_equal(by_norm["units"], order)
    np.testing.assert_array_equal(by_norm["images"], ref.colour_images()[order])
    view.set_order(by_norm=False)

    # hover a tile: its unit, norm and range
    grid = view.grid
    rect = grid.tile_rect(0, 3)
    wait_idle(qtbot, win)
    moves = iter(range(10_000))

    def hovered() -> bool:
        # a result arriving may resize the view, which hides the card (as it should); the user
        # would move the mouse again: so does the test, a pixel apart each time
        if not view.tooltip.isVisible():
            QTest.mouseMove(grid.canvas, rect.center() + QPoint(next(moves) % 2, 0))
        return view.tooltip.isVisible()

    qtbot.waitUntil(hovered, timeout=10_000)
    text = view.tooltip.text()
    assert "unit 3 of hidden_1" in text and f"norm {ref.norms[3]:.4g}" in text
    assert f"range {ref.minima[3]:.4g} … {ref.maxima[3]:.4g}" in text

    # training changes the weights: a new version, new images, equal to the model's
    version = session(win).version
    _train(qtbot, win)
    qtbot.waitUntil(lambda: (r := _current(win, "weights")) is not None
                    and r.tag.model_version > version, timeout=60_000)
    after = view.displayed()["images"]
    assert not np.array_equal(after, before)
    np.testing.assert_array_equal(after, _reference_weights(win).colour_images())


def test_weights_follow_a_model_switch_and_a_comparison(window, qtbot):
    win = window
    _show(win, "weights")
    _wait_view(qtbot, win, "weights")
    # the multinomial model's only Dense layer is the output: one image per class, by name
    win.controller.set_model_preset("multinomial")
    qtbot.waitUntil(lambda: (r := _current(win, "weights")) is not None
                    and r.weights is not None and r.weights.per_class, timeout=60_000)
    shown = win.view("weights").displayed()
    assert shown["labels"] == list(win.controller.dataset.class_names)
    assert shown["tiles"] == shown["labels"] and shown["images"].shape == (10, 8, 8, 3)
    np.testing.assert_array_equal(shown["images"], _reference_weights(win).colour_images())
    # the preset starts from zero weights: all white, and the view says so
    assert (shown["images"] == 255).all()
    assert "all weights are 0" in win.view("weights").subtitle.text()

    # compare with LeNet: a second view, its first convolution's 5×5 filters
    win.controller.add_comparison("lenet")
    b = _wait_view(qtbot, win, "weights", "B")
    shown_b = b.displayed()
    assert shown_b["layer_type"] == "Conv2D" and shown_b["images"].shape == (6, 5, 5, 3)
    assert shown_b["labels"] == [f"filter {i}" for i in range(6)]
    np.testing.assert_array_equal(shown_b["images"], _reference_weights(win, "B").colour_images())
    assert win.view("weights", "A").displayed()["per_class"]  # A still shows its own

    # no model: nothing to draw, and the view says why
    win.controller.set_model_preset("none")
    qtbot.waitUntil(lambda: win.view("weights").is_empty()
                    and "No model" in win.view("weights").hint_text(), timeout=30_000)


# --- typical inputs ---------------------------------------------------------------------------
def _top(rows: np.ndarray, p: np.ndarray, k: int) -> list[int]:
    """The k rows with the highest p (equal p: lower index first), by a plain sort."""
    return sorted(rows.tolist(), key=lambda i: (-float(p[i]), i))[:k]


def test_typical_tiles_are_the_most_probable_samples_and_select_on_click(window, qtbot):
    win = window
    _show(win, "typical")
    assert "Train" in win.view("typical").hint_text()
    _train(qtbot, win)
    view = _wait_view(qtbot, win, "typical")
    ev = win.controller.result("evaluation")
    probs, labels = ev.probabilities, ev.labels
    assert view.current_class() == 0
    shown = view.displayed()
    k = shown["k"]
    assert k == 8
    rows = np.arange(len(labels))
    assert shown["keys"][0] == _top(rows[labels == 0], probs[:, 0], k)
    assert shown["keys"][1] == _top(rows[labels != 0], probs[:, 0], k)
    assert all(f"{probs[i, 0]:.3f}" in c for i, c in zip(shown["keys"][1], shown["captions"][1]))
    # issue 19, 1.11: a wrong tile says its true class and what the model predicts in words
    # ("0.985 → Shirt" read as "predicted Shirt" for a true Shirt predicted T-shirt)
    names = ev.class_names
    for i, caption in zip(shown["keys"][1], shown["captions"][1]):
        assert caption.split("\n") == [f"true {names[labels[i]]}", f"p={probs[i, 0]:.3f}",
                                       f"predicted {names[int(np.argmax(probs[i]))]}"]
    # every class in the overview: one row each, typical then wrong
    view.set_class(None)
    overview = view.displayed()
    assert len(overview["keys"]) == 10
    for c in range(10):
        assert overview["keys"][c] == (_top(rows[labels == c], probs[:, c], k)
                                       + _top(rows[labels != c], probs[:, c], k))
    view.set_class(3)
    view.k_box.setValue(4)
    assert view.displayed()["keys"][0] == _top(rows[labels == 3], probs[:, 3], 4)

    # a click selects that test sample everywhere; shift adds; the tiles show it
    grid = view.grid
    first, second = view.displayed()["keys"][0][:2]
    QTest.mouseClick(grid.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     grid.tile_rect(0, 0).center())
    sel = win.controller.workspace.selection
    assert sel.split == "test" and sel.indices.tolist() == [first]
    assert view.displayed()["marked"] == [first]
    QTest.mouseClick(grid.canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier,
                     grid.tile_rect(0, 1).center())
    assert win.controller.workspace.selection.indices.tolist() == sorted([first, second])
    assert view.displayed()["marked"] == sorted([first, second])
    # a selection made elsewhere is marked too
    win.controller.select(Selection.of("test", [second], "test"))
    assert view.displayed()["marked"] == [second]


def test_typical_inputs_follow_training_and_a_comparison(window, qtbot):
    win = window
    _show(win, "typical")
    _train(qtbot, win)
    view = _wait_view(qtbot, win, "typical")
    first_version = view.result().tag.model_version
    win.controller.add_comparison("multinomial")
    qtbot.waitUntil(lambda: not session(win, "B").building and session(win, "B").has_model,
                    timeout=60_000)
    _train(qtbot, win, "B")
    b = _wait_view(qtbot, win, "typical", "B")
    ev_b = win.controller.result("evaluation", "B")
    labels, probs = ev_b.labels, ev_b.probabilities
    rows = np.arange(len(labels))
    assert b.displayed()["keys"][0] == _top(rows[labels == 0], probs[:, 0], 8)
    assert view.result().tag.model_version == first_version  # A's view kept its own model
    # training A again: A's tiles follow its new probabilities
    _train(qtbot, win, "A")
    qtbot.waitUntil(lambda: (r := _current(win, "typical")) is not None
                    and r.tag.model_version > first_version, timeout=60_000)
    ev = win.controller.result("evaluation")
    assert view.displayed()["keys"][0] == _top(rows[ev.labels == 0], ev.probabilities[:, 0], 8)


# --- important regions ------------------------------------------------------------------------
def test_regions_show_backprojection_and_saliency_for_a_dense_model(window, qtbot):
    from reprviz_gui.core.analysis.regions import class_saliency
    from reprviz_gui.workspace.products_course import first_per_class

    win = window
    _show(win, "regions")
    _train(qtbot, win)
    view = _wait_view(qtbot, win, "regions")
    shown = view.displayed()
    assert shown["kinds"][:4] == ["backprojection", "saliency", "backprojection_grey",
                                  "saliency_abs"]
    assert shown["note"] == ""
    # back-projection: onehot · W3ᵀ · W2ᵀ · W1ᵀ, straight from the kernels in numpy
    kernels = [layer.get_weights()[0].astype(np.float64) for layer in _model(win).layers
               if type(layer).__name__ == "Dense"]
    assert len(kernels) == 3
    k = np.eye(10)
    for w in reversed(kernels):
        k = k @ w.T
    np.testing.assert_allclose(shown["backprojection"], k.reshape(10, 8, 8), rtol=1e-4,
                               atol=1e-6)
    assert shown["backprojection_captions"] == list(win.controller.dataset.class_names)
    # saliency: the core function on the first 200 test samples of each class
    ds = win.controller.dataset
    rows = first_per_class(ds.y_test, 10, 200)
    ref = class_saliency(_model(win), ds.inputs(ds.x_test[rows]), ds.y_test[rows], 10)
    np.testing.assert_allclose(shown["saliency"], ref.maps, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(shown["saliency_abs"], ref.abs_maps, rtol=1e-4, atol=1e-7)
    assert "logit" in shown["notes"][1] and "gradient" in shown["notes"][1]
    # the grey rendering: each map's minimum black, maximum white
    grey = shown["backprojection_grey_images"]
    assert grey.shape == (10, 8, 8) and grey.min() == 0 and grey.max() == 255
    c = 4
    assert grey[c].ravel()[np.argmax(k[c])] == 255 and grey[c].ravel()[np.argmin(k[c])] == 0


def test_regions_of_lenet_show_saliency_only_with_the_reason(window, qtbot):
    win = window
    _show(win, "regions")
    win.controller.add_comparison("lenet")
    qtbot.waitUntil(lambda: not session(win, "B").building and session(win, "B").has_model,
                    timeout=60_000)
    _train(qtbot, win, "B")
    b = _wait_view(qtbot, win, "regions", "B")
    shown = b.displayed()
    assert shown["kinds"] == ["saliency", "saliency_abs"]
    assert "Back-projection does not apply" in shown["note"] and "Conv2D" in shown["note"]
    assert shown["saliency"].shape == (10, 8, 8)
    # A is untrained: its view says what to do
    assert "Train the model" in win.view("regions", "A").hint_text()
