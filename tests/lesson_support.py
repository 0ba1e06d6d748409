"""Walking a lesson as a student would (tests/test_lessons_*.py): Help → Lessons opens it,
*Do it* and *Next* are clicked at every step, and every question is answered from what the
window shows (the confusion view's counts, the words view's summary line, the course's own
layer widths) and must be judged right."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from gui_support import click
from PySide6.QtCore import Qt

from reprviz_gui.core.lessons import builtin_lessons
from reprviz_gui.core.lessons.format import Question

REPO = Path(__file__).resolve().parents[1]
LESSONS = dict(builtin_lessons())
# the course's own numbers: the width of each layer a lesson asks about
COURSE_WIDTHS = {"hidden_2": 144, "bilstm": 128, "hidden_1": 14}


def _shown_confusion(win, sid: str = "A") -> tuple[np.ndarray, list[str]]:
    shown = win.view("confusion", sid).displayed()
    return shown["counts"], shown["rows"]


def _answer_ready(win, q: Question) -> bool:
    """The views the answer is read from show the current model."""
    if q.fact == "analogies_right":
        return bool(win.view("words").report_numbers().get("analogies.pairs"))
    if q.fact in ("layer_width", "history_runs"):
        return True
    sids = ("A", "B") if q.fact == "better_model" else ("A",)
    for sid in sids:
        ev = win.controller.result("evaluation", sid)
        if ev is None or not win.controller.workspace.is_current(ev.tag):
            return False
        if not win.view("confusion", sid).displayed():
            return False
    return True


def _reference(win, q: Question):
    """The answer read off the views, as a student reads it (not through lesson_facts)."""
    p = q.params
    if q.fact == "layer_width":
        return COURSE_WIDTHS[p["layer"]]
    if q.fact == "analogies_right":
        return win.view("words").report_numbers()["analogies.correct"]
    if q.fact == "history_runs":
        return 2  # the lesson trains twice on a fresh run history
    cm, names = _shown_confusion(win)
    if q.fact == "most_confused_with":
        k = names.index(p["class"])
        off = {names[j]: int(cm[k, j] + cm[j, k]) for j in range(len(names)) if j != k}
        return max(off, key=off.get)
    if q.fact == "hardest_class":
        return names[int(np.argmin(np.diag(cm) / cm.sum(axis=1)))]
    if q.fact == "confusion_count":
        return int(cm[names.index(p["true"]), names.index(p["predicted"])])
    if q.fact == "accuracy":
        if p.get("split", "test") == "test":
            return round(100 * np.trace(cm) / cm.sum(), 1)
        shown = win.view("report").displayed()["accuracy"]
        row = next(v for k, v in shown.items() if k.lower().startswith(p["split"]))
        return float(re.search(r"\(([0-9.]+)", row).group(1))  # "0.9583  (95.8%)"
    if q.fact == "better_model":
        acc = {}
        for sid in ("A", "B"):
            m, _ = _shown_confusion(win, sid)
            acc[win.controller.workspace.sessions[sid].label] = np.trace(m) / m.sum()
        return max(acc, key=acc.get)
    if q.fact == "confusion_cell":  # the cell to click: (row, column)
        return names.index(p["true"]), names.index(p["predicted"])
    raise AssertionError(q.fact)


def walk(qtbot, win, name: str, path=None) -> list[str]:
    """Open the lesson from Help → Lessons (a built-in one by name, else the file ``path``) and
    walk it; returns each question's feedback."""
    if path is None:
        menu = win.commands["lessons"].menu()
        menu.aboutToShow.emit()  # the submenu is filled when it opens
        entry = next(a for a in menu.actions() if a.objectName() == f"lesson_{name}")
        entry.trigger()
    else:
        from reprviz_gui.window_lessons import open_lesson

        open_lesson(win, path)  # what Help → Lessons → Open lesson file… does with the file
    panel = win.lesson_panel
    assert panel.lesson is not None and panel.lesson.path == (path or LESSONS[name])
    feedback = []
    for i, step in enumerate(panel.lesson.steps):
        assert panel.index == i and panel.step_label.text().startswith(f"Step {i + 1} of")
        assert panel.text.toPlainText().strip(), f"step {i + 1} shows no text"
        if step.actions:
            click(qtbot, panel.do_button)
            qtbot.waitUntil(lambda: not panel.runner.running, timeout=300_000)
            assert panel.status.text().startswith("Done"), (i, panel.status.text())
            assert panel.differs.text() == "", panel.differs.text()
        q = step.question
        if q is not None:
            qtbot.waitUntil(lambda: _answer_ready(win, q), timeout=120_000)
            answer = _reference(win, q)
            if q.kind == "choice":
                panel._fill_choices()
                assert answer in [panel.choice.itemText(j) for j in range(panel.choice.count())]
                panel.choice.setCurrentText(str(answer))
            elif q.kind == "number":
                qtbot.keyClicks(panel.number, str(answer))
            else:  # a wrong selection first, then the student clicks the cell in the view
                win.controller.clear_selection()
                click(qtbot, panel.check_button)
                assert panel.feedback.text().startswith("✘ Not quite"), panel.feedback.text()
                table = win.view("confusion").table
                row, col = answer
                rect = table.visualItemRect(table.item(row, col))
                qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
                qtbot.waitUntil(lambda: not win.controller.workspace.selection.empty)
            click(qtbot, panel.check_button)
            assert panel.feedback.text().startswith("✔"), (i, answer, panel.feedback.text())
            feedback.append(panel.feedback.text())
        if i < len(panel.lesson.steps) - 1:
            click(qtbot, panel.next_button)
    assert not panel.next_button.isEnabled()
    return feedback
