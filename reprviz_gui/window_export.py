"""*File → Export…*: what (the projector bundle, tables, figures, an HTML report) and where, with
progress and Cancel; and each view's context menu (*Export as PNG/SVG/PDF…*, *Copy image*).

The GUI thread only takes a snapshot (``snapshot``: the frozen results shown, and the views
painted into bytes by ``views/export.py``, which needs the GUI thread); the files are written on
the controller's export lane by ``workspace/export_job.py`` through ``workspace/exports.py``,
the functions ``analyze`` uses. ``ExportRun`` shows its progress (a non-modal dialog whose Cancel
stops it between files and TSV blocks, and the status bar) and says how it ended; a cancelled or
failed export leaves no files (they are staged, then moved into place).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QLineEdit, QProgressDialog, QPushButton,
                               QSpinBox, QVBoxLayout, QWidget)

from .core.errors import ReprvizError
from .core.progress import Progress
from .views import export as figures
from .views.registry import VIEWS
from .workers.lane import Job, JobFailure, JobKind
from .workspace.export_job import ExportOutcome, ExportPlan, SessionExport, export_job

if TYPE_CHECKING:  # pragma: no cover
    from .main_window import MainWindow


@dataclass(frozen=True)
class ExportChoices:
    folder: str
    projector: bool = True
    tables: bool = True
    figures: bool = True
    html: bool = True
    fmt: str = "png"
    scale: int = 2
    binary: bool = False  # the projector's tensor as raw float32 instead of TSV


class ExportDialog(QDialog):
    """What to export and into which folder."""

    def __init__(self, folder: str, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("export_dialog")
        self.setWindowTitle("Export")
        self.projector = QCheckBox("TensorBoard projector bundle of the layer (projector/)")
        self.tables = QCheckBox("Tables: map with the selection, activations, confusion, "
                                "report, layer metrics, run history (CSV, NPY)")
        self.figures = QCheckBox("Figures of the views on screen")
        self.html = QCheckBox("HTML report (one file: report.html)")
        for box in (self.projector, self.tables, self.figures, self.html):
            box.setChecked(True)
        self.fmt = QComboBox()
        self.fmt.addItems(["PNG", "SVG", "PDF"])
        self.scale = QSpinBox()
        self.scale.setRange(1, 4)
        self.scale.setValue(2)
        self.scale.setSuffix("×")
        self.scale.setToolTip("PNG only: the views are drawn at this many pixels per pixel")
        self.folder = QLineEdit(folder)
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        where = QHBoxLayout()
        where.addWidget(self.folder, 1)
        where.addWidget(browse)
        fig_row = QHBoxLayout()
        fig_row.addWidget(self.figures, 1)
        fig_row.addWidget(self.fmt)
        fig_row.addWidget(self.scale)
        form = QFormLayout()
        form.addRow("Into folder", where)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        for w in (self.projector, self.tables):
            layout.addWidget(w)
        layout.addLayout(fig_row)
        layout.addWidget(self.html)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Export into folder", self.folder.text())
        if path:
            self.folder.setText(path)

    def choices(self) -> ExportChoices:
        return ExportChoices(self.folder.text().strip(), self.projector.isChecked(),
                             self.tables.isChecked(), self.figures.isChecked(),
                             self.html.isChecked(), self.fmt.currentText().lower(),
                             self.scale.value())


def _panels(win: "MainWindow") -> list[tuple[str, Any]]:
    """(file name, view) of every view on screen (visible dock), model B's named "-B"."""
    out = []
    for spec in VIEWS:
        dock = win.docks.get(spec.id)
        if dock is None or dock.isHidden():
            continue
        for sid, view in win.hosts[spec.id].views.items():
            if view is not None:
                out.append((spec.id + (f"-{sid}" if sid not in ("", "A") else ""), view))
    return out


def _model_text(win: "MainWindow", sid: str) -> str:
    session = win.controller.workspace.sessions.get(sid)
    if session is None:
        return ""
    name = Path(session.file).name if session.file else session.preset
    return f"{name}, {session.trained_epochs} epoch(s) trained"


def snapshot(win: "MainWindow", choices: ExportChoices) -> ExportPlan:
    """What ``choices`` asks for, fixed now in the GUI thread: the results shown (frozen), the
    run history, and the views painted into bytes (painting must happen in the GUI thread)."""
    from .core.io.history import load_history

    if not choices.folder:
        raise ReprvizError("Choose a folder to export into.")
    ctl = win.controller
    sessions = tuple(SessionExport(sid, ctl.result("layer", sid), ctl.result("map", sid),
                                   ctl.result("evaluation", sid))
                     for sid in ctl.workspace.sessions)
    history = tuple(load_history().records) if (choices.tables or choices.html) else ()
    panels = _panels(win) if (choices.figures or choices.html) else []
    shown = [(name, panel) for name, panel in panels if not panel.is_empty()]
    drawn = tuple((f"{name}.{choices.fmt}",
                   figures.export_bytes(panel, choices.fmt, choices.scale))
                  for name, panel in shown) if choices.figures else ()
    session = ctl.workspace.sessions.get("A")
    return ExportPlan(
        Path(choices.folder).expanduser(), sessions, choices.projector, choices.tables,
        choices.html, choices.binary, ctl.workspace.selection, history, drawn,
        tuple(figures.report_figures(shown)) if choices.html else (),
        ctl.dataset.name if ctl.dataset is not None else "", _model_text(win, "A"),
        {k: tuple(v) for k, v in session.curves.history.items()} if session is not None
        else None)


