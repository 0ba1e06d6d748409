"""The ``analyze`` command's options: the parser, its value types and the preset table's
options (one per model and optimizer field), apart from what the command does with them
(``cli.py``). A mistake is one line and exit 2 (``UsageError``, ``_Parser``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Sequence

PROG = "reprviz"
PROJECTIONS = ("pca", "mds", "tsne", "pca-tsne", "umap")
MAX_SHAPE_SIDE = 65536  # an --image-shape side; the product is checked against the file
MAX_SEED = 2**32 - 1


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
