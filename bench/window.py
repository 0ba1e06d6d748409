"""The window's figures, measured in the real window (Qt offscreen), each task in a fresh process:
``python bench/window.py TASK ARGS...`` prints one JSON line on stdout (its last line).

- ``map70k [N]``: a 70,000-point map (synthetic clusters) in the map view: pan and zoom (the
  view box's range changes, then its one paint) and the lookup of the point under the mouse.
- ``select_map [N]``: box and lasso selections with real mouse drags on an N-point map (default
  1,000,000): release → selection applied and painted, and each move of the drag.
- ``session FOLDER``: one window on real images, in the order a user meets them:
  1. the default model, 8,000 samples, UMAP: the GUI event loop's stalls (a 10 ms QTimer probe)
     while it trains, reads the layers again, projects, and reads and projects another layer;
  2. switching back to a cached layer until every visible view is redrawn (both layers and
     their maps are in the store by then);
  3. the same window, warm, without a model (the pixels, as the course pipelines map them):
     9,000 images asked for → the final UMAP map drawn, then the same with t-SNE (the layer
     is read again each time: the store is emptied first).
- ``measures [N] [EPOCHS]``: the default model on the Fashion sample, trained; the stalls while
  the layer metrics and the CKA matrix compute in their views (the "measure" lane).
- ``export [N] [UNITS]``: *File → Export…* of N samples (default 70,000) × UNITS (256) with
  28 × 28 thumbnails (projector bundle with sprite, tables): the stalls while the export lane
  writes, and the same writing on the calling thread, as the GUI thread did before.

The window runs in its own event loop (``QEventLoop.exec``) while the bench waits. Nothing here
asserts a time; ``bench/run.py`` turns the numbers into rows of RESULTS.md.
``BENCH_STALL_LOG=FILE`` also writes the worst stalls with what ran then (``FILE``), the stacks
of every thread when even a thread that only needs the GIL waited over 100 ms
(``FILE.stacks``, by faulthandler) and the jobs and slow GUI calls with times
(``FILE.events``).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402

STALL_LOG = os.environ.get("BENCH_STALL_LOG", "")


def _emit(**values: Any) -> None:
    print(json.dumps(values), flush=True)


def _app():
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication([])


def _ms(seconds: list[float]) -> dict:
    a = np.asarray(seconds, dtype=float) * 1000.0
    return {"median_ms": float(np.median(a)), "p90_ms": float(np.percentile(a, 90)),
            "max_ms": float(a.max()), "n": int(len(a))}


def _wait(done: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Run the event loop (as the app does) until ``done()``; it is checked every 20 ms."""
    from PySide6.QtCore import QEventLoop, QTimer

    if done():
        return
    loop, check = QEventLoop(), QTimer()
    deadline = time.perf_counter() + timeout_s
    timed_out = []

    def poll() -> None:
        if done():
            loop.quit()
        elif time.perf_counter() > deadline:
            timed_out.append(True)
            loop.quit()

    check.timeout.connect(poll)
    check.start(20)
    loop.exec()
    check.stop()
    if timed_out:
        raise RuntimeError(f"timed out waiting for {what}")


