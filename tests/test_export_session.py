"""``main.py export SESSION`` (session_headless.export_session) is all or nothing, as File →
Export… is: every file is staged inside its destination and renamed into place once all are
written, so an export that fails midway leaves the destinations as they were."""

from __future__ import annotations

import errno

import numpy as np
import pytest

from reprviz_gui.core.errors import ReprvizError
from reprviz_gui.core.io import tables
from reprviz_gui.core.io.history import RunRecord
from reprviz_gui.core.io.session_file import write_session
from reprviz_gui.workspace import session_headless
from reprviz_gui.workspace.results import LayerResult
from reprviz_gui.workspace.state import ResultTag, Session, Workspace

N = 50


@pytest.fixture
def session_path(tmp_path, monkeypatch):
    """A saved digits session (no model, one run-history row); opened for export, it also
    holds a layer of 50 × 6 activations (as a session of a trained model does)."""
    from reprviz_gui.core.data.samples import make_sample_set
    from reprviz_gui.core.data.sources import load_dataset
    from reprviz_gui.core.data.types import LoadOptions
    from reprviz_gui.workspace.results import ResultStore
    from reprviz_gui.workspace.session_io import snapshot
    from reprviz_gui.workspace.settings import Settings

    ds = load_dataset("digits")
    samples = make_sample_set(ds, N, "test", 0)
    ws = Workspace(source="digits", dataset=ds, dataset_id=1, samples=samples, n_samples=N,
                   method="pca", sessions={"A": Session("A", "none")})
    row = RunRecord(id="r1", time="2026-01-01T00:00:00+00:00", dataset="digits",
                    architecture="none").to_json()
    snap = snapshot(ws, Settings(source="digits", n_samples=N), ResultStore(), "A",
                    LoadOptions(), history_rows=[row])
    acts = np.random.default_rng(3).normal(size=(N, 6)).astype(np.float32)
    opened = session_headless.open_for_export

    def with_a_layer(path, trust=False):
        out = opened(path, trust)
        out.results[("layer", "A")] = LayerResult(ResultTag(0, out.samples.key, "A", 0),
                                                  "hidden", out.samples, acts)
        return out

    monkeypatch.setattr(session_headless, "open_for_export", with_a_layer)
    return write_session(tmp_path / "s.reprviz", snap.manifest, snap.arrays), acts


def test_export_that_fails_midway_leaves_the_destinations_as_they_were(tmp_path, session_path,
                                                                      monkeypatch):
    path, _ = session_path
    proj, csv = tmp_path / "proj", tmp_path / "new" / "csv"
    proj.mkdir()
    (proj / "mine.txt").write_text("kept")

    def disk_full(*args, **kwargs):  # after the bundle and activations.npy are written
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tables, "write_metrics_csv", disk_full)
    with pytest.raises(ReprvizError, match="No space left"):
        session_headless.export_session(path, projector=proj, csv=csv)
    assert [p.name for p in proj.iterdir()] == ["mine.txt"]
    assert (proj / "mine.txt").read_text() == "kept"
    assert not (tmp_path / "new").exists()  # made by the export, so removed again


def test_export_writes_every_file(tmp_path, session_path):
    path, acts = session_path
    proj, csv = tmp_path / "proj", tmp_path / "csv"
    proj.mkdir()
    (proj / "mine.txt").write_text("kept")
    lines = session_headless.export_session(path, projector=proj, csv=csv)
    assert f"wrote 4 files to {proj}" in lines and f"wrote 3 files to {csv}" in lines
    assert sorted(p.name for p in proj.iterdir()) == [
        "metadata.tsv", "mine.txt", "projector_config.pbtxt", "sprite.png", "tensors.tsv"]
    assert sorted(p.name for p in csv.iterdir()) == [
        "activations.npy", "layer_metrics.csv", "runs.csv"]
    tsv = np.loadtxt(proj / "tensors.tsv", delimiter="\t", dtype=np.float32)
    np.testing.assert_array_equal(tsv, acts)
    np.testing.assert_array_equal(np.load(csv / "activations.npy"), acts)
