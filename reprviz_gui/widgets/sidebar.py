"""The left sidebar: dataset, model, training settings, Train/Cancel, layers, samples, map method.

Display and intents only. ``set_*`` methods are called from code and emit nothing (signals are
blocked while they run); a user edit emits exactly one intent signal.
"""

from __future__ import annotations

import functools
from typing import Any, Iterable, Optional

import shiboken6
from PySide6.QtCore import QEvent, Qt, Signal
from ..core.analysis.projection import METHOD_LABELS
from ..core.model.preset_table import FIELDS, TRAINING_BOX, field_applies
from . import table_fields
from .fields import _Blocked, _int_spin, _short_path
from .layer_tree import LayerTree, make_preprocess_combo, make_reduction_combo, set_reduction
from .sidebar_model import LOADED, PRESET_LABELS, PRESET_PARAMS, ModelControls  # noqa: F401
from .wheel_guard import guard_wheel
from PySide6.QtWidgets import (
    QAbstractSpinBox, QCheckBox, QComboBox, QFormLayout, QGroupBox,
    QHBoxLayout, QLabel, QPushButton, QScrollArea, QTabBar,
    QVBoxLayout, QWidget,
)

class Sidebar(ModelControls, QScrollArea):
    source_chosen = Signal(str)
    open_file_requested = Signal()
    open_folder_requested = Signal()
    load_model_requested = Signal()
    model_chosen = Signal(str, dict)  # preset, params
    training_settings_changed = Signal(dict)
    train_clicked = Signal()
    scratch_clicked = Signal()  # Train from scratch: fresh weights, then train
    cancel_clicked = Signal()
    layer_chosen = Signal(str)
    reduction_chosen = Signal(str)  # "" (the default), mean, max, flatten, crop
    preprocess_chosen = Signal(str)  # unit, symmetric or a Keras Applications family
    samples_changed = Signal(int, str)
    method_changed = Signal(str)
    pca_components_changed = Signal(int)  # k of the PCA → t-SNE map
    session_chosen = Signal(str)
    film_toggled = Signal(bool)  # Record a film (a user click)

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self._build_data_box())
        self.session_tabs = QTabBar()
        self.session_tabs.setObjectName("session_tabs")
        self.session_tabs.setToolTip("The model the controls below edit and train")
        self.session_tabs.currentChanged.connect(self._on_session_tab)
        self.session_tabs.hide()
        layout.addWidget(self.session_tabs)
        layout.addWidget(self._build_model_box())
        layout.addWidget(self._build_training_box())
        layout.addWidget(self._build_layers_box(), stretch=1)
        self.setWidget(body)
        # Long entries ("Sigmoid MLP 400-14-10 (L2)", file paths) must not widen the sidebar:
        # combos elide to a sane minimum and show the full text in their popup.
        for combo in body.findChildren(QComboBox):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
            combo.setMinimumWidth(110)
        self.setMinimumWidth(290)  # and its controls' width once shown (_fit_body_width)
        for w in body.findChildren(QAbstractSpinBox) + body.findChildren(QComboBox):
            guard_wheel(w)  # scrolling the sidebar never edits a field under the cursor
        self._session_ids: list[str] = []
        self._update_param_visibility()
        self._update_optimizer_fields()
        self._update_pca_visibility()

    # --- construction -----------------------------------------------------------------
    def _build_data_box(self) -> QGroupBox:
        box = QGroupBox("Dataset")
        v = QVBoxLayout(box)
        self.source_combo = QComboBox()
        self.source_combo.setObjectName("source_combo")
        self.source_combo.activated.connect(self._on_source_activated)
        v.addWidget(self.source_combo)
        row = QHBoxLayout()
        self.open_file_button = QPushButton("Open file…")
        self.open_folder_button = QPushButton("Open folder…")
        self.open_file_button.clicked.connect(self.open_file_requested)
        self.open_folder_button.clicked.connect(self.open_folder_requested)
        row.addWidget(self.open_file_button)
        row.addWidget(self.open_folder_button)
        v.addLayout(row)
        self.dataset_info = QLabel("Opening the default dataset…")
        self.dataset_info.setWordWrap(True)
        self.dataset_info.setObjectName("dataset_info")
        self.dataset_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        v.addWidget(self.dataset_info)
        return box

    def _build_training_box(self) -> QGroupBox:
        box = QGroupBox("Training")
        form = QFormLayout(box)
        # one row per training and optimizer field of the preset table
        self._training_rows: dict[str, Any] = {}
        for key in TRAINING_BOX:
            f = FIELDS[key]
            widget = table_fields.make_widget(f)
            table_fields.on_edited(f, widget, self._on_training_edited)
            self._training_rows[key] = widget
            form.addRow(f.label, widget)
        rows = self._training_rows
        self.epochs_spin, self.batch_spin = rows["epochs"], rows["batch_size"]
        self.optimizer_combo, self.lr_spin = rows["optimizer"], rows["learning_rate"]
        self.momentum_spin, self.nesterov_check = rows["momentum"], rows["nesterov"]
        self.val_spin, self.seed_spin = rows["validation_split"], rows["seed"]
        self._training_form = form
        row = QHBoxLayout()
        self.train_button = QPushButton("Train")
        self.train_button.setObjectName("train_button")
        self.train_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancel_button")
        self.cancel_button.setEnabled(False)
        self.scratch_button = QPushButton("From scratch")
        self.scratch_button.setObjectName("scratch_button")
        self.scratch_button.setToolTip("Fresh weights (the preset rebuilt with the seed), "
                                       "then train")
        self.train_button.clicked.connect(self._on_train_clicked)
        self.scratch_button.clicked.connect(self._on_scratch_clicked)
        self.cancel_button.clicked.connect(self.cancel_clicked)
        row.addWidget(self.train_button)
        row.addWidget(self.scratch_button)
        row.addWidget(self.cancel_button)
        self.film_check = QCheckBox("Record a film")
        self.film_check.setObjectName("film_check")
        self.film_check.setToolTip("Keep the chosen layer for the samples after every epoch, "
                                   "and play the training as a film (View → Film)")
        self.film_check.toggled.connect(self.film_toggled)
        form.addRow(row)
        # its own row: beside the three buttons it made the sidebar wider than its dock, which
        # cut off the check box's label and Open folder… (tests/test_sidebar_fits.py)
        film_row = QHBoxLayout()  # the box as wide as its label: a click beside it does nothing
        film_row.addWidget(self.film_check)
        film_row.addStretch(1)
        form.addRow(film_row)
        self.film_cost = QLabel()
        self.film_cost.setObjectName("film_cost")
        self.film_cost.setWordWrap(True)
        self.film_cost.hide()
        form.addRow(self.film_cost)
        return box

    def set_record_film(self, on: bool) -> None:
        with _Blocked(self.film_check):
            self.film_check.setChecked(bool(on))
        self.film_cost.setVisible(bool(on))

    def set_film_cost(self, text: str) -> None:
        """What the film would cost, said before training."""
        self.film_cost.setText(text)
        self.film_cost.setVisible(self.film_check.isChecked() and bool(text))

    def _build_layers_box(self) -> QGroupBox:
        box = QGroupBox("Layers")
        v = QVBoxLayout(box)
        self.layer_tree = LayerTree()  # nested models as branches (widgets/layer_tree.py)
        self.layer_tree.itemSelectionChanged.connect(self._on_layer_selection)
        v.addWidget(self.layer_tree)
        form = QFormLayout()
        self.reduction_combo = make_reduction_combo()
        self.reduction_combo.activated.connect(self._on_reduction_activated)
        form.addRow("Reduction", self.reduction_combo)
        self.preprocess_combo = make_preprocess_combo()
        self.preprocess_combo.activated.connect(self._on_preprocess_activated)
        form.addRow("Input", self.preprocess_combo)
        self.samples_spin = _int_spin(10, 10_000_000, 1000)
        self._samples_asked = self._samples_used = 1000  # typed vs shown (a split may hold less)
        self._split_sizes = ""
        self.samples_spin.setSingleStep(100)
        self.samples_spin.setToolTip("Samples shown in every panel (class-stratified)")
        self.samples_spin.editingFinished.connect(self._on_samples_edited)
        self.split_combo = QComboBox()
        self.split_combo.addItems(["test", "train"])
        self.split_combo.activated.connect(self._on_split_activated)
        self.method_combo = QComboBox()
        self.method_combo.setObjectName("method_combo")
        for key, label in METHOD_LABELS.items():
            self.method_combo.addItem(label, key)
        self.method_combo.activated.connect(self._on_method_activated)
        self.pca_spin = _int_spin(1, 1000, 20)
        self.pca_spin.setObjectName("pca_components")
        self.pca_spin.setToolTip("PCA → t-SNE: the data is first reduced to this many principal "
                                 "components (the IMDB post uses 20); the map shows how much of "
                                 "the variance they keep")
        self.pca_spin.editingFinished.connect(self._on_pca_edited)
        form.addRow("Samples", self.samples_spin)
        form.addRow("Split", self.split_combo)
        form.addRow("Map", self.method_combo)
        form.addRow("PCA components", self.pca_spin)
        self._layers_form = form
        v.addLayout(form)
        return box

    # --- set from code (emit nothing) ---------------------------------------------------
    def set_sources(self, sources: Iterable[Any], current: str) -> None:
        with _Blocked(self.source_combo):
            self.source_combo.clear()
            for src in sources:
                label = src.label + ("" if src.available else " (not found)")
                self.source_combo.addItem(label, src.name)
                idx = self.source_combo.count() - 1
                self.source_combo.setItemData(idx, src.description, Qt.ItemDataRole.ToolTipRole)
                if not src.available:
                    item = self.source_combo.model().item(idx)
                    item.setEnabled(False)
            self.set_current_source(current)

    def set_current_source(self, source: str) -> None:
        with _Blocked(self.source_combo):
            idx = self.source_combo.findData(source)
            if idx < 0:  # a file or folder the user opened
                self.source_combo.addItem(_short_path(source), source)
                idx = self.source_combo.count() - 1
            self.source_combo.setCurrentIndex(idx)

    def set_dataset_info(self, text: str) -> None:
        self.dataset_info.setText(text)

    def set_training_settings(self, s: dict[str, Any]) -> None:
        """Show these values in the training rows (widgets only; what is bound gets them when
        the user trains, or through ``bind_training``)."""
        with _Blocked(*self._training_rows.values()):
            for key, widget in self._training_rows.items():
                if key in s:
                    table_fields.set_value(FIELDS[key], widget, s[key])
        self._update_optimizer_fields()

    def bind_training(self, settings: Any) -> None:
        """Bind the training rows to ``settings`` (the evented ``Settings``) both ways: a value
        set from code (a restored run, a session, a lesson, a sweep's run) reaches its widget
        through the field's event, and the user's edits are written into it. Nothing re-syncs
        the sidebar by hand."""
        self._bound = settings
        self.set_training_settings({k: getattr(settings, k) for k in self._training_rows})
        for key in self._training_rows:
            # a partial of a bound method: psygnal holds it weakly, so a closed window's
            # sidebar is not kept alive by the controller's settings
            getattr(settings.events, key).connect(functools.partial(self._on_bound_change, key))

    def _on_bound_change(self, key: str, value: Any) -> None:
        if not shiboken6.isValid(self):
            return
        self.set_training_settings({key: value})

    def write_training(self) -> None:
        """Write what the training rows show into the bound settings (one event per changed
        value); commit pending edits first where a typed value must count."""
        bound = getattr(self, "_bound", None)
        if bound is not None:
            for key, value in self.training_settings().items():
                if getattr(bound, key) != value:
                    setattr(bound, key, value)

    def set_sessions(self, labels: dict[str, str], active: str) -> None:
        """The models in the workspace (tabs shown only when comparing); set from code."""
        with _Blocked(self.session_tabs):
            ids = list(labels)
            if ids != self._session_ids:
                while self.session_tabs.count():
                    self.session_tabs.removeTab(0)
                for sid in ids:
                    self.session_tabs.addTab(sid)
                self._session_ids = ids
            for i, sid in enumerate(ids):
                self.session_tabs.setTabText(i, f"{sid} · {labels[sid]}")
            if active in ids:
                self.session_tabs.setCurrentIndex(ids.index(active))
        self.session_tabs.setVisible(len(ids) > 1)

    def set_sample_limits(self, dataset: Any) -> None:
        """Say what each split holds. The box's maximum stays high: a spin box silently drops a
        keystroke past its maximum (70000 typed read 7000), so more than a split holds is
        accepted and the window shows all of it, saying so."""
        self._split_sizes = (f"the test split holds {len(dataset.y_test):,}, the train split "
                             f"{len(dataset.y_train):,}")
        self.samples_spin.setToolTip(f"Samples shown in every panel (class-stratified); "
                                     f"{self._split_sizes}")

    def set_samples_used(self, n: int, split: str) -> None:
        """Show the count actually used (a split may hold fewer than asked for)."""
        with _Blocked(self.samples_spin, self.split_combo):
            self.samples_spin.setValue(int(n))
            self.split_combo.setCurrentText(split)
        self._samples_used = int(n)
        self.samples_spin.setToolTip(f"{n:,} samples of the {split} split are shown in every "
                                     f"view (class-stratified); {self._split_sizes}")

    def set_view_settings(self, n_samples: int, split: str, method: str,
                          pca_components: Optional[int] = None) -> None:
        self._samples_asked = int(n_samples)
        with _Blocked(self.samples_spin, self.split_combo, self.method_combo, self.pca_spin):
            self.samples_spin.setValue(int(n_samples))
            self.split_combo.setCurrentText(split)
            idx = self.method_combo.findData(method)
            if idx >= 0:
                self.method_combo.setCurrentIndex(idx)
            if pca_components is not None:
                self.pca_spin.setValue(int(pca_components))
        self._update_pca_visibility()

    def set_layers(self, layers: Iterable[Any]) -> None:
        self.layer_tree.set_layers(layers)

    def set_current_layer(self, name: Optional[str], reduction: str = "") -> None:
        """Select ``name`` in the tree and show its reduction (``""``: the default for its
        shape); the Reduction row shows only for a layer with feature maps."""
        self.layer_tree.set_current_layer(name)
        info = self.layer_tree.info(name)
        shape = tuple(d for d in info.output_shape) if info is not None else ()
        applies = set_reduction(self.reduction_combo, shape, reduction)
        self._layers_form.setRowVisible(self.reduction_combo, applies)

    def _fit_body_width(self) -> None:
        """Never narrower than its controls: the horizontal bar is off, so a body wider than
        the viewport would be cut off at the right (the Train row's buttons, Open folder…).
        Measured once shown: before the style polishes the widgets the body asks for 400 px
        (300 after), which made the sidebar squeeze the views at the default window size."""
        body_min = self.widget().minimumSizeHint().width()
        scroll_bar = self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth()
        self.setMinimumWidth(max(290, body_min + scroll_bar))

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._fit_body_width()

    def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802 - Qt's name
        # QScrollArea filters its body's events; the body asks for more room after it is shown
        # too: "Train" becomes "Continue training" once trained (docs/lesson.png cut Cancel)
        if obj is self.widget() and event.type() == QEvent.Type.LayoutRequest and \
                self.isVisible():
            self._fit_body_width()
        return super().eventFilter(obj, event)

    def set_training(self, running: bool) -> None:
        self.train_button.setEnabled(not running)
        self.scratch_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        for w in (self.source_combo, self.open_file_button, self.open_folder_button,
                  self.preset_combo, self.load_model_button):
            w.setEnabled(not running)

    def set_can_train(self, can: bool, why: str = "", continues: bool = False,
                      scratch: bool = True) -> None:
        """``continues``: the model is trained, so Train continues it (and says so);
        ``scratch``: Train from scratch applies (a preset, not a model file)."""
        self.train_button.setEnabled(can)
        self.train_button.setText("Continue training" if continues else "Train")
        self.train_button.setToolTip(why or ("Trains on from the weights the model has now "
                                             "(the epochs count on)" if continues else ""))
        self.scratch_button.setEnabled(can and scratch)

    # --- reading --------------------------------------------------------------------------
    def current_layer(self) -> Optional[str]:
        return self.layer_tree.current_layer()

    def training_settings(self) -> dict[str, Any]:
        return {key: table_fields.value_of(FIELDS[key], w)
                for key, w in self._training_rows.items()}

    def _update_optimizer_fields(self) -> None:
        """Momentum only for sgd/rmsprop, Nesterov only for sgd (the table's ``applies``)."""
        optimizer = self.optimizer_combo.currentText()
        for key, widget in self._training_rows.items():
            self._training_form.setRowVisible(widget, field_applies(key, optimizer))

    # --- user edits (emit once) -----------------------------------------------------------
    def _on_source_activated(self, index: int) -> None:
        self.source_chosen.emit(self.source_combo.itemData(index))

    def _on_training_edited(self, *_: Any) -> None:
        self._update_optimizer_fields()
        self.write_training()
        self.training_settings_changed.emit(self.training_settings())

    def _on_train_clicked(self) -> None:
        self.write_training()
        self.training_settings_changed.emit(self.training_settings())
        self.train_clicked.emit()

    def _on_scratch_clicked(self) -> None:
        self.write_training()
        self.training_settings_changed.emit(self.training_settings())
        self.scratch_clicked.emit()

    def _on_layer_selection(self) -> None:
        name = self.current_layer()
        if name:
            self.layer_chosen.emit(name)

    def set_preprocess(self, how: str, applies: bool) -> None:
        """Show the images' preprocessing; the row only for image data."""
        with _Blocked(self.preprocess_combo):
            self.preprocess_combo.setCurrentIndex(max(0, self.preprocess_combo.findData(how)))
        self._layers_form.setRowVisible(self.preprocess_combo, applies)

    def _on_preprocess_activated(self, index: int) -> None:
        self.preprocess_chosen.emit(self.preprocess_combo.itemData(index))

    def _on_reduction_activated(self, index: int) -> None:
        self.reduction_chosen.emit(self.reduction_combo.itemData(index) or "")

    def _on_samples_edited(self, *_: Any) -> None:
        self._samples_asked = self.samples_spin.value()
        self.samples_changed.emit(self._samples_asked, self.split_combo.currentText())

    def _on_split_activated(self, *_: Any) -> None:
        # 60000 typed on the test split shows its 10,000; choosing train then means 60,000
        n = self.samples_spin.value()
        if n == self._samples_used and self._samples_asked > n:
            n = self._samples_asked
        self.samples_changed.emit(n, self.split_combo.currentText())

    def _on_session_tab(self, index: int) -> None:
        if 0 <= index < len(self._session_ids):
            self.session_chosen.emit(self._session_ids[index])

    def _on_method_activated(self, index: int) -> None:
        self._update_pca_visibility()
        self.method_changed.emit(self.method_combo.itemData(index))

    def _on_pca_edited(self) -> None:
        if self.pca_spin.value() != self._pca_emitted:
            self._pca_emitted = self.pca_spin.value()
            self.pca_components_changed.emit(self.pca_spin.value())

    def _update_pca_visibility(self) -> None:
        """The k of PCA → t-SNE, only while that map is chosen."""
        self._layers_form.setRowVisible(self.pca_spin,
                                        self.method_combo.currentData() == "pca-tsne")
        self._pca_emitted = self.pca_spin.value()

