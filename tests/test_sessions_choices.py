"""A session keeps the reading choices of its layers and data (issue 14 leftovers): each
layer's chosen reduction (``Session.reductions``) and the dataset's input preprocessing
(``Dataset.preprocess``), whether the window wrote it or ``analyze --reduction --preprocess``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from reprviz_gui.workspace.session_state import StateError, WorkspaceState
from reprviz_gui.workspace.state import Session, Workspace

REPO = Path(__file__).resolve().parents[1]


def test_reductions_and_preprocessing_round_trip_and_are_checked():
    from reprviz_gui.core.data.sources import load_dataset

    ds = load_dataset("digits")
    ds.preprocess = "symmetric"
    ws = Workspace(source="digits", dataset=ds, n_samples=50)
    ws.sessions = {"A": Session("A", "lenet", {}, layer="conv_1",
                                reductions={"conv_1": "max", "conv_2": "crop"})}
    state = WorkspaceState.capture(ws, "A")
    again = WorkspaceState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert again.preprocess == "symmetric"
    assert again.session_of(again.models[0]).reductions == {"conv_1": "max", "conv_2": "crop"}
    bad = state.to_dict()
    bad["models"][0]["reductions"] = {"conv_1": "median"}
    with pytest.raises(StateError, match="reductions"):
        WorkspaceState.from_dict(bad)
    with pytest.raises(StateError, match="preprocess"):
        WorkspaceState.from_dict({**state.to_dict(), "preprocess": "sideways"})
    # a session written before these fields existed opens with the defaults
    old = state.to_dict()
    del old["preprocess"], old["models"][0]["reductions"]
    legacy = WorkspaceState.from_dict(old)
    assert legacy.preprocess == "unit" and legacy.models[0].reductions == {}


def test_an_analyze_session_is_read_with_its_reduction_and_preprocessing(tmp_path):
    from reprviz_gui.workspace.session_headless import open_for_export

    session = tmp_path / "conv.reprviz"
    run = subprocess.run([sys.executable, str(REPO / "main.py"), "analyze", "--data", "digits",
                          "--model", "lenet", "--epochs", "1", "--samples", "60",
                          "--projection", "pca", "--layer", "1", "--reduction", "max",
                          "--preprocess", "symmetric", "--out", str(tmp_path / "out"),
                          "--session", str(session), "--no-figures", "--no-measures",
                          "--quiet"], capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    opened = open_for_export(session)
    m = opened.plan.state.models[0]
    assert m.reductions == {m.layer: "max"}
    assert opened.dataset.preprocess == "symmetric"  # the inputs the results were computed on
    layer = opened.get("layer")
    assert layer is not None and layer.reduction.startswith("global max")
    # max per channel: one column per convolution channel, not the flattened maps
    assert layer.activations.shape[0] == 60 and layer.activations.shape[1] < 64
    assert np.isfinite(layer.activations).all()


def _token_file(path: Path) -> Path:
    """A small .npz in the Keras imdb layout: object arrays of token lists (pickle only)."""
    rng = np.random.default_rng(0)

    def seqs(n: int) -> np.ndarray:
        out = np.empty(n, dtype=object)
        for i in range(n):
            out[i] = [1] + [int(t) for t in rng.integers(3, 50, rng.integers(3, 20))]
        return out

    np.savez(path, x_train=seqs(40), y_train=rng.integers(0, 2, 40),
             x_test=seqs(20), y_test=rng.integers(0, 2, 20))
    return path


def test_data_that_needs_pickle_is_stored_without_it_and_the_session_opens(tmp_path):
    """A trusted object-array .npz travels as int32 ids + offsets: the session's copy opens
    with pickle off (as a session always opens) and gives the same token rows."""
    import zipfile

    from reprviz_gui.core.data.npz import UnsafeFileError, inspect_npz
    from reprviz_gui.core.data.sources import load_dataset
    from reprviz_gui.core.data.types import LoadOptions
    from reprviz_gui.workspace.session_io import read_plan, save_job, snapshot
    from reprviz_gui.workspace.settings import Settings
    from reprviz_gui.workspace.state import NO_MODEL

    src = _token_file(tmp_path / "reviews.npz")
    with pytest.raises(UnsafeFileError):  # the file itself needs pickle
        load_dataset(str(src), LoadOptions())
    trusted = LoadOptions(allow_pickle=True)
    ds = load_dataset(str(src), trusted)
    ws = Workspace(source=str(src), dataset=ds, n_samples=30,
                   sessions={"A": Session("A", NO_MODEL)})
    path = tmp_path / "words.reprviz"
    save_job(path, snapshot(ws, Settings(), {}, "A", trusted))(None, lambda: False)
    with zipfile.ZipFile(path) as z:
        z.extract("data/reviews.npz", tmp_path / "x")
    members = inspect_npz(tmp_path / "x" / "data" / "reviews.npz")
    assert not any(dt.hasobject for _, dt in members.values())
    assert members["x_train"][1] == np.int32 and "x_train__offsets" in members

    plan = read_plan(path, extract_to=tmp_path / "open")
    assert not plan.load_options.allow_pickle
    again = load_dataset(plan.data_source, plan.load_options)  # no UnsafeFileError
    np.testing.assert_array_equal(again.x_train, ds.x_train)
    np.testing.assert_array_equal(again.x_test, ds.x_test)
    np.testing.assert_array_equal(again.y_train, ds.y_train)
    assert again.kind == ds.kind == "sequence"
    # offsets that do not fit the ids are one clear refusal, not a crash or a silent cut
    from reprviz_gui.core.data.keras_cache import FileFormatError, from_ragged

    with pytest.raises(FileFormatError, match="offsets"):
        from_ragged(np.arange(5, dtype=np.int32), np.array([0, 3, 9]), "reviews.npz")


def test_keras_cached_imdb_opened_trusted_travels_without_pickle(tmp_path, monkeypatch):
    """The Keras cache's imdb.npz needs pickle: a session of it stores a pickle-free copy and
    opens with pickle off (before: the session named keras-imdb and the trust dialog opened the
    data alone)."""
    from reprviz_gui.core.data.sources import load_dataset
    from reprviz_gui.core.data.types import LoadOptions
    from reprviz_gui.workspace.session_io import read_plan, save_job, snapshot
    from reprviz_gui.workspace.settings import Settings
    from reprviz_gui.workspace.state import NO_MODEL

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    (tmp_path / "keras" / "datasets").mkdir(parents=True)
    _token_file(tmp_path / "keras" / "datasets" / "imdb.npz")
    trusted = LoadOptions(allow_pickle=True, maxlen=30)
    ds = load_dataset("keras-imdb", trusted)
    ws = Workspace(source="keras-imdb", dataset=ds, n_samples=30,
                   sessions={"A": Session("A", NO_MODEL)})
    path = tmp_path / "imdb.reprviz"
    save_job(path, snapshot(ws, Settings(), {}, "A", trusted))(None, lambda: False)
    plan = read_plan(path, extract_to=tmp_path / "open")
    again = load_dataset(plan.data_source, plan.load_options)  # pickle off: no UnsafeFileError
    np.testing.assert_array_equal(again.x_train, ds.x_train)
    np.testing.assert_array_equal(again.y_test, ds.y_test)
    assert again.class_names == ds.class_names
