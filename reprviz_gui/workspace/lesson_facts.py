"""A lesson question's answer, read from the window's live state (the controller's current
results and selection), and the feedback for a student's answer naming this model's numbers.

Qt-free: it reads ``controller.result(...)``, ``workspace.selection`` and ``layers_of``, the
same results the views draw, so the answer is what the student sees on screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from ..core.lessons.format import Question


@dataclass(frozen=True)
class Truth:
    """The right answer now: ``answer`` (a text for choices, a float for numbers, the sample
    indices for a selection), the choices to offer, and a sentence with the numbers behind it."""

    answer: Any
    why: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Feedback:
    right: bool
    text: str


class NotYet(Exception):
    """The live state cannot answer yet (no trained model, no word table): say what to do."""


def _evaluation(c: Any, sid: str = "A") -> Any:
    ev = c.result("evaluation", sid)
    if ev is None or not c.workspace.is_current(ev.tag):
        raise NotYet("Your model has no evaluation yet: train it (or press Do it), with the "
                     "Confusion matrix view open, then answer.")
    return ev


def class_index(names: tuple[str, ...] | list[str], value: Any) -> int:
    """A class given by name (case-insensitive) or by number."""
    names = list(names)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(names):
        return value
    low = [n.lower() for n in names]
    if str(value).lower() in low:
        return low.index(str(value).lower())
    raise NotYet(f"This data has no class '{value}'; its classes are {', '.join(names)}.")


def truth(q: Question, c: Any) -> Truth:
    """The answer to ``q`` in the controller's current state (``NotYet`` if it has none)."""
    p = q.params
    if q.fact in ("most_confused_with", "hardest_class", "confusion_count", "confusion_cell",
                  "accuracy"):
        ev = _evaluation(c)
        names = tuple(ev.class_names)
        cm = np.asarray(ev.confusion, dtype=np.int64)
    if q.fact == "most_confused_with":
        k = class_index(names, p["class"])
        both = cm[k, :] + cm[:, k]  # either direction: k taken for j, or j taken for k
        both[k] = -1
        j = int(np.argmax(both))
        order = [int(i) for i in np.argsort(-both, kind="stable") if i != k][:3]
        parts = ", ".join(f"{names[i]} {int(both[i])}" for i in order)
        why = (f"your model mixes {names[k]} up most with {names[j]}: {int(cm[k, j])} "
               f"{names[k]} called {names[j]} and {int(cm[j, k])} the other way "
               f"(both directions: {parts})")
        return Truth(names[j], why, tuple(n for i, n in enumerate(names) if i != k))
    if q.fact == "hardest_class":
        acc = np.asarray(ev.per_class_accuracy, dtype=np.float64)
        k = int(np.argmin(acc))
        order = np.argsort(acc, kind="stable")[:3]
        parts = ", ".join(f"{names[i]} {100 * acc[i]:.1f} %" for i in order)
        return Truth(names[k], f"the lowest test accuracies of your model: {parts}", names)
    if q.fact == "confusion_count":
        t, pr = class_index(names, p["true"]), class_index(names, p["predicted"])
        return Truth(float(cm[t, pr]), f"{int(cm[t, pr])} of the {int(cm[t].sum())} test "
                     f"images of {names[t]} are called {names[pr]} by your model")
    if q.fact == "accuracy":
        split = p.get("split", "test")
        if split not in ev.accuracy:
            raise NotYet(f"There is no {split} split to measure (set a validation split).")
        acc = 100.0 * float(ev.accuracy[split])
        others = ", ".join(f"{s} {100 * v:.1f} %" for s, v in ev.accuracy.items())
        return Truth(acc, f"your model's accuracy: {others}")
    if q.fact == "confusion_cell":
        t, pr = class_index(names, p["true"]), class_index(names, p["predicted"])
        idx = np.asarray(ev.cell_indices(t, pr), dtype=np.int64)
        return Truth((ev.split, idx), f"{len(idx)} {ev.split} images of {names[t]} are "
                     f"called {names[pr]} by your model")
    if q.fact == "better_model":
        if "B" not in c.workspace.sessions:
            raise NotYet("Compare two models first (Run → Compare with).")
        a, b = _evaluation(c, "A"), _evaluation(c, "B")
        la, lb = (c.workspace.sessions[s].label for s in ("A", "B"))
        acc_a, acc_b = 100 * a.accuracy["test"], 100 * b.accuracy["test"]
        best = la if acc_a >= acc_b else lb
        return Truth(best, f"test accuracy: {la} {acc_a:.1f} %, {lb} {acc_b:.1f} %", (la, lb))
    if q.fact == "analogies_right":
        words = c.result("words", "")
        if words is None or words.offsets is None:
            raise NotYet("Open the capitals word table first (and the Words view).")
        off = words.offsets
        return Truth(float(off.n_trials_correct), f"{off.n_trials_correct} of {off.n_trials} "
                     f"analogies come out right in this table")
    if q.fact == "layer_width":
        layer = next((lay for lay in c.layers_of("A") if lay.name == p["layer"]), None)
        if layer is None:
            raise NotYet(f"Your model has no layer '{p['layer']}'.")
        shape = tuple(int(d) for d in layer.output_shape if d is not None)
        width = int(shape[-1]) if shape else 0
        return Truth(float(width), f"{layer.name} ({layer.type}) has output shape "
                     f"{shape}: {width} features per sample")
    if q.fact == "history_runs":
        hist = c.result("history", "")
        if hist is None:
            raise NotYet("Open the Run history view first.")
        name = c.dataset.name if c.dataset is not None else ""
        n = sum(1 for r in hist.records if r.dataset == name)
        return Truth(float(n), f"the run history holds {n} run(s) on {name}")
    raise NotYet(f"Unknown fact {q.fact}")


