"""bench/: the pieces that decide a figure (data, the 10-NN accuracy, the results table); no
timings are asserted and nothing slow runs here."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import run as bench  # noqa: E402


def test_knn_accuracy_separates_good_from_random_maps():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), 50)
    centres = np.array([[0, 0], [10, 0], [0, 10], [10, 10]], dtype=float)
    good = centres[labels] + rng.standard_normal((200, 2))
    assert bench.knn_accuracy(good, labels) >= 0.98
    assert bench.knn_accuracy(rng.standard_normal((200, 2)), labels) < 0.5


def test_bench_data_is_real_images_that_analyze_can_read(tmp_path):
    from reprviz_gui.core.data.sources import load_dataset

    folder, npz, source = bench.make_data(tmp_path, n=300)
    data = np.load(npz)
    dataset = load_dataset(str(folder))
    assert len(dataset.x_test) == 300 and data["x"].shape == (300, 784)
    np.testing.assert_allclose(dataset.inputs(dataset.x_test).reshape(300, -1), data["x"])
    assert np.array_equal(dataset.y_test, data["y"]) and "Fashion-MNIST" in source
    assert len(np.unique(data["y"])) == 10


def test_results_table_has_every_figure_and_says_which_were_not_measured(tmp_path):
    ctx = bench.Ctx(tmp_path, time.perf_counter() - bench.BUDGET_S + 30, quick=True)
    ctx.curves = [("cosine", 64000, 1.5, 2**30, "float32; Cosine matrix of 1 of 2 (sampled)")]
    rows = [bench.Row("(c) cosine", "numpy: 1.0 s", "ours: 1.1 s", 1.1, "≤ 1.3×", True),
            bench.Row("(a) UMAP", "course: 10 s", "ours: 5 s", 0.5, "≤ 0.3×", False)]
    rows += bench.fig_window(ctx)  # 30 s left: the window's figures do not fit, and say so
    out = tmp_path / "RESULTS.md"
    bench.write_results(out, rows, ctx, 12.0)
    text = out.read_text()
    assert "| 1.10× | ≤ 1.3× | yes |" in text and "| 0.50× | ≤ 0.3× | **no** |" in text
    for figure, target in bench.WINDOW_ROWS:
        line = next(ln for ln in text.splitlines() if ln.startswith(f"| {figure} |"))
        assert f"| {target} | not measured |" in line and "--figures w" in line
    assert "| cosine | 64,000 | 1.50 | 1,024 MiB |" in text
    assert "Versions:" in text and "Machine:" in text


def test_the_window_data_has_a_train_split_of_other_images(tmp_path):
    from reprviz_gui.core.data.sources import load_dataset

    folder, _, _ = bench.make_data(tmp_path, n=200, n_train=300)
    dataset = load_dataset(str(folder))
    assert len(dataset.x_test) == 200
    if bench.FULL_FASHION.exists():  # the full set: 300 training images, none of the test
        assert len(dataset.x_train) == 300
        assert not np.array_equal(dataset.x_train[:200], dataset.x_test)


def test_a_fresh_process_is_measured(tmp_path):
    r = bench.run([sys.executable, "-c", "print('{\"ok\": 1}')"])
    assert r.out == {"ok": 1} and r.wall > 0 and r.rss > 0
    with pytest.raises(RuntimeError):
        bench.run([sys.executable, "-c", "raise SystemExit(3)"])
