"""Weights as images: the diverging colours against matplotlib's PRGn, each image against the
kernel entry it shows, filters of a CNN, refusals, and (slow) recognisable class templates of a
multinomial model trained on the bundled Fashion-MNIST sample."""

from __future__ import annotations

import numpy as np
import pytest

from reprviz_gui.core import model as M
from reprviz_gui.core.analysis.weights import WeightImages, diverging_rgb, first_layer_weights
from reprviz_gui.core.data.types import Dataset
from reprviz_gui.core.errors import ModelError


def _images(shape=(6, 5), n=30, classes=3):
    rng = np.random.default_rng(0)
    return Dataset("imgs", "image", rng.integers(0, 256, (n,) + shape, dtype=np.uint8),
                   rng.integers(0, classes, n), rng.integers(0, 256, (n,) + shape, dtype=np.uint8),
                   rng.integers(0, classes, n), ["cat", "dog", "eel"][:classes], "test")


# --- colours ----------------------------------------------------------------------------------
def test_diverging_rgb_is_white_at_zero_green_up_purple_down():
    rgb = diverging_rgb(np.array([-2.0, -1.0, 0.0, 1.0, 2.0, np.nan]), limit=1.0)
    assert rgb.dtype == np.uint8 and rgb.shape == (6, 3)
    assert rgb[2].tolist() == [255, 255, 255] and rgb[5].tolist() == [255, 255, 255]
    assert rgb[3].tolist() == [0, 68, 27] == rgb[4].tolist()  # darkest green, clipped beyond
    assert rgb[1].tolist() == [64, 0, 75] == rgb[0].tolist()  # darkest purple
    t = np.linspace(0.05, 1, 20)
    up, down = diverging_rgb(t, 1.0).astype(int), diverging_rgb(-t, 1.0).astype(int)
    assert np.all(up[:, 1] > up[:, 0]) and np.all(up[:, 1] > up[:, 2])  # green dominates
    assert np.all(down[:, 1] < down[:, 0]) and np.all(down[:, 1] < down[:, 2])  # purple
    # darker the further from zero, equally on both sides
    assert np.all(np.diff(up.sum(1)) < 0) and np.all(np.diff(down.sum(1)) < 0)
    # default limit: the largest |value|; a zero limit is all white
    np.testing.assert_array_equal(diverging_rgb(np.array([0.5, -4.0])),
                                  diverging_rgb(np.array([0.5, -4.0]), 4.0))
    assert (diverging_rgb(np.zeros((2, 2))) == 255).all()


def test_diverging_rgb_matches_matplotlibs_prgn_away_from_the_white_middle():
    import matplotlib

    cmap = matplotlib.colormaps["PRGn"].resampled(100001)
    t = np.concatenate([np.linspace(-1, -0.2, 50), np.linspace(0.2, 1, 50)])
    ours = diverging_rgb(t * 3.0, limit=3.0).astype(int)
    ref = np.rint(cmap((t + 1) / 2)[:, :3] * 255).astype(int)
    assert np.abs(ours - ref).max() <= 1


# --- dense and multinomial --------------------------------------------------------------------
def test_dense_first_layer_images_are_the_kernel_columns_laid_out_as_pixels():
    ds = _images()
    model = M.build_model(M.ModelConfig(hidden=(7, 4)), ds, seed=3)
    w, b = model.get_layer("hidden_1").get_weights()
    model.get_layer("hidden_1").set_weights([w, np.arange(7, dtype=np.float32)])
    wi = first_layer_weights(model, ds.sample_shape, ds.class_names)
    assert isinstance(wi, WeightImages)
    assert (wi.layer_name, wi.layer_type, wi.per_class, wi.rgb) == ("hidden_1", "Dense", False,
                                                                    False)
    assert wi.images.shape == (7, 6, 5) and wi.images.dtype == np.float32
    assert wi.labels == [f"unit {i}" for i in range(7)]
    for u in range(7):
        for r in range(6):
            for c in range(5):  # Flatten is row-major: pixel (r, c) is input r * 5 + c
                assert wi.images[u, r, c] == w[r * 5 + c, u]
        assert wi.norms[u] == pytest.approx(np.sqrt(np.sum(w[:, u].astype(np.float64) ** 2)))
        assert (wi.minima[u], wi.maxima[u]) == (w[:, u].min(), w[:, u].max())
    assert wi.symmetric_limit == pytest.approx(np.abs(w).max())
    np.testing.assert_array_equal(wi.biases, np.arange(7))

    ordered = wi.order_by_norm()
    assert np.all(np.diff(ordered.norms) <= 0)
    for i, u in enumerate(ordered.units):
        np.testing.assert_array_equal(ordered.images[i], wi.images[u])
        assert ordered.labels[i] == f"unit {u}" and ordered.biases[i] == u
    assert sorted(ordered.units.tolist()) == list(range(7))
    assert np.all(np.diff(wi.order_by_norm(descending=False).norms) >= 0)

    colours = wi.colour_images(per_image=False)
    assert colours.shape == (7, 6, 5, 3) and colours.dtype == np.uint8
    np.testing.assert_array_equal(colours, diverging_rgb(wi.images, wi.symmetric_limit))
    own = wi.colour_images(per_image=True)
    # the default is the course's: each image on its own largest |weight|
    np.testing.assert_array_equal(wi.colour_images(), own)
    for k in range(7):
        np.testing.assert_array_equal(own[k], diverging_rgb(wi.images[k],
                                                            np.abs(wi.images[k]).max()))
    strongest = np.unravel_index(np.argmax(np.abs(wi.images[0])), (6, 5))
    assert own[0][strongest].tolist() in ([0, 68, 27], [64, 0, 75])


