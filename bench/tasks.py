"""The measured pieces of the benchmark, each run in a fresh process by ``bench/run.py``:
``python bench/tasks.py TASK ARGS...`` prints one JSON line on stdout (its last line).

Baselines are the courses' own code, verbatim in spirit: ``umap.UMAP().fit_transform(X)`` (the UMAP
notebook) and ``TSNE().fit_transform(PCA(20).fit_transform(X))`` (the BiLSTM post).
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
warnings.simplefilter("ignore")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _emit(**values) -> None:
    print(json.dumps(values), flush=True)


def baseline_umap(data: str, out: str) -> None:
    import numpy as np
    import umap

    x = np.load(data)["x"]
    np.save(out, umap.UMAP().fit_transform(x))
    _emit(done=True)


def baseline_tsne(data: str, out: str) -> None:
    import numpy as np
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    x = np.load(data)["x"]
    np.save(out, TSNE().fit_transform(PCA(20).fit_transform(x)))
    _emit(done=True)


def first_map(n: str, method: str) -> None:
    """The window's first map after launch, headless: the projection child process is started,
    imports and maps ``n`` default samples; timed from spawning the child to the result."""
    import numpy as np

    from reprviz_gui.core.analysis.projection_process import ProjectionProcess
    from reprviz_gui.core.data.samples import make_sample_set
    from reprviz_gui.core.data.sources import load_dataset

    dataset = load_dataset("fashion-mnist-sample")
    samples = make_sample_set(dataset, int(n), "test", seed=0)
    x = dataset.inputs(dataset.x_test[samples.indices]).reshape(len(samples.indices), -1)
    x = np.ascontiguousarray(x, dtype=np.float32)
    proc = ProjectionProcess()
    t0 = time.perf_counter()
    proc.project(x, method, seed=0)
    seconds = time.perf_counter() - t0
    proc.close()
    _emit(seconds=seconds)


def extraction(n: str, out: str) -> None:
    """All layers of the default model for ``n`` samples vs one ``model.predict``."""
    import numpy as np

    from reprviz_gui.core.data.sources import load_dataset
    from reprviz_gui.core.model import presets
    from reprviz_gui.core.model.extraction import extract_layers, layer_names

    dataset = load_dataset("fashion-mnist-sample")
    x = np.concatenate([dataset.x_train, dataset.x_test])[: int(n)]
    x = dataset.inputs(x)
    model = presets.build_model(presets.default_config("dense"), dataset, seed=0)
    names = layer_names(model)
    model.predict(x[:64], verbose=0)  # both traced before timing
    extract_layers(model, x[:64], names)
    base, ours = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        model.predict(x, verbose=0)
        base.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        acts = extract_layers(model, x, names)
        ours.append(time.perf_counter() - t0)
    wide = [k for k, v in acts.items() if v.shape[1] == 256]
    if wide:
        np.save(out, acts[wide[0]])
    _emit(baseline=float(np.median(base)), ours=float(np.median(ours)), layers=names,
          saved=wide[0] if wide else None)


def cosine(path: str) -> None:
    """The cosine matrix of a (N, 256) layer vs numpy's normalised float32 matmul."""
    import numpy as np
    from threadpoolctl import threadpool_info

    from reprviz_gui.core.analysis.similarity import cosine_similarity

    a = np.load(path).astype(np.float32)

    def numpy_way():
        u = a / np.linalg.norm(a, axis=1, keepdims=True)
        return u @ u.T

    numpy_way(), cosine_similarity(a)  # first touches
    base, ours = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        ref = numpy_way()
        base.append(time.perf_counter() - t0)
        del ref
        t0 = time.perf_counter()
        got = cosine_similarity(a)
        ours.append(time.perf_counter() - t0)
        del got
    blas = [{k: i.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
            for i in threadpool_info()]
    _emit(baseline=float(np.median(base)), ours=float(np.median(ours)), shape=list(a.shape),
          blas=blas)


def curve_point(kind: str, n: str) -> None:
    """Time and peak memory (tracemalloc: numpy's allocations) of one step at N points of
    synthetic 10-cluster data, 256 values wide (a layer)."""
    import tracemalloc

    import numpy as np

    rng = np.random.default_rng(0)
    n_ = int(n)
    centres = rng.standard_normal((10, 256)).astype(np.float32) * 3
    a = centres[rng.integers(0, 10, n_)] + rng.standard_normal((n_, 256)).astype(np.float32)
    note = ""
    if kind in ("umap", "tsne"):  # pay imports and compiles outside the timing
        from reprviz_gui.core.analysis.projection import warm_up

        warm_up((kind,))
    tracemalloc.start()
    t0 = time.perf_counter()
    if kind == "cosine":
        from reprviz_gui.core.analysis.similarity import cosine_matrix

        result = cosine_matrix(a)
        note = result.note
        dtype = str(result.matrix.dtype)
    else:
        from reprviz_gui.core.analysis.projection import project

        dtype = str(project(a, kind, seed=0).coords.dtype)
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    _emit(seconds=seconds, peak_bytes=int(peak), input_bytes=int(a.nbytes), note=note,
          dtype=dtype)


if __name__ == "__main__":
    task, *args = sys.argv[1:]
    globals()[task](*args)
