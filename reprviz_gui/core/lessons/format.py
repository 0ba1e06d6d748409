"""The lesson file: TOML (stdlib ``tomllib``: no dependency) with Markdown step texts.

A lesson is a folder holding ``lesson.toml`` and its images. The file is data only: a small
declarative vocabulary of step actions (``ACTIONS``) and of facts a question reads from the
window's live state (``FACTS``); nothing in it is ever run as Python. ``load_lesson`` checks
everything that can be checked without a model (keys, kinds of values, actions, facts, dataset,
preset, view and method names, images) and raises ``LessonError`` with ONE message naming the
file, the line and what is expected. docs/lessons.md is the author's reference.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ..errors import ReprvizError

LESSON_FILE = "lesson.toml"
TEXT, INT, NUMBER, TABLE, CLASS, BOOL_ETC = ("a text", "a whole number", "a number", "a table",
                                             "a class name or number", "a value")
BOOL = "true or false"
_TYPES: dict[str, tuple[type, ...]] = {TEXT: (str,), INT: (int,), NUMBER: (int, float),
                                       TABLE: (dict,), CLASS: (str, int),
                                       BOOL_ETC: (str, int, float, bool, list), BOOL: (bool,)}


class LessonError(ReprvizError):
    """A lesson file that cannot be used: one line naming the file, the line and the fix."""


@dataclass(frozen=True)
class Spec:
    required: dict[str, str]
    optional: dict[str, str] = field(default_factory=dict)
    kind: str = ""  # facts: the question kind they answer
    help: str = ""


# the step actions: each drives the same intent a user's click does (the window's runner)
ACTIONS: dict[str, Spec] = {
    "open_data": Spec({"source": TEXT}, help="open a built-in dataset or a file of the lesson"),
    "choose_preset": Spec({"preset": TEXT}, {"params": TABLE},
                          help="choose a model preset (fresh weights)"),
    "set": Spec({"key": TEXT, "value": BOOL_ETC}, help="set a training setting"),
    "train": Spec({}, {"epochs": INT, "scratch": BOOL}, help="train the model (epochs: set "
                  "first; scratch: from fresh weights, else a trained model continues)"),
    "choose_layer": Spec({"layer": TEXT}, help="show a layer"),
    "choose_method": Spec({"method": TEXT}, {"components": INT}, help="the map's method"),
    "show_view": Spec({"view": TEXT}, help="open a view and bring it to the front"),
    "samples": Spec({"n": INT}, {"split": TEXT}, help="how many samples the views show"),
    "select_cell": Spec({"true": CLASS, "predicted": CLASS}, help="select a confusion cell"),
    "select_class": Spec({"class": CLASS}, help="select the shown samples of a class"),
    "select_word": Spec({"word": TEXT}, help="select a word of a word table"),
    "clear_selection": Spec({}, help="clear the selection"),
    "compare_with": Spec({"preset": TEXT}, help="compare with a second preset (model B)"),
}

# what a question may ask; the window reads the answer from its live state (lesson_facts.py)
FACTS: dict[str, Spec] = {
    "most_confused_with": Spec({"class": CLASS}, kind="choice",
                               help="the class the model mixes up most with this one"),
    "hardest_class": Spec({}, kind="choice", help="the class with the lowest test accuracy"),
    "better_model": Spec({}, kind="choice", help="A or B: the higher test accuracy"),
    "accuracy": Spec({}, {"split": TEXT}, kind="number",
                     help="accuracy in % on a split (test by default)"),
    "confusion_count": Spec({"true": CLASS, "predicted": CLASS}, kind="number",
                            help="test samples of one class predicted as another"),
    "analogies_right": Spec({}, kind="number", help="analogies the word table gets right"),
    "layer_width": Spec({"layer": TEXT}, kind="number", help="a layer's number of features"),
    "history_runs": Spec({}, kind="number", help="runs in the run history for this data"),
    "confusion_cell": Spec({"true": CLASS, "predicted": CLASS}, kind="selection",
                           help="select exactly one confusion cell's samples"),
}
QUESTION_KINDS = ("choice", "number", "selection")
_QUESTION_KEYS = {"kind": TEXT, "ask": TEXT, "fact": TEXT, "tolerance": NUMBER,
                  "choices": "a list of texts", "explain": TEXT}
_TOP_KEYS = {"title": TEXT, "course": TEXT, "summary": TEXT, "minutes": INT, "steps": "steps"}
_STEP_KEYS = {"title": TEXT, "text": TEXT, "do": "a list of actions", "question": TABLE}
SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class Vocabulary:
    """Names a lesson may use; ``None``: not checked here (the window checks at Do it)."""

    sources: Optional[frozenset[str]] = None
    presets: Optional[frozenset[str]] = None
    views: Optional[frozenset[str]] = None
    methods: Optional[frozenset[str]] = None
    settings: Optional[dict[str, Any]] = None  # key -> preset_table.Field


@dataclass(frozen=True)
class Action:
    name: str
    params: dict[str, Any]
    line: int


@dataclass(frozen=True)
class Question:
    kind: str
    ask: str
    fact: str
    params: dict[str, Any]
    tolerance: float
    choices: tuple[str, ...]
    explain: str
    line: int


@dataclass(frozen=True)
class Step:
    title: str
    text: str
    actions: tuple[Action, ...]
    question: Optional[Question]
    line: int


@dataclass(frozen=True)
class Lesson:
    title: str
    course: str
    summary: str
    minutes: int
    steps: tuple[Step, ...]
    path: Path  # the lesson file
    folder: Path  # images and data files are relative to it

    @property
    def key(self) -> str:
        """What progress is remembered under: the lesson file's resolved path."""
        return str(self.path.resolve())


