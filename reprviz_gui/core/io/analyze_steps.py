"""The steps of ``analyze`` (core/io/report.py), each a function of its own: load the data, build
or load the model with the preset table's settings, check memory, train, evaluate, record the
run history's row, and report a layer. ``analyze`` and ``--sweep`` (core/io/sweep.py) compose
them; the computing is the window's own (``load_dataset``, ``build_model``, ``train``,
``evaluate``, ``metrics.layer_statistics``), so both give the same numbers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np

from .. import analysis
from ..analysis.metrics import layer_statistics
from .writers import _jsonable
from ..data.types import Dataset, LoadOptions
from ..errors import ModelError, ReprvizError
from ..memory import check_fits
from ..pipeline import INPUT_LAYER
from ..progress import ProgressFn, StopFn, check_stop, report

NO_MODEL = ("none", "no", "off")
MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")
DEFAULT_EPOCHS = 10

ALL_SAMPLES = "all"  # --samples all
# with --samples all: the cosine matrix (report.json's similarity, cosine.png) and the measures
# use at most this many evenly spread samples; the map and activations.npy have every one
SAMPLED_STEPS_MAX = 10_000


@dataclass
class AnalyzeOptions:
    """What ``python main.py analyze`` was asked to do."""

    data: str = "fashion-mnist-sample"
    out: Path = Path("reprviz-out")
    model: Optional[str] = None  # preset name, path to .keras/.h5, "none"; None = suits the data
    epochs: Optional[int] = None  # None = DEFAULT_EPOCHS
    layer: Optional[str | int] = None  # name or index; None = last hidden layer with units
    samples: int | str = 1000  # or "all" (ALL_SAMPLES): every test sample, streamed
    projection: str = "pca"
    pca_components: int = 20  # --projection pca-tsne: PCA to this many components first
    seed: int = 0
    save_model: Optional[Path] = None
    trust_model: bool = False
    # a model file made for another image size (LeNet on MNIST padded to 32×32): "pad" or
    # "resize" the images to its input (--fit-input); None refuses the mismatch
    fit_input: Optional[str] = None
    # the split of the report's "confusion" and confusion.png (the MNIST notes' table is on
    # the training split): "train" (the rows trained on), "validation" or "test"
    confusion_split: str = "test"
    batch_size: int = 32
    validation_split: float = 0.1
    load: LoadOptions = field(default_factory=LoadOptions)
    figures: bool = True
    history: bool = True  # append a row to the run history after training (--no-history)
    # preset-table fields given on the command line (--l2, --hidden, --optimizer, ...): they
    # replace the preset's defaults (core/model/preset_table.py)
    model_settings: dict[str, Any] = field(default_factory=dict)
    compare: Optional[str] = None  # a second preset or model file: model_difference, CKA A×B
    measures: bool = True  # layer_metrics, cka, map_quality, ... (--no-measures skips them)
    projector: Optional[Path] = None  # also a TensorBoard projector bundle in this folder
    # how the layer's feature maps become rows (--reduction mean|max|flatten|crop); None: the
    # default for its shape (core/model/reduction.py)
    reduction: Optional[str] = None
    # how images become model input (--preprocess unit|symmetric|FAMILY); None: 0–1
    preprocess: Optional[str] = None
    export_csv: Optional[Path] = None  # also the tables (map, activations, confusion …) here
    film: bool = False  # record the layer after every epoch: film.npz and the "film" key
    # your own inputs put through the model and onto the map (report.json's "inputs")
    inputs: tuple[Path, ...] = ()  # image files (--input, repeatable)
    queries: tuple[str, ...] = ()  # word expressions, "paris - france + italy" (--query)
    reviews: tuple[str, ...] = ()  # typed reviews (--review)


# --- small helpers ---------------------------------------------------------------------------
def _looks_like_path(spec: str) -> bool:
    return (spec.lower().endswith(MODEL_SUFFIXES) or os.sep in spec or "/" in spec
            or Path(spec).exists())


def _layer_info_dicts(model) -> list[dict]:
    from ..model.layers import describe_tree

    # nested models' layers too, named by path ("backbone/block_3_add", parent "backbone")
    return [_jsonable(info) for info in describe_tree(model)]


MAX_SEED = 2**32 - 1  # what NumPy, scikit-learn and TensorFlow all accept


def _check_options(opts: AnalyzeOptions) -> None:
    if not isinstance(opts.seed, int) or not 0 <= opts.seed <= MAX_SEED:
        raise ReprvizError(f"--seed must be a whole number from 0 to {MAX_SEED}, not "
                           f"{opts.seed!r}")
    if opts.epochs is not None and opts.epochs < 0:
        raise ReprvizError(f"--epochs must be 0 or more, not {opts.epochs}")
    if opts.samples != ALL_SAMPLES and (not isinstance(opts.samples, int) or opts.samples < 3):
        raise ReprvizError(f"--samples must be at least 3 for a 2-D map, not {opts.samples}")
    if opts.batch_size < 1:
        raise ReprvizError(f"--batch-size must be at least 1, not {opts.batch_size}")
    if str(opts.projection).lower() not in analysis.METHODS:
        raise ReprvizError(f"Unknown projection {opts.projection!r}; choose one of "
                           f"{', '.join(analysis.METHODS)}")
    if opts.save_model is not None and \
            Path(opts.save_model).suffix.lower() not in (".keras", ".h5"):
        raise ReprvizError(f"--save-model must name a .keras (or .h5) file, not "
                           f"{str(opts.save_model)!r}")
    out = Path(opts.out)
    if out.exists() and not out.is_dir():
        raise ReprvizError(f"--out {out} is a file; give a folder for the results")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ReprvizError(f"Cannot create the output folder {out}: {err.strerror or err}") from err
    if not os.access(out, os.W_OK):
        raise ReprvizError(f"The output folder {out} is not writable")
    if opts.save_model is not None:
        from ..model.files import check_model_save_path

        check_model_save_path(opts.save_model)  # the folder exists and is writable


def _is_word_table(dataset: Dataset) -> bool:
    return dataset.words is not None


# --- the steps ---------------------------------------------------------------------------------
@dataclass
class ModelStep:
    """What ``prepare_model`` decided: the model (None: the samples' own values), the layer to
    read, and what the run history and report.json say about it."""

    spec: str
    model: Any = None
    layer_name: str = INPUT_LAYER
    config: Any = None  # the preset's ModelConfig; None for a file or no model
    file: Optional[str] = None
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class TrainStep:
    """``train_model``'s outcome: the report's "training" section and, when it trained, the
    TrainResult and what the run history records."""

    training: dict[str, Any]
    result: Any = None  # TrainResult
    config: Any = None  # TrainConfig
    started_at: str = ""


def load_data(opts: AnalyzeOptions, notes: list[str], on_progress: ProgressFn | None = None,
              should_stop: StopFn | None = None) -> Dataset:
    """Step 1: the dataset (``load_dataset``, the window's loader); it must have test samples."""
    from ..data.sources import load_dataset

    report(on_progress, "load", 0.0, f"Loading {opts.data}…")
    dataset = load_dataset(opts.data, opts.load, on_progress, should_stop)
    check_stop(should_stop)
    notes.extend(dataset.notes)
    if len(dataset.x_test) == 0:
        raise ReprvizError(f"Dataset {dataset.name!r} has no test samples to analyse")
    return dataset


def _config_with_settings(spec: str, settings: dict[str, Any], notes: list[str]):
    """The preset's default configuration with the given table fields; a field the preset does
    not use is left out with a note (``--embed-dim`` for ``dense``)."""
    from dataclasses import replace

    from ..model import preset_table
    from ..model.presets import default_config

    usable = set(preset_table.editable(spec)) | set(preset_table.OPTIMIZER_FIELDS)
    used = {k: v for k, v in settings.items() if k in usable}
    ignored = [preset_table.FIELDS[k].flag for k in settings if k not in usable]
    if ignored:
        notes.append(f"{', '.join(ignored)} ignored: not a setting of the {spec} preset "
                     f"(its settings: {', '.join(preset_table.editable(spec)) or 'none'}).")
    return replace(default_config(spec), **used)


def prepare_model(opts: AnalyzeOptions, dataset: Dataset, notes: list[str]) -> ModelStep:
    """Step 2: build the preset with its settings, or load the file, and resolve the layer;
    everything that can fail on a typo fails here, before training."""
    spec = opts.model
    if spec is None:
        if _is_word_table(dataset):
            spec = "none"
        else:
            from ..model.presets import default_preset_for

            spec = default_preset_for(dataset)
    step = ModelStep(spec=str(spec), info={"source": str(spec)})
    spec = step.spec
    _apply_preprocess(opts, dataset, notes)
    if spec.lower() in NO_MODEL:
        step.info = {"source": "none", "description": "no model: the samples' own values "
                     "(word vectors, pixels or features) are the representation"}
        if opts.epochs:
            notes.append("--epochs ignored: there is no model to train (--model none).")
        if opts.layer is not None:
            notes.append("--layer ignored: without a model the samples' own values are shown.")
        if opts.model_settings:
            notes.append("The model settings are ignored: there is no model (--model none).")
        return step
    from .. import model as models
    from ..model.extraction import resolve_layer
    from ..model.layers import default_layer

    if _looks_like_path(spec):
        model = models.load_model_file(spec, trust=opts.trust_model)
        from ..data.fit_input import add_channel_axis

        channel = add_channel_axis(dataset, models.input_shape(model))  # (28,28) -> (28,28,1)
        if channel:
            notes.append(channel)
        if opts.fit_input:
            from ..data.fit_input import fit_images

            fitted = fit_images(dataset, models.input_shape(model), opts.fit_input)
            if fitted:
                notes.append(fitted)
        models.check_compatible(model, dataset, Path(spec).name)
        step.info.update(kind="file", path=str(Path(spec).resolve()))
        step.file = str(Path(spec).resolve())
        _compile_file_model(model, opts.model_settings, notes)
    else:
        if spec not in models.PRESETS:
            raise ModelError(f"Unknown model {spec!r}: not a preset "
                             f"({', '.join(models.PRESETS)}, or none) and no such file")
        step.config = _config_with_settings(spec, opts.model_settings, notes)
        model = models.build_model(step.config, dataset, seed=opts.seed)
        step.info.update(kind="preset", preset=spec, description=models.PRESETS[spec],
                         config=_jsonable(step.config))
    step.model = model
    step.layer_name = (resolve_layer(model, opts.layer) if opts.layer is not None
                       else default_layer(models.describe_layers(model)))
    if opts.layer is None and step.layer_name == model.layers[-1].name:
        notes.append(f"The model has no hidden layer; showing its output layer "
                     f"{step.layer_name!r}.")
    step.info["n_params"] = int(model.count_params())
    return step


def _apply_preprocess(opts: AnalyzeOptions, dataset: Dataset, notes: list[str]) -> None:
    """--preprocess: how images become model input (a model trained elsewhere)."""
    if not opts.preprocess:
        return
    from ..data.preprocess import check_preprocess, describe

    how = check_preprocess(opts.preprocess)
    if dataset.kind != "image":
        notes.append(f"--preprocess ignored: dataset {dataset.name!r} holds "
                     f"{dataset.kind}s, not images.")
        return
    dataset.preprocess = how
    if how != "unit":
        notes.append(f"Images preprocessed for the model: {describe(how)}.")


def _compile_file_model(model, settings: dict[str, Any], notes: list[str]) -> None:
    """A loaded model keeps its architecture; only the optimizer settings apply to it."""
    from ..model import preset_table
    from ..model.presets import ModelConfig, compile_model

    ignored = [preset_table.FIELDS[k].flag for k in settings
               if k not in preset_table.OPTIMIZER_FIELDS]
    if ignored:
        notes.append(f"{', '.join(ignored)} ignored: a loaded model keeps its own "
                     "architecture (only the optimizer settings apply).")
    chosen = {k: v for k, v in settings.items() if k in preset_table.OPTIMIZER_FIELDS}
    if chosen:
        compile_model(model, ModelConfig(**chosen))


def check_memory(opts: AnalyzeOptions, dataset: Dataset, step: ModelStep) -> int:
    """Step 3: refuse too-large requests now, not after training; the number of samples."""
    method = str(opts.projection).lower()
    every = opts.samples == ALL_SAMPLES
    n_selected = len(dataset.x_test) if every else min(int(opts.samples), len(dataset.x_test))
    if not every:  # with all samples the cosine matrix is sampled (a note says so)
        check_fits(n_selected * n_selected * 4, f"cosine matrix of {n_selected:,} samples")
    if method == "mds":
        check_fits(n_selected * n_selected * 8 * 4, f"MDS of {n_selected:,} samples")
    if step.model is not None and not every:  # streamed: bounded whatever N
        from ..model.extraction import extraction_bytes

        reductions = {step.layer_name: opts.reduction} if opts.reduction else None
        check_fits(extraction_bytes(step.model, [step.layer_name], n_selected,
                                    reductions=reductions),
                   f"activations of layer {step.layer_name!r} for {n_selected:,} samples")
    return n_selected


def train_model(opts: AnalyzeOptions, dataset: Dataset, step: ModelStep, notes: list[str],
                on_progress: ProgressFn | None = None,
                should_stop: StopFn | None = None, callbacks: tuple = ()) -> TrainStep:
    """Step 4: train (``core.model.training.train``, the window's training); ``callbacks``:
    more Keras callbacks (``--film``'s recorder)."""
    model = step.model
    epochs = DEFAULT_EPOCHS if opts.epochs is None else int(opts.epochs)
    out = TrainStep({"epochs_requested": 0 if model is None else epochs,
                     "epochs_done": 0, "history": {}, "seconds": 0.0,
                     "stopped": False, "batch_size": int(opts.batch_size),
                     "validation_split": float(opts.validation_split),
                     "seed": int(opts.seed)})
    if model is not None and epochs > 0:
        if len(dataset.x_train) == 0:
            notes.append(f"Dataset {dataset.name!r} has no training split; the model was not "
                         "trained.")
        else:
            from ..model.training import TrainConfig, train
            from .history import now_iso

            out.started_at = now_iso()
            out.config = TrainConfig(epochs=epochs, batch_size=int(opts.batch_size),
                                     validation_split=float(opts.validation_split),
                                     seed=int(opts.seed))
            out.result = train(model, dataset, out.config, on_progress, should_stop,
                               callbacks=callbacks)
            check_stop(should_stop)
            out.training.update(epochs_done=out.result.epochs_done,
                                history=out.result.history,
                                seconds=round(out.result.seconds, 3),
                                stopped=out.result.stopped)
            if out.result.batch_size != int(opts.batch_size):
                out.training["batch_size_used"] = int(out.result.batch_size)
    elif model is not None:
        notes.append("--epochs 0: the model was not trained.")
    return out


def evaluate_model(step: ModelStep, dataset: Dataset, trained: TrainStep,
                   on_progress: ProgressFn | None = None, should_stop: StopFn | None = None):
    """Step 5: accuracy, confusion and report on the test split (None without a model)."""
    if step.model is None:
        return None
    from ..model.training import evaluate

    evaluation = evaluate(step.model, dataset, "test", validation=trained.result,
                          on_progress=on_progress, should_stop=should_stop)
    check_stop(should_stop)
    return evaluation


def split_confusion(opts: AnalyzeOptions, step: ModelStep, dataset: Dataset,
                    trained: TrainStep, evaluation, notes: list[str]) -> Optional[dict]:
    """Step 5b: the confusion matrix on ``--confusion-split``: the test split's is the
    evaluation's; "train" counts the rows trained on (validation rows held out), "validation"
    the held-out rows. None without a model."""
    if evaluation is None:
        return None
    from ..analysis import metrics

    split = str(opts.confusion_split)
    cm = np.asarray(evaluation.confusion)
    if split != "test":
        from ..model.training import split_predictions, split_rows

        val = (np.asarray(trained.result.validation_indices, dtype=np.int64)
               if trained.result is not None else np.zeros(0, np.int64))
        rows = split_rows(len(dataset.x_train), split, val)
        if len(rows) == 0:
            notes.append(f"--confusion-split {split}: there are no {split} samples (the "
                         f"model was {'not trained' if trained.result is None else 'trained'} "
                         f"here); the confusion matrix is on the test split.")
            split = "test"
        else:
            cm = metrics.confusion_matrix(dataset.y_train[rows],
                                          split_predictions(step.model, dataset, rows),
                                          cm.shape[0])
    return {"split": split, "samples": int(cm.sum()), "matrix": cm,
            "accuracy": metrics.accuracy(cm),
            "per_class_accuracy": metrics.per_class_accuracy(cm)}


def record_history(opts: AnalyzeOptions, dataset: Dataset, step: ModelStep,
                   trained: TrainStep, evaluation, notes: list[str]) -> Optional[dict]:
    """The run history's row, as soon as the run is trained and measured."""
    if trained.result is None or not opts.history:
        return None
    from .report_sections import history_row

    row, history_notes = history_row(
        dataset=dataset, data_source=str(opts.data), train_config=trained.config,
        result=trained.result, evaluation=evaluation, config=step.config,
        model_file=step.file, started=trained.started_at)
    notes.extend(history_notes)
    return row


def layer_report(acts: np.ndarray, labels: np.ndarray, class_names: list[str],
                 layer_name: str, layers: list[dict], default: bool,
                 reduction: str = "") -> dict[str, Any]:
    """report.json's "layer" section: the layer, its width and statistics (the statistics are
    ``metrics.layer_statistics``, the window's Layer statistics view's)."""
    layer_index = None
    layer_type = "input"
    layer_activation = ""
    for info in layers:
        if info["name"] == layer_name:
            layer_index, layer_type, layer_activation = info["index"], info["type"], \
                info["activation"]
    from ..model.extraction import is_raw, raw_base

    if is_raw(layer_name):  # a Dense layer's x·W: not the input, and not in the layer table
        layer_type, layer_activation = "raw projection (x·W, no bias or activation)", "none"
        layer_index = next((i["index"] for i in layers if i["name"] == raw_base(layer_name)),
                           None)
    stats = layer_statistics(acts, labels, class_names)  # = the window's view
    return {
        "name": layer_name, "index": layer_index, "type": layer_type,
        "activation": layer_activation, "width": stats["units"], "mean": stats["mean"],
        "fraction_zero": stats["fraction_zero"], "fraction_positive": stats["fraction_positive"],
        "dead_units": stats["dead_units"], "class_means": stats["class_means"],
        "default": default,
        # how feature maps became rows ("global average per channel of 3x3x1280 -> 1,280");
        # "" for a layer without maps
        "reduction": reduction,
    }
