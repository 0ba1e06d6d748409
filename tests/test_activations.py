"""Sample choice, one-pass layer extraction against numpy references, raw projection, cache."""

from __future__ import annotations

import numpy as np
import pytest

from reprviz_gui.core.data import samples as S
from reprviz_gui.core.model import extraction as A
from reprviz_gui.core import model as M
from reprviz_gui.core.data.types import Dataset
from reprviz_gui.core.errors import Cancelled, ModelError, ShapeMismatchError, UnknownLayerError


def _images(n=120, shape=(12, 12), classes=4, seed=0):
    rng = np.random.default_rng(seed)
    return Dataset("imgs", "image", rng.integers(0, 256, (n,) + shape, dtype=np.uint8),
                   rng.integers(0, classes, n), rng.integers(0, 256, (n,) + shape, dtype=np.uint8),
                   rng.integers(0, classes, n), [f"c{i}" for i in range(classes)], "test")


@pytest.fixture(scope="module")
def mlp():
    """A 2-hidden-layer ReLU MLP on 12x12 images, with non-zero biases."""
    ds = _images()
    model = M.build_model(M.ModelConfig(hidden=(16, 8)), ds, seed=1)
    rng = np.random.default_rng(5)
    for name in ("hidden_1", "hidden_2", "output"):
        layer = model.get_layer(name)
        w, b = layer.get_weights()
        layer.set_weights([w, rng.normal(scale=0.3, size=b.shape).astype(np.float32)])
    return model, ds


def _relu(a):
    return np.maximum(a, 0.0)


def _softmax(a):
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# --- select_samples ---------------------------------------------------------------------------
def test_select_samples_is_stratified_and_sorted_by_class_then_index():
    rng = np.random.default_rng(0)
    labels = rng.choice(5, size=2000, p=[0.4, 0.3, 0.2, 0.09, 0.01])
    idx = S.select_samples(labels, n=500, seed=3)
    assert len(idx) == 500 and len(np.unique(idx)) == 500
    keys = list(zip(labels[idx], idx))
    assert keys == sorted(keys)
    counts = np.bincount(labels[idx], minlength=5)
    expected = np.bincount(labels, minlength=5) * 500 / 2000
    assert np.all(np.abs(counts - expected) <= 1.0)
    np.testing.assert_array_equal(idx, S.select_samples(labels, n=500, seed=3))
    assert not np.array_equal(idx, S.select_samples(labels, n=500, seed=4))


def test_select_samples_keeps_every_class_and_all_rows_when_n_is_large():
    labels = np.array([2] * 50 + [0] * 30 + [1] * 1)
    idx = S.select_samples(labels, n=10)
    assert set(labels[idx]) == {0, 1, 2} and len(idx) == 10
    every = S.select_samples(labels, n=1000)
    assert len(every) == len(labels)
    assert list(labels[every]) == sorted(labels)
    assert list(every[:30]) == list(range(50, 80))  # class 0 first, in index order
    assert len(S.select_samples(np.array([], dtype=int), n=5)) == 0
    fewer = S.select_samples(np.arange(10) % 5, n=3)  # fewer rows than classes
    assert len(fewer) == 3 and len(set((np.arange(10) % 5)[fewer])) == 3


# --- layers -----------------------------------------------------------------------------------
def test_resolve_layer_by_name_and_index(mlp):
    model, _ = mlp
    assert A.resolve_layer(model, "hidden_2") == "hidden_2"
    assert A.resolve_layer(model, 1) == "hidden_1"
    assert A.resolve_layer(model, "1") == "hidden_1"
    assert A.resolve_layer(model, -1) == "output"
    with pytest.raises(UnknownLayerError, match="flatten, hidden_1, hidden_2, output"):
        A.resolve_layer(model, "hidden_9")
    with pytest.raises(UnknownLayerError, match="out of range"):
        A.resolve_layer(model, "7")


def test_extracted_dense_layers_equal_a_numpy_forward_pass(mlp):
    model, ds = mlp
    x = ds.inputs(ds.x_test[:100])
    out = A.extract_layers(model, x, ["flatten", "hidden_1", "hidden_2", "output"], batch_size=32)
    w1, b1 = model.get_layer("hidden_1").get_weights()
    w2, b2 = model.get_layer("hidden_2").get_weights()
    w3, b3 = model.get_layer("output").get_weights()
    flat = x.reshape(len(x), -1).astype(np.float64)
    h1 = _relu(flat @ w1 + b1)
    h2 = _relu(h1 @ w2 + b2)
    y = _softmax(h2 @ w3 + b3)
    for key, ref in [("flatten", flat), ("hidden_1", h1), ("hidden_2", h2), ("output", y)]:
        assert out[key].dtype == np.float32
        assert out[key].shape == ref.shape
        np.testing.assert_allclose(out[key], ref, atol=1e-5, err_msg=key)
    assert (h2 == 0).any() and (h2 > 0).any()  # the ReLU actually clips something


def test_raw_projection_is_input_times_kernel(mlp):
    model, ds = mlp
    x = ds.inputs(ds.x_test[:50])
    out = A.extract_layers(model, x, ["hidden_2"], inputs_of=["hidden_2", "hidden_1"])
    assert set(out) == {"hidden_2", "hidden_2/input", "hidden_1/input"}
    w2, b2 = model.get_layer("hidden_2").get_weights()
    w1, b1 = model.get_layer("hidden_1").get_weights()
    h1 = _relu(x.reshape(50, -1).astype(np.float64) @ w1 + b1)
    np.testing.assert_allclose(out["hidden_2/input"], h1, atol=1e-5)
    raw = A.raw_projection(model, "hidden_2", out["hidden_2/input"])
    assert raw.dtype == np.float32 and raw.shape == (50, 8)
    np.testing.assert_allclose(raw, out["hidden_2/input"].astype(np.float64) @ w2, atol=1e-5)
    # and it really is the pre-bias, pre-ReLU value: adding b and clipping gives the output
    np.testing.assert_allclose(_relu(raw + b2), out["hidden_2"], atol=1e-5)
    assert np.abs(b2).max() > 0 and (raw < 0).any()


