"""Tables written for spreadsheets and numpy, read back and compared with their sources (the
classification report against scikit-learn's own)."""

from __future__ import annotations

import csv

import numpy as np
from sklearn.metrics import classification_report as sk_report

from reprviz_gui.core.analysis.metrics import classification_report, confusion_matrix
from reprviz_gui.core.io.tables import (MAP_COLUMNS, layer_summary, write_activations_npy,
                                        write_confusion_csv, write_map_csv, write_map_npy,
                                        write_metrics_csv, write_report_csv)

NAMES = ("=cat", "dog", "@bird")  # class names from a user's file, two of them formula-like


def read(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def data(n=30, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(3), n // 3)
    preds = labels.copy()
    preds[[1, 12, 25]] = [2, 0, 1]
    return rng.normal(size=(n, 2)).astype(np.float32), labels, preds, np.arange(n) * 3 + 100


def test_map_csv_and_npy_hold_coordinates_and_selection(tmp_path):
    coords, labels, preds, idx = data()
    selected = np.array([0, 12, 29])
    rows = read(write_map_csv(tmp_path / "map.csv", coords, indices=idx, split="test",
                              labels=labels, class_names=NAMES, predictions=preds,
                              selected_rows=selected))
    assert tuple(rows[0]) == MAP_COLUMNS and len(rows) == 31
    body = rows[1:]
    assert [int(r[0]) for r in body] == idx.tolist() and {r[1] for r in body} == {"test"}
    np.testing.assert_array_equal(np.array([[float(r[2]), float(r[3])] for r in body],
                                           dtype=np.float32), coords)
    assert body[0][4] == "'=cat" and body[25][4] == "'@bird" and body[25][5] == "dog"
    assert [i for i, r in enumerate(body) if r[6] == "true"] == selected.tolist()

    t = np.load(write_map_npy(tmp_path / "map.npy", coords, indices=idx, split="test",
                              labels=labels, predictions=None, selected_rows=selected),
                allow_pickle=False)
    assert t.dtype.names == MAP_COLUMNS
    np.testing.assert_array_equal(np.stack([t["x"], t["y"]], 1), coords)
    np.testing.assert_array_equal(t["true"], labels)
    assert (t["predicted"] == -1).all() and np.flatnonzero(t["selected"]).tolist() == [0, 12, 29]


def test_activations_npy_round_trip(tmp_path):
    a = np.random.default_rng(1).random((7, 5))
    back = np.load(write_activations_npy(tmp_path / "a.npy", a), allow_pickle=False)
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, a.astype(np.float32))


def test_confusion_and_report_match_scikit_learn(tmp_path):
    _, labels, preds, _ = data()
    cm = confusion_matrix(labels, preds, 3)
    rows = read(write_confusion_csv(tmp_path / "cm.csv", cm, NAMES))
    assert rows[0] == ["true \\ predicted", "'=cat", "dog", "'@bird"]
    np.testing.assert_array_equal(np.array([[int(v) for v in r[1:]] for r in rows[1:]]), cm)

    report = classification_report(labels, preds, NAMES)
    rows = read(write_report_csv(tmp_path / "report.csv", report,
                                 {"test": 0.9, "train": 0.95}))
    assert rows[0] == ["class", "precision", "recall", "f1", "support"]
    ref = sk_report(labels, preds, target_names=list(NAMES), output_dict=True)
    by_label = {r[0]: r for r in rows[1:]}
    for name in NAMES:
        r = by_label["'" + name if name[0] in "=@" else name]
        assert np.allclose([float(r[1]), float(r[2]), float(r[3])],
                           [ref[name]["precision"], ref[name]["recall"], ref[name]["f1-score"]])
        assert int(r[4]) == ref[name]["support"]
    assert float(by_label["accuracy"][3]) == ref["accuracy"]
    assert [r[0] for r in rows[-2:]] == ["accuracy (train)", "accuracy (test)"]


def test_layer_summary_and_metrics_csv(tmp_path):
    a = np.array([[0.0, 1.0, 0.0], [0.0, 3.0, 2.0]], dtype=np.float32)
    s = layer_summary(a, np.array([0, 1]), ("x", "y"))
    assert s["units"] == 3 and s["dead_units"] == 1
    assert s["fraction_zero"] == 0.5 and np.isclose(s["mean · y"], 5 / 3)
    rows = read(write_metrics_csv(tmp_path / "m.csv", s))
    assert rows[0] == ["metric", "value"] and ["units", "3"] in rows
