"""*File → Export…*: what (the projector bundle, tables, figures, an HTML report) and where, with
progress and Cancel; and each view's context menu (*Export as PNG/SVG/PDF…*, *Copy image*).

The writing is ``workspace/exports.py`` (from the results the views show) and
``views/export.py`` (the drawn views). It runs in the GUI thread under a progress dialog that
pumps events, so Cancel works between files and between blocks of a big TSV; the views must be
painted in the GUI thread anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QLineEdit, QProgressDialog, QPushButton,
                               QSpinBox, QVBoxLayout, QWidget)

from .core.errors import Cancelled, ReprvizError
from .core.progress import Progress
from .views import export as figures
from .views.registry import VIEWS

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


class _Progress:
    """Progress and Cancel of the dialog, as core's on_progress/should_stop."""

    def __init__(self, dialog: QProgressDialog, steps: int) -> None:
        self.dialog, self.steps, self.step = dialog, max(1, steps), 0

    def next(self, text: str) -> None:
        self.dialog.setLabelText(text)
        self.dialog.setValue(int(100 * self.step / self.steps))
        self.step += 1
        self.pump()

    def on_progress(self, p: Progress) -> None:
        self.dialog.setValue(int(100 * (self.step - 1 + p.fraction) / self.steps))
        self.pump()

    def should_stop(self) -> bool:
        self.pump()
        return self.dialog.wasCanceled()

    def pump(self) -> None:
        from PySide6.QtWidgets import QApplication

        QApplication.processEvents()


def run_export(win: "MainWindow", choices: ExportChoices) -> tuple[list[Path], list[str]]:
    """Write what ``choices`` asks for; (files written, notes). Raises ``ReprvizError`` for a
    folder that cannot be used, ``Cancelled`` when the user cancels."""
    from .core.io.history import load_history
    from .workspace.exports import export_html, export_projector, export_tables

    if not choices.folder:
        raise ReprvizError("Choose a folder to export into.")
    folder = Path(choices.folder).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ReprvizError(f"Cannot make the folder {folder}: {err.strerror or err}") from None
    ctl = win.controller
    sessions = list(ctl.workspace.sessions)
    steps = (len(sessions) * (choices.projector + choices.tables) + choices.figures
             + choices.html)
    dialog = QProgressDialog("Exporting…", "Cancel", 0, 100, win)
    dialog.setObjectName("export_progress")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(400)
    prog = _Progress(dialog, steps)
    files: list[Path] = []
    notes: list[str] = []
    history = load_history().records if (choices.tables or choices.html) else ()
    try:
        for sid in sessions:
            suffix = "" if sid == "A" else f"-{sid}"
            layer = ctl.result("layer", sid)
            if choices.projector:
                prog.next(f"Projector bundle{suffix}…")
                if layer is None:
                    notes.append(f"No layer shown for model {sid}: no projector bundle.")
                else:
                    bundle = export_projector(folder / f"projector{suffix}", layer,
                                              binary=choices.binary,
                                              on_progress=prog.on_progress,
                                              should_stop=prog.should_stop)
                    files.extend(bundle.files)
                    notes.extend(bundle.notes)
            if choices.tables:
                prog.next(f"Tables{suffix}…")
                out = export_tables(folder, layer=layer, projection=ctl.result("map", sid),
                                    evaluation=ctl.result("evaluation", sid),
                                    selection=ctl.workspace.selection,
                                    history=history if sid == "A" else (),
                                    prefix=f"{sid}-" if sid != "A" else "",
                                    should_stop=prog.should_stop)
                files.extend(out.files)
                notes.extend(out.notes)
        panels = _panels(win) if (choices.figures or choices.html) else []
        if choices.figures:
            prog.next("Figures…")
            files.extend(figures.export_figures(folder, panels, (choices.fmt,), choices.scale,
                                                should_stop=prog.should_stop))
            if prog.should_stop():
                raise Cancelled("Cancelled by the user.")
        if choices.html:
            prog.next("HTML report…")
            session = ctl.workspace.sessions.get("A")
            dataset = ctl.dataset.name if ctl.dataset is not None else ""
            files.append(export_html(
                folder / "report.html", dataset=dataset, model=_model_text(win, "A"),
                layer=ctl.result("layer", "A"), evaluation=ctl.result("evaluation", "A"),
                curves=dict(session.curves.history) if session is not None else None,
                figures=figures.report_figures(panels), history=history))
    finally:
        dialog.setValue(100)
        dialog.close()
        dialog.deleteLater()
    return files, notes


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
            files, notes = run_export(self.win, choices)
        except Cancelled:
            self.win.show_message("Export cancelled; the files written so far are kept.")
            return
        except ReprvizError as err:
            _warn(self.win, str(err))
            return
        except OSError as err:
            _warn(self.win, f"Cannot write into {choices.folder}: {err.strerror or err}")
            return
        self.win.last_export = (files, notes)
        text = f"Exported {len(files)} file(s) into {choices.folder}"
        self.win.show_message(text + (" — " + " ".join(notes) if notes else ""))


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
