"""Measure what a user feels: time to a visible window, time from picking a layer to its first
(PCA) map, time to the UMAP map, and the longest the GUI thread was blocked meanwhile.

Run it on a real display (or under Xvfb):
    xvfb-run -a -s "-screen 0 1280x1024x24" .venv/bin/python benchmarks/window_latency.py

Prints one JSON object. Not a test: timings depend on the machine; the GUI-thread stall is the
number that says "the window never freezes" (a 10 ms timer's longest gap between ticks).
"""

from __future__ import annotations

import time

T0 = time.monotonic()  # before any import: what the user waits for starts here

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

from PySide6.QtCore import QObject, QTimer, Slot  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402


class Probe(QObject):
    def __init__(self, window, epochs: int) -> None:
        super().__init__(window)
        self.w = window
        self.c = window.controller
        self.epochs = epochs
        self.results: dict[str, float] = {}
        self.max_gap = 0.0
        self.max_gap_phase = ""
        self.phase = "startup"
        self._last_tick = time.monotonic()
        self._tick = QTimer(self)
        self._tick.timeout.connect(self.tick)
        self._tick.start(10)
        self.c.model_changed.connect(self.on_model)
        self.c.training_changed.connect(self.on_training)
        self.c.projection_ready.connect(self.on_projection)
        self._pick_t = None
        self._trained = False

    @Slot()
    def tick(self) -> None:
        now = time.monotonic()
        gap = now - self._last_tick
        if gap > self.max_gap:
            self.max_gap, self.max_gap_phase = gap, self.phase
        self._last_tick = now

    @Slot(object)
    def on_model(self, ready) -> None:
        if ready is not None and "model_ready_s" not in self.results:
            self.results["model_ready_s"] = time.monotonic() - T0
            self.phase = "training"
            self.c.train()

    @Slot(bool)
    def on_training(self, running: bool) -> None:
        if not running and not self._trained:
            self._trained = True
            QTimer.singleShot(300, self.pick_layer)

    @Slot()
    def pick_layer(self) -> None:
        self.phase = "layer"
        names = [l.name for l in self.c.available_layers()]
        target = "hidden_1" if "hidden_1" in names else names[0]
        self._pick_t = time.monotonic()
        self.c.select_layer(target)

    @Slot(object)
    def on_projection(self, result) -> None:
        if self._pick_t is None:
            return
        dt = time.monotonic() - self._pick_t
        if result.method == "pca" and "first_map_after_pick_s" not in self.results:
            self.results["first_map_after_pick_s"] = dt
            self.phase = "umap"
        if result.method == "umap" and not result.preview:
            self.results["umap_map_after_pick_s"] = dt
            self.finish()

    def finish(self) -> None:
        self.results["gui_thread_longest_stall_s"] = self.max_gap
        self.results["gui_thread_longest_stall_during"] = self.max_gap_phase  # type: ignore
        print(json.dumps(self.results, indent=2))
        self.w.close()
        QApplication.instance().quit()


def main() -> int:
    os.environ["REPRVIZ_CONFIG_DIR"] = tempfile.mkdtemp(prefix="reprviz-bench-")
    app = QApplication(sys.argv[:1])
    from reprviz_gui.controller import Controller, Settings
    from reprviz_gui.main_window import MainWindow

    window = MainWindow(Controller(Settings(epochs=2, method="umap")), remember=False)
    probe = Probe(window, epochs=2)
    window.show()
    app.processEvents()  # the first paint
    probe.results["window_visible_s"] = time.monotonic() - T0
    QTimer.singleShot(0, window.start)
    QTimer.singleShot(300_000, app.quit)
    app.exec()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
