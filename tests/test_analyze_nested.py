"""``analyze`` on a model with a nested sub-model: ``--layer outer/inner``, ``--reduction`` and
``--preprocess`` as in the window; and the preprocessing against Keras Applications' own."""

from __future__ import annotations

import json

import numpy as np
import pytest

from reprviz_gui import cli
from reprviz_gui.core.data.preprocess import FAMILIES, PreprocessError, preprocess_images
from reprviz_gui.core.model.runtime import keras_module
from test_layer_tree_window import nested_digits_model


def test_analyze_reads_a_nested_layer_reduced_and_preprocessed_as_asked(tmp_path):
    path = tmp_path / "nested.keras"
    model = nested_digits_model(path)
    out = tmp_path / "out"
    code = cli.main(["analyze", "--data", "digits", "--samples", "60", "--no-figures", "-q",
                     "--no-history", "--no-measures", "--model", str(path), "--epochs", "0",
                     "--layer", "block/c2", "--reduction", "max", "--preprocess", "symmetric",
                     "--out", str(out), "--session", str(tmp_path / "s.reprviz")])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    layer = report["layer"]
    assert layer["name"] == "block/c2" and layer["width"] == 4
    assert layer["reduction"] == "global max per channel of 8x8x4 -> 4"
    assert any("scaled to −1–1" in n for n in report["notes"])
    # the session's layer and map results say the reduction too, for the views that show them
    from reprviz_gui.core.io.session_file import read_session

    manifest = json.dumps(read_session(tmp_path / "s.reprviz", tmp_path / "x").manifest)
    assert manifest.count("global max per channel of 8x8x4 -> 4") == 2
    tree = {row["name"]: row["parent"] for row in report["layers"]}
    assert tree["block/c2"] == "block" and tree["block"] == ""
    with np.load(out / "activations.npz") as z:
        acts, idx = z["activations"], z["sample_indices"]
    # the reference: the digits' test images scaled to -1..1 by hand, the nested block's c2
    # called directly, max over positions
    from reprviz_gui.core.data.sources import load_dataset

    ds = load_dataset("digits")
    x = ds.x_test[idx].astype(np.float32) / 127.5 - 1.0
    keras = keras_module()
    block = model.get_layer("block")
    c2 = np.asarray(keras.Model(block.inputs, block.get_layer("c2").output)(x[..., None]))
    np.testing.assert_allclose(acts, c2.max(axis=(1, 2)), atol=1e-5)


@pytest.mark.parametrize("family", ["mobilenet_v2", "resnet50", "densenet", "efficientnet"])
def test_each_family_preprocesses_as_keras_applications_does(family):
    keras = keras_module()
    x = np.random.default_rng(0).integers(0, 256, size=(3, 5, 4, 3)).astype(np.uint8)
    theirs = getattr(keras.applications, family).preprocess_input(x.astype(np.float32).copy())
    np.testing.assert_allclose(preprocess_images(x, family), np.asarray(theirs), atol=1e-4)
    assert FAMILIES[family]


def test_unknown_preprocessing_names_the_choices():
    with pytest.raises(PreprocessError, match="unit .* symmetric .* mobilenet_v2"):
        preprocess_images(np.zeros((1, 2, 2, 3)), "imagenet")
