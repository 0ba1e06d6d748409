"""The headless ``analyze`` pipeline: load → build/load model → train → evaluate → select samples →
read one layer → cosine matrix and 2-D map → ``report.json``, ``activations.npz`` and PNG figures.

Plain callbacks (``on_progress``/``should_stop``), no Qt: the CLI prints the progress, a test
can call ``analyze`` in-process. Every user mistake that can be found before training (bad
options, unknown preset or layer, a model that does not fit the data, a request too big for
memory, an output folder that cannot be written) is found before training starts, so a user
does not wait ten epochs to learn about a typo.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

import numpy as np

from .. import analysis
from ..analysis.metrics import layer_statistics
from .figures import write_figures
from .writers import _jsonable, write_json, write_npz
from ..data.types import Dataset, LoadOptions
from ..errors import ModelError, ReprvizError
from ..memory import check_fits
from ..pipeline import INPUT_LAYER
from ..progress import ProgressFn, StopFn, check_stop, report

NO_MODEL = ("none", "no", "off")
MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")
DEFAULT_EPOCHS = 10
FIGURES = ("heatmap.png", "cosine.png", "map.png", "confusion.png")

# Top-level keys every report.json has (values may be null where they do not apply).
REPORT_KEYS = (
    "reprviz_version", "created", "options", "dataset", "samples", "class_names", "model",
    "layers", "training", "accuracy", "confusion_matrix", "per_class_accuracy",
    "top_confused_pairs", "top_confused_pairs_named", "classification_report", "layer",
    "projection", "similarity", "word_table", "nearest_neighbours", "analogies",
    "samples_preview", "run_history", "notes", "files", "seconds",
)

@dataclass
class AnalyzeOptions:
    """What ``python main.py analyze`` was asked to do."""

    data: str = "fashion-mnist-sample"
    out: Path = Path("reprviz-out")
    model: Optional[str] = None  # preset name, path to .keras/.h5, "none"; None = suits the data
    epochs: Optional[int] = None  # None = DEFAULT_EPOCHS
    layer: Optional[str | int] = None  # name or index; None = last hidden layer with units
    samples: int = 1000
    projection: str = "pca"
    pca_components: int = 20  # --projection pca-tsne: PCA to this many components first
    seed: int = 0
    save_model: Optional[Path] = None
    trust_model: bool = False
    batch_size: int = 32
    validation_split: float = 0.1
    load: LoadOptions = field(default_factory=LoadOptions)
    figures: bool = True
    history: bool = True  # append a row to the run history after training (--no-history)
    # preset-table fields given on the command line (--l2, --hidden, --optimizer, ...): they
    # replace the preset's defaults (core/model/preset_table.py)
    model_settings: dict[str, Any] = field(default_factory=dict)


# --- small helpers ---------------------------------------------------------------------------
def _looks_like_path(spec: str) -> bool:
    return (spec.lower().endswith(MODEL_SUFFIXES) or os.sep in spec or "/" in spec
            or Path(spec).exists())


def _layer_info_dicts(model) -> list[dict]:
    from ..model.layers import describe_layers

    return [_jsonable(info) for info in describe_layers(model)]


def _check_options(opts: AnalyzeOptions) -> None:
    if opts.epochs is not None and opts.epochs < 0:
        raise ReprvizError(f"--epochs must be 0 or more, not {opts.epochs}")
    if opts.samples < 3:
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
    n_selected = min(int(opts.samples), len(dataset.x_test))
    check_fits(n_selected * n_selected * 4, f"cosine matrix of {n_selected:,} samples")
    if method == "mds":
        check_fits(n_selected * n_selected * 8 * 4, f"MDS of {n_selected:,} samples")
    if step.model is not None:
        from ..model.extraction import extraction_bytes

        check_fits(extraction_bytes(step.model, [step.layer_name], n_selected),
                   f"activations of layer {step.layer_name!r} for {n_selected:,} samples")
    return n_selected


def train_model(opts: AnalyzeOptions, dataset: Dataset, step: ModelStep, notes: list[str],
                on_progress: ProgressFn | None = None,
                should_stop: StopFn | None = None) -> TrainStep:
    """Step 4: train (``core.model.training.train``, the window's training)."""
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
            out.result = train(model, dataset, out.config, on_progress, should_stop)
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
                 layer_name: str, layers: list[dict], default: bool) -> dict[str, Any]:
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
    }


