"""A day of teaching in one window (tests/soak_session.py, in its own process): 5 dataset
switches, 3 trainings (one cancelled, one on a model file saved and loaded back), 300 layer
switches in bursts faster than results arrive, every map method and bad files in between. It must
end without a crash or a Qt warning about threads, with every view showing the latest request,
and with memory after the second half within 10 % of after the first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.mark.slow
def test_a_day_of_teaching(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", REPRVIZ_CONFIG_DIR=str(tmp_path))
    proc = subprocess.run([sys.executable, str(HERE / "soak_session.py")], capture_output=True,
                          text=True, timeout=1500, env=env, cwd=HERE.parent)
    assert proc.returncode == 0, proc.stderr[-4000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("SOAK "))
    r = json.loads(line[5:])
    print(json.dumps(r, indent=1))  # the closing note quotes these numbers
    assert r["layer_switches"] == 300 and r["dataset_switches"] == 5 and r["trainings"] == 4
    assert r["bad_files"] == 2
    from reprviz_gui.core.analysis.projection import METHODS

    assert r["methods"] == sorted(METHODS)
    assert r["thread_warnings"] == []
    assert r["shown_layer"] == r["wanted_layer"] == r["cosine_layer"] == r["map_layer"]
    assert r["map_method"] == r["method"] and r["map_current"]
    assert r["rss_second_half_mb"] <= 1.10 * r["rss_first_half_mb"]
