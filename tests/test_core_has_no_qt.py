"""core/ must run without Qt: in worker threads, the headless CLI, tests and GPU boxes
without a display."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import importlib, json, pkgutil, sys
import reprviz_gui.core as core
names = sorted(m.name for m in pkgutil.walk_packages(core.__path__, core.__name__ + "."))
for name in names:
    importlib.import_module(name)
import reprviz_gui.cli  # the CLI must not pull Qt in until it opens the window
QT = ("PySide6", "shiboken6", "pyqtgraph", "superqt", "PyQt5", "PyQt6")
qt = sorted(m for m in sys.modules if m.split(".")[0] in QT)
print(json.dumps({"modules": names, "qt": qt}))
"""


def test_core_imports_no_qt():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "reprviz_gui.core.analysis" in result["modules"]
    assert result["qt"] == [], f"Qt modules imported by core: {result['qt']}"


def test_core_sources_do_not_mention_qt_imports():
    """A cheap static check too, so a lazily imported Qt module inside a function is caught."""
    bad = []
    for path in sorted((REPO / "reprviz_gui" / "core").rglob("*.py")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            stripped = line.strip()
            qt_names = ("PySide6", "shiboken6", "pyqtgraph", "superqt", "PyQt")
            if stripped.startswith(("import ", "from ")) and any(q in stripped for q in qt_names):
                bad.append(f"{path.name}:{lineno}: {stripped}")
    assert bad == []
