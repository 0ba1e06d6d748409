"""How one sample is described in hover cards and galleries: index, word or text, true and
predicted class."""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..core.data.samples import SampleSet


def class_name(samples: SampleSet, cls: int) -> str:
    cls = int(cls)
    if 0 <= cls < len(samples.class_names):
        return samples.class_names[cls]
    return f"class {cls}"


def layer_caption(result) -> str:
    """A view's bold layer name with the reduction its feature maps went through, so every
    view says what it shows: "<b>backbone/block_6_add</b> (global average per channel of
    6x6x16 -> 16)"."""
    from html import escape

    reduction = getattr(result, "reduction", "")
    text = f"<b>{escape(str(result.layer_name))}</b>"
    return text + (f" ({escape(reduction)})" if reduction else "")


def elide(text: str, n: int = 90) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def sample_title(samples: SampleSet, row: int) -> str:
    """'#1234 (test)' -- the index within the split, which is what users can look up."""
    return f"#{int(samples.indices[row])} ({samples.split})"


def sample_lines(samples: SampleSet, row: int,
                 predictions: Optional[np.ndarray] = None) -> list[str]:
    """A few lines that identify one sample: index, word/text, true and predicted class."""
    lines = []
    head = sample_title(samples, row)
    if samples.words is not None and row < len(samples.words):
        head += f"  \u201c{samples.words[row]}\u201d"
    lines.append(head)
    true = int(samples.labels[row])
    if predictions is not None and row < len(predictions):
        pred = int(predictions[row])
        mark = "\u2713" if pred == true else "\u2717"
        lines.append(f"true: {class_name(samples, true)}")
        lines.append(f"predicted: {class_name(samples, pred)} {mark}")
    else:
        lines.append(f"class: {class_name(samples, true)}")
    if samples.texts is not None and row < len(samples.texts):
        text = elide(samples.texts[row])
        lines.append(text)
        if text.endswith("\u2026"):  # cut: say where the whole of it is
            lines.append("(click to select it; double-click it in Selection to read it all)")
    return lines


def sample_thumbnail(samples: SampleSet, row: int) -> Optional[np.ndarray]:
    if samples.thumbnails is None or row >= len(samples.thumbnails):
        return None
    return samples.thumbnails[row]
