"""The Lesson panel in the window: what differs without Do it, images, Back/Next, progress,
Restart, a wrong file's dialog; the docs' example lesson (written from docs/lessons.md alone)
and the MNIST notes walked end to end (tests/lesson_support.py)."""

from __future__ import annotations

import pytest
from gui_support import click
from lesson_support import LESSONS, REPO, walk


def test_the_panel_without_do_it(qtbot, window):
    """A student who does not press Do it keeps their window; the step says what differs.
    Images come from the lesson's folder; Back/Next move; progress is remembered; Restart."""
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QTextDocument
    from PySide6.QtWidgets import QApplication

    from reprviz_gui.window_lessons import open_lesson

    win = window
    win.resize(1280, 960)  # the default size: the views keep their room beside the lesson
    QApplication.processEvents()
    heat_before = win.view("heatmap").width()
    panel = open_lesson(win, LESSONS["fashion-practical"])
    QApplication.processEvents()
    assert win.lesson_dock.isVisible() and panel.index == 0
    assert win.view("heatmap").width() >= 0.9 * heat_before  # it was squeezed to ~10 px
    assert "the data is digits, the step uses fashion-mnist-sample" in panel.differs.text()
    assert not panel.back_button.isEnabled() and panel.next_button.isEnabled()
    click(qtbot, panel.next_button)
    click(qtbot, panel.next_button)
    assert panel.step_label.text().startswith("Step 3 of 7")
    assert "the model is dense" not in panel.differs.text()  # dense here too
    click(qtbot, panel.check_button)  # digits, not Fashion: the answer says what is wrong
    fb = panel.feedback.text()
    assert fb.startswith("✘") and ("train" in fb or "no class 'Shirt'" in fb), fb
    panel.show_step(6)  # part 2 shows words.png from the lesson's folder
    image = panel.text.loadResource(QTextDocument.ResourceType.ImageResource.value,
                                    QUrl("words.png"))
    assert image is not None and len(image) > 10_000
    assert panel.text.document().size().height() > 300  # the picture is laid out
    assert not panel.next_button.isEnabled()
    click(qtbot, panel.back_button)
    assert panel.index == 5
    open_lesson(win, LESSONS["mnist-notes"])
    open_lesson(win, LESSONS["fashion-practical"])  # progress remembered per lesson
    assert panel.index == 5
    click(qtbot, panel.restart_button)
    assert panel.index == 0 and not panel.answered
    open_lesson(win, LESSONS["fashion-practical"])
    assert panel.index == 0


def test_a_wrong_lesson_file_opens_a_dialog_with_its_message(window, tmp_path):
    from reprviz_gui.window_lessons import open_lesson

    bad = tmp_path / "lesson.toml"
    bad.write_text('title = "x"\ncourse = "y"\n[[steps]]\ntitle = "a"\ntext = "b"\n'
                   'do = [{ action = "open_data", source = "nope" }]\n', encoding="utf-8")
    assert open_lesson(window, bad) is None
    box = window.dialogs[-1]
    assert box.isVisible()
    assert box.text().startswith(f"{bad}, line 6: unknown dataset 'nope'"), box.text()
    box.close()
    assert getattr(window, "lesson_panel", None) is None  # nothing else changed


def test_the_docs_example_lesson_written_from_the_docs_alone(qtbot, open_window):
    """docs/lesson-example works; a wrong answer is judged wrong with this model's number;
    once opened it is listed under Help → Lessons."""
    win = open_window()
    path = REPO / "docs" / "lesson-example" / "lesson.toml"
    walk(qtbot, win, "", path)
    panel = win.lesson_panel
    panel.show_step(0)
    ev = win.controller.result("evaluation")
    qtbot.keyClicks(panel.number, "3")  # 3 %: far off
    click(qtbot, panel.check_button)
    assert panel.feedback.text().startswith(
        f"✘ Not quite: the answer is {100 * ev.accuracy['test']:.1f}"), panel.feedback.text()
    menu = win.commands["lessons"].menu()
    menu.aboutToShow.emit()
    assert any(str(path.resolve()) in a.text() for a in menu.actions())


@pytest.mark.slow
def test_mnist_notes_lesson(qtbot, open_window):
    walk(qtbot, open_window(), "mnist-notes")


def test_do_it_selects_a_class_and_clears_it(qtbot, window, tmp_path):
    """select_class selects what a click on the map's legend does: the shown samples of that
    class; clear_selection clears; samples and choose_method move the sidebar too."""
    import numpy as np

    from reprviz_gui.window_lessons import open_lesson

    (tmp_path / "lesson.toml").write_text('''title = "t"
course = "c"
[[steps]]
title = "one"
text = "Select the threes."
do = [
  { action = "samples", n = 150, split = "test" },
  { action = "choose_method", method = "pca" },
  { action = "select_class", class = "3" },
]
[[steps]]
title = "two"
text = "Clear."
do = [{ action = "clear_selection" }]
''', encoding="utf-8")
    win, c = window, window.controller
    panel = open_lesson(win, tmp_path / "lesson.toml")
    click(qtbot, panel.do_button)
    qtbot.waitUntil(lambda: not panel.runner.running, timeout=60_000)
    assert panel.status.text().startswith("Done"), panel.status.text()
    assert win.sidebar.samples_spin.value() == 150 and c.samples.n == 150
    shown = c.samples.indices  # the test samples the views show; their labels from the data
    threes = np.sort(shown[np.asarray(c.dataset.y_test)[shown] == 3])
    assert c.workspace.selection.split == "test"
    assert np.array_equal(c.workspace.selection.indices, threes) and len(threes) > 5
    click(qtbot, panel.next_button)
    click(qtbot, panel.do_button)
    qtbot.waitUntil(lambda: not panel.runner.running, timeout=60_000)
    assert c.workspace.selection.empty


def test_stop_ends_do_it_and_the_window_keeps_what_was_done(qtbot, window, tmp_path):
    from reprviz_gui.window_lessons import open_lesson

    (tmp_path / "lesson.toml").write_text('''title = "t"
course = "c"
[[steps]]
title = "long"
text = "Train long, then open the weights."
do = [
  { action = "train", epochs = 500 },
  { action = "show_view", view = "weights" },
]
''', encoding="utf-8")
    win, c = window, window.controller
    panel = open_lesson(win, tmp_path / "lesson.toml")
    click(qtbot, panel.do_button)
    qtbot.waitUntil(lambda: bool(c.training_sessions()), timeout=60_000)
    assert panel.do_button.text() == "Stop" and panel.runner.running
    click(qtbot, panel.do_button)
    assert not panel.runner.running and panel.do_button.text() == "Do it"
    assert panel.status.text().startswith("Stopped")
    assert c.training_sessions()  # the training it started is the student's now
    assert not win.docks["weights"].isVisible()  # the rest of the step was not done
    c.cancel()
    qtbot.waitUntil(lambda: not c.training_sessions(), timeout=60_000)
