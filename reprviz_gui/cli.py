"""Command line: ``reprviz analyze ...`` runs headless; anything else opens the window.

Exit status: 0 done; 1 a bug (traceback printed); 2 a user error (one line on stderr:
``reprviz: error: <message>``, also for bad options); 130 interrupted with Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
import warnings
from pathlib import Path
from typing import Optional, Sequence

# Before anything can import TensorFlow: keep its C++ log lines off stderr.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

PROG = "reprviz"
COMMANDS = ("analyze", "export")
PROJECTIONS = ("pca", "mds", "tsne", "pca-tsne", "umap")
MAX_SHAPE_SIDE = 65536  # an --image-shape side; the product is checked against the file
MAX_SEED = 2**32 - 1
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


class UsageError(Exception):
    """A command-line mistake; printed as one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a mistake as ONE line (no usage block) and exits 2."""

    def error(self, message: str):  # noqa: D401 - argparse API
        raise UsageError(message)


# --- option value parsers (argparse `type=`): ArgumentTypeError -> one clean line ------------
def _samples(text: str) -> int | str:
    """``--samples``: a number of samples (at least 3) or ``all``."""
    return "all" if text.strip().lower() == "all" else _int_at_least(3)(text)


def _int_at_least(lo: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
        if value < lo:
            raise argparse.ArgumentTypeError(f"must be at least {lo}, not {value}")
        return value

    return parse


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, not {text!r}") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, not {value}")
    return value


def _fraction_or_zero(text: str) -> float:
    if text.strip() in ("0", "0.0"):
        return 0.0
    return _fraction(text)


def _shape(text: str) -> tuple[int, ...]:
    parts = text.lower().replace("×", "x").replace(",", "x").split("x")
    try:
        dims = tuple(int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a shape like 20x20 or 32x32x3, not {text!r}") from None
    if not 2 <= len(dims) <= 3 or any(d <= 0 for d in dims):
        raise argparse.ArgumentTypeError(
            f"expected 2 or 3 positive sizes like 20x20 or 32x32x3, not {text!r}")
    if any(d > MAX_SHAPE_SIDE for d in dims):
        raise argparse.ArgumentTypeError(
            f"each size must be at most {MAX_SHAPE_SIDE}, not {text!r}")
    return dims


def _seed(text: str) -> int:
    value = _int_at_least(0)(text)
    if value > MAX_SEED:  # NumPy/scikit-learn/TensorFlow take 0 .. 2**32 - 1
        raise argparse.ArgumentTypeError(f"must be at most {MAX_SEED}, not {value}")
    return value


def _size2(text: str) -> tuple[int, int]:
    dims = _shape(text)
    if len(dims) != 2:
        raise argparse.ArgumentTypeError(f"expected HEIGHTxWIDTH like 32x32, not {text!r}")
    return dims  # type: ignore[return-value]


def _out_dir(text: str) -> Path:
    # Path("") is ".": an empty --out (an unset shell variable) must not silently mean "here".
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty; give a folder for the results (use . for "
                                         "the current folder)")
    return Path(text)


def _label_map(text: str) -> dict[int, int]:
    from .core.data.labels import parse_label_map

    try:
        out = parse_label_map(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not out:
        raise argparse.ArgumentTypeError(f"expected FROM:TO pairs like 10:0, not {text!r}")
    return out


def _column(text: str) -> str | int:
    return int(text) if text.strip().lstrip("-").isdigit() else text


def _layer(text: str) -> str | int:
    return int(text) if text.strip().lstrip("-").isdigit() else text.strip()


def build_analyze_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog=f"{PROG} analyze",
        description="Train (or load) a model, read one layer for a class-balanced set of test "
                    "samples, and write report.json, activations.npz and PNG figures.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               f"  {PROG} analyze --data fashion-mnist-sample --model dense --epochs 10 --out out\n"
               f"  {PROG} analyze --data imdb-sample --model bilstm --epochs 2 --out out-imdb\n"
               f"  {PROG} analyze --data capitals --model none --out out-capitals\n"
               f"  {PROG} analyze --data digits.csv --image-shape 20x20 --pixel-order column "
               "--label-map 10:0 --model lenet --out out-digits\n")
    g = p.add_argument_group("what to analyse")
    g.add_argument("--data", default="fashion-mnist-sample", metavar="SOURCE",
                   help="a built-in dataset (fashion-mnist-sample, digits, imdb-sample, capitals, "
                        "keras-mnist, ...) or a path: IDX folder, image-class folder, .csv, "
                        "GloVe/word2vec .txt/.vec, imdb-style .npz (default: %(default)s)")
    g.add_argument("--model", default=None, metavar="PRESET|PATH|none",
                   help="a preset (dense, multinomial, lenet, bilstm, sigmoid-mlp), a .keras/.h5 "
                        "file, or none to analyse the samples' own values (default: bilstm for "
                        "text, none for word vectors, dense otherwise)")
    g.add_argument("--epochs", type=_int_at_least(0), default=None, metavar="N",
                   help="training epochs; 0 analyses the model as it is (default: 10)")
    g.add_argument("--fit-input", choices=("pad", "resize"), default=None,
                   help="a model file made for another image size (LeNet on MNIST padded to "
                        "32x32): zero-pad or resize the images to its input (said in the notes)")
    g.add_argument("--confusion-split", choices=("train", "validation", "test"),
                   default="test", help="the split of report.json's \"confusion\" and "
                   "confusion.png (the MNIST notes' table is on train; default: %(default)s)")
    g.add_argument("--layer", type=_layer, default=None, metavar="NAME|INDEX",
                   help="layer to read, by name or index (negative counts from the end; "
                        "OUTER/INNER for a layer inside a nested model; "
                        "default: the last hidden layer before the output)")
    g.add_argument("--reduction", choices=("mean", "max", "flatten", "crop"), default=None,
                   help="how a convolutional layer's feature maps become one row per sample: "
                        "global average or max per channel, every value, or the centre 3x3 "
                        "(default: flatten up to 8,192 values, else mean)")
    g.add_argument("--preprocess", default=None, metavar="unit|symmetric|FAMILY",
                   help="how images become model input: 0-1 (default), -1-1, or a Keras "
                        "Applications family's preprocess_input (mobilenet_v2, resnet50, "
                        "vgg16, densenet, efficientnet, ...)")
    g.add_argument("--samples", type=_samples, default=1000, metavar="N|all",
                   help="class-balanced test samples to analyse; all: every test sample, the "
                        "layer streamed through the cache in bounded memory and written as "
                        "activations.npy (default: %(default)s)")
    g.add_argument("--projection", choices=PROJECTIONS, default="pca",
                   help="2-D map: pca (instant), mds (1 - cosine), tsne, pca-tsne (PCA to "
                        "--pca-components, then t-SNE), umap (default: %(default)s)")
    g.add_argument("--pca-components", type=_int_at_least(1), default=20, metavar="K",
                   help="pca-tsne: PCA to K components before t-SNE (default: %(default)s)")
    g.add_argument("--seed", type=_seed, default=0, help="random seed (default: %(default)s)")
    g.add_argument("--out", type=_out_dir, required=True, metavar="DIR",
                   help="folder for the results (created if missing; files are replaced)")
    g.add_argument("--save-model", type=Path, default=None, metavar="PATH",
                   help="also save the trained model to this .keras file")
    g.add_argument("--projector", type=Path, default=None, metavar="DIR",
                   help="also write the layer as a TensorBoard projector bundle into DIR "
                        "(open with: tensorboard --logdir DIR)")
    g.add_argument("--export-csv", type=Path, default=None, metavar="DIR",
                   help="also write the tables into DIR: map.csv/.npy, activations.npy, "
                        "confusion.csv, report.csv, layer_metrics.csv")
    g.add_argument("--session", type=Path, default=None, metavar="FILE",
                   help="also write a session file (.reprviz) that the window opens as it is, "
                        "without training or computing: `python main.py FILE`")
    g.add_argument("--input", dest="inputs", type=Path, action="append", default=[],
                   metavar="FILE", help="an image of your own (repeatable): its class "
                   "probabilities, top class and map position go into report.json's inputs")
    g.add_argument("--query", dest="queries", action="append", default=[], metavar="EXPR",
                   help="word tables: an expression such as 'paris - france + italy' "
                        "(repeatable): its nearest words and map position")
    g.add_argument("--review", dest="reviews", action="append", default=[], metavar="TEXT",
                   help="text data: a review of your own (repeatable): its tokens (unknown "
                        "words shown), prediction and map position")
    g.add_argument("--no-figures", dest="figures", action="store_false",
                   help="skip the PNG figures")
    g.add_argument("--no-history", dest="history", action="store_false",
                   help="do not add this training run to the run history (history.json next "
                        "to the window's settings: $REPRVIZ_CONFIG_DIR or ~/.config/reprviz)")

    _add_table_options(p)
    m = p.add_argument_group("measures (layer_metrics, cka, map_quality, "
                             "similarity_vs_confusion, model_difference)")
    m.add_argument("--compare", default=None, metavar="PRESET|PATH",
                   help="a second model trained (or loaded) the same way: report.json gets "
                        "model_difference (agreement, neighbourhood change) and the CKA "
                        "between both models' layers")
    m.add_argument("--no-measures", dest="measures", action="store_false",
                   help="skip the per-layer kNN/probe/ID, CKA and map-quality measures")

    t = p.add_argument_group("training")
    t.add_argument("--batch-size", type=_int_at_least(1), default=32, metavar="N",
                   help="training batch size (default: %(default)s)")
    t.add_argument("--validation-split", type=_fraction_or_zero, default=0.1, metavar="F",
                   help="fraction of the training split held out for validation "
                        "(default: %(default)s)")
    t.add_argument("--film", action="store_true",
                   help="record the layer after every epoch: film.npz (each epoch's map, "
                        "aligned with the one before, and the predictions) and report.json's "
                        "film key (alignment, mean displacement aligned and unaligned)")

    d = p.add_argument_group("reading data")
    d.add_argument("--label-column", type=_column, default=None, metavar="NAME|INDEX",
                   help="CSV: the label column (default: 'label' if present, else the last)")
    d.add_argument("--image-shape", type=_shape, default=None, metavar="HxW[xC]",
                   help="CSV: reshape each row to an image, e.g. 20x20")
    d.add_argument("--pixel-order", choices=("row", "column"), default="row",
                   help="CSV images: 'column' if pixels are stored column by column "
                        "(MATLAB/Octave files) (default: %(default)s)")
    d.add_argument("--labels", dest="labels_file", default=None, metavar="FILE",
                   help="CSV: read the labels from FILE, one per line in row order (e.g. "
                        "labels.csv next to numbers.csv); every CSV column is then a feature")
    d.add_argument("--label-map", type=_label_map, default=None, metavar="FROM:TO[,...]",
                   help="CSV: relabel classes, e.g. 10:0 for the classic 20x20 digits")
    header = d.add_mutually_exclusive_group()
    header.add_argument("--header", dest="has_header", action="store_const", const=True,
                        default=None, help="CSV: the first row is a header")
    header.add_argument("--no-header", dest="has_header", action="store_const", const=False,
                        help="CSV: there is no header row")
    d.add_argument("--image-size", type=_size2, default=(32, 32), metavar="HxW",
                   help="image folders: resize every image to this size (default: 32x32)")
    d.add_argument("--maxlen", type=_int_at_least(1), default=200, metavar="N",
                   help="text: pad or cut reviews to N tokens (default: %(default)s)")
    d.add_argument("--minmax", action="store_true",
                   help="scale each image to its own min..max")
    d.add_argument("--test-fraction", type=_fraction, default=0.2, metavar="F",
                   help="when the data has no test split, hold out this fraction "
                        "(default: %(default)s)")

    s = p.add_argument_group("trust")
    s.add_argument("--trust-pickle", action="store_true",
                   help="allow pickle for a data file that needs it (e.g. a Keras imdb.npz); "
                        "pickle can run code: only for files you trust")
    s.add_argument("--trust-model", action="store_true",
                   help="allow loading a model that contains Python code (Lambda layers); "
                        "only for files you trust")

    w = p.add_argument_group("sweep")
    w.add_argument("--sweep", nargs="+", default=None, metavar="KEY=V1,V2",
                   help="one run per combination of these values (cartesian), e.g. "
                        "--sweep learning_rate=0.1,0.3,1 l2=0,0.001; KEY is any model, optimizer "
                        "or training setting above (hidden=256-144/128: widths lists are "
                        "separated by '/'); each run writes its results to DIR/run-NN and adds a "
                        "history row; report.json in DIR holds the summary table")

    o = p.add_argument_group("output")
    o.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    o.add_argument("-v", "--verbose", action="store_true",
                   help="show library warnings (TensorFlow, scikit-learn) too")
    return p


# the preset table's fields that have their own, older option above (kept as they were:
# --epochs 0 and --validation-split 0 mean something there)
_OWN_OPTIONS = ("epochs", "batch_size", "validation_split", "seed")


def _table_type(f):
    def parse(text: str):
        try:
            return f.parse(text)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    return parse


def _add_table_options(p: argparse.ArgumentParser) -> None:
    """One option per model and optimizer field of the preset table (core/model/preset_table),
    so the command line can set everything the sidebar can; unset means the preset's default."""
    from .core.model.preset_table import FIELDS, MODEL_FIELDS, OPTIMIZER_FIELDS

    g = p.add_argument_group("model settings (default: the preset's own)")
    for key in MODEL_FIELDS + OPTIMIZER_FIELDS:
        f = FIELDS[key]
        help_text = f.help.replace("%", "%%")
        if f.kind == "bool":
            g.add_argument(f.flag, dest=f"set_{key}", action=argparse.BooleanOptionalAction,
                           default=None, help=help_text)
            continue
        metavar = ("|".join(f.choices) if f.kind == "choice" else
                   "W1,W2" if f.kind == "widths" else "N" if f.kind == "int" else "X")
        g.add_argument(f.flag, dest=f"set_{key}", type=_table_type(f), default=None,
                       metavar=metavar, help=help_text)


