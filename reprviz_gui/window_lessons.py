"""Help → Lessons: the built-in lessons, the lesson files the user opened, and *Open lesson
file…*; a lesson opens in the docked *Lesson* panel (made on first use, right of the views)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QFileDialog, QMenu, QMessageBox

from .core.lessons import LessonError, Vocabulary, builtin_lessons, load_lesson
from .core.lessons.format import default_vocabulary
from .core.lessons.progress import LessonProgress

if TYPE_CHECKING:
    from .main_window import MainWindow
    from .widgets.lesson_panel import LessonPanel


def vocabulary() -> Vocabulary:
    """Every name a lesson may use, the views from the window's registry."""
    from .views.registry import VIEWS

    return default_vocabulary(views=frozenset(spec.id for spec in VIEWS))


def _progress(win: "MainWindow") -> LessonProgress:
    if getattr(win, "lesson_progress", None) is None:
        from .main_window import settings_path

        win.lesson_progress = LessonProgress(settings_path().parent)
    return win.lesson_progress


WIDE_WINDOW = 1600  # px: from this width the Lesson dock goes right of the views


def lesson_panel(win: "MainWindow") -> "LessonPanel":
    """The Lesson panel, made and docked on first use."""
    from .widgets.lesson_panel import LessonPanel
    from .window_layout import make_dock

    panel = getattr(win, "lesson_panel", None)
    if panel is None:
        panel = LessonPanel(win, _progress(win))
        dock = make_dock(win, "Lesson", "lesson", panel)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        if win.width() < WIDE_WINDOW:
            # beside the views it squeezed them (the heatmap ~10 px wide at 1280 px): a tab
            # beside Controls instead, the views keep their room
            win.tabifyDockWidget(win.sidebar_dock, dock)
        else:
            win.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            dock.setMinimumWidth(340)
        win.lesson_panel, win.lesson_dock = panel, dock
    return panel


def open_lesson(win: "MainWindow", path: str | Path) -> Optional["LessonPanel"]:
    """Check and open a lesson in the panel; a wrong file is one message in a dialog."""
    try:
        lesson = load_lesson(path, vocabulary())
    except LessonError as err:
        box = QMessageBox(QMessageBox.Icon.Warning, "Lesson", str(err), parent=win)
        box.setModal(False)
        box.finished.connect(lambda _=0, b=box: win.dialogs.remove(b) if b in win.dialogs
                             else None)
        win.dialogs.append(box)
        box.show()
        return None
    panel = lesson_panel(win)
    builtin = {str(p.resolve()) for _, p in builtin_lessons()}
    if lesson.key not in builtin:
        _progress(win).add_opened(lesson.key)
    panel.open_lesson(lesson)
    win.lesson_dock.show()
    win.lesson_dock.raise_()
    return panel


def open_lesson_file(win: "MainWindow") -> None:
    path, _ = QFileDialog.getOpenFileName(win, "Open lesson", "", "Lessons (*.toml)")
    if path:
        open_lesson(win, path)


def fill_lessons_menu(win: "MainWindow", menu: QMenu) -> None:
    """Help → Lessons, made when it opens."""
    for name, path in builtin_lessons():
        title = _title(path) or name
        action = menu.addAction(title)
        action.setObjectName(f"lesson_{name}")
        action.triggered.connect(lambda _=False, p=path: open_lesson(win, p))
    opened = [p for p in _progress(win).opened() if Path(p).is_file()]
    if opened:
        menu.addSeparator()
    for p in opened:
        action = menu.addAction(f"{_title(Path(p)) or Path(p).parent.name}  ({p})")
        action.triggered.connect(lambda _=False, q=p: open_lesson(win, q))
    menu.addSeparator()
    menu.addAction("Open lesson file…").triggered.connect(lambda: open_lesson_file(win))


def _title(path: Path) -> str:
    """The title line of a lesson file without checking it all (menus open fast)."""
    try:
        import tomllib

        data: Any = tomllib.loads(path.read_text(encoding="utf-8"))
        return str(data.get("title", "")) if isinstance(data, dict) else ""
    except (OSError, ValueError):
        return ""
