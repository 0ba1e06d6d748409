"""Accuracy per split and the classification report as table rows a view can sort.

The numbers come from ``core.model.training.evaluate`` (``Evaluation.accuracy`` and
``Evaluation.report``, which is ``metrics.classification_report``: scikit-learn's
``classification_report(output_dict=True)`` layout)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

SPLIT_ORDER = ("train", "validation", "test")

# (field, column header) in the order a table shows them
REPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("label", "Class"), ("precision", "Precision"), ("recall", "Recall"),
    ("f1", "F1"), ("support", "Support"),
)

_SUMMARIES = ("accuracy", "macro avg", "weighted avg")


@dataclass(frozen=True)
class ReportRow:
    label: str  # the class name, or "accuracy" / "macro avg" / "weighted avg"
    kind: str  # "class", "accuracy" or "average": a view keeps the last two below the classes
    class_index: Optional[int]  # position among the classes; None for summary rows
    precision: Optional[float]  # None on the accuracy row
    recall: Optional[float]  # None on the accuracy row
    f1: float  # the accuracy row holds the accuracy here, as scikit-learn's text report does
    support: int


@dataclass(frozen=True)
class AccuracyRow:
    split: str  # "train", "validation" or "test"
    accuracy: float


def report_rows(report: dict) -> list[ReportRow]:
    """One row per class (in the report's order), then accuracy, macro avg, weighted avg.
    ``report``: ``Evaluation.report`` / ``metrics.classification_report(...)``."""
    rows = []
    classes = [k for k in report if k not in _SUMMARIES]
    for i, name in enumerate(classes):
        entry = report[name]
        rows.append(ReportRow(str(name), "class", i, float(entry["precision"]),
                              float(entry["recall"]), float(entry["f1-score"]),
                              int(entry["support"])))
    if "accuracy" in report:
        total = int(sum(int(report[c]["support"]) for c in classes))
        rows.append(ReportRow("accuracy", "accuracy", None, None, None,
                              float(report["accuracy"]), total))
    for avg in ("macro avg", "weighted avg"):
        if avg in report:
            entry = report[avg]
            rows.append(ReportRow(avg, "average", None, float(entry["precision"]),
                                  float(entry["recall"]), float(entry["f1-score"]),
                                  int(entry["support"])))
    return rows


def accuracy_rows(accuracy: dict[str, float]) -> list[AccuracyRow]:
    """``Evaluation.accuracy`` as rows in the order train, validation, test (those present;
    any other split after them)."""
    known = [s for s in SPLIT_ORDER if s in accuracy]
    extra = [s for s in accuracy if s not in SPLIT_ORDER]
    return [AccuracyRow(s, float(accuracy[s])) for s in known + extra]
