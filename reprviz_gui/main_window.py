"""The main window: sidebar, the docked views of the registry, menus, status bar, settings.

It holds no analysis state of its own: the controller's workspace is the truth, and the window
routes what the controller says to the views (through one ``ViewHost`` per registered view) and
what the user does back to the controller.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

from PySide6.QtCore import QStandardPaths, Qt, QTimer, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMessageBox, QWidget

from .core.data.types import Dataset
from .views.host import ViewHost
from .views.registry import VIEWS, check_products
from .widgets.activity_bar import ActivityBar
from .widgets.pending_edits import commit_pending_edits
from .widgets.selection_bar import SelectionBar
from .widgets.sidebar import Sidebar
from . import window_actions as wa
from .commands import build_menus, refresh_commands
from .window_actions import describe_dataset, preset_defaults
from .window_layout import SIDEBAR_WIDTH, arrange, build_view_docks, make_dock, \
    make_views_area, restore_layout, save_layout_and_choices, show_word_table_views
from .window_wiring import connect_window
from .workers.lane import JobKind
from .settings_file import SettingsFile
from .workspace.controller import Controller, Settings
from .workspace.products import REGISTRY

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
        check_products()  # a view naming a product that does not exist: an error at start
        self.setObjectName("reprviz_main_window")
        self.setWindowTitle("reprviz")
        self.remember = remember
        # QSettings writes through QSaveFile (temp file + rename): a kill mid-write keeps the
        # previous file; a damaged one is set aside (settings_file.py)
        self.settings_file = SettingsFile(settings_path())
        self.qsettings = self.settings_file.qsettings
        self.controller = controller or Controller(self._restore_choices())
        self.qsettings = self.settings_file.qsettings  # a fresh one if the old was set aside
        self.controller.setParent(self)
        self.dialogs: list[QMessageBox] = []  # open non-modal dialogs (tests look at them)
        self.hosts: dict[str, ViewHost] = {}
        self.words_auto_opened: Optional[dict[str, bool]] = None  # see show_word_table_views
        self.session_path = ""  # the session file last saved or opened (window_session.py)
        self.setAcceptDrops(True)  # a session file dropped on the window opens
        self._selecting_from = ""  # the view whose click made the pending selection
        # (source, run settings): restored once that dataset is open (a run made on other data)
        self.restore_after_load: Optional[tuple[str, dict]] = None
        self._build_ui()
        connect_window(self)  # window_wiring.py: the signals between widgets and controller
        if self.remember:
            restore_layout(self)
        for note in self.settings_file.notes if self.remember else ():
            self.show_message(note)

    # --- construction ------------------------------------------------------------------------
    def _build_ui(self) -> None:
        c = self.controller
        s = c.settings
        self.sidebar = Sidebar()
        self.sidebar.set_preset_defaults(preset_defaults())
        self.sidebar.set_model_choice(s.preset, s.model_params)
        self.sidebar.bind_training(s)  # the training rows follow the evented settings
        self.sidebar.set_view_settings(s.n_samples, s.split, s.method, s.pca_components)
        from .core.data.sources import list_sources

        self.sidebar.set_sources(list_sources(), s.source)
        self.sidebar_dock = make_dock(self, "Controls", "controls", self.sidebar)
        self.sidebar_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                                      | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.sidebar_dock)
        self.views_area = make_views_area()
        self.setCentralWidget(self.views_area)
        self.docks = build_view_docks(self)
        self.resize(1280, 960)
        arrange(self)

        self.selection_bar = SelectionBar()
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.selection_bar)
        self.activity_bar = ActivityBar()
        # no stretch: the status bar's message area (left) must stay visible beside it
        self.statusBar().addPermanentWidget(self.activity_bar, 0)
        self.commands = build_menus(self)  # command id -> QAction (commands.py)

    def host(self, view_id: str) -> ViewHost:
        return self.hosts[view_id]

    def view(self, view_id: str, session_id: str = "A") -> Any:
        """The view widget of a registered view (for a session, for per-session views)."""
        return self.hosts[view_id].view(session_id)

    # --- start and stop ----------------------------------------------------------------------
    def start(self, session: str = "") -> None:
        """Called once the window is visible: all heavy work starts in the background; with a
        session file (``main.py SESSION``) that opens instead of the remembered dataset."""
        self._update_wanted()
        if not session:
            self.controller.start()
            return
        from .window_session import open_session

        self.controller.start(open_data=False)
        if not open_session(self, session):
            self.controller.open_dataset(self.controller.settings.source)

    @Slot(str)
    def on_session_saved(self, path: str) -> None:
        from .window_session import on_session_saved

        on_session_saved(self, path)

    def dragEnterEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        from .window_session import is_session_file

        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if len(urls) == 1 and urls[0].isLocalFile() and is_session_file(urls[0].toLocalFile()):
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        from .window_session import is_session_file, open_session

        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile() and is_session_file(urls[0].toLocalFile()):
            event.acceptProposedAction()
            open_session(self, urls[0].toLocalFile())

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.remember:
            save_layout_and_choices(self)
        from .workspace import history_rows

        history_rows.flush(self.controller)  # a run that just ended keeps its history row
        # Wait only for a model being saved: everything else is either cancelled at once or
        # stuck in code nobody can interrupt (TensorFlow's import, a numba compile); waiting
        # for that kept the process alive for seconds after the window closed.
        saving = any(j.kind == JobKind.SAVE for j in self.controller.lanes["model"].pending_jobs())
        self.controller.shutdown(8000 if saving else 300)
        for dlg in list(self.dialogs):
            dlg.close()
        event.accept()

    # --- settings ----------------------------------------------------------------------------
    def _restore_choices(self) -> Settings:
        return self.settings_file.load_choices() if self.remember else Settings()

    @Slot()
    def reset_layout(self) -> None:
        """The default arrangement, sized for the window as it is (not resized)."""
        arrange(self)
        self._update_wanted()

    # --- what views need -----------------------------------------------------------------------
    @Slot()
    def _update_wanted(self, *_: Any) -> None:
        sessions = list(self.controller.workspace.sessions)
        slots: set[tuple[str, str]] = set()
        for spec in VIEWS:
            dock = self.docks[spec.id]
            if not dock.isVisible():
                continue  # hidden views (closed, or behind another tab) cost nothing
            kinds = spec.products + tuple(k for k in spec.on_demand
                                          if self.hosts[spec.id].wants(k))
            for kind in kinds:
                product = REGISTRY.get(kind)
                if product is None:
                    continue
                for sid in (sessions if product.per_session else [""]):
                    slots.add((kind, sid))
        self.controller.set_wanted(slots)

    def _hosts_for(self, kind: str) -> list[ViewHost]:
        return [self.hosts[s.id] for s in VIEWS if kind in s.products or kind in s.on_demand]

    # --- controller results -----------------------------------------------------------------
    @Slot(str, str, object)
    def on_product_ready(self, kind: str, session_id: str, result: Any) -> None:
        for host in self._hosts_for(kind):
            host.show_product(kind, session_id, result)
        if kind == "evaluation" and session_id == self.controller.active:
            self.on_session_changed(session_id)

    @Slot(str, str, str)
    def on_product_unavailable(self, kind: str, session_id: str, why: str) -> None:
        for host in self._hosts_for(kind):
            host.product_unavailable(kind, session_id, why)

    @Slot(str, str, str)
    def on_product_busy(self, kind: str, session_id: str, message: str) -> None:
        for host in self._hosts_for(kind):
            host.set_busy(kind, session_id, message)

    @Slot(object)
    def on_selection_changed(self, selection: Any) -> None:
        for host in self.hosts.values():
            host.set_selection(selection)
        self.selection_bar.set_selection(selection, self.controller.dataset)
        origin = self._selecting_from
        if selection.empty:
            return
        for spec in VIEWS:  # the views that show the selected samples (the gallery)
            if not spec.front_on_selection:
                continue
            dock = self.docks[spec.id]
            # unless that would hide the view the user clicked in (the Class samples grid
            # shares the gallery's tab group: a tile click hid the grid)
            if origin not in self.docks or \
                    self.docks[origin] not in self.views_area.tabifiedDockWidgets(dock):
                dock.raise_()

    def _select_from(self, view_id: str, selection: Any, additive: bool) -> None:
        self._selecting_from = view_id  # selection_changed is emitted within select()
        try:
            self.controller.select(selection, additive)
        finally:
            self._selecting_from = ""

    @Slot(str, int, int, bool)
    def on_cell_picked(self, session_id: str, true: int, predicted: int, additive: bool) -> None:
        self.controller.select_confusion_cell(session_id, true, predicted, additive)

    @Slot(str, str)
    def on_layer_requested(self, session_id: str, name: str) -> None:
        self.controller.select_layer(name, session_id or None)

    @Slot(bool)
    def on_arrows_requested(self, show: bool) -> None:
        """Show a word table's pairs as arrows, on every view that draws them (the map)."""
        for view_id, host in self.hosts.items():
            drawn = [view.set_show_arrows(show) for view in host.views.values()]
            if any(drawn):
                self.docks[view_id].show()
                self.docks[view_id].raise_()

    @Slot(str)
    def on_session_chosen(self, session_id: str) -> None:
        """The sidebar's model tab: it edits and trains that model, and the views in tabs
        show it."""
        self.controller.set_active(session_id)
        for host in self.hosts.values():
            host.show_session(session_id)

    def set_compare_tabs(self, on: bool) -> None:
        """Every per-model view in tabs (on), or each as its ``ViewSpec.compare`` says."""
        for spec in VIEWS:
            self.hosts[spec.id].set_mode("tabs" if on else spec.compare)

    @Slot(str)
    def on_split_requested(self, split: str) -> None:
        """The confusion matrix's split, chosen in one model's view: every model's view shows
        that split (a comparison on one split), and the controller counts it."""
        for host in self.hosts.values():
            for view in host.views.values():
                options = getattr(view, "options", None)
                if options is not None and hasattr(options, "split"):
                    options.split = split
        self.controller.set_confusion_split(split)

    @Slot(dict)
    def on_restore_settings(self, settings: dict) -> None:
        """Restore a run's settings; a run made on other data first asks to switch to it
        (accept: open it, then restore; cancel: nothing changes)."""
        data, ws = settings.get("data"), self.controller.workspace
        if isinstance(data, str) and data and ws.dataset is not None and data != ws.source:
            wa.ask_switch_dataset(self, data, dict(settings))
            return
        self.restore_run_settings(settings)

    def restore_run_settings(self, settings: dict) -> None:
        from .workspace import history_rows

        note = history_rows.restore_settings(self.controller, dict(settings))
        self.show_message(note)

    @Slot(list)
    def on_delete_runs(self, ids: list) -> None:
        from .workspace import history_rows

        history_rows.writer(self.controller).delete(ids)

    @Slot(object)
    def on_dataset_changed(self, dataset: Dataset) -> None:
        s = self.controller.settings
        restore, self.restore_after_load = self.restore_after_load, None
        if restore is not None and restore[0] == s.source:
            # after the controller has chosen the models for the data (the run's preset then
            # replaces them): on the next turn of the event loop
            QTimer.singleShot(0, lambda: self.restore_run_settings(restore[1]))
        self.sidebar.set_current_source(s.source)
        self.sidebar.set_dataset_info(describe_dataset(dataset))
        self.sidebar.set_model_choice(self.controller.session("A").preset, s.model_params)
        self.sidebar.set_sample_limits(dataset)
        self.sidebar.set_view_settings(s.n_samples, s.split, s.method)  # MDS for word tables
        show_word_table_views(self, dataset.words is not None)
        refresh_commands(self)  # Compare with: the presets that can take this data
        for host in self.hosts.values():
            host.set_dataset(dataset)
            host.clear_all("Computing…")
        self._update_title()

    @Slot(object)
    def on_samples_changed(self, samples: Any) -> None:
        self.sidebar.set_samples_used(samples.n, samples.split)
        for host in self.hosts.values():
            host.set_samples(samples)

    @Slot()
    def on_sessions_changed(self) -> None:
        c = self.controller
        labels = {sid: s.label for sid, s in c.workspace.sessions.items()}
        for host in self.hosts.values():
            host.set_sessions(labels)
        self.sidebar.set_sessions(labels, c.active)
        refresh_commands(self)
        self._update_wanted()
        self.on_session_changed(c.active)

    @Slot(str)
    def on_session_changed(self, session_id: str) -> None:
        c = self.controller
        labels = {sid: s.label for sid, s in c.workspace.sessions.items()}
        for host in self.hosts.values():
            host.set_sessions(labels)
        self.sidebar.set_sessions(labels, c.active)
        if session_id == c.active:
            wa.show_active_session(self)
        self._update_title()

    @Slot(str, bool)
    def on_training_changed(self, session_id: str, running: bool) -> None:
        busy = bool(self.controller.training_sessions())
        self.sidebar.set_training(busy)
        refresh_commands(self)
        if running:
            self.activity_bar.set_activity("Training…", 0.0, None)

    # --- sidebar intents and controller requests ------------------------------------------------
    @Slot(str)
    def on_source_chosen(self, source: str) -> None:
        self.controller.open_dataset(source)

    @Slot(str, dict)
    def on_model_chosen(self, preset: str, params: dict) -> None:
        self.controller.set_model_preset(preset, params)

    @Slot(str)
    def on_layer_chosen(self, name: str) -> None:
        self.controller.select_layer(name)

    @Slot(str)
    def on_reduction_chosen(self, how: str) -> None:
        self.controller.set_reduction(how)

    @Slot(str)
    def on_preprocess_chosen(self, how: str) -> None:
        self.controller.set_preprocess(how)

    def on_training_settings(self, values: dict) -> None:
        """Set training settings as the user would (the bound sidebar rows follow)."""
        for key, value in values.items():
            if getattr(self.controller.settings, key) != value:
                setattr(self.controller.settings, key, value)

    @Slot()
    def controller_train(self, scratch: bool = False) -> None:
        """Train (continue a trained model) or, ``scratch``, rebuild with fresh weights and
        train; either waits for a model being prepared (typed widths + Ctrl-T)."""
        commit_pending_edits(self.sidebar)  # a Train button click need not move the focus
        self.on_training_settings(self.sidebar.training_settings())
        if scratch:
            self.controller.train_from_scratch()
        else:
            self.controller.train()

    @Slot(str, object)
    def show_failure(self, what: str, failure: Any) -> None:
        wa.show_failure(self, what, failure)

    @Slot(str, str, str)
    def ask_trust_model(self, session_id: str, path: str, message: str) -> None:
        wa.ask_trust_model(self, session_id, path, message)

    @Slot(str, str)
    def ask_trust_data(self, source: str, message: str) -> None:
        wa.ask_trust_data(self, source, message)

    @Slot()
    def on_idle(self) -> None:
        self.activity_bar.set_idle()

    @Slot(str)
    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 10000)

    def _update_title(self) -> None:
        parts = ["reprviz"]
        ws = self.controller.workspace
        if ws.dataset is not None:
            parts.append(ws.dataset.name)
        labels = [s.label for s in ws.sessions.values() if s.has_model]
        if labels:
            parts.append(" vs ".join(labels))
        self.setWindowTitle(" — ".join(parts))


def save_window_image(window: QWidget, path: str | Path) -> Path:
    """Save a PNG of the window atomically (temp file + rename)."""
    from .core.io.atomic import atomic_save_via_path

    return atomic_save_via_path(path, lambda tmp: window.grab().save(str(tmp), "PNG"))


__all__ = ["MainWindow", "save_window_image", "settings_path", "SIDEBAR_WIDTH"]
