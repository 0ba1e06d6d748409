"""Hand-made results and real mouse input for the view tests (tests/test_views_*.py).

The results are small and fixed (3 classes x 10 samples, four known mistakes) so every test can
compute what a view must show with plain numpy. The mouse helpers drive a view the way a user
does: QTest presses, moves and releases on the widget's viewport, which pyqtgraph turns into its
own click and drag events.
"""

from __future__ import annotations

import re

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from reprviz_gui.core.data.samples import SampleSet
from reprviz_gui.core.data.types import Dataset
from reprviz_gui.workspace.results import EvaluationResult, LayerResult, ProjectionResult
from reprviz_gui.workspace.state import ResultTag, Selection, TrainingCurves

NAMES = ("cat", "dog", "bird")
N_PER, C, U = 10, 3, 8
N = N_PER * C
TAG = ResultTag(1, "k")
LEFT = Qt.MouseButton.LeftButton
SHIFT = Qt.KeyboardModifier.ShiftModifier
NO_MOD = Qt.KeyboardModifier.NoModifier


# ---------------------------------------------------------------------------------------------
# Hand-made result objects
# ---------------------------------------------------------------------------------------------
def make_samples(words: bool = False, thumbnails: bool = True) -> SampleSet:
    """30 test samples, rows grouped by class; row r is dataset index 100 + 3 r."""
    rng = np.random.default_rng(1)
    thumbs = rng.integers(0, 256, (N, 8, 8), dtype=np.uint8) if thumbnails else None
    return SampleSet(
        indices=np.arange(N) * 3 + 100,
        labels=np.repeat(np.arange(C), N_PER),
        class_names=NAMES,
        split="test",
        thumbnails=thumbs,
        words=tuple(f"w{i}" for i in range(N)) if words else None,
    )


def make_predictions() -> np.ndarray:
    preds = np.repeat(np.arange(C), N_PER)
    preds[[1, 12, 13, 25]] = [2, 0, 2, 1]  # four mistakes
    return preds


def make_layer(cosine: bool = True, samples: SampleSet | None = None,
               predictions: bool = True) -> LayerResult:
    s = samples or make_samples()
    rng = np.random.default_rng(2)
    act = rng.random((s.n, U), dtype=np.float32)
    a = act / np.linalg.norm(act, axis=1, keepdims=True)
    cen = np.stack([act[s.labels == k].mean(0) for k in range(C)])
    cen /= np.linalg.norm(cen, axis=1, keepdims=True)
    return LayerResult(
        TAG, "dense_1", s, act,
        cosine=(a @ a.T).astype(np.float32) if cosine else None,
        centroid_cosine=(cen @ cen.T).astype(np.float32),
        predictions=make_predictions() if predictions else None,
        note="" if cosine else "too many samples for a cosine matrix",
    )


def make_projection(words: bool = False, predictions: bool = True, method: str = "pca",
                    preview: bool = False) -> ProjectionResult:
    s = make_samples(words=words)
    rng = np.random.default_rng(3)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [5.0, 9.0]])
    coords = (centres[s.labels] + rng.normal(0, 1.0, (s.n, 2))).astype(np.float32)
    return ProjectionResult(
        TAG, "dense_1", method, coords, s,
        predictions=make_predictions() if predictions else None,
        explained_variance=np.array([0.3, 0.11], np.float32) if method == "pca" else None,
        preview=preview,
    )


def big_projection(n: int, seed: int = 0) -> ProjectionResult:
    """n points of 10 classes, with predictions (a third of them wrong)."""
    rng = np.random.default_rng(seed)
    labels = np.sort(rng.integers(0, 10, n))
    preds = np.where(rng.random(n) < 0.33, rng.integers(0, 10, n), labels)
    s = SampleSet(indices=np.arange(n), labels=labels,
                  class_names=tuple(str(k) for k in range(10)))
    return ProjectionResult(TAG, "d", "tsne", rng.normal(size=(n, 2)).astype(np.float32), s,
                            predictions=preds)


