"""Accuracy and report view: the numbers are scikit-learn's, accuracy per split in the notes'
order, sorting by a real header click moves only the classes (summary rows stay below), a click
on a class selects its samples, the shared selection is counted per class, two classes read
as a binary report."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from sklearn.metrics import classification_report as sk_report

from reprviz_gui.core.analysis import metrics
from reprviz_gui.views.report import ReportView
from reprviz_gui.workspace.results import EvaluationResult
from reprviz_gui.workspace.state import ResultTag, Selection

NAMES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat"]
LEFT = Qt.MouseButton.LeftButton


def evaluation(names=NAMES, n=400, seed=0, accuracy=None) -> EvaluationResult:
    rng = np.random.default_rng(seed)
    k = len(names)
    y = rng.integers(0, k, n)
    pred = np.where(rng.random(n) < 0.7, y, rng.integers(0, k, n))
    cm = metrics.confusion_matrix(y, pred, k)
    return EvaluationResult(
        ResultTag(1, "", "A", 1), cm, tuple(names),
        accuracy or {"test": float((y == pred).mean()), "train": 0.9812, "validation": 0.95},
        metrics.per_class_accuracy(cm), (), metrics.classification_report(y, pred, names),
        split="test", labels=y, predictions=pred)


@pytest.fixture
def view(qtbot):
    v = ReportView()
    qtbot.addWidget(v)
    v.resize(640, 520)
    v.show()
    qtbot.waitExposed(v)
    return v


def click_header(qtbot, view, title):
    header = view.table.horizontalHeader()
    col = [view.proxy.headerData(c, Qt.Orientation.Horizontal)
           for c in range(view.proxy.columnCount())].index(title)
    x = header.sectionViewportPosition(col) + header.sectionSize(col) // 2
    qtbot.mouseClick(header.viewport(), LEFT, pos=QPoint(x, header.height() // 2))


def test_report_is_scikit_learns_and_accuracy_in_split_order(qtbot, view):
    ev = evaluation()
    view.show_result(ev)
    shown = view.displayed()
    assert shown["header"] == ["Class", "Precision", "Recall", "F1", "Support"]
    assert list(shown["accuracy"]) == ["train", "validation", "test"]
    assert shown["accuracy"]["train"] == "0.9812  (98.1%)"
    ref = sk_report(ev.labels, ev.predictions, labels=list(range(5)), target_names=NAMES,
                    output_dict=True, zero_division=0)
    rows = shown["rows"]
    assert [r[0] for r in rows] == NAMES + ["accuracy", "macro avg", "weighted avg"]
    for r in rows:
        if r[0] == "accuracy":
            assert r[1:4] == ["", "", f"{ref['accuracy']:.3f}"] and r[4] == "400"
            continue
        e = ref[r[0]]
        assert r[1:] == [f"{e['precision']:.3f}", f"{e['recall']:.3f}", f"{e['f1-score']:.3f}",
                         f"{int(e['support']):,}"]


def test_sorting_by_a_header_click_keeps_summaries_below(qtbot, view):
    ev = evaluation(seed=1)
    view.show_result(ev)
    ref = sk_report(ev.labels, ev.predictions, labels=list(range(5)), target_names=NAMES,
                    output_dict=True, zero_division=0)
    by_f1 = sorted(NAMES, key=lambda n: ref[n]["f1-score"])
    click_header(qtbot, view, "F1")
    rows = view.table_rows()
    order = view.table.horizontalHeader().sortIndicatorOrder()
    classes = [r[0] for r in rows[:5]]
    assert classes in (by_f1, by_f1[::-1])
    assert classes == (by_f1 if order == Qt.SortOrder.AscendingOrder else by_f1[::-1])
    assert [r[0] for r in rows[5:]] == ["accuracy", "macro avg", "weighted avg"]
    click_header(qtbot, view, "F1")  # the other way round
    rows = view.table_rows()
    assert [r[0] for r in rows[:5]] == classes[::-1]
    assert [r[0] for r in rows[5:]] == ["accuracy", "macro avg", "weighted avg"]
    click_header(qtbot, view, "Support")
    supports = [int(r[4].replace(",", "")) for r in view.table_rows()[:5]]
    assert supports in (sorted(supports), sorted(supports, reverse=True))


def test_clicking_a_class_selects_it_and_the_selection_is_counted(qtbot, view):
    ev = evaluation(seed=2)
    view.show_result(ev)
    got = []
    view.selection_requested.connect(lambda sel, add: got.append((sel, add)))
    rect = view.table.visualRect(view.proxy.index(2, 0))  # "Pullover"
    qtbot.mouseClick(view.table.viewport(), LEFT, pos=rect.center())
    sel, additive = got[-1]
    assert sel.split == "test" and not additive
    np.testing.assert_array_equal(sel.indices, np.flatnonzero(ev.labels == 2))
    summary = view.table.visualRect(view.proxy.index(6, 0))  # "macro avg": not a class
    qtbot.mouseClick(view.table.viewport(), LEFT, pos=summary.center())
    assert len(got) == 1
    # the shared selection comes back: a "Selected" column counts it per class
    chosen = np.concatenate([np.flatnonzero(ev.labels == 2)[:7],
                             np.flatnonzero(ev.labels == 4)[:3]])
    view.set_selection(Selection.of("test", chosen))
    shown = view.displayed()
    assert shown["header"][-1] == "Selected"
    counts = {r[0]: r[-1] for r in shown["rows"]}
    assert counts["Pullover"] == "7" and counts["Coat"] == "3" and counts["T-shirt"] == ""
    assert counts["accuracy"] == "10"
    view.set_selection(Selection())
    assert view.displayed()["header"][-1] == "Support"


def test_two_classes_read_as_a_binary_report(qtbot, view):
    ev = evaluation(names=["negative", "positive"], n=300, seed=3,
                    accuracy={"test": 0.86, "train": 0.9})
    view.show_result(ev)
    shown = view.displayed()
    assert [r[0] for r in shown["rows"]][:2] == ["negative", "positive"]
    assert "“positive” as the positive class" in shown["caption"]
    assert list(shown["accuracy"]) == ["train", "test"]
    view.clear("Train the model")
    assert view.displayed() == {} and view.hint_text() == "Train the model"
