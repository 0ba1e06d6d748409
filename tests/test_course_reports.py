"""Accuracy per split and the classification report as table rows, against scikit-learn and a
direct count of correct predictions."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import classification_report as sk_report

from reprviz_gui.core import model as M
from reprviz_gui.core.analysis import metrics
from reprviz_gui.core.analysis.reports import (REPORT_COLUMNS, SPLIT_ORDER, AccuracyRow,
                                               ReportRow, accuracy_rows, report_rows)
from reprviz_gui.core.data.types import Dataset
from reprviz_gui.core.model import training as T


def _check_rows(rows, y_true, y_pred, names):
    ref = sk_report(y_true, y_pred, labels=list(range(len(names))), target_names=names,
                    output_dict=True, zero_division=0)
    assert [r.label for r in rows] == names + ["accuracy", "macro avg", "weighted avg"]
    for r in rows:
        if r.kind == "accuracy":
            assert r.precision is None and r.recall is None and r.class_index is None
            assert r.f1 == pytest.approx(ref["accuracy"], abs=1e-12)
            assert r.support == len(y_true)
            continue
        entry = ref[r.label]
        assert r.precision == pytest.approx(entry["precision"], abs=1e-12), r.label
        assert r.recall == pytest.approx(entry["recall"], abs=1e-12), r.label
        assert r.f1 == pytest.approx(entry["f1-score"], abs=1e-12), r.label
        assert r.support == int(entry["support"]), r.label
    assert [r.class_index for r in rows if r.kind == "class"] == list(range(len(names)))
    assert [r.kind for r in rows[-3:]] == ["accuracy", "average", "average"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_report_rows_equal_scikit_learns_report(seed):
    rng = np.random.default_rng(seed)
    names = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat"]
    y_true = rng.integers(0, 5, 300)
    y_pred = np.where(rng.random(300) < 0.6, y_true, rng.integers(0, 5, 300))
    y_pred[y_pred == 3] = 4  # a class that is never predicted: precision 0 by convention
    y_true[y_true == 2] = 0  # and one that never occurs
    rows = report_rows(metrics.classification_report(y_true, y_pred, names))
    assert all(isinstance(r, ReportRow) for r in rows)
    _check_rows(rows, y_true, y_pred, names)
    assert [f for f, _ in REPORT_COLUMNS] == ["label", "precision", "recall", "f1", "support"]
    # sortable: every class row has numbers in every column
    assert all(isinstance(getattr(r, f), (int, float)) for r in rows[:5]
               for f, _ in REPORT_COLUMNS[1:])


def test_evaluate_gives_accuracy_per_split_and_a_report_the_rows_reproduce():
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=3.0, size=(3, 6))

    def draw(n):
        y = rng.integers(0, 3, n)
        return (centres[y] + rng.normal(size=(n, 6)) * 1.5).astype(np.float32), y

    x, y = draw(150)
    xt, yt = draw(60)
    ds = Dataset("blobs", "vector", x, y, xt, yt, ["a", "b", "c"], "test")
    model = M.build_model(M.ModelConfig(hidden=(8,), learning_rate=0.01), ds, seed=0)
    result = T.train(model, ds, T.TrainConfig(epochs=3, validation_split=0.2))
    ev = T.evaluate(model, ds, "test", validation=result)

    rows = accuracy_rows(ev.accuracy)
    assert [r.split for r in rows] == list(SPLIT_ORDER)
    assert all(isinstance(r, AccuracyRow) for r in rows)
    pred = lambda a: np.argmax(model.predict(a, verbose=0), axis=1)  # noqa: E731
    val = result.validation_indices
    fit = np.setdiff1d(np.arange(len(x)), val)
    expected = {"train": np.mean(pred(x[fit]) == y[fit]),
                "validation": np.mean(pred(x[val]) == y[val]),
                "test": np.mean(pred(xt) == yt)}
    for r in rows:
        assert r.accuracy == pytest.approx(expected[r.split], abs=1e-12), r.split
    _check_rows(report_rows(ev.report), yt, pred(xt), ["a", "b", "c"])


def test_accuracy_rows_keep_the_known_order_and_any_extra_split_after():
    rows = accuracy_rows({"test": 0.5, "extra": 0.1, "train": 0.9})
    assert [(r.split, r.accuracy) for r in rows] == [("train", 0.9), ("test", 0.5),
                                                      ("extra", 0.1)]
