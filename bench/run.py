"""reprviz's benchmark: ``.venv/bin/python bench/run.py`` writes ``bench/RESULTS.md``.

Every figure with a baseline is a ratio against it, measured in the same run on the same
machine (the machine is shared and its speed varies); the window's interactive figures (a
repaint, a stall, a redraw) are milliseconds against the issue's targets, with the load average
beside them. Each timed pipeline runs in a fresh process (``bench/tasks.py``, and
``bench/window.py`` for the real window, Qt offscreen); wall time, CPU time and peak memory come
from the OS (``wait4``). The whole run stays under 10 minutes on two cores: a figure that would
not fit in the time left is skipped and says so, and the size curves stop early.

Adding a figure: write a function ``fig_x(ctx) -> list[Row]`` and list it in ``FIGURES``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PY = sys.executable
TASKS = str(ROOT / "bench" / "tasks.py")
WINDOW = str(ROOT / "bench" / "window.py")
BUDGET_S = 570.0  # the whole run, with a margin under 10 minutes
FULL_FASHION = Path("/usr/share/datasets/fashion-mnist")  # Debian: dataset-fashion-mnist
SUBSET = ROOT / "resources" / "data" / "fashion-mnist-subset"


@dataclass
class Run:
    wall: float
    cpu: float
    rss: int  # peak resident set, bytes
    out: dict = field(default_factory=dict)


@dataclass
class Row:
    figure: str
    baseline: str
    ours: str
    ratio: Optional[float]  # ours / baseline (wall time unless said otherwise)
    target: str
    met: Optional[bool]  # None: not measured (skipped)
    details: str = ""


def run(args: list[str], env: Optional[dict] = None, timeout: float = 600.0) -> Run:
    """One fresh process: wall seconds, and its own CPU seconds and peak RSS from ``wait4``
    (a grandchild, like the projection process, is not counted)."""
    full_env = dict(os.environ, **(env or {}))
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=err, env=full_env, cwd=str(ROOT),
                                text=True)
        deadline = t0 + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise RuntimeError(f"timed out: {' '.join(args)}")
            time.sleep(0.02)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, errors = out.read(), err.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} failed ({proc.returncode}): "
                           f"{errors.strip().splitlines()[-1] if errors.strip() else ''}")
    lines = [ln for ln in text.strip().splitlines() if ln.startswith("{")]
    return Run(wall, usage.ru_utime + usage.ru_stime, int(usage.ru_maxrss) * 1024,
               json.loads(lines[-1]) if lines else {})


timed = run


# --- data ------------------------------------------------------------------------------------
def make_data(work: Path, n: int = 9000, n_train: int = 100) -> tuple[Path, Path, str]:
    """An IDX folder whose test split holds ``n`` real Fashion-MNIST images (for ``analyze``)
    and whose train split holds ``n_train`` others (the window trains on them), and the test
    pixels ÷ 255 as an .npz (for the baselines)."""
    from reprviz_gui.core.data.idx import read_idx, write_idx

    if (FULL_FASHION / "t10k-images-idx3-ubyte.gz").exists():
        x = read_idx(FULL_FASHION / "t10k-images-idx3-ubyte.gz")[:n]
        y = read_idx(FULL_FASHION / "t10k-labels-idx1-ubyte.gz")[:n]
        xt = read_idx(FULL_FASHION / "train-images-idx3-ubyte.gz")[:n_train]
        yt = read_idx(FULL_FASHION / "train-labels-idx1-ubyte.gz")[:n_train]
        source = f"the first {len(x):,} Fashion-MNIST test images ({FULL_FASHION})"
    else:  # the bundled subset: 3,615 + 4,443 images
        x = np.concatenate([read_idx(SUBSET / "train-images-idx3-ubyte.gz"),
                            read_idx(SUBSET / "t10k-images-idx3-ubyte.gz")])[:n]
        y = np.concatenate([read_idx(SUBSET / "train-labels-idx1-ubyte.gz"),
                            read_idx(SUBSET / "t10k-labels-idx1-ubyte.gz")])[:n]
        xt, yt = x[:n_train], y[:n_train]  # too few images to keep the two apart
        source = (f"{len(x):,} Fashion-MNIST images (the bundled subset's train + test; "
                  "`apt-get install dataset-fashion-mnist` gives 9,000)")
    folder = work / "images"
    folder.mkdir(parents=True, exist_ok=True)
    write_idx(folder / "t10k-images-idx3-ubyte", x)
    write_idx(folder / "t10k-labels-idx1-ubyte", y)
    write_idx(folder / "train-images-idx3-ubyte", xt)  # analyze wants a train split
    write_idx(folder / "train-labels-idx1-ubyte", yt)
    npz = work / "images.npz"
    np.savez(npz, x=(x.reshape(len(x), -1) / np.float32(255.0)).astype(np.float32), y=y)
    return folder, npz, source


def knn_accuracy(coords: np.ndarray, labels: np.ndarray) -> float:
    """10-NN accuracy of a 2-D map: 5-fold cross-validated k-nearest-neighbour classifier."""
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    return float(cross_val_score(KNeighborsClassifier(10), coords, labels, cv=5).mean())


# --- figures ---------------------------------------------------------------------------------
class Ctx:
    def __init__(self, work: Path, started: float, quick: bool) -> None:
        self.work, self.started, self.quick = work, started, quick
        self.numba = work / "numba-cache"  # reprviz's per-user numba cache, fresh for this run
        self.env = {"NUMBA_CACHE_DIR": str(self.numba)}
        self.notes: list[str] = []
        self.baselines: dict[str, tuple[float, float]] = {}  # method: (seconds, 10-NN acc)

    def left(self) -> float:
        return BUDGET_S - (time.perf_counter() - self.started)


def _ratio(ours: float, base: float) -> float:
    return ours / base if base > 0 else float("nan")


def fig_first_map(ctx: Ctx) -> list[Row]:
    """(e) first map in the default method (UMAP) of 1,000 default samples after launch."""
    empty = ctx.work / "empty-numba-cache"
    base_first = timed([PY, "-c", "import tensorflow, umap"],
                       {"NUMBA_CACHE_DIR": str(empty), "TF_CPP_MIN_LOG_LEVEL": "3"})
    ours_first = timed([PY, TASKS, "first_map", "1000", "umap"], ctx.env)
    base_later = timed([PY, "-c", "import tensorflow, umap"], {"TF_CPP_MIN_LOG_LEVEL": "3"})
    ours_later = timed([PY, TASKS, "first_map", "1000", "umap"], ctx.env)
    rows = []
    for when, base, ours, target in (("very first launch (empty numba cache)", base_first,
                                      ours_first, 1.0),
                                     ("later launch (numba cache filled)", base_later,
                                      ours_later, 0.5)):
        seconds = float(ours.out["seconds"])
        ratio = _ratio(seconds, base.wall)
        rows.append(Row(f"(e) first UMAP map of 1,000 default samples, {when}",
                        f"`python -c \"import tensorflow, umap\"`: {base.wall:.1f} s",
                        f"projection child: start + imports + map: {seconds:.1f} s", ratio,
                        f"≤ {target:g}×", ratio <= target,
                        "headless proxy of the window's first map"))
    return rows


def fig_maps(ctx: Ctx) -> list[Row]:
    """(a) final UMAP and t-SNE maps of 9,000 images, fresh process, vs the course pipelines."""
    folder, npz, source = make_data(ctx.work)
    labels = np.load(npz)["y"]
    ctx.notes.append(f"Maps: {source}, 784 pixel values each, `--model none`.")
    rows = []
    peak = 0
    for method, task, course in (("umap", "baseline_umap", "`umap.UMAP().fit_transform(X)`"),
                                 ("tsne", "baseline_tsne",
                                  "`TSNE().fit_transform(PCA(20).fit_transform(X))`")):
        base_out = ctx.work / f"base_{method}.npy"
        base = timed([PY, TASKS, task, str(npz), str(base_out)])
        out = ctx.work / f"ours_{method}"
        ours = timed([PY, str(ROOT / "main.py"), "analyze", "--model", "none", "--data",
                      str(folder), "--samples", str(len(labels)), "--projection", method,
                      "--out", str(out), "--no-figures", "-q"], ctx.env)
        peak = max(peak, ours.rss)
        saved = np.load(out / "activations.npz")
        acc_ours = knn_accuracy(saved["coords"], saved["labels"])
        acc_base = knn_accuracy(np.load(base_out), labels)
        ratio = _ratio(ours.wall, base.wall)
        ctx.baselines[method] = (base.wall, acc_base)
        ok = ratio <= 0.3 and acc_ours >= acc_base - 0.01
        rows.append(Row(f"(a) {method.upper() if method == 'umap' else 't-SNE'} map of "
                        f"{len(labels):,} images, fresh process",
                        f"{course}: {base.wall:.1f} s (CPU {base.cpu:.0f} s), 10-NN acc "
                        f"{acc_base:.3f}",
                        f"`analyze --projection {method}`: {ours.wall:.1f} s (CPU "
                        f"{ours.cpu:.0f} s), 10-NN acc {acc_ours:.3f}", ratio,
                        "≤ 0.3× and 10-NN acc ≥ baseline − 0.01", ok,
                        f"CPU ratio {_ratio(ours.cpu, base.cpu):.2f}×"))
    ctx.peak_rss = peak
    return rows


def fig_extract(ctx: Ctx) -> list[Row]:
    """(b) all layers extracted for 8,000 samples vs one model.predict."""
    acts = ctx.work / "layer256.npy"
    r = run([PY, TASKS, "extraction", "8000", str(acts)])
    ratio = _ratio(r.out["ours"], r.out["baseline"])
    ctx.layer256 = acts if r.out.get("saved") else None
    return [Row("(b) all layers of the default dense model, 8,000 samples",
                f"one `model.predict(x)`: {r.out['baseline']:.2f} s",
                f"`extract_layers` of all {len(r.out['layers'])} layers: {r.out['ours']:.2f} s",
                ratio, "≤ 1.2×", ratio <= 1.2, "median of 3, after one traced call each")]


def fig_extract_mobilenet(ctx: Ctx) -> list[Row]:
    """(r) every layer of MobileNetV2 (0.35, 96x96, weights=None), global averages, 10,000
    images vs one model.predict of its output (issue 18)."""
    r = run([PY, TASKS, "extraction_mobilenet", "10000", "1"], timeout=1800)
    ratio = _ratio(r.out["ours"], r.out["baseline"])
    return [Row("(r) all layers of MobileNetV2 (alpha 0.35, 96×96, weights=None), 10,000 "
                "images", f"one `model.predict(x)`: {r.out['baseline']:.1f} s",
                f"`extract_layers` of all {r.out['layers']} layers, global averages "
                f"({r.out['width']:,} values per image): {r.out['ours']:.1f} s", ratio,
                "≤ 1.2×", ratio <= 1.2, "one of each after a traced call; batches of 256")]


def fig_cosine(ctx: Ctx) -> list[Row]:
    """(c) cosine matrix 8,000 × 8,000 of a 256-wide layer vs numpy."""
    path = getattr(ctx, "layer256", None)
    if path is None:
        path = ctx.work / "random256.npy"
        np.save(path, np.random.default_rng(0).standard_normal((8000, 256)).astype(np.float32))
    r = run([PY, TASKS, "cosine", str(path)])
    ratio = _ratio(r.out["ours"], r.out["baseline"])
    blas = ", ".join(f"{b['internal_api']} {b['version']} ({b['architecture']}, "
                     f"{b['num_threads']} threads)" for b in r.out["blas"])
    return [Row(f"(c) cosine matrix {r.out['shape'][0]:,} × {r.out['shape'][0]:,} of a "
                f"{r.out['shape'][1]}-wide layer",
                f"numpy `u = a / norm; u @ u.T` (float32): {r.out['baseline']:.3f} s",
                f"`cosine_similarity`: {r.out['ours']:.3f} s", ratio, "≤ 1.3×", ratio <= 1.3,
                f"median of 3; BLAS: {blas}")]


def fig_memory(ctx: Ctx) -> list[Row]:
    """(d) peak RSS of the 9,000-image workflow, and curves of time/memory by N."""
    rows = []
    peak = getattr(ctx, "peak_rss", 0)
    if peak:
        rows.append(Row("(d) peak RSS of the 9,000-image `analyze` (UMAP and t-SNE runs)",
                        "—", f"{peak / 2**20:,.0f} MiB", None, "reported", True,
                        "includes the cosine matrix (N×N float32) and activations"))
    ctx.curves = []
    for kind, sizes in (("cosine", (1000, 4000, 16000, 64000)),
                        ("umap", (1000, 4000, 16000, 64000)),
                        ("tsne", (1000, 4000, 16000))):
        for n in sizes:
            guess = {"cosine": 0.2, "umap": 2.5, "tsne": 3.0}[kind] * n / 1000 + 10
            if ctx.quick and n > 4000 or ctx.left() < guess:
                ctx.curves.append((kind, n, None, None, "skipped: not enough time left"))
                continue
            r = run([PY, TASKS, "curve_point", kind, str(n)], ctx.env)
            ctx.curves.append((kind, n, r.out["seconds"], r.out["peak_bytes"],
                               f"{r.out['dtype']}; process peak RSS {r.rss / 2**20:,.0f} MiB; "
                               + (r.out.get("note") or "")))
    f64 = [c for c in ctx.curves if c[2] is not None and "float64" in c[4]]
    rows.append(Row("(d) nothing O(N²) in float64; a sampled matrix with a note beyond memory",
                    "—", "see the curves below", None, "float32 results; sampled + note",
                    not f64, ""))
    return rows


def make_full_fashion(work: Path) -> tuple[Path, Path]:
    """All 70,000 Fashion-MNIST images (train + test) as the test split of an IDX folder (for
    ``analyze --samples all``) and ÷ 255 as an .npz (for the baseline)."""
    from reprviz_gui.core.data.idx import read_idx, write_idx

    parts = [(FULL_FASHION / f"{p}-images-idx3-ubyte.gz", FULL_FASHION / f"{p}-labels-idx1-ubyte.gz")
             for p in ("train", "t10k")]
    x = np.concatenate([read_idx(i) for i, _ in parts])
    y = np.concatenate([read_idx(lab) for _, lab in parts])
    folder = work / "fashion70k"
    folder.mkdir(parents=True, exist_ok=True)
    write_idx(folder / "t10k-images-idx3-ubyte", x)
    write_idx(folder / "t10k-labels-idx1-ubyte", y)
    write_idx(folder / "train-images-idx3-ubyte", x[:100])  # analyze wants a train split
    write_idx(folder / "train-labels-idx1-ubyte", y[:100])
    npz = work / "fashion70k.npz"
    np.savez(npz, x=(x.reshape(len(x), -1) / np.float32(255.0)).astype(np.float32), y=y)
    return folder, npz


def make_clusters_idx(work: Path, n: int = 100_000, seed: int = 0) -> Path:
    """``n`` synthetic 16 × 16 grey "images" in 10 overlapping classes (each pixel a class
    centre plus noise, clipped to 0-255; 256 values wide as the size curves) as the test split
    of an IDX folder, for ``analyze --samples all`` without the data set package."""
    from reprviz_gui.core.data.idx import write_idx

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n).astype(np.uint8)
    centres = 128.0 + 15.0 * rng.standard_normal((10, 16, 16))  # 10-NN acc 0.8 at 5,000
    x = np.clip(centres[y] + 60.0 * rng.standard_normal((n, 16, 16)), 0, 255).astype(np.uint8)
    folder = work / f"clusters{n // 1000}k"
    folder.mkdir(parents=True, exist_ok=True)
    write_idx(folder / "t10k-images-idx3-ubyte", x)
    write_idx(folder / "t10k-labels-idx1-ubyte", y)
    write_idx(folder / "train-images-idx3-ubyte", x[:100])  # analyze wants a train split
    write_idx(folder / "train-labels-idx1-ubyte", y[:100])
    return folder


def fig_scale(ctx: Ctx) -> list[Row]:
    """(z) data at full size (issue 18 §2): the 70,000-image UMAP map, its peak memory, a
    1,000,000-point map in the window. Not in the default set (half an hour on two cores)."""
    rows = []
    if not (FULL_FASHION / "train-images-idx3-ubyte.gz").exists():
        return [Row("(z) UMAP map of 70,000 images", "—", "skipped: needs "
                    "`apt-get install dataset-fashion-mnist`", None, "≤ 0.2×", None)]
    folder, npz = make_full_fashion(ctx.work)
    labels = np.load(npz)["y"]
    base_out = ctx.work / "base_umap70k.npy"
    base = timed([PY, TASKS, "baseline_umap", str(npz), str(base_out)], timeout=7200)
    out = ctx.work / "ours_umap70k"
    if not any(ctx.numba.glob("**/*.nbi")):  # as after the first launch: the kernels compiled
        timed([PY, TASKS, "first_map", "1000", "umap"], ctx.env)
    ours = timed([PY, str(ROOT / "main.py"), "analyze", "--model", "none", "--data",
                  str(folder), "--samples", "all", "--projection", "umap", "--out", str(out),
                  "--no-figures", "--no-measures", "-q"], ctx.env, timeout=7200)
    saved = np.load(out / "activations.npz")
    acc_ours = knn_accuracy(saved["coords"], saved["labels"])
    acc_base = knn_accuracy(np.load(base_out), labels)
    ratio = _ratio(ours.wall, base.wall)
    cpu_ratio = _ratio(ours.cpu, base.cpu)
    rows.append(Row(f"(z) UMAP map of all {len(labels):,} Fashion-MNIST images, fresh process",
                    f"`umap.UMAP().fit_transform(X)`: {base.wall:.1f} s (CPU {base.cpu:.0f} s), "
                    f"10-NN acc {acc_base:.3f}",
                    f"`analyze --samples all --projection umap --no-measures`: {ours.wall:.1f} s "
                    f"(CPU {ours.cpu:.0f} s), 10-NN acc {acc_ours:.3f}", ratio,
                    "≤ 0.2× and 10-NN acc ≥ baseline − 0.01",
                    ratio <= 0.2 and acc_ours >= acc_base - 0.01,
                    f"CPU ratio {cpu_ratio:.2f}×; numba cache filled; load average "
                    f"{os.getloadavg()[0]:.1f}"))
    rows.append(Row(f"(z) peak RSS of the {len(labels):,}-image UMAP `analyze`", "—",
                    f"{ours.rss / 2**20:,.0f} MiB", None, "reported", True,
                    "the pixels as float32 (220 MB) and the map; no N × N matrix"))
    m = run([PY, WINDOW, "map70k", "1000000", "9"], {"QT_QPA_PLATFORM": "offscreen"},
            timeout=1800).out
    pan, zoom, look = m["pan"], m["zoom"], m["lookup"]
    rows.append(Row("(z) 1,000,000-point map (synthetic clusters): pan / zoom repaint", "—",
                    f"pan {pan['median_ms']:.0f} ms, zoom {zoom['median_ms']:.0f} ms (median of "
                    f"{pan['n']} each; p90 {pan['p90_ms']:.0f} / {zoom['p90_ms']:.0f} ms)", None,
                    "≤ 50 ms", max(pan["median_ms"], zoom["median_ms"]) <= 50,
                    f"{m['viewport'][0]} × {m['viewport'][1]} px; a zoom step shows the last "
                    f"image rescaled, the sharp image follows when the zoom pauses (80 ms): "
                    f"{(m.get('sharp') or {}).get('median_ms', float('nan')):.0f} ms; first draw "
                    f"{m['first_draw_ms']:.0f} ms; load average {os.getloadavg()[0]:.1f}"))
    rows.append(Row("(z) 1,000,000-point map: hover lookup", "—",
                    f"{look['median_ms']:.2f} ms (p90 {look['p90_ms']:.2f}, max "
                    f"{look['max_ms']:.1f} ms)", None, "≤ 5 ms", look["median_ms"] <= 5,
                    f"the first hover builds the index: {m['first_lookup_ms']:.0f} ms; the whole "
                    f"hover with its tooltip: median {m['hover']['median_ms']:.1f} ms"))
    return rows



def fig_scale_tsne(ctx: Ctx, n: int = 100_000) -> list[Row]:
    """(z) t-SNE of 100,000 points (issue 18 §2): all of them, through ``analyze``, then the same
    map cancelled a third of the way through its layout (progress and the stop's delay)."""
    from reprviz_gui.core.analysis.projection import neighbour_search

    n = int(os.environ.get("BENCH_TSNE_N", n))  # a smaller N to try the figure quickly
    folder = make_clusters_idx(ctx.work, n)
    out = ctx.work / f"ours_tsne{n // 1000}k"
    ours = timed([PY, str(ROOT / "main.py"), "analyze", "--model", "none", "--data",
                  str(folder), "--samples", "all", "--projection", "tsne", "--out", str(out),
                  "--no-figures", "--no-measures", "-q"], ctx.env, timeout=7200)
    saved = np.load(out / "activations.npz")
    report = json.loads((out / "report.json").read_text())
    proj = report.get("projection") or {}
    params = proj.get("params") or {}
    coords = saved["coords"]
    acc = knn_accuracy(coords, saved["labels"])
    cut = timed([PY, TASKS, "map_cancel", str(folder), "tsne", "0.33"], timeout=7200).out
    return [Row(f"(z) t-SNE map of all {len(coords):,} points (synthetic 10-class 16 × 16 "
                "images, 256 values), fresh process", "—",
                f"`analyze --samples all --projection tsne --no-measures`: {ours.wall:.1f} s "
                f"(CPU {ours.cpu:.0f} s), peak RSS {ours.rss / 2**20:,.0f} MiB, 10-NN acc "
                f"{acc:.3f}", None, "all points mapped (no sampling), said how",
                len(coords) == n,
                f"neighbours: {params.get('neighbours', '?')} ({n:,} rows: "
                f"{neighbour_search(n)}), "
                f"gradient {params.get('gradient', '?')}, {params.get('max_iter', '?')} "
                f"iterations; load average {os.getloadavg()[0]:.1f}"),
            Row(f"(z) t-SNE of {n:,} points: progress and cancel", "—",
                f"{cut['reports']} progress reports, longest gap {cut['max_gap_s']:.1f} s; "
                f"cancelled at a third of the layout ({cut['asked_at_s']:.0f} s in): stopped "
                f"{(cut['stop_latency_s'] or float('nan')):.2f} s later", None,
                "progress shown; cancel lands", bool(cut["cancelled"]),
                f"`bench/tasks.py map_cancel`, in-process `project`; first messages: "
                f"{'; '.join(cut['messages'][:3])}")]


def fig_scale_select(ctx: Ctx) -> list[Row]:
    """(z) box and lasso selections on a 1,000,000-point map with real mouse drags (issue 18 §2,
    "stays interactive ... box and lasso selection")."""
    m = run([PY, WINDOW, "select_map", "1000000", "3"], {"QT_QPA_PLATFORM": "offscreen"},
            timeout=1800).out
    load = f"load average {os.getloadavg()[0]:.1f}"
    rows = []
    for key, what in (("box", "a box around one cluster"), ("half", "a box over the left half"),
                      ("lasso", "a 60-vertex lasso around the middle")):
        r = m[key]
        first = ": the process's first box imports matplotlib" if key == "box" else ""
        rows.append(Row(f"(z) {m['points']:,}-point map: {what} ({r['n']:,} points selected), "
                        "release → selection applied / painted", "—",
                        f"{r['applied']['median_ms']:.0f} / {r['painted']['median_ms']:.0f} ms "
                        f"(median of {r['applied']['n']}; max {r['applied']['max_ms']:.0f} / "
                        f"{r['painted']['max_ms']:.0f} ms)", None, "≤ 100 ms applied",
                        r["applied"]["median_ms"] <= 100,
                        f"real mouse drag in the map's {'lasso' if key == 'lasso' else 'box'} "
                        f"mode; the points found in {r['points_in']['median_ms']:.0f} ms (max "
                        f"{r['points_in']['max_ms']:.0f} ms{first}); applied = the shared "
                        f"selection set, the map's highlight and the selection bar updated; "
                        f"{load}"))
    a = m["lasso_added"]
    mv = m["moves"]
    rows.append(Row(f"(z) {m['points']:,}-point map: shift + lasso adds ({a['n']:,} selected), "
                    "and each mouse move while drawing", "—",
                    f"added: {a['applied']:.0f} / {a['painted']:.0f} ms; a move with its outline "
                    f"drawn: median {mv['median_ms']:.1f} ms (p90 {mv['p90_ms']:.1f}, max "
                    f"{mv['max_ms']:.0f} ms, {mv['n']} moves)", None, "moves ≤ 50 ms",
                    mv["p90_ms"] <= 50,
                    f"the first move of each drag: "
                    f"{', '.join(f'{x:.0f}' for x in m['first_moves'])} ms (the first is the "
                    f"map's first hover, which builds the point index: see the hover row); "
                    f"{load}"))
    return rows

WINDOW_ROWS = (  # (figure, target) of the window's rows, also when they could not be run
    ("(w) 70,000-point map (synthetic clusters): pan / zoom repaint", "≤ 30 ms"),
    ("(w) 70,000-point map: hover lookup (the point under the mouse)", "≤ 5 ms"),
    ("(w) longest GUI event-loop stall while training, reading layers and projecting",
     "p99 ≤ 100 ms, max ≤ 250 ms"),
    ("(w) switch back to a cached layer: every view redrawn, 8,000 samples", "≤ 300 ms"),
    ("(w) warm window: 9,000 images asked for → final UMAP map drawn", "≤ 0.1×"),
    ("(w) warm window: 9,000 images asked for → final t-SNE map drawn", "≤ 0.1×"),
)
WINDOW_GUESS_S = 160.0  # the window's two processes, with a margin (measured 90-120 s)


def fig_window(ctx: Ctx) -> list[Row]:
    """(w) the window: a 70,000-point map; one session (stalls, switching back, warm maps)."""
    if ctx.left() < WINDOW_GUESS_S + (0 if ctx.baselines else 300):
        return [Row(f, "—", "skipped: not enough time left (`bench/run.py --figures w` runs "
                    "it alone)", None, t, None) for f, t in WINDOW_ROWS]
    load = f"load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    rows = []
    m = run([PY, WINDOW, "map70k", "70000"], timeout=300).out
    pan, zoom, look = m["pan"], m["zoom"], m["lookup"]
    rows.append(Row(WINDOW_ROWS[0][0], "—", f"pan {pan['median_ms']:.0f} ms, zoom "
                    f"{zoom['median_ms']:.0f} ms (median of {pan['n']} each; p90 "
                    f"{pan['p90_ms']:.0f} / {zoom['p90_ms']:.0f} ms)", None, WINDOW_ROWS[0][1],
                    max(pan["median_ms"], zoom["median_ms"]) <= 30,
                    f"{m['viewport'][0]} × {m['viewport'][1]} px; first draw "
                    f"{m['first_draw_ms']:.0f} ms; {load}"))
    rows.append(Row(WINDOW_ROWS[1][0], "—", f"{look['median_ms']:.2f} ms (p90 "
                    f"{look['p90_ms']:.2f}, max {look['max_ms']:.2f} ms; {look['n']} positions)",
                    None, WINDOW_ROWS[1][1], look["p90_ms"] <= 5,
                    f"the first hover builds the index: {m['first_lookup_ms']:.0f} ms; the "
                    f"whole hover with its tooltip: median {m['hover']['median_ms']:.1f} ms"))
    ctx.notes.append("Window (w): Qt offscreen, the default 1280 × 960 window with its default "
                     "views; the session trains on the first 10,000 Fashion-MNIST training "
                     "images. Where the time of a figure not met goes: bench/profiles/README.md.")
    folder, _, _ = make_data(ctx.work / "window", 9000, n_train=10_000)
    for method, task in (("umap", "baseline_umap"), ("tsne", "baseline_tsne")):
        if method not in ctx.baselines:  # (a) did not run: the course pipelines here
            from reprviz_gui.core.data.idx import read_idx

            y = read_idx(folder / "t10k-labels-idx1-ubyte")
            npz = ctx.work / "window" / "images.npz"
            out = ctx.work / f"window_base_{method}.npy"
            base = timed([PY, TASKS, task, str(npz), str(out)])
            ctx.baselines[method] = (base.wall, knn_accuracy(np.load(out), y))
    s = run([PY, WINDOW, "session", str(folder), "8000", "9000"], ctx.env, timeout=500).out
    st, sw = s["stalls"], s["switch"]
    rows.append(Row(WINDOW_ROWS[2][0], "—", f"p99 {st['p99_ms']:.0f} ms, max "
                    f"{st['max_ms']:.0f} ms (worst: {', '.join(f'{g:.0f}' for g in st['worst_ms'])}"
                    " ms)", None, WINDOW_ROWS[2][1], st["p99_ms"] <= 100 and st["max_ms"] <= 250,
                    f"10 ms QTimer probe over {st['seconds']:.0f} s: the default model trained "
                    f"3 epochs on 10,000 images, {s['samples']:,} samples read again and mapped "
                    f"(UMAP), then layer {s['layers'][1]} read and mapped; {load}"))
    rows.append(Row(WINDOW_ROWS[3][0], "—", f"{sw['median_ms']:.0f} ms (median of {sw['n']}; "
                    f"max {sw['max_ms']:.0f} ms)", None, WINDOW_ROWS[3][1],
                    sw["median_ms"] <= 300, f"layers {s['layers'][0]} ↔ {s['layers'][1]}, "
                    "heatmap, cosine, map, curves, confusion and selection views, the window "
                    "repainted"))
    for i, method in enumerate(("umap", "tsne")):
        ours = s["maps"][method]
        base_s, base_acc = ctx.baselines[method]
        acc = knn_accuracy(np.asarray(ours["coords"]), np.asarray(ours["labels"]))
        ratio = _ratio(ours["seconds"], base_s)
        course = "`umap.UMAP().fit_transform(X)`" if method == "umap" else \
            "`TSNE().fit_transform(PCA(20).fit_transform(X))`"
        rows.append(Row(WINDOW_ROWS[4 + i][0].replace("9,000", f"{ours['n']:,}"),
                        f"{course} (fresh process): {base_s:.1f} s, 10-NN acc {base_acc:.3f}",
                        f"{ours['seconds']:.1f} s, 10-NN acc {acc:.3f}", ratio,
                        WINDOW_ROWS[4 + i][1], ratio <= 0.1,
                        "no model (the pixels); the layer read again (store emptied), its "
                        "cosine matrix, the PCA preview, the map forming, then final; " + load))
    return rows


def fig_measures(ctx: Ctx) -> list[Row]:
    """(m) layer metrics of the default model and the CKA matrix of 6 layers."""
    r = run([PY, TASKS, "layer_metrics", "4443"])
    ratio = _ratio(r.out["ours"], r.out["baseline"])
    rows = [Row(f"(m) layer metrics (kNN, probe, TwoNN, dead units) of all "
                f"{len(r.out['layers'])} layers of the default model, {r.out['n']:,} samples",
                f"plain scikit-learn loop (KNeighborsClassifier, StandardScaler + "
                f"LogisticRegression, skdim TwoNN): {r.out['baseline']:.1f} s",
                f"`layer_metrics_of`: {r.out['ours']:.1f} s", ratio, "≤ 1.2×", ratio <= 1.2,
                "one run each; probe accuracy " + ", ".join(
                    f"{k} {v:.3f}" for k, v in r.out["probe"].items()))]
    r = run([PY, TASKS, "cka", "8000"])
    ratio = _ratio(r.out["ours"], r.out["baseline"])
    rows.append(Row(f"(m) linear CKA matrix of 6 layers, {r.out['n']:,} samples",
                    f"numpy, centre and three products per pair: {r.out['baseline']:.2f} s",
                    f"`cka_matrix` ({', '.join(sorted(set(r.out['forms'])))} form): "
                    f"{r.out['ours']:.2f} s", ratio, "≤ 1.2×", ratio <= 1.2,
                    f"median of 3; at 2,000 samples feature form {r.out['feature_2000']:.2f} s, "
                    f"Gram form {r.out['gram_2000']:.2f} s"))
    w = run([PY, WINDOW, "measures", "4443"], timeout=700).out
    st = w["stalls"]
    rows.append(Row(f"(m) the window while the layer metrics and the CKA matrix compute, "
                    f"{w['samples']:,} samples", "—",
                    f"p99 {st['p99_ms']:.0f} ms, max {st['max_ms']:.0f} ms (worst: "
                    f"{', '.join(f'{g:.0f}' for g in st['worst_ms'])} ms)", None,
                    "p99 ≤ 100 ms", st["p99_ms"] <= 100,
                    f"10 ms QTimer probe over {w['seconds']:.0f} s: Layers along depth "
                    f"({w['layers']} layers) and Layer similarity (CKA, {w['cka_layers']} "
                    f"layers) opened together on the trained default model"))
    return rows


def fig_sessions(ctx: Ctx) -> list[Row]:
    """(s) opening the default session vs computing it again; its file size."""
    session = ctx.work / "default.reprviz"
    made = run([PY, TASKS, "session_make", str(ctx.work / "session-out"), str(session)],
               ctx.env)
    opened = run([PY, TASKS, "session_open", str(session)], ctx.env)
    compute, seconds = float(made.out["compute"]), float(opened.out["seconds"])
    ratio = _ratio(seconds, compute)
    size, arrays = int(made.out["size"]), int(made.out["all_npz"])
    size_ratio = _ratio(size, arrays)
    mb = 1024 * 1024
    return [Row("(s) opening the default session (Fashion sample, dense, 5 epochs, 1,000 "
                "samples, UMAP): read and check the file, load the data and the sample set, "
                "rebuild the results, load the model",
                f"computing it again (train, evaluate, read the layer, UMAP): {compute:.1f} s",
                f"{seconds:.2f} s", ratio, "≤ 0.3×", ratio <= 0.3,
                f"fresh processes, TensorFlow and the UMAP kernels loaded before timing in "
                f"both; writing it took {float(made.out['write']):.2f} s"),
            Row("(s) the default session's file size",
                f"np.savez_compressed of its arrays (the results' {made.out['n_arrays']} and "
                f"the model's {made.out['n_weights']} weights and optimizer variables): "
                f"{arrays / mb:.2f} MiB",
                f"{size / mb:.2f} MiB", size_ratio, "≤ 1.3×", size_ratio <= 1.3,
                f"the results' arrays alone: {int(made.out['results_npz']) / mb:.2f} MiB")]


def fig_input(ctx: Ctx) -> list[Row]:
    """(i) Your input: the GUI thread while a pen draws on the canvas."""
    load = f"load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    r = run([PY, WINDOW, "drawing", "tsne", "20"], ctx.env, timeout=500).out
    st = r["stalls"]
    return [Row("(w) drawing on the *Your input* canvas: longest GUI event-loop stall", "—",
                f"p99 {st['p99_ms']:.0f} ms, max {st['max_ms']:.0f} ms (worst: "
                f"{', '.join(f'{g:.0f}' for g in st['worst_ms'])} ms)", None, "p99 ≤ 100 ms",
                st["p99_ms"] <= 100,
                f"10 ms QTimer probe over {r['seconds']:.0f} s of drawing, {r['moves']} mouse "
                f"moves (60 a second, a new stroke every 40): {r['sent']} inputs put through "
                f"the dense model (3 epochs, Fashion sample) and onto the t-SNE map "
                f"(openTSNE transform), {r['answered']} results drawn; {load}")]


def fig_export(ctx: Ctx) -> list[Row]:
    """(x) File → Export… of 70,000 samples: the GUI thread while the export lane writes."""
    load = f"load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    r = run([PY, WINDOW, "export", "70000", "256"], ctx.env, timeout=900).out
    st = r["stalls"]
    return [Row("(x) *File → Export…* of 70,000 samples × 256 units (projector bundle with "
                "sprite, tables): longest GUI event-loop stall", "—",
                f"p99 {st['p99_ms']:.0f} ms, max {st['max_ms']:.0f} ms (worst: "
                f"{', '.join(f'{g:.0f}' for g in st['worst_ms'])} ms)", None, "max ≤ 250 ms",
                st["max_ms"] <= 250,
                f"10 ms QTimer probe over the {r['lane_s']:.1f} s the export lane wrote "
                f"{r['mib']:.0f} MiB ({r['ended']}); the same writing on one thread took "
                f"{r['inline_s']:.1f} s, with up to {r['inline_longest_ms'] / 1000:.1f} s "
                f"between two progress reports (where the GUI thread, which wrote it before, "
                f"let its event loop run); {load}")]


FIGURES: list[Callable[[Ctx], list[Row]]] = [fig_first_map, fig_maps, fig_extract, fig_cosine,
                                             fig_window, fig_memory, fig_measures, fig_sessions,
                                             fig_extract_mobilenet, fig_scale, fig_input,
                                             fig_scale_tsne, fig_scale_select, fig_export]
LETTERS = {fig_first_map: "e", fig_maps: "a", fig_extract: "b", fig_cosine: "c",
           fig_window: "w", fig_memory: "d", fig_measures: "m", fig_sessions: "s",
           fig_extract_mobilenet: "r", fig_scale: "z", fig_input: "i",
           fig_scale_tsne: "t", fig_scale_select: "l", fig_export: "x"}


# --- report ----------------------------------------------------------------------------------
def machine() -> list[str]:
    import importlib.metadata as md

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    for pkg in ("numpy", "scipy", "scikit-learn", "umap-learn", "pynndescent", "numba",
                "openTSNE", "tensorflow", "keras"):
        try:
            versions.append(f"{pkg} {md.version(pkg)}")
        except md.PackageNotFoundError:
            versions.append(f"{pkg} —")
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    blas_env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
                if k in os.environ}
    return [f"- Machine: {cpu}, {os.cpu_count()} logical CPUs, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}",
            f"- Versions: {', '.join(versions)}",
            f"- Load average at the start: {load[0]:.2f}" if load[0] != "?" else "- Load: ?",
            f"- BLAS environment: {blas_env or 'none set'} (left as found)"]


