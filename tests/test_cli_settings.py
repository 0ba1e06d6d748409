"""``analyze`` takes every setting of the preset table, and ``--sweep`` runs their combinations:
what was asked for is in report.json, in the run history and in the built model itself."""

from __future__ import annotations

import json

import numpy as np
import pytest

from reprviz_gui import cli
from reprviz_gui.core.io.history import load_history

TINY = ["--data", "digits", "--samples", "60", "--no-figures", "-q"]


def test_non_default_settings_reach_report_history_and_model(tmp_path):
    out = tmp_path / "out"
    saved = tmp_path / "m.keras"
    code = cli.main(["analyze", *TINY, "--model", "dense", "--epochs", "1",
                     "--hidden", "24,12", "--activation", "tanh", "--l2", "0.002",
                     "--dropout", "0.1", "--optimizer", "sgd", "--learning-rate", "0.05",
                     "--momentum", "0.9", "--nesterov", "--batch-size", "64",
                     "--validation-split", "0.2", "--seed", "3", "--embed-dim", "16",
                     "--out", str(out), "--save-model", str(saved)])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    cfg = report["model"]["config"]
    assert cfg["hidden"] == [24, 12] and cfg["activation"] == "tanh"
    assert cfg["l2"] == pytest.approx(0.002) and cfg["dropout"] == pytest.approx(0.1)
    assert (cfg["optimizer"], cfg["momentum"], cfg["nesterov"]) == ("sgd", 0.9, True)
    assert cfg["learning_rate"] == pytest.approx(0.05)
    assert cfg["embed_dim"] == 128  # not a dense setting: left out, with a note
    assert any("--embed-dim ignored" in n for n in report["notes"])
    assert report["training"]["batch_size"] == 64
    assert report["training"]["validation_split"] == pytest.approx(0.2)

    # the history row
    (row,) = load_history().records
    assert row.hidden == (24, 12) and row.optimizer == "sgd"
    assert row.learning_rate == pytest.approx(0.05) and row.l2 == pytest.approx(0.002)
    assert row.dropout == pytest.approx(0.1) and row.batch_size == 64
    assert row.settings["model"]["momentum"] == 0.9 and row.settings["model"]["nesterov"]
    assert row.settings["training"]["validation_split"] == pytest.approx(0.2)
    assert row.id == report["run_history"]["id"]

    # and the model really is so
    from reprviz_gui.core.model.runtime import keras_module

    model = keras_module().models.load_model(saved)
    dense = [l for l in model.layers if l.name.startswith("hidden_")]
    assert [l.units for l in dense] == [24, 12]
    assert all(l.activation.__name__ == "tanh" for l in dense)
    assert all(float(l.kernel_regularizer.l2) == pytest.approx(0.002) for l in dense)
    assert model.get_layer("dropout_1").rate == pytest.approx(0.1)
    opt = model.optimizer.get_config()
    assert type(model.optimizer).__name__ == "SGD" and opt["nesterov"] is True
    assert opt["momentum"] == pytest.approx(0.9)
    assert float(opt["learning_rate"]) == pytest.approx(0.05)


@pytest.mark.parametrize("argv, fragment", [
    (["--hidden", "24,x"], "--hidden"),
    (["--momentum", "1.5"], "--momentum"),
    (["--optimizer", "lbfgs"], "--optimizer"),
    (["--sweep", "learning_rate"], "--sweep"),
    (["--sweep", "colour=1,2"], "unknown setting"),
    (["--sweep", "l2=0,x"], "l2"),
])
def test_bad_settings_are_one_line(capsys, tmp_path, argv, fragment):
    code = cli.main(["analyze", *TINY, "--out", str(tmp_path), *argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and fragment in err[0], err


def test_sweep_runs_every_combination(tmp_path, capsys):
    out = tmp_path / "sweep"
    code = cli.main(["analyze", "--data", "digits", "--samples", "60", "--no-figures",
                     "--model", "dense", "--hidden", "8", "--epochs", "1", "--out", str(out),
                     "--sweep", "learning_rate=0.1,0.3", "l2=0,0.001"])
    assert code == 0
    printed = capsys.readouterr().out
    summary = json.loads((out / "report.json").read_text())["sweep"]
    combos = [(r["settings"]["learning_rate"], r["settings"]["l2"]) for r in summary["runs"]]
    assert combos == [(0.1, 0.0), (0.1, 0.001), (0.3, 0.0), (0.3, 0.001)]
    assert summary["completed"] == summary["planned"] == 4 and not summary["stopped"]
    rows = load_history().records
    assert [(r.learning_rate, r.l2) for r in rows] == combos
    assert [r.id for r in rows] == [r["history_id"] for r in summary["runs"]]
    for i, run in enumerate(summary["runs"], start=1):
        rep = json.loads((out / f"run-{i:02d}" / "report.json").read_text())
        assert rep["model"]["config"]["hidden"] == [8]
        assert rep["model"]["config"]["learning_rate"] == run["settings"]["learning_rate"]
        assert rep["accuracy"]["test"] == run["test_accuracy"]
    # the summary table: a header and one line per run
    table = [l for l in printed.splitlines() if l.strip().startswith("run")]
    assert len(table) == 5 and "learning_rate" in table[0] and "l2" in table[0]


def test_stopping_a_sweep_keeps_the_runs_done(tmp_path):
    """Stop (the CLI's Ctrl-C) while run 2 trains: run 1 is kept, run 2 is not recorded."""
    from reprviz_gui.core.io.report import AnalyzeOptions
    from reprviz_gui.core.io.sweep import run_sweep

    state = {"run": 0, "stop": False}

    def progress(p):
        if p.stage == "sweep":
            state["run"] = p.details["run"]
        if p.stage == "train" and state["run"] == 2:
            state["stop"] = True  # as the Ctrl-C handler sets its flag

    opts = AnalyzeOptions(data="digits", out=tmp_path / "s", model="dense", epochs=2,
                          samples=60, figures=False, batch_size=16,
                          model_settings={"hidden": (8,)})
    summary = run_sweep(opts, {"l2": [0.0, 0.01, 0.1]}, progress, lambda: state["stop"])
    sweep = summary["sweep"]
    assert sweep["stopped"] and sweep["completed"] == 1 and sweep["planned"] == 3
    assert [r.l2 for r in load_history().records] == [0.0]
    on_disk = json.loads((tmp_path / "s" / "report.json").read_text())
    assert on_disk["sweep"]["runs"][0]["settings"] == {"l2": 0.0}
    assert not (tmp_path / "s" / "run-02" / "report.json").exists()
    assert not (tmp_path / "s" / "run-03").exists()
