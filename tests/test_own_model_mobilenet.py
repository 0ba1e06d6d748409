"""Issue 18's "Done when", as a new user would: MobileNetV2 (weights=None, alpha 0.35, 96x96
colour) nested in a classifier, trained 1 epoch on a generated folder of colour images, saved
as .keras; analyze reads a block inside it by path, as global averages, with MobileNetV2's own
preprocessing; the numbers equal the backbone called directly."""

from __future__ import annotations

import json

import numpy as np
import pytest

from reprviz_gui import cli
from reprviz_gui.core.model.runtime import keras_module

pytestmark = pytest.mark.slow  # builds, trains and saves a MobileNetV2 (~40 s on two cores)


def colour_folder(root, per_class=6, size=96):
    from PIL import Image

    rng = np.random.default_rng(0)
    for c, name in enumerate(("red", "green", "blue")):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            img = rng.integers(0, 90, size=(size, size, 3)).astype(np.uint8)
            img[..., c] += 150  # each class leans to its colour
            Image.fromarray(img).save(root / name / f"{i}.png")
    return root


def test_mobilenet_v2_from_a_keras_file_block_as_global_averages(tmp_path):
    keras = keras_module()
    folder = colour_folder(tmp_path / "colours")
    backbone = keras.applications.MobileNetV2(input_shape=(96, 96, 3), alpha=0.35,
                                              weights=None, include_top=False)
    inp = keras.Input((96, 96, 3))
    out = keras.layers.Dense(3, activation="softmax", name="classes")(
        keras.layers.GlobalAveragePooling2D(name="pool")(backbone(inp)))
    model = keras.Model(inp, out)
    model.compile("adam", "sparse_categorical_crossentropy")
    x = np.stack([np.asarray(__import__("PIL.Image", fromlist=["Image"]).open(p))
                  for p in sorted(folder.glob("*/*.png"))]).astype(np.float32) / 127.5 - 1
    model.fit(x, np.repeat([1, 2, 0], 6), epochs=1, verbose=0)  # 1 epoch, as the issue says
    path = tmp_path / "mobilenet.keras"
    model.save(path)
    out_dir = tmp_path / "out"
    layer = f"{backbone.name}/block_5_add"
    code = cli.main(["analyze", "--data", str(folder), "--image-size", "96x96", "--samples",
                     "6", "--test-fraction", "0.5", "--no-figures", "--no-history",
                     "--no-measures", "-q", "--model", str(path), "--epochs", "0",
                     "--layer", layer, "--reduction", "mean", "--preprocess", "mobilenet_v2",
                     "--out", str(out_dir)])
    assert code == 0
    report = json.loads((out_dir / "report.json").read_text())
    assert report["layer"]["name"] == layer
    assert report["layer"]["reduction"] == "global average per channel of 12x12x16 -> 16"
    tree = {row["name"]: row for row in report["layers"]}
    assert tree[layer]["parent"] == backbone.name and tree[layer]["output_shape"] == [12, 12, 16]
    with np.load(out_dir / "activations.npz") as z:
        acts, idx = z["activations"], z["sample_indices"]
    # the reference: the saved model's backbone called on its own, its block's maps averaged
    from reprviz_gui.core.data.sources import load_dataset
    from reprviz_gui.core.data.types import LoadOptions

    ds = load_dataset(str(folder), LoadOptions(image_size=(96, 96), test_fraction=0.5))
    images = keras.applications.mobilenet_v2.preprocess_input(
        ds.x_test[idx].astype(np.float32))
    loaded = keras.models.load_model(path)
    inner = loaded.get_layer(backbone.name)
    block = keras.Model(inner.inputs, inner.get_layer("block_5_add").output)
    want = np.asarray(block(images)).mean(axis=(1, 2))
    np.testing.assert_allclose(acts, want, atol=1e-4)
