"""Lessons: a course exercise as steps in the window (issue 17). Qt-free: the file format,
its validation and the built-in catalogue; the window's panel and runner live outside core."""

from .format import (ACTIONS, FACTS, Action, Lesson, LessonError, Question, Step, Vocabulary,
                     load_lesson, parse_lesson)
from .catalog import builtin_lessons, lessons_root

__all__ = ["ACTIONS", "FACTS", "Action", "Lesson", "LessonError", "Question", "Step",
           "Vocabulary", "builtin_lessons", "lessons_root", "load_lesson", "parse_lesson"]
