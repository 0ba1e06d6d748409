"""*Run → Sweep…* in the window: one training run per combination of preset-table values
(``core.io.sweep.combinations``), one after the other on the model lane, each from fresh
weights and each a row of the run history (the controller's own training and history).

The runner only drives the controller's public intents: set the settings, rebuild the preset
(``set_model_preset``), ``train`` once the model is ready, and go on when training ends. Cancel
(the status bar's, Esc, Ctrl-.) stops the run in progress and the sweep with it; the runs done
keep their history rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from ..core.io.sweep import combinations, split_combo

if TYPE_CHECKING:
    from .controller import Controller


class SweepRunner(QObject):
    run_started = Signal(int, int, dict)  # index (1-based), runs, the combination
    finished = Signal(int, int, bool)  # runs done, runs planned, stopped

    def __init__(self, controller: "Controller", grid: dict[str, list],
                 parent: Optional[QObject] = None) -> None:
        super().__init__(parent if parent is not None else controller)
        self.c = controller
        self.combos = combinations(grid)
        s = controller.session("A")
        self.preset = s.preset
        self.params = dict(s.params)
        self.index = 0  # the run in progress (1-based); 0 before the first
        self.done = 0
        self.state = "idle"  # "building" | "training" | "idle" | "finished"
        self._version = -1  # the session's model version before this run's rebuild
        self.stopped = False
        controller.session_changed.connect(self._on_session_changed)
        controller.training_changed.connect(self._on_training_changed)

    @property
    def running(self) -> bool:
        return self.state in ("building", "training")

    def start(self) -> None:
        self._next()

    def stop(self) -> None:
        """Stop the sweep: the run in progress is cancelled (still recorded when an epoch
        finished), no further run starts."""
        self.stopped = True
        if self.state == "training":
            self.c.cancel_training()
        elif self.state == "building":
            self._finish()

    def _next(self) -> None:
        if self.stopped or self.index >= len(self.combos):
            self._finish()
            return
        combo = self.combos[self.index]
        self.index += 1
        model, rest = split_combo(combo)
        for key, value in rest.items():
            setattr(self.c.settings, key, value)
        params = {**self.params, **{k: (list(v) if isinstance(v, tuple) else v)
                                    for k, v in model.items()}}
        self.state = "building"
        self._version = self.c.session("A").version
        self.run_started.emit(self.index, len(self.combos), combo)
        self.c.set_model_preset(self.preset, params, "A")  # fresh weights for every run

    def _finish(self) -> None:
        if self.state == "finished":
            return
        self.state = "finished"
        self.finished.emit(self.done, len(self.combos), self.stopped)

    @Slot(str)
    def _on_session_changed(self, sid: str) -> None:
        if sid != "A" or self.state != "building":
            return
        s = self.c.session("A")
        if s.building or s.training:
            return
        if s.handle is None or s.version == self._version:
            self.stopped = True  # the build was cancelled or failed (the window says why)
            self._finish()
            return
        self.state = "training"
        self.c.train("A")

    @Slot(str, bool)
    def _on_training_changed(self, sid: str, running: bool) -> None:
        if sid != "A" or running or self.state != "training":
            return
        self.done += 1
        if self.c.session("A").curves.stopped:
            self.stopped = True  # the user cancelled: the sweep ends with this run
        self.state = "idle"
        QTimer.singleShot(0, self._next)  # after the controller has finished its own slot


def sweep_description(combo: dict[str, Any]) -> str:
    from ..core.model.preset_table import format_value

    return ", ".join(f"{k} {format_value(k, v)}" for k, v in combo.items())
