"""The session file (core/io/session_file.py) and its codec (workspace/session_state.py), without a
window: results round-trip exactly, a file naming a class outside reprviz's results or from a
newer version is refused, a kill while writing leaves the previous file, and a session's run
history exports with the spreadsheet-formula guard."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from reprviz_gui.core.io import session_file
from reprviz_gui.core.io.session_file import SessionFileError, read_session, write_session
from reprviz_gui.workspace.results import EvaluationResult, LayerResult, ResultKey
from reprviz_gui.workspace.session_state import (StateError, WorkspaceState, decode_result,
                                                 encode_result)
from reprviz_gui.workspace.state import ResultTag, Selection, Session, Workspace

REPO = Path(__file__).resolve().parents[1]


def _samples():
    from reprviz_gui.core.data.samples import make_sample_set
    from reprviz_gui.core.data.sources import load_dataset

    ds = load_dataset("digits")
    return ds, make_sample_set(ds, 50, "test", 0)


def test_results_round_trip_through_a_session_file(tmp_path):
    ds, samples = _samples()
    rng = np.random.default_rng(0)
    tag = ResultTag(7, samples.key, "A", 3)
    layer = LayerResult(tag, "hidden_1", samples, rng.random((50, 8), dtype=np.float32),
                        rng.random((50, 50), dtype=np.float32), None,
                        rng.integers(0, 10, 50), "a note")
    ev = EvaluationResult(ResultTag(7, "", "A", 3), np.eye(3, dtype=np.int64), ("a", "b", "c"),
                          {"test": 0.5}, np.ones(3), ((0, 1, 2),), {"a": {"precision": 1.0}},
                          probabilities=rng.random((4, 3), dtype=np.float32), loss={"test": 1.5})
    arrays: dict = {}
    entries = [encode_result(ResultKey.make("layer", tag, {"layer": "hidden_1", "predict": True}),
                             layer, arrays, "r0"),
               encode_result(ResultKey.make("evaluation", ev.tag, {}), ev, arrays, "r1")]
    path = write_session(tmp_path / "s.reprviz", {"results": entries}, arrays)
    back = read_session(path, tmp_path / "x")
    assert back.manifest["version"] == session_file.VERSION
    new_tag = {"A": 9}

    def tag_for(sid, with_samples):
        return ResultTag(1, samples.key if with_samples else "", sid, new_tag[sid])

    (k1, l2), (k2, ev2) = [decode_result(e, back.arrays, samples, tag_for)
                           for e in back.manifest["results"]]
    assert k1 == ResultKey.make("layer", ResultTag(1, samples.key, "A", 9),
                                {"layer": "hidden_1", "predict": True})
    assert l2.samples is samples and l2.tag == k1.tag and l2.note == "a note"
    np.testing.assert_array_equal(l2.activations, layer.activations)
    np.testing.assert_array_equal(l2.cosine, layer.cosine)
    np.testing.assert_array_equal(l2.predictions, layer.predictions)
    assert l2.activations.dtype == np.float32 and l2.centroid_cosine is None
    assert ev2.class_names == ("a", "b", "c") and ev2.top_pairs == ((0, 1, 2),)
    assert ev2.report == {"a": {"precision": 1.0}} and ev2.loss == {"test": 1.5}
    np.testing.assert_array_equal(ev2.probabilities, ev.probabilities)


def test_a_stored_result_naming_another_class_is_refused(tmp_path):
    entry = {"kind": "layer", "session": "A", "with_samples": True, "params": [],
             "value": {"$class": "os:system", "fields": {"command": "echo hi"}}}
    with pytest.raises(StateError, match="not one of reprviz's results"):
        decode_result(entry, {}, None, lambda sid, w: ResultTag(0, ""))


def test_the_workspace_state_round_trips_and_checks_what_it_reads():
    from reprviz_gui.workspace.state import TrainingCurves

    ws = Workspace(source="digits", n_samples=50, method="pca", seed=3)
    ws.sessions = {"A": Session("A", "dense", {"hidden": [8]}, layer="hidden_1",
                                trained_epochs=2, last_run_id="r2", partial_epoch=True,
                                held_out=(0.2, 4),
                                curves=TrainingCurves({"loss": (1.0, 0.5)}, 2,
                                                      continued_at=(1,)))}
    # a ranked selection (the samples that moved most, most moved first) keeps its ranking
    ws.selection = Selection.ranked("test", [4, 9, 2], "moved most")
    state = WorkspaceState.capture(ws, "A", {"seed": 3})
    again = WorkspaceState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert again.to_dict() == state.to_dict()
    np.testing.assert_array_equal(again.selection_of().indices, [2, 4, 9])
    assert again.selection_of().order == (4, 9, 2)
    assert again.selection_of().source == "moved most"
    wrong = WorkspaceState.from_dict({**state.to_dict(), "selection_order": [4, 7]})
    assert wrong.selection_of().order == ()  # a ranking of other samples is not used
    s = again.session_of(again.models[0])
    assert (s.layer, s.trained_epochs, s.curves.history) == ("hidden_1", 2, {"loss": (1.0, 0.5)})
    # where training goes on from: Continue training counts on after a session is opened
    assert (s.curves.continued_at, s.last_run_id, s.partial_epoch, s.held_out) == \
        ((1,), "r2", True, (0.2, 4))
    bad = state.to_dict()
    bad["models"][0]["held_out"] = [0.2, "x"]
    with pytest.raises(StateError, match="held_out"):
        WorkspaceState.from_dict(bad)
    bad = state.to_dict()
    bad["selection_order"] = [4, "x"]
    with pytest.raises(StateError, match="selection_order"):
        WorkspaceState.from_dict(bad)
    bad = state.to_dict()
    bad["n_samples"] = -5
    with pytest.raises(StateError, match="n_samples"):
        WorkspaceState.from_dict(bad)
    bad = {**state.to_dict(), "models": [{"id": "C"}]}
    with pytest.raises(StateError, match="not A or B"):
        WorkspaceState.from_dict(bad)


def test_a_newer_or_foreign_file_is_one_clear_message(tmp_path):
    path = write_session(tmp_path / "s.reprviz", {}, {})
    with zipfile.ZipFile(path) as z:
        manifest = json.loads(z.read("manifest.json"))
    manifest["version"] = session_file.VERSION + 1
    newer = tmp_path / "newer.reprviz"
    with zipfile.ZipFile(newer, "w") as z:
        z.writestr("manifest.json", json.dumps(manifest))
    with pytest.raises(SessionFileError, match="update reprviz to open it"):
        read_session(newer, tmp_path / "x")
    other = tmp_path / "other.reprviz"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(SessionFileError, match="is not a reprviz session"):
        read_session(other, tmp_path / "x")
    bad_name = tmp_path / "bad.reprviz"
    with zipfile.ZipFile(bad_name, "w") as z:
        z.writestr("manifest.json", json.dumps({**manifest, "version": 1,
                                                "models": ["../../evil"]}))
    with pytest.raises(SessionFileError, match="is not a member name"):
        read_session(bad_name, tmp_path / "x")


def test_killing_the_writer_leaves_the_previous_session_intact(tmp_path):
    path = tmp_path / "big.reprviz"
    write_session(path, {"which": "previous"}, {"a": np.arange(10)})
    before = path.read_bytes()
    script = textwrap.dedent(f"""
        import numpy as np, sys
        sys.path.insert(0, {str(REPO)!r})
        from reprviz_gui.core.io.session_file import write_session
        arrays = {{f"a{{i}}": np.random.default_rng(i).random(2_000_000) for i in range(10)}}
        print("writing", flush=True)
        write_session({str(path)!r}, {{"which": "new"}}, arrays)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"
        deadline = time.monotonic() + 60
        temps: list = []
        while time.monotonic() < deadline:  # wait until the new file is being written
            temps = [p for p in tmp_path.glob(".big.reprviz.*.tmp") if p.stat().st_size > 1e6]
            if temps or proc.poll() is not None:
                break
            time.sleep(0.05)
        assert temps and proc.poll() is None, "the writer was not caught mid-write"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert path.read_bytes() == before
    assert read_session(path, tmp_path / "x").manifest["which"] == "previous"


