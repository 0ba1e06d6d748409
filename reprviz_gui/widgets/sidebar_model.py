"""The sidebar's Model box: the preset, its editable parameters, the loaded model file, and the
model's one-line summary (a mixin of ``Sidebar``; set-from-code emits nothing)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QPushButton

from ..core.model.preset_table import FIELDS, MODEL_FIELDS, PRESET_FIELDS
from ..core.model.preset_table import PRESET_LABELS as _TABLE_LABELS
from . import table_fields
from .fields import _Blocked, _parse_widths


PRESET_LABELS = {**_TABLE_LABELS, "none": "None: look at the data itself"}
LOADED = "file"  # the preset box's entry for a model loaded from a file
# which parameters each preset lets the user edit: the preset table's
PRESET_PARAMS = {**PRESET_FIELDS, "none": (), LOADED: ()}


class ModelControls:
    def _build_model_box(self) -> QGroupBox:
        box = QGroupBox("Model")
        form = QFormLayout(box)
        self.preset_combo = QComboBox()
        self.preset_combo.setObjectName("preset_combo")
        for key, label in PRESET_LABELS.items():
            self.preset_combo.addItem(label, key)
        self.preset_combo.activated.connect(self._on_preset_activated)
        form.addRow("Preset", self.preset_combo)
        self._preset_defaults: dict[str, dict[str, Any]] = {}
        # one row per model field of the preset table, shown when the preset uses it
        self._param_rows: dict[str, tuple[str, Any]] = {}
        for key in MODEL_FIELDS:
            f = FIELDS[key]
            widget = table_fields.make_widget(f)
            if key == "hidden":
                widget.editingFinished.connect(self._on_hidden_edited)
            else:
                table_fields.on_edited(f, widget, self._on_model_edited)
            self._param_rows[key] = (f.label, widget)
            form.addRow(f.label, widget)
        self.hidden_edit = self._param_rows["hidden"][1]
        self.activation_combo = self._param_rows["activation"][1]
        self.dropout_spin = self._param_rows["dropout"][1]
        self.l2_spin = self._param_rows["l2"][1]
        self.embed_spin = self._param_rows["embed_dim"][1]
        self.lstm_spin = self._param_rows["lstm_units"][1]
        self._form = form
        self.load_model_button = QPushButton("Load model…")
        self.load_model_button.clicked.connect(self.load_model_requested)
        form.addRow(self.load_model_button)
        self.model_info = QLabel("")
        self.model_info.setWordWrap(True)
        self.model_info.setObjectName("model_info")
        form.addRow(self.model_info)
        return box

    def set_model_info(self, text: str) -> None:
        self.model_info.setText(text)

    def set_preset_defaults(self, defaults: dict[str, dict[str, Any]]) -> None:
        """Each preset's default parameters, shown when the user picks that preset."""
        self._preset_defaults = {k: dict(v) for k, v in defaults.items()}

    def set_model_choice(self, preset: str, params: dict[str, Any], file: str = "") -> None:
        """Show a preset and its parameters, or (``preset == "file"``) the loaded model file."""
        params = {**self._preset_defaults.get(preset, {}), **params}
        with _Blocked(self.preset_combo, *(w for _, w in self._param_rows.values())):
            loaded = self.preset_combo.findData(LOADED)
            if preset == LOADED:
                from pathlib import Path

                text = f"Loaded: {Path(file).name}" if file else "Loaded model"
                if loaded < 0:
                    self.preset_combo.addItem(text, LOADED)
                    loaded = self.preset_combo.count() - 1
                self.preset_combo.setItemText(loaded, text)
                self.preset_combo.setItemData(loaded, file, Qt.ItemDataRole.ToolTipRole)
            elif loaded >= 0:
                self.preset_combo.removeItem(loaded)
            idx = self.preset_combo.findData(preset)
            if idx >= 0:
                self.preset_combo.setCurrentIndex(idx)
            for key, (_, widget) in self._param_rows.items():
                if key in params:
                    table_fields.set_value(FIELDS[key], widget, params[key])
        self._update_param_visibility()

    def model_params(self) -> dict[str, Any]:
        preset = self.preset_combo.currentData()
        values: dict[str, Any] = {}
        for key in PRESET_PARAMS.get(preset, ()):
            value = table_fields.value_of(FIELDS[key], self._param_rows[key][1])
            if key != "hidden" or value:
                values[key] = value
        return values

    def _on_hidden_edited(self) -> None:
        if not self.hidden_edit.isModified():
            return  # editingFinished also fires on focus loss without a change
        self.hidden_edit.setModified(False)
        if not _parse_widths(self.hidden_edit.text()):
            self.hidden_edit.setStyleSheet("background: #fdd")
            self.hidden_edit.setToolTip("Widths must be positive whole numbers, e.g. 256, 144")
            return
        self.hidden_edit.setStyleSheet("")
        self._on_model_edited()

    def _on_preset_activated(self, index: int) -> None:
        # a new preset starts from its own defaults, not the previous preset's values
        preset = self.preset_combo.itemData(index)
        if preset == LOADED:
            return  # re-picking the loaded file changes nothing
        self.set_model_choice(preset, {})
        self._on_model_edited()

    def _on_model_edited(self, *_: Any) -> None:
        self._update_param_visibility()
        self.model_chosen.emit(self.preset_combo.currentData(), self.model_params())

    def _update_param_visibility(self) -> None:
        allowed = PRESET_PARAMS.get(self.preset_combo.currentData(), ())
        for key, (_, widget) in self._param_rows.items():
            self._form.setRowVisible(widget, key in allowed)
