"""`analyze --projection pca-tsne --pca-components K`: the option reaches the map and report.json."""

from __future__ import annotations

import json

import numpy as np
import pytest

from reprviz_gui.cli import main


def test_analyze_pca_tsne_records_k_and_its_explained_variance(tmp_path):
    from sklearn.decomposition import PCA

    out = tmp_path / "out"
    code = main(["analyze", "--data", "digits", "--model", "none", "--samples", "150",
                 "--projection", "pca-tsne", "--pca-components", "7", "--out", str(out),
                 "--no-figures", "-q"])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    proj = report["projection"]
    assert proj["method"] == "pca-tsne" and proj["params"]["pca_components"] == 7
    assert report["options"]["pca_components"] == 7
    saved = np.load(out / "activations.npz")
    expected = PCA(7).fit(saved["activations"].astype(np.float64)).explained_variance_ratio_
    assert proj["pca_explained_variance"] == pytest.approx(float(expected.sum()), rel=1e-4)
    assert saved["coords"].shape == (len(saved["labels"]), 2)


def test_pca_components_must_be_positive(capsys, tmp_path):
    code = main(["analyze", "--data", "digits", "--model", "none", "--projection", "pca-tsne",
                 "--pca-components", "0", "--out", str(tmp_path / "o")])
    assert code == 2
    assert "--pca-components" in capsys.readouterr().err
