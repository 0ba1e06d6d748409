"""``main.py lesson list`` (one line per built-in lesson: its name, a tab, its file) and
``main.py lesson check FILE`` (exit 0, or 2 with the one message that names file and line)."""

from __future__ import annotations

import sys
from typing import Sequence

USAGE = "usage: reprviz lesson list | reprviz lesson check FILE"


def run_lesson(argv: Sequence[str]) -> int:
    from .cli import UsageError
    from .core.lessons import builtin_lessons, load_lesson

    args = list(argv)
    if args in (["-h"], ["--help"]):
        print(USAGE)
        return 0
    if args == ["list"]:
        for name, path in builtin_lessons():
            print(f"{name}\t{path}")
        return 0
    if len(args) == 2 and args[0] == "check":
        lesson = load_lesson(args[1], _vocabulary())  # LessonError: the CLI's one line, exit 2
        print(f"{lesson.path}: {lesson.title} — {len(lesson.steps)} steps, "
              f"{sum(s.question is not None for s in lesson.steps)} questions: OK")
        sys.stdout.flush()
        return 0
    raise UsageError(f"{USAGE} (got: {' '.join(args) or 'nothing'})")


def _vocabulary():
    """The window's view ids too when PySide6 is there (it is part of the app)."""
    try:
        from .window_lessons import vocabulary

        return vocabulary()
    except ImportError:
        from .core.lessons.format import default_vocabulary

        return default_vocabulary()
