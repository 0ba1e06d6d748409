"""``analyze``'s measured keys (layer_metrics, cka, map_quality, similarity_vs_confusion,
model_difference): present, consistent with the arrays it writes, and recomputable another way.
The slow test is the issue's "done when" on the Fashion sample."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.manifold import trustworthiness

from reprviz_gui.core.io.report import AnalyzeOptions, analyze


@pytest.fixture(scope="module")
def compared(tmp_path_factory, monkeypatch_module):
    out = tmp_path_factory.mktemp("measures")
    opts = AnalyzeOptions(data="digits", model="dense", epochs=3, samples=300, out=out,
                          figures=False, history=False, compare="multinomial")
    return analyze(opts), np.load(out / "activations.npz")


@pytest.fixture(scope="module")
def monkeypatch_module(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("REPRVIZ_CONFIG_DIR", str(tmp_path_factory.mktemp("cfg")))
    yield mp
    mp.undo()


def test_layer_metrics_every_layer(compared):
    r, _ = compared
    rows = r["layer_metrics"]["layers"]
    assert [x["layer"] for x in rows] == ["input", "hidden_1:raw", "hidden_1", "hidden_2:raw",
                                          "hidden_2", "output:raw", "output"]
    for x in rows:
        assert 0.0 <= x["knn_accuracy"] <= 1.0 and 0.0 <= x["probe_accuracy"] <= 1.0
        assert x["intrinsic_dimension"] > 0
    # the selected layer's dead units and zeros are the layer report's (one definition)
    mine = next(x for x in rows if x["layer"] == r["layer"]["name"])
    assert mine["dead_units"] == r["layer"]["dead_units"]
    assert mine["fraction_zero"] == pytest.approx(r["layer"]["fraction_zero"])
    assert "30%" in r["layer_metrics"]["method"]["held_out"]
    assert [x["layer"] for x in r["layer_metrics"]["model_b"]["layers"]] == ["input", "output:raw",
                                                                            "output"]


def test_cka_matrix(compared):
    r, _ = compared
    c = r["cka"]
    m = np.array(c["matrix"])
    assert c["layers"][0] == "input" and m.shape == (7, 7)
    np.testing.assert_allclose(np.diag(m), 1.0)
    np.testing.assert_allclose(m, m.T)
    assert np.array(c["debiased"]).shape == (7, 7)
    b = c["between_models"]
    assert b["rows"] == c["layers"] and b["cols"] == ["input", "output:raw", "output"]
    # input vs input of the other model: the same samples, CKA 1
    assert b["matrix"][0][0] == pytest.approx(1.0)


def test_map_quality_matches_sklearn_on_the_written_arrays(compared):
    r, npz = compared
    q = r["map_quality"]
    acts, coords = npz["activations"].astype(np.float64), npz["coords"].astype(np.float64)
    unit = acts / np.linalg.norm(acts, axis=1, keepdims=True)
    assert q["trustworthiness"] == pytest.approx(trustworthiness(unit, coords, n_neighbors=10),
                                                 abs=1e-5)
    assert q["continuity"] == pytest.approx(trustworthiness(coords, unit, n_neighbors=10),
                                            abs=1e-5)
    assert q["map"]["method"] == "pca" and q["map"]["seed"] == 0
    assert sum(q["neighbours_kept_histogram"]) == 300


def test_similarity_vs_confusion_and_model_difference(compared):
    r, npz = compared
    s = r["similarity_vs_confusion"]
    assert s["pairs"] == 90 and -1 <= s["rho"] <= 1 and s["layer"] == r["layer"]["name"]
    d = r["model_difference"]
    counts = {k: v["count"] for k, v in d["agreement"].items()}
    assert sum(counts.values()) == 300
    labels, pred, idx = npz["labels"], npz["predictions"], npz["sample_indices"]
    right_a = set(idx[pred == labels].tolist())
    assert set(d["agreement"]["both right"]["indices"]) | set(
        d["agreement"]["only A right"]["indices"]) == right_a
    moved = d["neighbourhood_change"]["moved_most"]
    assert [m["jaccard"] for m in moved] == sorted(m["jaccard"] for m in moved)


@pytest.mark.slow
def test_done_when_fashion_dense_ten_epochs(tmp_path, monkeypatch):
    """The issue's check: every layer's kNN and probe; the last hidden layer's probe within 2
    points of the model's test accuracy (or above); the input's probe below it; rho > 0."""
    monkeypatch.setenv("REPRVIZ_CONFIG_DIR", str(tmp_path / "cfg"))
    r = analyze(AnalyzeOptions(data="fashion-mnist-sample", model="dense", epochs=10,
                               samples=4443, out=tmp_path, figures=False, history=False))
    rows = {x["layer"]: x for x in r["layer_metrics"]["layers"]}
    assert all(x["knn_accuracy"] is not None and x["probe_accuracy"] is not None
               for x in rows.values())
    last = rows[r["layer"]["name"]]
    assert r["layer"]["name"] == "hidden_2"
    test_acc = r["accuracy"]["test"]
    print({k: (round(v["knn_accuracy"], 4), round(v["probe_accuracy"], 4)) for k, v in
           rows.items()}, "test", test_acc, "rho", r["similarity_vs_confusion"]["rho"])
    assert last["probe_accuracy"] >= test_acc - 0.02
    assert rows["input"]["probe_accuracy"] < last["probe_accuracy"]
    assert r["similarity_vs_confusion"]["rho"] > 0
