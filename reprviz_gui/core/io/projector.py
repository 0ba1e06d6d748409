"""A layer's activations as a TensorBoard projector bundle: a folder that opens as it is with
``tensorboard --logdir FOLDER`` (and, loaded file by file, in projector.tensorflow.org).

The format is the projector plugin's own (tensorboard/plugins/projector): ``projector_config.pbtxt``
names, relative to itself, the tensor (``tensors.tsv``: one row per sample, tab-separated, no
header; or ``tensors.bytes``: raw little-endian float32 with ``tensor_shape``), the metadata
(``metadata.tsv``: a header row, then one row per sample; with more than one column the projector
takes the first row as the header) and the sprite (``sprite.png``: a square grid of ceil(sqrt N)
thumbnails per side, sample 0 top left, row by row, with ``single_image_dim`` = one thumbnail's
width and height). WebGL caps a texture at 8,192 px a side, so bigger grids get smaller
thumbnails (a note says so). The projector loads at most 100,000 points; more are written, with
a note. No Qt here: the window, ``analyze`` and ``export SESSION`` call ``write_projector``.
"""

from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Optional, Sequence

import numpy as np

from ..errors import ReprvizError
from ..progress import ProgressFn, StopFn, check_stop, report
from .atomic import atomic_write, atomic_write_text

CONFIG_NAME = "projector_config.pbtxt"  # tensorboard.plugins.projector.metadata.PROJECTOR_FILENAME
TENSORS_TSV = "tensors.tsv"
TENSORS_BYTES = "tensors.bytes"
METADATA_NAME = "metadata.tsv"
SPRITE_NAME = "sprite.png"
SPRITE_MAX_SIDE = 8_192  # px: the projector's sprite is one WebGL texture
PROJECTOR_MAX_ROWS = 100_000  # the projector samples down to this many points
SNIPPET_CHARS = 120  # a review in the metadata: its first words, enough to recognise it
_CHUNK_ROWS = 2_000  # rows of TSV written between progress reports and stop checks
_PNG_ROWS = 256  # pixel rows of the sprite compressed between stop checks (~0.2 s at 7,950 RGB)


class ProjectorError(ReprvizError):
    """The bundle cannot be written (bad input, a folder that cannot be made)."""


@dataclass(frozen=True)
class ProjectorBundle:
    """What was written: the folder, its files, the sprite's geometry and notes for the user."""

    folder: Path
    files: tuple[Path, ...]
    rows: int
    dims: int
    sprite_grid: int = 0  # thumbnails per side of the sprite (0: no sprite)
    thumbnail_size: tuple[int, int] = (0, 0)  # (width, height) of one thumbnail in the sprite
    notes: tuple[str, ...] = field(default_factory=tuple)