def write_results(path: Path, rows: list[Row], ctx: Ctx, seconds: float) -> None:
    lines = ["# reprviz benchmark results", "",
             f"Written by `.venv/bin/python bench/run.py` on "
             f"{time.strftime('%Y-%m-%d %H:%M')} in {seconds:.0f} s. Every figure with a "
             "baseline is the ratio ours / baseline of wall-clock seconds, both measured in this "
             "run; CPU seconds are given where the machine was shared (load average below). The "
             "window's interactive figures (w: a repaint, a stall, a redraw) have no baseline in "
             "the issue: they are milliseconds in the real window (Qt offscreen), against its "
             "targets.", ""]
    lines += machine() + [""]
    lines += ["| figure | baseline | ours | ratio | target | met |", "|---|---|---|---|---|---|"]
    for r in rows:
        ratio = "—" if r.ratio is None else f"{r.ratio:.2f}×"
        met = {True: "yes", False: "**no**", None: "not measured"}[r.met]
        extra = f" ({r.details})" if r.details else ""
        lines.append(f"| {r.figure}{extra} | {r.baseline} | {r.ours} | {ratio} | {r.target} | "
                     f"{met} |")
    curves = getattr(ctx, "curves", [])
    if curves:
        lines += ["", "## Time and memory by size (synthetic 10-cluster data, 256 values wide)",
                  "", "Peak = numpy's allocations during the step (tracemalloc; it does not see "
                  "numba's or scikit-learn's C buffers, so the process's peak RSS, imports "
                  "included, is given too); imports and numba compiling paid before timing.",
                  "",
                  "| step | N | seconds | peak memory | result / note |", "|---|---|---|---|---|"]
        for kind, n, secs, peak, note in curves:
            s = "—" if secs is None else f"{secs:.2f}"
            p = "—" if peak is None else f"{peak / 2**20:,.0f} MiB"
            lines.append(f"| {kind} | {n:,} | {s} | {p} | {note.strip('; ')} |")
    if ctx.notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in ctx.notes]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--quick", action="store_true", help="curves up to 4,000 points only")
    parser.add_argument("--figures", default="eabcwdmsr", metavar="LETTERS",
                        help="which figures to run, e.g. d for the size curves alone, w for "
                             "the window's (default: %(default)s)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="reprviz-bench-"))
    ctx = Ctx(work, started, args.quick)
    rows: list[Row] = []
    try:
        for fig in FIGURES:
            if LETTERS[fig] not in args.figures:
                continue
            print(f"[{time.perf_counter() - started:5.0f} s] {fig.__doc__.splitlines()[0]}",
                  flush=True)
            try:
                rows += fig(ctx)
            except Exception as exc:  # one broken figure must not lose the others
                rows.append(Row(fig.__name__, "—", f"failed: {exc}"[:300], None, "—", False))
            write_results(args.out, rows, ctx, time.perf_counter() - started)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(args.out.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
