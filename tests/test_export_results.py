"""Exports from the workspace's results (workspace/exports.py): what the window's Export dialog
and ``main.py export SESSION`` write, checked against the results they came from."""

from __future__ import annotations

import csv

import numpy as np
from view_support import (make_curves, make_evaluation, make_layer, make_predictions,
                          make_projection, make_samples, selection_of_rows)

from reprviz_gui.core.io.history import RunRecord
from reprviz_gui.workspace.exports import (TABLE_NAMES, export_html, export_projector,
                                           export_tables)


def test_tables_of_the_shown_results(tmp_path):
    layer, proj = make_layer(), make_projection()
    ev = make_evaluation(make_predictions(), make_samples().labels)
    sel = selection_of_rows(proj.samples, [2, 5, 29])
    runs = [RunRecord(id="r", time="t", dataset="@evil", architecture="dense")]
    out = export_tables(tmp_path, layer=layer, projection=proj, evaluation=ev, selection=sel,
                        history=runs)
    assert sorted(p.name for p in out.files) == sorted(TABLE_NAMES.values()) and not out.notes
    rows = list(csv.DictReader(open(tmp_path / "map.csv", newline="")))
    assert [i for i, r in enumerate(rows) if r["selected"] == "true"] == [2, 5, 29]
    assert [int(r["index"]) for r in rows] == proj.samples.indices.tolist()
    np.testing.assert_array_equal(np.load(tmp_path / "activations.npy"), layer.activations)
    assert np.load(tmp_path / "map.npy")["selected"].sum() == 3
    assert list(csv.DictReader(open(tmp_path / "runs.csv")))[0]["dataset"] == "'@evil"
    metrics = dict(csv.reader(open(tmp_path / "layer_metrics.csv")))
    assert metrics["units"] == str(layer.activations.shape[1])


def test_without_a_model_the_missing_tables_are_noted(tmp_path):
    out = export_tables(tmp_path, projection=make_projection(predictions=False), prefix="B-")
    assert sorted(p.name for p in out.files) == ["B-map.csv", "B-map.npy"]
    assert any("train or load a model" in n for n in out.notes)
    rows = list(csv.DictReader(open(tmp_path / "B-map.csv")))
    assert {r["predicted"] for r in rows} == {""}


def test_projector_and_html_from_results(tmp_path):
    layer = make_layer()
    b = export_projector(tmp_path / "p", layer)
    meta = (tmp_path / "p" / "metadata.tsv").read_text().splitlines()
    assert len(meta) == layer.samples.n + 1 and b.thumbnail_size == (8, 8)
    assert sum(r.split("\t")[4] == "no" for r in meta[1:]) == 4  # the four known mistakes
    ev = make_evaluation(make_predictions(), make_samples().labels)
    html = export_html(tmp_path / "r.html", dataset="toy", model="dense", layer=layer,
                       evaluation=ev, curves=make_curves(3).history).read_text()
    assert "dense_1" in html and "Confusion matrix" in html and "data:image/png;base64" in html


def test_analyze_writes_the_projector_bundle_and_tables_headless(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root), "REPRVIZ_CONFIG_DIR": str(tmp_path / "cfg")}
    done = subprocess.run(
        [sys.executable, str(root / "main.py"), "analyze", "--data", "digits", "--model", "none",
         "--samples", "120", "--out", str(tmp_path / "out"), "--projector", str(tmp_path / "p"),
         "--export-csv", str(tmp_path / "t"), "--no-history", "--no-measures", "--no-figures"],
        env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    acts = np.load(tmp_path / "out" / "activations.npz")["activations"]
    tsv = (tmp_path / "p" / "tensors.tsv").read_text().splitlines()
    assert len(tsv) == len(acts) == 120
    np.testing.assert_allclose([float(v) for v in tsv[0].split("\t")], acts[0], rtol=1e-6)
    assert "single_image_dim: 8" in (tmp_path / "p" / "projector_config.pbtxt").read_text()
    np.testing.assert_array_equal(np.load(tmp_path / "t" / "activations.npy"), acts)
    rows = list(csv.DictReader(open(tmp_path / "t" / "map.csv")))
    assert len(rows) == 120 and rows[0]["predicted"] == ""
