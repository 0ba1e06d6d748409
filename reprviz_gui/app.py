"""Start the window. ``python main.py [--demo [--screenshot FILE]]``.

The window is shown before anything heavy is imported: TensorFlow and umap are imported by the
background lanes after it appears.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional, Sequence

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QApplication

from . import __version__


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="reprviz", description="Open the reprviz window.")
    parser.add_argument("--demo", action="store_true",
                        help="train the default model on the bundled data, fill every panel, "
                             "save a screenshot and exit")
    parser.add_argument("--screenshot", metavar="FILE", default="reprviz-demo.png",
                        help="where --demo saves the window image (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs the demo trains")
    parser.add_argument("--method", choices=("pca", "mds", "tsne", "umap"), default="umap",
                        help="the map method the demo shows")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds the demo may take before giving up")
    parser.add_argument("--version", action="version", version=f"reprviz {__version__}")
    return parser.parse_args(list(argv))


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.demo:
        # The demo is reproducible: default choices, nothing remembered, nothing overwritten.
        os.environ["REPRVIZ_CONFIG_DIR"] = tempfile.mkdtemp(prefix="reprviz-demo-")
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("reprviz")
    app.setOrganizationName("reprviz")

    from .main_window import MainWindow

    window = MainWindow(remember=not args.demo)
    demo = None
    if args.demo:
        demo = DemoDriver(window, Path(args.screenshot), args.epochs, args.method, args.timeout)
    window.show()
    _close_on_terminal_signals(window)
    QTimer.singleShot(0, window.start)  # heavy work begins once the window is on screen
    if demo is not None:
        QTimer.singleShot(0, demo.begin)
    code = app.exec()
    if demo is not None:
        code = demo.exit_code
    stuck = any(lane.thread.isRunning() for lane in window.controller.lanes.values())
    if stuck:
        # A lane is inside code that cannot be interrupted (numba compiling UMAP, a TF op).
        # Destroying its QThread would abort; leave at once instead — settings are saved.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _close_on_terminal_signals(window) -> None:
    """Ctrl-C (or SIGTERM) closes the window the normal way: settings saved, work cancelled."""
    import signal

    def close(*_args) -> None:
        QTimer.singleShot(0, window.close)

    signal.signal(signal.SIGINT, close)
    signal.signal(signal.SIGTERM, close)
    # Python runs signal handlers only between bytecodes; a light timer lets it do so while Qt
    # waits in its C++ event loop.
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(250)


class DemoDriver(QObject):
    """Scripted default workflow: train, pick the hidden layer, wait for every panel, save."""

    def __init__(self, window, screenshot: Path, epochs: int, method: str, timeout: float) -> None:
        super().__init__(window)
        self.window = window
        self.c = window.controller
        self.screenshot = screenshot
        self.epochs = epochs
        self.method = method
        self.exit_code = 1
        self.trained = False
        self.got = {"layer": False, "map": False, "confusion": False, "curves": False}
        self.started = time.monotonic()
        self._timeout = QTimer(self)
        self._timeout.setSingleShot(True)
        self._timeout.timeout.connect(self.give_up)
        self._timeout.start(int(timeout * 1000))

    @Slot()
    def begin(self) -> None:
        c = self.c
        c.settings.epochs = self.epochs
        c.settings.method = self.method
        self.window.sidebar.set_training_settings({"epochs": self.epochs})
        self.window.sidebar.set_view_settings(c.settings.n_samples, c.settings.split, self.method)
        c.model_changed.connect(self.on_model)
        c.training_changed.connect(self.on_training)
        c.layer_result_ready.connect(self.on_layer)
        c.projection_ready.connect(self.on_projection)
        c.evaluation_ready.connect(self.on_evaluation)
        c.failed.connect(self.on_failed)
        self.log("window shown; opening the default dataset")

    @Slot(object)
    def on_model(self, ready) -> None:
        if ready is not None and not self.trained and not self.c.training:
            self.log(f"model {ready.label} ready; training {self.epochs} epochs")
            self.c.train()

    @Slot(bool)
    def on_training(self, running: bool) -> None:
        if not running and not self.trained:
            self.trained = True
            self.got["curves"] = True
            self.log("training finished")

    @Slot(object)
    def on_layer(self, result) -> None:
        if self.trained:
            self.got["layer"] = True
            self._maybe_done()

    @Slot(object)
    def on_projection(self, result) -> None:
        if self.trained and not result.preview and result.method == self.method:
            self.got["map"] = True
            self._maybe_done()

    @Slot(object)
    def on_evaluation(self, evaluation) -> None:
        if evaluation is not None:
            self.got["confusion"] = True
            self._maybe_done()

    @Slot(str, object)
    def on_failed(self, what: str, failure) -> None:
        self.log(f"failed while {what}: {failure.message}")
        self.exit_code = 1
        QApplication.instance().exit(1)

    def _maybe_done(self) -> None:
        if all(self.got.values()):
            self.log("every panel drawn; saving the screenshot")
            QTimer.singleShot(800, self.save)  # let the last paint events land

    @Slot()
    def save(self) -> None:
        from .main_window import save_window_image

        self.window.activity_bar.set_idle("Demo: every panel drawn")
        QApplication.processEvents()
        save_window_image(self.window, self.screenshot)
        self.log(f"saved {self.screenshot}")
        self.exit_code = 0
        self.window.close()
        QApplication.instance().exit(0)

    @Slot()
    def give_up(self) -> None:
        missing = [k for k, v in self.got.items() if not v]
        self.log(f"timed out waiting for: {', '.join(missing)}")
        self.exit_code = 1
        QApplication.instance().exit(1)

    def log(self, text: str) -> None:
        print(f"[demo {time.monotonic() - self.started:6.1f} s] {text}", file=sys.stderr,
              flush=True)
