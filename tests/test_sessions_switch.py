"""Opening a second session while the first is still loading cancels the first: the workspace
ends as the second one was saved, only the second is announced, and no hook of the first is
left to run on a later model (no mix of the two)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gui_support import fast_settings

REPO = Path(__file__).resolve().parents[1]


def _no_model_session(path: Path) -> Path:
    from reprviz_gui.core.data.sources import load_dataset
    from reprviz_gui.workspace.session_io import save_job, snapshot
    from reprviz_gui.workspace.settings import Settings
    from reprviz_gui.workspace.state import NO_MODEL, Session, Workspace

    ws = Workspace(source="digits", dataset=load_dataset("digits"), n_samples=70, method="pca",
                   seed=5, sessions={"A": Session("A", NO_MODEL)})
    save_job(path, snapshot(ws, Settings(), {}, "A"))(None, lambda: False)
    return path


@pytest.mark.slow
def test_a_second_session_opened_while_the_first_loads_wins_alone(qtbot, tmp_path):
    from reprviz_gui.workspace.controller import Controller
    from reprviz_gui.workspace.session_io import read_plan
    from reprviz_gui.workspace.state import NO_MODEL

    first = tmp_path / "first.reprviz"
    run = subprocess.run([sys.executable, str(REPO / "main.py"), "analyze", "--data", "digits",
                          "--model", "dense", "--hidden", "16", "--epochs", "1", "--samples",
                          "100", "--projection", "pca", "--out", str(tmp_path / "out"),
                          "--session", str(first), "--no-figures", "--no-measures", "--quiet"],
                         capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    second = _no_model_session(tmp_path / "second.reprviz")

    c = Controller(fast_settings())
    applied, announced = [], []
    c.session_restored.connect(announced.append)
    real_load = c.models.load_model
    held: list = []
    c.models.load_model = lambda *a, **k: held.append((a, k))  # the first's model: still loading
    c.restore_session(read_plan(first), lambda p: applied.append(p.path.name))
    qtbot.waitUntil(lambda: bool(held), timeout=60_000)  # its data is in, its model not yet
    assert "A" in c.models.restore_hooks
    c.models.load_model = real_load
    c.restore_session(read_plan(second), lambda p: applied.append(p.path.name))
    for a, k in held:  # the first's model arrives late
        real_load(*a, **k)
    qtbot.waitUntil(lambda: bool(announced), timeout=60_000)
    qtbot.waitUntil(lambda: not any(lane.busy for lane in c.lanes.values()), timeout=60_000)
    ws = c.workspace
    assert (ws.n_samples, ws.seed, ws.samples.n) == (70, 5, 70)
    assert ws.sessions["A"].preset == NO_MODEL and not ws.sessions["A"].has_model
    assert applied == ["second.reprviz"] and announced == [str(tmp_path / "second.reprviz")]
    assert c.models.restore_hooks == {}  # nothing of the first left to run on a later model
    c.shutdown()
