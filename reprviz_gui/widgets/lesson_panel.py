"""The docked *Lesson* panel: a lesson's title, the step's Markdown (images from the lesson's
folder), Back / Do it / Next, the step's question checked against the live state, what the
window differs in from the step, and Restart. Progress is remembered per lesson.

The student keeps control: *Do it* is the only thing that changes the window, and it does so
through the same intents as the user's clicks (``lesson_runner``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from PySide6.QtCore import QUrl, Slot
from PySide6.QtWidgets import (QComboBox, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QTextBrowser, QVBoxLayout, QWidget)

from ..core.lessons.format import Lesson
from ..core.lessons.progress import LessonProgress
from ..lesson_runner import LessonRunner
from ..workspace import lesson_facts

if TYPE_CHECKING:
    from ..main_window import MainWindow


def expected_state(lesson: Lesson, index: int) -> dict[str, Any]:
    """What the steps up to ``index`` set up: data, preset, layer, map method."""
    state: dict[str, Any] = {}
    for step in lesson.steps[: index + 1]:
        for a in step.actions:
            if a.name == "open_data":
                src = a.params["source"]
                path = lesson.folder / src
                state = {"source": str(path) if path.exists() else src}  # new data: fresh
            elif a.name == "choose_preset":
                state["preset"] = a.params["preset"]
                state.pop("layer", None)
            elif a.name == "choose_layer":
                state["layer"] = a.params["layer"]
            elif a.name == "choose_method":
                state["method"] = a.params["method"]
    return state


class LessonPanel(QWidget):
    def __init__(self, win: "MainWindow", progress: LessonProgress) -> None:
        super().__init__()
        self.setObjectName("lesson_panel")
        self.win = win
        self.progress = progress
        self.lesson: Optional[Lesson] = None
        self.index = 0
        self.answered: set[int] = set()
        self.runner = LessonRunner(win)
        self.runner.progress.connect(self._on_progress)
        self.runner.finished.connect(self._on_done)

        self.title = QLabel(objectName="lesson_title", wordWrap=True)
        self.title.setStyleSheet("font-size: 15px; font-weight: bold;")
        self.step_label = QLabel(objectName="lesson_step", wordWrap=True)
        self.text = QTextBrowser(objectName="lesson_text", openExternalLinks=True)
        self.differs = QLabel(objectName="lesson_differs", wordWrap=True)
        self.differs.setStyleSheet("color: #8a5a00; font-style: italic;")
        self.question = QGroupBox("Question")
        self.ask = QLabel(wordWrap=True)
        self.choice = QComboBox(objectName="lesson_choice")
        self.number = QLineEdit(objectName="lesson_number", placeholderText="your answer")
        self.check_button = QPushButton("Check", objectName="lesson_check")
        self.feedback = QLabel(objectName="lesson_feedback", wordWrap=True)
        q = QVBoxLayout(self.question)
        q.addWidget(self.ask)
        row = QHBoxLayout()
        row.addWidget(self.choice, 1)
        row.addWidget(self.number, 1)
        row.addWidget(self.check_button)
        q.addLayout(row)
        q.addWidget(self.feedback)
        self.status = QLabel(objectName="lesson_status", wordWrap=True)
        self.back_button = QPushButton("◀ Back", objectName="lesson_back")
        self.do_button = QPushButton("Do it", objectName="lesson_do")
        self.do_button.setToolTip("Set the window up for this step (data, model, training, "
                                  "layer, views) as a user's clicks would")
        self.next_button = QPushButton("Next ▶", objectName="lesson_next")
        self.restart_button = QPushButton("Restart", objectName="lesson_restart")
        buttons = QHBoxLayout()
        for b in (self.back_button, self.do_button, self.next_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.restart_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.step_label)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.differs)
        layout.addWidget(self.question)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

        self.back_button.clicked.connect(self.back)
        self.next_button.clicked.connect(self.next)
        self.do_button.clicked.connect(self.do_it)
        self.restart_button.clicked.connect(self.restart)
        self.check_button.clicked.connect(self.check_answer)
        self.number.returnPressed.connect(self.check_answer)
        c = win.controller
        c.session_changed.connect(self._refresh_state)
        c.dataset_changed.connect(self._refresh_state)
        c.selection_changed.connect(self._refresh_state)

    # --- lesson and steps ------------------------------------------------------------------------
    def open_lesson(self, lesson: Lesson) -> None:
        self.runner.stop()
        self.lesson = lesson
        self.index = min(self.progress.step(lesson.key), len(lesson.steps) - 1)
        self.answered = self.progress.answered(lesson.key)
        self.title.setText(lesson.title)
        self.text.setSearchPaths([str(lesson.folder)])
        self.show_step(self.index)

    def show_step(self, index: int) -> None:
        if self.lesson is None:
            return
        self.index = max(0, min(index, len(self.lesson.steps) - 1))
        step = self.lesson.steps[self.index]
        n = len(self.lesson.steps)
        self.step_label.setText(f"Step {self.index + 1} of {n} · {step.title}")
        doc = self.text.document()
        doc.setBaseUrl(QUrl.fromLocalFile(str(self.lesson.folder) + "/"))
        doc.setMarkdown(step.text)
        self.back_button.setEnabled(self.index > 0)
        self.next_button.setEnabled(self.index < n - 1)
        self.do_button.setEnabled(bool(step.actions))
        self.do_button.setText("Do it" if step.actions else "Nothing to do")
        self.feedback.clear()
        self.number.clear()
        q = step.question
        self.question.setVisible(q is not None)
        if q is not None:
            self.ask.setText(q.ask)
            self.choice.setVisible(q.kind == "choice")
            self.number.setVisible(q.kind == "number")
            self.check_button.setText("Check my selection" if q.kind == "selection" else "Check")
            if self.index in self.answered:
                self.feedback.setText("You answered this one right before.")
        self.status.clear()
        self._refresh_state()
        self.progress.remember(self.lesson.key, self.index, self.answered)

    @Slot()
    def next(self) -> None:
        self.show_step(self.index + 1)

    @Slot()
    def back(self) -> None:
        self.show_step(self.index - 1)

    @Slot()
    def restart(self) -> None:
        if self.lesson is not None:
            self.runner.stop()
            self.answered = set()
            self.progress.forget(self.lesson.key)
            self.show_step(0)

    # --- Do it ----------------------------------------------------------------------------------
    @Slot()
    def do_it(self) -> None:
        if self.lesson is None:
            return
        if self.runner.running:
            self.runner.stop("Stopped; the window keeps what was done so far.")
            return
        self.do_button.setText("Stop")
        self.runner.run(self.lesson.steps[self.index].actions, self.lesson.folder)

    @Slot(str)
    def _on_progress(self, text: str) -> None:
        self.status.setText(text)

    @Slot(str)
    def _on_done(self, why: str) -> None:
        self.do_button.setText("Do it")
        self.status.setText(why or "Done: the window is set up for this step.")
        self._refresh_state()

    # --- questions and what differs --------------------------------------------------------------
    def _refresh_state(self, *_: Any) -> None:
        if self.lesson is None:
            return
        step = self.lesson.steps[self.index]
        if step.question is not None and step.question.kind == "choice":
            self._fill_choices()
        if self.runner.running:
            self.differs.clear()
            return
        differs = lesson_facts.explain_state(expected_state(self.lesson, self.index),
                                             self.win.controller)
        self.differs.setText(f"Your window differs from this step: {differs}. Keep it, or "
                             "press Do it." if differs else "")

    def _fill_choices(self) -> None:
        q = self.lesson.steps[self.index].question
        choices: tuple[str, ...] = q.choices
        if not choices:
            try:
                choices = lesson_facts.truth(q, self.win.controller).choices
            except lesson_facts.NotYet:
                ds = self.win.controller.dataset
                choices = tuple(ds.class_names) if ds is not None else ()
        if tuple(self.choice.itemText(i) for i in range(self.choice.count())) != choices:
            self.choice.clear()
            self.choice.addItems(list(choices))

    @Slot()
    def check_answer(self) -> None:
        if self.lesson is None or self.lesson.steps[self.index].question is None:
            return
        q = self.lesson.steps[self.index].question
        given = {"choice": self.choice.currentText(), "number": self.number.text()}.get(q.kind)
        fb = lesson_facts.check(q, given, self.win.controller)
        text = fb.text + (f"\n{q.explain}" if fb.right and q.explain else "")
        self.feedback.setText(("✔ " if fb.right else "✘ ") + text)
        self.feedback.setStyleSheet(f"color: {'#1a7f37' if fb.right else '#b42318'};")
        if fb.right:
            self.answered.add(self.index)
            self.progress.remember(self.lesson.key, self.index, self.answered)
