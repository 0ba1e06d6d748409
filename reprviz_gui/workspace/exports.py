"""Exports of what the workspace shows, from its frozen results: the projector bundle, the tables
and the HTML report. The window's *File → Export…*, ``analyze`` and ``main.py export SESSION``
all call these; they take results (``workspace/results.py``), never widgets, and no Qt. The
figures of the views are ``views/export.py`` (they need the drawn views).

Each function returns the files it wrote; ``ExportNote`` lines say what was left out and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from ..core.io import tables
from ..core.io.history import export_csv as history_csv
from ..core.io.html_report import ReportFigure, write_html_report
from ..core.io.projector import ProjectorBundle, write_projector_samples
from ..core.progress import ProgressFn, StopFn, check_stop, report
from .results import EvaluationResult, LayerResult, ProjectionResult
from .state import Selection

TABLE_NAMES = {"map_csv": "map.csv", "map_npy": "map.npy", "activations": "activations.npy",
               "confusion": "confusion.csv", "report": "report.csv",
               "layer_metrics": "layer_metrics.csv", "history": "runs.csv"}


@dataclass
class Written:
    """Files an export wrote, and notes for the user (what was left out, a limit that applied)."""

    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def selected_rows(samples: Any, selection: Optional[Selection]) -> np.ndarray:
    """Rows of ``samples`` that the selection holds (empty without one)."""
    if selection is None or selection.empty or samples is None:
        return np.zeros(0, dtype=np.int64)
    return samples.rows_of(selection.split, selection.indices)


def export_projector(folder: str | Path, layer: LayerResult, *, binary: bool = False,
                     on_progress: ProgressFn | None = None,
                     should_stop: StopFn | None = None) -> ProjectorBundle:
    """The layer's TensorBoard projector bundle (``core/io/projector.py``) in ``folder``."""
    name = layer.layer_name or "layer"
    return write_projector_samples(folder, layer.activations, layer.samples, layer.predictions,
                                   tensor_name=name, binary=binary, on_progress=on_progress,
                                   should_stop=should_stop)


def export_tables(folder: str | Path, *, layer: Optional[LayerResult] = None,
                  projection: Optional[ProjectionResult] = None,
                  evaluation: Optional[EvaluationResult] = None,
                  selection: Optional[Selection] = None, history: Sequence[Any] = (),
                  layer_metrics: Optional[Mapping[str, Any]] = None, prefix: str = "",
                  on_progress: ProgressFn | None = None,
                  should_stop: StopFn | None = None) -> Written:
    """Every table there is a result for, into ``folder`` (``TABLE_NAMES``, each name after
    ``prefix``: "B-" for a compared model): the map with the selection (CSV and NPY), the
    activations (NPY), the confusion matrix, report and accuracy, the layer's metrics (given, or
    the summary the *Layer statistics* view shows) and the run history (CSV)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = Written()

    def path(key: str) -> Path:
        return folder / f"{prefix}{TABLE_NAMES[key]}"

    steps = 6
    if projection is not None:
        s = projection.samples
        rows = selected_rows(s, selection)
        common = dict(indices=s.indices, split=s.split, labels=s.labels,
                      predictions=projection.predictions, selected_rows=rows)
        out.files.append(tables.write_map_csv(path("map_csv"), projection.coords,
                                              class_names=s.class_names, **common))
        out.files.append(tables.write_map_npy(path("map_npy"), projection.coords, **common))
        if projection.preview:
            out.notes.append(f"The map is the PCA shown while {projection.method} computes.")
    else:
        out.notes.append("No map to export yet.")
    report(on_progress, "export", 1 / steps, "Map written")
    check_stop(should_stop)
    if layer is not None:
        out.files.append(tables.write_activations_npy(path("activations"), layer.activations))
        metrics = dict(layer_metrics) if layer_metrics is not None else \
            tables.layer_summary(layer.activations, layer.samples.labels,
                                 layer.samples.class_names)
        out.files.append(tables.write_metrics_csv(path("layer_metrics"), metrics))
    else:
        out.notes.append("No layer's activations to export yet.")
    report(on_progress, "export", 3 / steps, "Activations written")
    check_stop(should_stop)
    if evaluation is not None:
        out.files.append(tables.write_confusion_csv(path("confusion"), evaluation.confusion,
                                                    evaluation.class_names))
        out.files.append(tables.write_report_csv(path("report"), evaluation.report,
                                                 evaluation.accuracy))
    else:
        out.notes.append("No evaluation (confusion matrix, report): train or load a model.")
    report(on_progress, "export", 5 / steps, "Evaluation written")
    if history:
        out.files.append(history_csv(list(history), path("history")))
    report(on_progress, "export", 1.0, "Tables written")
    return out


def export_html(path: str | Path, *, dataset: str = "", model: str = "",
                layer: Optional[LayerResult] = None,
                evaluation: Optional[EvaluationResult] = None,
                curves: Optional[Mapping[str, Sequence[float]]] = None,
                figures: Sequence[ReportFigure] = (), history: Sequence[Any] = (),
                details: Optional[Mapping[str, Any]] = None, title: str = "",
                notes: Sequence[str] = ()) -> Path:
    """The session's HTML report (``core/io/html_report.py``); ``figures`` are the views as
    PNG (``views/export.py: report_figures``)."""
    layer_name = layer.layer_name if layer is not None else ""
    facts: dict[str, Any] = {}
    if layer is not None:
        facts["Samples shown"] = f"{layer.samples.n:,} ({layer.samples.split} split)"
        facts["Units in the layer"] = int(np.asarray(layer.activations).reshape(
            layer.samples.n, -1).shape[1])
    facts.update(details or {})
    return write_html_report(
        path, title=title or (f"reprviz · {dataset}" if dataset else "reprviz report"),
        dataset=dataset, model=model, layer=layer_name, details=facts, curves=curves,
        accuracy=evaluation.accuracy if evaluation is not None else None,
        report=evaluation.report if evaluation is not None else None,
        confusion=evaluation.confusion if evaluation is not None else None,
        class_names=evaluation.class_names if evaluation is not None else (),
        figures=figures, history=history, notes=notes)