# --- the pipeline ----------------------------------------------------------------------------
def analyze(opts: AnalyzeOptions, on_progress: ProgressFn | None = None,
            should_stop: StopFn | None = None) -> dict:
    """Run the whole pipeline and write the results to ``opts.out``; returns the report dict
    (what ``report.json`` holds). Raises ``ReprvizError`` subclasses for user mistakes."""
    started = time.perf_counter()
    _check_options(opts)
    notes: list[str] = []
    dataset = load_data(opts, notes, on_progress, should_stop)
    return analyze_dataset(opts, dataset, notes, on_progress, should_stop, started)


def analyze_dataset(opts: AnalyzeOptions, dataset: Dataset, notes: list[str],
                    on_progress: ProgressFn | None = None, should_stop: StopFn | None = None,
                    started: Optional[float] = None) -> dict:
    """Everything after loading (a sweep loads its data once and calls this per run)."""
    started = time.perf_counter() if started is None else started
    out = Path(opts.out)
    method = str(opts.projection).lower()
    word_table = _is_word_table(dataset)
    step = prepare_model(opts, dataset, notes)
    model, layer_name, model_info, spec = step.model, step.layer_name, step.info, step.spec
    n_selected = check_memory(opts, dataset, step)
    trained = train_model(opts, dataset, step, notes, on_progress, should_stop)
    if model is not None and opts.save_model is not None:
        from ..model.files import save_model_file

        save_path = save_model_file(model, opts.save_model)
        model_info["saved_to"] = str(save_path.resolve())
    evaluation = evaluate_model(step, dataset, trained, on_progress, should_stop)
    run_history = record_history(opts, dataset, step, trained, evaluation, notes)

    # 6-7. samples, the layer's activations, similarity and map: the window's own pipeline
    from ..data.samples import make_sample_set
    from ..pipeline import analyse_layer, layer_map

    samples = make_sample_set(dataset, n_selected, "test", seed=opts.seed)
    idx, labels = samples.indices, samples.labels
    predictions = (evaluation.predictions[idx].astype(np.int64) if evaluation is not None
                   else np.full(len(idx), -1, dtype=np.int64))
    layer = analyse_layer(model, dataset, samples, layer_name, on_progress, should_stop)
    acts, cos, centroid = layer.activations, layer.cosine, layer.centroid_cosine
    check_stop(should_stop)
    report(on_progress, "analyse", 0.0, "Cosine similarity…")
    similarity = analysis.within_between_similarity(cos, labels)
    similarity["centroid_cosine"] = centroid
    map_params = {"pca_components": int(opts.pca_components)} if method == "pca-tsne" else {}
    proj = layer_map(acts, method, seed=opts.seed, on_progress=on_progress,
                     should_stop=should_stop, **map_params)
    if proj.note:
        notes.append(proj.note)

    # 8. word tables: nearest target of each query word, nearest neighbours, analogies; the
    # first selected samples
    from .report_sections import samples_preview, word_sections

    word_info = neighbours = analogies = None
    if word_table:
        word_info, neighbours, analogies, word_notes = word_sections(
            dataset, idx, on_progress, should_stop)
        notes.extend(word_notes)
    preview = samples_preview(dataset, samples,
                              predictions if evaluation is not None else None)

    # 9. the report
    class_names = [str(c) for c in dataset.class_names]
    layers = _layer_info_dicts(model) if model is not None else []
    accuracy = dict(evaluation.accuracy) if evaluation is not None else {}
    named_pairs = None
    if evaluation is not None:
        named_pairs = [{"true": class_names[t], "predicted": class_names[p], "count": int(c)}
                       for t, p, c in evaluation.top_pairs]
    from ... import __version__

    data_report = {
        "name": dataset.name, "source": str(opts.data), "kind": dataset.kind,
        "provenance": dataset.provenance, "sample_shape": list(dataset.sample_shape),
        "n_classes": dataset.n_classes, "split_made_by_app": bool(dataset.split_made_by_app),
        "notes": list(dataset.notes),
    }
    result: dict[str, Any] = {
        "reprviz_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "options": {k: _jsonable(v) for k, v in asdict(opts).items()},
        "dataset": data_report,
        "samples": {"train": int(len(dataset.x_train)), "test": int(len(dataset.x_test)),
                    "selected": int(len(idx)), "split": "test",
                    "split_made_by_app": bool(dataset.split_made_by_app)},
        "class_names": class_names,
        "model": model_info,
        "layers": layers,
        "training": trained.training,
        "accuracy": accuracy,
        "confusion_matrix": evaluation.confusion if evaluation is not None else None,
        "per_class_accuracy": (dict(zip(class_names, evaluation.per_class_accuracy.tolist()))
                               if evaluation is not None else None),
        "top_confused_pairs": evaluation.top_pairs if evaluation is not None else None,
        "top_confused_pairs_named": named_pairs,
        "classification_report": evaluation.report if evaluation is not None else None,
        "layer": layer_report(acts, labels, class_names, layer_name, layers,
                              opts.layer is None),
        "projection": {"method": proj.method, "explained_variance": proj.explained_variance,
                       # what the map's subtitle shows: the share its 2 components explain
                       "explained_variance_2d": (float(np.sum(proj.explained_variance[:2]))
                                                 if proj.explained_variance is not None
                                                 else None),
                       "pca_explained_variance": proj.pca_explained_variance,
                       "params": proj.params, "seconds": round(proj.seconds, 3),
                       "note": proj.note},
        "similarity": similarity,
        "word_table": word_info,
        "nearest_neighbours": neighbours,
        "analogies": analogies,
        "samples_preview": preview,
        "run_history": run_history,
        "notes": notes,
        "files": [],
    }

    # 10. files
    report(on_progress, "write", 0.0, f"Writing results to {out}…")
    files = [write_npz(out / "activations.npz", activations=acts, labels=labels,
                       predictions=predictions, sample_indices=idx.astype(np.int64),
                       coords=proj.coords, class_names=np.array(class_names, dtype=str),
                       layer=np.array(layer_name, dtype=str))]
    if opts.figures:
        files += write_figures(out, acts, labels, predictions if evaluation is not None else None,
                               class_names, cos, proj, evaluation.confusion
                               if evaluation is not None else None,
                               words=([dataset.words[i] for i in idx] if word_table else None),
                               title=f"{dataset.name} · " + (
                                   model_info.get("preset") or Path(spec).name if model is not None
                                   else ("word vectors" if word_table else "raw values")),
                               layer_name=layer_name)
    result["files"] = [p.name for p in files] + ["report.json"]
    result["seconds"] = round(time.perf_counter() - started, 3)
    result = _jsonable(result)
    write_json(out / "report.json", result)
    report(on_progress, "write", 1.0, f"Wrote {len(result['files'])} files to {out}")
    return result


