"""The headless ``analyze`` pipeline: load → build/load model → train → evaluate → select samples →
read one layer → cosine matrix and 2-D map → ``report.json``, ``activations.npz`` and PNG figures.

Plain callbacks (``on_progress``/``should_stop``), no Qt: the CLI prints the progress, a test
can call ``analyze`` in-process. Every user mistake that can be found before training (bad
options, unknown preset or layer, a model that does not fit the data, a request too big for
memory, an output folder that cannot be written) is found before training starts, so a user
does not wait ten epochs to learn about a typo.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

import numpy as np

from .. import analysis
from .analyze_steps import (  # noqa: F401 (AnalyzeOptions and the steps are re-exported)
    DEFAULT_EPOCHS, MODEL_SUFFIXES, NO_MODEL, AnalyzeOptions, ModelStep, TrainStep,
    _check_options, _is_word_table, _layer_info_dicts, _looks_like_path, check_memory,
    evaluate_model, layer_report, load_data, prepare_model, record_history, split_confusion,
    train_model)
from .analyze_steps import ALL_SAMPLES, SAMPLED_STEPS_MAX
from .writers import _jsonable, write_json, write_npy_beside, write_npz
from ..analysis.similarity import sample_rows
from ..data.samples import subset_samples
from ..data.types import Dataset
from ..progress import ProgressFn, StopFn, check_stop, report


def trained_epochs(opts: AnalyzeOptions) -> int:
    return DEFAULT_EPOCHS if opts.epochs is None else int(opts.epochs)

FIGURES = ("heatmap.png", "cosine.png", "map.png", "confusion.png")

# Top-level keys every report.json has (values may be null where they do not apply).
REPORT_KEYS = (
    "reprviz_version", "created", "options", "dataset", "samples", "class_names", "model",
    "layers", "training", "accuracy", "loss", "cross_entropy", "l2_penalty", "confusion_matrix",
    "confusion", "typical", "per_class_accuracy", "top_confused_pairs", "top_confused_pairs_named",
    "classification_report", "layer", "projection", "similarity", "word_table", "nearest_neighbours", "analogies",
    "samples_preview", "run_history", "notes", "files", "seconds",
    # measured (core/io/report_measures.py); model_difference only with --compare
    "layer_metrics", "cka", "map_quality", "similarity_vs_confusion", "model_difference",
    "film",  # only with --film (core/io/report_film.py)
    # your own inputs (analyze --input/--query/--review; core/analysis/own_input.py)
    "inputs",
)


# --- the pipeline ----------------------------------------------------------------------------
def analyze(opts: AnalyzeOptions, on_progress: ProgressFn | None = None,
            should_stop: StopFn | None = None, keep: Optional[dict] = None) -> dict:
    """Run the whole pipeline and write the results to ``opts.out``; returns the report dict
    (what ``report.json`` holds). Raises ``ReprvizError`` subclasses for user mistakes."""
    started = time.perf_counter()
    _check_options(opts)
    notes: list[str] = []
    dataset = load_data(opts, notes, on_progress, should_stop)
    return analyze_dataset(opts, dataset, notes, on_progress, should_stop, started, keep)


def analyze_dataset(opts: AnalyzeOptions, dataset: Dataset, notes: list[str],
                    on_progress: ProgressFn | None = None, should_stop: StopFn | None = None,
                    started: Optional[float] = None, keep: Optional[dict] = None) -> dict:
    """Everything after loading (a sweep loads its data once and calls this per run).
    ``keep``, when given, receives the objects made (model, samples, layer, map, evaluation,
    training): ``analyze --session`` writes the session file from them."""
    started = time.perf_counter() if started is None else started
    out = Path(opts.out)
    method = str(opts.projection).lower()
    word_table = _is_word_table(dataset)
    step = prepare_model(opts, dataset, notes)
    model, layer_name, model_info, spec = step.model, step.layer_name, step.info, step.spec
    n_selected = check_memory(opts, dataset, step)
    from ..data.samples import make_sample_set

    # the samples every section shows; chosen before training, so --film records them
    samples = make_sample_set(dataset, n_selected, "test", seed=opts.seed)
    recorder = None
    if opts.film:
        from .report_film import film_recorder_for

        recorder = film_recorder_for(model, dataset, samples, layer_name,
                                     trained_epochs(opts), notes, depth=opts.measures,
                                     seed=opts.seed)
    trained = train_model(opts, dataset, step, notes, on_progress, should_stop,
                          callbacks=(recorder,) if recorder is not None else ())
    if model is not None and opts.save_model is not None:
        from ..model.files import save_model_file

        save_path = save_model_file(model, opts.save_model)
        model_info["saved_to"] = str(save_path.resolve())
    evaluation = evaluate_model(step, dataset, trained, on_progress, should_stop)
    confusion = split_confusion(opts, step, dataset, trained, evaluation, notes)
    run_history = record_history(opts, dataset, step, trained, evaluation, notes)

    # 6-7. the layer's activations, similarity and map: the window's own pipeline
    from ..pipeline import analyse_layer, layer_map

    idx, labels = samples.indices, samples.labels
    predictions = (evaluation.predictions[idx].astype(np.int64) if evaluation is not None
                   else np.full(len(idx), -1, dtype=np.int64))
    every = opts.samples == ALL_SAMPLES  # streamed, cosine and measures on a spread subset
    layer = analyse_layer(model, dataset, samples, layer_name, on_progress, should_stop,
                          reduction=opts.reduction, sample_cosine=every, stream=every,
                          cosine_max_n=SAMPLED_STEPS_MAX if every else None,
                          keep_cosine=opts.figures or keep is not None)  # cosine.png, session
    acts, cos, centroid = layer.activations, layer.cosine, layer.centroid_cosine
    cos_rows = layer.cosine_rows
    if layer.note and every:
        notes.append(layer.note.rstrip(".") + ": report.json's similarity and cosine.png "
                     "show those; the map and activations.npy have every sample.")
    check_stop(should_stop)
    report(on_progress, "analyse", 0.0, "Cosine similarity…")
    if cos is None:  # no figure and no session keep the matrix: the means from the rows
        from ..analysis.similarity import within_between_of_rows

        pick = slice(None) if cos_rows is None else cos_rows
        similarity = within_between_of_rows(np.asarray(acts[pick]), labels[pick])
    else:
        similarity = analysis.within_between_similarity(
            cos, labels if cos_rows is None else labels[cos_rows])
    similarity["centroid_cosine"] = centroid
    map_params = {"pca_components": int(opts.pca_components)} if method == "pca-tsne" else {}
    proj = layer_map(acts, method, seed=opts.seed, on_progress=on_progress,
                     should_stop=should_stop, **map_params)
    if proj.note:
        notes.append(proj.note)

    # 7b. what each layer knows, how far to trust the map, where two models part
    from .report_measures import MEASURE_KEYS, measures_sections

    measured: dict[str, Any] = dict.fromkeys(MEASURE_KEYS)
    if opts.measures:
        m_samples, m_rows = samples, None
        if every and samples.n > SAMPLED_STEPS_MAX:
            m_rows = sample_rows(samples.n, SAMPLED_STEPS_MAX, opts.seed)
            m_samples = subset_samples(samples, m_rows)
            notes.append(f"The measures (layer_metrics, cka, map_quality, "
                         f"similarity_vs_confusion) use {len(m_rows):,} of the {samples.n:,} "
                         "samples, spread evenly over them: they read every layer and compare "
                         "neighbours, which grows as N squared; the map has every sample.")
        pick = (lambda a: a) if m_rows is None else (lambda a: a[m_rows])
        measured = measures_sections(
            model, dataset, m_samples, layer_name, np.asarray(pick(acts)),
            pick(predictions) if evaluation is not None else None, pick(proj.coords),
            proj.method, {**proj.params, **map_params}, opts, on_progress, should_stop)

    film, film_files = None, []
    if recorder is not None:
        from .report_film import film_section

        film, film_path = film_section(recorder, samples, method, opts.seed, out, on_progress,
                                       should_stop, **map_params)
        film_files.append(film_path)
    # 7c. your own inputs: images, expressions, reviews put through the model and onto the map
    from ..analysis.own_input import inputs_section

    own_inputs = inputs_section(dataset, model, layer_name, acts, proj.coords, proj.method,
                                opts.seed, opts.inputs, opts.queries, opts.reviews,
                                reduction=opts.reduction, map_params=map_params,
                                should_stop=should_stop)

    # 8. word tables: nearest target of each query word, nearest neighbours, analogies; the
    # first selected samples
    from .report_sections import samples_preview, typical_section, word_arrows, word_sections

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
        # one loss definition for every split (incl. the L2 penalty), cross-entropy beside it
        "loss": dict(evaluation.loss) if evaluation is not None else None,
        "cross_entropy": dict(evaluation.cross_entropy) if evaluation is not None else None,
        "l2_penalty": float(evaluation.penalty) if evaluation is not None else None,
        "confusion_matrix": evaluation.confusion if evaluation is not None else None,
        # the Typical inputs view's numbers: per class, the k most typical and most wrong
        "typical": typical_section(evaluation, class_names),
        # on --confusion-split (train / validation / test); confusion_matrix is the test split's
        "confusion": confusion,
        "per_class_accuracy": (dict(zip(class_names, evaluation.per_class_accuracy.tolist()))
                               if evaluation is not None else None),
        "top_confused_pairs": evaluation.top_pairs if evaluation is not None else None,
        "top_confused_pairs_named": named_pairs,
        "classification_report": evaluation.report if evaluation is not None else None,
        "layer": layer_report(acts, labels, class_names, layer_name, layers,
                              opts.layer is None, layer.reduction),
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
        **measured,
        "film": film,
        "inputs": own_inputs,
    }

    # 10. files
    report(on_progress, "write", 0.0, f"Writing results to {out}…")
    # all samples: the activations as activations.npy (memory-mapped by np.load(mmap_mode="r")),
    # not compressed into the .npz (which would hold them all in memory to write them)
    big = {} if every else {"activations": acts}
    files = [write_npz(out / "activations.npz", **big, labels=labels,
                       predictions=predictions, sample_indices=idx.astype(np.int64),
                       coords=proj.coords, class_names=np.array(class_names, dtype=str),
                       layer=np.array(layer_name, dtype=str))]
    if every:
        files.append(write_npy_beside(out / "activations.npy", acts))
    if opts.figures:
        from .figures import write_figures  # matplotlib: only when figures are asked for

        files += write_figures(out, acts, labels, predictions if evaluation is not None else None,
                               class_names, cos, proj,
                               confusion["matrix"] if confusion is not None else None,
                               confusion_split=confusion["split"] if confusion else "test",
                               words=([dataset.words[i] for i in idx] if word_table else None),
                               title=f"{dataset.name} · " + (
                                   model_info.get("preset") or Path(spec).name if model is not None
                                   else ("word vectors" if word_table else "raw values")),
                               layer_name=layer_name,
                               arrows=word_arrows(dataset, idx) if word_table else None,
                               notes=notes, cosine_rows=cos_rows)
    files += film_files
    files += _write_exports(opts, acts, samples, proj.coords, layer_name,
                            evaluation if model is not None else None, notes)
    result["files"] = [p.name for p in files] + ["report.json"]
    result["seconds"] = round(time.perf_counter() - started, 3)
    result = _jsonable(result)
    if keep is not None:
        keep.update(dataset=dataset, model=model, step=step, trained=trained, layer=layer,
                    evaluation=evaluation, samples=samples, proj=proj, method=method,
                    map_params=map_params, run_history=run_history)
    write_json(out / "report.json", result)
    report(on_progress, "write", 1.0, f"Wrote {len(result['files'])} files to {out}")
    return result


def _write_exports(opts: AnalyzeOptions, acts: np.ndarray, samples: Any, coords: np.ndarray,
                   layer_name: str, evaluation: Any, notes: list[str]) -> list[Path]:
    """``--projector DIR`` and ``--export-csv DIR``: the window's exports, headless."""
    from .projector import write_projector_samples
    from . import tables

    written: list[Path] = []
    preds = evaluation.predictions[samples.indices] if evaluation is not None and \
        evaluation.split == samples.split else None
    if opts.projector is not None:
        bundle = write_projector_samples(opts.projector, acts, samples, preds,
                                         tensor_name=layer_name or "layer")
        notes.extend(bundle.notes)
        written += list(bundle.files)
    if opts.export_csv is not None:
        folder = Path(opts.export_csv)
        folder.mkdir(parents=True, exist_ok=True)
        common = dict(indices=samples.indices, split=samples.split, labels=samples.labels,
                      predictions=preds)
        written += [tables.write_map_csv(folder / "map.csv", coords,
                                         class_names=samples.class_names, **common),
                    tables.write_map_npy(folder / "map.npy", coords, **common),
                    tables.write_activations_npy(folder / "activations.npy", acts),
                    tables.write_metrics_csv(folder / "layer_metrics.csv", tables.layer_summary(
                        acts, samples.labels, samples.class_names))]
        if evaluation is not None:
            written += [tables.write_confusion_csv(folder / "confusion.csv",
                                                   evaluation.confusion, samples.class_names),
                        tables.write_report_csv(folder / "report.csv", evaluation.report,
                                                evaluation.accuracy)]
    return written


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
        loss, ce = result.get("loss") or {}, result.get("cross_entropy") or {}
        if loss:
            with_l2 = bool(result.get("l2_penalty"))
            lines.append(("loss incl. L2 penalty: " if with_l2 else "loss (cross-entropy): ")
                         + ", ".join(f"{k} {v:.4f}" + (f" (cross-entropy {ce[k]:.4f})"
                                                        if with_l2 and k in ce else "")
                                     for k, v in loss.items()))
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
