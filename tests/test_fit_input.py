"""A model made for 32 × 32 input (LeNet on zero-padded MNIST) on 28 × 28 data (issue 19 §3):
refused with a hint, or padded / resized with --fit-input, and said in the notes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from reprviz_gui.core.data.fit_input import fit_images, spatial_mismatch
from reprviz_gui.core.data.types import Dataset
from reprviz_gui.core.errors import ShapeMismatchError


def _images(h=28, w=28, n=12, seed=0) -> Dataset:
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 256, (n, h, w), dtype=np.uint8)
    y = np.arange(n) % 3
    return Dataset("tiny", "image", x[:8], y[:8], x[8:], y[8:], ["a", "b", "c"], "test")


def test_pad_centres_the_images_with_zeros_and_adds_the_channel_axis():
    ds = _images()
    before = ds.x_test.copy()
    note = fit_images(ds, (32, 32, 1), "pad")
    assert ds.sample_shape == (32, 32, 1) and ds.x_train.shape == (8, 32, 32, 1)
    np.testing.assert_array_equal(ds.x_test[..., 0], np.pad(before, [(0, 0), (2, 2), (2, 2)]))
    assert "zero-padded" in note and note in ds.notes


def test_resize_keeps_the_aspect_and_pads_the_rest_with_zeros():
    from PIL import Image

    ds = _images(h=4, w=8)
    before = ds.x_test.copy()
    note = fit_images(ds, (16, 16), "resize")
    # 4x8 -> 8x16 (scale 2 on both axes), centred: 4 zero rows above and below
    want = np.stack([np.asarray(Image.fromarray(im).resize((16, 8), Image.Resampling.BILINEAR))
                     for im in before])
    np.testing.assert_array_equal(ds.x_test[:, 4:12], want)
    assert not ds.x_test[:, :4].any() and not ds.x_test[:, 12:].any()
    assert "aspect kept, the rest padded with zeros" in note


def test_resize_and_the_cases_it_leaves_alone():
    ds = _images()
    note = fit_images(ds, (32, 32), "resize")
    assert ds.sample_shape == (32, 32) and "resized" in note
    assert fit_images(_images(), (28, 28), "pad") is None  # fits already
    assert not spatial_mismatch((784,), (28, 28))  # a flat model: not an image size
    with pytest.raises(ShapeMismatchError, match="resize"):
        fit_images(_images(), (20, 20), "pad")  # padding cannot shrink


@pytest.fixture(scope="module")
def lenet32(tmp_path_factory):
    """A tiny LeNet-like model for 32×32×1 input, saved as a file."""
    from reprviz_gui.core.model.runtime import keras_module

    keras = keras_module()
    model = keras.Sequential([
        keras.Input((32, 32, 1)), keras.layers.Conv2D(2, 5, activation="relu", name="conv"),
        keras.layers.Flatten(name="flat"), keras.layers.Dense(10, activation="softmax",
                                                              name="out")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    path = tmp_path_factory.mktemp("lenet32") / "lenet32.keras"
    model.save(path)
    return path


def _analyze(tmp_path, model, **kw):
    from reprviz_gui.core.io.report import AnalyzeOptions, analyze

    return analyze(AnalyzeOptions(data="fashion-mnist-sample", model=str(model), epochs=0,
                                  samples=30, out=tmp_path, figures=False, history=False, **kw))


def test_a_32x32_model_on_28x28_data_is_refused_with_the_way_out(tmp_path, lenet32):
    with pytest.raises(ShapeMismatchError, match="--fit-input pad"):
        _analyze(tmp_path / "refused", lenet32)


@pytest.mark.parametrize("how", ["pad", "resize"])
def test_fit_input_feeds_the_model_its_own_size_and_says_so(tmp_path, lenet32, how):
    from reprviz_gui.core.data.sources import load_dataset

    report = _analyze(tmp_path / how, lenet32, fit_input=how, layer="conv")
    assert report["dataset"]["sample_shape"] == [32, 32, 1]
    assert any(("zero-padded" if how == "pad" else "resized") in n for n in report["notes"])
    assert report["layer"]["width"] == 28 * 28 * 2  # a 5×5 valid convolution of 32×32 inputs
    if how == "pad":
        # the first preview sample, padded here by hand, is what the model read: its conv
        # activations are the model's output on np.pad(image)
        from reprviz_gui.core.model.runtime import keras_module

        keras = keras_module()
        model = keras.models.load_model(lenet32)
        ds = load_dataset("fashion-mnist-sample")
        idx = report["samples_preview"][0]["index"]
        x = np.pad(ds.x_test[idx], 2)[None, ..., None].astype(np.float32) / 255
        conv = keras.Model(model.inputs, model.get_layer("conv").output)
        acts = np.load(tmp_path / how / "activations.npz")["activations"]
        np.testing.assert_allclose(acts[0], conv(x).numpy().reshape(-1), rtol=1e-4, atol=1e-5)


def test_the_window_pads_for_a_model_made_for_larger_images(qtbot, open_window, tmp_path):
    """Digits are 8×8; a Sequential made for 10×10×1 loads with a fit_input_pad layer in front
    (sharing its weights), the window says so, and the views show its layers."""
    from reprviz_gui.core.model.runtime import keras_module

    from gui_support import session

    keras = keras_module()
    model = keras.Sequential([
        keras.Input((10, 10, 1)), keras.layers.Conv2D(2, 3, activation="relu", name="conv"),
        keras.layers.Flatten(name="flat"), keras.layers.Dense(10, activation="softmax",
                                                              name="out")])
    path = tmp_path / "m10.keras"
    model.save(path)
    win = open_window()
    said = []
    win.controller.message.connect(said.append)
    win.controller.load_model(str(path))
    qtbot.waitUntil(lambda: session(win).file != "" and not session(win).building,
                    timeout=60_000)
    names = [l.name for l in win.controller.layers_of("A")]
    assert "fit_input_pad" in names and "conv" in names
    qtbot.waitUntil(lambda: any("zero-padded" in m for m in said), timeout=10_000)


def test_the_window_resizes_for_a_functional_model_made_for_another_size(qtbot, open_window,
                                                                         tmp_path):
    """Digits are 8×8; a functional model made for 16×16×1 loads nested behind a
    fit_input_resize layer (aspect kept), the window says so, and a layer inside it shows what
    the model computes on the images resized by Keras directly."""
    import numpy as np

    from reprviz_gui.core.model.runtime import keras_module

    from gui_support import layer_result, session

    keras = keras_module()
    inp = keras.Input((16, 16, 1))
    conv = keras.layers.Conv2D(3, 3, activation="relu", name="conv")(inp)
    out = keras.layers.Dense(10, activation="softmax", name="out")(
        keras.layers.GlobalAveragePooling2D(name="gap")(conv))
    model = keras.Model(inp, out, name="net16")
    path = tmp_path / "m16.keras"
    model.save(path)
    win = open_window()
    said = []
    win.controller.message.connect(said.append)
    win.controller.load_model(str(path))
    qtbot.waitUntil(lambda: session(win).file != "" and not session(win).building,
                    timeout=60_000)
    names = [l.name for l in win.controller.layers_of("A")]
    assert "fit_input_resize" in names and "net16/conv" in names
    qtbot.waitUntil(lambda: any("resized to it (aspect kept" in m for m in said),
                    timeout=10_000)
    win.controller.select_layer("net16/conv")
    qtbot.waitUntil(lambda: layer_result(win) is not None
                    and layer_result(win).layer_name == "net16/conv", timeout=60_000)
    c = win.controller
    x = c.dataset.inputs(c.dataset.x_test[c.samples.indices])[..., None]
    resized = keras.ops.image.resize(x, (16, 16), pad_to_aspect_ratio=True)
    want = np.asarray(keras.Model(model.inputs, model.get_layer("conv").output)(resized))
    np.testing.assert_allclose(layer_result(win).activations, want.reshape(len(want), -1),
                               atol=1e-5)  # 14x14x3 = 588 values: flattened by default
