"""The main window's signal wiring: the sidebar's and the bars' intents to the controller or the
window's slots, the controller's news to the window, and each view host's requests.

Every receiver is a method of a GUI-thread QObject (the window, the controller, a bar) or a
lambda on signals that are emitted in the GUI thread (the hosts'): nothing here is connected to
a lane's thread (see ``workers/lane.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .main_window import MainWindow


def connect_window(win: "MainWindow") -> None:
    c, sb = win.controller, win.sidebar
    sb.source_chosen.connect(win.on_source_chosen)
    sb.open_file_requested.connect(win.commands["open_file"].trigger)
    sb.open_folder_requested.connect(win.commands["open_folder"].trigger)
    sb.load_model_requested.connect(win.commands["load_model"].trigger)
    sb.model_chosen.connect(win.on_model_chosen)
    sb.train_clicked.connect(win.controller_train)
    sb.scratch_clicked.connect(lambda: win.controller_train(scratch=True))
    sb.cancel_clicked.connect(c.cancel)
    sb.layer_chosen.connect(win.on_layer_chosen)
    sb.reduction_chosen.connect(win.on_reduction_chosen)
    sb.preprocess_chosen.connect(win.on_preprocess_chosen)
    sb.samples_changed.connect(c.set_samples)
    sb.method_changed.connect(c.set_method)
    sb.pca_components_changed.connect(c.set_pca_components)
    sb.session_chosen.connect(win.on_session_chosen)
    win.activity_bar.cancel_clicked.connect(c.cancel)
    win.selection_bar.clear_clicked.connect(c.clear_selection)

    c.dataset_changed.connect(win.on_dataset_changed)
    c.samples_changed.connect(win.on_samples_changed)
    c.session_changed.connect(win.on_session_changed)
    c.sessions_changed.connect(win.on_sessions_changed)
    c.selection_changed.connect(win.on_selection_changed)
    c.product_ready.connect(win.on_product_ready)
    c.product_unavailable.connect(win.on_product_unavailable)
    c.product_busy.connect(win.on_product_busy)
    c.training_changed.connect(win.on_training_changed)
    c.activity.connect(win.activity_bar.set_activity)
    c.idle.connect(win.on_idle)
    c.message.connect(win.show_message)
    c.failed.connect(win.show_failure)
    c.unsafe_model.connect(win.ask_trust_model)
    c.unsafe_data.connect(win.ask_trust_data)
    c.session_saved.connect(win.on_session_saved)
    for view_id, host in win.hosts.items():
        host.selection_requested.connect(
            lambda sel, additive, v=view_id: win._select_from(v, sel, additive))
        host.cell_picked.connect(win.on_cell_picked)
        host.arrows_requested.connect(win.on_arrows_requested)
        host.restore_settings_requested.connect(win.on_restore_settings)
        host.delete_runs_requested.connect(win.on_delete_runs)
        host.layer_requested.connect(win.on_layer_requested)
        host.own_input_changed.connect(c.set_own_input)
        host.split_requested.connect(win.on_split_requested)
        host.wanted_changed.connect(win._update_wanted)
    for dock in win.docks.values():
        dock.visibilityChanged.connect(win._update_wanted)
    from .window_film import connect_film

    connect_film(win)  # Record a film, its cost, the Film view and the curves' epoch
