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
