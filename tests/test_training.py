"""Training: progress order, stop within one batch, repeatable seeds; evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from reprviz_gui.core.analysis import metrics
from reprviz_gui.core import model as M
from reprviz_gui.core.model import training as T
from reprviz_gui.core.data.types import Dataset
from reprviz_gui.core.errors import Cancelled, EmptyDataError, ShapeMismatchError


def _blobs(n=200, dim=10, classes=3, seed=0, n_test=60):
    """Separable Gaussian blobs as float vectors."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=4.0, size=(classes, dim))

    def draw(k):
        y = rng.integers(0, classes, k)
        return (centers[y] + rng.normal(size=(k, dim))).astype(np.float32), y

    x, y = draw(n)
    xt, yt = draw(n_test)
    return Dataset("blobs", "vector", x, y, xt, yt, [f"c{i}" for i in range(classes)], "test")


def _model(ds, seed=0, hidden=(16,)):
    return M.build_model(M.ModelConfig(hidden=hidden, learning_rate=0.01), ds, seed=seed)


def test_progress_events_arrive_in_order():
    ds = _blobs(n=160)
    model = _model(ds)
    events = []
    cfg = T.TrainConfig(epochs=3, batch_size=32, validation_split=0.2)
    result = T.train(model, ds, cfg, on_progress=events.append)
    assert all(e.stage == "train" for e in events)
    kinds = [e.details["kind"] for e in events]
    assert set(kinds) == {"batch", "epoch"}
    n_fit = 160 - len(result.validation_indices)
    batches = -(-n_fit // 32)
    assert kinds == (["batch"] * batches + ["epoch"]) * 3
    seen = [(e.details["epoch"], e.details["batch"]) for e in events if e.details["kind"] == "batch"]
    assert seen == [(ep, b) for ep in (1, 2, 3) for b in range(1, batches + 1)]
    fractions = [e.fraction for e in events]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    epoch_events = [e for e in events if e.details["kind"] == "epoch"]
    assert [e.details["epoch"] for e in epoch_events] == [1, 2, 3]
    for i, e in enumerate(epoch_events):
        d = e.details
        assert d["epochs"] == 3 and d["batches"] == batches
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            assert isinstance(d[key], float)
            assert d[key] == pytest.approx(result.history[key][i])
        assert d["history"]["loss"] == result.history["loss"][: i + 1]
    assert all(isinstance(e.eta_seconds, float) for e in events[2:])
    assert events[-1].eta_seconds == pytest.approx(0.0, abs=1e-9)
    assert result.epochs_done == 3 and not result.stopped and result.seconds > 0
    assert set(result.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}


def test_progress_can_be_throttled():
    ds = _blobs(n=200)
    events = []
    T.train(_model(ds), ds, T.TrainConfig(epochs=1, batch_size=8, progress_every=3600.0),
            on_progress=events.append)
    batches = [e.details["batch"] for e in events if e.details["kind"] == "batch"]
    assert batches == [1, 23]  # first and last only (180 fit rows / 8 = 23 batches)


@pytest.mark.parametrize("k", [1, 3, 7])
def test_should_stop_stops_within_one_batch(k):
    ds = _blobs(n=200)
    model = _model(ds)
    before = [w.copy() for w in model.get_weights()]
    seen = []

    def on_progress(p):
        if p.details["kind"] == "batch":
            seen.append((p.details["epoch"], p.details["batch"]))

    result = T.train(model, ds, T.TrainConfig(epochs=5, batch_size=16),
                     on_progress=on_progress, should_stop=lambda: len(seen) >= k)
    assert result.stopped
    assert len(seen) == k  # no batch ran after the one during which stop was asked
    # the optimizer's own step counter agrees: exactly k weight updates happened
    assert int(model.optimizer.iterations.numpy()) == k
    assert result.epochs_done == 0 and result.history == {}
    assert not np.array_equal(model.get_weights()[0], before[0])  # weights so far are kept


def test_stop_during_a_later_epoch_keeps_completed_epochs():
    ds = _blobs(n=100)
    model = _model(ds)
    count = [0]

    def on_progress(p):
        if p.details["kind"] == "batch":
            count[0] += 1

    batches = -(-90 // 10)
    result = T.train(model, ds, T.TrainConfig(epochs=10, batch_size=10),
                     on_progress=on_progress, should_stop=lambda: count[0] >= 2 * batches + 2)
    assert result.stopped and result.epochs_done == 2
    assert len(result.history["loss"]) == 2
    assert int(model.optimizer.iterations.numpy()) == 2 * batches + 2


def test_stop_before_start_returns_at_once():
    ds = _blobs(n=64)
    model = _model(ds)
    result = T.train(model, ds, T.TrainConfig(epochs=3), should_stop=lambda: True)
    assert result.stopped and result.epochs_done == 0
    assert int(model.optimizer.iterations.numpy()) == 0


def test_same_seed_gives_the_same_history():
    ds = _blobs(n=192, seed=2)
    cfg = T.TrainConfig(epochs=2, batch_size=16, seed=11)
    runs = [T.train(_model(ds, seed=5), ds, cfg) for _ in range(2)]
    for key in runs[0].history:
        np.testing.assert_allclose(runs[0].history[key], runs[1].history[key], atol=1e-6)
    np.testing.assert_array_equal(runs[0].validation_indices, runs[1].validation_indices)
    other = T.train(_model(ds, seed=5), ds, T.TrainConfig(epochs=2, batch_size=16, seed=12))
    assert not np.allclose(other.history["loss"], runs[0].history["loss"], atol=1e-6)


def test_validation_split_is_stratified_and_seeded():
    y = np.array([0] * 50 + [1] * 30 + [2] * 20 + [3])
    fit, val = T.stratified_split(y, 0.1, seed=0)
    assert np.bincount(y[val], minlength=4).tolist() == [5, 3, 2, 0]
    assert len(fit) + len(val) == len(y) and not set(fit) & set(val)
    assert list(val) == sorted(val)
    fit2, val2 = T.stratified_split(y, 0.1, seed=0)
    np.testing.assert_array_equal(val, val2)
    assert not np.array_equal(val, T.stratified_split(y, 0.1, seed=1)[1])
    # not Keras's "last rows" split: held-out rows come from everywhere
    assert val.min() < 40
    fit, val = T.stratified_split(y, 0.0)
    assert len(val) == 0 and len(fit) == len(y)


def test_evaluate_confusion_and_accuracies():
    ds = _blobs(n=200, n_test=90)
    model = _model(ds)
    result = T.train(model, ds, T.TrainConfig(epochs=3, batch_size=16, validation_split=0.2))
    ev = T.evaluate(model, ds, validation=result)
    assert set(ev.accuracy) == {"train", "validation", "test"}
    assert ev.confusion.shape == (3, 3) and ev.confusion.sum() == 90
    assert ev.predictions.shape == (90,) and ev.probabilities.shape == (90, 3)
    np.testing.assert_allclose(ev.probabilities.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(ev.predictions, ev.probabilities.argmax(axis=1))
    np.testing.assert_array_equal(ev.confusion, metrics.confusion_matrix(ds.y_test, ev.predictions, 3))
    assert ev.accuracy["test"] == pytest.approx(np.trace(ev.confusion) / 90)
    assert ev.accuracy["test"] > 0.9  # separable blobs
    # the reference: the model's own predictions over the same rows
    fit = np.setdiff1d(np.arange(200), result.validation_indices)
    ref_train = np.mean(model.predict(ds.x_train[fit], verbose=0).argmax(1) == ds.y_train[fit])
    assert ev.accuracy["train"] == pytest.approx(ref_train)
    assert ev.report["accuracy"] == pytest.approx(ev.accuracy["test"])
    assert ev.report["c0"]["support"] == int((ds.y_test == 0).sum())
    assert ev.per_class_accuracy.shape == (3,)
    train_ev = T.evaluate(model, ds, split="train")
    assert train_ev.confusion.sum() == 200 and "validation" not in train_ev.accuracy


def test_binary_sigmoid_model_gives_a_2x2_confusion():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 50, (80, 8), dtype=np.int32)
    y = (x[:, 0] > 25).astype(int)
    ds = Dataset("text", "sequence", x, y, x[:40], y[:40], ["neg", "pos"], "test")
    model = M.build_model(M.ModelConfig(preset="bilstm", embed_dim=8, lstm_units=4,
                                        dropout=0.5, hidden=()), ds)
    T.train(model, ds, T.TrainConfig(epochs=1, batch_size=16))
    ev = T.evaluate(model, ds)
    assert ev.confusion.shape == (2, 2) and ev.confusion.sum() == 40
    p = model.predict(x[:40], verbose=0)[:, 0]
    np.testing.assert_array_equal(ev.predictions, (p > 0.5).astype(int))
    np.testing.assert_allclose(ev.probabilities[:, 1], p, atol=1e-6)
    np.testing.assert_allclose(ev.probabilities.sum(axis=1), 1.0, atol=1e-6)


def test_evaluate_cancels_between_batches():
    ds = _blobs(n=64, n_test=600)
    model = _model(ds)
    calls = [0]

    def should_stop():
        calls[0] += 1
        return calls[0] > 2

    with pytest.raises(Cancelled):
        T.evaluate(model, ds, batch_size=100, should_stop=should_stop)


def test_train_refuses_bad_input():
    ds = _blobs(n=64)
    model = _model(ds)
    other = _blobs(n=64, dim=7)
    with pytest.raises(ShapeMismatchError):
        T.train(model, other, T.TrainConfig(epochs=1))
    empty = Dataset("words", "vector", np.zeros((0, 10), np.float32), np.zeros(0, int),
                    other.x_test[:, :7].repeat(2, 1)[:, :10], other.y_test, ["c0", "c1", "c2"],
                    "test")
    with pytest.raises(EmptyDataError, match="no training samples"):
        T.train(model, empty, T.TrainConfig(epochs=1))


def test_training_bumps_the_model_version():
    ds = _blobs(n=64)
    model = _model(ds)
    before = M.model_version(model)
    T.train(model, ds, T.TrainConfig(epochs=1))
    assert M.model_version(model) != before


@pytest.mark.slow
@pytest.mark.parametrize("preset,floor", [("dense", 0.88), ("lenet", 0.8)])
def test_presets_learn_the_digits(preset, floor):
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images * (255 / 16)).astype(np.uint8)
    y = digits.target
    ds = Dataset("digits", "image", x[:1400], y[:1400], x[1400:], y[1400:],
                 [str(i) for i in range(10)], "sklearn digits")
    model = M.build_model(M.default_config(preset), ds)
    result = T.train(model, ds, T.TrainConfig(epochs=8, batch_size=32))
    assert result.history["val_accuracy"][-1] > floor
    ev = T.evaluate(model, ds, validation=result)
    assert ev.accuracy["test"] > floor
    assert ev.confusion.sum() == len(y) - 1400
    assert ev.accuracy["train"] >= ev.accuracy["test"] - 0.05
