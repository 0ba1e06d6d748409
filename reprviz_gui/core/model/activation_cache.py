"""Layers of 100,000+ samples, streamed batch by batch to memory-mapped ``.npy`` files.

``stream_layers`` runs the model over the samples in batches and appends each chosen layer's
(reduced) rows to its own ``.npy`` file in the user's cache, one file per layer and reduction,
in a folder named by the model's fingerprint (architecture and weights) and the data's
(``data_key``). It returns the files opened read-only as memory maps: the rows live in the page
cache, not in the process, so a million samples cost what one batch costs.

Memory is bounded whatever N is: one batch of inputs, the layers' unreduced outputs for that
batch (TensorFlow's) and their reduced rows. The batch is chosen so that this stays under
``STREAM_BUDGET_BYTES`` (or the memory limit, ``REPRVIZ_MEMORY_LIMIT_MB``, if lower), at most
``MAX_BATCH`` rows. The rows are written with ``write()`` rather than through a writable memory
map: dirty mapped pages count in the process's resident memory until the map is closed, written
pages do not.

A finished file is renamed into place only when every batch is written, so a cancelled or
killed run leaves no half file that a later run could take for a whole one; the next run with
the same model version and data finds the files and reads no layer again (``reused``).
``clear_cache`` deletes them (*File → Clear cache*).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np

from ..analysis.jit_cache import user_cache_dir
from ..errors import Cancelled
from ..memory import memory_budget_bytes
from ..progress import ProgressFn, StopFn, check_stop, report

STREAM_BUDGET_BYTES = 128 * 1024**2  # what one batch may hold, all layers together
MAX_BATCH = 1024
HEADROOM = 3  # a batch's values exist about 3 times: TF's output, float32 copy, reduced rows

# a batch of model-ready inputs for rows [start, stop)
BatchSource = Callable[[int, int], np.ndarray]


def cache_root() -> Path:
    """Where streamed activations go: ``user_cache_dir() / "activations"``."""
    return user_cache_dir() / "activations"


def model_fingerprint(model: Any) -> str:
    """A digest of the model's architecture and every weight: the same model version gives
    the same digest in every run (the session's ``version`` counter does not survive one)."""
    h = hashlib.blake2b(digest_size=16)
    try:
        h.update(model.to_json().encode())
    except Exception:  # noqa: BLE001 - a model Keras cannot describe: its class and name
        h.update(f"{type(model).__name__}:{getattr(model, 'name', '')}".encode())
    for w in model.get_weights():
        a = np.ascontiguousarray(w)
        h.update(f"{a.dtype}{a.shape}".encode())
        h.update(memoryview(a).cast("B"))
    return h.hexdigest()


def data_fingerprint(x: np.ndarray, extra: str = "", chunk_rows: int = 4096) -> str:
    """A digest of an array's values (read in chunks, so a memory map stays unread)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{x.dtype}{tuple(x.shape)}{extra}".encode())
    for start in range(0, len(x), chunk_rows):
        h.update(memoryview(np.ascontiguousarray(x[start:start + chunk_rows])).cast("B"))
    return h.hexdigest()


def _safe(name: str) -> str:
    """A file-name-safe form of a layer name (``"block_1/expand:raw"`` -> ``block_1_expand_raw``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "layer"


def layer_file(folder: Path, layer: str, reduction: str) -> Path:
    """The file of one layer and reduction; a short digest keeps distinct names distinct."""
    tag = hashlib.blake2b(layer.encode(), digest_size=4).hexdigest()
    return folder / f"{_safe(layer)}-{tag}.{_safe(reduction)}.npy"


def batch_rows(bytes_per_sample: int, budget: Optional[int] = None) -> int:
    """Rows per batch so that ``HEADROOM`` copies of a batch fit the budget (1..MAX_BATCH)."""
    limit = min(STREAM_BUDGET_BYTES, memory_budget_bytes()) if budget is None else budget
    return int(max(1, min(MAX_BATCH, limit // max(1, HEADROOM * int(bytes_per_sample)))))


@dataclass
class StreamResult:
    """The layers as read-only memory maps ``{layer: (N, width) float32}``, their files, and
    whether every one came from an earlier run."""

    arrays: dict[str, np.ndarray]
    files: dict[str, Path]
    folder: Path
    reused: bool
    batch_size: int
    seconds: float


def _open(path: Path, n: int) -> Optional[np.ndarray]:
    try:
        a = np.load(path, mmap_mode="r")
    except (OSError, ValueError):
        return None
    return a if a.ndim == 2 and len(a) == n and a.dtype == np.float32 else None


def _header(fh, n: int, width: int) -> None:
    np.lib.format.write_array_header_1_0(
        fh, {"descr": "<f4", "fortran_order": False, "shape": (int(n), int(width))})


def stream_layers(model: Any, source: Union[np.ndarray, BatchSource], n: int,
                  layers: Sequence[str], data_key: str,
                  reductions: Optional[dict[str, str]] = None,
                  model_key: Optional[str] = None, folder: Optional[Path] = None,
                  batch_size: Optional[int] = None,
                  on_progress: ProgressFn | None = None,
                  should_stop: StopFn | None = None) -> StreamResult:
    """Every layer in ``layers`` for ``n`` samples, in one pass of batches, to the cache.

    ``source`` is an array of model-ready inputs (a memory map is fine) or a function
    ``(start, stop) -> inputs`` (data made or decoded batch by batch). ``reductions`` maps a
    layer to ``"mean" | "max" | "flatten" | "crop"`` (``extraction.reductions_for``: default
    global average for wide maps), applied to each batch as ``extract_layers`` reads it.
    Reports stage ``"extract"`` with an ETA per batch; cancels between batches
    (``Cancelled``, no file left behind).
    """
    from .extraction import extract_layers, is_raw, reductions_for

    started = time.perf_counter()
    layers = list(dict.fromkeys(layers))
    hows = reductions_for(model, [n for n in layers if not is_raw(n)], reductions)
    reductions = {name: hows.get(name, "flatten") for name in layers}
    key = model_key or model_fingerprint(model)
    folder = Path(folder) if folder is not None else cache_root() / f"{key[:20]}-{data_key[:20]}"
    files = {name: layer_file(folder, name, reductions[name]) for name in layers}
    found = {name: _open(path, n) for name, path in files.items()}
    if all(a is not None for a in found.values()):
        report(on_progress, "extract", 1.0, f"Layers of {n:,} samples read from the cache")
        return StreamResult(dict(found), files, folder, True, 0, time.perf_counter() - started)

    def batch_of(start: int, stop: int) -> np.ndarray:
        return np.asarray(source(start, stop) if callable(source) else source[start:stop])

    probe = batch_of(0, min(n, 1))
    per_sample = probe[:1].nbytes + 4 * sum(_unreduced_width(model, name) for name in layers)
    rows = int(batch_size) if batch_size else batch_rows(per_sample)
    folder.mkdir(parents=True, exist_ok=True)
    handles: dict[str, Any] = {}
    try:
        for name in layers:
            handles[name] = tempfile.NamedTemporaryFile(
                dir=folder, prefix=f".{files[name].name}.", suffix=".tmp", delete=False)
        batches = max(1, -(-n // rows))
        for b, start in enumerate(range(0, n, rows), start=1):
            check_stop(should_stop)
            stop = min(n, start + rows)
            values = extract_layers(model, batch_of(start, stop), layers, batch_size=rows,
                                    reductions=hows)
            for name in layers:
                reduced = np.ascontiguousarray(values[name], dtype=np.float32)
                if b == 1:
                    _header(handles[name], n, reduced.shape[1])
                handles[name].write(memoryview(reduced).cast("B"))
            del values
            elapsed = time.perf_counter() - started
            report(on_progress, "extract", b / batches,
                   f"Reading layers: {stop:,} of {n:,} samples", elapsed / b * (batches - b),
                   batch=b, batches=batches)
        for name in layers:
            fh = handles.pop(name)
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
            os.replace(fh.name, files[name])
    except BaseException:
        for fh in handles.values():
            fh.close()
            Path(fh.name).unlink(missing_ok=True)
        raise
    arrays = {name: np.load(files[name], mmap_mode="r") for name in layers}
    return StreamResult(arrays, files, folder, False, rows, time.perf_counter() - started)


def _unreduced_width(model: Any, name: str) -> int:
    """Values per sample of the layer's output before reduction (TensorFlow holds them for a
    batch); a raw projection counts its Dense layer's input and output."""
    from .extraction import is_raw, layer_output_shape, raw_base

    shapes = [layer_output_shape(model, raw_base(name))]
    if is_raw(name):
        shapes.append(tuple(model.get_layer(raw_base(name)).input.shape)[1:])
    return sum(int(np.prod([d or 1 for d in tuple(s)] or [1])) for s in shapes)


def cache_size_bytes(root: Optional[Path] = None) -> int:
    """Bytes of streamed activations in the cache."""
    root = cache_root() if root is None else Path(root)
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) if root.is_dir() else 0


def clear_cache(root: Optional[Path] = None) -> int:
    """Delete every streamed activation file; returns the bytes freed. Files another run is
    writing are temp files; a run that finds its folder gone makes it again."""
    root = cache_root() if root is None else Path(root)
    freed = cache_size_bytes(root)
    if root.is_dir():
        shutil.rmtree(root, ignore_errors=True)
    return freed


__all__ = ["Cancelled", "StreamResult", "batch_rows", "cache_root", "cache_size_bytes",
           "clear_cache", "data_fingerprint", "layer_file", "model_fingerprint",
           "stream_layers"]