def tsv_field(value: object) -> str:
    """One metadata cell: tabs and line breaks would split the row, so they become spaces."""
    text = "" if value is None else str(value)
    return " ".join(text.replace("\t", " ").replace("\r", " ").replace("\n", " ").split()) \
        if any(c in text for c in "\t\r\n") else text


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """The start of a review, cut at a word and marked with an ellipsis when cut."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut + "\u2026"


def metadata_rows(indices: np.ndarray, split: str, labels: np.ndarray,
                  class_names: Sequence[str], predictions: Optional[np.ndarray] = None,
                  words: Optional[Sequence[str]] = None, texts: Optional[Sequence[str]] = None
                  ) -> tuple[list[str], list[list[str]]]:
    """The metadata table: header and rows (index, split, true class, predicted class, correct,
    then the word or a review snippet when there is one)."""
    def name(k: int) -> str:
        return class_names[k] if 0 <= k < len(class_names) else str(k)

    header = ["index", "split", "true class", "predicted class", "correct"]
    extra: Optional[Sequence[str]] = None
    if words is not None:
        header.append("word")
        extra = words
    elif texts is not None:
        header.append("review")
        extra = [snippet(t) for t in texts]
    rows = []
    for i in range(len(indices)):
        true = int(labels[i])
        if predictions is None:
            pred, correct = "", ""
        else:
            p = int(predictions[i])
            pred, correct = name(p), ("yes" if p == true else "no")
        row = [str(int(indices[i])), split, name(true), pred, correct]
        if extra is not None:
            row.append(extra[i])
        rows.append([tsv_field(v) for v in row])
    return header, rows


def sprite_geometry(n: int, height: int, width: int,
                    max_side: Optional[int] = None) -> tuple[int, int, int]:
    """(grid side, thumbnail height, thumbnail width): ceil(sqrt n) thumbnails per side, each
    shrunk (keeping its aspect) so the whole sprite is at most ``max_side`` px a side."""
    max_side = SPRITE_MAX_SIDE if max_side is None else max_side
    grid = max(1, math.ceil(math.sqrt(n)))
    scale = min(1.0, max_side / (grid * max(height, width)))
    return grid, max(1, int(height * scale)), max(1, int(width * scale))


def sprite_image(thumbnails: np.ndarray, max_side: Optional[int] = None,
                 on_progress: ProgressFn | None = None,
                 should_stop: StopFn | None = None) -> np.ndarray:
    """The sprite as an (H, W) or (H, W, 3) uint8 array, thumbnails row by row from the top left,
    the unused cells of the last row black (white would read as samples). Drawn in blocks of grid
    rows with a stop check before each (``Cancelled``), so a cancel waits for one block."""
    from PIL import Image  # only here: the rest of the bundle needs no imaging library

    thumbs = np.asarray(thumbnails)
    if thumbs.ndim == 4 and thumbs.shape[-1] == 1:
        thumbs = thumbs[..., 0]
    if thumbs.ndim not in (3, 4):
        raise ProjectorError(f"Thumbnails must be (N, H, W) or (N, H, W, C); got {thumbs.shape}")
    if thumbs.dtype != np.uint8:  # floats in 0..1 or 0..255: scale to bytes
        t = thumbs.astype(np.float32)
        t = t * 255.0 if t.size and float(np.nanmax(t)) <= 1.0 else t
        thumbs = np.clip(np.nan_to_num(t), 0, 255).astype(np.uint8)
    if thumbs.ndim == 4 and thumbs.shape[-1] == 4:
        thumbs = thumbs[..., :3]
    n, h, w = thumbs.shape[:3]
    grid, th, tw = sprite_geometry(n, h, w, max_side)
    colour = thumbs.shape[3:]
    out = np.zeros((grid * th, grid * tw) + colour, dtype=np.uint8)
    # whole grid rows of about _CHUNK_ROWS thumbnails: 7 rows of 265 at 70,000 images
    block = grid * max(1, _CHUNK_ROWS // grid)
    for start in range(0, n, block):
        check_stop(should_stop)
        for i in range(start, min(n, start + block)):
            t = thumbs[i]
            if (th, tw) != (h, w):
                t = np.asarray(Image.fromarray(t).resize((tw, th), Image.Resampling.LANCZOS))
            r, c = divmod(i, grid)
            out[r * th:(r + 1) * th, c * tw:(c + 1) * tw] = t
        report(on_progress, "export", 0.85 + 0.1 * min(n, start + block) / n,
               "Drawing the projector's sprite")
    return out


def config_text(tensor_name: str, tensor_path: str, metadata_path: str,
                shape: Optional[tuple[int, int]] = None, sprite_path: str = "",
                thumbnail_size: tuple[int, int] = (0, 0)) -> str:
    """projector_config.pbtxt (protobuf text format); every path relative to the config."""
    def q(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["embeddings {", f"  tensor_name: {q(tensor_name)}",
             f"  tensor_path: {q(tensor_path)}"]
    if shape is not None:
        lines += [f"  tensor_shape: {int(shape[0])}", f"  tensor_shape: {int(shape[1])}"]
    lines.append(f"  metadata_path: {q(metadata_path)}")
    if sprite_path:
        w, h = thumbnail_size
        lines += ["  sprite {", f"    image_path: {q(sprite_path)}",
                  f"    single_image_dim: {int(w)}", f"    single_image_dim: {int(h)}", "  }"]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _write_tsv(fh: BinaryIO, activations: np.ndarray, on_progress: ProgressFn | None,
               should_stop: StopFn | None) -> None:
    n = len(activations)
    for start in range(0, n, _CHUNK_ROWS):
        check_stop(should_stop)
        block = activations[start:start + _CHUNK_ROWS]
        # float32 round-trips exactly through 9 significant digits
        text = "\n".join("\t".join(f"{v:.9g}" for v in row) for row in block.tolist())
        fh.write(text.encode("ascii") + b"\n")
        report(on_progress, "export", 0.1 + 0.7 * min(n, start + _CHUNK_ROWS) / max(n, 1),
               "Writing the projector's tensors")


def write_projector(folder: str | Path, activations: np.ndarray, *, indices: np.ndarray,
                    split: str, labels: np.ndarray, class_names: Sequence[str],
                    predictions: Optional[np.ndarray] = None,
                    thumbnails: Optional[np.ndarray] = None,
                    words: Optional[Sequence[str]] = None, texts: Optional[Sequence[str]] = None,
                    tensor_name: str = "layer", binary: bool = False,
                    on_progress: ProgressFn | None = None,
                    should_stop: StopFn | None = None) -> ProjectorBundle:
    """Write the projector bundle of ``activations`` (N, D) into ``folder`` (made if missing;
    files already there with the same names are replaced, each atomically). Row i of every file
    is sample i: ``indices`` (into ``split``), ``labels``, ``predictions`` (None: no model),
    ``thumbnails`` (N, H, W[, C] images: the sprite), ``words`` (a word table) or ``texts``
    (reviews, written as snippets). ``binary``: raw float32 instead of TSV. Raises
    ``ProjectorError``; ``Cancelled`` when ``should_stop`` says so, checked between blocks of the
    TSV and of the sprite (files written so far stay: the export lane writes into a staging
    folder and removes it)."""
    acts = np.asarray(activations)
    if acts.ndim == 1:
        acts = acts[:, None]
    if acts.ndim > 2:  # a conv layer's maps: one flat vector per sample, as the views show it
        acts = acts.reshape(len(acts), -1)
    n = len(acts)
    if n == 0:
        raise ProjectorError("There are no samples to export to the projector.")
    for what, arr in (("indices", indices), ("labels", labels), ("predictions", predictions),
                      ("thumbnails", thumbnails), ("words", words), ("texts", texts)):
        if arr is not None and len(arr) != n:
            raise ProjectorError(f"The projector export got {n} activation rows but {len(arr)} "
                                 f"{what}.")
    acts = np.ascontiguousarray(acts, dtype="<f4")
    if not np.all(np.isfinite(acts)):
        raise ProjectorError("The activations contain NaN or infinite values; the projector "
                             "cannot read them.")
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ProjectorError(f"Cannot make the folder {folder}: {err.strerror or err}") from None
    notes: list[str] = []
    if n > PROJECTOR_MAX_ROWS:
        notes.append(f"{n:,} samples exported; TensorBoard's projector loads at most "
                     f"{PROJECTOR_MAX_ROWS:,} of them (it samples the rest away).")
    files: list[Path] = []
    report(on_progress, "export", 0.0, "Writing the projector's metadata")
    header, rows = metadata_rows(np.asarray(indices), split, np.asarray(labels), class_names,
                                 None if predictions is None else np.asarray(predictions),
                                 words, texts)
    meta = "\n".join("\t".join(r) for r in [header] + rows) + "\n"
    files.append(atomic_write_text(folder / METADATA_NAME, meta))
    check_stop(should_stop)
    if binary:
        files.append(atomic_write(folder / TENSORS_BYTES, lambda fh: fh.write(acts.tobytes())))
    else:
        files.append(atomic_write(folder / TENSORS_TSV,
                                  lambda fh: _write_tsv(fh, acts, on_progress, should_stop)))
    grid, size = 0, (0, 0)
    if thumbnails is not None:
        check_stop(should_stop)
        report(on_progress, "export", 0.85, "Drawing the projector's sprite")
        thumbs = np.asarray(thumbnails)
        sprite = sprite_image(thumbs, on_progress=on_progress, should_stop=should_stop)
        grid, th, tw = sprite_geometry(n, thumbs.shape[1], thumbs.shape[2])
        size = (tw, th)
        if (th, tw) != tuple(thumbs.shape[1:3]):
            notes.append(f"The sprite's thumbnails are shrunk from {thumbs.shape[2]}×"
                         f"{thumbs.shape[1]} to {tw}×{th} px so that {grid}×{grid} of them fit "
                         f"in {SPRITE_MAX_SIDE:,} px, the projector's limit.")
        files.append(_write_png(folder / SPRITE_NAME, sprite, should_stop))
    config = config_text(tensor_name, TENSORS_BYTES if binary else TENSORS_TSV, METADATA_NAME,
                         acts.shape if binary else None, SPRITE_NAME if grid else "", size)
    files.append(atomic_write_text(folder / CONFIG_NAME, config))
    report(on_progress, "export", 1.0, "Projector bundle written")
    return ProjectorBundle(folder, tuple(files), n, int(acts.shape[1]), grid, size, tuple(notes))


def _write_png(path: Path, image: np.ndarray, should_stop: StopFn | None = None) -> Path:
    """An 8-bit grey or RGB PNG, compressed in blocks of rows with a stop check before each:
    Pillow's save is one call that a cancel would wait for (7.4 s for a 7,950² RGB sprite).
    Every row takes PNG's Up filter (Pillow picks one per row: its files are ~8 % smaller)."""
    def chunk(fh: BinaryIO, kind: bytes, data: bytes) -> None:
        fh.write(struct.pack(">I", len(data)) + kind + data)
        fh.write(struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    def write(fh: BinaryIO) -> None:
        h, w = image.shape[:2]
        fh.write(b"\x89PNG\r\n\x1a\n")
        chunk(fh, b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2 if image.ndim == 3 else 0,
                                       0, 0, 0))
        rows = np.ascontiguousarray(image, dtype=np.uint8).reshape(h, -1)
        z = zlib.compressobj(6)
        for start in range(0, h, _PNG_ROWS):
            check_stop(should_stop)
            block = rows[start:start + _PNG_ROWS]
            above = rows[start - 1:start] if start else np.zeros_like(rows[:1])
            up = block - np.concatenate([above, block[:-1]])  # uint8: wraps mod 256
            data = z.compress(np.hstack([np.full((len(block), 1), 2, np.uint8), up]).tobytes())
            if data:
                chunk(fh, b"IDAT", data)
        chunk(fh, b"IDAT", z.flush())
        chunk(fh, b"IEND", b"")

    return atomic_write(path, write)


def write_projector_samples(folder: str | Path, activations: np.ndarray, samples,
                            predictions: Optional[np.ndarray] = None, **kwargs) -> ProjectorBundle:
    """``write_projector`` for a ``core.data.samples.SampleSet`` (the rows every view shows)."""
    return write_projector(folder, activations, indices=samples.indices, split=samples.split,
                           labels=samples.labels, class_names=samples.class_names,
                           predictions=predictions, thumbnails=samples.thumbnails,
                           words=samples.words, texts=samples.texts, **kwargs)
