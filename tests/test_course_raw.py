"""Raw projections as pseudo-layers: "hidden_k:raw" = the Dense layer's input times its kernel,
read in the same forward pass as the real layers, against the practical's numpy computation."""

from __future__ import annotations

import numpy as np
import pytest

from reprviz_gui.core import model as M
from reprviz_gui.core.data.types import Dataset
from reprviz_gui.core.errors import ModelError, UnknownLayerError
from reprviz_gui.core.model import extraction as E


def _images(n=60, shape=(10, 10), classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return Dataset("imgs", "image", rng.integers(0, 256, (n,) + shape, dtype=np.uint8),
                   rng.integers(0, classes, n), rng.integers(0, 256, (n,) + shape, dtype=np.uint8),
                   rng.integers(0, classes, n), [f"c{i}" for i in range(classes)], "test")


@pytest.fixture(scope="module")
def mlp():
    """784-style MLP in miniature (100-12-7-3, ReLU) with non-zero biases and dropout."""
    ds = _images()
    model = M.build_model(M.ModelConfig(hidden=(12, 7), dropout=0.3), ds, seed=2)
    rng = np.random.default_rng(7)
    for name in ("hidden_1", "hidden_2", "output"):
        layer = model.get_layer(name)
        w, b = layer.get_weights()
        layer.set_weights([w, rng.normal(scale=0.4, size=b.shape).astype(np.float32)])
    return model, ds


def test_raw_names_list_every_dense_layer_in_order(mlp):
    model, _ = mlp
    assert E.raw_layer_names(model) == ["hidden_1:raw", "hidden_2:raw", "output:raw"]
    assert E.RAW_SUFFIX == ":raw"
    assert E.is_raw("hidden_2:raw") and not E.is_raw("hidden_2") and not E.is_raw(3)
    assert E.raw_base("hidden_2:raw") == "hidden_2" and E.raw_base("output") == "output"


def test_raw_layers_equal_the_practicals_numpy_embedding(mlp):
    model, ds = mlp
    x = ds.inputs(ds.x_test)
    out = E.extract_layers(model, x, ["hidden_1:raw", "hidden_2", "hidden_2:raw",
                                      "output:raw"], batch_size=16)
    # only what was asked comes back, in the order asked
    assert list(out) == ["hidden_1:raw", "hidden_2", "hidden_2:raw", "output:raw"]
    w1, b1 = (a.astype(np.float64) for a in model.get_layer("hidden_1").get_weights())
    w2, b2 = (a.astype(np.float64) for a in model.get_layer("hidden_2").get_weights())
    w3, _ = (a.astype(np.float64) for a in model.get_layer("output").get_weights())
    X = x.reshape(len(x), -1).astype(np.float64)
    relu = lambda a: np.maximum(a, 0.0)  # noqa: E731
    h1 = relu(X @ w1 + b1)
    h2 = relu(h1 @ w2 + b2)
    for key, ref in [("hidden_1:raw", X @ w1), ("hidden_2:raw", h1 @ w2), ("output:raw", h2 @ w3),
                     ("hidden_2", h2)]:
        assert out[key].dtype == np.float32 and out[key].shape == ref.shape, key
        np.testing.assert_allclose(out[key], ref, atol=1e-5, err_msg=key)
    # the raw projection is not the layer's output: bias and ReLU make a real difference
    assert np.abs(out["hidden_2:raw"] - out["hidden_2"]).max() > 0.05
    assert (out["hidden_2:raw"] < 0).any()


def test_raw_and_inputs_of_together_and_the_old_helper_agree(mlp):
    model, ds = mlp
    x = ds.inputs(ds.x_test[:20])
    out = E.extract_layers(model, x, ["hidden_2:raw"], inputs_of=["hidden_2"])
    assert list(out) == ["hidden_2:raw", "hidden_2/input"]
    np.testing.assert_allclose(out["hidden_2:raw"],
                               E.raw_projection(model, "hidden_2", out["hidden_2/input"]),
                               atol=1e-6)
    assert E.extract_layer(model, x, "output:raw").shape == (20, 3)


def test_raw_names_resolve_and_size_like_layers(mlp):
    model, _ = mlp
    assert E.resolve_layer(model, "hidden_1:raw") == "hidden_1:raw"
    assert E.resolve_layer(model, " output:raw ") == "output:raw"
    assert E.extraction_bytes(model, ["hidden_1:raw", "output"], 10) == (12 + 3) * 10 * 4
    with pytest.raises(UnknownLayerError, match="Flatten.*only for Dense.*hidden_1:raw"):
        E.resolve_layer(model, "flatten:raw")
    with pytest.raises(UnknownLayerError, match="Dropout"):
        E.extract_layers(model, np.zeros((2, 10, 10), np.float32), ["dropout_1:raw"])
    with pytest.raises(UnknownLayerError, match="no layer 'nope:raw'"):
        E.extract_layers(model, np.zeros((2, 10, 10), np.float32), ["nope:raw"])


def test_dense_on_a_non_flat_input_is_refused():
    from reprviz_gui.core.model.runtime import keras_module

    keras = keras_module()
    model = keras.Sequential([keras.Input((4, 5)), keras.layers.Dense(3, name="per_row"),
                              keras.layers.Flatten(), keras.layers.Dense(2, name="out")])
    with pytest.raises(ModelError, match="per_row.*flat input"):
        E.extract_layers(model, np.zeros((2, 4, 5), np.float32), ["per_row:raw"])
    assert E.extract_layers(model, np.ones((2, 4, 5), np.float32), ["out:raw"])["out:raw"].shape \
        == (2, 2)
