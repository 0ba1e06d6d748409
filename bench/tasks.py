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


def extraction_mobilenet(n: str, repeats: str = "3") -> None:
    """Every layer of MobileNetV2 (alpha 0.35, 96x96 colour, weights=None), global averages
    (each map reduced in the graph), for ``n`` images vs one ``model.predict`` of its output."""
    import numpy as np

    from reprviz_gui.core.model.extraction import extract_layers, layer_names
    from reprviz_gui.core.model.runtime import keras_module

    keras = keras_module()
    model = keras.applications.MobileNetV2(input_shape=(96, 96, 3), alpha=0.35, weights=None,
                                           classes=10)
    x = np.random.default_rng(0).random((int(n), 96, 96, 3), dtype=np.float32) * 2 - 1
    names = layer_names(model)[1:]  # every layer after the input
    mean = {"*": "mean"}
    model.predict(x[:256], batch_size=256, verbose=0)  # both traced before timing
    extract_layers(model, x[:256], names, reductions=mean)
    base, ours = [], []
    for _ in range(int(repeats)):
        t0 = time.perf_counter()
        model.predict(x, batch_size=256, verbose=0)
        base.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        acts = extract_layers(model, x, names, reductions=mean)
        ours.append(time.perf_counter() - t0)
    _emit(baseline=float(np.median(base)), ours=float(np.median(ours)), layers=len(names),
          width=int(sum(a.shape[1] for a in acts.values())), n=int(n))


def _dense_layers(n: int) -> tuple:
    """The default dense model (one epoch) and every depth layer of ``n`` bundled images."""
    import numpy as np

    from reprviz_gui.core import measures
    from reprviz_gui.core.data.samples import make_sample_set
    from reprviz_gui.core.data.sources import load_dataset
    from reprviz_gui.core.model import presets
    from reprviz_gui.core.model.training import TrainConfig, train

    dataset = load_dataset("fashion-mnist-sample")
    model = presets.build_model(presets.default_config("dense"), dataset, seed=0)
    train(model, dataset, TrainConfig(epochs=1))
    samples = make_sample_set(dataset, n, "test", seed=0)
    return measures.depth_activations(model, dataset, samples), np.asarray(samples.labels)


def layer_metrics(n: str) -> None:
    """``layer_metrics_of`` every layer of the default model vs a plain scikit-learn loop
    (the same split, kNN, probe and skdim's TwoNN as a user would write them)."""
    import numpy as np
    import skdim
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from reprviz_gui.core import measures

    acts, y = _dense_layers(int(n))
    t0 = time.perf_counter()
    rows = measures.layer_metrics_of(acts)
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    for la in acts.layers:
        x = la.x
        tr, te = train_test_split(np.arange(len(y)), train_size=0.7, random_state=0, stratify=y)
        KNeighborsClassifier(10, metric="cosine").fit(x[tr], y[tr]).score(x[te], y[te])
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=100)).fit(
            x[tr], y[tr]).score(x[te], y[te])
        skdim.id.TwoNN().fit(x)
        (x != 0).any(axis=0).sum(), (x == 0).mean()
    base = time.perf_counter() - t0
    _emit(ours=ours, baseline=base, layers=[r.layer for r in rows], n=len(y),
          probe={r.layer: round(r.probe_accuracy, 4) for r in rows})


def cka(n: str) -> None:
    """The CKA matrix of 6 layers of ``n`` samples vs the textbook numpy loop; and the two forms
    timed on 2,000 samples (where a Gram matrix still fits)."""
    import numpy as np

    from reprviz_gui.core.analysis.cka import cka_matrix, plain_cka_matrix
    from reprviz_gui.core.data.sources import load_dataset
    from reprviz_gui.core.model import presets
    from reprviz_gui.core.model.extraction import extract_layers

    dataset = load_dataset("fashion-mnist-sample")
    x = dataset.inputs(np.concatenate([dataset.x_train, dataset.x_test])[: int(n)])
    model = presets.build_model(presets.default_config("dense"), dataset, seed=0)
    names = ["hidden_1:raw", "hidden_1", "hidden_2:raw", "hidden_2", "output:raw", "output"]
    layers = extract_layers(model, x, names)
    base, ours = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        ref = plain_cka_matrix([layers[k] for k in names])
        base.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        m = cka_matrix(layers)
        ours.append(time.perf_counter() - t0)
    assert np.allclose(ref, m.matrix, atol=1e-6)
    small = {k: v[:2000] for k, v in layers.items()}
    forms = {}
    for form in ("feature", "gram"):
        t0 = time.perf_counter()
        cka_matrix(small, form=form)
        forms[form] = time.perf_counter() - t0
    _emit(ours=float(np.median(ours)), baseline=float(np.median(base)), n=len(x),
          forms=list(m.forms), feature_2000=forms["feature"], gram_2000=forms["gram"])


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


