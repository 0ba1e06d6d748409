"""How to read a CSV of samples, with a live preview of its first rows.

``CsvImportDialog(path, initial=None, parent=None, *, settings=None)`` offers the CSV options of
``LoadOptions``: the image shape (none, or HxW / HxWxC), the pixel order (row by row, or column
by column as MATLAB/Octave store images), where the labels are (a column of this file, or a
separate labels file picked with a file dialog), a label map ("10:0") and per-sample min-max
scaling. Below them, the first ``PREVIEW_ROWS`` samples are shown with their labels, read by the
same core loader (``tabular.preview_csv``, only those rows, so it is instant); when the options
do not fit the file, one line says why instead, and OK is disabled. Read ``options()`` after
``exec()`` returns ``Accepted``.

The choices are remembered per file name in ``settings`` (a ``QSettings`` or a plain dict,
key ``csv_import/<file name>``, a JSON text) when the dialog is accepted, and restored the next
time a file of that name is opened: they take precedence over ``initial``'s CSV fields.

App rules: set from code (``set_options``) emits nothing; a user edit emits ``options_changed``
once (typing updates the preview on every key, and emits when the field is left or Return is
pressed). Combo boxes take the mouse wheel only when they have the keyboard focus, so scrolling
the dialog never changes a choice by accident.

``needs_import_dialog(path)`` tells the window whether a file goes through this dialog (a CSV of
samples) or opens as it is (other formats, and word tables, which have no samples to preview).
The preview pane is ``csv_preview.py``; the text fields and what is remembered,
``csv_import_settings.py``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Optional

import numpy as np
from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QButtonGroup, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
    QHBoxLayout, QLineEdit, QPushButton, QRadioButton, QVBoxLayout, QWidget,
)

from ..core.data.tabular import CsvPreview, csv_columns, is_word_table, preview_csv
from ..core.data.types import LoadOptions
from ..core.errors import ReprvizError
from .csv_import_settings import (SETTINGS_GROUP, Settings, format_label_map, format_shape,
                                  parse_label_map, parse_shape, remember_options,
                                  remembered_options)
from .csv_preview import CsvPreviewPane, display_image
from .wheel_guard import WheelGuard, guard_wheel

__all__ = ["CsvImportDialog", "PREVIEW_ROWS", "SETTINGS_GROUP", "WheelGuard", "display_image",
           "needs_import_dialog", "parse_label_map", "parse_shape", "remember_options",
           "remembered_options"]

PREVIEW_ROWS = 12
CSV_SUFFIXES = (".csv", ".tsv")


def needs_import_dialog(path: str | Path) -> bool:
    """Whether opening ``path`` should ask how to read it: a CSV of samples does; other formats
    and word tables (words beside their vectors: nothing to choose) open as they are. A CSV
    that cannot be read gets the dialog too: its preview says what is wrong."""
    if Path(path).suffix.lower() not in CSV_SUFFIXES:
        return False
    try:
        return not is_word_table(path)
    except ReprvizError:
        return True


# --- the dialog ---------------------------------------------------------------------------------
class CsvImportDialog(QDialog):
    """See the module docstring. ``options_changed(LoadOptions)``: once per user edit."""

    options_changed = Signal(object)

    def __init__(self, path: str, initial: Optional[LoadOptions] = None,
                 parent: Optional[QWidget] = None, *, settings: Optional[Settings] = None,
                 preview_rows: int = PREVIEW_ROWS) -> None:
        super().__init__(parent)
        self.setObjectName("csv_import_dialog")
        self._path = str(path)
        self._settings = settings
        self._preview_rows = max(1, int(preview_rows))
        self._base = initial if initial is not None else LoadOptions()
        self._preview: Optional[CsvPreview] = None
        self._error = ""
        self.setWindowTitle(f"Read {Path(self._path).name}")
        self._build()
        self._load_columns()
        start = self._base
        remembered = remembered_options(settings, self._path)
        if remembered:
            start = dataclasses.replace(start, **remembered)
        self.set_options(start)
        self._last_emitted = self.options()

    # -- building ----------------------------------------------------------------------------
    def _build(self) -> None:
        form = QFormLayout()
        self.shape = guard_wheel(QComboBox(objectName="shape"))
        self.shape.setEditable(True)
        self.shape.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.shape.setToolTip("none: each row is a vector. HxW or HxWxC: each row is an image.")
        self.shape.lineEdit().setPlaceholderText("none, or e.g. 20x20")
        form.addRow("Image shape:", self.shape)

        self.pixel_order = guard_wheel(QComboBox(objectName="pixel_order"))
        self.pixel_order.addItem("Row by row (C, NumPy, most CSVs)", "row")
        self.pixel_order.addItem("Column by column (MATLAB, Octave)", "column")
        form.addRow("Pixel order:", self.pixel_order)

        self.source_column = QRadioButton("A column of this file:", objectName="source_column")
        self.source_file = QRadioButton("A separate labels file:", objectName="source_file")
        self._source = QButtonGroup(self)
        self._source.addButton(self.source_column)
        self._source.addButton(self.source_file)
        self.label_column = guard_wheel(QComboBox(objectName="label_column"))
        row1 = QHBoxLayout()
        row1.addWidget(self.source_column)
        row1.addWidget(self.label_column, 1)
        self.labels_file = QLineEdit(objectName="labels_file")
        self.labels_file.setPlaceholderText("one label per line, in row order")
        self.browse = QPushButton("Browse…", objectName="browse_labels")
        row2 = QHBoxLayout()
        row2.addWidget(self.source_file)
        row2.addWidget(self.labels_file, 1)
        row2.addWidget(self.browse)
        labels_box = QVBoxLayout()
        labels_box.addLayout(row1)
        labels_box.addLayout(row2)
        form.addRow("Labels:", labels_box)

        self.label_map = QLineEdit(objectName="label_map")
        self.label_map.setPlaceholderText("e.g. 10:0 (label 10 means class 0)")
        form.addRow("Label map:", self.label_map)
        self.minmax = QCheckBox("Scale each sample to its own min..max", objectName="minmax")
        form.addRow("", self.minmax)

        self.pane = CsvPreviewPane(self._preview_rows)
        # the pane's parts, by the names callers and tests know them
        self.summary, self.error_label = self.pane.summary, self.pane.error_label
        self.preview_box, self.vector_preview = self.pane.preview_box, self.pane.vector_preview
        self._cells = self.pane.cells

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.pane)
        layout.addWidget(self.buttons)

        # user edits only: activated/clicked/textEdited are not emitted by code
        self.shape.lineEdit().textEdited.connect(self._typed)
        self.shape.lineEdit().editingFinished.connect(self._committed)
        self.shape.activated.connect(self._committed)
        self.pixel_order.activated.connect(self._committed)
        self.label_column.activated.connect(self._column_chosen)
        self.source_column.clicked.connect(self._committed)
        self.source_file.clicked.connect(self._committed)
        self.labels_file.textEdited.connect(self._labels_file_typed)
        self.labels_file.editingFinished.connect(self._committed)
        self.browse.clicked.connect(self._browse)
        self.label_map.textEdited.connect(self._typed)
        self.label_map.editingFinished.connect(self._committed)
        self.minmax.clicked.connect(self._committed)

    def _load_columns(self) -> None:
        """Fill the label-column list and suggest image shapes from the file's columns."""
        self.label_column.clear()
        self.label_column.addItem("automatic ('label' column, else the last)", None)
        try:
            names, header = csv_columns(self._path, self._base.has_header)
        except ReprvizError:
            names, header = [], False  # the preview says what is wrong with the file
        for j, name in enumerate(names):
            self.label_column.addItem(f"{j + 1}: {name}" if header else name,
                                      name if header else j)
        self.shape.clear()
        self.shape.addItem("none")
        for n in sorted({len(names), len(names) - 1} - {0}, reverse=True):
            side = int(round(n ** 0.5))
            if side >= 2 and side * side == n:
                self.shape.addItem(f"{side}x{side}")
            side3 = int(round((n / 3) ** 0.5))
            if n % 3 == 0 and side3 >= 2 and 3 * side3 * side3 == n:
                self.shape.addItem(f"{side3}x{side3}x3")

    # -- state ---------------------------------------------------------------------------------
    def _field_errors(self) -> list[str]:
        errors = []
        for parse, text in ((parse_shape, self.shape.currentText()),
                            (parse_label_map, self.label_map.text())):
            try:
                parse(text)
            except ValueError as err:
                errors.append(str(err))
        if self.source_file.isChecked() and not self.labels_file.text().strip():
            errors.append("Labels file: choose the file that holds the labels.")
        return errors

    def options(self) -> LoadOptions:
        """The options as chosen now (fields that do not parse are left at None; the dialog
        shows why and keeps OK disabled). Other fields come from ``initial``."""
        try:
            shape = parse_shape(self.shape.currentText())
        except ValueError:
            shape = None
        try:
            label_map = parse_label_map(self.label_map.text())
        except ValueError:
            label_map = None
        from_file = self.source_file.isChecked()
        labels_file = self.labels_file.text().strip() if from_file else ""
        return dataclasses.replace(
            self._base, image_shape=shape, pixel_order=self.pixel_order.currentData() or "row",
            label_column=None if from_file else self.label_column.currentData(),
            labels_file=labels_file or None, label_map=label_map,
            per_sample_minmax=self.minmax.isChecked())

    def set_options(self, options: LoadOptions) -> None:
        """Show ``options`` (their CSV fields); emits nothing. The preview follows."""
        widgets = (self.shape, self.shape.lineEdit(), self.pixel_order, self.label_column,
                   self.source_column, self.source_file, self.labels_file, self.label_map,
                   self.minmax)
        blockers = [QSignalBlocker(w) for w in widgets]
        reload = options.has_header != self._base.has_header
        self._base = options  # the fields this dialog does not show are kept as given
        if reload:
            self._load_columns()
        self.shape.setEditText(format_shape(options.image_shape))
        self.pixel_order.setCurrentIndex(max(0, self.pixel_order.findData(options.pixel_order)))
        index = self._column_index(options.label_column)
        self.label_column.setCurrentIndex(index)
        from_file = options.labels_file is not None
        self.source_file.setChecked(from_file)
        self.source_column.setChecked(not from_file)
        self.labels_file.setText(str(options.labels_file or ""))
        self.label_map.setText(format_label_map(options.label_map))
        self.minmax.setChecked(bool(options.per_sample_minmax))
        del blockers
        self._last_emitted = self.options()
        self.refresh_preview()

    def _column_index(self, column: Any) -> int:
        if column is None:
            return 0
        for i in range(1, self.label_column.count()):
            data = self.label_column.itemData(i)
            if data == column or (isinstance(column, str) and isinstance(data, str)
                                  and data.lower() == column.lower()):
                return i
        if isinstance(column, int) and 0 <= column < self.label_column.count() - 1:
            return column + 1  # an index given for a file with a header
        if isinstance(column, int) and -(self.label_column.count() - 1) <= column < 0:
            return self.label_column.count() + column
        return 0

    # -- user edits ------------------------------------------------------------------------------
    def _typed(self, _text: str = "") -> None:
        self.refresh_preview()  # live; options_changed waits for the edit to be committed

    def _labels_file_typed(self, _text: str) -> None:
        with QSignalBlocker(self.source_file), QSignalBlocker(self.source_column):
            self.source_file.setChecked(True)  # typing a path means: labels from that file
        self.refresh_preview()

    def _committed(self, *_args: Any) -> None:
        self.refresh_preview()
        options = self.options()
        if options != self._last_emitted:
            self._last_emitted = options
            self.options_changed.emit(options)

    def _column_chosen(self, _index: int) -> None:
        # choosing a column means: labels from that column (the file path is kept, unused)
        with QSignalBlocker(self.source_column), QSignalBlocker(self.source_file):
            self.source_column.setChecked(True)
        self._committed()

    def pick_labels_file(self) -> str:
        """Ask for the labels file (a file dialog); "" when cancelled. Tests replace this."""
        start = str(Path(self.labels_file.text() or self._path).expanduser().parent)
        chosen, _ = QFileDialog.getOpenFileName(self, "Labels file", start,
                                                "Text and CSV files (*.csv *.txt *.tsv);;"
                                                "All files (*)")
        return chosen

    def _browse(self) -> None:
        chosen = self.pick_labels_file()
        if not chosen:
            return
        with QSignalBlocker(self.labels_file), QSignalBlocker(self.source_file), \
                QSignalBlocker(self.source_column):
            self.labels_file.setText(chosen)
            self.source_file.setChecked(True)
        self._committed()

    # -- preview ---------------------------------------------------------------------------------
    def refresh_preview(self) -> None:
        """Read the first rows with the current options and show them (or why they fail)."""
        errors = self._field_errors()
        self._preview = None
        if not errors:
            try:
                self._preview = preview_csv(self._path, self.options(), self._preview_rows)
            except ReprvizError as err:
                errors = [str(err)]
        self._error = errors[0] if errors else ""
        self._draw()
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not self._error)

    def _draw(self) -> None:
        self.pane.show_preview(self._preview, self._error, self.minmax.isChecked())

    # -- what tests and callers read -------------------------------------------------------------
    def preview(self) -> Optional[CsvPreview]:
        """The rows shown now, as the core loader read them (None when they do not load)."""
        return self._preview

    def preview_error(self) -> str:
        """The one line shown instead of the preview ("" when the preview is shown)."""
        return self._error

    def shown_images(self) -> list[np.ndarray]:
        """The images drawn in the preview, as uint8 arrays (min-max stretched if chosen)."""
        return self.pane.shown_images()

    def shown_labels(self) -> list[str]:
        """The label under each previewed sample."""
        return self.pane.shown_labels()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        # Return in a text field commits that field (and updates the preview); it must not
        # close the dialog, so no button is the default (QDialogButtonBox makes OK one on show)
        for button in self.findChildren(QPushButton):
            button.setDefault(False)

    def accept(self) -> None:
        if self._error:
            return
        remember_options(self._settings, self._path, self.options())
        super().accept()
