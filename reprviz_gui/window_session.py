"""File → Save session / Open session… / Recent sessions, a session file dropped on the window
and ``python main.py SESSION``: the window's side of sessions (workspace/session_io.py holds the
rest).

Saving collects what only the window knows (each view's options, the dock layout) and hands the
rest to the controller, which writes the file on the model lane. Opening reads and checks the
whole file first; any problem is one dialog and nothing in the window changes. A model holding a
Lambda layer asks "trust this file?" exactly as a model file does.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import QFileDialog, QMessageBox

from .core.errors import ReprvizError, UnsafeModelError
from .core.io.session_file import SUFFIX
from .workers.lane import JobFailure

if TYPE_CHECKING:
    from .main_window import MainWindow

FILTER = f"reprviz sessions (*{SUFFIX});;All files (*)"
LAYOUT_VERSION = 2  # window_layout.SETTINGS_VERSION


def is_session_file(path: str | Path) -> bool:
    return Path(path).suffix.lower() == SUFFIX


# --- saving ------------------------------------------------------------------------------------
def view_options(win: "MainWindow") -> dict[str, dict[str, Any]]:
    """Every view's own options, keyed "view id/session id"."""
    out = {}
    for view_id, host in win.hosts.items():
        for sid, view in host.views.items():
            state = view.options_state()
            if state:
                out[f"{view_id}/{sid}"] = state
    return out


def layout_state(win: "MainWindow") -> dict[str, str]:
    def b64(data: QByteArray) -> str:
        return base64.b64encode(bytes(data.data())).decode("ascii")

    return {"window_state": b64(win.saveState(LAYOUT_VERSION)),
            "views_state": b64(win.views_area.saveState(LAYOUT_VERSION))}


def save_session(win: "MainWindow", path: Optional[str | Path] = None,
                 ask: bool = False) -> bool:
    """Save to ``path``, else to the session file last saved or opened, else (or with
    ``ask``: Save session as…) where a dialog says."""
    if path is None and not ask and win.session_path:
        path = win.session_path
    if path is None:
        start = win.session_path or str(Path.home() / f"session{SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(win, "Save session", start, FILTER)
        if not path:
            return False
        if not Path(path).suffix:
            path += SUFFIX
    try:
        win.controller.save_session(path, view_options(win), layout_state(win))
    except ReprvizError as err:
        _error(win, "saving the session", str(err))
        return False
    win.session_path = str(path)
    return True


def on_session_saved(win: "MainWindow", path: str) -> None:
    from .window_actions import remember_recent

    remember_recent(win, "session", path)


# --- opening -----------------------------------------------------------------------------------
def open_session_dialog(win: "MainWindow") -> None:
    path, _ = QFileDialog.getOpenFileName(win, "Open session", str(Path.home()), FILTER)
    if path:
        open_session(win, path)


def open_session(win: "MainWindow", path: str | Path, trust: bool = False) -> bool:
    """Read and check the whole file, then restore it; False (and one dialog) if it cannot
    be opened, the window unchanged."""
    from .workspace.session_io import read_plan

    try:
        plan = read_plan(path, trust=trust)
    except UnsafeModelError as err:
        from .window_actions import _ask_trust

        _ask_trust(win, "session", str(err).replace("--trust-model", "trust it"),
                   lambda: open_session(win, path, trust=True))
        return False
    except ReprvizError as err:
        _error(win, "opening the session", str(err))
        return False
    from .window_actions import remember_recent

    remember_recent(win, "session", str(path))
    win.session_path = str(path)
    win.controller.restore_session(plan, lambda p: apply_window_state(win, p))
    return True


def apply_window_state(win: "MainWindow", plan: Any) -> None:
    """Once the workspace holds the session: the sidebar, each view's options, the layout
    (the training rows follow the restored settings by themselves: they are bound)."""
    c, s = win.controller, win.controller.settings
    win.sidebar.set_model_choice(c.session("A").preset, c.session("A").params)
    win.sidebar.set_view_settings(s.n_samples, s.split, s.method, s.pca_components)
    for key, options in plan.views.items():
        view_id, _, sid = key.partition("/")
        host = win.hosts.get(view_id)
        view = host.views.get(sid) if host is not None else None
        if view is not None and isinstance(options, dict):
            view.restore_options(options)
    for name, target in (("window_state", win), ("views_state", win.views_area)):
        raw = plan.layout.get(name)
        if raw:
            try:
                target.restoreState(QByteArray(base64.b64decode(raw)), LAYOUT_VERSION)
            except (ValueError, TypeError):
                pass  # a damaged layout: the current one stays
    win._update_wanted()
    win.show_message(f"Opened {Path(plan.path).name}.")


def _error(win: "MainWindow", what: str, message: str) -> None:
    from .window_actions import show_failure

    show_failure(win, what, JobFailure(message, "", "session", True, kept=True))


def fill_recent_sessions(win: "MainWindow", menu: Any) -> None:
    from .window_actions import recent_files

    items = [p for k, p in recent_files(win) if k == "session" and Path(p).exists()]
    for path in items:
        action = menu.addAction(f"{Path(path).name}  ({path})")
        action.triggered.connect(lambda _=False, p=path: open_session(win, p))
    if not items:
        menu.addAction("(no recent sessions)").setEnabled(False)


__all__ = ["save_session", "open_session", "is_session_file", "QMessageBox"]
