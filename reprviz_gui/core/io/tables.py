"""Tables of what the views show, for a spreadsheet, pandas or numpy: the map's coordinates with
the selection (CSV and NPY), a layer's activations (NPY), the confusion matrix, the accuracy and
classification report, layer metrics (CSV). Plain arrays in, files out, each written atomically;
every CSV cell goes through ``csv_safe`` (class names come from the user's files). No Qt here.

NPY files load with ``np.load(path)`` (``allow_pickle=False``): the map table is a structured
array with the fields of the CSV's columns (classes as their index, ``predicted`` -1 without a
model), the activations a plain float32 (N, D) array.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from ..analysis.reports import accuracy_rows, report_rows
from .atomic import atomic_write
from .csv_safe import write_csv

MAP_COLUMNS = ("index", "split", "x", "y", "true", "predicted", "selected")


def _class_name(class_names: Sequence[str], k: int) -> str:
    return class_names[k] if 0 <= k < len(class_names) else str(k)


def selected_mask(n: int, selected_rows: Optional[np.ndarray]) -> np.ndarray:
    """(n,) bool: True on the selected rows (rows of the sample set, as views hold them)."""
    mask = np.zeros(n, dtype=bool)
    if selected_rows is not None and len(selected_rows):
        rows = np.asarray(selected_rows, dtype=np.int64)
        mask[rows[(rows >= 0) & (rows < n)]] = True
    return mask


def map_table(coords: np.ndarray, *, indices: np.ndarray, split: str, labels: np.ndarray,
              predictions: Optional[np.ndarray] = None,
              selected_rows: Optional[np.ndarray] = None) -> np.ndarray:
    """The map as a structured array, one record per sample: ``MAP_COLUMNS``."""
    xy = np.asarray(coords, dtype=np.float32).reshape(-1, 2)
    n = len(xy)
    width = max(8, len(split))
    table = np.zeros(n, dtype=[("index", "<i8"), ("split", f"<U{width}"), ("x", "<f4"),
                               ("y", "<f4"), ("true", "<i8"), ("predicted", "<i8"),
                               ("selected", "?")])
    table["index"] = np.asarray(indices, dtype=np.int64)
    table["split"] = split
    table["x"], table["y"] = xy[:, 0], xy[:, 1]
    table["true"] = np.asarray(labels, dtype=np.int64)
    table["predicted"] = -1 if predictions is None else np.asarray(predictions, dtype=np.int64)
    table["selected"] = selected_mask(n, selected_rows)
    return table


def write_map_csv(path: str | Path, coords: np.ndarray, *, indices: np.ndarray, split: str,
                  labels: np.ndarray, class_names: Sequence[str],
                  predictions: Optional[np.ndarray] = None,
                  selected_rows: Optional[np.ndarray] = None) -> Path:
    """The map's points as CSV (``MAP_COLUMNS``; classes by name, ``selected`` true/false)."""
    t = map_table(coords, indices=indices, split=split, labels=labels, predictions=predictions,
                  selected_rows=selected_rows)
    rows = ([int(r["index"]), split, float(r["x"]), float(r["y"]),
             _class_name(class_names, int(r["true"])),
             "" if r["predicted"] < 0 else _class_name(class_names, int(r["predicted"])),
             bool(r["selected"])] for r in t)
    return write_csv(path, MAP_COLUMNS, rows)


def write_map_npy(path: str | Path, coords: np.ndarray, *, indices: np.ndarray, split: str,
                  labels: np.ndarray, predictions: Optional[np.ndarray] = None,
                  selected_rows: Optional[np.ndarray] = None) -> Path:
    """The map's points as a structured NPY array (``map_table``)."""
    t = map_table(coords, indices=indices, split=split, labels=labels, predictions=predictions,
                  selected_rows=selected_rows)
    return write_npy(path, t)


def write_npy(path: str | Path, array: np.ndarray) -> Path:
    """One array as .npy (no pickle: object arrays are refused)."""
    arr = np.asarray(array)
    if arr.dtype == object:
        raise ValueError("an object array would need pickle to load")
    return atomic_write(Path(path), lambda fh: np.save(fh, arr, allow_pickle=False))


def write_activations_npy(path: str | Path, activations: np.ndarray) -> Path:
    """A layer's activations, (N, D) float32 in the sample set's row order."""
    return write_npy(path, np.asarray(activations, dtype=np.float32))


def write_confusion_csv(path: str | Path, confusion: np.ndarray,
                        class_names: Sequence[str]) -> Path:
    """Rows: true class; columns: predicted class (a header row and column of class names)."""
    cm = np.asarray(confusion)
    names = [_class_name(class_names, k) for k in range(cm.shape[0])]
    rows = ([names[i], *(int(v) for v in cm[i])] for i in range(cm.shape[0]))
    return write_csv(path, ["true \\ predicted", *names], rows)


def write_report_csv(path: str | Path, report: Mapping[str, Any],
                     accuracy: Optional[Mapping[str, float]] = None) -> Path:
    """The classification report (scikit-learn's ``output_dict`` layout) as rows: class (or
    accuracy / macro avg / weighted avg), precision, recall, F1, support; then one row per split
    with its accuracy (in the F1 column's place, as scikit-learn's text report puts it)."""
    rows: list[list[Any]] = [[r.label, r.precision, r.recall, r.f1, r.support]
                             for r in report_rows(dict(report))]
    for a in accuracy_rows(dict(accuracy or {})):
        rows.append([f"accuracy ({a.split})", None, None, a.accuracy, None])
    return write_csv(path, ["class", "precision", "recall", "f1", "support"], rows)


def write_metrics_csv(path: str | Path, metrics: Mapping[str, Any]) -> Path:
    """Named values (a layer's metrics) as two columns: metric, value."""
    return write_csv(path, ["metric", "value"], [[k, v] for k, v in metrics.items()])


def layer_summary(activations: np.ndarray, labels: np.ndarray,
                  class_names: Sequence[str]) -> dict[str, Any]:
    """The layer's statistics as the *Layer statistics* view shows them
    (``metrics.layer_statistics``), flat: the class means as ``mean · <class>`` rows."""
    from ..analysis.metrics import layer_statistics

    stats = layer_statistics(activations, labels, class_names)
    out = {k: v for k, v in stats.items() if k != "class_means"}
    out.update({f"mean · {name}": v for name, v in stats["class_means"].items()})
    return out
