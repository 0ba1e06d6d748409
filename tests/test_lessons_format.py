"""The lesson format: every built-in lesson and the docs' example check clean; ten malformed
lesson files each give their ONE message naming the file, the line and what is expected, in
the core and through `main.py lesson check` (exit 2); `main.py lesson list` lists them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from reprviz_gui.cli import main
from reprviz_gui.core.lessons import LessonError, builtin_lessons, load_lesson
from reprviz_gui.core.lessons.progress import LessonProgress
from reprviz_gui.window_lessons import vocabulary

REPO = Path(__file__).resolve().parents[1]

GOOD = '''title = "A small lesson"
course = "Test course"

[[steps]]
title = "Open"
text = """Some *text*."""
do = [
  { action = "open_data", source = "digits" },
  { action = "train", epochs = 2 },
]

[steps.question]
kind = "number"
ask = "How accurate?"
fact = "accuracy"
'''

# (name, text, line, words the message must hold)
BAD = [
    ("bad TOML", GOOD.replace('course = "Test course"', 'course = "Test course'), 2,
     ["not valid TOML"]),
    ("unknown action", GOOD.replace('"train", epochs = 2', '"fly", epochs = 2'), 9,
     ["unknown action 'fly'", "open_data", "choose_preset"]),
    ("unknown dataset", GOOD.replace('"digits"', '"cifar-100"'), 8,
     ["unknown dataset 'cifar-100'", "fashion-mnist-sample"]),
    ("unknown view", GOOD.replace('{ action = "train", epochs = 2 },',
                                  '{ action = "show_view", view = "histogramm" },'), 9,
     ["unknown view", "'histogramm'", "confusion"]),
    ("missing image", GOOD.replace("Some *text*.", "![a shirt](shirt.png)"), 6,
     ["image 'shirt.png'", "missing", "lesson's folder"]),
    ("no title", GOOD.replace('title = "A small lesson"\n', ""), 1,
     ["needs a title"]),
    ("unknown key", GOOD.replace('course = "Test course"', 'course = "Test course"\nauthr = "me"'),
     3, ["unknown key 'authr'", "title, course"]),
    ("wrong value kind", GOOD.replace("epochs = 2", 'epochs = "two"'), 9,
     ["'epochs'", "must be a whole number", "'two'"]),
    ("fact of another kind", GOOD.replace('kind = "number"', 'kind = "choice"'), 15,
     ["answers a number question, not a choice one", "most_confused_with"]),
    ("bad setting value", GOOD.replace("epochs = 2", "epochs = 0"), 9,
     ["epochs = 0", "at least 1"]),
]


def _write(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "lesson"
    folder.mkdir(exist_ok=True)
    path = folder / "lesson.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_good_lesson_loads(tmp_path):
    lesson = load_lesson(_write(tmp_path, GOOD))
    assert [a.name for a in lesson.steps[0].actions] == ["open_data", "train"]
    assert lesson.steps[0].actions[1].params == {"epochs": 2}
    assert lesson.steps[0].question.fact == "accuracy"
    assert lesson.steps[0].question.tolerance == 0.5  # an accuracy's default tolerance


@pytest.mark.parametrize("name,text,line,words", BAD, ids=[b[0] for b in BAD])
def test_a_malformed_lesson_gives_one_clear_message(tmp_path, name, text, line, words):
    path = _write(tmp_path, text)
    with pytest.raises(LessonError) as err:
        load_lesson(path, vocabulary())  # the window's names: its views too
    message = str(err.value)
    assert message.startswith(f"{path}, line {line}: "), message
    assert "\n" not in message
    for w in words:
        assert w in message, (w, message)


def test_lesson_check_exits_2_with_the_message(tmp_path, capsys):
    path = _write(tmp_path, BAD[1][1])
    assert main(["lesson", "check", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"reprviz: error: {path}, line 9: unknown action 'fly'")
    assert len(err.splitlines()) == 1
    assert main(["lesson", "check", str(_write(tmp_path, GOOD))]) == 0
    assert "OK" in capsys.readouterr().out
    assert main(["lesson", "check", str(tmp_path / "nope.toml")]) == 2
    assert "no such lesson file" in capsys.readouterr().err


def test_every_builtin_lesson_and_the_docs_example_check_clean():
    names = [name for name, _ in builtin_lessons()]
    assert names == ["dense-vs-lenet", "fashion-practical", "hand-made-network", "imdb-bilstm",
                     "mnist-notes"]
    for _, path in builtin_lessons():
        lesson = load_lesson(path, vocabulary())
        assert lesson.steps and any(s.question for s in lesson.steps)
    example = load_lesson(REPO / "docs" / "lesson-example", vocabulary())
    assert example.steps


def test_lesson_list_from_the_shell():
    out = subprocess.run([sys.executable, str(REPO / "main.py"), "lesson", "list"],
                         capture_output=True, text=True, timeout=120, cwd=REPO)
    assert out.returncode == 0, out.stderr
    rows = [line.split("\t") for line in out.stdout.splitlines()]
    assert [r[0] for r in rows] == [name for name, _ in builtin_lessons()]
    assert all(Path(r[1]).is_file() and r[1].endswith("lesson.toml") for r in rows)


def test_progress_is_remembered_and_a_damaged_file_is_empty_progress(tmp_path):
    p = LessonProgress(tmp_path)
    p.remember("/x/lesson.toml", 3, {1, 2})
    again = LessonProgress(tmp_path)
    assert again.step("/x/lesson.toml") == 3 and again.answered("/x/lesson.toml") == {1, 2}
    (tmp_path / "lessons.json").write_text("[[[", encoding="utf-8")
    assert LessonProgress(tmp_path).step("/x/lesson.toml") == 0