# --- probes ---------------------------------------------------------------------------------
class StallProbe:
    """A 10 ms QTimer in the GUI thread: each gap between two ticks is how long the event loop
    could not run (due every 10 ms, so a gap of 10 ms is no stall)."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.ticks: list[float] = []
        self.beats: list[float] = []
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(lambda: self.ticks.append(time.perf_counter()))

    def start(self) -> None:
        self.ticks = [time.perf_counter()]
        self.timer.start()
        if STALL_LOG:
            self._start_heartbeat()

    def _start_heartbeat(self) -> None:
        """A thread that only needs the GIL: when it waits too, some thread held the GIL."""
        import faulthandler
        import threading

        dump = open(STALL_LOG + ".stacks", "w", encoding="utf-8")  # noqa: SIM115 - kept open

        def beat() -> None:
            while self.timer.isActive():
                faulthandler.dump_traceback_later(0.1, repeat=True, file=dump)
                self.beats.append(time.perf_counter())
                time.sleep(0.001)
                faulthandler.cancel_dump_traceback_later()

        threading.Thread(target=beat, daemon=True).start()

    def stop(self) -> dict:
        self.timer.stop()
        t = np.asarray(self.ticks)
        gaps = np.diff(t) * 1000.0
        if STALL_LOG:
            b = np.asarray(self.beats or [0.0])
            with open(STALL_LOG, "w", encoding="utf-8") as fh:
                for i in np.argsort(gaps)[-10:][::-1]:
                    inside = b[(b >= t[i]) & (b <= t[i + 1])]
                    held = np.diff(np.concatenate([[t[i]], inside, [t[i + 1]]])).max() * 1000
                    fh.write(f"gap {gaps[i]:.0f} ms from {t[i]:.3f} to {t[i + 1]:.3f}; a "
                             f"GIL-only thread waited up to {held:.0f} ms in it\n")
        return {"p99_ms": float(np.percentile(gaps, 99)), "max_ms": float(gaps.max()),
                "median_ms": float(np.median(gaps)), "ticks": int(len(gaps)),
                "worst_ms": [round(float(g), 1) for g in np.sort(gaps)[-6:][::-1]]}


class EventLog:
    """With ``BENCH_STALL_LOG``: jobs starting and ending and GUI calls over 20 ms, timed."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        if not STALL_LOG:
            return
        import pyqtgraph as pg

        from reprviz_gui.main_window import MainWindow
        from reprviz_gui.views.base import Panel
        from reprviz_gui.workspace.job_routing import JobRouter

        for cls, name in ((pg.GraphicsView, "paintEvent"), (Panel, "show_result"),
                          (MainWindow, "on_product_ready"), (MainWindow, "on_layer_chosen"),
                          (JobRouter, "finished")):
            self._time_calls(cls, name)

    def _time_calls(self, cls: type, name: str) -> None:
        original = getattr(cls, name)

        def timed(obj: Any, *args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return original(obj, *args, **kwargs)
            finally:
                if time.perf_counter() - t > 0.02:
                    self.lines.append(f"{t:.3f} {1000 * (time.perf_counter() - t):.0f} ms in "
                                      f"{type(obj).__name__}.{name}")
        setattr(cls, name, timed)

    def watch(self, controller: Any) -> None:
        if not STALL_LOG:
            return
        import gc
        import threading

        started: dict[int, float] = {}

        def collected(phase: str, info: dict) -> None:  # Python's garbage collections
            if phase == "start":
                started[info["generation"]] = time.perf_counter()
            elif info["generation"] == 2:
                t = started.get(2, time.perf_counter())
                self.lines.append(f"{t:.3f} {1000 * (time.perf_counter() - t):.0f} ms in a full "
                                  f"garbage collection ({threading.current_thread().name})")
        gc.callbacks.append(collected)
        for lane in controller.lanes.values():
            lane.job_started.connect(lambda job, n=lane.name: self._job(n, "starts", job))
            lane.job_finished.connect(lambda job, r, n=lane.name: self._job(n, "ends", job))

    def _job(self, lane: str, what: str, job: Any) -> None:
        self.lines.append(f"{time.perf_counter():.3f} {lane} lane {what} {job.description}")

    def save(self) -> None:
        if STALL_LOG:
            Path(STALL_LOG + ".events").write_text("\n".join(self.lines) + "\n", "utf-8")


class PaintCounter:
    """Counts the paint events a widget gets (an event filter that changes nothing)."""

    def __init__(self, widget: Any) -> None:
        from PySide6.QtCore import QEvent, QObject

        counter = self

        class Filter(QObject):
            def eventFilter(self, obj: Any, ev: Any) -> bool:  # noqa: N802 - Qt API
                if ev.type() == QEvent.Type.Paint:
                    counter.count += 1
                return False

        self.count = 0
        self._filter = Filter()
        widget.installEventFilter(self._filter)


# --- a 70,000-point map ---------------------------------------------------------------------
def clusters(n: int, seed: int = 0):
    """A UMAP-like map of ``n`` points: 10 Gaussian clusters, labels, predictions (a fifth
    wrong) and 28 × 28 thumbnails for the hover."""
    from reprviz_gui.core.data.samples import SampleSet
    from reprviz_gui.workspace.results import ProjectionResult
    from reprviz_gui.workspace.state import ResultTag

    rng = np.random.default_rng(seed)
    labels = np.sort(rng.integers(0, 10, n))
    centres = rng.uniform(-30, 30, (10, 2))
    coords = (centres[labels] + rng.normal(0, 3.0, (n, 2))).astype(np.float32)
    preds = np.where(rng.random(n) < 0.2, rng.integers(0, 10, n), labels)
    s = SampleSet(indices=np.arange(n), labels=labels,
                  class_names=tuple(f"class {k}" for k in range(10)),
                  thumbnails=rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
    return ProjectionResult(ResultTag(1, "bench"), "layer", "umap", coords, s, predictions=preds)


def map70k(n: str = "70000", repeats: str = "15") -> None:
    from PySide6.QtCore import QPointF

    import scipy.spatial  # noqa: F401 - as in the window (the PCA preview's scikit-learn has it)

    from reprviz_gui.views.map_view import MapPanel

    app = _app()
    panel = MapPanel()
    panel.resize(900, 700)
    panel.show()
    app.processEvents()
    result = clusters(int(n))
    t0 = time.perf_counter()
    panel.show_result(result)
    app.processEvents()
    first = time.perf_counter() - t0
    vb, vp = panel.viewbox, panel.view.viewport()
    paints = PaintCounter(vp)

    def repaint_after(change: Callable[[], None]) -> float:
        """From a range change (what a drag or wheel step does) to its one paint."""
        app.processEvents()
        before = paints.count
        t = time.perf_counter()
        change()
        app.processEvents()  # the posted update: the paint
        took = time.perf_counter() - t
        assert paints.count == before + 1, "not exactly one paint"
        return took

    k = int(repeats)
    pans = [repaint_after(lambda i=i: vb.translateBy(x=(-1) ** i * 2.0, y=1.0))
            for i in range(k)]
    # a wheel zooming in step by step, then out past the start: every step a new scale
    zooms = [repaint_after(lambda: vb.scaleBy((0.85, 0.85))) for _ in range(k // 2)]
    zooms += [repaint_after(lambda: vb.scaleBy((1.2, 1.2))) for _ in range(k - k // 2)]
    # a large cloud's zoom step shows the last image rescaled; the sharp image follows when the
    # zoom pauses (point_cloud.DEFER_FROM): its rasterise, timed on its own
    sharp = []
    for _ in range(5 if int(n) >= 200_000 else 0):
        vb.scaleBy((0.9, 0.9))
        app.processEvents()
        t = time.perf_counter()
        panel.scatter._sharpen_now()
        app.processEvents()
        sharp.append(time.perf_counter() - t)
    panel.reset_view()
    app.processEvents()
    # the hover: positions on points (hits) and anywhere (mostly misses)
    rng = np.random.default_rng(1)
    spots = [panel.scene_pos_of(int(r)) for r in rng.integers(0, int(n), 200)]
    spots += [QPointF(float(x), float(y)) for x, y in
              rng.uniform(0, 1, (100, 2)) * [vp.width(), vp.height()]]
    t = time.perf_counter()
    panel.point_at(spots[0])  # the index is built on the first hover
    first_lookup = time.perf_counter() - t
    lookups, hits = [], 0
    for p in spots:
        t = time.perf_counter()
        row = panel.point_at(p)
        lookups.append(time.perf_counter() - t)
        hits += row is not None
    hovers = []
    for p in spots[:60]:  # the whole hover: lookup, thumbnail, text, tooltip shown and painted
        t = time.perf_counter()
        panel._hover_scene_pos(p)
        app.processEvents()
        hovers.append(time.perf_counter() - t)
    panel.close()
    _emit(n=int(n), first_draw_ms=first * 1000, pan=_ms(pans), zoom=_ms(zooms),
          lookup=_ms(lookups), first_lookup_ms=first_lookup * 1000, hover=_ms(hovers),
          hits=hits, viewport=[vp.width(), vp.height()], sharp=_ms(sharp) if sharp else None)



def select_map(n: str = "1000000", repeats: str = "3") -> None:
    """Box and lasso selections on an ``n``-point map, with real mouse events on the map view
    in its box and lasso modes, the selection handed back as the window does (the shared
    selection, union when shift is held, to the map and the selection bar). Timed from the
    button's release to the selection applied (the rows found, the map's highlight set, the bar
    updated) and to the map's next paint; and each mouse move of the drag with its paint."""
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtTest import QTest

    import reprviz_gui.views.map_view as map_view
    from reprviz_gui.views.map_view import MapPanel
    from reprviz_gui.widgets.selection_bar import SelectionBar
    from reprviz_gui.workspace.state import Selection

    app = _app()
    panel = MapPanel()
    panel.resize(900, 700)
    panel.show()
    bar = SelectionBar()
    bar.show()
    result = clusters(int(n))
    panel.show_result(result)
    app.processEvents()
    QTest.qWait(500)  # the first draw settles (a large cloud's sharp image follows the first)
    vb, vp = panel.viewbox, panel.view.viewport()
    paints = PaintCounter(vp)
    labels = result.samples.labels

    class Data:  # what the bar reads of the data set: the split's labels and the class names
        class_names = result.samples.class_names

        @staticmethod
        def split(_name: str):
            return None, labels

    found: list[float] = []
    real_points_in = map_view.points_in

    def timed_points_in(polygon, coords):
        t = time.perf_counter()
        rows = real_points_in(polygon, coords)
        found.append(time.perf_counter() - t)
        return rows

    map_view.points_in = timed_points_in
    state = {"sel": Selection(), "applied": 0.0}

    def on_request(sel: Selection, additive: bool) -> None:  # controller.select, then the views
        new = state["sel"].union(sel) if additive else sel
        state["sel"] = new
        panel.set_selection(new)
        bar.set_selection(new, Data)
        state["applied"] = time.perf_counter()

    panel.selection_requested.connect(on_request)

    def px(x: float, y: float) -> QPoint:
        return panel.view.mapFromScene(vb.mapViewToScene(QPointF(x, y)))

    moves: list[float] = []
    first_moves: list[float] = []  # the move that starts a drag (pyqtgraph's drag begins)

    def drag(points: list[QPoint], modifier=Qt.KeyboardModifier.NoModifier) -> dict:
        QTest.mousePress(vp, Qt.MouseButton.LeftButton, modifier, points[0])
        for i, p in enumerate(points[1:]):
            QTest.qWait(12)  # pyqtgraph drops moves closer than 10 ms apart
            t = time.perf_counter()
            QTest.mouseMove(vp, p)
            app.processEvents()  # the outline drawn
            (first_moves if i == 0 else moves).append(time.perf_counter() - t)
        QTest.qWait(12)
        app.processEvents()
        before, state["applied"], found_before = paints.count, 0.0, len(found)
        t = time.perf_counter()
        QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, modifier, points[-1])
        while paints.count == before and time.perf_counter() - t < 10:
            app.processEvents()
        painted = time.perf_counter()
        assert state["applied"] and len(found) == found_before + 1, "no selection applied"
        return {"applied": state["applied"] - t, "painted": painted - t,
                "points_in": found[-1], "n": state["sel"].n, "bar": bar.text()}

    rng = np.random.default_rng(2)
    c = result.coords
    k = int(repeats)
    out: dict = {}
    # a box around one cluster (about a tenth of the points), then half the map
    cx, cy = np.median(c[labels == 3], axis=0)
    panel.set_tool("box")
    boxes = [drag([px(cx - 6, cy + 6), px(cx, cy), px(cx + 6, cy - 6)]) for _ in range(k)]
    lo, hi = c.min(axis=0), c.max(axis=0)
    mid = (lo[0] + hi[0]) / 2
    halves = [drag([px(lo[0] - 1, hi[1] + 1), px(mid, 0), px(mid, lo[1] - 1)])
              for _ in range(k)]
    # a lasso: a 60-vertex wobbly loop around the middle of the map, then shift adds a second
    panel.set_tool("lasso")
    ang = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    loop = [(r * np.cos(a), r * np.sin(a))
            for a, r in zip(ang, 18 + 5 * np.sin(5 * ang) + rng.uniform(-1, 1, 60))]
    lassos = [drag([px(x, y) for x, y in loop]) for _ in range(k)]
    added = drag([px(x + 20, y + 20) for x, y in loop], Qt.KeyboardModifier.ShiftModifier)
    for name, runs in (("box", boxes), ("half", halves), ("lasso", lassos)):
        out[name] = {"applied": _ms([r["applied"] for r in runs]),
                     "painted": _ms([r["painted"] for r in runs]),
                     "points_in": _ms([r["points_in"] for r in runs]), "n": runs[-1]["n"]}
    out["lasso_added"] = {key: (v * 1000 if key in ("applied", "painted", "points_in") else v)
                          for key, v in added.items()}
    panel.close()
    _emit(points=int(n), moves=_ms(moves), first_moves=[round(m * 1000, 1) for m in first_moves],
          viewport=[vp.width(), vp.height()], **out)

# --- one window session ---------------------------------------------------------------------
def _busy(win: Any) -> bool:
    return any(lane.pending_jobs() for lane in win.controller.lanes.values())


def _map_done(win: Any, method: str, layer: str | None = None, n: int | None = None) -> bool:
    """The map view shows the final ``method`` map (of ``layer``, of ``n`` samples)."""
    m = win.view("map").result()
    return (m is not None and m.method == method and not m.preview
            and win.controller.workspace.is_current(m.tag)
            and (layer is None or m.layer_name == layer) and (n is None or m.samples.n == n))


def _shows(win: Any, layer: str, method: str) -> bool:
    heat = win.view("heatmap").result()
    return heat is not None and heat.layer_name == layer and _map_done(win, method, layer)


def session(folder: str, n: str = "8000", n_maps: str = "9000", epochs: str = "3",
            switches: str = "6") -> None:
    from reprviz_gui.main_window import MainWindow
    from reprviz_gui.workspace.controller import Controller, Settings

    app = _app()
    events = EventLog()
    win = MainWindow(Controller(Settings(
        source=folder, preset="dense", epochs=int(epochs), batch_size=64, n_samples=int(n),
        split="test", method="umap", seed=0)), remember=False)
    win.show()
    win.start()
    c = win.controller
    _wait(lambda: bool(c.session().layer) and _shows(win, c.session().layer, "umap")
          and not _busy(win), 400, "the first map")
    first = c.session().layer

    # 1. stalls while training, reading layers and projecting
    events.watch(c)
    probe = StallProbe()
    probe.start()
    t0 = time.perf_counter()
    win.controller_train()
    _wait(lambda: not c.training_sessions() and not _busy(win) and _shows(win, first, "umap"),
          400, "training and its map")
    trained = time.perf_counter() - t0
    other = next(l.name for l in c.layers_of() if l.name != first and ":raw" not in l.name)
    win.on_layer_chosen(other)
    _wait(lambda: _shows(win, other, "umap") and not _busy(win), 400, "another layer")
    stalls = probe.stop()
    events.save()
    stalls.update(seconds=time.perf_counter() - t0, train_seconds=trained)

    # 2. switching back to a cached layer: every view redrawn
    times = []
    for i in range(int(switches)):
        target = first if i % 2 == 0 else other
        _wait(lambda: True, 1, "")
        t = time.perf_counter()
        win.on_layer_chosen(target)
        app.processEvents()
        win.repaint()  # every view painted
        times.append(time.perf_counter() - t)
        if not (_shows(win, target, "umap") and not _busy(win)):
            raise RuntimeError("switching back computed something")
    samples = int(win.view("heatmap").result().activations.shape[0])

    # 3. the warm window's maps of the pixels (no model), the layer read again each time
    c.set_model_preset("none")
    c.set_samples(1000, "test")
    maps = {}
    for method in ("umap", "tsne"):
        if c.workspace.method != method:
            c.set_method(method)  # chosen earlier: warmed up then
        _wait(lambda: _map_done(win, method, n=1000) and not _busy(win), 400, f"{method} 1,000")
        c.scheduler.store.clear()
        events.lines.append(f"{time.perf_counter():.3f} {n_maps} images asked for, {method}")
        t = time.perf_counter()
        c.set_samples(int(n_maps), "test")
        _wait(lambda: _map_done(win, method, n=int(n_maps)), 600, f"{method} of {n_maps}")
        app.processEvents()
        win.repaint()
        seconds = time.perf_counter() - t
        m = win.view("map").result()
        maps[method] = {"seconds": seconds, "n": int(m.samples.n),
                        "coords": np.asarray(m.coords).tolist(),
                        "labels": np.asarray(m.samples.labels).tolist()}
        c.set_samples(1000, "test")
    win.close()
    events.save()
    _emit(stalls=stalls, switch=_ms(times), layers=[first, other], samples=samples, maps=maps)


def drawing(method: str = "tsne", seconds: str = "20", epochs: str = "3") -> None:
    """*Your input*: a pen drawing on the canvas, 60 mouse moves a second (a new stroke every
    40 moves), each stroke put through the model and placed on the ``method`` map on the model
    lane while the 10 ms probe watches the GUI thread."""
    from PySide6.QtCore import QPoint, Qt, QTimer
    from PySide6.QtTest import QTest

    from reprviz_gui.main_window import MainWindow
    from reprviz_gui.workspace.controller import Controller, Settings

    app = _app()
    win = MainWindow(Controller(Settings(
        source="fashion-mnist-sample", preset="dense", epochs=int(epochs), batch_size=64,
        n_samples=1000, split="test", method=method, seed=0)), remember=False)
    win.show()
    win.start()
    c = win.controller
    _wait(lambda: c.session().has_model and not c.session().building, 300, "the model")
    win.controller_train()
    _wait(lambda: not c.training_sessions() and bool(c.session().trained_epochs), 300, "training")
    dock = win.docks["own_input"]
    dock.show()
    dock.raise_()
    view = win.view("own_input")
    _wait(lambda: _map_done(win, method) and not _busy(win), 400, "the map")
    canvas = view.canvas
    size = canvas.image_size()
    rect = canvas._target()
    rng = np.random.default_rng(0)
    state = {"i": 0, "answered": 0, "sent": 0}
    left, right = view.show_product, view.own_input_changed

    def counted(kind: str, sid: str, result: Any) -> None:
        state["answered"] += 1
        left(kind, sid, result)

    view.show_product = counted  # type: ignore[method-assign]
    right.connect(lambda _own: state.__setitem__("sent", state["sent"] + 1))

    def at(ix: float, iy: float) -> QPoint:
        return QPoint(int(rect.x() + (ix + 0.5) * rect.width() / size.width()),
                      int(rect.y() + (iy + 0.5) * rect.height() / size.height()))

    pos = [14.0, 14.0]

    def move() -> None:
        i = state["i"]
        state["i"] += 1
        if i % 40 == 0:
            if i:
                QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=at(*pos))
            pos[:] = list(rng.uniform(4, 24, 2))
            QTest.mousePress(canvas, Qt.MouseButton.LeftButton, pos=at(*pos))
            return
        pos[0] = float(np.clip(pos[0] + rng.normal(0, 0.8), 1, 27))
        pos[1] = float(np.clip(pos[1] + rng.normal(0, 0.8), 1, 27))
        QTest.mouseMove(canvas, at(*pos))

    pen = QTimer()
    pen.setInterval(16)
    pen.timeout.connect(move)
    probe = StallProbe()
    probe.start()
    t0 = time.perf_counter()
    pen.start()
    _wait(lambda: time.perf_counter() - t0 > float(seconds), float(seconds) + 60, "drawing")
    pen.stop()
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=at(*pos))
    stalls = probe.stop()
    drew = time.perf_counter() - t0
    try:
        _wait(lambda: not view._in_flight and view._pending is None, 120, "the last stroke")
    except RuntimeError:
        print("in flight", view._in_flight, "pending", view._pending, "jobs",
              [(n, [j.description for j in lane.pending_jobs()]) for n, lane in c.lanes.items()],
              "state", state, file=sys.stderr)
        raise
    shown = view.displayed()
    win.close()
    _emit(stalls=stalls, seconds=drew, moves=state["i"], sent=state["sent"],
          answered=state["answered"], method=method, placement=shown.get("placement"),
          top=shown.get("top"))


# --- the measures in the window ------------------------------------------------------------
def measures(n: str = "4443", epochs: str = "2") -> None:
    """The default model on the bundled Fashion sample (``n`` samples, PCA map): the GUI event
    loop's stalls while *Layers along depth* (every layer read, then kNN, probe, TwoNN, dead
    units) and *Layer similarity (CKA)* (the matrix and each layer's PCA map) compute, shown
    together; the stall probe runs from the moment both views are opened until both are drawn."""
    from reprviz_gui.main_window import MainWindow
    from reprviz_gui.workspace.controller import Controller, Settings

    _app()
    win = MainWindow(Controller(Settings(
        source="fashion-mnist-sample", preset="dense", epochs=int(epochs), batch_size=64,
        n_samples=int(n), split="test", method="pca", seed=0)), remember=False)
    win.show()
    win.start()
    c = win.controller
    _wait(lambda: bool(c.session().layer) and _shows(win, c.session().layer, "pca")
          and not _busy(win), 400, "the first map")
    win.controller_train()
    _wait(lambda: not c.training_sessions() and not _busy(win), 400, "training")
    probe = StallProbe()
    probe.start()
    t0 = time.perf_counter()
    for view_id in ("depth", "cka"):
        win.docks[view_id].show()
        win.docks[view_id].raise_()
    depth, cka = win.view("depth"), win.view("cka")
    _wait(lambda: not depth.is_empty() and not cka.is_empty() and not _busy(win), 600,
          "the layer metrics and the CKA matrix")
    seconds = time.perf_counter() - t0
    stalls = probe.stop()
    rows = depth.displayed()
    win.close()
    _emit(stalls=stalls, seconds=seconds, layers=len(rows), samples=c.samples.n,
          cka_layers=len(cka.displayed()["rows"]))


def export(n: str = "70000", units: str = "256") -> None:
    """The window on small data, then an export of a synthetic ``n`` × ``units`` layer (the
    writing does not depend on where the numbers came from) through ``ExportRun``."""
    from types import SimpleNamespace

    from reprviz_gui import window_export
    from reprviz_gui.main_window import MainWindow
    from reprviz_gui.workspace.controller import Controller, Settings
    from reprviz_gui.workspace.export_job import ExportPlan, SessionExport, write_export

    app = _app()
    win = MainWindow(Controller(Settings(source="digits", preset="dense",
                                         model_params={"hidden": [32, 16]}, n_samples=200,
                                         method="pca", seed=0)), remember=False)
    win.show()
    win.start()
    _wait(lambda: win.controller.result("layer", "A") is not None and not _busy(win), 300,
          "the first layer")
    rows, d = int(n), int(units)
    rng = np.random.default_rng(0)
    samples = SimpleNamespace(
        n=rows, indices=np.arange(rows), split="test", labels=rng.integers(0, 10, rows),
        class_names=tuple(f"class {k}" for k in range(10)), words=None, texts=None,
        thumbnails=rng.integers(0, 255, (rows, 28, 28), dtype=np.uint8),
        rows_of=lambda split, idx: np.zeros(0, dtype=np.int64))
    layer = SimpleNamespace(layer_name="dense", samples=samples,
                            activations=rng.normal(size=(rows, d)).astype(np.float32),
                            predictions=rng.integers(0, 10, rows))
    folder = Path(tempfile.mkdtemp(prefix="reprviz-export-bench-"))
    plan = ExportPlan(folder / "out", (SessionExport("A", layer, None, None),), html=False)
    ended: list[str] = []
    probe = StallProbe()
    probe.start()
    t0 = time.perf_counter()
    run = window_export.ExportRun(win, plan)
    run.finished.connect(lambda *_: ended.append("finished"))
    run.failed.connect(ended.append)
    run.cancelled.connect(lambda: ended.append("cancelled"))
    _wait(lambda: bool(ended), 900, "the export")
    lane_s = time.perf_counter() - t0
    stalls = probe.stop()
    calls = [time.perf_counter()]

    def mark(*_: Any) -> bool:  # where the old dialog let the event loop run
        calls.append(time.perf_counter())
        return False

    t0 = time.perf_counter()
    write_export(ExportPlan(folder / "again", plan.sessions, html=False), mark, mark)
    calls.append(time.perf_counter())
    inline_s = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in (folder / "out").rglob("*") if p.is_file())
    shutil.rmtree(folder, ignore_errors=True)
    win.close()
    app.processEvents()
    _emit(ended=ended[0], lane_s=lane_s, stalls=stalls, inline_s=inline_s,
          inline_longest_ms=float(np.diff(calls).max() * 1000), mib=size / 2**20,
          samples=rows, units=d)


if __name__ == "__main__":
    task, *args = sys.argv[1:]
    globals()[task](*args)
