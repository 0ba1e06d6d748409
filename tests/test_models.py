"""Model presets, loading model files safely, compatibility checks and layer descriptions."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from reprviz_gui.core import model as M
from reprviz_gui.core.data.types import Dataset
from reprviz_gui.core.errors import ModelError, ModelFileError, ShapeMismatchError, UnsafeModelError


def _images(n=64, shape=(28, 28), classes=10, seed=0, name="imgs"):
    rng = np.random.default_rng(seed)
    return Dataset(name, "image", rng.integers(0, 256, (n,) + shape, dtype=np.uint8),
                   rng.integers(0, classes, n), rng.integers(0, 256, (16,) + shape, dtype=np.uint8),
                   rng.integers(0, classes, 16), [f"c{i}" for i in range(classes)], "test")


def _vectors(n=64, dim=400, classes=10, seed=0):
    rng = np.random.default_rng(seed)
    return Dataset("vecs", "vector", rng.normal(size=(n, dim)).astype(np.float32),
                   rng.integers(0, classes, n), rng.normal(size=(16, dim)).astype(np.float32),
                   rng.integers(0, classes, 16), [f"c{i}" for i in range(classes)], "test")


def _text(n=64, maxlen=20, vocab=300, seed=0, classes=2):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, vocab, (n, maxlen), dtype=np.int32)
    xt = rng.integers(1, vocab, (16, maxlen), dtype=np.int32)
    xt[0, 0] = vocab - 1  # the largest id sits in the test split
    return Dataset("text", "sequence", x, rng.integers(0, classes, n), xt,
                   rng.integers(0, classes, 16), [f"c{i}" for i in range(classes)], "test")


def _names(model):
    return [layer.name for layer in model.layers]


def test_importing_models_does_not_import_tensorflow():
    import subprocess
    import sys

    code = ("import sys, reprviz_gui.core.model, reprviz_gui.core.model.training, "
            "reprviz_gui.core.model.extraction, reprviz_gui.core.analysis.metrics; "
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False"]


def test_presets_and_default_configs():
    assert set(M.PRESETS) == {"dense", "multinomial", "lenet", "bilstm", "sigmoid-mlp"}
    assert M.default_config("dense") == M.ModelConfig()
    assert M.default_config("sigmoid-mlp").hidden == (14,)
    assert M.default_config("sigmoid-mlp").activation == "sigmoid"
    assert M.default_config("sigmoid-mlp").l2 == pytest.approx(1e-3)
    assert M.default_config("bilstm").dropout == pytest.approx(0.5)
    with pytest.raises(ModelError, match="Unknown model preset"):
        M.default_config("resnet")


def test_dense_preset_layers_and_shapes():
    ds = _images()
    model = M.build_model(M.default_config("dense"), ds)
    assert _names(model) == ["flatten", "hidden_1", "hidden_2", "output"]
    info = M.describe_layers(model)
    assert [i.index for i in info] == [0, 1, 2, 3]
    assert [i.output_shape for i in info] == [(784,), (256,), (144,), (10,)]
    assert [i.activation for i in info] == ["", "relu", "relu", "softmax"]
    assert [i.has_kernel for i in info] == [False, True, True, True]
    assert info[1].params == 784 * 256 + 256
    assert info[1].type == "Dense"
    assert model.loss == "sparse_categorical_crossentropy"
    M.check_compatible(model, ds)


def test_dense_on_vectors_with_custom_widths_and_dropout():
    cfg = M.ModelConfig(hidden=(32, 16, 8), dropout=0.2, optimizer="sgd", momentum=0.9,
                        nesterov=True, learning_rate=0.05)
    model = M.build_model(cfg, _vectors())
    assert _names(model) == ["flatten", "hidden_1", "dropout_1", "hidden_2", "dropout_2",
                             "hidden_3", "dropout_3", "output"]
    opt = model.optimizer
    assert type(opt).__name__ == "SGD"
    assert float(opt.momentum) == pytest.approx(0.9) and opt.nesterov
    assert float(opt.learning_rate.numpy()) == pytest.approx(0.05)


def test_multinomial_and_sigmoid_mlp():
    ds = _images(shape=(20, 20))
    model = M.build_model(M.default_config("multinomial"), ds)
    assert _names(model) == ["flatten", "output"]
    model = M.build_model(M.default_config("sigmoid-mlp"), ds)
    assert _names(model) == ["flatten", "hidden_1", "output"]
    assert [i.output_shape for i in M.describe_layers(model)] == [(400,), (14,), (10,)]
    assert model.get_layer("hidden_1").kernel_regularizer is not None
    assert M.describe_layers(model)[1].activation == "sigmoid"


def test_lenet_grey_images_get_a_reshape_inside_the_model():
    ds = _images(shape=(28, 28))
    model = M.build_model(M.default_config("lenet"), ds)
    assert _names(model)[:6] == ["reshape", "conv_1", "pool_1", "conv_2", "pool_2", "flatten"]
    assert _names(model)[-1] == "output"
    assert M.input_shape(model) == (28, 28)
    assert model.get_layer("conv_1").output.shape[1:] == (28, 28, 6)
    assert sum(type(layer).__name__ == "Dense" for layer in model.layers) == 3
    assert any(type(layer).__name__ == "Dropout" for layer in model.layers)
    rgb = _images(shape=(32, 32, 3), classes=3)
    model = M.build_model(M.default_config("lenet"), rgb)
    assert "reshape" not in _names(model)
    assert M.input_shape(model) == (32, 32, 3)
    # the small 8x8 digits still fit two poolings
    M.build_model(M.default_config("lenet"), _images(shape=(8, 8)))


def test_bilstm_vocab_from_data_and_binary_output():
    ds = _text(vocab=300)
    model = M.build_model(M.default_config("bilstm"), ds)
    assert _names(model) == ["embedding", "bilstm", "dropout", "output"]
    assert model.get_layer("embedding").input_dim == 300  # max token 299 + 1
    assert model.get_layer("bilstm").output.shape[1:] == (128,)
    assert model.get_layer("output").units == 1
    assert model.loss == "binary_crossentropy"
    M.check_compatible(model, ds)
    model = M.build_model(M.ModelConfig(preset="bilstm", vocab_size=1000, hidden=()), ds)
    assert model.get_layer("embedding").input_dim == 1000
    with pytest.raises(ShapeMismatchError, match="vocab_size 100 is too small"):
        M.build_model(M.ModelConfig(preset="bilstm", vocab_size=100, hidden=()), ds)
    three = _text(classes=3)
    model = M.build_model(M.default_config("bilstm"), three)
    assert model.get_layer("output").units == 3
    assert model.loss == "sparse_categorical_crossentropy"


@pytest.mark.parametrize("preset,make,words", [
    ("bilstm", _images, "token sequences"),
    ("lenet", _vectors, "needs images"),
    ("lenet", _text, "needs images"),
    ("dense", _text, "bilstm"),
])
def test_presets_refuse_data_they_cannot_take(preset, make, words):
    with pytest.raises(ShapeMismatchError, match=words) as err:
        M.build_model(M.default_config(preset), make())
    assert "\n" not in str(err.value)
    assert preset in str(err.value)


def test_bad_config_values():
    ds = _vectors()
    with pytest.raises(ModelError, match="Unknown optimizer"):
        M.build_model(M.ModelConfig(optimizer="adagrad"), ds)
    with pytest.raises(ModelError, match="learning rate"):
        M.build_model(M.ModelConfig(learning_rate=0), ds)
    with pytest.raises(ModelError, match="Dropout"):
        M.build_model(M.ModelConfig(dropout=1.0), ds)
    one_class = Dataset("one", "vector", np.zeros((4, 3), np.float32), np.zeros(4, int),
                        np.zeros((2, 3), np.float32), np.zeros(2, int), ["only"], "test")
    with pytest.raises(ModelError, match="at least 2"):
        M.build_model(M.ModelConfig(), one_class)


def test_optimizers():
    ds = _vectors(dim=8)
    for name, cls in [("adam", "Adam"), ("rmsprop", "RMSprop"), ("sgd", "SGD")]:
        model = M.build_model(M.ModelConfig(hidden=(4,), optimizer=name), ds)
        assert type(model.optimizer).__name__ == cls


def test_same_seed_builds_same_weights():
    ds = _vectors(dim=8)
    a = M.build_model(M.ModelConfig(hidden=(5,)), ds, seed=3)
    b = M.build_model(M.ModelConfig(hidden=(5,)), ds, seed=3)
    c = M.build_model(M.ModelConfig(hidden=(5,)), ds, seed=4)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])


def test_model_version_changes_when_bumped_and_differs_between_models():
    ds = _vectors(dim=8)
    a = M.build_model(M.ModelConfig(hidden=(5,)), ds)
    b = M.build_model(M.ModelConfig(hidden=(5,)), ds)
    va = M.model_version(a)
    assert M.model_version(a) == va
    assert M.model_version(b) != va
    assert M.bump_version(a) != va
    assert M.model_version(a) != va


# --- files ------------------------------------------------------------------------------------
@pytest.mark.parametrize("ext", [".keras", ".h5"])
def test_save_and_reload(tmp_path, ext):
    ds = _images(shape=(12, 12), classes=4)
    model = M.build_model(M.ModelConfig(hidden=(6,)), ds)
    path = tmp_path / f"model{ext}"
    model.save(path)
    loaded = M.load_model_file(path)
    assert _names(loaded) == _names(model)
    x = ds.inputs(ds.x_test)
    np.testing.assert_allclose(loaded.predict_on_batch(x), model.predict_on_batch(x), atol=1e-6)
    M.check_compatible(loaded, ds)
    assert loaded.compiled and loaded.loss == "sparse_categorical_crossentropy"


def _lambda_model():
    from reprviz_gui.core.model.runtime import keras_module

    keras = keras_module()
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="hidden"),
                             keras.layers.Lambda(lambda t: t * 2.0, name="double"),
                             keras.layers.Dense(2, activation="softmax", name="output")])


@pytest.mark.parametrize("ext", [".keras", ".h5"])
def test_lambda_layer_needs_trust(tmp_path, ext):
    path = tmp_path / f"lam{ext}"
    _lambda_model().save(path)
    with pytest.raises(UnsafeModelError) as err:
        M.load_model_file(path)
    msg = str(err.value)
    assert path.name in msg and "'double'" in msg
    assert "trust this file" in msg and "--trust-model" in msg
    loaded = M.load_model_file(path, trust=True)
    assert "double" in _names(loaded)
    x = np.ones((2, 4), np.float32)
    assert loaded.predict_on_batch(x).shape == (2, 2)


@pytest.mark.parametrize("name", ["x.keras", "x.h5"])
def test_garbage_files_are_refused(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(np.random.default_rng(0).bytes(3000))
    with pytest.raises(ModelFileError, match=name.replace(".", r"\.")):
        M.load_model_file(path)


def test_file_that_is_not_what_its_extension_says(tmp_path):
    ds = _vectors(dim=6, classes=3)
    model = M.build_model(M.ModelConfig(hidden=(4,)), ds)
    model.save(tmp_path / "real.keras")
    model.save(tmp_path / "real.h5")
    (tmp_path / "zip.h5").write_bytes((tmp_path / "real.keras").read_bytes())
    (tmp_path / "hdf.keras").write_bytes((tmp_path / "real.h5").read_bytes())
    with pytest.raises(ModelFileError, match=r"zip.h5 is named .h5 but is a zip file"):
        M.load_model_file(tmp_path / "zip.h5")
    with pytest.raises(ModelFileError, match=r"hdf.keras is named .keras but is an HDF5 file"):
        M.load_model_file(tmp_path / "hdf.keras")
    with zipfile.ZipFile(tmp_path / "notes.keras", "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(ModelFileError, match="not a Keras model"):
        M.load_model_file(tmp_path / "notes.keras")
    model.save_weights(tmp_path / "only.weights.h5")
    with pytest.raises(ModelFileError, match="only.weights.h5"):
        M.load_model_file(tmp_path / "only.weights.h5")
    # a .keras archive with its weights cut short
    data = (tmp_path / "real.keras").read_bytes()
    (tmp_path / "cut.keras").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="cut.keras"):
        M.load_model_file(tmp_path / "cut.keras")


def test_missing_file_and_wrong_extension(tmp_path):
    with pytest.raises(ModelFileError, match="not found"):
        M.load_model_file(tmp_path / "nope.keras")
    (tmp_path / "model.pt").write_bytes(b"torch")
    with pytest.raises(ModelFileError, match="unsupported model file type"):
        M.load_model_file(tmp_path / "model.pt")
    with pytest.raises(ModelFileError, match="folder"):
        M.load_model_file(tmp_path)


# --- compatibility ----------------------------------------------------------------------------
def test_check_compatible_names_both_shapes():
    model = M.build_model(M.default_config("dense"), _images(shape=(28, 28)))
    with pytest.raises(ShapeMismatchError) as err:
        M.check_compatible(model, _images(shape=(20, 20)))
    assert "(28, 28)" in str(err.value) and "(20, 20)" in str(err.value)
    with pytest.raises(ShapeMismatchError) as err:
        M.check_compatible(model, _vectors(dim=784))
    assert "(28, 28)" in str(err.value) and "(784,)" in str(err.value)


def test_check_compatible_classes_and_token_input():
    model = M.build_model(M.default_config("dense"), _images(shape=(8, 8), classes=10))
    with pytest.raises(ShapeMismatchError, match="10 classes.*has 3 classes"):
        M.check_compatible(model, _images(shape=(8, 8), classes=3))
    text = _text(maxlen=20)
    lstm = M.build_model(M.default_config("bilstm"), text)
    vec20 = _vectors(dim=20, classes=2)
    with pytest.raises(ShapeMismatchError, match="token sequences"):
        M.check_compatible(lstm, vec20)
    vec_model = M.build_model(M.ModelConfig(hidden=(4,)), vec20)
    with pytest.raises(ShapeMismatchError, match="token sequences"):
        M.check_compatible(vec_model, text)


@pytest.mark.parametrize("ext", [".keras", ".h5"])
def test_custom_layer_file_is_refused_with_its_class_name(tmp_path, ext):
    from reprviz_gui.core.model.runtime import keras_module

    keras = keras_module()

    @keras.saving.register_keras_serializable(package="reprviz_test")
    class Twice(keras.layers.Layer):
        def call(self, x):
            return x * 2

    model = keras.Sequential([keras.Input((4,)), Twice(name="twice"),
                              keras.layers.Dense(2, activation="softmax", name="output")])
    path = tmp_path / f"custom{ext}"
    model.save(path)
    keras.saving.get_custom_objects().pop("reprviz_test>Twice")  # as in a fresh process
    with pytest.raises(ModelFileError, match=r"custom\S* uses custom code .*reprviz_test>Twice"):
        M.load_model_file(path)


def test_multi_input_models_are_refused(tmp_path):
    from reprviz_gui.core.model.runtime import keras_module

    keras = keras_module()
    a, b = keras.Input((3,)), keras.Input((2,))
    out = keras.layers.Dense(2, activation="softmax")(keras.layers.Concatenate()([a, b]))
    keras.Model([a, b], out).save(tmp_path / "two.keras")
    with pytest.raises(ModelError, match="several inputs"):
        M.load_model_file(tmp_path / "two.keras")


def test_tensorflow_is_out_of_the_garbage_collectors_way():
    """A full collection that walks TF's ~400,000 module objects holds the GIL ~450 ms (the
    window's longest freeze); once Keras is imported they are frozen and never walked."""
    import gc

    from reprviz_gui.core.model.runtime import keras_module

    keras_module()
    import tensorflow as tf

    assert gc.get_freeze_count() > 100_000
    tracked = gc.get_objects()  # what a collection walks (frozen objects are not in it)
    assert not any(o is tf.__dict__ or o is tf.nn.__dict__ for o in tracked)
