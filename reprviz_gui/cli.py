"""Command line: ``reprviz analyze ...`` runs headless; anything else opens the window.

Exit status: 0 done; 1 a bug (traceback printed); 2 a user error (one line on stderr:
``reprviz: error: <message>``, also for bad options); 130 interrupted with Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import traceback
import warnings
from pathlib import Path
from typing import Callable, Iterator, Optional, Sequence

# Before anything can import TensorFlow: keep its C++ log lines off stderr.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from .cli_args import (  # noqa: F401 (the parser, its types and limits live there)
    MAX_SEED, MAX_SHAPE_SIDE, PROG, PROJECTIONS, UsageError, _Parser, _samples, _sweep_grid,
    build_analyze_parser)

COMMANDS = ("analyze", "export")
EXIT_OK, EXIT_BUG, EXIT_USER, EXIT_INTERRUPTED = 0, 1, 2, 130

TOP_HELP = f"""usage: {PROG} [--version] [GUI options]
       {PROG} analyze --data SOURCE --model PRESET|PATH|none --out DIR [options]
       {PROG} export SESSION --projector DIR | --csv DIR | --figures DIR | --html FILE
       {PROG} SESSION   (opens a session file in the window)
       {PROG} lesson list | {PROG} lesson check FILE

See what a neural network has learned.

Without a command, {PROG} opens its window (GUI options such as --demo or --screenshot FILE
are passed on to it). The command

  analyze    trains or loads a model headless and writes report.json, activations.npz and
             PNG figures (heatmap, cosine, map, confusion) to a folder;
             `{PROG} analyze --help` lists its options; --session FILE also writes a
             session file the window opens as it is.

  export     writes a session's exports without a display: the TensorBoard projector
             bundle, the tables, every view as PNG/SVG/PDF, the HTML report
             (`{PROG} export --help`).

  lesson     `lesson list`: the built-in lessons (name, a tab, the file); `lesson check
             FILE`: validates a lesson file (exit 0, or 2 with the one message).

  --version  print the version and exit
