"""Plain result files: JSON that is always valid JSON (NaN becomes null) and .npz files that load
without pickle. Both written atomically."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_write, atomic_write_text


def _jsonable(value: Any) -> Any:
    """numpy/dataclass/Path values as plain JSON; NaN and inf become null."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, Path):
        return str(value)
    if is_dataclass(value) and not isinstance(value, type):
        return _jsonable(asdict(value))
    return value


def write_json(path: Path, data: dict) -> Path:
    text = json.dumps(_jsonable(data), indent=2, ensure_ascii=False, allow_nan=False)
    return atomic_write_text(path, text + "\n")


def write_npz(path: Path, **arrays: np.ndarray) -> Path:
    """Compressed .npz of plain (non-object) arrays: loads with ``allow_pickle=False``."""
    for name, arr in arrays.items():
        if np.asarray(arr).dtype == object:
            raise ValueError(f"{name} is an object array; it would need pickle to load")
    return atomic_write(path, lambda fh: np.savez_compressed(fh, **arrays))


def write_npy_beside(path: Path, array: np.ndarray) -> Path:
    """``array`` as an .npy file that ``np.load(path, mmap_mode="r")`` maps. A memory map of a
    streamed cache file is hard-linked (no copy, and clearing the cache leaves this one), or
    copied block by block; an array in memory is saved. Atomic either way."""
    import os
    import shutil

    from .atomic import atomic_save_via_path, atomic_write

    source = getattr(array, "filename", None)
    if isinstance(array, np.memmap) and source and Path(source).suffix == ".npy":
        def link_or_copy(tmp: Path) -> None:
            tmp.unlink()
            try:
                os.link(source, tmp)
            except OSError:  # another file system, or no hard links
                shutil.copyfile(source, tmp)
        return atomic_save_via_path(path, link_or_copy)
    return atomic_write(path, lambda fh: np.save(fh, np.asarray(array, dtype=np.float32)))
