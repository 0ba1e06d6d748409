"""Killing the app while it writes the run history leaves the previous history intact, and two
processes appending at once lose no row (the lock file). Child processes as in test_atomic.py."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from reprviz_gui.core.io.history import RunRecord, append_run, load_history
from test_atomic import Child

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL and flock")

REPO = Path(__file__).resolve().parents[1]


def record(i: int) -> RunRecord:
    return RunRecord(id=f"run-{i}", time="2026-01-31T14:25:01+01:00", dataset="digits",
                     architecture="dense 256-144 relu", learning_rate=10.0 ** -i)


def test_kill_while_appending_keeps_the_previous_history(tmp_path):
    """The child appends a run and is killed with the new history written to its temp file
    but not yet renamed over history.json (its fsync never returns): the file still holds the
    previous three runs, readable, with no note; the next append works (the lock died with
    the child)."""
    path = tmp_path / "history.json"
    for i in range(3):
        append_run(record(i), path)
    before = path.read_bytes()
    child = Child(f"""
        import os, time
        from reprviz_gui.core.io import atomic
        from reprviz_gui.core.io.history import RunRecord, append_run

        def stuck_fsync(fd):
            print("written", flush=True)  # the whole new history is in the temp file
            time.sleep(600)

        atomic.os.fsync = stuck_fsync
        print("start", flush=True)
        append_run(RunRecord(id="run-killed", time="t", dataset="digits",
                             architecture="dense"), {str(path)!r})
        print("done", flush=True)
    """, tmp_path)
    child.wait_for(lambda lines: "written" in lines)
    assert child.kill() == "written"
    # the kill landed mid-write: a temp file holds the new history, history.json the old one
    temps = [p for p in tmp_path.iterdir() if re.fullmatch(r"\.history\.json\..+\.tmp", p.name)]
    assert len(temps) == 1 and b"run-killed" in temps[0].read_bytes()
    assert path.read_bytes() == before
    loaded = load_history(path)
    assert [r.id for r in loaded.records] == ["run-0", "run-1", "run-2"] and loaded.note is None
    append_run(record(3), path)
    assert [r.id for r in load_history(path).records] == ["run-0", "run-1", "run-2", "run-3"]
    # the next writer (holding the lock, so no live writer owns a temp) removed the stray copy
    assert [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_two_processes_appending_at_once_lose_nothing(tmp_path):
    path = tmp_path / "history.json"
    script = textwrap.dedent(f"""
        import sys
        from reprviz_gui.core.io.history import RunRecord, append_run
        for i in range(15):
            append_run(RunRecord(id=f"{{sys.argv[1]}}-{{i}}", time="t", dataset="d",
                                 architecture="a"), {str(path)!r})
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, name], cwd=REPO,
                              env={**os.environ}, stderr=subprocess.PIPE)
             for name in ("a", "b")]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()[-2000:]
    ids = [r.id for r in load_history(path).records]
    assert sorted(ids) == sorted([f"{n}-{i}" for n in "ab" for i in range(15)])
    for n in "ab":  # each writer's own rows stay in its order
        mine = [i for i in ids if i.startswith(n)]
        assert mine == [f"{n}-{i}" for i in range(15)]
    assert json.loads(path.read_text())["format"] == "reprviz-run-history"