"""


def options_from_args(args: argparse.Namespace):
    """AnalyzeOptions from parsed arguments."""
    from .core.data.types import LoadOptions
    from .core.io.report import AnalyzeOptions

    load = LoadOptions(label_column=args.label_column, image_shape=args.image_shape,
                       pixel_order=args.pixel_order, label_map=args.label_map,
                       labels_file=args.labels_file,
                       has_header=args.has_header, image_size=tuple(args.image_size),
                       maxlen=args.maxlen, allow_pickle=args.trust_pickle,
                       per_sample_minmax=args.minmax, test_fraction=args.test_fraction,
                       seed=args.seed)
    return AnalyzeOptions(data=args.data, out=args.out, model=args.model, epochs=args.epochs,
                          layer=args.layer, samples=args.samples, projection=args.projection,
                          pca_components=args.pca_components,
                          seed=args.seed, save_model=args.save_model,
                          trust_model=args.trust_model, fit_input=args.fit_input,
                          confusion_split=args.confusion_split,
                          batch_size=args.batch_size,
                          validation_split=args.validation_split, load=load,
                          figures=args.figures, history=args.history,
                          model_settings=_model_settings(args),
                          compare=args.compare, measures=args.measures,
                          projector=args.projector, export_csv=args.export_csv,
                          film=args.film, reduction=args.reduction,
                          preprocess=args.preprocess,
                          inputs=tuple(args.inputs), queries=tuple(args.queries),
                          reviews=tuple(args.reviews))


def _model_settings(args: argparse.Namespace) -> dict:
    """The model and optimizer fields given on the command line."""
    from .core.model.preset_table import MODEL_FIELDS, OPTIMIZER_FIELDS

    return {k: getattr(args, f"set_{k}") for k in MODEL_FIELDS + OPTIMIZER_FIELDS
            if getattr(args, f"set_{k}", None) is not None}


class _EpochPrinter:
    """on_progress for the CLI: one line per finished epoch (and a few stage lines) on stderr."""

    def __init__(self, stream) -> None:
        self.stream = stream

    def __call__(self, p) -> None:
        if p.stage == "train" and p.details.get("kind") == "epoch":
            d = p.details
            parts = [f"epoch {d.get('epoch')}/{d.get('epochs')}"]
            for key, label in (("loss", "loss"), ("accuracy", "accuracy"),
                               ("val_loss", "val_loss"), ("val_accuracy", "val_accuracy")):
                value = d.get(key)
                if value is not None:
                    parts.append(f"{label} {value:.4f}")
            if p.eta_seconds is not None and p.eta_seconds == p.eta_seconds \
                    and d.get("epoch") != d.get("epochs"):  # NaN: still estimating
                parts.append(f"~{p.eta_seconds:.0f} s left")
            print("  ".join(parts), file=self.stream, flush=True)


def _quiet_libraries() -> None:
    """Route library chatter away from the user's stderr (unless --verbose)."""
    import logging

    for name in ("tensorflow", "absl", "h5py", "numba", "matplotlib"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.simplefilter("ignore")


def run_analyze(argv: Sequence[str]) -> int:
    args = build_analyze_parser().parse_args(list(argv))
    if not args.verbose:
        _quiet_libraries()
    from .core.io.report import analyze, summary_lines

    opts = options_from_args(args)
    on_progress = None if args.quiet else _EpochPrinter(sys.stderr)
    if args.sweep:
        if args.session is not None:
            raise UsageError("--session writes one run's session; it does not go with --sweep")
        return _run_sweep(opts, _sweep_grid(args.sweep), on_progress, args.quiet)
    keep: Optional[dict] = {} if args.session is not None else None
    with _stop_on_ctrl_c("stopping") as stopped:
        result = analyze(opts, on_progress=on_progress, should_stop=stopped, keep=keep)
    if args.session is not None:
        from .workspace.session_headless import write_analyze_session

        written = write_analyze_session(args.session, opts, keep)
        if not args.quiet:
            print(f"wrote the session {written}")
    if not args.quiet:
        from .core.errors import printable

        for line in summary_lines(result):
            print(printable(line))  # class names and words come from the user's files
        print(f"wrote {', '.join(result['files'])} to {opts.out}")
    return EXIT_OK


@contextlib.contextmanager
def _stop_on_ctrl_c(saying: str) -> Iterator[Callable[[], bool]]:
    """The first Ctrl-C asks the work to stop at its next check (it raises Cancelled: exit
    130); a second one quits at once. Not Python's KeyboardInterrupt for the first: raised at
    whatever bytecode runs next, it was lost when that was a finaliser (TensorFlow's, during
    garbage collection), and training went on (seen once under load)."""
    import signal
    import threading

    stop = threading.Event()

    def on_sigint(signum, frame) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        print(f"{saying} (Ctrl-C again to quit at once)…", file=sys.stderr, flush=True)

    try:
        previous = signal.signal(signal.SIGINT, on_sigint)
    except ValueError:  # not the main thread (a test calling main()): Python's default
        yield stop.is_set
        return
    try:
        yield stop.is_set
    finally:
        signal.signal(signal.SIGINT, previous)


def _run_sweep(opts, grid: dict, on_progress, quiet: bool) -> int:
    """Every combination; the first Ctrl-C stops cleanly after the current batch (the runs
    done are kept and the summary written; exit 130), a second one quits at once."""
    from .core.io.sweep import run_sweep, summary_table

    def on_run(row: dict) -> None:
        if not quiet:
            print(f"run {row['run']} done: " + ", ".join(
                f"{k}={v}" for k, v in row["settings"].items()), file=sys.stderr, flush=True)

    with _stop_on_ctrl_c("stopping the sweep") as stopped:
        summary = run_sweep(opts, grid, on_progress, stopped, on_run)
    if not quiet:
        for line in summary_table(summary):
            print(line)
        print(f"wrote run-01 .. run-{summary['sweep']['completed']:02d} and report.json "
              f"to {opts.out}")
    return EXIT_INTERRUPTED if summary["sweep"]["stopped"] else EXIT_OK


def build_export_parser() -> argparse.ArgumentParser:
    p = _Parser(prog=f"{PROG} export",
                description="Write a session's exports without a display (a session from "
                            "File → Save session or `analyze --session`).")
    p.add_argument("session", type=Path, metavar="SESSION", help="a .reprviz session file")
    p.add_argument("--projector", type=Path, metavar="DIR",
                   help="the TensorBoard projector bundle of the session's layer")
    p.add_argument("--csv", type=Path, metavar="DIR",
                   help="the tables: map.csv/.npy with the selection, activations.npy, "
                        "confusion.csv, report.csv, layer_metrics.csv, runs.csv")
    p.add_argument("--figures", type=Path, metavar="DIR", help="every view the session fills")
    p.add_argument("--format", choices=("png", "svg", "pdf"), action="append", default=None,
                   help="figure format (repeatable; default: png)")
    p.add_argument("--html", type=Path, metavar="FILE", help="the self-contained HTML report")
    p.add_argument("--trust-model", action="store_true",
                   help="open a session whose model holds a Lambda layer (runs its code)")
    return p


def run_export(argv: Sequence[str]) -> int:
    args = build_export_parser().parse_args(list(argv))
    if not (args.projector or args.csv or args.figures or args.html):
        raise UsageError("say what to export: --projector DIR, --csv DIR, --figures DIR or "
                         "--html FILE")
    _quiet_libraries()
    from .core.errors import printable
    from .workspace.session_headless import export_session

    for line in export_session(args.session, projector=args.projector, csv=args.csv,
                               figures=args.figures, formats=tuple(args.format or ["png"]),
                               html=args.html, trust=args.trust_model):
        print(printable(line))
    return EXIT_OK


def _open_window(argv: list[str]) -> int:
    try:
        from .app import main as app_main
    except ModuleNotFoundError as err:
        missing = (err.name or "").split(".")[0]
        if missing in ("PySide6", "shiboken6", "pyqtgraph", "superqt"):
            raise UsageError(f"the window needs {missing}, which is not installed "
                             f"(pip install reprviz); `{PROG} analyze` works without it") from err
        raise
    return int(app_main(argv) or 0)


def _dispatch(argv: list[str]) -> int:
    if argv and argv[0] in ("-V", "--version"):
        from . import __version__

        print(f"{PROG} {__version__}")
        return EXIT_OK
    if argv and argv[0] in ("-h", "--help"):
        print(TOP_HELP, end="")
        return EXIT_OK
    if argv and argv[0] == "export":
        return run_export(argv[1:])
    if argv and argv[0] in COMMANDS:
        return run_analyze(argv[1:])
    if argv and argv[0] == "lesson":
        from .cli_lesson import run_lesson

        return run_lesson(argv[1:])
    if argv and argv[0].lower().endswith(".reprviz") and not Path(argv[0]).exists():
        raise UsageError(f"Session file not found: {argv[0]}")
    if argv and not argv[0].startswith("-") and not Path(argv[0]).exists():
        close = [c for c in COMMANDS if c[:4] == argv[0][:4].lower()]
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UsageError(f"unknown command {argv[0]!r}{hint}; use `{PROG} analyze ...` or no "
                         "command to open the window")
    return _open_window(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of ``main.py`` and the ``reprviz`` script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    from .core.errors import Cancelled, ReprvizError

    try:
        return _dispatch(argv)
    except UsageError as err:
        _error_line(str(err))
        return EXIT_USER
    except Cancelled:
        return EXIT_INTERRUPTED
    except ReprvizError as err:
        _error_line(str(err))
        return EXIT_USER
    except KeyboardInterrupt:
        try:
            sys.stderr.write("\n")
            sys.stderr.flush()
        except Exception:
            pass
        return EXIT_INTERRUPTED
    except SystemExit as err:  # argparse --help exits 0 through here
        code = err.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_BUG)
    except Exception:
        traceback.print_exc()
        print(f"{PROG}: this is a bug; please report it with the traceback above",
              file=sys.stderr)
        return EXIT_BUG
    finally:
        _close_map_worker()


def _close_map_worker() -> None:
    """Stop the projection process if a command started one (``--input`` on a UMAP map asks
    it for umap's transform): stopped, not killed at exit, it leaves no semaphore behind."""
    module = sys.modules.get("reprviz_gui.core.analysis.projection_process")
    if module is not None:
        module.close_shared_process(2.0)


def _error_line(message: str) -> None:
    from .core.errors import printable

    message = printable(" ".join(str(message).split()))
    print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
