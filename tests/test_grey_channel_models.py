"""The usual Keras CNN reads H×W×1 while grey image data is H×W (found loading such a model in
the real window: refused with "the model wants a channel axis"). The window puts a fit_channel
layer in front (the data stays shared by both compared models); the CLI gives the data its
channel axis. A model holding a functional block and a Sequential also has its top-level
sub-models read by the depth metrics (they crashed with "Output ... is not connected")."""

from __future__ import annotations

import numpy as np
import pytest

from reprviz_gui.core.data.fit_input import (add_channel_axis, channel_model_input,
                                             wants_channel_only)
from reprviz_gui.core.data.types import Dataset


def _grey(n: int = 12, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n, 8, 8), dtype=np.uint8)
    y = np.arange(n) % 3
    return Dataset("grey", "image", x[:8], y[:8], x[8:], y[8:], ["a", "b", "c"], "test")


def _nested_cnn(keras):
    """Input 8×8×1 -> conv stem -> a functional residual block -> a Sequential -> dense."""
    inp = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(4, 3, activation="relu", name="stem")(inp)
    bi = keras.Input((6, 6, 4))
    y = keras.layers.Add(name="b_add")([keras.layers.Conv2D(4, 3, padding="same",
                                                            name="b_conv")(bi), bi])
    x = keras.Model(bi, y, name="block")(x)
    x = keras.Sequential([keras.Input((6, 6, 4)), keras.layers.Conv2D(6, 3, name="s_conv"),
                          keras.layers.GlobalAveragePooling2D(name="s_gap")], name="tail")(x)
    out = keras.layers.Dense(3, activation="softmax", name="out")(x)
    return keras.Model(inp, out, name="nested_cnn")


def test_only_a_missing_channel_of_one_counts():
    assert wants_channel_only((8, 8, 1), (8, 8)) and wants_channel_only((None, None, 1), (8, 8))
    assert not wants_channel_only((8, 8, 3), (8, 8))
    assert not wants_channel_only((10, 10, 1), (8, 8))
    assert not wants_channel_only((8, 8, 1), (8, 8, 1))


def test_cli_way_gives_the_data_its_channel_axis():
    ds = _grey()
    before = ds.x_test.copy()
    note = add_channel_axis(ds, (8, 8, 1))
    assert ds.sample_shape == (8, 8, 1) and ds.x_train.shape == (8, 8, 8, 1)
    np.testing.assert_array_equal(ds.x_test[..., 0], before)
    assert "channel axis" in note and note in ds.notes
    assert add_channel_axis(ds, (8, 8, 1)) is None  # already has it


@pytest.mark.parametrize("sequential", [True, False])
def test_window_way_puts_fit_channel_in_front_sharing_the_weights(tmp_path, sequential):
    from reprviz_gui.core.model.layers import check_compatible
    from reprviz_gui.core.model.runtime import keras_module
    from reprviz_gui.workspace import jobs

    keras = keras_module()
    keras.utils.set_random_seed(0)
    model = (keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, name="c"),
                               keras.layers.Flatten(name="f"),
                               keras.layers.Dense(3, activation="softmax", name="out")],
                              name="seq_cnn")
             if sequential else _nested_cnn(keras))
    path = tmp_path / "m.keras"
    model.save(path)
    ds = _grey()
    ready = jobs.load_model_job(path, ds, trust=False)(None, lambda: False)
    from reprviz_gui.workspace import handles

    fitted = handles.resolve(ready.handle)
    check_compatible(fitted, ds)  # no ShapeMismatchError any more
    assert ds.sample_shape == (8, 8)  # the data is untouched (shared with the other model)
    assert "fit_channel" in ready.note
    x = ds.x_test.astype("float32") / 255
    np.testing.assert_allclose(fitted.predict(x, verbose=0),
                               model.predict(x[..., None], verbose=0), atol=1e-6)
    names = [la.name for la in fitted.layers if type(la).__name__ != "InputLayer"]
    assert names[0] == "fit_channel"
    if sequential:
        assert names[1:] == ["c", "f", "out"]  # flat: the layer names stay
    else:
        assert "nested_cnn" in ready.note and names[1] == "nested_cnn"
    assert channel_model_input(fitted, ds.sample_shape) is None  # fits now


def test_depth_metrics_read_top_level_sub_models():
    from reprviz_gui.core.model.extraction import extract_layers
    from reprviz_gui.core.model.runtime import keras_module

    keras = keras_module()
    keras.utils.set_random_seed(1)
    model = _nested_cnn(keras)
    x = np.random.default_rng(2).random((5, 8, 8, 1)).astype("float32")
    read = extract_layers(model, x, ["stem", "block", "tail", "out"])
    stem = model.get_layer("stem")(x)
    block = model.get_layer("block")(stem)
    np.testing.assert_allclose(read["block"], np.asarray(block).reshape(5, -1), atol=1e-5)
    np.testing.assert_allclose(read["tail"], np.asarray(model.get_layer("tail")(block)),
                               atol=1e-5)
    np.testing.assert_allclose(read["out"], model.predict(x, verbose=0), atol=1e-5)