def make_evaluation(predictions: np.ndarray | None = None,
                    labels: np.ndarray | None = None) -> EvaluationResult:
    cm = np.array([[50, 3, 7], [1, 55, 4], [12, 0, 48]], dtype=np.int64)
    return EvaluationResult(
        TAG, confusion=cm, class_names=NAMES,
        accuracy={"test": float(cm.trace() / cm.sum()), "train": 0.95, "validation": 0.9},
        per_class_accuracy=cm.diagonal() / cm.sum(1),
        top_pairs=((2, 0, 12), (0, 2, 7), (1, 2, 4), (0, 1, 3), (1, 0, 1)),
        labels=labels, predictions=predictions,
    )


def make_curves(k: int, planned: int = 10, running: bool = True,
                stopped: bool = False) -> TrainingCurves:
    e = np.arange(1, k + 1, dtype=float)
    return TrainingCurves(
        history={"loss": tuple(1 / e), "accuracy": tuple(1 - 0.5 / e),
                 "val_loss": tuple(1.1 / e), "val_accuracy": tuple(0.95 - 0.5 / e)},
        epochs_planned=planned, running=running, stopped=stopped,
    )


def make_dataset(n_test: int = 40) -> Dataset:
    """A tiny image dataset: test sample i has class i % 3."""
    rng = np.random.default_rng(4)
    y_test = np.arange(n_test) % C
    return Dataset(name="toy", kind="image",
                   x_train=rng.integers(0, 256, (6, 8, 8), dtype=np.uint8),
                   y_train=np.arange(6) % C,
                   x_test=rng.integers(0, 256, (n_test, 8, 8), dtype=np.uint8),
                   y_test=y_test, class_names=list(NAMES), provenance="made in a test")


def selection_of_rows(samples: SampleSet, rows, source: str = "test") -> Selection:
    return Selection.of(samples.split, samples.indices[np.asarray(rows, dtype=np.int64)], source)


def plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


# ---------------------------------------------------------------------------------------------
# Widgets and mouse
# ---------------------------------------------------------------------------------------------
class Requests:
    """Records every (Selection, additive) a view emits through ``selection_requested``."""

    def __init__(self, signal) -> None:
        self.calls: list[tuple[Selection, bool]] = []
        signal.connect(lambda sel, additive: self.calls.append((sel, additive)))

    def only(self) -> tuple[Selection, bool]:
        assert len(self.calls) == 1, f"expected one request, got {len(self.calls)}"
        return self.calls[0]


def shown(qtbot, panel, size=(520, 420)):
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def settle():
    for _ in range(3):
        QApplication.processEvents()


def viewport_point(view, scene_pos: QPointF) -> QPoint:
    return view.mapFromScene(scene_pos)


def scene_of(view, vp: QPoint) -> QPointF:
    """Where a viewport pixel lands in the scene (what pyqtgraph sees of a mouse event)."""
    return view.mapToScene(vp)


def drag(view, points: list[QPoint], modifier=NO_MOD) -> None:
    """A left-button drag through viewport pixels: press at the first, move through the rest,
    release at the last. pyqtgraph drops move events closer than 10 ms (mouseRateLimit), so
    each move waits a little: every vertex of a lasso gets through."""
    vp = view.viewport()
    QTest.mousePress(vp, LEFT, modifier, points[0])
    for p in points[1:]:
        QTest.qWait(15)
        QTest.mouseMove(vp, p)
    QTest.qWait(15)
    QTest.mouseRelease(vp, LEFT, modifier, points[-1])
    settle()


def inside_polygon(poly: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Even-odd ray casting, written out in numpy (the view uses matplotlib's Path)."""
    x, y = pts[:, 0][:, None], pts[:, 1][:, None]
    x0, y0 = poly[:, 0][None, :], poly[:, 1][None, :]
    x1, y1 = np.roll(poly[:, 0], -1)[None, :], np.roll(poly[:, 1], -1)[None, :]
    crosses = (y0 > y) != (y1 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        xc = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
    return ((crosses & (x < xc)).sum(axis=1) % 2) == 1


def distance_to_edges(poly: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Each point's distance to the polygon's outline (same units as the inputs)."""
    a = poly[None, :, :]
    b = np.roll(poly, -1, axis=0)[None, :, :]
    p = pts[:, None, :]
    ab = b - a
    t = np.clip(((p - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-12), 0, 1)
    closest = a + t[..., None] * ab
    return np.sqrt(((p - closest) ** 2).sum(-1)).min(axis=1)
