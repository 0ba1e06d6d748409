"""The CSV import dialog's text fields and what it remembers, without any widget.

- ``parse_shape`` / ``format_shape``: "none", "20x20", "32x32x3" <-> ``LoadOptions.image_shape``.
- ``parse_label_map`` / ``format_label_map``: "10:0, 11:1" <-> ``LoadOptions.label_map``.
- ``remember_options`` / ``remembered_options``: the CSV fields of ``LoadOptions`` per file name,
  as one JSON text under ``csv_import/<file name>`` in a ``QSettings`` or a plain dict.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, MutableMapping, Optional, Union

from PySide6.QtCore import QSettings

from ..core.data.labels import parse_label_map as _parse_label_map
from ..core.data.types import LoadOptions

SETTINGS_GROUP = "csv_import"
Settings = Union[QSettings, MutableMapping[str, Any]]
CSV_FIELDS = ("image_shape", "pixel_order", "label_column", "labels_file", "label_map",
              "per_sample_minmax")


# --- parsing the text fields --------------------------------------------------------------------
def parse_shape(text: str) -> Optional[tuple[int, ...]]:
    """"" or "none" -> None; "20x20", "20×20", "20,20", "32x32x3" -> a tuple; else ValueError."""
    text = text.strip().lower()
    if text in ("", "none"):
        return None
    parts = text.replace("×", "x").replace(",", "x").replace(" ", "").split("x")
    try:
        dims = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"Image shape: expected none, HxW like 20x20 or HxWxC like 32x32x3, "
                         f"not '{text}'.") from None
    if len(dims) not in (2, 3) or any(d <= 0 for d in dims):
        raise ValueError(f"Image shape: expected 2 or 3 positive sizes like 20x20 or 32x32x3, "
                         f"not '{text}'.")
    return dims


def format_shape(shape: Optional[tuple[int, ...]]) -> str:
    return "none" if not shape else "x".join(str(d) for d in shape)


def parse_label_map(text: str) -> Optional[dict[int, int]]:
    """"" -> None; "10:0" or "10:0, 11:1" -> a dict; else ValueError naming the field."""
    try:
        return _parse_label_map(text)
    except ValueError as exc:
        raise ValueError(f"Label map: {exc}.") from None


def format_label_map(mapping: Optional[dict[int, int]]) -> str:
    return ", ".join(f"{k}:{v}" for k, v in (mapping or {}).items())


# --- remembering choices per file name ----------------------------------------------------------
def _key(path: str | Path) -> str:
    return f"{SETTINGS_GROUP}/{Path(path).name}"


def remember_options(settings: Optional[Settings], path: str | Path,
                     options: LoadOptions) -> None:
    """Store ``options``' CSV fields for files named like ``path``."""
    if settings is None:
        return
    data = {f: getattr(options, f) for f in CSV_FIELDS}
    data["image_shape"] = list(options.image_shape) if options.image_shape else None
    data["label_map"] = ({str(k): int(v) for k, v in options.label_map.items()}
                         if options.label_map else None)
    text = json.dumps(data)
    if isinstance(settings, QSettings):
        settings.setValue(_key(path), text)
        settings.sync()
    else:
        settings[_key(path)] = text


def remembered_options(settings: Optional[Settings], path: str | Path) -> Optional[dict]:
    """The CSV fields remembered for files named like ``path`` (``LoadOptions`` field ->
    value), or None. A damaged entry is ignored."""
    if settings is None:
        return None
    raw = settings.value(_key(path)) if isinstance(settings, QSettings) else \
        settings.get(_key(path))
    if not raw:
        return None
    try:
        data = json.loads(str(raw))
        out = {f: data[f] for f in CSV_FIELDS if f in data}
        if out.get("image_shape") is not None:
            out["image_shape"] = tuple(int(d) for d in out["image_shape"])
        if out.get("label_map") is not None:
            out["label_map"] = {int(k): int(v) for k, v in out["label_map"].items()}
        if out.get("pixel_order") not in (None, "row", "column"):
            return None
    except (ValueError, TypeError, AttributeError):
        return None
    return out
