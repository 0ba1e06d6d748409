"""The window's settings file (``reprviz.ini``, QSettings): the sidebar's choices and the layout.

A file that any other program, an older reprviz or a crash left damaged must never stop the
window: what is read back is checked (``Settings.from_dict`` rejects a seed of -1, a batch size
of 0, an unknown method or preset, ... to their defaults, which are what is saved next time),
and a file that cannot be read as a whole (not an INI file, "choices" that are not a JSON
object, JSON nested too deep to parse) is set aside as ``reprviz.ini.damaged-<time>`` — a copy
is kept for the user — and the window starts from defaults. ``notes`` says what happened, for
the status bar.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Optional

from PySide6.QtCore import QByteArray, QSettings

from .workspace.settings import Settings

CHOICES_MAX_BYTES = 64 * 1024  # the sidebar's choices are ~400 bytes; more is not ours


class SettingsFile:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.notes: list[str] = []
        self.qsettings = self._open()

    def _open(self) -> QSettings:
        qs = QSettings(str(self.path), QSettings.Format.IniFormat)
        if qs.status() != QSettings.Status.NoError:
            return self._set_aside("it is not a settings file Qt can read")
        return qs

    def _set_aside(self, why: str) -> QSettings:
        """Move the damaged file out of the way (kept beside it) and start a fresh one."""
        aside: Optional[Path] = None
        if self.path.exists():
            aside = self.path.with_name(f"{self.path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
            n = 1
            while aside.exists():
                aside = aside.with_name(f"{aside.name.split('~')[0]}~{n}")
                n += 1
            try:
                os.replace(self.path, aside)
            except OSError:
                aside = None
        kept = f"; it was kept as {aside.name}" if aside is not None else ""
        self.notes.append(f"The settings file {self.path} was damaged ({why}){kept}. "
                          "Starting from the default settings.")
        return QSettings(str(self.path), QSettings.Format.IniFormat)

    # --- choices -------------------------------------------------------------------------------
    def load_choices(self) -> Settings:
        """The remembered choices, each checked; defaults for whatever is odd."""
        try:
            raw = self.qsettings.value("choices", "")
            data = _parse_choices(raw)
        except (ValueError, TypeError, RecursionError, MemoryError) as err:
            self.qsettings = self._set_aside(f"its choices are not readable: {_short(err)}")
            return Settings()
        settings, rejected = Settings.from_dict(data)
        if rejected:
            self.notes.append("Ignored remembered settings that are not valid ("
                              + ", ".join(n.replace("_", " ") for n in rejected)
                              + "): their defaults are used.")
        return settings

    def save_choices(self, settings: Settings) -> None:
        self.qsettings.setValue("choices", json.dumps(settings.to_dict()))

    # --- the rest ------------------------------------------------------------------------------
    def byte_array(self, key: str) -> Optional[QByteArray]:
        """A saved window state (None for anything that is not one)."""
        try:
            value = self.qsettings.value(key)
        except Exception:  # noqa: BLE001 - a value Qt cannot convert: as if never saved
            return None
        return value if isinstance(value, QByteArray) else None

    def set_value(self, key: str, value: Any) -> None:
        self.qsettings.setValue(key, value)

    def sync(self) -> None:
        self.qsettings.sync()


def _parse_choices(raw: Any) -> Any:
    if raw in (None, ""):
        return {}
    if not isinstance(raw, str):
        raise TypeError(f"a {type(raw).__name__} where a JSON text belongs")
    if len(raw) > CHOICES_MAX_BYTES:
        raise ValueError(f"{len(raw):,} characters")
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise TypeError(f"a JSON {type(data).__name__} where an object belongs")
    return data


def _short(err: BaseException) -> str:
    text = str(err) or type(err).__name__
    return text if len(text) < 80 else text[:77] + "…"


__all__ = ["SettingsFile"]
