"""The main window: sidebar, docked panels, menus, status bar, remembered layout."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any, Optional

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget, QFileDialog, QMainWindow, QMessageBox, QWidget,
)

from . import __version__
from .controller import Controller, Settings
from .core.data.types import Dataset, LoadOptions
from .panels.base import Panel
from .panels.confusion import ConfusionPanel
from .panels.cosine import CosinePanel
from .panels.curves import CurvesPanel
from .panels.heatmap import HeatmapPanel
from .panels.map_panel import MapPanel
from .widgets.activity_bar import ActivityBar
from .widgets.sidebar import Sidebar

SETTINGS_VERSION = 1


def settings_path() -> Path:
    """Where choices and the dock layout are remembered. ``REPRVIZ_CONFIG_DIR`` overrides it
    (tests and the demo use a throw-away folder)."""
    override = os.environ.get("REPRVIZ_CONFIG_DIR")
    if override:
        return Path(override) / "reprviz.ini"
    base = QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.GenericConfigLocation) or str(Path.home() / ".config")
    return Path(base) / "reprviz" / "reprviz.ini"  # ~/.config/reprviz/reprviz.ini on Linux


class MainWindow(QMainWindow):
    def __init__(self, controller: Optional[Controller] = None, remember: bool = True) -> None:
        super().__init__()
        self.setObjectName("reprviz_main_window")
        self.setWindowTitle("reprviz")
        self.remember = remember
        # QSettings writes through QSaveFile (temp file + rename), so a kill mid-write keeps
        # the previous file.
        self.qsettings = QSettings(str(settings_path()), QSettings.Format.IniFormat)
        self.controller = controller or Controller(self._restore_choices())
        self.controller.setParent(self)
        self.dialogs: list[QMessageBox] = []  # open error dialogs (non-modal, for tests too)
        self.dataset: Optional[Dataset] = None
        self._build_ui()
        self._connect()
        self._restore_layout()

    # --- construction ---------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.setDockNestingEnabled(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks
                            | QMainWindow.DockOption.AllowNestedDocks
                            | QMainWindow.DockOption.AllowTabbedDocks)
        self.sidebar = Sidebar()
        self.sidebar.set_preset_defaults(preset_defaults())
        s = self.controller.settings
        self.sidebar.set_model_choice(s.preset, s.model_params)
        self.sidebar.set_training_settings(asdict(s))
        self.sidebar.set_view_settings(s.n_samples, s.split, s.method)
        from .core.data.sources import list_sources

        self.sidebar.set_sources(list_sources(), s.source)
        self.sidebar_dock = self._dock("Controls", "controls", self.sidebar)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.sidebar_dock)

        self.panels: dict[str, Panel] = {}
        self.docks: dict[str, QDockWidget] = {}
        for panel in (HeatmapPanel(), CosinePanel(), MapPanel(), ConfusionPanel(),
                      CurvesPanel()):
            self.panels[panel.panel_id] = panel
            self.docks[panel.panel_id] = self._dock(panel.title, panel.panel_id, panel)
        self._arrange_docks()

        self.activity_bar = ActivityBar()
        self.statusBar().addPermanentWidget(self.activity_bar, 1)
        self._build_menus()
        self.resize(1280, 960)

    def _dock(self, title: str, key: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{key}")  # saveState() needs stable names
        dock.setWidget(widget)
        return dock

    def _arrange_docks(self) -> None:
        d = self.docks
        first = self._panel_dock("heatmap")
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, first)
        self.splitDockWidget(first, self._panel_dock("map"), Qt.Orientation.Vertical)
        self.splitDockWidget(first, self._panel_dock("cosine"), Qt.Orientation.Horizontal)
        self.splitDockWidget(self._panel_dock("cosine"), self._panel_dock("curves"),
                             Qt.Orientation.Horizontal)
        self.splitDockWidget(self._panel_dock("map"), self._panel_dock("confusion"),
                             Qt.Orientation.Horizontal)
        for dock in d.values():
            dock.show()
        self.sidebar_dock.show()
        self.resizeDocks([self.sidebar_dock], [320], Qt.Orientation.Horizontal)
        self.resizeDocks([self._panel_dock("map"), self._panel_dock("confusion")], [440, 520],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([first, self._panel_dock("map")], [420, 520], Qt.Orientation.Vertical)

    def _panel_dock(self, panel_id: str) -> QDockWidget:
        return self.docks[panel_id]

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.action_open_file = self._action(file_menu, "&Open file…", QKeySequence.StandardKey.Open,
                                             self.open_file)
        self.action_open_folder = self._action(file_menu, "Open &folder…", "Ctrl+Shift+O",
                                               self.open_folder)
        file_menu.addSeparator()
        self.action_load_model = self._action(file_menu, "&Load model…", "Ctrl+L", self.load_model)
        self.action_save_model = self._action(file_menu, "&Save model…", QKeySequence.StandardKey.Save,
                                              self.save_model)
        self.action_screenshot = self._action(file_menu, "Save &window image…", "Ctrl+Shift+S",
                                              self.save_screenshot)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", QKeySequence.StandardKey.Quit, self.close)

        run_menu = bar.addMenu("&Run")
        self.action_train = self._action(run_menu, "&Train", "Ctrl+T", self.controller_train)
        self.action_cancel = self._action(run_menu, "&Cancel", "Esc", self.controller.cancel)

        view = bar.addMenu("&View")
        for dock in [self.sidebar_dock, *self.docks.values()]:
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        self._action(view, "&Reset layout", None, self.reset_layout)

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&About reprviz", None, self.about)

    def _action(self, menu: Any, text: str, shortcut: Any, slot: Any) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _connect(self) -> None:
        c, sb = self.controller, self.sidebar
        sb.source_chosen.connect(self.on_source_chosen)
        sb.open_file_requested.connect(self.open_file)
        sb.open_folder_requested.connect(self.open_folder)
        sb.load_model_requested.connect(self.load_model)
        sb.model_chosen.connect(self.on_model_chosen)
        sb.training_settings_changed.connect(self.on_training_settings)
        sb.train_clicked.connect(self.controller_train)
        sb.cancel_clicked.connect(c.cancel)
        sb.layer_chosen.connect(c.select_layer)
        sb.samples_changed.connect(c.set_samples)
        sb.method_changed.connect(c.set_method)
        self.activity_bar.cancel_clicked.connect(c.cancel)

        c.dataset_changed.connect(self.on_dataset_changed)
        c.model_changed.connect(self.on_model_changed)
        c.layers_changed.connect(sb.set_layers)
        c.layer_selected.connect(sb.set_current_layer)
        c.layer_result_ready.connect(self.on_layer_result)
        c.projection_ready.connect(self._panel("map").show_result)
        c.evaluation_ready.connect(self.on_evaluation)
        c.curves_changed.connect(self._panel("curves").show_result)
        c.training_changed.connect(self.on_training_changed)
        c.activity.connect(self.activity_bar.set_activity)
        c.idle.connect(self.on_idle)
        c.message.connect(self.show_message)
        c.failed.connect(self.show_failure)
        c.unsafe_model.connect(self.ask_trust_model)
        c.unsafe_data.connect(self.ask_trust_data)
        c.panel_busy.connect(self.on_panel_busy)

    def _panel(self, panel_id: str) -> Panel:
        return self.panels[panel_id]

    # --- start and stop -------------------------------------------------------------------
    def start(self) -> None:
        """Called once the window is visible: all heavy work starts in the background."""
        self.controller.start()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.remember:
            self._save_settings()
        self.controller.shutdown(4000)
        for dlg in self.dialogs:
            dlg.close()
        event.accept()

    # --- settings -------------------------------------------------------------------------
    def _restore_choices(self) -> Settings:
        settings = Settings()
        if not self.remember:
            return settings
        try:
            raw = self.qsettings.value("choices", "")
            saved = json.loads(raw) if raw else {}
            for key, value in saved.items():
                if hasattr(settings, key) and isinstance(value, type(getattr(settings, key))):
                    setattr(settings, key, value)
        except (ValueError, TypeError):
            pass  # an unreadable settings file must never stop the app: defaults it is
        return settings

    def _restore_layout(self) -> None:
        self._default_state = self.saveState(SETTINGS_VERSION)
        if not self.remember:
            return
        geometry = self.qsettings.value("geometry")
        state = self.qsettings.value("window_state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state, SETTINGS_VERSION)

    def _save_settings(self) -> None:
        self.qsettings.setValue("geometry", self.saveGeometry())
        self.qsettings.setValue("window_state", self.saveState(SETTINGS_VERSION))
        self.qsettings.setValue("choices", json.dumps(asdict(self.controller.settings)))
        self.qsettings.sync()

    @Slot()
    def reset_layout(self) -> None:
        self.restoreState(self._default_state, SETTINGS_VERSION)
        for dock in [self.sidebar_dock, *self.docks.values()]:
            dock.setFloating(False)
            dock.show()
        self.resize(1280, 960)

    # --- sidebar intents --------------------------------------------------------------------
    @Slot(str)
    def on_source_chosen(self, source: str) -> None:
        self.controller.open_dataset(source)

    @Slot(str, dict)
    def on_model_chosen(self, preset: str, params: dict) -> None:
        self.controller.set_model_preset(preset, params)

    @Slot(dict)
    def on_training_settings(self, values: dict) -> None:
        for key, value in values.items():
            setattr(self.controller.settings, key, value)

    @Slot()
    def controller_train(self) -> None:
        self.on_training_settings(self.sidebar.training_settings())
        self.controller.train()

    @Slot()
    def open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open data file", str(Path.home()),
            "Data files (*.csv *.txt *.vec *.npz *.gz *-ubyte);;All files (*)")
        if path:
            self.controller.open_dataset(path)

    @Slot()
    def open_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, "Open a folder of IDX files or of class sub-folders of images", str(Path.home()))
        if path:
            self.controller.open_dataset(path)

    @Slot()
    def load_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load a Keras model", str(Path.home()),
                                              "Keras models (*.keras *.h5);;All files (*)")
        if path:
            self.controller.load_model(path)

    @Slot()
    def save_model(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the model", str(Path.home() / "model.keras"),
                                              "Keras model (*.keras)")
        if path:
            self.controller.save_model(path)

    @Slot()
    def save_screenshot(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save an image of the window",
                                              str(Path.home() / "reprviz.png"), "PNG image (*.png)")
        if path:
            save_window_image(self, path)

    # --- controller results -----------------------------------------------------------------
    @Slot(object)
    def on_dataset_changed(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.sidebar.set_current_source(self.controller.settings.source)
        self.sidebar.set_dataset_info(describe_dataset(dataset))
        self.sidebar.set_model_choice(self.controller.settings.preset,
                                      self.controller.settings.model_params)
        for panel in self.panels.values():
            panel.clear("Computing…")
        self._update_title()

    @Slot(object)
    def on_model_changed(self, ready: Any) -> None:
        if ready is None:
            self.sidebar.set_model_info("No model: the panels show the data itself.")
            self.sidebar.set_can_train(False, "Choose a model preset to train")
        else:
            params = sum(l.params for l in ready.layers)
            self.sidebar.set_model_info(f"{ready.label}: {len(ready.layers)} layers, "
                                        f"{params:,} parameters (untrained until you press Train)")
            can = self.dataset is not None and len(self.dataset.y_train) > 0
            self.sidebar.set_can_train(can, "" if can else "This dataset has no training split")
        self._panel("confusion").clear("Train the model to see its confusions")
        self._update_title()

    @Slot(object)
    def on_layer_result(self, result: Any) -> None:
        self._panel("heatmap").show_result(result)
        self._panel("cosine").show_result(result)

    @Slot(object)
    def on_evaluation(self, evaluation: Any) -> None:
        if evaluation is None:
            self._panel("confusion").clear("Train the model to see its confusions")
            return
        self._panel("confusion").show_result(evaluation)
        ready = self.controller.model_ready
        if ready is not None:
            epochs = len(self.controller.curves.history.get("loss", ()))
            params = sum(l.params for l in ready.layers)
            self.sidebar.set_model_info(
                f"{ready.label}: {len(ready.layers)} layers, {params:,} parameters; trained "
                f"{epochs} epoch(s), test accuracy {evaluation.accuracy.get('test', 0):.1%}")

    @Slot(str, str)
    def on_panel_busy(self, group: str, message: str) -> None:
        keys = ("heatmap", "cosine", "map") if group == "layer" else ("map",)
        for key in keys:
            self._panel(key).set_busy(message)

    @Slot(bool)
    def on_training_changed(self, running: bool) -> None:
        self.sidebar.set_training(running)
        self.action_train.setEnabled(not running)
        if running:
            self.activity_bar.set_activity("Training…", 0.0, None)

    @Slot()
    def on_idle(self) -> None:
        self.activity_bar.set_idle()

    @Slot(str)
    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    @Slot(str, object)
    def show_failure(self, what: str, failure: Any) -> None:
        box = QMessageBox(self)
        box.setObjectName("error_dialog")
        box.setIcon(QMessageBox.Icon.Warning if failure.user_error else QMessageBox.Icon.Critical)
        box.setWindowTitle("reprviz")
        box.setText(f"Could not finish {what}." if what else "Something went wrong.")
        box.setInformativeText(failure.message + ("\n\nEarlier results are kept." if failure.kept
                                                  else ""))
        if failure.details:
            box.setDetailedText(failure.details)
        self._show_dialog(box)

    def _show_dialog(self, box: QMessageBox) -> None:
        # Non-modal (open(), not exec()): work in the background keeps reporting meanwhile.
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialogs.append(box)
        box.finished.connect(lambda *_: self.dialogs.remove(box) if box in self.dialogs else None)
        box.open()

    @Slot(str, str)
    def ask_trust_model(self, path: str, message: str) -> None:
        self._ask_trust("model", message, lambda: self.controller.load_model(path, trust=True))

    @Slot(str, str)
    def ask_trust_data(self, source: str, message: str) -> None:
        options = LoadOptions(allow_pickle=True, seed=self.controller.settings.seed)
        self._ask_trust("data", message, lambda: self.controller.open_dataset(source, options))

    def _ask_trust(self, what: str, message: str, on_trust: Any) -> None:
        """The explicit, labelled choice before a file may run code (pickle, Lambda layers)."""
        verb = "load" if what == "model" else "open"
        box = QMessageBox(QMessageBox.Icon.Warning, f"Trust this {what} file?",
                          f"{message}\n\n{verb.capitalize()} it only if you trust where it "
                          "came from.", QMessageBox.StandardButton.Cancel, self)
        trust = box.addButton(f"Trust this file and {verb} it", QMessageBox.ButtonRole.AcceptRole)
        box.setObjectName("trust_dialog")
        box.buttonClicked.connect(lambda button: on_trust() if button is trust else None)
        self._show_dialog(box)

    @Slot()
    def about(self) -> None:
        QMessageBox.about(self, "About reprviz",
                          f"reprviz {__version__}\nA desktop lab for seeing what a neural network "
                          "has learned.")

    def _update_title(self) -> None:
        parts = ["reprviz"]
        if self.dataset is not None:
            parts.append(self.dataset.name)
        ready = self.controller.model_ready
        if ready is not None:
            parts.append(ready.label)
        self.setWindowTitle(" — ".join(parts))


def preset_defaults() -> dict[str, dict[str, Any]]:
    """The parameters the sidebar shows for each preset (cheap: no TensorFlow import)."""
    from .core.model.presets import PRESETS, default_config

    out: dict[str, dict[str, Any]] = {}
    for name in PRESETS:
        cfg = default_config(name)
        out[name] = {"hidden": tuple(cfg.hidden), "activation": cfg.activation,
                     "dropout": cfg.dropout, "l2": cfg.l2, "embed_dim": cfg.embed_dim,
                     "lstm_units": cfg.lstm_units}
    return out


def describe_dataset(d: Dataset) -> str:
    shape = "×".join(str(s) for s in d.sample_shape)
    kind = {"image": "images", "sequence": "token sequences", "vector": "vectors"}[d.kind]
    lines = [f"<b>{d.name}</b>: {len(d.y_train):,} train / {len(d.y_test):,} test {kind} "
             f"({shape}), {d.n_classes} classes",
             f"<span style='color:#666'>{d.provenance}</span>"]
    if d.split_made_by_app:
        lines.append("The train/test split was made by the app (stratified, seeded).")
    lines += [f"• {n}" for n in d.notes if "split" not in n.lower() or not d.split_made_by_app]
    return "<br>".join(lines)


def save_window_image(window: QWidget, path: str | Path) -> Path:
    """Save a PNG of the window atomically (temp file + rename)."""
    from .core.io.atomic import atomic_save_via_path

    return atomic_save_via_path(path, lambda tmp: window.grab().save(str(tmp), "PNG"))
