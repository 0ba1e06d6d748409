"""The CLI on every bad input of the corpus (tests/bad_inputs.py): exit status 2 and exactly one
stderr line, ``reprviz: error: <message>``, naming the file and the problem, no traceback.

Each case runs ``python main.py analyze`` in its own process, as a user would. Data errors must
be found before TensorFlow is imported, so those runs take well under a second; the model cases
that need Keras to find the problem (broken weights, a model that does not fit) take a few.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bad_inputs import (ALL_CASES, DATA_CASES, SIZES_NOTE, SKIPPED_NOTE, Case,
                        make_image_folder_with_skipped_files)

REPO = Path(__file__).resolve().parents[1]
MAIN = REPO / "main.py"


def _env() -> dict:
    env = dict(os.environ)  # KERAS_HOME: the per-test cache the corpus may have written to
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the CLI must keep TensorFlow quiet on its own
    return env


def run_main(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(MAIN), *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, env=_env())


def analyze_args(case: Case, source: str, out: Path) -> list[str]:
    if case.kind == "data":
        return ["analyze", "--data", source, "--model", "dense", "--epochs", "0",
                "--samples", "50", "--out", str(out)]
    return ["analyze", "--data", "digits", "--model", source, "--epochs", "0",
            "--samples", "50", "--out", str(out)]


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.name for c in ALL_CASES])
def test_bad_input_is_one_stderr_line_and_exit_2(case, tmp_path):
    bad = case.build(tmp_path)
    out = tmp_path / "out"
    proc = run_main(*analyze_args(case, bad.source, out))
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-3000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].strip(), f"expected one stderr line, got:\n{proc.stderr}"
    line = lines[0]
    assert line.startswith("reprviz: error: "), line
    assert bad.expect.lower() in line.lower(), line
    assert not (out / "report.json").exists()


def test_data_errors_are_found_before_tensorflow_is_imported(tmp_path):
    """All data cases in one process (cli.main in a loop): the same exit status and message as
    from main.py, and TensorFlow never imported: a typo in a path costs a user no TF start-up."""
    made = []
    for case in DATA_CASES:
        folder = tmp_path / case.name
        folder.mkdir()
        made.append((case.name, analyze_args(case, case.build(folder).source, folder / "out")))
    script = textwrap.dedent(f"""
        import contextlib, io, json, sys
        from reprviz_gui import cli
        results = {{}}
        for name, argv in json.loads({json.dumps(json.dumps(made))}):
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                code = cli.main(argv)
            results[name] = [code, err.getvalue()]
        heavy = [m for m in ("tensorflow", "keras") if m in sys.modules]
        print(json.dumps({{"results": results, "heavy": heavy}}))
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env=_env())
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    for name, (code, err) in data["results"].items():
        assert code == 2 and len(err.splitlines()) == 1, (name, code, err)
    assert data["heavy"] == [], f"a data error imported {data['heavy']}"


def test_skipped_image_files_are_listed_in_the_report(tmp_path):
    """Unreadable files in an image folder are not an error: skipped, counted in the notes."""
    root = make_image_folder_with_skipped_files(tmp_path)
    out = tmp_path / "out"
    proc = run_main("analyze", "--data", str(root), "--model", "none", "--samples", "4",
                    "--no-figures", "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert any(SKIPPED_NOTE in n for n in report["notes"]), report["notes"]
    assert any(SKIPPED_NOTE in n for n in report["dataset"]["notes"]), report["dataset"]
    assert any(SIZES_NOTE in n for n in report["notes"]), report["notes"]
    assert f"note: {SKIPPED_NOTE}" in proc.stdout
