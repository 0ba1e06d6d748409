"""The window's film wiring (issue 16 §1): the sidebar's *Record a film* check box and the
settings field both ways, what the film would cost said before training, the Film view opened
when a film is asked for, and the epoch a Film view shows marked on its model's curves."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject

if TYPE_CHECKING:
    from .main_window import MainWindow


class FilmWiring(QObject):
    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window = window
        c, sb = window.controller, window.sidebar
        st = c.settings
        sb.set_record_film(st.record_film)
        sb.film_toggled.connect(self.on_toggled)
        st.events.record_film.connect(self.on_setting)
        st.events.epochs.connect(self.update_cost)
        c.session_changed.connect(self.update_cost)
        c.samples_changed.connect(self.update_cost)
        if "film" in window.hosts:
            window.hosts["film"].epoch_shown.connect(self.on_epoch_shown)
        self.update_cost()

    def on_toggled(self, on: bool) -> None:
        self.window.controller.settings.record_film = bool(on)
        if on:  # the user asked for a film: show where it will play
            dock = self.window.docks.get("film")
            if dock is not None and not dock.isVisible():
                dock.show()
            if dock is not None:
                dock.raise_()

    def on_setting(self, on: bool) -> None:
        self.window.sidebar.set_record_film(bool(on))
        self.update_cost()

    def update_cost(self, *_args: Any) -> None:
        self.window.sidebar.set_film_cost(film_cost_text(self.window.controller))

    def on_epoch_shown(self, session_id: str, epoch: int) -> None:
        host = self.window.hosts.get("curves")
        view = host.view(session_id) if host is not None else None
        if view is not None and hasattr(view, "mark_epoch"):
            # a film's epochs count on from earlier runs, as the curves' axis does (0: the
            # untrained model, which the curves have no point for)
            view.mark_epoch(epoch)


def film_cost_text(controller: Any) -> str:
    """'Film: 11 frames × 1.0 MB = 11 MB' for the next run of the active model, or why not."""
    from .core.errors import ResourceLimitError
    from .workspace.training import film_plan

    ws = controller.workspace
    s = ws.sessions.get(controller.active)
    if s is None or not s.has_model or not s.layer or ws.dataset is None:
        return "Film: choose a model and a layer first."
    try:
        plan = film_plan(ws, s, controller.settings.epochs)
    except ResourceLimitError as err:
        return f"Film refused: {err}"
    text = f"Film of {s.layer}: {plan.describe()}"
    return text + (f" — {plan.note}" if plan.note else "")


def connect_film(window: "MainWindow") -> FilmWiring:
    window.film_wiring = FilmWiring(window)
    return window.film_wiring
