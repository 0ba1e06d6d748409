"""Training as a film (issue 16 §1): recording a layer per epoch, planning its memory, and
aligning the frames' maps so points move less than maps made one by one."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from reprviz_gui.core.analysis.film import (
    film_maps, frame_accuracy, mean_displacement, normalise, procrustes_onto)
from reprviz_gui.core.errors import ResourceLimitError
from reprviz_gui.core.model.film import plan_film


def test_plan_keeps_every_epoch_when_it_fits_and_thins_evenly_when_not():
    plan = plan_film(10, n_samples=100, units=16, n_classes=10, budget=10**9)
    assert plan.epochs == tuple(range(11)) and plan.note == ""
    assert plan.bytes_per_frame == 100 * (16 + 10) * 4
    assert plan.total_bytes == 11 * plan.bytes_per_frame
    thin = plan_film(100, n_samples=100, units=16, n_classes=10,
                     budget=6 * plan.bytes_per_frame)
    assert thin.epochs[0] == 0 and thin.epochs[-1] == 100 and len(thin.epochs) == 6
    assert np.ptp(np.diff(thin.epochs)) <= 1  # evenly spread
    assert "keeps 6 of 101 epochs" in thin.note
    with pytest.raises(ResourceLimitError, match="not even two frames"):
        plan_film(10, n_samples=100, units=16, n_classes=10, budget=plan.bytes_per_frame)


def test_mean_displacement_is_measured_after_centring_and_scaling():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(50, 2))
    # the same map shifted and enlarged has not moved at all
    assert mean_displacement([a, 3 * a + 7]) == pytest.approx(0.0, abs=1e-12)
    b = a.copy()
    b[0] += 10.0
    na, nb = normalise(a), normalise(b)
    assert mean_displacement([a, b]) == pytest.approx(np.linalg.norm(nb - na, axis=1).mean())
    # a rotated copy moves, and Procrustes takes the rotation back out
    t = np.pi / 3
    rot = a @ np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    assert mean_displacement([a, rot]) > 0.5
    assert mean_displacement([a, procrustes_onto(rot, a)]) == pytest.approx(0.0, abs=1e-9)


def _drifting_frames(n=150, frames=4, seed=0):
    from sklearn.datasets import load_digits

    x = load_digits().data[:n].astype(np.float32)
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(64, 24))
    out = []
    for _ in range(frames):
        w = w + 0.3 * rng.normal(size=w.shape)
        out.append(np.maximum(x @ w, 0).astype(np.float32))
    return out


@pytest.mark.parametrize("method", ["tsne", "umap", "mds"])
def test_frames_started_from_the_previous_one_move_less(method):
    frames = _drifting_frames()
    quick = {"tsne": {"max_iter": 150, "early_exaggeration_iter": 50},
             "umap": {"n_epochs": 100}, "mds": {"max_iter": 100}}[method]
    seen = []
    aligned = film_maps(frames, method, seed=0, on_frame=lambda f: seen.append(f.n_frames),
                        **quick)
    alone = film_maps(frames, method, seed=0, aligned=False, **quick)
    assert seen == [1, 2, 3, 4]  # progressive
    assert aligned.coords.shape == alone.coords.shape == (4, 150, 2)
    assert "previous frame" in aligned.alignment and alone.alignment == "none"
    assert mean_displacement(aligned.coords) < mean_displacement(alone.coords)


def test_frame_accuracy_counts_each_frames_right_predictions():
    preds = np.array([[0, 0, 0, 0], [0, 1, 2, 0], [0, 1, 2, 3]])
    assert frame_accuracy(preds, np.array([0, 1, 2, 3])).tolist() == [0.25, 0.75, 1.0]


@pytest.mark.slow  # ~15 s of training and tracing alone; 50 s on the loaded 2 cores
def test_a_film_of_ten_epochs_of_the_default_model_records_and_aligns(resources):
    from reprviz_gui.core.data.samples import make_sample_set
    from reprviz_gui.core.data.sources import load_dataset
    from reprviz_gui.core.model import build_model, describe_layers
    from reprviz_gui.core.model.film import film_recorder
    from reprviz_gui.core.model.layers import default_layer
    from reprviz_gui.core.model.presets import default_config, default_preset_for
    from reprviz_gui.core.model.training import TrainConfig, train
    from reprviz_gui.core.pipeline import sample_inputs

    full = load_dataset("fashion-mnist-sample")
    ds = replace(full, x_train=full.x_train[:400], y_train=full.y_train[:400])
    model = build_model(default_config(default_preset_for(ds)), ds, seed=0)
    layer = default_layer(describe_layers(model))
    samples = make_sample_set(ds, 80, "test", seed=0)
    units = model.get_layer(layer).output.shape[-1]
    plan = plan_film(10, samples.n, units, ds.n_classes)
    rec = film_recorder(model, sample_inputs(ds, samples), layer, plan, samples.labels)
    result = train(model, ds, TrainConfig(epochs=10, batch_size=128), callbacks=[rec])
    film = rec.recording()
    assert result.epochs_done == 10
    assert film.epochs.tolist() == list(range(11))  # the start, then every epoch
    assert film.activations.shape == (11, 80, units)
    assert film.probabilities.shape == (11, 80, 10)
    # the last frame is the trained model: its predictions are the model's own
    from reprviz_gui.core.model.training import predict_proba

    np.testing.assert_allclose(film.probabilities[-1],
                               predict_proba(model, sample_inputs(ds, samples)), atol=1e-5)
    acc = frame_accuracy(film.predictions, film.labels)
    assert acc[-1] > acc[0] + 0.3  # it learned along the film
    aligned = film_maps(list(film.activations), "pca", film.epochs)
    alone = film_maps(list(film.activations), "pca", film.epochs, aligned=False)
    assert aligned.epochs.tolist() == list(range(11))
    assert mean_displacement(aligned.coords) < mean_displacement(alone.coords)


def test_analyze_film_writes_film_npz_and_the_film_key(tmp_path, monkeypatch):
    """``analyze --film`` (digits, dense, 4 epochs): every epoch's aligned map and predictions in
    film.npz; the key reports the alignment and the aligned film moving less than maps made one
    by one; the last frame's predictions are the evaluated model's."""
    import json

    from reprviz_gui import cli

    monkeypatch.setenv("REPRVIZ_CONFIG_DIR", str(tmp_path / "cfg"))
    out = tmp_path / "out"
    code = cli.main(["analyze", "--data", "digits", "--model", "dense", "--epochs", "4",
                     "--samples", "90", "--out", str(out), "--no-figures", "--no-history",
                     "--film"])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    film = report["film"]
    assert film["epochs"] == [0, 1, 2, 3, 4] and film["frames"] == 5
    assert film["layer"] == report["layer"]["name"] and film["method"] == "pca"
    assert film["alignment"] == "Procrustes onto the previous frame"
    moved = film["mean_displacement"]
    assert 0 < moved["aligned"] < moved["unaligned"]
    assert "film.npz" in report["files"]
    z = np.load(out / "film.npz")
    assert z["coords"].shape == z["coords_unaligned"].shape == (5, 90, 2)
    assert mean_displacement(z["coords"]) == pytest.approx(moved["aligned"])
    acts = np.load(out / "activations.npz")
    np.testing.assert_array_equal(z["sample_indices"], acts["sample_indices"])
    np.testing.assert_array_equal(z["predictions"][-1], acts["predictions"])
    assert film["accuracy"][-1] == pytest.approx(np.mean(acts["predictions"] == acts["labels"]))
    # every layer's kNN accuracy along training; at the last epoch, the report's own measures
    along = film["layer_metrics"]
    final = {row["layer"]: row["knn_accuracy"] for row in report["layer_metrics"]["layers"]}
    assert along["layers"] == list(final) and along["epochs"] == film["epochs"]
    assert along["knn_accuracy"][-1] == pytest.approx([final[n] for n in along["layers"]])


def test_record_film_is_a_checked_setting():
    from reprviz_gui.workspace.settings import Settings

    st, rejected = Settings.from_dict({"record_film": True})
    assert st.record_film is True and rejected == []
    st, rejected = Settings.from_dict({"record_film": "yes"})
    assert st.record_film is False and rejected == ["record_film"]
    seen = []
    st.events.record_film.connect(seen.append)
    st.record_film = True
    assert seen == [True] and Settings.from_dict(st.to_dict())[0].record_film is True
