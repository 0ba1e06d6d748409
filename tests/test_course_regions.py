"""Important regions: back-projection against the product of the weight matrices, saliency
against finite differences of a numpy forward pass (logit and probability scores, binary and
CNN models), refusals and the texts the view shows."""

from __future__ import annotations

import numpy as np
import pytest

from reprviz_gui.core import model as M
from reprviz_gui.core.analysis import regions as R
from reprviz_gui.core.data.types import Dataset
from reprviz_gui.core.errors import Cancelled, ModelError, ShapeMismatchError
from reprviz_gui.core.model.runtime import keras_module


def _images(shape=(4, 4), n=24, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return Dataset("imgs", "image", rng.integers(0, 256, (n,) + shape, dtype=np.uint8),
                   rng.integers(0, classes, n), rng.integers(0, 256, (n,) + shape, dtype=np.uint8),
                   np.arange(n) % classes, [f"c{i}" for i in range(classes)], "test")


def _with_random_biases(model, seed=1):
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if layer.weights and getattr(layer, "bias", None) is not None:
            w, b = layer.get_weights()
            layer.set_weights([w, rng.normal(scale=0.5, size=b.shape).astype(np.float32)])
    return model


def _dense_weights(model):
    return [[a.astype(np.float64) for a in layer.get_weights()]
            for layer in model.layers if type(layer).__name__ == "Dense"]


def _random_output(model):
    """The multinomial preset starts from zero weights: give its output layer random ones."""
    out = model.get_layer("output")
    rng = np.random.default_rng(0)
    out.set_weights([rng.normal(size=v.shape).astype(np.float32) for v in out.get_weights()])
    return model


def _finite_difference(f, x, labels, eps=1e-5):
    """d f(x)[i, labels[i]] / d x[i] by central differences, per sample, in float64."""
    flat = x.reshape(len(x), -1).astype(np.float64)
    grads = np.zeros_like(flat)
    for j in range(flat.shape[1]):
        step = np.zeros(flat.shape[1])
        step[j] = eps
        up = f((flat + step).reshape(x.shape))[np.arange(len(x)), labels]
        down = f((flat - step).reshape(x.shape))[np.arange(len(x)), labels]
        grads[:, j] = (up - down) / (2 * eps)
    return grads.reshape(x.shape)


def _class_means(grads, labels, n_classes):
    return np.stack([grads[labels == c].mean(axis=0) for c in range(n_classes)])


# --- back-projection --------------------------------------------------------------------------
def test_backprojection_is_onehot_times_the_transposed_kernels():
    ds = _images(shape=(5, 4))
    model = _with_random_biases(M.build_model(M.ModelConfig(hidden=(6, 5), dropout=0.2), ds))
    (w1, _), (w2, _), (w3, _) = _dense_weights(model)
    k = R.class_backprojection(model, ds.sample_shape)
    assert k.dtype == np.float32 and k.shape == (3, 5, 4)
    for c in range(3):
        onehot = np.eye(3)[c]
        ref = (onehot @ w3.T @ w2.T @ w1.T).reshape(5, 4)  # as the hand-made network does it
        np.testing.assert_allclose(k[c], ref, atol=1e-5)
    # biases play no part
    _with_random_biases(model, seed=9)
    np.testing.assert_array_equal(R.class_backprojection(model), k)


def test_backprojection_of_a_multinomial_model_is_its_weight_images():
    ds = _images(shape=(4, 4, 1))
    model = _random_output(M.build_model(M.default_config("multinomial"), ds))
    (w, _), = _dense_weights(model)
    k = R.class_backprojection(model, ds.sample_shape)
    assert k.shape == (3, 4, 4)  # the single channel is dropped
    np.testing.assert_allclose(k, w.T.reshape(3, 4, 4), atol=1e-6)


def test_one_sigmoid_unit_gives_two_opposite_maps():
    keras = keras_module()
    model = keras.Sequential([keras.Input((3, 3)), keras.layers.Flatten(),
                              keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    (w1, _), (w2, _) = _dense_weights(model)
    k = R.class_backprojection(model)
    assert k.shape == (2, 3, 3)
    np.testing.assert_allclose(k[1], (w1 @ w2)[:, 0].reshape(3, 3), atol=1e-6)
    np.testing.assert_array_equal(k[0], -k[1])


def test_backprojection_refuses_layers_it_cannot_multiply_through():
    ds = _images(shape=(12, 12))
    with pytest.raises(ModelError, match=r"only of Dense layers.*this one has Conv2D \('conv_1'\)"):
        R.class_backprojection(M.build_model(M.default_config("lenet"), ds))
    rng = np.random.default_rng(0)
    x = rng.integers(1, 30, (20, 9)).astype(np.int32)
    text = Dataset("t", "sequence", x, rng.integers(0, 2, 20), x, rng.integers(0, 2, 20),
                   ["n", "p"], "test")
    with pytest.raises(ModelError, match="Embedding"):
        R.class_backprojection(M.build_model(M.default_config("bilstm"), text))
    keras = keras_module()
    per_row = keras.Sequential([keras.Input((4, 5)), keras.layers.Dense(3, name="per_row"),
                                keras.layers.Flatten(), keras.layers.Dense(2)])
    with pytest.raises(ModelError, match="per_row.*reads 5 values"):
        R.class_backprojection(per_row)
    inp = keras.Input((4, 4))
    flat = keras.layers.Flatten()(inp)
    branched = keras.Model(inp, keras.layers.Add()([keras.layers.Dense(2)(flat),
                                                    keras.layers.Dense(2)(flat)]))
    with pytest.raises(ModelError, match="one chain"):
        R.class_backprojection(branched)


# --- saliency ---------------------------------------------------------------------------------
def test_saliency_is_the_class_mean_gradient_of_the_logit():
    ds = _images(shape=(4, 4), n=30)
    model = _with_random_biases(M.build_model(M.ModelConfig(hidden=(6, 5), activation="tanh",
                                                            dropout=0.3), ds))
    (w1, b1), (w2, b2), (w3, b3) = _dense_weights(model)

    def logits(x):
        h = np.tanh(x.reshape(len(x), -1) @ w1 + b1)
        return np.tanh(h @ w2 + b2) @ w3 + b3

    x = ds.inputs(ds.x_test)
    labels = ds.y_test
    events = []
    sal = R.class_saliency(model, x, labels, 3, batch_size=7, on_progress=events.append)
    assert sal.score == "logit" and sal.score in R.SCORE_DESCRIPTIONS
    assert sal.maps.shape == (3, 4, 4) and sal.maps.dtype == np.float32
    np.testing.assert_array_equal(sal.counts, np.bincount(labels, minlength=3))
    grads = _finite_difference(logits, x, labels)
    np.testing.assert_allclose(sal.maps, _class_means(grads, labels, 3), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(sal.abs_maps, _class_means(np.abs(grads), labels, 3),
                               rtol=1e-4, atol=1e-5)
    assert [e.details["batch"] for e in events] == [1, 2, 3, 4, 5]
    assert all(e.stage == "saliency" for e in events) and events[-1].fraction == 1.0


def test_saliency_falls_back_to_the_probability_when_the_logit_is_out_of_reach():
    """A model nested in another: its output layer cannot be read from the outer input, so the
    softmax output itself is differentiated (and the result says so)."""
    keras = keras_module()
    inner = keras.Sequential([keras.Input((9,)), keras.layers.Dense(4, activation="tanh"),
                              keras.layers.Dense(3, activation="softmax")])
    model = keras.Sequential([keras.Input((3, 3)), keras.layers.Flatten(), inner])
    _with_random_biases(inner)
    (w1, b1), (w2, b2) = [[a.astype(np.float64) for a in layer.get_weights()]
                          for layer in inner.layers]

    def probabilities(x):
        z = np.tanh(x.reshape(len(x), -1) @ w1 + b1) @ w2 + b2
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    rng = np.random.default_rng(3)
    x = rng.random((12, 3, 3)).astype(np.float32)
    labels = np.array([0, 1, 2] * 3 + [0, 0, 1])
    sal = R.class_saliency(model, x, labels, 3)
    assert sal.score == "probability"
    grads = _finite_difference(probabilities, x, labels)
    np.testing.assert_allclose(sal.maps, _class_means(grads, labels, 3), rtol=1e-4, atol=1e-6)


def test_binary_saliency_uses_the_logit_and_its_negative():
    keras = keras_module()
    model = keras.Sequential([keras.Input((3, 3)), keras.layers.Flatten(),
                              keras.layers.Dense(4, activation="tanh"),
                              keras.layers.Dense(1, activation="sigmoid")])
    _with_random_biases(model)
    (w1, b1), (w2, b2) = _dense_weights(model)

    def scores(x):
        z = (np.tanh(x.reshape(len(x), -1) @ w1 + b1) @ w2 + b2)[:, 0]
        return np.stack([-z, z], axis=1)

    rng = np.random.default_rng(4)
    x = rng.random((10, 3, 3)).astype(np.float32)
    labels = np.array([0, 1] * 5)
    sal = R.class_saliency(model, x, labels, 2)
    assert sal.score == "logit" and sal.maps.shape == (2, 3, 3)
    np.testing.assert_allclose(sal.maps, _class_means(_finite_difference(scores, x, labels),
                                                      labels, 2), rtol=1e-4, atol=1e-6)


def test_cnn_saliency_matches_finite_differences_of_its_logits():
    """The reference is a float64 copy of the CNN whose output layer is made linear (so it
    gives the logits), differentiated by central differences."""
    keras = keras_module()
    ds = _images(shape=(8, 8), n=9)
    cfg = M.ModelConfig(preset="lenet", hidden=(10,), activation="tanh")
    model = _with_random_biases(M.build_model(cfg, ds))

    def as_float64(layer):
        config = dict(layer.get_config(), dtype="float64")
        if layer.name == "output":
            config["activation"] = "linear"
        return type(layer).from_config(config)

    twin = keras.models.clone_model(model, input_tensors=keras.Input((8, 8), dtype="float64"),
                                    clone_function=as_float64)
    twin.set_weights([w.astype(np.float64) for w in model.get_weights()])

    def logits(x):
        return np.asarray(twin(x.astype(np.float64), training=False), dtype=np.float64)

    x = ds.inputs(ds.x_test)
    labels = ds.y_test
    sal = R.class_saliency(model, x, labels, 3)
    assert sal.score == "logit" and sal.maps.shape == (3, 8, 8)
    ref = _class_means(_finite_difference(logits, x, labels, eps=1e-6), labels, 3)
    assert np.abs(ref).max() > 1e-2  # the maps are not trivially zero
    np.testing.assert_allclose(sal.maps, ref, rtol=1e-3, atol=1e-5)


def test_saliency_refusals_and_cancel():
    ds = _images()
    model = _random_output(M.build_model(M.default_config("multinomial"), ds))
    x = ds.inputs(ds.x_test)
    with pytest.raises(ShapeMismatchError, match="3 output units but the data has 4 classes"):
        R.class_saliency(model, x, ds.y_test, 4)
    with pytest.raises(ShapeMismatchError, match="24 samples but 3 labels"):
        R.class_saliency(model, x, ds.y_test[:3], 3)
    with pytest.raises(Cancelled):
        R.class_saliency(model, x, ds.y_test, 3, should_stop=lambda: True)
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, 30, (20, 9)).astype(np.int32)
    text = Dataset("t", "sequence", tokens, rng.integers(0, 2, 20), tokens,
                   rng.integers(0, 2, 20), ["n", "p"], "test")
    with pytest.raises(ModelError, match="token ids"):
        R.class_saliency(M.build_model(M.default_config("bilstm"), text), tokens, text.y_test, 2)
    # a class without samples gets an all-zero map and a zero count
    sal = R.class_saliency(model, x[ds.y_test != 2], ds.y_test[ds.y_test != 2], 3)
    assert sal.counts[2] == 0 and not sal.maps[2].any() and sal.maps[0].any()


def test_the_view_gets_plain_language_descriptions():
    assert set(R.REGION_DESCRIPTIONS) == {"backprojection", "saliency", "difference"}
    assert "gradient" in R.REGION_DESCRIPTIONS["saliency"]
    assert "Dense" in R.REGION_DESCRIPTIONS["backprojection"]
    assert set(R.SCORE_DESCRIPTIONS) == {"logit", "probability"}
