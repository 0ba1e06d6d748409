"""The HTML report of a session: one self-contained file (no links out, images inlined as base64
PNG) with the dataset, the model, the training curves, the accuracy per split and the
classification report, the confusion matrix, the current layer's views and the run history —
what a teacher hands out after a class. Every text that came from a file (dataset, class, layer
and model names, a history row's fields) is escaped with ``html.escape``. No Qt here: the views'
images come in as PNG bytes (``views/export.py`` renders them); the curves are drawn here with
matplotlib so that a report made without a window has them too.
"""

from __future__ import annotations

import base64
import html
import io
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from ..analysis.reports import accuracy_rows, report_rows
from .atomic import atomic_write_text

HISTORY_COLUMNS = (("time", "Time"), ("dataset", "Dataset"), ("architecture", "Model"),
                   ("optimizer", "Optimizer"), ("learning_rate", "LR"), ("l2", "L2"),
                   ("epochs_done", "Epochs"), ("val_accuracy", "Val. acc."),
                   ("val_loss", "Val. loss"), ("test_accuracy", "Test acc."),
                   ("test_loss", "Test loss"), ("status", "Status"))

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { margin-bottom: 0.2em; } .meta { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; } th { background: #f2f2f2; }
td.diag { font-weight: bold; background: #e8f0fe; }
figure { display: inline-block; margin: 0 1em 1em 0; vertical-align: top; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { color: #444; font-size: 0.9em; }
.note { color: #8a5a00; }
"""


@dataclass(frozen=True)
class ReportFigure:
    """One image of the report: a view as PNG bytes and its caption."""

    caption: str
    png: bytes


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _num(value: Any, digits: int = 3) -> str:
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return "" if not math.isfinite(f) else f"{f:.{digits}g}" if abs(f) < 1e-3 and f else \
            f"{f:.{digits}f}"
    return _e(value)


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def curves_png(history: Mapping[str, Sequence[float]]) -> Optional[bytes]:
    """Loss and accuracy per epoch (train and validation) as a PNG; None without epochs."""
    if not history or not any(len(v) for v in history.values()):
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 3.2), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    panels = [("loss", "Loss"), ("accuracy", "Accuracy")]
    axes = fig.subplots(1, 2)
    for ax, (key, title) in zip(axes, panels):
        for name, style in ((key, "-"), (f"val_{key}", "--")):
            values = history.get(name)
            if values:
                ax.plot(range(1, len(values) + 1), values, style, marker="o", markersize=3,
                        label="validation" if name.startswith("val_") else "train")
        ax.set_title(title)
        ax.set_xlabel("epoch")
        if ax.lines:
            ax.legend()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _confusion_table(cm: np.ndarray, class_names: Sequence[str]) -> str:
    names = [class_names[k] if k < len(class_names) else str(k) for k in range(len(cm))]
    head = "".join(f"<th>{_e(n)}</th>" for n in names)
    rows = []
    for i, name in enumerate(names):
        cells = "".join(f'<td{" class=diag" if i == j else ""}>{int(v):,}</td>'
                        for j, v in enumerate(cm[i]))
        rows.append(f"<tr><th>{_e(name)}</th>{cells}</tr>")
    return (f"<table><tr><th>true \\ predicted</th>{head}</tr>" + "".join(rows) + "</table>")


def _report_table(report: Mapping[str, Any]) -> str:
    rows = [f"<tr><td>{_e(r.label)}</td><td>{_num(r.precision)}</td><td>{_num(r.recall)}</td>"
            f"<td>{_num(r.f1)}</td><td>{_num(r.support)}</td></tr>"
            for r in report_rows(dict(report))]
    return ("<table><tr><th>Class</th><th>Precision</th><th>Recall</th><th>F1</th>"
            "<th>Support</th></tr>" + "".join(rows) + "</table>")


def _history_value(row: Any, key: str) -> Any:
    if isinstance(row, Mapping):
        return row.get(key)
    return getattr(row, key, None)


def _history_table(rows: Sequence[Any]) -> str:
    head = "".join(f"<th>{_e(title)}</th>" for _, title in HISTORY_COLUMNS)
    body = []
    for row in rows:
        cells = "".join(f"<td>{_num(_history_value(row, key), 4)}</td>"
                        for key, _ in HISTORY_COLUMNS)
        body.append(f"<tr>{cells}</tr>")
    return f"<table><tr>{head}</tr>" + "".join(body) + "</table>"


def html_report_text(*, title: str = "reprviz report", dataset: str = "", model: str = "",
                     layer: str = "", details: Mapping[str, Any] | None = None,
                     curves: Mapping[str, Sequence[float]] | None = None,
                     accuracy: Mapping[str, float] | None = None,
                     report: Mapping[str, Any] | None = None,
                     confusion: Optional[np.ndarray] = None, class_names: Sequence[str] = (),
                     figures: Sequence[ReportFigure] = (), history: Sequence[Any] = (),
                     notes: Sequence[str] = (), created: Optional[datetime] = None) -> str:
    """The report as one HTML document. ``details``: more facts about the data or model (name →
    value), ``curves``: Keras's history dict (loss, accuracy, val_…), ``history``: run-history
    rows (``RunRecord`` objects or their JSON dicts)."""
    when = (created or datetime.now().astimezone()).strftime("%Y-%m-%d %H:%M")
    parts = [f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{_e(title)}</title>"
             f"<style>{_CSS}</style></head><body>",
             f"<h1>{_e(title)}</h1><p class=meta>Made by reprviz on {_e(when)}</p>"]
    facts = [("Dataset", dataset), ("Model", model), ("Layer", layer)]
    facts += list((details or {}).items())
    facts = [(k, v) for k, v in facts if v not in (None, "")]
    if facts:
        parts.append("<h2>Dataset and model</h2><table>" + "".join(
            f"<tr><th>{_e(k)}</th><td>{_num(v) if not isinstance(v, str) else _e(v)}</td></tr>"
            for k, v in facts) + "</table>")
    for note in notes:
        parts.append(f"<p class=note>{_e(note)}</p>")
    png = curves_png(curves or {})
    if png is not None:
        parts.append("<h2>Training curves</h2>" + _img(png, "loss and accuracy per epoch"))
    if accuracy:
        parts.append("<h2>Accuracy</h2><table><tr><th>Split</th><th>Accuracy</th></tr>" + "".join(
            f"<tr><td>{_e(a.split)}</td><td>{a.accuracy:.2%}</td></tr>"
            for a in accuracy_rows(dict(accuracy))) + "</table>")
    if report:
        parts.append("<h2>Classification report</h2>" + _report_table(report))
    if confusion is not None:
        parts.append("<h2>Confusion matrix</h2>"
                     + _confusion_table(np.asarray(confusion), class_names))
    if figures:
        parts.append("<h2>Views" + (f" of layer {_e(layer)}" if layer else "") + "</h2>")
        for fig in figures:
            parts.append(f"<figure>{_img(fig.png, fig.caption)}"
                         f"<figcaption>{_e(fig.caption)}</figcaption></figure>")
    if history:
        parts.append("<h2>Run history</h2>" + _history_table(history))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_html_report(path: str | Path, **kwargs: Any) -> Path:
    """Write ``html_report_text(**kwargs)`` to ``path`` atomically."""
    return atomic_write_text(Path(path), html_report_text(**kwargs))
