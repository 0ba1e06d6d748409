"""analyze --confusion-split: the MNIST notes' confusion table is on the training split; the
report's "confusion" and confusion.png can be on train, validation or test (issue 19 §3)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from reprviz_gui.cli import main


@pytest.mark.parametrize("split", ["train", "validation"])
def test_confusion_on_the_asked_split_equals_the_models_own_predictions(tmp_path, split):
    from reprviz_gui.core.data.sources import load_dataset
    from reprviz_gui.core.model.runtime import keras_module
    from reprviz_gui.core.model.training import stratified_split

    out, model_path = tmp_path / "out", tmp_path / "m.keras"
    assert main(["analyze", "--data", "digits", "--model", "multinomial", "--epochs", "1",
                 "--samples", "50", "--no-figures", "--no-history", "--confusion-split", split,
                 "--save-model", str(model_path), "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    conf = report["confusion"]
    assert conf["split"] == split
    # by hand: the same held-out rows (seeded, stratified 10 %), the saved model's predictions
    ds = load_dataset("digits")
    fit, val = stratified_split(ds.y_train, 0.1, 0)
    rows = fit if split == "train" else val
    model = keras_module().models.load_model(model_path)
    pred = model.predict(ds.inputs(ds.x_train[rows]), verbose=0).argmax(axis=1)
    cm = np.zeros((10, 10), np.int64)
    np.add.at(cm, (ds.y_train[rows], pred), 1)
    np.testing.assert_array_equal(np.asarray(conf["matrix"]), cm)
    assert conf["accuracy"] == pytest.approx(np.trace(cm) / cm.sum())
    assert report["confusion_matrix"] != conf["matrix"]  # the test split's stays as it was


def test_the_windows_confusion_split_counts_the_rows_the_run_used(qtbot, open_window):
    """The confusion view's Split option (issue 19 §3): the window counts the rows the last run
    trained on / held out, with analyze's own functions, and a cell selects those samples."""
    from gui_support import click, is_training, wait_idle
    from PySide6.QtCore import Qt

    from reprviz_gui.core.model.training import stratified_split

    win = open_window(epochs=1, validation_split=0.2, seed=4)
    c = win.controller
    click(qtbot, win.sidebar.train_button)
    qtbot.waitUntil(lambda: not is_training(win) and c.result("evaluation") is not None,
                    timeout=60_000)
    wait_idle(qtbot, win)
    view = win.view("confusion")
    test_counts = view.displayed()["counts"]
    assert view.displayed()["split"] == "test"
    for split in ("train", "validation"):
        # the user's pick in the Split box (its currentTextChanged, as a click in the list;
        # typed keys would run into Qt's keyboard-search interval between the two picks)
        view.split_combo.setCurrentIndex(view.split_combo.findText(split))
        assert view.options.split == split and c.workspace.confusion_split == split
        qtbot.waitUntil(lambda: view.displayed().get("split") == split, timeout=60_000)
        shown = view.displayed()["counts"]
        # by hand: the run's own held-out rows (stratified, fraction 0.2, seed 4), the model's
        # predictions through Keras directly
        ds = c.dataset
        fit, val = stratified_split(ds.y_train, 0.2, 4)
        rows = fit if split == "train" else val
        assert shown.sum() == len(rows) and not np.array_equal(shown, test_counts)
        from reprviz_gui.workspace.handles import resolve

        model = resolve(c.session().handle)  # a read-only predict, the model lane idle
        pred = model.predict(ds.inputs(ds.x_train[rows]), verbose=0).argmax(axis=1)
        cm = np.zeros_like(shown)
        np.add.at(cm, (ds.y_train[rows], pred), 1)
        np.testing.assert_array_equal(shown, cm)
        # a cell selects exactly those train-split samples
        t = int(np.argmax(cm.sum(axis=1)))
        item = view.table.item(t, t)
        qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton,
                         pos=view.table.visualItemRect(item).center())
        sel = c.workspace.selection
        assert sel.split == "train"
        np.testing.assert_array_equal(sel.indices, np.sort(rows[(ds.y_train[rows] == t)
                                                                & (pred == t)]))
    # back to test: the test split's counts again
    view.split_combo.setCurrentText("test")
    assert view.options.split == "test"
    qtbot.waitUntil(lambda: view.displayed().get("split") == "test", timeout=30_000)
    np.testing.assert_array_equal(view.displayed()["counts"], test_counts)
