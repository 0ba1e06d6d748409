"""Streaming layers to the memory-mapped cache: same numbers as one pass, reused across runs,
cancel leaves nothing, and (slow) 200,000 samples in bounded memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from reprviz_gui.core.errors import Cancelled
from reprviz_gui.core.model import activation_cache as ac

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def model():
    from reprviz_gui.core.model.runtime import keras_module

    keras = keras_module()
    keras.utils.set_random_seed(0)
    inp = keras.Input((6, 6, 2))
    h = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(inp)
    f = keras.layers.Flatten(name="flat")(h)
    d = keras.layers.Dense(8, activation="relu", name="hidden")(f)
    out = keras.layers.Dense(3, activation="softmax", name="out")(d)
    return keras.Model(inp, out)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("REPRVIZ_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "activations"


def test_streamed_layers_equal_one_pass_and_are_reused(model, cache):
    from reprviz_gui.core.model.extraction import extract_layers

    x = np.random.default_rng(1).normal(size=(300, 6, 6, 2)).astype(np.float32)
    names = ["conv", "hidden", "hidden:raw", "out"]
    first = ac.stream_layers(model, x, len(x), names, data_key=ac.data_fingerprint(x),
                             batch_size=64)
    whole = extract_layers(model, x, names)
    assert not first.reused and first.batch_size == 64
    for name in names:
        got = first.arrays[name]
        assert isinstance(got, np.memmap) and not got.flags.writeable
        np.testing.assert_allclose(got, whole[name], rtol=1e-5, atol=1e-6)
        assert first.files[name].parent.parent == cache
    assert sorted(p.suffix for p in first.folder.iterdir()) == [".npy"] * 4  # no temp left

    again = ac.stream_layers(model, x, len(x), names, data_key=ac.data_fingerprint(x))
    assert again.reused and again.files == first.files
    np.testing.assert_array_equal(again.arrays["out"], first.arrays["out"])

    # other weights (a new model version) or other data: a new folder, not the old rows
    w = model.get_layer("out").get_weights()
    model.get_layer("out").set_weights([w[0], w[1] + np.arange(3.0)])
    changed = ac.stream_layers(model, x, len(x), ["out"], data_key=ac.data_fingerprint(x))
    assert not changed.reused and changed.folder != first.folder
    assert not np.allclose(changed.arrays["out"], first.arrays["out"])
    other = ac.stream_layers(model, x[::-1], len(x), ["out"],
                             data_key=ac.data_fingerprint(x[::-1]))
    assert other.folder not in (first.folder, changed.folder)

    freed = ac.clear_cache()
    assert freed >= 300 * (64 + 8 + 8 + 3) * 4 and not cache.exists()
    assert ac.clear_cache() == 0


def test_a_batch_source_and_a_reduction_per_layer(model, cache):
    x = np.random.default_rng(2).normal(size=(50, 6, 6, 2)).astype(np.float32)
    calls = []

    def source(start, stop):
        calls.append((start, stop))
        return x[start:stop]

    got = ac.stream_layers(model, source, 50, ["conv"], data_key="d", batch_size=20,
                           reductions={"conv": "mean"})
    from reprviz_gui.core.model.extraction import extract_layer

    maps = extract_layer(model, x, "conv", reductions={"conv": "flatten"})
    expected = maps.reshape(50, 4, 4, 4).mean(axis=(1, 2))  # channels last: mean over positions
    np.testing.assert_allclose(got.arrays["conv"], expected, rtol=1e-5, atol=1e-6)
    assert (0, 20) in calls and (40, 50) in calls and got.files["conv"].name.endswith(".mean.npy")


def test_cancel_leaves_no_file_and_progress_has_an_eta(model, cache):
    x = np.zeros((100, 6, 6, 2), dtype=np.float32)
    seen = []

    def stop():
        return len(seen) >= 2

    with pytest.raises(Cancelled):
        ac.stream_layers(model, x, 100, ["hidden"], data_key="z", batch_size=10,
                         on_progress=seen.append, should_stop=stop)
    assert [p.stage for p in seen] == ["extract", "extract"]
    assert seen[0].eta_seconds is not None and seen[0].fraction == pytest.approx(0.1)
    assert [p for p in cache.rglob("*") if p.is_file()] == []


def test_the_batch_shrinks_with_the_memory_limit(monkeypatch):
    monkeypatch.setenv("REPRVIZ_MEMORY_LIMIT_MB", "1")
    assert ac.batch_rows(4 * 1000) == 1024 ** 2 // (ac.HEADROOM * 4000)
    monkeypatch.setenv("REPRVIZ_MEMORY_LIMIT_MB", "4096")
    assert ac.batch_rows(4 * 10) == ac.MAX_BATCH
    assert ac.batch_rows(10 ** 9) == 1


CHILD = textwrap.dedent("""
    import json, resource, sys
    import numpy as np
    from reprviz_gui.core.model import activation_cache as ac
    from reprviz_gui.core.model.runtime import keras_module

    n = int(sys.argv[1])
    keras = keras_module()
    inp = keras.Input((64,))
    h1 = keras.layers.Dense(512, activation="relu", name="h1")(inp)
    h2 = keras.layers.Dense(256, activation="relu", name="h2")(h1)
    out = keras.layers.Dense(10, activation="softmax", name="out")(h2)
    model = keras.Model(inp, out)

    def source(start, stop):  # the samples are made batch by batch: no input array of n rows
        rows = np.arange(start, stop, dtype=np.float64)[:, None]
        return np.sin(rows * 0.37 + np.arange(64)).astype("float32")

    names = ["h1", "h2", "h2:raw", "out"]
    warm = ac.stream_layers(model, source, 2000, names, data_key="warm")  # traced, allocated
    def peak():
        return int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) * 1024
    before = peak()
    got = ac.stream_layers(model, source, n, names, data_key=f"synthetic-{n}")
    after = peak()
    from reprviz_gui.core.model.extraction import extract_layer
    expected = extract_layer(model, source(n - 1, n), "h2")[0]  # the last sample, on its own
    print(json.dumps({"before": before, "after": after, "batch": got.batch_size,
                      "bytes": sum(a.nbytes for a in got.arrays.values()),
                      "last_row_ok": bool(np.allclose(got.arrays["h2"][-1], expected,
                                                      atol=1e-5))}))
""")


@pytest.mark.slow
def test_200000_samples_stream_in_bounded_memory(tmp_path):
    """The README's bound: streaming adds at most the batch budget (the memory limit, here
    64 MB) over the model loaded and traced, whatever N is. Measured as the child's peak
    resident memory (VmHWM), not time; the rows written are 5x that bound."""
    env = dict(os.environ, REPRVIZ_CACHE_DIR=str(tmp_path / "cache"),
               REPRVIZ_MEMORY_LIMIT_MB="64", PYTHONPATH=str(REPO), CUDA_VISIBLE_DEVICES="",
               TF_CPP_MIN_LOG_LEVEL="3", OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", CHILD, "200000"], env=env, cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    bound = 64 * 1024 ** 2
    assert got["bytes"] == 200000 * (512 + 256 + 256 + 10) * 4  # 827 MB of rows written
    assert got["bytes"] > 5 * bound
    assert got["after"] - got["before"] <= bound, got
    assert got["last_row_ok"]
    print(f"peak RSS {got['before'] / 2**20:.0f} MiB -> {got['after'] / 2**20:.0f} MiB, "
          f"batch {got['batch']}")
