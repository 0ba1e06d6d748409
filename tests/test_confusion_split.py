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
