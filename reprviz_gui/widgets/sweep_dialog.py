"""*Run → Sweep…*: the dialog that asks which preset-table values to combine (the same text as
``analyze --sweep``) and starts a ``SweepRunner``; the status bar says which run is going."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout,
                               QWidget)

from ..core.io.sweep import combinations, parse_grid
from ..core.model.preset_table import PRESETS
from ..workspace.sweep_runner import SweepRunner, sweep_description
from .pending_edits import commit_pending_edits

if TYPE_CHECKING:
    from ..main_window import MainWindow

EXAMPLE = "learning_rate=0.1,0.3,1 l2=0,0.001"


class SweepDialog(QDialog):
    def __init__(self, preset: str, text: str = EXAMPLE,
                 parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("sweep_dialog")
        self.setWindowTitle("Sweep")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.preset = preset
        self.grid: dict[str, list] = {}
        v = QVBoxLayout(self)
        intro = QLabel(f"One training run of the <b>{preset}</b> model per combination of "
                       "these values, each from fresh weights and each a row of the run "
                       "history; the other settings are the sidebar's. Cancel stops the sweep."
                       "<br>Write <code>KEY=V1,V2</code> separated by spaces (widths: "
                       "<code>hidden=256-144/128</code>).")
        intro.setWordWrap(True)
        v.addWidget(intro)
        self.edit = QLineEdit(text)
        self.edit.setObjectName("sweep_grid")
        self.edit.textChanged.connect(self._check)
        v.addWidget(self.edit)
        self.plan = QLabel("")
        self.plan.setObjectName("sweep_plan")
        self.plan.setWordWrap(True)
        v.addWidget(self.plan)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Run sweep")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        v.addWidget(self.buttons)
        self.resize(520, self.sizeHint().height())
        self._check()

    def _check(self, *_: Any) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        try:
            self.grid = parse_grid(self.edit.text())
        except ValueError as err:
            self.grid = {}
            self.plan.setText(f"<span style='color:#b00'>{err}</span>")
            ok.setEnabled(False)
            return
        combos = combinations(self.grid)
        self.plan.setText(f"{len(combos)} run(s): " + "; ".join(
            sweep_description(c) for c in combos[:6]) + (" …" if len(combos) > 6 else ""))
        ok.setEnabled(True)


def open_sweep_dialog(win: "MainWindow") -> Optional[SweepDialog]:
    """The command's handler: ask, then run the sweep on model A."""
    c = win.controller
    preset = c.session("A").preset
    if preset not in PRESETS:
        c.message.emit("A sweep rebuilds a preset for every run: choose a model preset first.")
        return None
    dlg = SweepDialog(preset, getattr(win, "_sweep_text", EXAMPLE), win)
    dlg.accepted.connect(lambda: start_sweep(win, dlg.grid, dlg.edit.text()))
    dlg.open()
    return dlg


def start_sweep(win: "MainWindow", grid: dict[str, list], text: str = "") -> SweepRunner:
    """Run the sweep from what the sidebar shows now (typed but uncommitted values count)."""
    win._sweep_text = text or EXAMPLE
    commit_pending_edits(win.sidebar)
    win.on_training_settings(win.sidebar.training_settings())
    runner = SweepRunner(win.controller, grid, win)
    win._sweep = runner

    def started(index: int, runs: int, combo: dict) -> None:
        win.controller.message.emit(f"Sweep run {index}/{runs}: {sweep_description(combo)}")
        _show_settings(win)

    def finished(done: int, runs: int, stopped: bool) -> None:
        win.controller.message.emit(
            f"Sweep stopped: {done} of {runs} runs done (each is a row of the run history)."
            if stopped else f"Sweep finished: {runs} runs, each a row of the run history.")
        _show_settings(win)
        runner.deleteLater()
        if getattr(win, "_sweep", None) is runner:
            win._sweep = None

    runner.run_started.connect(started)
    runner.finished.connect(finished)
    runner.start()
    return runner


def _show_settings(win: "MainWindow") -> None:
    """The sidebar shows the settings of the run in progress."""
    c = win.controller
    s = c.session("A")
    win.sidebar.set_model_choice(s.preset, s.params, file=s.file)
