"""Linear centred kernel alignment (CKA; Kornblith et al. 2019) between layers, with the
debiased estimator of Nguyen et al. (2021).

Two forms give the same number:

- **feature form** ``||Y'X||_F^2 / (||X'X||_F ||Y'Y||_F)`` on column-centred activations:
  ``p × q`` matrices, never ``N × N`` — what 8,000 samples of narrow layers need;
- **Gram form** ``<HKH, HLH> / (||HKH|| ||HLH||)`` with ``K = XX'``: ``N × N``, cheaper only
  when a layer is wider than there are samples (a conv layer of a few hundred samples).

``cka_matrix`` picks per layer by shape (``gram`` when ``units > N`` and the ``N × N`` Gram fits
``GRAM_MAX_N``), computes each layer's self-term once, and every pair from those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from ..progress import ProgressFn, StopFn, check_stop, report

# Gram matrices are N × N float64: 4,000 samples is 128 MB, the most we build.
GRAM_MAX_N = 4000


def _centred(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    x = x.reshape(len(x), -1)
    return x - x.mean(axis=0, keepdims=True)


def _debias(xty: float, rows_x: np.ndarray, rows_y: np.ndarray, sq_x: float, sq_y: float,
            n: int) -> float:
    """The unbiased HSIC numerator (Song et al. 2012) from centred features' summaries:
    ``xty = ||Y'X||^2``, ``rows_* = `` each row's squared norm (the Gram's diagonal), ``sq_*``
    their sums (the Gram's trace). Same as Kornblith et al.'s reference code."""
    return (xty - n / (n - 2.0) * float(rows_x @ rows_y)
            + sq_x * sq_y / ((n - 1.0) * (n - 2.0)))


def linear_cka(x: np.ndarray, y: np.ndarray, debiased: bool = False) -> float:
    """Linear CKA of two activation matrices with the same rows (samples), feature form."""
    x, y = _centred(x), _centred(y)
    n = len(x)
    if len(y) != n:
        raise ValueError(f"x has {n} rows but y has {len(y)}")
    if debiased and n < 4:
        raise ValueError("the debiased estimate needs at least 4 samples")
    xty = float(np.sum((y.T @ x) ** 2))
    xx = float(np.sum((x.T @ x) ** 2))
    yy = float(np.sum((y.T @ y) ** 2))
    if debiased:
        rx, ry = np.einsum("ij,ij->i", x, x), np.einsum("ij,ij->i", y, y)
        sx, sy = float(rx.sum()), float(ry.sum())
        xty = _debias(xty, rx, ry, sx, sy, n)
        xx = _debias(xx, rx, rx, sx, sx, n)
        yy = _debias(yy, ry, ry, sy, sy, n)
    den = np.sqrt(max(xx, 0.0) * max(yy, 0.0))
    return float(xty / den) if den > 0 else 0.0


def linear_cka_gram(x: np.ndarray, y: np.ndarray, debiased: bool = False) -> float:
    """The same number from the centred Gram matrices (``N × N``)."""
    gx, gy = _centred_gram(x), _centred_gram(y)
    return _gram_cka(gx, gy, len(gx), debiased)


def _centred_gram(x: np.ndarray) -> np.ndarray:
    x = _centred(x)  # centring the features centres the linear Gram: H X X' H = (HX)(HX)'
    return x @ x.T


def _gram_hsic(gx: np.ndarray, gy: np.ndarray, n: int, debiased: bool) -> float:
    xty = float(np.sum(gx * gy))
    if not debiased:
        return xty
    dx, dy = np.diag(gx).copy(), np.diag(gy).copy()
    return _debias(xty, dx, dy, float(dx.sum()), float(dy.sum()), n)


def _gram_cka(gx: np.ndarray, gy: np.ndarray, n: int, debiased: bool) -> float:
    xy = _gram_hsic(gx, gy, n, debiased)
    den = np.sqrt(max(_gram_hsic(gx, gx, n, debiased), 0.0)
                  * max(_gram_hsic(gy, gy, n, debiased), 0.0))
    return float(xy / den) if den > 0 else 0.0


@dataclass(frozen=True)
class CKAMatrix:
    """CKA between every pair of (``rows`` × ``cols``) layers."""

    rows: tuple[str, ...]
    cols: tuple[str, ...]
    matrix: np.ndarray  # (len(rows), len(cols)) float64
    debiased: bool
    forms: tuple[str, ...]  # "feature" or "gram" per layer of rows + cols, as computed
    n_samples: int

    def to_dict(self) -> dict:
        return {"rows": list(self.rows), "cols": list(self.cols),
                "matrix": np.round(self.matrix, 6).tolist(), "debiased": self.debiased,
                "forms": list(self.forms), "n_samples": self.n_samples}


def choose_form(n: int, units: int) -> str:
    """``gram`` when the layer is wider than there are samples and the Gram fits; else
    ``feature`` (``p × p`` is smaller than ``N × N``)."""
    return "gram" if units > n and n <= GRAM_MAX_N else "feature"


class _Layer:
    """One layer's centred features (or centred Gram) and the self-term of its CKA."""

    def __init__(self, acts: np.ndarray, debiased: bool, form: Optional[str] = None) -> None:
        x = _centred(acts)
        self.n = len(x)
        self.form = form or choose_form(self.n, x.shape[1])
        self.debiased = debiased
        if self.form == "gram":
            self.gram: Optional[np.ndarray] = x @ x.T
            self.x = None
            self.rows = np.diag(self.gram).copy()
        else:
            self.gram = None
            self.x = x
            self.rows = np.einsum("ij,ij->i", x, x)
        self.sq = float(self.rows.sum())
        self.self_term = max(self._hsic(self), 0.0)

    def _hsic(self, other: "_Layer") -> float:
        if self.gram is not None and other.gram is not None:
            xty = float(np.sum(self.gram * other.gram))
        elif self.gram is None and other.gram is None:
            xty = float(np.sum((other.x.T @ self.x) ** 2))
        else:  # one of each: <XX', G> = sum over features of x_f' G x_f
            feat, gram = (self, other) if self.gram is None else (other, self)
            xty = float(np.sum(feat.x * (gram.gram @ feat.x)))
        if self.debiased:
            xty = _debias(xty, self.rows, other.rows, self.sq, other.sq, self.n)
        return xty

    def cka(self, other: "_Layer") -> float:
        den = np.sqrt(self.self_term * other.self_term)
        return float(self._hsic(other) / den) if den > 0 else 0.0


def cka_matrix(layers: dict[str, np.ndarray], other: Optional[dict[str, np.ndarray]] = None,
               debiased: bool = False, form: Optional[str] = None,
               on_progress: ProgressFn | None = None,
               should_stop: StopFn | None = None) -> CKAMatrix:
    """CKA between every pair of ``layers`` (symmetric, ones on the diagonal), or between
    ``layers`` (rows) and ``other`` (columns: the compared model's layers, same samples).
    ``form`` forces "feature" or "gram" (the benchmark); None picks per layer by shape."""
    if debiased and any(len(a) < 4 for a in layers.values()):
        raise ValueError("the debiased estimate needs at least 4 samples")
    row_names = tuple(layers)
    prepared: dict[tuple[int, str], _Layer] = {}
    total = len(layers) + (len(other) if other else 0)
    for i, (name, acts) in enumerate(layers.items()):
        check_stop(should_stop)
        prepared[(0, name)] = _Layer(acts, debiased, form)
        report(on_progress, "cka", (i + 1) / (2 * total), f"CKA: preparing {name}…")
    col_side = 0
    col_names = row_names
    if other is not None:
        col_side, col_names = 1, tuple(other)
        for j, (name, acts) in enumerate(other.items()):
            check_stop(should_stop)
            if len(acts) != len(next(iter(layers.values()))):
                raise ValueError("both models' layers must hold the same samples")
            prepared[(1, name)] = _Layer(acts, debiased, form)
            report(on_progress, "cka", (len(layers) + j + 1) / (2 * total),
                   f"CKA: preparing {name}…")
    out = np.zeros((len(row_names), len(col_names)))
    for i, a in enumerate(row_names):
        check_stop(should_stop)
        for j, b in enumerate(col_names):
            if other is None and j < i:
                out[i, j] = out[j, i]
            elif other is None and i == j:
                out[i, j] = 1.0 if prepared[(0, a)].self_term > 0 else 0.0
            else:
                out[i, j] = prepared[(0, a)].cka(prepared[(col_side, b)])
        report(on_progress, "cka", 0.5 + 0.5 * (i + 1) / len(row_names), "CKA…")
    forms = tuple(prepared[k].form for k in prepared)
    n = len(next(iter(layers.values()))) if layers else 0
    return CKAMatrix(row_names, col_names, out, debiased, forms, n)


def plain_cka_matrix(layers: Sequence[np.ndarray]) -> np.ndarray:
    """The textbook loop (centre, three products per pair): the benchmark's baseline."""
    n = len(layers)
    out = np.eye(n)
    for i in range(n):
        for j in range(i + 1, n):
            x = layers[i] - layers[i].mean(0)
            y = layers[j] - layers[j].mean(0)
            x, y = x.astype(np.float64), y.astype(np.float64)
            out[i, j] = out[j, i] = (np.linalg.norm(x.T @ y) ** 2 / (
                np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y)))
    return out
