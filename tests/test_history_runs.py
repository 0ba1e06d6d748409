"""Real training runs in the run history: three learning rates give three rows that survive a
restart; `analyze` adds its row (not with --no-history, --model none or --epochs 0)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from reprviz_gui.core.io.history import append_run, history_path, load_history, record_from_run
from reprviz_gui.core.io.report import AnalyzeOptions, analyze

REPO = Path(__file__).resolve().parents[1]


def test_three_learning_rates_three_rows_after_a_restart():
    from reprviz_gui.core.data.sources import load_dataset
    from reprviz_gui.core.model.presets import ModelConfig, build_model
    from reprviz_gui.core.model.training import TrainConfig, evaluate, train

    dataset = load_dataset("digits")
    rates = (0.1, 0.01, 0.001)
    keras_losses = []
    for lr in rates:
        config = ModelConfig(preset="multinomial", hidden=(), learning_rate=lr)
        model = build_model(config, dataset, seed=0)
        tc = TrainConfig(epochs=2, batch_size=64, validation_split=0.1, seed=0)
        result = train(model, dataset, tc)
        evaluation = evaluate(model, dataset, "test", validation=result)
        rec = record_from_run(dataset=dataset.name, train_config=tc, result=result,
                              config=config, evaluation=evaluation)
        append_run(rec)
        # the reference: Keras's own test loss and accuracy
        loss, acc = model.evaluate(dataset.inputs(dataset.x_test), dataset.y_test, verbose=0)
        keras_losses.append(loss)
        assert rec.test_loss == pytest.approx(loss, rel=1e-3)
        assert rec.test_accuracy == pytest.approx(acc, abs=1e-6)
        # the train loss is measured like the test loss (final weights, the fit rows), not
        # Keras's running mean over the last epoch's batches: one definition for every split
        fit = np.setdiff1d(np.arange(len(dataset.x_train)), result.validation_indices)
        train_loss, _ = model.evaluate(dataset.inputs(dataset.x_train[fit]),
                                       dataset.y_train[fit], verbose=0)
        assert rec.train_loss == pytest.approx(train_loss, rel=1e-3)
        assert rec.val_accuracy == result.history["val_accuracy"][-1]
        assert (rec.epochs_planned, rec.epochs_done, rec.batch_size) == (2, 2, 64)
        assert rec.architecture == "multinomial" and rec.optimizer == "adam"
        assert rec.settings["model"]["learning_rate"] == lr and rec.status == "finished"

    # a restart: a new process reads the history from the same folder
    script = ("import json; from reprviz_gui.core.io.history import load_history; "
              "h = load_history(); assert h.note is None; "
              "print(json.dumps([[r.learning_rate, r.test_loss] for r in h.records]))")
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                          text=True, env={**os.environ}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [r[0] for r in rows] == list(rates)
    assert [r[1] for r in rows] == pytest.approx(keras_losses, rel=1e-3)
    assert history_path().is_file()


@pytest.fixture(scope="module")
def analyze_runs(tmp_path_factory):
    config_dir = tmp_path_factory.mktemp("analyze_config")
    old = os.environ.get("REPRVIZ_CONFIG_DIR")
    os.environ["REPRVIZ_CONFIG_DIR"] = str(config_dir)  # module-scoped: no monkeypatch here
    try:
        out = tmp_path_factory.mktemp("out")
        runs = {}
        for name, kw in {"trained": dict(model="multinomial", epochs=1),
                         "no_history": dict(model="multinomial", epochs=1, history=False),
                         "untrained": dict(model="multinomial", epochs=0),
                         "no_model": dict(model="none")}.items():
            runs[name] = analyze(AnalyzeOptions(data="digits", out=out / name, samples=40,
                                                figures=False, **kw))
        yield runs, load_history()
    finally:
        if old is None:
            os.environ.pop("REPRVIZ_CONFIG_DIR", None)
        else:
            os.environ["REPRVIZ_CONFIG_DIR"] = old


def test_analyze_adds_one_row_only_for_a_trained_model(analyze_runs):
    runs, hist = analyze_runs
    assert len(hist.records) == 1 and hist.note is None
    rec = hist.records[0]
    report = runs["trained"]
    assert report["run_history"]["id"] == rec.id and report["run_history"]["runs"] == 1
    assert rec.source == "analyze" and rec.dataset == "digits"
    assert rec.settings["data"] == "digits"
    assert rec.test_accuracy == pytest.approx(report["accuracy"]["test"])
    assert rec.train_loss == pytest.approx(report["loss"]["train"])
    assert rec.epochs_done == 1 and rec.learning_rate == 1e-3 and rec.architecture == "multinomial"
    for name in ("no_history", "untrained", "no_model"):
        assert runs[name]["run_history"] is None, name


def test_samples_preview_of_images_with_predictions(analyze_runs):
    report = analyze_runs[0]["trained"]
    preview = report["samples_preview"]
    out = Path(report["options"]["out"])
    with np.load(out / "activations.npz", allow_pickle=False) as z:
        idx, labels, preds = z["sample_indices"], z["labels"], z["predictions"]
    assert [p["index"] for p in preview] == idx[:10].tolist()
    assert [p["label_id"] for p in preview] == labels[:10].tolist()
    assert [p["prediction_id"] for p in preview] == preds[:10].tolist()
    assert all(p["prediction"] == str(p["prediction_id"]) for p in preview)  # class names 0-9
    assert all("text" not in p and "word" not in p for p in preview)
