"""Grad-CAM for convolutional models in *Your input* (issue 16 §2): the core function against
the Keras-tutorial computation with its own tf.GradientTape, the probe's choice of method, and
what ``analyze --input`` reports."""

from __future__ import annotations

import numpy as np
import pytest

from reprviz_gui.core.analysis import own_input as oi
from reprviz_gui.core.analysis.gradcam import grad_cam, last_conv_layer
from reprviz_gui.core.data.sources import load_dataset


@pytest.fixture(scope="module")
def cnn():
    """digits and a LeNet-like tiny CNN (two 3x3 convolutions, softmax), 2 epochs."""
    from reprviz_gui.core.model.runtime import keras_module, set_seed

    keras = keras_module()
    set_seed(0)
    ds = load_dataset("digits")
    x = ds.inputs(ds.x_train[:400])
    model = keras.Sequential([keras.Input(x.shape[1:]),
                              keras.layers.Reshape((8, 8, 1)),
                              keras.layers.Conv2D(6, 3, activation="relu", name="conv_1"),
                              keras.layers.Conv2D(8, 3, activation="relu", name="conv_2"),
                              keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax", name="output")])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, ds.y_train[:400], epochs=2, batch_size=32, verbose=0)
    return ds, model


def _reference(model, x, cls):
    """Grad-CAM as the Keras tutorial writes it: one model giving the last convolution's maps
    and the output layer's input; the logit is that input times the kernel plus bias."""
    import tensorflow as tf
    from reprviz_gui.core.model.runtime import keras_module

    keras = keras_module()
    out = model.get_layer("output")
    both = keras.Model(model.inputs, [model.get_layer("conv_2").output, out.input])
    with tf.GradientTape() as tape:
        maps, features = both(tf.convert_to_tensor(x, tf.float32))
        logit = (tf.matmul(features, out.kernel) + out.bias)[0, cls]
    grads = tape.gradient(logit, maps).numpy()[0]  # (h, w, channels)
    maps = maps.numpy()[0]
    cam = np.maximum((maps * grads.mean(axis=(0, 1))).sum(axis=-1), 0)
    return cam


def test_grad_cam_matches_a_direct_gradient_tape_computation(cnn):
    import tensorflow as tf

    ds, model = cnn
    assert last_conv_layer(model).name == "conv_2"
    for i in (0, 7):
        x = ds.inputs(ds.x_test[i:i + 1])
        cls = int(np.argmax(model.predict(x, verbose=0)[0]))
        got = grad_cam(model, x, cls, (8, 8))
        assert got.layer == "conv_2" and got.score == "logit" and got.map.shape == (8, 8)
        ref = _reference(model, x, cls)  # (4, 4): the convolution's own grid
        assert ref.shape == (4, 4) and ref.max() > 0
        up = tf.image.resize(ref[None, :, :, None], (8, 8), method="bilinear").numpy()[0, :, :, 0]
        np.testing.assert_allclose(got.map, up, rtol=1e-4, atol=1e-6 * ref.max())


def test_probe_uses_the_method_asked_and_says_which(cnn):
    ds, model = cnn
    acts = np.asarray(ds.inputs(ds.x_test[:50])).reshape(50, -1)
    from reprviz_gui.core.analysis.projection import project

    coords = project(acts, "pca", seed=0).coords
    common = (ds, model, "input", acts, coords, "pca")
    img = ds.x_test[3]
    cam = oi.probe_input(*common, image=img, saliency="grad-cam")
    grad = oi.probe_input(*common, image=img, saliency="gradient")
    auto = oi.probe_input(*common, image=img, saliency="auto")
    assert cam.saliency_method == "grad-cam:conv_2" == auto.saliency_method
    assert grad.saliency_method == "gradient"
    assert cam.to_json()["saliency"] == {"method": "grad-cam", "score": "logit",
                                         "layer": "conv_2"}
    assert grad.to_json()["saliency"]["method"] == "gradient"
    np.testing.assert_allclose(auto.saliency, cam.saliency)
    assert cam.saliency.min() >= 0 and not np.allclose(cam.saliency, grad.saliency)
    with pytest.raises(Exception, match="Unknown saliency"):
        oi.probe_input(*common, image=img, saliency="occlusion")


def test_grad_cam_asked_of_a_dense_model_falls_back_and_says_so():
    from reprviz_gui.core.model.runtime import keras_module

    keras = keras_module()
    ds = load_dataset("digits")
    x = ds.inputs(ds.x_train[:5])
    model = keras.Sequential([keras.Input(x.shape[1:]), keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    acts = np.asarray(x).reshape(5, -1)
    probe = oi.probe_input(ds, model, "input", acts, None, "pca", image=ds.x_train[0],
                           saliency="grad-cam")
    assert last_conv_layer(model) is None
    assert probe.saliency_method == "gradient" and "Grad-CAM needs" in probe.notes[0]


@pytest.mark.slow  # LeNet trained in the window: ~45 s on 2 shared cores
def test_the_view_switches_between_gradient_and_grad_cam(qtbot):
    """The window on digits with the LeNet preset (2 epochs): a sample picked with a click, then
    the saliency box set to Grad-CAM; the map shown is core's grad_cam of that picture, and
    back on Gradient the plain input gradient comes back."""
    from gui_support import click, open_main_window, session

    from reprviz_gui.workspace import handles

    win = open_main_window(qtbot, preset="lenet", model_params={}, epochs=2, n_samples=100)
    click(qtbot, win.sidebar.train_button)
    qtbot.waitUntil(lambda: session(win).trained_epochs == 2 and not session(win).training,
                    timeout=120_000)
    dock = win.docks["own_input"]
    dock.show()
    dock.raise_()
    view = win.view("own_input")
    qtbot.waitUntil(lambda: view.saliency_box.isVisible(), timeout=5000)

    def shows(method: str) -> bool:
        r = view._shown
        return (r is not None and r.probe is not None and not view._in_flight
                and view._pending is None and r.probe.saliency_method.startswith(method))

    view.index_box.setValue(4)
    click(qtbot, view.pick_button)
    qtbot.waitUntil(lambda: shows("gradient"), timeout=60_000)
    gradient = view.displayed()["saliency"]
    view.saliency_box.setCurrentText("Grad-CAM")
    assert view.options.saliency == "Grad-CAM"
    qtbot.waitUntil(lambda: shows("grad-cam"), timeout=60_000)
    shown = view.displayed()
    ds = win.controller.dataset
    model = handles.resolve(session(win).handle)
    top = ds.class_names.index(shown["top"])
    cam = grad_cam(model, ds.inputs(ds.x_train[4][None]), top, (8, 8))
    assert shown["saliency_method"] == f"grad-cam:{cam.layer}"
    np.testing.assert_allclose(shown["saliency"], cam.map, rtol=1e-4, atol=1e-6)
    assert "Grad-CAM" in view.sal_plot.titleLabel.text
    view.saliency_box.setCurrentText("Gradient")
    qtbot.waitUntil(lambda: shows("gradient"), timeout=60_000)
    np.testing.assert_allclose(view.displayed()["saliency"], gradient)


def test_analyze_input_on_lenet_reports_grad_cam(tmp_path):
    import json

    from PIL import Image

    from reprviz_gui.cli import main

    img = np.zeros((16, 16), np.uint8)
    img[2:14, 7:10] = 255  # a vertical bar, twice the data's size
    Image.fromarray(img).save(tmp_path / "bar.png")
    out = tmp_path / "out"
    assert main(["analyze", "--data", "digits", "--model", "lenet", "--epochs", "1",
                 "--samples", "100", "--out", str(out), "--no-figures", "--no-history",
                 "--no-measures", "--input", str(tmp_path / "bar.png")]) == 0
    entry = json.loads((out / "report.json").read_text())["inputs"][0]
    assert entry["saliency"]["method"] == "grad-cam", entry
    assert entry["saliency"]["layer"].startswith("conv")