def check(q: Question, given: Any, c: Any) -> Feedback:
    """Whether ``given`` answers ``q`` (choice: a text, number: a number or its text,
    selection: ignored, the live selection is checked), with the reason in this model's
    numbers."""
    try:
        t = truth(q, c)
    except NotYet as err:
        return Feedback(False, str(err))
    if q.kind == "choice":
        right = str(given).strip().lower() == str(t.answer).lower()
        head = "Right" if right else f"Not quite: the answer is {t.answer}"
        return Feedback(right, f"{head} — {t.why}.")
    if q.kind == "number":
        try:
            value = float(str(given).replace("%", "").replace(",", "").strip())
        except ValueError:
            return Feedback(False, f"Type a number, not {str(given)!r}.")
        right = abs(value - float(t.answer)) <= q.tolerance + 1e-9
        shown = f"{float(t.answer):.1f}" if q.fact == "accuracy" else f"{float(t.answer):g}"
        head = "Right" if right else f"Not quite: the answer is {shown}"
        return Feedback(right, f"{head} — {t.why}.")
    split, idx = t.answer
    sel = c.workspace.selection
    chosen = set(int(i) for i in sel.indices) if sel.split == split else set()
    want = set(int(i) for i in idx)
    if chosen == want:
        return Feedback(True, f"Right — {t.why}, and those {len(want)} are selected.")
    missing, extra = len(want - chosen), len(chosen - want)
    return Feedback(False, f"Not quite: {t.why}; your selection misses {missing} of them and "
                    f"holds {extra} others. Click that confusion cell.")


def explain_state(expected: dict[str, Any], c: Any) -> Optional[str]:
    """What differs between the state a step sets up and the window's (None: nothing)."""
    diffs = []
    s = c.workspace.sessions.get("A")
    if "source" in expected and c.settings.source != expected["source"]:
        diffs.append(f"the data is {c.settings.source}, the step uses {expected['source']}")
    if "preset" in expected and s is not None and s.preset != expected["preset"]:
        diffs.append(f"the model is {s.preset}, the step uses {expected['preset']}")
    if "layer" in expected and s is not None and s.layer != expected["layer"]:
        diffs.append(f"the layer is {s.layer}, the step shows {expected['layer']}")
    if "method" in expected and c.workspace.method != expected["method"]:
        diffs.append(f"the map is {c.workspace.method}, the step uses {expected['method']}")
    return "; ".join(diffs) if diffs else None
