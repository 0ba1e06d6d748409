"""Layers inside nested models (a functional block with a skip, a Sequential) are read by path
in the same single pass as the outer ones, and equal what calling the sub-model directly gives;
every layer's batch is reduced as it arrives."""

import numpy as np
import pytest

from reprviz_gui.core.errors import UnknownLayerError
from reprviz_gui.core.model.extraction import extract_layers, extraction_bytes, resolve_layer
from reprviz_gui.core.model.reduction import reduce_activations
from reprviz_gui.core.model.runtime import keras_module


def nested_model():
    keras = keras_module()
    inp = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="c1")(inp)
    y = keras.layers.Conv2D(4, 3, padding="same", name="c2")(x)
    x = keras.layers.Add(name="skip")([x, y])
    block = keras.Model(inp, x, name="block")
    seq = keras.Sequential([keras.Input((8, 8, 4)), keras.layers.Conv2D(5, 1, name="s1"),
                            keras.layers.ReLU(name="s2")], name="seq")
    o = keras.Input((8, 8, 3))
    h = keras.layers.Rescaling(2.0, name="pre")(o)
    h = seq(block(h))
    h = keras.layers.GlobalAveragePooling2D(name="gap")(h)
    out = keras.layers.Dense(3, activation="softmax", name="out")(h)
    return keras.Model(o, out, name="outer")


@pytest.fixture(scope="module")
def model_and_x():
    x = np.random.default_rng(1).normal(size=(10, 8, 8, 3)).astype(np.float32)
    return nested_model(), x


def test_nested_layers_equal_calling_the_sub_models_directly(model_and_x):
    keras = keras_module()
    model, x = model_and_x
    names = ["block/c2", "block/skip", "seq/s1", "gap", "out"]
    got = extract_layers(model, x, names, batch_size=4, reductions={"*": "flatten"})
    block, seq = model.get_layer("block"), model.get_layer("seq")
    pre = 2.0 * x
    # the reference: each sub-model called on its own, its layers read with their own extractor
    c2 = keras.Model(block.inputs, block.get_layer("c2").output)(pre)
    skip = block(pre)
    s1 = keras.Model(seq.inputs, seq.get_layer("s1").output)(skip)
    np.testing.assert_allclose(got["block/c2"], np.asarray(c2).reshape(10, -1), atol=1e-5)
    np.testing.assert_allclose(got["block/skip"], np.asarray(skip).reshape(10, -1), atol=1e-5)
    np.testing.assert_allclose(got["seq/s1"], np.asarray(s1).reshape(10, -1), atol=1e-5)
    np.testing.assert_allclose(got["out"], model.predict(x, verbose=0), atol=1e-5)
    # gap equals the mean reduction of the Sequential's output
    np.testing.assert_allclose(got["gap"], reduce_activations(np.asarray(seq(skip)), "mean"),
                               atol=1e-5)


def test_reductions_per_layer_and_their_bytes(model_and_x):
    model, x = model_and_x
    got = extract_layers(model, x, ["block/skip", "seq/s1", "block"], batch_size=3,
                         reductions={"block/skip": "max", "seq/s1": "crop"}, crop=2)
    full = extract_layers(model, x, ["block/skip", "seq/s1"], reductions={"*": "flatten"})
    maps = full["block/skip"].reshape(10, 8, 8, 4)
    np.testing.assert_allclose(got["block/skip"], maps.max(axis=(1, 2)), atol=1e-6)
    s1 = full["seq/s1"].reshape(10, 8, 8, 5)
    np.testing.assert_allclose(got["seq/s1"], s1[:, 3:5, 3:5, :].reshape(10, -1), atol=1e-6)
    assert got["block"].shape == (10, 256)  # 8x8x4 = 256 <= 4,096: flattened by default
    assert extraction_bytes(model, ["block/skip", "seq/s1"], 10,
                            reductions={"block/skip": "max", "seq/s1": "crop"}, crop=2) \
        == 10 * (4 + 2 * 2 * 5) * 4


def test_paths_name_the_nested_models_layers(model_and_x):
    model, _ = model_and_x
    assert resolve_layer(model, "block/skip") == "block/skip"
    with pytest.raises(UnknownLayerError, match="nested model 'block' has no layer 'c9'.*c1, c2"):
        resolve_layer(model, "block/c9")
    with pytest.raises(UnknownLayerError, match="'gap' is a GlobalAveragePooling2D, not a nested"):
        resolve_layer(model, "gap/x")