class ExportRun(QObject):
    """One export on the controller's export lane, told to the user: the progress dialog
    (Cancel stops it between files and TSV blocks), the status bar, an error dialog.

    Signals, in this order: ``started``, ``progress``…, then one of ``finished`` (files,
    notes), ``failed`` (message) or ``cancelled``."""

    started = Signal()
    progress = Signal(float, str)
    finished = Signal(object, object)  # list[Path], list[str]
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, win: "MainWindow", plan: ExportPlan) -> None:
        super().__init__(win)
        self.win, self.plan = win, plan
        self.dialog = QProgressDialog(f"Exporting into {plan.folder}…", "Cancel", 0, 100, win)
        self.dialog.setObjectName("export_progress")
        # not modal: the window stays usable while the files are written
        self.dialog.setWindowModality(Qt.WindowModality.NonModal)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.setMinimumDuration(400)
        self.dialog.setValue(0)
        self.dialog.canceled.connect(self.cancel)
        self.lane = win.controller.lanes["export"]
        for sig, slot in self._lane_slots():
            sig.connect(slot)
        self.job = self.lane.submit(Job(JobKind.EXPORT, export_job(plan), "exporting",
                                        payload=plan), supersede=False)

    def _lane_slots(self) -> tuple:
        """The lane's job signals and this run's slots (connected at the start, cut at the end)."""
        lane = self.lane
        return ((lane.job_started, self._on_started), (lane.job_progress, self._on_progress),
                (lane.job_finished, self._on_finished), (lane.job_failed, self._on_failed),
                (lane.job_cancelled, self._on_cancelled))

    @Slot()
    def cancel(self) -> None:
        if self.job is None:
            return  # already ended
        self.job.cancel()
        self.dialog.setLabelText("Cancelling the export…")

    @property
    def running(self) -> bool:
        return self.job is not None and self.job in self.lane.pending_jobs()

    @Slot(object)
    def _on_started(self, job: Job) -> None:
        if job is self.job and self.plan is not None:
            self.win.show_message(f"Exporting into {self.plan.folder}…")
            self.started.emit()

    @Slot(object, object)
    def _on_progress(self, job: Job, p: Progress) -> None:
        if job is self.job:
            if not self.dialog.wasCanceled():
                self.dialog.setLabelText(p.message or "Exporting…")
                self.dialog.setValue(min(99, int(100 * p.fraction)))
            self.progress.emit(p.fraction, p.message)

    @Slot(object, object)
    def _on_finished(self, job: Job, outcome: ExportOutcome) -> None:
        if job is not self.job:
            return
        self._end()
        files, notes = list(outcome.files), list(outcome.notes)
        self.win.last_export = (files, notes)
        text = f"Exported {len(files)} file(s) into {outcome.folder}"
        self.win.show_message(text + (" — " + " ".join(notes) if notes else ""))
        self.finished.emit(files, notes)

    @Slot(object, object)
    def _on_failed(self, job: Job, failure: JobFailure) -> None:
        if job is not self.job:
            return
        self._end()
        self.win.show_message(f"Export failed: {failure.message}")
        _warn(self.win, failure.message)
        self.failed.emit(failure.message)

    @Slot(object)
    def _on_cancelled(self, job: Job) -> None:
        if job is not self.job:
            return
        self._end()
        self.win.show_message("Export cancelled; no files were written.")
        self.cancelled.emit()

    def _end(self) -> None:
        for sig, slot in self._lane_slots():
            sig.disconnect(slot)
        self.dialog.canceled.disconnect(self.cancel)
        self.dialog.close()
        self.dialog.deleteLater()
        # the plan holds every result it wrote (70,000 × units of activations): let it go
        self.folder, self.plan, self.job = self.plan.folder, None, None


def start_export(win: "MainWindow", choices: ExportChoices) -> ExportRun:
    """Snapshot what ``choices`` asks for and write it on the export lane. Raises
    ``ReprvizError`` without a folder."""
    last = getattr(win, "export_run", None)
    if last is not None and not last.running:
        last.deleteLater()
    run = ExportRun(win, snapshot(win, choices))
    win.export_run = run  # the latest export (tests follow its signals)
    return run


def export_dialog(win: "MainWindow") -> ExportDialog:
    """*File → Export…*: the dialog, then the export (non-modal: tests drive it)."""
    start = getattr(win, "_export_folder", "") or str(Path.home() / "reprviz-export")
    dialog = ExportDialog(start, win)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    runner = _DialogRunner(win, dialog)
    dialog.accepted.connect(runner.run)
    win.export_dialog = dialog  # the open dialog (tests look at it)
    dialog.open()
    return dialog


class _DialogRunner(QObject):
    def __init__(self, win: "MainWindow", dialog: ExportDialog) -> None:
        super().__init__(dialog)
        self.win, self.dialog = win, dialog

    def run(self) -> None:
        choices = self.dialog.choices()
        self.win._export_folder = choices.folder
        try:
            start_export(self.win, choices)
        except ReprvizError as err:
            _warn(self.win, str(err))


def _warn(win: "MainWindow", text: str) -> None:
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Warning, "reprviz", "Could not export.",
                      QMessageBox.StandardButton.Ok, win)
    box.setObjectName("error_dialog")
    box.setInformativeText(text)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    win.dialogs.append(box)
    box.finished.connect(lambda *_: win.dialogs.remove(box) if box in win.dialogs else None)
    box.open()
