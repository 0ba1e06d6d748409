"""The built-in lessons: one folder per lesson under ``resources/lessons``, each with its
``lesson.toml`` (and its images)."""

from __future__ import annotations

import os
from pathlib import Path

LESSON_FILE = "lesson.toml"


def lessons_root() -> Path:
    """``resources/lessons`` beside the bundled data (``$REPRVIZ_RESOURCES/lessons`` when set)."""
    env = os.environ.get("REPRVIZ_RESOURCES")
    if env and (Path(env).expanduser() / "lessons").is_dir():
        return Path(env).expanduser() / "lessons"
    return Path(__file__).resolve().parents[3] / "resources" / "lessons"


def builtin_lessons() -> list[tuple[str, Path]]:
    """(name, path of its lesson file) of every built-in lesson, in name order."""
    root = lessons_root()
    if not root.is_dir():
        return []
    return [(d.name, d / LESSON_FILE) for d in sorted(root.iterdir())
            if (d / LESSON_FILE).is_file()]
