"""The hand-made network's own configuration (sigmoid-mlp, style notebook): its loss is the
notebook's J(θ), computed again here with numpy."""

from __future__ import annotations

import numpy as np
import pytest

from reprviz_gui.core.data.types import Dataset
from reprviz_gui.core.model import presets as M
from reprviz_gui.core.model.training import TrainConfig, train


def _digits(n_train: int = 120, n_test: int = 40) -> Dataset:
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.data / 16.0).astype(np.float32).reshape(-1, 8, 8)
    y = d.target.astype(np.int64)
    return Dataset(name="digits-small", kind="image", x_train=x[:n_train], y_train=y[:n_train],
                   x_test=x[n_train:n_train + n_test], y_test=y[n_train:n_train + n_test],
                   class_names=[str(i) for i in range(10)], provenance="test")


def _numpy_cost(model, x: np.ndarray, y: np.ndarray, lam: float) -> float:
    """J(θ) = −1/m ΣΣ[y log h + (1−y) log(1−h)] + λ/(2m) Σθ² (biases excluded), forward pass
    in numpy from the model's weights."""
    a = x.reshape(len(x), -1).astype(np.float64)
    penalty = 0.0
    for layer in model.layers:
        if not layer.get_weights():
            continue
        w, b = (np.asarray(v, dtype=np.float64) for v in layer.get_weights())
        a = 1.0 / (1.0 + np.exp(-(a @ w + b)))  # every layer sigmoid, as the notebook
        penalty += float(np.sum(w ** 2))
    m = len(x)
    onehot = np.eye(a.shape[1])[y]
    j = -np.sum(onehot * np.log(a) + (1 - onehot) * np.log(1 - a)) / m
    return j + lam / (2 * m) * penalty


def test_notebook_cost_equals_the_notebooks_formula():
    ds = _digits()
    lam = 1.0
    cfg = M.ModelConfig(preset="sigmoid-mlp", hidden=(14,), activation="sigmoid", l2=lam,
                        style="notebook", init_epsilon=0.12, optimizer="adam",
                        learning_rate=0.5, momentum=0.9)
    model = M.build_model(cfg, ds, seed=3)
    # uniform init in ±0.12, biases too
    for layer in model.layers:
        for v in layer.get_weights():
            assert np.abs(v).max() <= 0.12 + 1e-7 and np.abs(v).max() > 0.05
    # notebook style: plain gradient descent whatever the optimizer settings say
    opt = model.optimizer.get_config()
    assert type(model.optimizer).__name__ == "SGD" and opt["momentum"] == 0.0
    assert float(opt["learning_rate"]) == pytest.approx(0.5)
    # two epochs of full-batch gradient descent, then the cost on the rows trained on
    result = train(model, ds, TrainConfig(epochs=2, batch_size=7, validation_split=0.0))
    assert result.batch_size == len(ds.x_train)  # one batch of all m rows
    x, y = ds.inputs(ds.x_train), ds.y_train
    keras_loss = model.evaluate(x, y, batch_size=len(x), verbose=0, return_dict=True)["loss"]
    assert keras_loss == pytest.approx(_numpy_cost(model, x, y, lam), abs=1e-5)
    # the last epoch's training loss is J(θ) before that epoch's step: it went down
    assert result.history["loss"][1] < result.history["loss"][0]


def test_notebook_m_is_the_rows_trained_on():
    """With a validation split, m is the number of rows left to train on."""
    ds = _digits(n_train=150)
    cfg = M.ModelConfig(preset="sigmoid-mlp", hidden=(5,), activation="sigmoid", l2=3.0,
                        style="notebook", init_epsilon=0.0, learning_rate=0.1)
    model = M.build_model(cfg, ds, seed=0)
    result = train(model, ds, TrainConfig(epochs=1, validation_split=0.2))
    fit = np.setdiff1d(np.arange(150), result.validation_indices)
    assert result.batch_size == len(fit) < 150
    x, y = ds.inputs(ds.x_train[fit]), ds.y_train[fit]
    keras_loss = model.evaluate(x, y, batch_size=len(x), verbose=0, return_dict=True)["loss"]
    assert keras_loss == pytest.approx(_numpy_cost(model, x, y, 3.0), abs=1e-5)
    # ε = 0: Glorot's sqrt(6)/sqrt(in+out) bound per layer
    w = model.get_layer("hidden_1").get_weights()[0]
    assert np.abs(w).max() <= np.sqrt(6 / (64 + 5))


def test_keras_style_is_unchanged():
    model = M.build_model(M.default_config("sigmoid-mlp"), _digits(), seed=0)
    assert model.layers[-1].activation.__name__ == "softmax"
    assert type(model.get_layer("hidden_1").kernel_regularizer).__name__ == "L2"