def test_raw_projection_refuses_non_dense_and_bad_shapes(mlp):
    model, _ = mlp
    with pytest.raises(ModelError, match="Dense"):
        A.raw_projection(model, "flatten", np.zeros((2, 144), np.float32))
    with pytest.raises(ShapeMismatchError, match="144 inputs"):
        A.raw_projection(model, "hidden_1", np.zeros((2, 10), np.float32))


def test_one_pass_returns_all_layers_and_reuses_the_extractor(mlp):
    model, ds = mlp
    x = ds.inputs(ds.x_test[:70])
    names = ["flatten", "hidden_1", "hidden_2", "output"]
    events = []
    out = A.extract_layers(model, x, names, batch_size=32, on_progress=events.append)
    assert list(out) == names
    assert [o.shape for o in out.values()] == [(70, 144), (70, 16), (70, 8), (70, 4)]
    assert [e.details["batch"] for e in events] == [1, 2, 3]
    assert events[-1].fraction == 1.0 and all(e.stage == "extract" for e in events)
    keys = tuple((n, "output") for n in names)
    first = A._extractor(model, keys)
    assert A._extractor(model, keys) is first  # cached: no rebuild, no retrace
    assert len(first.outputs) == 4  # one model, one forward pass for all four layers
    again = A.extract_layers(model, x, names, batch_size=32)
    for name in names:
        np.testing.assert_array_equal(again[name], out[name])


def test_unknown_layer_lists_valid_names(mlp):
    model, ds = mlp
    with pytest.raises(UnknownLayerError) as err:
        A.extract_layers(model, ds.inputs(ds.x_test[:4]), ["hidden_1", "conv_9"])
    assert "'conv_9'" in str(err.value) and "hidden_1, hidden_2, output" in str(err.value)


def test_wrong_input_shape_is_a_shape_mismatch(mlp):
    model, _ = mlp
    with pytest.raises(ShapeMismatchError, match=r"\(12, 12\).*\(10, 10\)"):
        A.extract_layers(model, np.zeros((3, 10, 10), np.float32), ["hidden_1"])


def test_cancel_mid_extraction_raises_cancelled(mlp):
    model, ds = mlp
    x = ds.inputs(ds.x_test[:100])
    events = []
    stop_after = 2

    def should_stop():
        return len(events) >= stop_after

    with pytest.raises(Cancelled):
        A.extract_layers(model, x, ["hidden_1"], batch_size=10, on_progress=events.append,
                         should_stop=should_stop)
    assert len(events) == stop_after  # stopped at the next batch boundary, not at the end


def test_conv_extraction_shapes_and_dropout_off():
    ds = _images(n=40, shape=(16, 16), classes=3)
    model = M.build_model(M.default_config("lenet"), ds)
    x = ds.inputs(ds.x_test[:40])
    names = ["reshape", "conv_1", "pool_1", "conv_2", "pool_2", "flatten", "hidden_1",
             "dropout_1", "hidden_2", "output"]
    out = A.extract_layers(model, x, names, batch_size=16)
    assert out["reshape"].shape == (40, 256)
    assert out["conv_1"].shape == (40, 16 * 16 * 6)
    assert out["pool_2"].shape == (40, 4 * 4 * 16)
    assert out["flatten"].shape == (40, 256)
    np.testing.assert_array_equal(out["pool_2"], out["flatten"])
    np.testing.assert_array_equal(out["dropout_1"], out["hidden_1"])  # inference: no dropout
    np.testing.assert_allclose(out["output"].sum(axis=1), 1.0, atol=1e-5)
    # conv_1 by hand at one position: relu(sum(patch * kernel) + bias)
    k, b = model.get_layer("conv_1").get_weights()
    img = np.pad(x[0], 2)  # 'same' padding for a 5x5 kernel
    ref = np.maximum(np.einsum("ij,ijc->c", img[3:8, 4:9], k[:, :, 0, :]) + b, 0)
    np.testing.assert_allclose(out["conv_1"][0].reshape(16, 16, 6)[3, 4], ref, atol=1e-5)


def test_bilstm_features_are_128_wide():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 200, (30, 12), dtype=np.int32)
    ds = Dataset("text", "sequence", x, rng.integers(0, 2, 30), x, rng.integers(0, 2, 30),
                 ["neg", "pos"], "test")
    model = M.build_model(M.default_config("bilstm"), ds)
    out = A.extract_layers(model, ds.inputs(x), ["embedding", "bilstm", "dropout", "output"])
    assert out["embedding"].shape == (30, 12 * 128)
    assert out["bilstm"].shape == (30, 128)
    assert out["output"].shape == (30, 1)
    np.testing.assert_array_equal(out["dropout"], out["bilstm"])
    emb = model.get_layer("embedding").get_weights()[0]
    np.testing.assert_allclose(out["embedding"].reshape(30, 12, 128), emb[x], atol=1e-6)


def test_extraction_bytes(mlp):
    model, _ = mlp
    assert A.extraction_bytes(model, ["hidden_1", "output"], 1000) == (16 + 4) * 1000 * 4
    assert A.extraction_bytes(model, [], 10, inputs_of=["hidden_1"]) == 144 * 10 * 4