def _sweep_grid(items: Sequence[str]) -> dict[str, list]:
    """--sweep's values (core.io.sweep.parse_grid); a mistake is a UsageError."""
    from .core.io.sweep import parse_grid

    try:
        return parse_grid(list(items))
    except ValueError as err:
        raise UsageError(f"--sweep: {err}") from None


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
    result = analyze(opts, on_progress=on_progress, keep=keep)
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


def _run_sweep(opts, grid: dict, on_progress, quiet: bool) -> int:
    """Every combination; the first Ctrl-C stops cleanly after the current batch (the runs
    done are kept and the summary written; exit 130), a second one quits at once."""
    import signal
    import threading

    from .core.io.sweep import run_sweep, summary_table

    stop = threading.Event()

    def on_sigint(signum, frame) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        print("stopping the sweep (Ctrl-C again to quit at once)…", file=sys.stderr, flush=True)

    def on_run(row: dict) -> None:
        if not quiet:
            print(f"run {row['run']} done: " + ", ".join(
                f"{k}={v}" for k, v in row["settings"].items()), file=sys.stderr, flush=True)

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        summary = run_sweep(opts, grid, on_progress, stop.is_set, on_run)
    finally:
        signal.signal(signal.SIGINT, previous)
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


def _error_line(message: str) -> None:
    from .core.errors import printable

    message = printable(" ".join(str(message).split()))
    print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
