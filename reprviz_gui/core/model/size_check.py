"""Refuse a preset model the data would make too big, before Keras allocates it.

The data decides a preset's size: a dense layer after 4096x4096 images has 16.8 million inputs
per unit, a token id of 10**8 in a text file makes a 10**8-row embedding. Keras would try to
allocate tens of gigabytes and the process dies. As core/memory.py does for the cosine matrix,
the weights are counted from the shapes alone and checked against the memory budget first.
"""

from __future__ import annotations

import math
from typing import Sequence

from ..errors import ResourceLimitError
from ..memory import format_bytes, memory_budget_bytes

# Training holds each weight ~4 times in float32: the value, its gradient and Adam's two moments.
BYTES_PER_WEIGHT = 4 * 4


def _dense_weights(n_in: int, widths: Sequence[int]) -> int:
    total = 0
    for width in widths:
        total += n_in * width + width
        n_in = width
    return total


def preset_weight_count(preset: str, shape: Sequence[int], hidden: Sequence[int],
                        n_classes: int, vocab: int = 0, embed_dim: int = 0,
                        lstm_units: int = 0) -> int:
    """How many weights the preset will have for samples of ``shape`` (exact for the presets'
    dense layers and embedding, the few convolution weights left out)."""
    out = 1 if preset == "bilstm" and n_classes == 2 else n_classes
    widths = [int(h) for h in hidden]
    if preset == "multinomial":
        return _dense_weights(math.prod(shape), [out])
    if preset in ("dense", "sigmoid-mlp"):
        return _dense_weights(math.prod(shape), widths + [out])
    if preset == "lenet":
        h, w = int(shape[0]) // 4, int(shape[1]) // 4
        return _dense_weights(h * w * 16, widths + [out])
    if preset == "bilstm":
        lstm = 2 * 4 * (embed_dim + lstm_units + 1) * lstm_units
        return vocab * embed_dim + lstm + _dense_weights(2 * lstm_units, widths + [out])
    return 0


def check_model_fits(preset: str, shape: Sequence[int], hidden: Sequence[int], n_classes: int,
                     vocab: int = 0, embed_dim: int = 0, lstm_units: int = 0) -> None:
    """Raise ``ResourceLimitError`` (one line naming what made it big) when training the preset
    would need more than the memory budget."""
    weights = preset_weight_count(preset, shape, hidden, n_classes, vocab, embed_dim,
                                  lstm_units)
    need = weights * BYTES_PER_WEIGHT
    limit = memory_budget_bytes()
    if need <= limit:
        return
    if preset == "bilstm":
        why = (f"its embedding has {vocab:,} rows, one per token id up to the largest in the "
               "data: token ids must stay below the vocabulary's size")
    else:
        why = (f"its samples ({'x'.join(str(int(d)) for d in shape)}) feed every unit of the "
               "first layer: use smaller images (--image-size) or fewer features")
    raise ResourceLimitError(
        f"The {preset} model would have {weights:,} weights and need {format_bytes(need)} to "
        f"train; the limit is {format_bytes(limit)}; {why}.")
