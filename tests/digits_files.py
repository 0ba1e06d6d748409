"""The 20x20 digits of the hand-made network, generated from scikit-learn's digits.

Andrew Ng's course ships 5,000 20x20 grey digits as ``X`` (one image per row, pixels stored
column by column, as MATLAB/Octave write them, float values around 0..1) and ``y`` (labels
1..10, where 10 means the digit 0). ``write_numbers_and_labels`` writes the same layout as
``numbers.csv`` + ``labels.csv`` from scikit-learn's 8x8 digits, upscaled to 20x20.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def upscaled_digits(n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(images, digits)``: ``n`` of scikit-learn's digits as (n, 20, 20) float64 in 0..1,
    upscaled with PIL's bilinear resize, and their digits 0..9."""
    from PIL import Image
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = bunch.images[:n] / 16.0
    big = np.stack([np.asarray(Image.fromarray(img.astype(np.float32), "F")
                               .resize((20, 20), Image.Resampling.BILINEAR), dtype=np.float64)
                    for img in images])
    return big, bunch.target[:n].astype(np.int64)


def write_numbers_and_labels(folder: Path, n: int | None = 300, *, header: str | None = None
                             ) -> tuple[Path, Path, np.ndarray, np.ndarray]:
    """Write ``numbers.csv`` (one image per row, column-major, 4 decimals) and ``labels.csv``
    (one label per line, 1..10 with 10 for 0; ``header`` on the first line if given).
    Returns the two paths, the upright images and their digits."""
    images, digits = upscaled_digits(n)
    folder.mkdir(parents=True, exist_ok=True)
    numbers = folder / "numbers.csv"
    rows = [",".join(f"{v:.4f}" for v in img.flatten(order="F")) for img in images]
    numbers.write_text("\n".join(rows) + "\n", encoding="utf-8")
    labels = folder / "labels.csv"
    lines = ([header] if header else []) + [str(10 if d == 0 else int(d)) for d in digits]
    labels.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return numbers, labels, images, digits


def correlation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of every row of ``a`` with every row of ``b`` (flattened)."""
    a = a.reshape(len(a), -1).astype(np.float64)
    b = b.reshape(len(b), -1).astype(np.float64)
    a = (a - a.mean(1, keepdims=True)) / (a.std(1, keepdims=True) + 1e-12)
    b = (b - b.mean(1, keepdims=True)) / (b.std(1, keepdims=True) + 1e-12)
    return a @ b.T / a.shape[1]
