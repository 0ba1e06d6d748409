"""The window's layer result: its cosine matrix is sampled, with a note, where the full one
would not fit in memory or would have more rows than a screen shows (``cosine_max_n``)."""

from __future__ import annotations

import numpy as np

from reprviz_gui.core.analysis.similarity import cosine_similarity
from reprviz_gui.core.data.samples import make_sample_set
from reprviz_gui.core.data.types import Dataset
from reprviz_gui.core.memory import ENV_LIMIT
from reprviz_gui.core.pipeline import INPUT_LAYER, analyse_layer


def _data(n: int = 300) -> Dataset:
    rng = np.random.default_rng(0)
    y = np.arange(n) % 3
    x = (rng.normal(size=(n, 6)) + y[:, None] * 2).astype(np.float32)
    return Dataset(name="toy", kind="table", x_train=x[:10], y_train=y[:10], x_test=x,
                   y_test=y, class_names=["a", "b", "c"], provenance="made in a test")


def test_more_rows_than_a_screen_shows_are_sampled_with_a_note():
    ds = _data()
    samples = make_sample_set(ds, 300, "test", seed=0)
    full = analyse_layer(None, ds, samples, INPUT_LAYER, sample_cosine=True)
    assert full.cosine_rows is None and full.cosine.shape == (300, 300) and full.note == ""
    a = analyse_layer(None, ds, samples, INPUT_LAYER, sample_cosine=True, cosine_max_n=100)
    rows = a.cosine_rows
    assert len(rows) == 100 and np.all(np.diff(rows) > 0)
    np.testing.assert_allclose(a.cosine, cosine_similarity(a.activations[rows]), atol=1e-6)
    assert "100 of the 300 samples" in a.note and "screen" in a.note
    # classes keep their share of the rows (rows are grouped by class)
    np.testing.assert_array_equal(np.bincount(samples.labels[rows]), [33, 34, 33])


def test_a_matrix_beyond_memory_is_sampled_in_the_window_and_refused_headless(monkeypatch):
    ds = _data()
    samples = make_sample_set(ds, 300, "test", seed=0)
    monkeypatch.setenv(ENV_LIMIT, "0.1")  # 0.1 MiB: 161 x 161 float32 at most
    a = analyse_layer(None, ds, samples, INPUT_LAYER, sample_cosine=True, cosine_max_n=4096)
    assert len(a.cosine_rows) == 161 and "memory" in a.note
    cli = analyse_layer(None, ds, samples, INPUT_LAYER)  # analyze keeps its refusal
    assert cli.cosine is None and cli.cosine_rows is None and "fewer samples" in cli.note
