"""Model files whose config names code outside Keras are refused before Keras reads them.

The crafted files below follow the published safe_mode bypasses (CVE-2025-1550: a config that
names ``os``/``subprocess``/``builtins``; CVE-2025-9906: a config that calls
``keras.config.enable_unsafe_deserialization``; CVE-2025-9905: the same through a legacy .h5).
Keras must never be asked to load them, trusted or not: every test replaces Keras's loader with
one that fails the test if it is reached.
"""

from __future__ import annotations

import copy
import json
import zipfile

import numpy as np
import pytest

from reprviz_gui.core import model as M
from reprviz_gui.core.errors import ModelFileError, UnsafeModelError
from reprviz_gui.core.model import files as model_files
from reprviz_gui.core.model.files import ForeignCodeError, check_no_foreign_code


def _dense(name: str, units: int, activation="linear") -> dict:
    return {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
            "config": {"name": name, "units": units, "activation": activation,
                       "use_bias": True, "dtype": {"module": "keras", "class_name": "DTypePolicy",
                                                   "config": {"name": "float32"},
                                                   "registered_name": None}}}


def _sequential(*layers: dict) -> dict:
    """A .keras-style config of a Sequential model with an input of 4 values."""
    inp = {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
           "config": {"batch_shape": [None, 4], "dtype": "float32", "name": "input"}}
    return {"module": "keras", "class_name": "Sequential", "registered_name": None,
            "config": {"name": "seq", "layers": [inp, *layers]}}


def _lambda_calling(function: dict) -> dict:
    """A Lambda layer whose function is the given config entry (the CVE-2025-1550 shape)."""
    return {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
            "config": {"name": "payload", "function": function, "arguments": {}}}


def _fn(module: str, name: str) -> dict:
    return {"module": module, "class_name": "function", "config": name,
            "registered_name": name}


PAYLOADS = {
    "os_system": (_sequential(_lambda_calling(_fn("os", "system"))), "os"),
    "builtins_exec": (_sequential(_dense("d", 2, activation=_fn("builtins", "exec"))),
                      "builtins"),
    "builtins_eval_class": (_sequential({"module": "builtins", "class_name": "eval",
                                         "config": {}, "registered_name": None}), "builtins"),
    "subprocess_popen": (_sequential({"module": "subprocess", "class_name": "Popen",
                                      "config": {"args": ["touch", "/tmp/pwned"]},
                                      "registered_name": None}), "subprocess"),
    "importlib": (_sequential(_lambda_calling(_fn("importlib", "import_module"))), "importlib"),
    "posix_system": (_sequential(_lambda_calling(_fn("posix", "system"))), "posix"),
    "shutil_rmtree": (_sequential(_lambda_calling(_fn("shutil", "rmtree"))), "shutil"),
    "sys_module": (_sequential(_lambda_calling(_fn("sys", "exit"))), "sys"),
    "os_path_nested": (_sequential(_lambda_calling(_fn("os.path", "join"))), "os"),
}


def _keras_zip(path, config: dict):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        z.writestr("config.json", json.dumps(config))
        z.writestr("model.weights.h5", b"")
    return path


def _legacy_config(config: dict) -> dict:
    """The legacy .h5 layout: layers without the "module" of Keras classes (as Keras writes it),
    but keeping every non-Keras module the payload names."""
    out = copy.deepcopy(config)
    for node in model_files._config_nodes(out):
        if isinstance(node.get("module"), str) and node["module"].startswith("keras"):
            del node["module"]
    return out


def _h5(path, config: dict, training: dict | None = None):
    import h5py

    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps(config)
        if training is not None:
            f.attrs["training_config"] = json.dumps(training)
        f.create_group("model_weights")
    return path


@pytest.fixture
def keras_never_loads(monkeypatch):
    """Fail the test if Keras's loader (or even Keras itself) is reached."""
    from reprviz_gui.core.model.runtime import keras_module

    keras = keras_module()

    def forbidden(*args, **kwargs):
        raise AssertionError("Keras was asked to load a file that names code outside Keras")

    monkeypatch.setattr(keras.saving, "load_model", forbidden)
    monkeypatch.setattr(keras.models, "load_model", forbidden)
    monkeypatch.setattr(model_files, "keras_module", forbidden)
    return forbidden


@pytest.mark.parametrize("trust", [False, True])
@pytest.mark.parametrize("ext", [".keras", ".h5"])
@pytest.mark.parametrize("case", sorted(PAYLOADS))
def test_python_modules_in_a_config_are_refused_before_keras(tmp_path, keras_never_loads,
                                                             case, ext, trust):
    config, module = PAYLOADS[case]
    path = tmp_path / f"evil_{case}{ext}"
    if ext == ".keras":
        _keras_zip(path, config)
    else:
        _h5(path, _legacy_config(config))
    with pytest.raises(ForeignCodeError) as err:
        M.load_model_file(path, trust=trust)
    msg = str(err.value)
    assert path.name in msg and f"module '{module}'" in msg and "\n" not in msg
    assert "trusted or not" in msg
    # never offered the "trust this file" override: that is for Lambda layers only
    assert not isinstance(err.value, UnsafeModelError)
    assert isinstance(err.value, ModelFileError) and err.value.category == "model-file"


