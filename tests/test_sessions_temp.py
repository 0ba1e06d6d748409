"""Temp folders a killed reprviz left (an opened session's extracted models and data) are
removed at the next start: only reprviz's own, older than the running process, whose owner is
no longer running (core/io/temp_folders.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from reprviz_gui.core.io import temp_folders
from reprviz_gui.core.io.temp_folders import OWNER, remove_stale


def _folder(root, name, pid=None, age_s=3600.0):
    d = root / name
    (d / "data-0").mkdir(parents=True)
    (d / "data-0" / "x.npz").write_bytes(b"0" * 100)
    if pid is not None:
        (d / OWNER).write_text(str(pid))
    t = time.time() - age_s
    os.utime(d, (t, t))
    return d


def test_only_a_dead_reprvizs_old_folders_are_removed(tmp_path):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    dead = int(gone)  # that process has exited
    killed = _folder(tmp_path, "reprviz-session-killed", dead)
    save = _folder(tmp_path, "reprviz-save-cut", dead)
    mine = _folder(tmp_path, "reprviz-session-mine", os.getpid())  # this process: in use
    unmarked = _folder(tmp_path, "reprviz-session-unmarked")  # not provably ours
    other = _folder(tmp_path, "otherapp-session-x", dead)
    new = _folder(tmp_path, "reprviz-session-new", dead, age_s=-60)  # after this start
    removed = remove_stale(tmp_path, started=time.time())
    assert sorted(p.name for p in removed) == ["reprviz-save-cut", "reprviz-session-killed"]
    assert not killed.exists() and not save.exists()
    assert mine.exists() and unmarked.exists() and other.exists() and new.exists()


def test_an_opened_sessions_folder_is_marked_as_this_processs(tmp_path, monkeypatch):
    monkeypatch.setattr(temp_folders.tempfile, "tempdir", str(tmp_path))
    folder = temp_folders.make_temp_folder("reprviz-session-")
    assert folder.parent == tmp_path
    assert (folder / OWNER).read_text() == str(os.getpid())
    assert remove_stale(tmp_path, started=time.time() + 10) == []  # its owner runs: kept
    assert folder.exists()