def _session_opts(out: str):
    from reprviz_gui.core.data.types import LoadOptions
    from reprviz_gui.core.io.report import AnalyzeOptions

    # the default session: the window's defaults (Fashion sample, dense, 5 epochs, 1,000
    # samples, UMAP)
    return AnalyzeOptions(data="fashion-mnist-sample", model="dense", epochs=5, samples=1000,
                          projection="umap", seed=0, out=Path(out), figures=False,
                          measures=False, history=False, load=LoadOptions(seed=0))


def session_make(out: str, session: str) -> None:
    """Compute the default session from scratch (train, evaluate, read the layer, UMAP) with
    TensorFlow and the UMAP kernels loaded first (as in the window), then write it."""
    import io

    import numpy as np

    from reprviz_gui.core.analysis.projection import warm_up
    from reprviz_gui.core.io.report import analyze
    from reprviz_gui.core.io.session_file import read_session
    from reprviz_gui.core.model.runtime import keras_module
    from reprviz_gui.workspace.session_headless import write_analyze_session

    keras_module()
    warm_up(("umap",))
    opts = _session_opts(out)
    keep: dict = {}
    t0 = time.perf_counter()
    analyze(opts, keep=keep)
    compute = time.perf_counter() - t0
    t0 = time.perf_counter()
    path = write_analyze_session(session, opts, keep)
    write = time.perf_counter() - t0
    arrays = read_session(path, Path(out) / "x").arrays
    model = keep["model"]
    weights = {f"w{i}": np.asarray(v) for i, v in enumerate(
        list(model.weights) + list(model.optimizer.variables))}

    def npz_size(d: dict) -> int:
        buf = io.BytesIO()
        np.savez_compressed(buf, **d)
        return len(buf.getvalue())

    _emit(compute=compute, write=write, size=path.stat().st_size,
          results_npz=npz_size(arrays), all_npz=npz_size({**arrays, **weights}),
          n_arrays=len(arrays), n_weights=len(weights))


def session_open(session: str) -> None:
    """What the window does to open a session, headless: read and check the file, load the
    data, make the sample set, rebuild the results, load the model (TensorFlow loaded first,
    as the window loads it at launch)."""
    from reprviz_gui.core.data.samples import make_sample_set
    from reprviz_gui.core.data.sources import load_dataset
    from reprviz_gui.core.model.files import load_model_file
    from reprviz_gui.core.model.runtime import keras_module
    from reprviz_gui.workspace.session_io import read_plan
    from reprviz_gui.workspace.state import ResultTag

    keras_module()
    t0 = time.perf_counter()
    plan = read_plan(session)
    st = plan.state
    dataset = load_dataset(plan.data_source, plan.load_options)
    samples = make_sample_set(dataset, st.n_samples, st.split, st.seed)
    results = plan.decode(samples, lambda sid, w: ResultTag(1, samples.key if w else "", sid, 1))
    models = [load_model_file(p) for p in plan.models.values()]
    seconds = time.perf_counter() - t0
    _emit(seconds=seconds, results=len(results), models=len(models))



def map_cancel(folder: str, method: str = "tsne", at: str = "0.3") -> None:
    """The map of every test image in an IDX folder (the pixels, as ``analyze --model none``
    maps them), cancelled once its layout is ``at`` done: the progress it reported (stage,
    fraction, how often) and how long the stop took to land."""
    import numpy as np

    from reprviz_gui.core.analysis.projection import project
    from reprviz_gui.core.data.idx import read_idx
    from reprviz_gui.core.errors import Cancelled

    x = read_idx(Path(folder) / "t10k-images-idx3-ubyte")
    x = (x.reshape(len(x), -1) / np.float32(255.0)).astype(np.float32)
    seen: list = []
    asked: list = []
    t0 = time.perf_counter()

    def progress(p) -> None:
        seen.append((time.perf_counter() - t0, p.stage, p.fraction, p.message))

    def stop() -> bool:
        if not asked and seen and seen[-1][2] >= 0.2 + 0.8 * float(at):  # layout fraction
            asked.append(time.perf_counter())
        return bool(asked)

    try:
        project(x, method, seed=0, on_progress=progress, should_stop=stop)
        stopped = None
    except Cancelled:
        stopped = time.perf_counter()
    gaps = np.diff([t for t, *_ in seen]) if len(seen) > 1 else np.zeros(1)
    _emit(n=len(x), reports=len(seen), messages=[m for *_, m in seen[:3]] + [seen[-1][3]],
          max_gap_s=float(gaps.max()), gap_after=seen[int(np.argmax(gaps))][3],
          times=[round(t, 1) for t, *_ in seen], cancelled=stopped is not None,
          stop_latency_s=(stopped - asked[0]) if stopped and asked else None,
          asked_at_s=(asked[0] - t0) if asked else None)

if __name__ == "__main__":
    task, *args = sys.argv[1:]
    globals()[task](*args)