def test_a_payload_in_the_h5_training_config_is_refused(tmp_path, keras_never_loads):
    training = {"loss": _fn("os", "system"), "metrics": ["accuracy"]}
    path = _h5(tmp_path / "train_cfg.h5", _legacy_config(_sequential(_dense("d", 2))), training)
    with pytest.raises(ForeignCodeError, match=r"train_cfg\.h5 names the Python module 'os'"):
        M.load_model_file(path, trust=True)


@pytest.mark.parametrize("entry,fragment", [
    # CVE-2025-9906: a config that switches safe mode off before a Lambda
    (_fn("keras.config", "enable_unsafe_deserialization"),
     "keras.config.enable_unsafe_deserialization"),
    (_fn("keras.utils", "get_file"), "keras.utils.get_file"),
    ({"module": "keras.layers", "class_name": "TFSMLayer", "registered_name": None,
      "config": {"filepath": "/tmp/attacker_savedmodel"}}, "keras.layers.TFSMLayer"),
])
def test_non_modelling_keras_functions_are_refused(tmp_path, keras_never_loads, entry, fragment):
    path = _keras_zip(tmp_path / "switch.keras", _sequential(_lambda_calling(entry)))
    with pytest.raises(ForeignCodeError) as err:
        M.load_model_file(path, trust=True)
    assert fragment in str(err.value) and "switch.keras" in str(err.value)


@pytest.mark.parametrize("entry,fragment", [
    # a class name or registered name that points outside Keras, under a Keras module
    ({"module": "keras.layers", "class_name": "os.system", "config": {}, "registered_name": None},
     "os.system"),
    ({"module": "keras.layers", "class_name": "Dense", "config": {},
      "registered_name": "subprocess.Popen"}, "subprocess.Popen"),
    ({"module": "mypackage.layers", "class_name": "Twice", "config": {},
      "registered_name": "mypackage>Twice"}, "mypackage>Twice"),
    ({"module": 42, "class_name": "Dense", "config": {}, "registered_name": None}, "42"),
    # JSON values where names belong must not crash the check (unhashable lists and dicts)
    ({"module": "keras.layers", "class_name": ["Dense"], "config": {}}, "['Dense']"),
    ({"module": "keras.activations", "class_name": "function", "config": {"x": 1}}, "{'x': 1}"),
])
def test_names_outside_keras_are_refused_as_custom_code(tmp_path, keras_never_loads, entry,
                                                        fragment):
    path = _keras_zip(tmp_path / "odd.keras", _sequential(entry))
    with pytest.raises(ForeignCodeError, match="uses custom code that is not part of Keras") as e:
        M.load_model_file(path, trust=True)
    assert fragment in str(e.value)


def test_keras_own_builtins_entries_are_allowed():
    # Keras writes a loss function passed as a callable as module "builtins" + its name; only a
    # name that really is a Python builtin (exec, eval, open, __import__) is refused
    check_no_foreign_code(_sequential(_dense("d", 2, _fn("builtins", "relu"))),
                          model_files.Path("fine.keras"))
    for name in ("exec", "eval", "open", "__import__", "getattr"):
        with pytest.raises(ForeignCodeError, match=f"builtins.{name}"):
            check_no_foreign_code(_sequential(_dense("d", 2, _fn("builtins", name))),
                                  model_files.Path("bad.keras"))


def test_a_very_deeply_nested_config_is_a_clean_error(tmp_path):
    deep = "[" * 200_000 + "]" * 200_000
    path = tmp_path / "deep.keras"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("config.json", deep)
    with pytest.raises(ModelFileError, match=r"deep\.keras is damaged"):
        M.load_model_file(path)
    # the walker itself is iterative: a deep structure built in Python is walked too
    node: list = []
    root = node
    for _ in range(50_000):
        node.append([])
        node = node[0]
    node.append(_fn("os", "system"))
    with pytest.raises(ForeignCodeError, match="'os'"):
        check_no_foreign_code(root, model_files.Path("deep.keras"))


def test_real_keras_models_with_function_losses_still_load(tmp_path):
    """A model compiled with a loss *function* (saved as module "builtins") and metrics loads."""
    from reprviz_gui.core.model.runtime import keras_module

    keras = keras_module()
    model = keras.Sequential([keras.Input((4,)),
                              keras.layers.Dense(3, activation=keras.activations.gelu),
                              keras.layers.BatchNormalization(),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(momentum=0.9),
                  loss=keras.losses.sparse_categorical_crossentropy,
                  metrics=["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(2)])
    for ext in (".keras", ".h5"):
        path = tmp_path / f"real{ext}"
        model.save(path)
        if ext == ".keras":  # the file really holds the "builtins" entry the check must allow
            text = zipfile.ZipFile(path).read("config.json").decode()
            assert '"module": "builtins"' in text
        loaded = M.load_model_file(path)
        x = np.ones((3, 4), np.float32)
        np.testing.assert_allclose(loaded.predict_on_batch(x), model.predict_on_batch(x),
                                   atol=1e-6)
