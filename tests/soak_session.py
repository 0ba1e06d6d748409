"""A day of teaching, scripted in the real window (run by tests/test_soak.py in a subprocess).

Two halves of the same mix: dataset switches, trainings (one cancelled, one on a model file
saved and loaded back), layer switches in bursts faster than results arrive, every map method,
and a bad file opened in between. Prints one JSON line: resident memory after each half, Qt
warnings about threads, what the views show at the end versus what was asked for last.
"""

from __future__ import annotations

import gc
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

from PySide6.QtCore import QCoreApplication, QtMsgType, qInstallMessageHandler  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

WARNINGS: list[str] = []


def _qt_messages(kind, context, text: str) -> None:
    if kind in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
        WARNINGS.append(text)


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def wait_until(pred, timeout: float = 120.0, what: str = "") -> None:
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > end:
            raise TimeoutError(f"timed out waiting for {what or pred}")
        QCoreApplication.processEvents()
        time.sleep(0.005)


class Day:
    def __init__(self, workdir: Path) -> None:
        from reprviz_gui.main_window import MainWindow
        from reprviz_gui.workspace.controller import Controller, Settings

        self.dir = workdir
        self.c = Controller(Settings(source="digits", preset="dense",
                                     model_params={"hidden": [32, 16]}, epochs=2, batch_size=64,
                                     n_samples=300, method="pca", seed=0))
        self.win = MainWindow(self.c, remember=False)
        self.win.resize(1400, 900)
        self.win.show()
        self.win.start()
        self.rng = random.Random(0)
        self.layer_switches = 0
        self.dataset_switches = 0
        self.trainings = 0
        self.methods_seen: set[str] = set()
        self.bad_files = 0

    # --- waits ----------------------------------------------------------------------------------
    def busy(self) -> bool:
        from reprviz_gui.workers.lane import JobKind

        return any(j.kind != JobKind.WARMUP for lane in self.c.lanes.values()
                   for j in lane.pending_jobs())

    def settled(self, timeout: float = 300.0) -> None:
        s = self.c.workspace.sessions["A"]
        wait_until(lambda: not self.busy() and not s.building and not s.training
                   and self.shown_layer() == self.wanted_layer(), timeout, "views to settle")

    def wanted_layer(self):
        s = self.c.workspace.sessions["A"]
        return s.layer if s.has_model else "input"

    def shown_layer(self):
        r = self.win.view("heatmap").result()
        return None if r is None or not self.c.workspace.is_current(r.tag) else r.layer_name

    # --- what a teacher does ---------------------------------------------------------------------
    def open_data(self, source: str) -> None:
        self.c.open_dataset(source)
        wait_until(lambda: self.c.dataset is not None and self.c.dataset.name == source, 120,
                   f"opening {source}")
        self.dataset_switches += 1
        self.settled()

    def train(self, epochs: int = 2, cancel_after: int | None = None) -> None:
        self.win.sidebar.set_training_settings({"epochs": epochs})
        self.win.controller_train()
        s = self.c.workspace.sessions["A"]
        if cancel_after is not None:
            wait_until(lambda: len(s.curves.history.get("loss", ())) >= cancel_after, 120,
                       "epochs before cancel")
            self.c.cancel()
        self.trainings += 1
        self.settled()

    def layer_bursts(self, n: int) -> None:
        names = [l.name for l in self.c.layers_of()]
        done = 0
        while done < n:
            for _ in range(min(25, n - done)):  # a burst faster than any result can arrive
                self.c.select_layer(self.rng.choice(names))
                QCoreApplication.processEvents()
                done += 1
            time.sleep(self.rng.choice((0.0, 0.05, 0.2)))
        self.layer_switches += n
        self.settled()

    def every_method(self) -> None:
        from reprviz_gui.core.analysis.projection import METHODS

        for method in METHODS:
            self.c.set_method(method)
            self.methods_seen.add(method)
            self.settled(600)
            r = self.win.view("map").result()
            assert r is not None and r.method == method and not r.preview, (method, r)
        self.c.set_method("pca")
        self.settled()

    def open_bad_file(self) -> None:
        bad = self.dir / f"broken{self.bad_files}.csv"
        bad.write_text("a,b,label\n1,2,0\n3,x,1\n")
        before = len(self.win.dialogs)
        self.c.open_dataset(str(bad))
        wait_until(lambda: len(self.win.dialogs) > before, 60, "the error dialog")
        self.win.dialogs[-1].close()
        self.bad_files += 1
        self.settled()

    def save_and_reopen_model(self) -> None:
        path = self.dir / f"model{self.trainings}.keras"
        self.c.save_model(path)
        wait_until(path.exists, 60, "the saved model")
        self.c.load_model(str(path))
        s = self.c.workspace.sessions["A"]
        wait_until(lambda: s.file == str(path) and not s.building, 60, "the model file")
        self.settled()

    def half(self, first: bool) -> None:
        self.train(2)
        self.layer_bursts(150)
        self.open_bad_file()
        if first:
            self.every_method()
            self.open_data("capitals")
            self.open_data("digits")
            self.open_data("fashion-mnist-sample")
        else:
            self.train(40, cancel_after=1)
            self.save_and_reopen_model()
            self.train(1)
            self.every_method()
            self.open_data("capitals")
            self.open_data("digits")
        self.layer_bursts(0)

    # --- what the views show at the end -----------------------------------------------------------
    def final_state(self) -> dict:
        ws = self.c.workspace
        m = self.win.view("map").result()
        return {
            "wanted_layer": self.wanted_layer(),
            "shown_layer": self.shown_layer(),
            "cosine_layer": getattr(self.win.view("cosine").result(), "layer_name", None),
            "map_layer": getattr(m, "layer_name", None),
            "map_method": getattr(m, "method", None),
            "map_current": bool(m is not None and ws.is_current(m.tag)),
            "method": ws.method,
            "dataset": ws.dataset.name if ws.dataset else None,
        }


def main() -> int:
    qInstallMessageHandler(_qt_messages)
    app = QApplication.instance() or QApplication([])
    report: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["REPRVIZ_CONFIG_DIR"] = tmp
        day = Day(Path(tmp))
        day.settled(300)
        started = time.monotonic()
        day.half(first=True)
        gc.collect()
        report["rss_first_half_mb"] = round(rss_mb(), 1)
        day.half(first=False)
        gc.collect()
        report["rss_second_half_mb"] = round(rss_mb(), 1)
        report.update(day.final_state())
        report.update(layer_switches=day.layer_switches, dataset_switches=day.dataset_switches,
                      trainings=day.trainings, methods=sorted(day.methods_seen),
                      bad_files=day.bad_files, seconds=round(time.monotonic() - started, 1),
                      store_mb=round(day.c.scheduler.store.nbytes / 2**20, 1),
                      thread_warnings=[w for w in WARNINGS if "thread" in w.lower()])
        day.win.close()
    app.processEvents()
    print("SOAK " + json.dumps(report), flush=True)
    sys.stdout.flush()
    os._exit(0)  # as the app itself leaves (see app.main)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