def test_a_sessions_run_history_exports_with_the_formula_guard(tmp_path):
    """A dataset named =HYPERLINK(...) in a session's run-history rows: runs.csv holds it as
    text ('=HYPERLINK...), not as a formula a spreadsheet would run."""
    from reprviz_gui.core.data.types import LoadOptions
    from reprviz_gui.core.io.history import RunRecord
    from reprviz_gui.workspace.session_headless import export_session
    from reprviz_gui.workspace.session_io import snapshot
    from reprviz_gui.workspace.results import ResultStore
    from reprviz_gui.workspace.settings import Settings

    ds, samples = _samples()
    hostile = '=HYPERLINK("http://x","y")'
    ws = Workspace(source="digits", dataset=ds, dataset_id=1, samples=samples, n_samples=50,
                   method="pca", sessions={"A": Session("A", "none")})
    row = RunRecord(id="r1", time="2026-01-01T00:00:00+00:00", dataset=hostile,
                    architecture="@SUM(1+1)").to_json()
    snap = snapshot(ws, Settings(source="digits", n_samples=50), ResultStore(), "A",
                    LoadOptions(), history_rows=[row])
    path = write_session(tmp_path / "s.reprviz", snap.manifest, snap.arrays)
    lines = export_session(path, csv=tmp_path / "csv")
    assert any("wrote" in line for line in lines)
    with open(tmp_path / "csv" / "runs.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["dataset"] == "'" + hostile
    assert rows[0]["architecture"] == "'@SUM(1+1)"


def test_a_user_data_file_travels_in_the_session_unless_too_big(tmp_path, monkeypatch):
    from reprviz_gui.core.data.samples import make_sample_set
    from reprviz_gui.core.data.sources import load_dataset
    from reprviz_gui.core.data.types import LoadOptions
    from reprviz_gui.workspace import session_io
    from reprviz_gui.workspace.results import ResultStore
    from reprviz_gui.workspace.session_io import read_plan, snapshot
    from reprviz_gui.workspace.settings import Settings

    rng = np.random.default_rng(0)
    mine = tmp_path / "my data.csv"
    rows = ["a,b,c,label"] + [f"{x:.3f},{y:.3f},{z:.3f},{i % 3}"
                              for i, (x, y, z) in enumerate(rng.random((60, 3)))]
    mine.write_text("\n".join(rows) + "\n")

    def save(source, name):
        ds = load_dataset(source, LoadOptions())
        ws = Workspace(source=str(source), dataset=ds, dataset_id=1,
                       samples=make_sample_set(ds, 10, "test", 0), n_samples=10,
                       sessions={"A": Session("A", "none")})
        snap = snapshot(ws, Settings(), ResultStore(), "A", LoadOptions())
        return write_session(tmp_path / name, snap.manifest, snap.arrays,
                             files=snap.files), snap.notes, ds

    stored, notes, ds = save(mine, "stored.reprviz")
    assert notes == []
    moved = mine.rename(tmp_path / "moved.csv")
    plan = read_plan(stored, extract_to=tmp_path / "open")
    again = load_dataset(plan.data_source, plan.load_options)
    np.testing.assert_array_equal(again.x_test, ds.x_test)

    monkeypatch.setattr(session_io, "MAX_EMBEDDED_DATA", 10)
    named, notes, _ = save(moved, "named.reprviz")
    assert "must stay where it is" in notes[0]
    moved.rename(tmp_path / "gone.csv")
    with pytest.raises(SessionFileError, match="no longer there .*put it back"):
        read_plan(named, extract_to=tmp_path / "open2")


def test_a_damaged_stored_result_is_refused_before_anything_opens(tmp_path):
    from reprviz_gui.workspace.session_io import read_plan, snapshot
    from reprviz_gui.workspace.results import ResultStore
    from reprviz_gui.workspace.settings import Settings
    from reprviz_gui.core.data.types import LoadOptions

    ds, samples = _samples()
    ws = Workspace(source="digits", dataset=ds, dataset_id=1, samples=samples, n_samples=50,
                   sessions={"A": Session("A", "none")})
    snap = snapshot(ws, Settings(), ResultStore(), "A", LoadOptions())
    manifest = {**snap.manifest, "results": [{"kind": "layer", "session": "A",
                                              "with_samples": True, "params": [],
                                              "value": {"$array": "missing"}}]}
    path = write_session(tmp_path / "s.reprviz", manifest, {})
    with pytest.raises(SessionFileError, match="is damaged: the array 'missing' is missing"):
        read_plan(path, extract_to=tmp_path / "x")


def test_the_command_line_says_what_is_wrong_with_a_session_in_one_line(tmp_path):
    def main_py(*args):
        return subprocess.run([sys.executable, str(REPO / "main.py"), *map(str, args)],
                              capture_output=True, text=True, timeout=120, cwd=tmp_path)

    run = main_py(tmp_path / "missing.reprviz")
    assert run.returncode == 2 and run.stderr.strip() == (
        f"reprviz: error: Session file not found: {tmp_path / 'missing.reprviz'}")
    (tmp_path / "notes.reprviz").write_text("not a zip")
    run = main_py("export", tmp_path / "notes.reprviz", "--csv", tmp_path / "out")
    assert run.returncode == 2
    assert run.stderr.strip() == ("reprviz: error: notes.reprviz is not a reprviz session; it "
                                  "cannot be opened.")
    run = main_py("export", tmp_path / "notes.reprviz")
    assert run.returncode == 2 and "say what to export" in run.stderr
    assert not (tmp_path / "out").exists()