def summary_lines(result: dict) -> list[str]:
    """A few human lines for the end of a CLI run."""
    d, s = result["dataset"], result["samples"]
    made = ", split made by reprviz" if d["split_made_by_app"] else ""
    lines = [f"data: {d['name']} ({s['train']} train / {s['test']} test samples, "
             f"{d['n_classes']} classes{made})"]
    m = result["model"]
    if m.get("source") != "none":
        t = result["training"]
        lines.append(f"model: {m.get('preset') or m.get('path')}, {m.get('n_params', 0):,} "
                     f"parameters, trained {t['epochs_done']} epoch(s) in {t['seconds']:.1f} s")
        acc = result["accuracy"]
        parts = [f"{k} {v:.4f}" for k, v in acc.items() if v is not None]
        if parts:
            lines.append("accuracy: " + ", ".join(parts))
        if result.get("top_confused_pairs_named"):
            top = result["top_confused_pairs_named"][:5]
            lines.append("most confused (true → predicted): " + "; ".join(
                f"{p['true']} → {p['predicted']} ({p['count']})" for p in top))
    layer = result["layer"]
    proj = result["projection"]
    line = (f"layer: {layer['name']} ({layer['width']} units), {s['selected']} samples, "
            f"{proj['method']} map")
    if proj.get("explained_variance"):
        ev = proj["explained_variance"]
        line += f" (explained variance {ev[0]:.3f} + {ev[1]:.3f})"
    lines.append(line)
    wt = result.get("word_table")
    if wt and "own_matches" in wt:
        lines.append(f"nearest {wt['target_kind']}: own for {wt['own_matches']} of "
                     f"{wt['queries']} {wt['query_kind']}s")
    an = result.get("analogies")
    if an and an.get("pairs"):
        cos = an.get("mean_offset_cosine")
        lines.append(f"analogies ({an['target_kind']}(A) - {an['source_kind']}(A) + "
                     f"{an['source_kind']}(B)): {an['correct']} of {an['pairs']} pairs right; "
                     f"{an['groups_correct']} of {an['groups']} {an['source_kind']}s with the "
                     f"mean offset" + (f"; mean offset cosine {cos:.3f}" if cos is not None
                                       else ""))
    for note in result.get("notes", []):
        lines.append(f"note: {note}")
    return lines
