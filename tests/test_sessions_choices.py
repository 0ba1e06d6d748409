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