# --- line numbers (tomllib reports none for values) ---------------------------------------------
class _Lines:
    """Finds the line of a key, a step or the n-th action by scanning the text."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.steps = [i for i, line in enumerate(self.lines)
                      if re.match(r"\s*\[\[\s*steps\s*\]\]", line)]

    def step(self, i: int) -> int:
        return self.steps[i] + 1 if i < len(self.steps) else 1

    def _block(self, i: int) -> tuple[int, int]:
        if i >= len(self.steps):
            return 0, len(self.lines)
        end = self.steps[i + 1] if i + 1 < len(self.steps) else len(self.lines)
        return self.steps[i], end

    def _question_header(self, i: int) -> Optional[int]:
        lo, hi = self._block(i)
        return next((j for j in range(lo, hi)
                     if re.match(r"\s*\[\s*steps\s*\.\s*question\s*\]", self.lines[j])), None)

    def key(self, key: str, step: Optional[int] = None, question: bool = False) -> int:
        if step is None:
            lo, hi = 0, self.steps[0] if self.steps else len(self.lines)
        else:
            lo, hi = self._block(step)
            q = self._question_header(step)
            if question and q is not None:
                lo = q
            elif q is not None:
                hi = q
        pattern = re.compile(rf"^\s*(\{{\s*)?[\"']?{re.escape(key)}[\"']?\s*=|[{{,]\s*[\"']?"
                             rf"{re.escape(key)}[\"']?\s*=")
        for j in range(lo, hi):
            if pattern.search(self.lines[j]):
                return j + 1
        return lo + 1

    def action(self, step: int, n: int) -> int:
        lo, hi = self._block(step)
        q = self._question_header(step)
        hi = q if q is not None else hi
        hits = [j for j in range(lo, hi) if re.search(r"\baction\s*=", self.lines[j])]
        return hits[n] + 1 if n < len(hits) else self.key("do", step)


# --- loading ---------------------------------------------------------------------------------
def load_lesson(path: str | Path, vocabulary: Optional[Vocabulary] = None) -> Lesson:
    """The lesson in ``path`` (its ``lesson.toml``, or the folder holding it), checked."""
    path = Path(path)
    if path.is_dir():
        path = path / LESSON_FILE
    if not path.is_file():
        raise LessonError(f"{path}: no such lesson file (a lesson is a folder with a "
                          f"{LESSON_FILE}, or the .toml file itself)")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise LessonError(f"{path}: is not UTF-8 text (byte {err.start}); save it as UTF-8"
                          ) from None
    except OSError as err:
        raise LessonError(f"{path}: cannot be read ({err.strerror or err})") from None
    return parse_lesson(text, path, vocabulary)


def parse_lesson(text: str, path: Path, vocabulary: Optional[Vocabulary] = None) -> Lesson:
    """A checked Lesson from the text of ``path``; ``LessonError`` on the first problem."""
    vocab = vocabulary if vocabulary is not None else default_vocabulary()
    lines = _Lines(text)

    def fail(line: int, what: str) -> LessonError:
        return LessonError(f"{path}, line {line}: {what}")

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        msg = str(err)
        found = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        line = int(found.group(1)) if found else 1
        what = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
        col = f" (column {found.group(2)})" if found else ""
        raise fail(line, f"this is not valid TOML: {what}{col}; see docs/lessons.md") from None
    _check_keys(data, _TOP_KEYS, "the lesson", lambda k: lines.key(k), fail)
    for key in ("title", "course"):
        if key not in data:
            raise fail(1, f"the lesson needs a {key} = \"...\" line at the top")
    steps_data = data.get("steps")
    if not isinstance(steps_data, list) or not steps_data:
        raise fail(lines.key("steps"), "the lesson needs at least one [[steps]] table "
                   "(title = \"...\", text = \"\"\"...\"\"\")")
    folder = path.parent
    steps = tuple(_step(i, s, lines, vocab, folder, fail) for i, s in enumerate(steps_data))
    minutes = data.get("minutes", 0)
    return Lesson(str(data["title"]), str(data["course"]), str(data.get("summary", "")),
                  int(minutes), steps, path, folder)


def _kind_ok(value: Any, kind: str) -> bool:
    if kind not in _TYPES:
        return True
    if isinstance(value, bool) and kind not in (BOOL_ETC, BOOL):
        return False
    return isinstance(value, _TYPES[kind])


def _check_keys(table: dict, allowed: dict[str, str], where: str, line_of, fail) -> None:
    for key, value in table.items():
        if key not in allowed:
            raise fail(line_of(key), f"unknown key '{key}' in {where}; expected one of "
                       f"{', '.join(allowed)}")
        if not _kind_ok(value, allowed[key]):
            raise fail(line_of(key), f"'{key}' in {where} must be {allowed[key]}, not "
                       f"{_describe(value)}")


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the truth value {str(value).lower()}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return "a list" if isinstance(value, list) else "a table"


def _step(i: int, s: Any, lines: _Lines, vocab: Vocabulary, folder: Path, fail) -> Step:
    where = f"step {i + 1}"
    if not isinstance(s, dict):
        raise fail(lines.step(i), f"{where} must be a [[steps]] table")
    _check_keys(s, _STEP_KEYS, where, lambda k: lines.key(k, i), fail)
    for key in ("title", "text"):
        if key not in s:
            raise fail(lines.step(i), f"{where} needs a {key} = \"...\"")
    _check_images(str(s["text"]), folder, lambda: lines.key("text", i), where, fail)
    do = s.get("do", [])
    if not isinstance(do, list) or any(not isinstance(a, dict) for a in do):
        raise fail(lines.key("do", i), f"'do' in {where} must be a list of actions like "
                   "{ action = \"train\", epochs = 3 }")
    actions = tuple(_action(i, n, a, lines, vocab, folder, fail) for n, a in enumerate(do))
    question = _question(i, s["question"], lines, fail) if "question" in s else None
    return Step(str(s["title"]), str(s["text"]), actions, question, lines.step(i))


def _check_images(text: str, folder: Path, line, where: str, fail) -> None:
    refs = re.findall(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)", text)
    refs += re.findall(r"<img[^>]*\bsrc\s*=\s*[\"']([^\"']+)", text, flags=re.I)
    for ref in refs:
        if re.match(r"^[a-z][a-z0-9+.-]*:", ref, flags=re.I):
            raise fail(line(), f"the image '{ref}' in {where} is not a file of the lesson's "
                       "folder; images come from the lesson's folder (e.g. ![](shirt.png))")
        target = (folder / ref).resolve()
        if not target.is_file() or folder.resolve() not in target.parents:
            raise fail(line(), f"the image '{ref}' in {where} is missing: expected the file "
                       f"{folder / ref} in the lesson's folder")


def _params(table: dict, spec: Spec, where: str, line: int, fail, skip: tuple[str, ...]
            ) -> dict[str, Any]:
    allowed = {**spec.required, **spec.optional}
    out = {}
    for key, value in table.items():
        if key in skip:
            continue
        if key not in allowed:
            expected = ", ".join([*skip, *allowed]) if allowed or skip else "nothing more"
            raise fail(line, f"unknown key '{key}' in {where}; expected {expected}")
        if not _kind_ok(value, allowed[key]):
            raise fail(line, f"'{key}' in {where} must be {allowed[key]}, not "
                       f"{_describe(value)}")
        out[key] = value
    missing = [k for k in spec.required if k not in table]
    if missing:
        raise fail(line, f"{where} needs {' and '.join(missing)} = ...")
    return out


def _action(i: int, n: int, a: dict, lines: _Lines, vocab: Vocabulary, folder: Path, fail
            ) -> Action:
    line = lines.action(i, n)
    name = a.get("action")
    where = f"action {n + 1} of step {i + 1}"
    if not isinstance(name, str):
        raise fail(line, f"{where} needs action = \"...\", one of {', '.join(ACTIONS)}")
    if name not in ACTIONS:
        raise fail(line, f"unknown action '{name}' in step {i + 1}; expected one of "
                   f"{', '.join(ACTIONS)}")
    params = _params(a, ACTIONS[name], f"the {name} action of step {i + 1}", line, fail,
                     ("action",))
    _check_names(name, params, vocab, folder, lambda what: fail(line, what), i)
    return Action(name, params, line)


def _one_of(value: Any, names: Optional[frozenset[str]], what: str, fail) -> None:
    if names is not None and value not in names:
        raise fail(f"unknown {what} '{value}'; expected one of {', '.join(sorted(names))}")


def _check_names(name: str, p: dict, vocab: Vocabulary, folder: Path, fail, i: int) -> None:
    if name == "open_data":
        src = p["source"]
        if vocab.sources is not None and src not in vocab.sources \
                and not (folder / src).exists():
            raise fail(f"unknown dataset '{src}' in step {i + 1}; expected one of "
                       f"{', '.join(sorted(vocab.sources))}, or a file in the lesson's folder")
    elif name in ("choose_preset", "compare_with"):
        _one_of(p["preset"], vocab.presets, f"preset in step {i + 1}:", fail)
    elif name == "show_view":
        _one_of(p["view"], vocab.views, f"view in step {i + 1}:", fail)
    elif name == "choose_method":
        _one_of(p["method"], vocab.methods, f"map method in step {i + 1}:", fail)
    elif name == "samples" and p.get("split", "test") not in SPLITS:
        raise fail(f"unknown split '{p['split']}' in step {i + 1}; expected one of "
                   f"{', '.join(SPLITS)}")
    elif name in ("set", "train") and vocab.settings is not None:
        key, value = (p["key"], p["value"]) if name == "set" else ("epochs", p.get("epochs", 1))
        if key not in vocab.settings:
            raise fail(f"unknown setting '{key}' in step {i + 1}; expected one of "
                       f"{', '.join(vocab.settings)}")
        try:
            vocab.settings[key].check(value)
        except (ValueError, TypeError) as err:
            raise fail(f"{key} = {value!r} in step {i + 1}: {err}") from None


def _question(i: int, q: Any, lines: _Lines, fail) -> Question:
    where = f"the question of step {i + 1}"
    if not isinstance(q, dict):
        raise fail(lines.key("question", i), f"{where} must be a table ([steps.question])")
    line = lines.key("fact", i, question=True)
    for key in ("kind", "ask", "fact"):
        if key not in q:
            raise fail(line, f"{where} needs {key} = \"...\"")
    kind, fact = q["kind"], q["fact"]
    if kind not in QUESTION_KINDS:
        raise fail(lines.key("kind", i, question=True), f"unknown question kind '{kind}' in "
                   f"step {i + 1}; expected one of {', '.join(QUESTION_KINDS)}")
    if fact not in FACTS:
        raise fail(line, f"unknown fact '{fact}' in {where}; expected one of "
                   f"{', '.join(FACTS)}")
    spec = FACTS[fact]
    if spec.kind != kind:
        fitting = ", ".join(f for f, s in FACTS.items() if s.kind == kind)
        raise fail(line, f"the fact '{fact}' answers a {spec.kind} question, not a {kind} "
                   f"one; for kind = \"{kind}\" use one of {fitting}")
    for key, value in q.items():
        if key in _QUESTION_KEYS and key not in ("choices",) and \
                not _kind_ok(value, _QUESTION_KEYS[key]):
            raise fail(lines.key(key, i, question=True), f"'{key}' in {where} must be "
                       f"{_QUESTION_KEYS[key]}, not {_describe(value)}")
    choices = q.get("choices", [])
    if not isinstance(choices, list) or any(not isinstance(c, str) for c in choices):
        raise fail(lines.key("choices", i, question=True), f"'choices' in {where} must be a "
                   "list of texts")
    params = _params(q, spec, where, line, fail, tuple(_QUESTION_KEYS))
    if fact == "accuracy" and params.get("split", "test") not in SPLITS:
        raise fail(line, f"unknown split '{params['split']}' in {where}; expected one of "
                   f"{', '.join(SPLITS)}")
    tolerance = float(q.get("tolerance", 0.5 if fact == "accuracy" else 0))
    return Question(kind, str(q["ask"]), fact, params, tolerance, tuple(choices),
                    str(q.get("explain", "")), line)


def default_vocabulary(views: Optional[frozenset[str]] = None) -> Vocabulary:
    """Every name the core knows (views come from the window's registry: pass them)."""
    from ..analysis.projection import METHODS
    from ..data.sources import list_sources
    from ..model.preset_table import FIELDS, PRESETS, TRAINING_BOX

    return Vocabulary(sources=frozenset(s.name for s in list_sources()),
                      presets=frozenset(PRESETS), views=views, methods=frozenset(METHODS),
                      settings={k: FIELDS[k] for k in TRAINING_BOX})
