"""The headless CLI: user errors are one stderr line and exit 2; a run writes every output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from reprviz_gui import cli
from reprviz_gui.core.io.report import FIGURES, REPORT_KEYS

REPO = Path(__file__).resolve().parents[1]
MAIN = REPO / "main.py"


def run_main(*args: str, timeout: float = 300, env: dict | None = None):
    full_env = dict(os.environ)
    full_env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the CLI must be quiet on its own
    full_env.update(env or {})
    return subprocess.run([sys.executable, str(MAIN), *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, env=full_env)


def assert_one_error_line(proc, *fragments: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, f"expected one stderr line, got:\n{proc.stderr}"
    line = lines[0]
    assert line.startswith("reprviz: error: "), line
    for fragment in fragments:
        assert fragment.lower() in line.lower(), line
    return line


# --- a real run, shared by several tests ---------------------------------------------------
@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("digits_out")
    model_path = out / "digits-dense.keras"
    proc = run_main("analyze", "--data", "digits", "--model", "dense", "--epochs", "1",
                    "--samples", "200", "--out", str(out), "--save-model", str(model_path))
    return proc, out, model_path


def test_digits_run_writes_every_output(digits_run):
    proc, out, model_path = digits_run
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    # one progress line per epoch on stderr, and nothing else from TensorFlow
    assert [l for l in proc.stderr.splitlines() if l.strip()] == \
        [l for l in proc.stderr.splitlines() if l.startswith("epoch ")]
    assert len(proc.stderr.splitlines()) == 1
    for name in ("report.json", "activations.npz", *FIGURES):
        path = out / name
        assert path.is_file() and path.stat().st_size > 0, name
    assert model_path.is_file()
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "temp files left behind"

    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    for key in REPORT_KEYS:
        assert key in report, key
    assert report["dataset"]["name"]
    assert report["dataset"]["provenance"]
    assert isinstance(report["dataset"]["split_made_by_app"], bool)
    assert report["samples"]["selected"] == 200
    assert report["samples"]["train"] > 0 and report["samples"]["test"] >= 200
    names = report["class_names"]
    assert len(names) == 10
    assert [l["name"] for l in report["layers"]][-1] == "output"
    assert all("output_shape" in l for l in report["layers"])
    assert report["training"]["epochs_done"] == 1
    assert len(report["training"]["history"]["loss"]) == 1
    assert 0.0 <= report["accuracy"]["test"] <= 1.0
    assert {"train", "validation", "test"} <= set(report["accuracy"])
    cm = np.array(report["confusion_matrix"])
    assert cm.shape == (10, 10) and cm.sum() == report["samples"]["test"]
    for (t, p, c), named in zip(report["top_confused_pairs"], report["top_confused_pairs_named"]):
        assert t != p and cm[t, p] == c
        assert named == {"true": names[t], "predicted": names[p], "count": c}
    assert "macro avg" in report["classification_report"]
    layer = report["layer"]
    assert layer["name"] == "hidden_2" and layer["width"] == 144  # the last hidden layer
    proj = report["projection"]
    assert proj["method"] == "pca" and len(proj["explained_variance"]) == 2

    with np.load(out / "activations.npz", allow_pickle=False) as z:
        assert z["activations"].shape == (200, 144) and z["activations"].dtype == np.float32
        assert z["coords"].shape == (200, 2) and z["coords"].dtype == np.float32
        assert len(z["labels"]) == len(z["predictions"]) == len(z["sample_indices"]) == 200
        assert np.all(np.diff(z["labels"]) >= 0)  # grouped by class
        assert list(z["class_names"]) == names


def test_model_that_does_not_fit_the_data(digits_run):
    _, out, model_path = digits_run
    assert model_path.is_file()
    proc = run_main("analyze", "--data", "fashion-mnist-sample", "--model", str(model_path),
                    "--epochs", "0", "--out", str(out / "mismatch"))
    assert_one_error_line(proc, "shape")


def test_saved_model_reloads_and_layer_by_index(digits_run, tmp_path):
    _, _, model_path = digits_run
    proc = run_main("analyze", "--data", "digits", "--model", str(model_path), "--epochs", "0",
                    "--layer", "1", "--samples", "50", "--no-figures", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["layer"]["index"] == 1 and report["layer"]["width"] == 256
    assert report["training"]["epochs_done"] == 0
    assert not (tmp_path / "heatmap.png").exists()


# --- user errors: exit 2, one line ----------------------------------------------------------
def test_missing_file(tmp_path):
    missing = tmp_path / "nope" / "data.csv"
    proc = run_main("analyze", "--data", str(missing), "--out", str(tmp_path / "o"))
    assert_one_error_line(proc, "data.csv")


def test_unknown_dataset(tmp_path):
    proc = run_main("analyze", "--data", "no-such-dataset", "--out", str(tmp_path))
    assert_one_error_line(proc, "no-such-dataset")


def test_unknown_layer(tmp_path):
    proc = run_main("analyze", "--data", "digits", "--model", "dense", "--layer", "nope",
                    "--epochs", "0", "--out", str(tmp_path))
    assert_one_error_line(proc, "nope", "hidden_1")


def test_preset_that_does_not_fit(tmp_path):
    proc = run_main("analyze", "--data", "capitals", "--model", "bilstm", "--out", str(tmp_path))
    assert_one_error_line(proc, "bilstm")


@pytest.mark.parametrize("args, fragment", [
    (["--projection", "lda"], "--projection"),
    (["--epochs", "-1"], "--epochs"),
    (["--samples", "two"], "--samples"),
    (["--image-shape", "20by20"], "--image-shape"),
    (["--label-map", "10-0"], "--label-map"),
    (["--model", "dense", "--frobnicate"], "--frobnicate"),
])
def test_bad_options(tmp_path, args, fragment):
    proc = run_main("analyze", "--data", "digits", "--out", str(tmp_path), *args)
    assert_one_error_line(proc, fragment)


def test_missing_out_and_unknown_command():
    assert_one_error_line(run_main("analyze", "--data", "digits"), "--out")
    assert_one_error_line(run_main("analyse"), "analyze")


def test_unknown_preset_and_bad_model_file(tmp_path):
    assert_one_error_line(run_main("analyze", "--data", "digits", "--model", "resnet",
                                   "--out", str(tmp_path)), "resnet")
    bad = tmp_path / "broken.keras"
    bad.write_bytes(b"not a zip")
    assert_one_error_line(run_main("analyze", "--data", "digits", "--model", str(bad),
                                   "--out", str(tmp_path / "o")), "broken.keras")


def test_memory_refusal_is_one_line(tmp_path):
    proc = run_main("analyze", "--data", "capitals", "--out", str(tmp_path),
                    env={"REPRVIZ_MEMORY_LIMIT_MB": "0.001"})
    assert_one_error_line(proc, "would need", "the limit is 1.0 KiB")


def test_too_many_samples_refused_before_training(tmp_path):
    # 4,000 samples: a 61 MiB cosine matrix, over a 40 MiB budget. Refused up front: no epoch
    # line may appear before the error.
    proc = run_main("analyze", "--data", "fashion-mnist-sample", "--model", "dense",
                    "--samples", "4000", "--epochs", "10", "--out", str(tmp_path),
                    env={"REPRVIZ_MEMORY_LIMIT_MB": "40"})
    assert_one_error_line(proc, "The cosine matrix of 4,000 samples would need 61.0 MiB",
                          "choose fewer samples")


# --- word tables: no model -------------------------------------------------------------------
def test_capitals_without_model(tmp_path):
    proc = run_main("analyze", "--data", "capitals", "--model", "none", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "24 of 24" in proc.stdout
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    wt = report["word_table"]
    assert wt["own_matches"] == 24 and wt["queries"] == 24
    assert wt["mean_own"] == pytest.approx(0.74, abs=0.01)
    assert wt["mean_other"] == pytest.approx(0.39, abs=0.01)
    assert {r["word"]: r["nearest"] for r in wt["nearest"]}["paris"] == "france"
    assert report["layer"]["width"] == 384 and report["model"]["source"] == "none"
    assert report["confusion_matrix"] is None and report["accuracy"] == {}
    for name in ("report.json", "activations.npz", "heatmap.png", "cosine.png", "map.png"):
        assert (tmp_path / name).is_file(), name
    assert not (tmp_path / "confusion.png").exists()


# --- in-process: dispatch and option parsing ---------------------------------------------------
def test_version(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("reprviz ")


def test_gui_flags_open_the_window(monkeypatch):
    seen = {}
    fake = types.ModuleType("reprviz_gui.app")

    def fake_main(argv):
        seen["argv"] = argv
        return 0

    fake.main = fake_main
    monkeypatch.setitem(sys.modules, "reprviz_gui.app", fake)
    assert cli.main(["--demo", "--screenshot", "x.png"]) == 0
    assert seen["argv"] == ["--demo", "--screenshot", "x.png"]
    seen.clear()
    assert cli.main([]) == 0
    assert seen["argv"] == []


def test_option_parsers():
    args = cli.build_analyze_parser().parse_args(
        ["--out", "o", "--image-shape", "20x20", "--label-map", "10:0,3:4", "--layer", "-2",
         "--label-column", "0", "--pixel-order", "column", "--no-header"])
    assert args.image_shape == (20, 20)
    assert args.label_map == {10: 0, 3: 4}
    assert args.layer == -2
    assert args.label_column == 0
    assert args.has_header is False
    opts = cli.options_from_args(args)
    assert opts.load.image_shape == (20, 20) and opts.load.pixel_order == "column"
    assert opts.epochs is None and opts.projection == "pca"


def test_help_exits_zero(capsys):
    assert cli.main(["analyze", "--help"]) == 0
    assert "--projection" in capsys.readouterr().out
    assert cli.main(["--help"]) == 0
    assert "analyze" in capsys.readouterr().out


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery differs on Windows")
def test_ctrl_c_exits_130_quietly(tmp_path):
    import signal

    env = dict(os.environ)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    proc = subprocess.Popen([sys.executable, str(MAIN), "analyze", "--data", "digits",
                             "--epochs", "1000", "--out", str(tmp_path)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stderr.readline()  # blocks until the first epoch has finished
        assert first.startswith("epoch 1/1000"), first
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130
    assert "Traceback" not in err
    # the first Ctrl-C asks the run to stop at its next check, and says so (a KeyboardInterrupt
    # raised at a random bytecode was lost once in a finaliser, and training went on)
    assert "stopping (Ctrl-C again to quit at once)" in err
    assert not (tmp_path / "report.json").exists()
