"""The window's menus, dialogs and sidebar intents (a mixin of ``MainWindow``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox

from . import __version__
from .core.data.types import Dataset, LoadOptions
from .views.registry import VIEWS
from .workspace.controller import method_label

if TYPE_CHECKING:
    from .main_window import MainWindow

COMPARE_PRESETS = ("dense", "lenet", "multinomial", "sigmoid-mlp", "bilstm")


class WindowActions:
    # --- menus -------------------------------------------------------------------------------
    def _build_menus(self: "MainWindow") -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.action_open_file = self._action(file_menu, "&Open file…",
                                             QKeySequence.StandardKey.Open, self.open_file)
        self.action_open_folder = self._action(file_menu, "Open &folder…", "Ctrl+Shift+O",
                                               self.open_folder)
        file_menu.addSeparator()
        self.action_load_model = self._action(file_menu, "&Load model…", "Ctrl+L",
                                              self.load_model)
        self.action_save_model = self._action(file_menu, "&Save model…",
                                              QKeySequence.StandardKey.Save, self.save_model)
        self.action_screenshot = self._action(file_menu, "Save &window image…", "Ctrl+Shift+S",
                                              self.save_screenshot)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", QKeySequence.StandardKey.Quit, self.close)

        run_menu = bar.addMenu("&Run")
        self.action_train = self._action(run_menu, "&Train", "Ctrl+T", self.controller_train)
        self.action_cancel = self._action(run_menu, "&Cancel", "Ctrl+.", self.controller.cancel)
        run_menu.addSeparator()
        compare = run_menu.addMenu("Compare &with")
        for preset in COMPARE_PRESETS:
            self._action(compare, f"{preset} preset", None,
                         lambda _=False, p=preset: self.controller.add_comparison(p))
        compare.addSeparator()
        self._action(compare, "Model file…", None, self.compare_with_file)
        self.action_stop_comparing = self._action(run_menu, "Stop comparing", None,
                                                  self.controller.remove_comparison)
        self.action_stop_comparing.setEnabled(False)

        select = bar.addMenu("&Selection")
        self.action_escape = self._action(select, "Clear selection (or cancel)", "Esc",
                                          self.on_escape)

        view = bar.addMenu("&View")
        view.addAction(self.sidebar_dock.toggleViewAction())
        sections: dict[str, Any] = {}
        for spec in VIEWS:
            menu = view if not spec.menu else sections.setdefault(spec.menu,
                                                                  view.addMenu(spec.menu))
            action = self.docks[spec.id].toggleViewAction()
            action.setStatusTip(spec.description)
            menu.addAction(action)
        view.addSeparator()
        self._action(view, "&Reset layout", None, self.reset_layout)

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&About reprviz", None, self.about)

    def _action(self: "MainWindow", menu: Any, text: str, shortcut: Any, slot: Any) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    @Slot()
    def on_escape(self: "MainWindow") -> None:
        """Esc clears the selection; with nothing selected it cancels running work."""
        if not self.controller.workspace.selection.empty:
            self.controller.clear_selection()
        else:
            self.controller.cancel()

    # --- sidebar intents -----------------------------------------------------------------------
    @Slot(str)
    def on_source_chosen(self: "MainWindow", source: str) -> None:
        self.controller.open_dataset(source)

    @Slot(str, dict)
    def on_model_chosen(self: "MainWindow", preset: str, params: dict) -> None:
        self.controller.set_model_preset(preset, params)

    @Slot(str)
    def on_layer_chosen(self: "MainWindow", name: str) -> None:
        self.controller.select_layer(name)

    @Slot(dict)
    def on_training_settings(self: "MainWindow", values: dict) -> None:
        for key, value in values.items():
            setattr(self.controller.settings, key, value)

    @Slot()
    def controller_train(self: "MainWindow") -> None:
        self.on_training_settings(self.sidebar.training_settings())
        self.controller.train()

    def _show_active_session(self: "MainWindow") -> None:
        c = self.controller
        s = c.session()
        sb = self.sidebar
        sb.set_layers(c.layers_of(s.id))
        sb.set_current_layer(s.layer)
        sb.set_model_choice(s.preset, s.params, file=s.file)
        ds = c.dataset
        if s.building:
            sb.set_model_info("Preparing the model…")
            sb.set_can_train(False, "The model is being prepared")
            return
        if not s.has_model:
            sb.set_model_info("No model: the views show the data itself.")
            sb.set_can_train(False, "Choose a model preset to train")
            return
        params = sum(l.params for l in s.layers)
        ev = c.result("evaluation", s.id)
        acc = None if ev is None else ev.accuracy.get("test")
        if s.trained_epochs:
            state = f"trained {s.trained_epochs} epoch(s)"
        elif s.file:
            state = "loaded from file"
        else:
            state = "untrained until you press Train"
        if acc is not None:
            state += f", test accuracy {acc:.1%}"
        elif s.file and not s.training:
            state += ", evaluating…"
        sb.set_model_info(f"{s.label}: {len(s.layers)} layers, {params:,} parameters ({state})")
        can = ds is not None and len(ds.y_train) > 0
        sb.set_can_train(can and not s.training, "" if can else "This dataset has no training "
                         "split")

    # --- files -----------------------------------------------------------------------------------
    @Slot()
    def open_file(self: "MainWindow") -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open data file", str(Path.home()),
            "Data files (*.csv *.txt *.vec *.npz *.gz *-ubyte);;All files (*)")
        if not path:
            return
        from .widgets.import_dialog import CsvImportDialog, needs_import_dialog

        if not needs_import_dialog(path):
            self.controller.open_dataset(path)
            return
        # a CSV of samples: ask how to read it (image shape, pixel order, labels, ...), with a
        # live preview; non-modal, so background work keeps reporting meanwhile
        dialog = CsvImportDialog(path, LoadOptions(seed=self.controller.settings.seed), self,
                                 settings=self.qsettings)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.controller.open_dataset(path, dialog.options()))
        self.import_dialog = dialog
        dialog.open()

    @Slot()
    def open_folder(self: "MainWindow") -> None:
        path = QFileDialog.getExistingDirectory(
            self, "Open a folder of IDX files or of class sub-folders of images", str(Path.home()))
        if path:
            self.controller.open_dataset(path)

    def _model_file(self: "MainWindow", title: str) -> str:
        path, _ = QFileDialog.getOpenFileName(self, title, str(Path.home()),
                                              "Keras models (*.keras *.h5);;All files (*)")
        return path

    @Slot()
    def load_model(self: "MainWindow") -> None:
        path = self._model_file("Load a Keras model")
        if path:
            self.controller.load_model(path)

    @Slot()
    def compare_with_file(self: "MainWindow") -> None:
        path = self._model_file("Compare with a Keras model")
        if path:
            self.controller.add_comparison(path)

    @Slot()
    def save_model(self: "MainWindow") -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the model",
                                              str(Path.home() / "model.keras"),
                                              "Keras model (*.keras)")
        if path:
            self.controller.save_model(path)

    @Slot()
    def save_screenshot(self: "MainWindow") -> None:
        from .main_window import save_window_image

        path, _ = QFileDialog.getSaveFileName(self, "Save an image of the window",
                                              str(Path.home() / "reprviz.png"),
                                              "PNG image (*.png)")
        if path:
            save_window_image(self, path)

    # --- dialogs ---------------------------------------------------------------------------------
    @Slot(str, object)
    def show_failure(self: "MainWindow", what: str, failure: Any) -> None:
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

    def _show_dialog(self: "MainWindow", box: QMessageBox) -> None:
        # Non-modal (open(), not exec()): work in the background keeps reporting meanwhile.
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialogs.append(box)
        box.finished.connect(lambda *_: self.dialogs.remove(box) if box in self.dialogs else None)
        box.open()

    @Slot(str, str, str)
    def ask_trust_model(self: "MainWindow", session_id: str, path: str, message: str) -> None:
        self._ask_trust("model", message,
                        lambda: self.controller.load_model(path, trust=True, session_id=session_id))

    @Slot(str, str)
    def ask_trust_data(self: "MainWindow", source: str, message: str) -> None:
        options = LoadOptions(allow_pickle=True, seed=self.controller.settings.seed)
        self._ask_trust("data", message, lambda: self.controller.open_dataset(source, options))

    def _ask_trust(self: "MainWindow", what: str, message: str, on_trust: Any) -> None:
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
    def about(self: "MainWindow") -> None:
        QMessageBox.about(self, "About reprviz",
                          f"reprviz {__version__}\nA desktop lab for seeing what a neural network "
                          "has learned.")


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


__all__ = ["WindowActions", "describe_dataset", "preset_defaults", "method_label"]
