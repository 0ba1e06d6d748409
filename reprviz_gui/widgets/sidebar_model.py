"""The sidebar's Model box: the preset, its editable parameters, the loaded model file, and the
model's one-line summary (a mixin of ``Sidebar``; set-from-code emits nothing)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QLineEdit, QPushButton

from .fields import _Blocked, _double_spin, _int_spin, _parse_widths


PRESET_LABELS = {
    "dense": "Dense MLP",
    "multinomial": "Multinomial (no hidden layer)",
    "lenet": "LeNet-like CNN",
    "bilstm": "BiLSTM (text)",
    "sigmoid-mlp": "Sigmoid MLP 400-14-10 (L2)",
    "none": "None: look at the data itself",
}
LOADED = "file"  # the preset box's entry for a model loaded from a file
# which parameters each preset lets the user edit
PRESET_PARAMS = {
    "dense": ("hidden", "activation", "dropout", "l2"),
    "multinomial": ("l2",),
    "lenet": ("dropout",),
    "bilstm": ("embed_dim", "lstm_units", "dropout"),
    "sigmoid-mlp": ("hidden", "activation", "l2"),
    "none": (),
    LOADED: (),
}


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
        self.hidden_edit = QLineEdit("256, 144")
        self.hidden_edit.setToolTip("Hidden layer widths, comma-separated (e.g. 256, 144 or 128)")
        self.hidden_edit.editingFinished.connect(self._on_hidden_edited)
        self.activation_combo = QComboBox()
        self.activation_combo.addItems(["relu", "sigmoid", "tanh"])
        self.activation_combo.activated.connect(self._on_model_edited)
        self.dropout_spin = _double_spin(0.0, 0.9, 0.05, 2)
        self.dropout_spin.editingFinished.connect(self._on_model_edited)
        self.l2_spin = _double_spin(0.0, 1.0, 0.0001, 4)
        self.l2_spin.editingFinished.connect(self._on_model_edited)
        self.embed_spin = _int_spin(2, 1024, 128)
        self.embed_spin.editingFinished.connect(self._on_model_edited)
        self.lstm_spin = _int_spin(2, 1024, 64)
        self.lstm_spin.editingFinished.connect(self._on_model_edited)
        self._param_rows = {
            "hidden": ("Hidden widths", self.hidden_edit),
            "activation": ("Activation", self.activation_combo),
            "dropout": ("Dropout", self.dropout_spin),
            "l2": ("L2", self.l2_spin),
            "embed_dim": ("Embedding size", self.embed_spin),
            "lstm_units": ("LSTM units", self.lstm_spin),
        }
        self._form = form
        for label, widget in self._param_rows.values():
            form.addRow(label, widget)
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
        with _Blocked(self.preset_combo, self.hidden_edit, self.activation_combo,
                      self.dropout_spin, self.l2_spin, self.embed_spin, self.lstm_spin):
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
            if "hidden" in params:
                self.hidden_edit.setText(", ".join(str(h) for h in params["hidden"]))
            if "activation" in params:
                self.activation_combo.setCurrentText(str(params["activation"]))
            for key, spin in (("dropout", self.dropout_spin), ("l2", self.l2_spin),
                              ("embed_dim", self.embed_spin), ("lstm_units", self.lstm_spin)):
                if key in params:
                    spin.setValue(params[key])
        self._update_param_visibility()

    def model_params(self) -> dict[str, Any]:
        preset = self.preset_combo.currentData()
        values: dict[str, Any] = {}
        for key in PRESET_PARAMS.get(preset, ()):
            if key == "hidden":
                widths = _parse_widths(self.hidden_edit.text())
                if widths:
                    values["hidden"] = widths
            elif key == "activation":
                values["activation"] = self.activation_combo.currentText()
            else:
                values[key] = self._param_rows[key][1].value()
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
