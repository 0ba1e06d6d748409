"""Questions judged from a known confusion matrix (Qt-free, no model): the right answer and the
feedback's numbers, a wrong answer, a partial selection, and what to do when nothing is there."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from reprviz_gui.core.lessons.format import Question
from reprviz_gui.workspace.lesson_facts import check, truth
from reprviz_gui.workspace.state import Selection

NAMES = ("T-shirt", "Pullover", "Shirt")
# rows true, columns predicted: Shirt -> Pullover 7, Pullover -> Shirt 2, Shirt -> T-shirt 4,
# T-shirt -> Shirt 4 (so Shirt: Pullover 9 both ways, T-shirt 8)
CM = np.array([[20, 0, 4],
               [1, 15, 2],
               [4, 7, 9]])


def _labels_predictions() -> tuple[np.ndarray, np.ndarray]:
    y, p = [], []
    for t in range(3):
        for q in range(3):
            y += [t] * CM[t, q]
            p += [q] * CM[t, q]
    return np.array(y), np.array(p)


def _controller(selection: Selection | None = None, evaluation: bool = True):
    y, p = _labels_predictions()
    ev = SimpleNamespace(tag="now", confusion=CM, class_names=NAMES,
                         accuracy={"train": 0.9, "test": np.trace(CM) / CM.sum()},
                         per_class_accuracy=np.diag(CM) / CM.sum(axis=1), split="test",
                         cell_indices=lambda t, q: np.flatnonzero((y == t) & (p == q)))
    ws = SimpleNamespace(is_current=lambda tag: tag == "now", sessions={},
                         selection=selection or Selection())
    return SimpleNamespace(result=lambda kind, sid="A": ev if evaluation else None,
                           workspace=ws, settings=SimpleNamespace(source="x"))


def q(kind: str, fact: str, tolerance: float = 0.0, **params) -> Question:
    return Question(kind, "?", fact, params, tolerance, (), "", 1)


def test_choice_questions_from_the_confusion_matrix():
    c = _controller()
    assert truth(q("choice", "most_confused_with", **{"class": "Shirt"}), c).answer == "Pullover"
    fb = check(q("choice", "most_confused_with", **{"class": "Shirt"}), "pullover", c)
    assert fb.right and "7 Shirt called Pullover and 2 the other way" in fb.text
    fb = check(q("choice", "most_confused_with", **{"class": "Shirt"}), "T-shirt", c)
    assert not fb.right and fb.text.startswith("Not quite: the answer is Pullover")
    # recalls: T-shirt 20/24, Pullover 15/18, Shirt 9/20 -> Shirt
    fb = check(q("choice", "hardest_class"), "Shirt", c)
    assert fb.right and "Shirt 45.0 %" in fb.text


def test_number_questions_with_tolerance():
    c = _controller()
    acc = 100 * 44 / 62
    assert check(q("number", "accuracy", 0.5), f"{acc + 0.4:.2f} %", c).right
    assert not check(q("number", "accuracy", 0.5), f"{acc + 0.6:.2f}", c).right
    fb = check(q("number", "confusion_count", true="Shirt", predicted="Pullover"), "7", c)
    assert fb.right and "7 of the 20 test images of Shirt" in fb.text
    assert check(q("number", "confusion_count", true=2, predicted=1), "6", c).right is False
    assert "Type a number" in check(q("number", "accuracy"), "many", c).text


def test_a_selection_is_checked_against_the_cell():
    y, p = _labels_predictions()
    cell = np.flatnonzero((y == 2) & (p == 1))
    question = q("selection", "confusion_cell", true="Shirt", predicted="Pullover")
    assert check(question, None, _controller(Selection.of("test", cell))).right
    fb = check(question, None, _controller(Selection.of("test", cell[:5].tolist() + [0])))
    assert not fb.right and "misses 2 of them and holds 1 others" in fb.text
    # the same indices in another split are not these samples
    assert not check(question, None, _controller(Selection.of("train", cell))).right


def test_without_an_evaluation_the_feedback_says_what_to_do():
    fb = check(q("choice", "hardest_class"), "Shirt", _controller(evaluation=False))
    assert not fb.right and "train it" in fb.text
    fb = check(q("choice", "most_confused_with", **{"class": "Sandal"}), "Shirt", _controller())
    assert not fb.right and "no class 'Sandal'" in fb.text
