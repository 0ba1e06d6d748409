"""The layer inspector: every row against the layer's own get_config(), JSON-safe configs, and
the chain walker that refuses models that branch."""

from __future__ import annotations

import json

import numpy as np
import pytest

from reprviz_gui.core import model as M
from reprviz_gui.core.data.types import Dataset
from reprviz_gui.core.errors import ModelError, UnknownLayerError
from reprviz_gui.core.model import inspect as I
from reprviz_gui.core.model.runtime import keras_module


def _images(shape=(12, 12), n=30, classes=3):
    rng = np.random.default_rng(0)
    return Dataset("imgs", "image", rng.integers(0, 256, (n,) + shape, dtype=np.uint8),
                   rng.integers(0, classes, n), rng.integers(0, 256, (n,) + shape, dtype=np.uint8),
                   rng.integers(0, classes, n), [f"c{i}" for i in range(classes)], "test")


def _text(n=30):
    rng = np.random.default_rng(0)
    x = rng.integers(1, 40, (n, 15)).astype(np.int32)
    return Dataset("txt", "sequence", x, rng.integers(0, 2, n), x[:10], rng.integers(0, 2, 10),
                   ["neg", "pos"], "test")


def _check_rows_against_configs(model):
    rows = I.layer_table(model)
    assert [r.name for r in rows] == [layer.name for layer in model.layers]
    assert [r.index for r in rows] == list(range(len(model.layers)))
    for row, layer in zip(rows, model.layers):
        cfg = layer.get_config()
        inner = cfg["layer"]["config"] if isinstance(cfg.get("layer"), dict) else cfg
        assert row.params == layer.count_params()
        assert row.trainable_params == sum(int(np.prod(w.shape)) for w in layer.trainable_weights)
        assert row.trainable == layer.trainable
        assert row.output_shape == tuple(layer.output.shape[1:])
        for field, key in [("units", "units"), ("filters", "filters")]:
            if key in inner:
                assert getattr(row, field) == inner[key], (layer.name, field)
        for field in ("kernel_size", "strides", "pool_size"):
            assert getattr(row, field) == (tuple(inner[field]) if field in inner else None)
        assert row.padding == inner.get("padding", "")
        if "activation" in inner:
            assert row.activation == inner["activation"]
        if "rate" in inner:
            assert row.dropout == pytest.approx(inner["rate"])
        for field in ("kernel_initializer", "bias_initializer"):
            if field in inner:
                assert row.__getattribute__(field).startswith(inner[field]["class_name"])
        # the whole config, JSON-safe, holds the same values
        full = I.layer_config(model, layer.name)
        assert full["class_name"] == type(layer).__name__
        text = json.dumps(full, allow_nan=False)
        assert json.loads(text) == full
        for key, value in cfg.items():
            assert full[key] == json.loads(json.dumps(I.json_safe(value))), key
    return {r.name: r for r in rows}


def test_dense_preset_rows_show_units_activation_regulariser_and_dropout():
    cfg = M.ModelConfig(hidden=(16, 8), dropout=0.2, l2=1e-3)
    rows = _check_rows_against_configs(M.build_model(cfg, _images()))
    h1 = rows["hidden_1"]
    assert (h1.type, h1.units, h1.activation, h1.use_bias) == ("Dense", 16, "relu", True)
    assert h1.kernel_initializer == "GlorotUniform" and h1.bias_initializer == "Zeros"
    assert h1.kernel_regularizer == "L2(0.001)" and h1.bias_regularizer == ""
    assert h1.params == 144 * 16 + 16 and h1.output_shape == (16,)
    assert rows["dropout_1"].dropout == pytest.approx(0.2) and rows["dropout_1"].params == 0
    assert rows["output"].activation == "softmax" and rows["output"].units == 3
    assert rows["flatten"].output_shape == (144,) and rows["flatten"].units is None