def test_multinomial_gives_one_image_per_class_named_by_the_class():
    ds = _images()
    model = M.build_model(M.default_config("multinomial"), ds, seed=0)
    wi = first_layer_weights(model, ds.sample_shape, ds.class_names)
    assert wi.per_class and wi.labels == ["cat", "dog", "eel"] and wi.layer_name == "output"
    w = model.get_layer("output").get_weights()[0]
    np.testing.assert_array_equal(wi.images, w.T.reshape(3, 6, 5))
    # without class names the classes are numbered
    assert first_layer_weights(model).labels == ["class 0", "class 1", "class 2"]


def test_colour_input_gives_colour_images():
    ds = _images(shape=(4, 4, 3))
    model = M.build_model(M.ModelConfig(hidden=(5,)), ds)
    wi = first_layer_weights(model, ds.sample_shape)
    w = model.get_layer("hidden_1").get_weights()[0]
    assert wi.rgb and wi.images.shape == (5, 4, 4, 3)
    assert wi.images[2, 1, 3, 0] == w[(1 * 4 + 3) * 3 + 0, 2]
    assert wi.images[2, 3, 0, 2] == w[(3 * 4 + 0) * 3 + 2, 2]
    colours = wi.colour_images(limit=1e9)
    assert np.all(np.abs(colours.astype(int) - 128) <= 1)  # tiny weights on a huge scale: grey


# --- CNN filters ------------------------------------------------------------------------------
def test_lenet_shows_the_first_convolutions_filters():
    ds = _images(shape=(12, 12))
    model = M.build_model(M.default_config("lenet"), ds)
    wi = first_layer_weights(model, ds.sample_shape, ds.class_names)
    k = model.get_layer("conv_1").get_weights()[0]  # (5, 5, 1, 6)
    assert (wi.layer_name, wi.layer_type, wi.rgb, wi.per_class) == ("conv_1", "Conv2D", False,
                                                                    False)
    assert wi.images.shape == (6, 5, 5) and wi.labels[5] == "filter 5"
    for f in range(6):
        np.testing.assert_array_equal(wi.images[f], k[:, :, 0, f])


def test_lenet_on_colour_images_shows_rgb_filters():
    ds = _images(shape=(8, 8, 3))
    model = M.build_model(M.default_config("lenet"), ds)
    wi = first_layer_weights(model, ds.sample_shape)
    k = model.get_layer("conv_1").get_weights()[0]  # (5, 5, 3, 6)
    assert wi.rgb and wi.images.shape == (6, 5, 5, 3)
    np.testing.assert_array_equal(wi.images[4], k[:, :, :, 4])


# --- refusals ---------------------------------------------------------------------------------
def test_models_that_do_not_start_with_image_weights_are_refused_in_one_line():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 30, (20, 9)).astype(np.int32)
    text = Dataset("t", "sequence", x, rng.integers(0, 2, 20), x, rng.integers(0, 2, 20),
                   ["n", "p"], "test")
    with pytest.raises(ModelError, match="first layer with weights is Dense or Conv2D.*Embedding"):
        first_layer_weights(M.build_model(M.default_config("bilstm"), text))
    vec = Dataset("v", "vector", rng.normal(size=(20, 12)).astype(np.float32),
                  rng.integers(0, 2, 20), rng.normal(size=(20, 12)).astype(np.float32),
                  rng.integers(0, 2, 20), ["a", "b"], "test")
    model = M.build_model(M.default_config("dense"), vec)
    with pytest.raises(ModelError, match="vectors of 12 values"):
        first_layer_weights(model, vec.sample_shape)
    # the same weights do make images once the caller says the vectors are 3x4 images
    assert first_layer_weights(model, (3, 4)).images.shape == (256, 3, 4)
    with pytest.raises(ModelError, match="reads 12 values.*not the 20"):
        first_layer_weights(model, (4, 5))


# --- slow: recognisable templates -------------------------------------------------------------
@pytest.mark.slow
def test_multinomial_weights_on_fashion_look_like_their_classes():
    """Each class's weight image correlates most with its own class's mean image (centred on
    the mean of all images). Measured: 9 of 10 classes for seeds 0 and 1 (Sandal's looks more
    like Ankle boot's); with each mean image centred on itself instead, 10 of 10."""
    from reprviz_gui.core.data.sources import load_dataset
    from reprviz_gui.core.model import training as T

    ds = load_dataset("fashion-mnist-sample")
    model = M.build_model(M.default_config("multinomial"), ds, seed=0)
    T.train(model, ds, T.TrainConfig(epochs=10, seed=0))
    wi = first_layer_weights(model, ds.sample_shape, ds.class_names)
    assert wi.per_class and wi.labels == ds.class_names and wi.images.shape == (10, 28, 28)

    x = ds.inputs(ds.x_train).reshape(len(ds.x_train), -1).astype(np.float64)
    means = np.stack([x[ds.y_train == c].mean(axis=0) for c in range(10)])

    def matches(centred):
        w = wi.images.reshape(10, -1).astype(np.float64)
        w = w - w.mean(axis=1, keepdims=True)
        m = centred - centred.mean(axis=1, keepdims=True)
        corr = (w / np.linalg.norm(w, axis=1, keepdims=True)) @ \
            (m / np.linalg.norm(m, axis=1, keepdims=True)).T
        return int(np.sum(corr.argmax(axis=1) == np.arange(10)))

    assert matches(means - x.mean(axis=0)) >= 8
    assert matches(means) >= 9
