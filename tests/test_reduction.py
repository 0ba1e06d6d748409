"""The one reduction of feature maps (core/model/reduction.py), against references computed
another way: Keras's own pooling layers and explicit loops over positions."""

import numpy as np
import pytest

from reprviz_gui.core.model.reduction import (ReductionError, default_reduction, describe,
                                              reduce_activations, reduced_width)


def _maps(shape=(5, 7, 6, 4), seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def test_mean_and_max_equal_keras_global_pooling():
    from reprviz_gui.core.model.runtime import keras_module

    keras = keras_module()
    a = _maps()
    mean = reduce_activations(a, "mean")
    assert mean.shape == (5, 4) and mean.dtype == np.float32
    np.testing.assert_allclose(mean, np.asarray(keras.layers.GlobalAveragePooling2D()(a)),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(reduce_activations(a, "max"),
                               np.asarray(keras.layers.GlobalMaxPooling2D()(a)), rtol=0, atol=0)


def test_crop_keeps_the_centre_window_of_each_channel():
    a = _maps((2, 7, 6, 3))
    out = reduce_activations(a, "crop", crop=3)
    # 7 rows: centre 3 are rows 2..4; 6 columns: (6-3)//2 = 1 -> columns 1..3
    expected = np.stack([np.concatenate([a[s, r, c, :] for r in (2, 3, 4) for c in (1, 2, 3)])
                         for s in range(2)])
    np.testing.assert_array_equal(out, expected)
    assert out.shape[1] == reduced_width((7, 6, 3), "crop", 3) == 27


def test_sequences_reduce_over_time_and_dense_rows_stay():
    seq = _maps((4, 9, 5))
    np.testing.assert_allclose(reduce_activations(seq, "mean"),
                               [[seq[i, :, c].mean() for c in range(5)] for i in range(4)],
                               rtol=1e-5, atol=1e-6)
    dense = _maps((4, 10))
    np.testing.assert_array_equal(reduce_activations(dense, "mean"), dense)
    assert reduced_width((10,), "max") == 10


def test_flatten_width_and_the_default_choice():
    a = _maps((3, 4, 4, 2))
    np.testing.assert_array_equal(reduce_activations(a, "flatten"), a.reshape(3, -1))
    assert default_reduction((4, 4, 2)) == "flatten"
    assert default_reduction((48, 48, 16)) == "mean"  # 36,864 values > 8,192
    assert default_reduction((48, 48, 16), max_width=40_000) == "flatten"
    assert default_reduction((None, 16)) == "mean"
    assert default_reduction((32, 32, 6)) == "flatten"  # the course LeNet's conv_1, as before
    assert default_reduction((200, 32)) == "flatten"  # a sequence keeps its steps by default
    assert default_reduction((128,)) == "flatten"
    assert describe("mean", (48, 48, 16)) == "global average per channel of 48x48x16 -> 16"
    assert describe("mean", (128,)) == ""


def test_unknown_reduction_is_one_line():
    with pytest.raises(ReductionError, match="choose one of: mean, max, flatten, crop"):
        reduce_activations(_maps(), "median")
