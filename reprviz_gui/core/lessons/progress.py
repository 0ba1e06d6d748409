"""Progress per lesson (the step reached, the questions answered right) and the lesson files
the user opened, in ``lessons.json`` beside the settings file. Written atomically; a damaged
file is read as empty progress (it only remembers where a student was)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..io.atomic import atomic_write_text

PROGRESS_FILE = "lessons.json"


class LessonProgress:
    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / PROGRESS_FILE
        self.data: dict[str, Any] = {"lessons": {}, "opened": []}
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            loaded = None
        if isinstance(loaded, dict):
            if isinstance(loaded.get("lessons"), dict):
                self.data["lessons"] = loaded["lessons"]
            if isinstance(loaded.get("opened"), list):
                self.data["opened"] = [p for p in loaded["opened"] if isinstance(p, str)]

    def step(self, key: str) -> int:
        entry = self.data["lessons"].get(key, {})
        step = entry.get("step", 0) if isinstance(entry, dict) else 0
        return step if isinstance(step, int) and step >= 0 else 0

    def answered(self, key: str) -> set[int]:
        entry = self.data["lessons"].get(key, {})
        right = entry.get("right", []) if isinstance(entry, dict) else []
        return {i for i in right if isinstance(i, int)} if isinstance(right, list) else set()

    def remember(self, key: str, step: int, answered: set[int]) -> None:
        self.data["lessons"][key] = {"step": int(step), "right": sorted(answered)}
        self._save()

    def forget(self, key: str) -> None:
        self.data["lessons"].pop(key, None)
        self._save()

    def opened(self) -> list[str]:
        return list(self.data["opened"])

    def add_opened(self, path: str) -> None:
        self.data["opened"] = [path] + [p for p in self.data["opened"] if p != path][:9]
        self._save()

    def _save(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.path, json.dumps(self.data, indent=1))
        except OSError:
            pass  # progress is a convenience: a read-only settings folder must not stop a class
