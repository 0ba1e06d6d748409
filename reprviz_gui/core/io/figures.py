"""PNG figures for the headless CLI, drawn with matplotlib's Agg backend (no Qt, no pyplot).

Each ``*_figure`` function returns a ``matplotlib.figure.Figure`` built directly (never through
pyplot, so no GUI backend is ever chosen and figures can be made from any thread);
``save_png(fig, path)`` writes it atomically.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from .. import analysis
from ..analysis.colour_scales import activation_scale
from .atomic import atomic_write

DPI = 110


# --- helpers ---------------------------------------------------------------------------------
def class_bands(labels: np.ndarray, class_names: Sequence[str]) -> list[tuple[int, int, str]]:
    """(start, stop, name) for each run of equal labels, in row order."""
    labels = np.asarray(labels)
    bands: list[tuple[int, int, str]] = []
    start = 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[start]:
            c = int(labels[start])
            name = class_names[c] if 0 <= c < len(class_names) else str(c)
            bands.append((start, i, name))
            start = i
    return bands


def class_colors(n: int) -> list:
    """Distinct colours for n classes (tab10, tab20, then evenly spaced hues)."""
    from matplotlib import colormaps

    if n <= 10:
        cmap = colormaps["tab10"]
        return [cmap(i) for i in range(n)]
    if n <= 20:
        cmap = colormaps["tab20"]
        return [cmap(i) for i in range(n)]
    cmap = colormaps["hsv"]
    return [cmap(i / n) for i in range(n)]


def _ordered(labels: np.ndarray) -> np.ndarray:
    """Row order grouping samples by class (stable: keeps the order inside a class)."""
    return np.argsort(np.asarray(labels), kind="stable")


def _label_bands(ax, bands, axis: str, n: int) -> None:
    """Tick each class band at its centre and draw thin separators between bands."""
    centers = [(a + b - 1) / 2 for a, b, _ in bands]
    names = [name for _, _, name in bands]
    fontsize = 8 if len(bands) <= 20 else 6 if len(bands) <= 40 else 4
    many = len(bands) > 60
    for a, _, _ in bands[1:]:
        if axis in ("y", "both"):
            ax.axhline(a - 0.5, color="white", linewidth=0.8)
        if axis in ("x", "both"):
            ax.axvline(a - 0.5, color="white", linewidth=0.8)
    if many:
        return
    if axis in ("y", "both"):
        ax.set_yticks(centers)
        ax.set_yticklabels(names, fontsize=fontsize)
    if axis in ("x", "both"):
        ax.set_xticks(centers)
        ax.set_xticklabels(names, fontsize=fontsize, rotation=60, ha="right")


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


# --- figures ---------------------------------------------------------------------------------
def heatmap_figure(activations: np.ndarray, labels: np.ndarray, class_names: Sequence[str],
                   title: str = "") -> Figure:
    """Samples × units, rows grouped by class with class bands labelled, and a colour bar."""
    act = np.asarray(activations, dtype=np.float32).reshape(len(activations), -1)
    order = _ordered(labels)
    act, lab = act[order], np.asarray(labels)[order]
    fig = _new_figure(9, 7)
    ax = fig.add_subplot()
    # the window's heatmap uses the same scale (diverging around 0 for signed layers)
    scale = activation_scale(act)
    im = ax.imshow(act, aspect="auto", interpolation="nearest", cmap=scale.name,
                   vmin=scale.lo, vmax=scale.hi)
    _label_bands(ax, class_bands(lab, class_names), "y", len(lab))
    ax.set_xlabel(f"unit (of {act.shape[1]})")
    ax.set_ylabel(f"sample ({len(act)}), grouped by class")
    ax.set_title(title or "Activations")
    fig.colorbar(im, ax=ax, label="activation", shrink=0.9)
    return fig


def cosine_figure(cos: np.ndarray, labels: np.ndarray, class_names: Sequence[str],
                  title: str = "") -> Figure:
    """The N×N cosine matrix in class order, class bands on both axes."""
    order = _ordered(labels)
    mat = np.asarray(cos)[np.ix_(order, order)]
    lab = np.asarray(labels)[order]
    fig = _new_figure(8.5, 7.5)
    ax = fig.add_subplot()
    # −1..1, blue–white–red, as the window's cosine view (magma 0..1 for ReLU layers differed)
    im = ax.imshow(mat, interpolation="nearest", cmap="RdBu_r", vmin=-1, vmax=1)
    _label_bands(ax, class_bands(lab, class_names), "both", len(lab))
    ax.set_title(title or "Cosine similarity between samples")
    fig.colorbar(im, ax=ax, label="cosine similarity", shrink=0.9)
    return fig


def map_figure(coords: np.ndarray, labels: np.ndarray, class_names: Sequence[str],
               predictions: Optional[np.ndarray] = None, words: Optional[Sequence[str]] = None,
               title: str = "", axis_labels: tuple[str, str] = ("", ""),
               arrows: Optional[Sequence[tuple[int, int]]] = None) -> Figure:
    """2-D map coloured by class with a legend; misclassified points circled in black;
    word tables get each word written beside its point and, as the window's map shows them,
    an arrow per pair of rows in ``arrows`` (capital → its country)."""
    coords = np.asarray(coords, dtype=np.float32)
    labels = np.asarray(labels)
    n_classes = max(len(class_names), int(labels.max()) + 1 if len(labels) else 0)
    colors = class_colors(n_classes)
    fig = _new_figure(9, 7.5)
    ax = fig.add_subplot()
    size = 30 if len(coords) <= 200 else 12 if len(coords) <= 2000 else 4
    for c in np.unique(labels):
        rows = labels == c
        name = class_names[int(c)] if int(c) < len(class_names) else str(c)
        ax.scatter(coords[rows, 0], coords[rows, 1], s=size, color=colors[int(c)],
                   label=f"{name} ({int(rows.sum())})", alpha=0.85, linewidths=0)
    if predictions is not None:
        wrong = np.asarray(predictions) != labels
        if wrong.any():
            ax.scatter(coords[wrong, 0], coords[wrong, 1], s=size * 2.2, facecolors="none",
                       edgecolors="black", linewidths=0.8,
                       label=f"misclassified ({int(wrong.sum())})")
    for a, b in arrows or ():
        ax.annotate("", xy=tuple(coords[b]), xytext=tuple(coords[a]),
                    arrowprops=dict(arrowstyle="->", color="0.45", lw=0.8, shrinkA=3, shrinkB=3))
    if words is not None:
        for (x, y), w in zip(coords, words):
            ax.annotate(str(w), (x, y), xytext=(3, 2), textcoords="offset points", fontsize=7)
    ncol = 1 if n_classes <= 12 else 2
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, ncol=ncol,
              frameon=False, markerscale=1.5)
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    ax.set_title(title or "2-D map")
    return fig


# A class per row and column, named on the ticks: past this the figure is unreadable, and with
# thousands of classes drawing it (an n x n image, 2n tick labels) ran out of memory.
CONFUSION_FIGURE_MAX_CLASSES = 100


def confusion_figure(cm: np.ndarray, class_names: Sequence[str], title: str = "") -> Figure:
    """Counts, rows = true class, columns = predicted, class names on the ticks."""
    cm = np.asarray(cm)
    n = len(cm)
    side = max(5.5, min(14.0, 0.55 * n + 3))
    fig = _new_figure(side + 1, side)
    ax = fig.add_subplot()
    from matplotlib import colormaps

    blues = colormaps["Blues"](np.linspace(0, 1, 256))
    blues[0] = (1, 1, 1, 1)  # zero counts stay white
    im = ax.imshow(cm, interpolation="nearest", cmap=ListedColormap(blues))
    ticks = np.arange(n)
    names = [str(c) for c in class_names][:n]
    fontsize = 8 if n <= 20 else 6
    ax.set_xticks(ticks)
    ax.set_xticklabels(names, rotation=45, ha="right", fontsize=fontsize)
    ax.set_yticks(ticks)
    ax.set_yticklabels(names, fontsize=fontsize)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if n <= 25:
        vmax = cm.max() if cm.size else 0
        for i in range(n):
            for j in range(n):
                if cm[i, j]:
                    ax.text(j, i, str(int(cm[i, j])), ha="center", va="center",
                            fontsize=7 if n > 12 else 8,
                            color="white" if cm[i, j] > 0.6 * vmax else "black")
    ax.set_title(title or "Confusion matrix (test)")
    fig.colorbar(im, ax=ax, label="samples", shrink=0.8)
    return fig


# --- saving ----------------------------------------------------------------------------------
def save_png(fig: Figure, path: str | os.PathLike) -> Path:
    """Write ``fig`` as PNG atomically (temp file in the same folder, then ``os.replace``)."""
    # bbox_inches="tight": rotated class names below the cosine matrix were cut to "p", "ss"…
    return atomic_write(path, lambda fh: fig.savefig(fh, format="png", dpi=DPI,
                                                     bbox_inches="tight", pad_inches=0.1))


def write_figures(out: Path, acts: np.ndarray, labels: np.ndarray,
                  predictions: Optional[np.ndarray], class_names: list[str], cos: np.ndarray,
                  proj: analysis.Projection, confusion: Optional[np.ndarray],
                  words: Optional[list[str]] = None, title: str = "",
                  layer_name: str = "",
                  arrows: Optional[Sequence[tuple[int, int]]] = None,
                  notes: Optional[list[str]] = None,
                  confusion_split: str = "test",
                  cosine_rows: Optional[np.ndarray] = None) -> list[Path]:
    """heatmap.png, cosine.png, map.png and (with a model) confusion.png, on
    ``confusion_split``; a note (appended to ``notes``) says why a figure was left out.
    ``cosine_rows``: ``cos`` covers only those rows (sampled): the heatmap shows them too."""
    model_title = title
    if layer_name:
        title = f"{title} · layer {layer_name}" if title else f"layer {layer_name}"

    written = []
    some = labels if cosine_rows is None else labels[cosine_rows]
    fig = heatmap_figure(acts if cosine_rows is None else acts[cosine_rows], some, class_names,
                         f"Activations · {title}")
    written.append(save_png(fig, out / "heatmap.png"))
    fig = cosine_figure(cos, some, class_names, f"Cosine similarity · {title}")
    written.append(save_png(fig, out / "cosine.png"))
    label = analysis.METHOD_LABELS.get(proj.method, proj.method)
    axes = ("", "")
    if proj.explained_variance is not None:
        ev = proj.explained_variance
        axes = (f"PC 1 ({ev[0]:.1%} of variance)", f"PC 2 ({ev[1]:.1%} of variance)")
    fig = map_figure(proj.coords, labels, class_names, predictions, words,
                     f"{label} map · {title}", axes, arrows=arrows)
    written.append(save_png(fig, out / "map.png"))
    if confusion is not None and len(confusion) > CONFUSION_FIGURE_MAX_CLASSES:
        if notes is not None:
            notes.append(f"confusion.png was not drawn: {len(confusion):,} classes are more than "
                         f"{CONFUSION_FIGURE_MAX_CLASSES} a figure can show (the matrix is in "
                         "report.json).")
    elif confusion is not None:
        fig = confusion_figure(confusion, class_names,
                               f"Confusion ({confusion_split}) · {model_title}")
        written.append(save_png(fig, out / "confusion.png"))
    return written
