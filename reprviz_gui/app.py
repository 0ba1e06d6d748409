"""Start the window. ``python main.py [--demo ... --screenshot FILE]``.

The window is shown before anything heavy is imported: TensorFlow and umap are imported by the
background lanes after it appears.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Optional, Sequence

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from . import __version__


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    from .core.analysis.projection import METHODS
    from .views.registry import VIEWS

    views = ", ".join(f"{v.id} ({v.description or v.title})" for v in VIEWS)
    parser = argparse.ArgumentParser(
        prog="reprviz", description="Open the reprviz window.",
        epilog=f"view ids for --view: {views}")
    parser.add_argument("session", nargs="?", default="", metavar="SESSION",
                        help="a session file (.reprviz) to open")
    parser.add_argument("--demo", action="store_true",
                        help="run a scripted session (train, pick the layer, fill every view), "
                             "save a screenshot and exit")
    parser.add_argument("--screenshot", metavar="FILE", default="reprviz-demo.png",
                        help="where --demo saves the window image (default: %(default)s)")
    parser.add_argument("--data", metavar="SOURCE", default=None,
                        help="the dataset the demo opens (default: fashion-mnist-sample)")
    parser.add_argument("--model", metavar="PRESET|PATH", default=None,
                        help="the demo's model: a preset, a .keras/.h5 file, or none")
    parser.add_argument("--epochs", type=int, default=3, help="epochs the demo trains")
    parser.add_argument("--layer", metavar="NAME", default=None,
                        help="the layer the demo shows (default: the last hidden layer)")
    parser.add_argument("--reduction", choices=("mean", "max", "flatten", "crop"), default=None,
                        help="demo: how the shown layer's feature maps become rows")
    parser.add_argument("--preprocess", metavar="unit|symmetric|FAMILY", default=None,
                        help="demo: how images become model input (a Keras Applications "
                             "family's preprocess_input, e.g. mobilenet_v2)")
    parser.add_argument("--compare", metavar="PRESET|PATH", default=None,
                        help="compare with a second model (a preset or a model file)")
    parser.add_argument("--view", metavar="ID", action="append", default=[],
                        help="bring this view forward (repeatable); see the ids below")
    parser.add_argument("--hide", metavar="ID", action="append", default=[],
                        help="hide this view (repeatable), to give the others room")
    parser.add_argument("--select-cell", metavar="TRUE:PREDICTED", default=None,
                        help="select a confusion cell of the first model, by class names or "
                             "indices, e.g. Shirt:Pullover")
    parser.add_argument("--colour-by", default=None,
                        choices=("true", "predicted", "none", "kept", "change"),
                        help="colour the maps by true/predicted class, neighbours kept or "
                             "(comparing) neighbourhood change")
    parser.add_argument("--select-word", metavar="WORD", default=None,
                        help="select a word of a word table (its neighbours show)")
    parser.add_argument("--method", choices=METHODS, default="umap",
                        help="the map method the demo shows")
    parser.add_argument("--samples", type=int, default=None, help="samples the demo shows")
    parser.add_argument("--lesson", metavar="NAME:STEP", default=None,
                        help="demo: open a built-in lesson (or a lesson file) at a step "
                             "(1-based) and check its question before the screenshot")
    parser.add_argument("--size", metavar="WxH", default="1600x1000",
                        help="the demo window's size (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds the demo may take before giving up")
    parser.add_argument("--version", action="version", version=f"reprviz {__version__}")
    args = parser.parse_args(list(argv))
    from .views.registry import view_ids

    bad = [v for v in args.view + args.hide if v not in view_ids()]
    if bad:
        parser.error(f"unknown view {', '.join(bad)}; choose from {', '.join(view_ids())}")
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # before any QApplication: a missing X11 library makes Qt abort (134) without naming it
    from . import display_check
    from .core.errors import ReprvizError

    problem = display_check.display_problem()
    if problem:
        raise ReprvizError(problem)
    if args.demo:
        # The demo is reproducible: default choices, nothing remembered, nothing overwritten.
        os.environ["REPRVIZ_CONFIG_DIR"] = tempfile.mkdtemp(prefix="reprviz-demo-")
    from .core.io.temp_folders import remove_stale

    remove_stale()  # what a killed reprviz extracted (opened sessions, a save cut short)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("reprviz")
    app.setOrganizationName("reprviz")

    from .main_window import MainWindow

    demo = None
    if args.demo:
        from .demo import DemoDriver, demo_controller

        window = MainWindow(demo_controller(args), remember=False)
        demo = DemoDriver(window, args)
    else:
        window = MainWindow()
    window.show()
    _close_on_terminal_signals(window)
    # heavy work begins once the window is on screen
    QTimer.singleShot(0, lambda: window.start(args.session if not args.demo else ""))
    if demo is not None:
        QTimer.singleShot(0, demo.begin)
    code = app.exec()
    if demo is not None:
        code = demo.exit_code
    # Leave at once. By now the settings are saved, every file the app wrote was written
    # atomically, and the map child is terminated. A lane may still be inside code nobody can
    # interrupt (TensorFlow's import, a numba compile): destroying its QThread would abort. And
    # a normal interpreter exit with TensorFlow loaded spends seconds in its C++ teardown while
    # the window is already gone (measured: 4-6 s).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


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


__all__ = ["main", "parse_args", "Path"]