def test_lenet_rows_show_filters_kernels_strides_and_pools():
    rows = _check_rows_against_configs(M.build_model(M.default_config("lenet"), _images()))
    conv = rows["conv_1"]
    assert (conv.filters, conv.kernel_size, conv.strides, conv.padding) == (6, (5, 5), (1, 1),
                                                                            "same")
    assert conv.params == 5 * 5 * 1 * 6 + 6 and conv.output_shape == (12, 12, 6)
    pool = rows["pool_1"]
    assert (pool.pool_size, pool.strides, pool.output_shape) == ((2, 2), (2, 2), (6, 6, 6))
    assert rows["reshape"].notes == "target shape (12, 12, 1)"
    assert rows["dropout_2"].dropout == pytest.approx(0.25)


def test_bilstm_rows_read_the_wrapped_lstm():
    rows = _check_rows_against_configs(M.build_model(M.default_config("bilstm"), _text()))
    bi = rows["bilstm"]
    assert bi.type == "Bidirectional(LSTM)" and bi.units == 64 and bi.activation == "tanh"
    assert bi.kernel_initializer == "GlorotUniform" and bi.dropout == 0.0
    assert "merge concat" in bi.notes and "recurrent activation sigmoid" in bi.notes
    assert bi.output_shape == (128,)
    emb = rows["embedding"]
    assert emb.units == 128 and emb.notes == "vocabulary 40"
    assert emb.kernel_initializer == "RandomUniform(minval=-0.05, maxval=0.05)"
    assert rows["output"].activation == "sigmoid" and rows["output"].units == 1


def test_regularisers_and_initialisers_are_written_with_their_factors():
    keras = keras_module()
    layer = keras.layers.Dense(
        3, kernel_regularizer=keras.regularizers.L1L2(l1=0.01, l2=0.001),
        bias_regularizer=keras.regularizers.L1(0.5),
        activity_regularizer=keras.regularizers.L2(1e-5),
        kernel_initializer=keras.initializers.RandomNormal(mean=0.0, stddev=0.05, seed=3),
        bias_initializer=keras.initializers.Constant(0.1), name="d")
    model = keras.Sequential([keras.Input((4,)), layer])
    row = I.layer_table(model)[0]
    assert row.kernel_regularizer == "L1L2(l1=0.01, l2=0.001)"
    assert row.bias_regularizer == "L1(0.5)"
    assert row.activity_regularizer == "L2(1e-05)"
    assert row.kernel_initializer == "RandomNormal(seed=3, mean=0, stddev=0.05)"
    assert row.bias_initializer == "Constant(value=0.1)"
    assert I.describe_regularizer({"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.01}}) \
        == "L1L2(l2=0.01)"


def test_json_safe_turns_tuples_numpy_and_non_finite_values_into_json():
    value = {"a": (1, 2), "b": np.float32(0.5), "c": np.arange(3), "d": float("nan"),
             "e": [np.int64(4), {"f": float("-inf")}], 5: b"x"}
    safe = I.json_safe(value)
    assert safe == {"a": [1, 2], "b": 0.5, "c": [0, 1, 2], "d": "nan",
                    "e": [4, {"f": "-inf"}], "5": "x"}
    json.dumps(safe, allow_nan=False)


def test_unknown_layer_is_named():
    model = M.build_model(M.default_config("multinomial"), _images())
    with pytest.raises(UnknownLayerError, match="no layer 'conv_9'.*flatten, output"):
        I.layer_config(model, "conv_9")


def test_layer_chain_expands_nested_models_and_refuses_branches():
    keras = keras_module()
    inner = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, name="a"),
                              keras.layers.Dense(3, name="b")], name="inner")
    inp = keras.Input((2, 3))
    out = keras.layers.Dense(2, name="c")(inner(keras.layers.Flatten(name="f")(inp)))
    nested = keras.Model(inp, out)
    assert [layer.name for layer in I.layer_chain(nested)] == ["f", "a", "b", "c"]

    x = keras.Input((4,))
    left = keras.layers.Dense(3, name="left")(x)
    right = keras.layers.Dense(3, name="right")(x)
    branched = keras.Model(x, keras.layers.Add(name="join")([left, right]))
    with pytest.raises(ModelError, match="one chain"):
        I.layer_chain(branched)
