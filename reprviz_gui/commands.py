"""The window's command table: every menu entry and shortcut as one row.

A command is an id, a menu path, a text, a shortcut, a handler that takes the window and an
optional ``enabled_when`` test; ``build_menus`` turns the table into menus and ``QAction``s, and
``refresh_commands`` re-evaluates every ``enabled_when`` (the window calls it when training
starts or stops, when a model is compared ...). A new command is one row:

    register_command(Command("export", "&File", "&Export…", export_dialog, "Ctrl+Shift+E",
                             after="screenshot"))

The View menu's view entries come from the view registry (``views/registry.py``), one submenu
per ``ViewSpec.menu`` section; the table holds only its other rows (Reset layout).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from . import window_actions as wa
from .core.model.preset_table import PRESET_LABELS, PRESETS  # the sidebar's names
from .views.registry import VIEWS
from .widgets.pending_edits import commit_pending_edits

if TYPE_CHECKING:
    from .main_window import MainWindow

Handler = Callable[["MainWindow"], Any]
Shortcut = Union[str, QKeySequence.StandardKey, None]

MENUS = ("&File", "&Run", "&Selection", "&View", "&Help")  # the menu bar, in order
COMPARE_PRESETS = tuple(PRESETS)  # the preset table's; the menu shows those that fit the data


@dataclass(frozen=True)
class Command:
    id: str  # stable: ``window.commands[id]`` (and ``window.action_<id>``)
    menu: str  # "&File", or a submenu path "&Run/Compare &with"
    text: str
    handler: Optional[Handler] = None
    shortcut: Shortcut = None
    enabled_when: Optional[Callable[["MainWindow"], bool]] = None
    separator: bool = False  # a separator above this entry
    tip: str = ""
    # a submenu filled each time it opens (e.g. recent files): handler is not used
    fill: Optional[Callable[["MainWindow", QMenu], None]] = None
    # shown only while this holds (re-evaluated with enabled_when): e.g. the presets that can
    # take the data open now
    visible_when: Optional[Callable[["MainWindow"], bool]] = None
    checkable: bool = False  # an on/off entry; the handler reads the action's isChecked()


def _not_training(win: "MainWindow") -> bool:
    return not win.controller.training_sessions()


def _comparing(win: "MainWindow") -> bool:
    return "B" in win.controller.workspace.sessions


def _select_moved_most(win: "MainWindow") -> None:
    """What the Agreement view's button does; the view is brought to the front (it computes
    the neighbourhood change when shown) and selects once it has it."""
    dock = win.docks["agreement"]
    dock.show()
    dock.raise_()
    win.view("agreement").select_moved_most(when_shown=True)


def _export_dialog(win: "MainWindow") -> Any:
    from .window_export import export_dialog  # the dialog's module loads on first use

    return export_dialog(win)


def _session() -> Any:
    from . import window_session  # loads on first use

    return window_session


def _sweep_dialog(win: "MainWindow") -> Any:
    from .widgets.sweep_dialog import open_sweep_dialog

    return open_sweep_dialog(win)


def _fill_lessons(win: "MainWindow", menu: QMenu) -> None:
    from .window_lessons import fill_lessons_menu  # the lessons' modules load on first use

    fill_lessons_menu(win, menu)


def _compare_with(preset: str) -> Handler:
    # B trains at once, with the training settings A uses now (and the status bar says so)
    return lambda win: win.controller.add_comparison(preset, train=True)


def _suits_data(preset: str) -> Callable[["MainWindow"], bool]:
    def suits(win: "MainWindow") -> bool:
        from .core.model.presets import preset_suits

        ds = win.controller.dataset
        return ds is None or preset_suits(preset, ds)

    return suits


def _trained(win: "MainWindow") -> bool:
    s = win.controller.session()
    return bool(s.trained_epochs or s.partial_epoch or s.file)


COMMANDS: list[Command] = [
    Command("open_file", "&File", "&Open file…", wa.open_file, QKeySequence.StandardKey.Open,
            _not_training),
    Command("open_folder", "&File", "Open &folder…", wa.open_folder, "Ctrl+Shift+O",
            _not_training),
    Command("recent", "&File", "Open &recent", fill=wa.fill_recent_menu),
    Command("save_session", "&File", "Save sess&ion", lambda win: _session().save_session(win),
            QKeySequence.StandardKey.Save, _not_training, separator=True,
            tip="one file with the data reference, the models, the results, the selection, "
                "the views' options and the layout"),
    Command("save_session_as", "&File", "Save session &as…",
            lambda win: _session().save_session(win, ask=True), "Ctrl+Alt+S", _not_training),
    Command("open_session", "&File", "Open sessio&n…",
            lambda win: _session().open_session_dialog(win), "Ctrl+Alt+O", _not_training),
    Command("recent_sessions", "&File", "Recent sess&ions",
            fill=lambda win, menu: _session().fill_recent_sessions(win, menu)),
    Command("load_model", "&File", "&Load model…", wa.load_model, "Ctrl+L", _not_training,
            separator=True),
    Command("save_model", "&File", "&Save model…", wa.save_model, "Ctrl+Shift+M"),
    Command("screenshot", "&File", "Save &window image…", wa.save_screenshot, "Ctrl+Shift+S"),
    Command("export", "&File", "&Export…", lambda win: _export_dialog(win), "Ctrl+Shift+E",
            tip="The projector bundle, tables, figures of the views and an HTML report"),
    Command("clear_cache", "&File", "Clear &cache", wa.clear_cache,
            tip="Delete the layers of large sample sets kept in the user's cache"),
    Command("quit", "&File", "&Quit", lambda win: win.close(), QKeySequence.StandardKey.Quit,
            separator=True),
    Command("train", "&Run", "&Train / continue training", lambda win: win.controller_train(),
            "Ctrl+T", _not_training, tip="trains the model as it is: a trained model continues "
            "(its curves and epoch count go on)"),
    Command("train_scratch", "&Run", "Train from &scratch",
            lambda win: win.controller_train(scratch=True), "Ctrl+Shift+T", _not_training,
            tip="fresh weights (the preset rebuilt with the seed), then train"),
    Command("cancel", "&Run", "&Cancel", lambda win: win.controller.cancel(), "Ctrl+."),
    Command("sweep", "&Run", "S&weep…", lambda win: _sweep_dialog(win), enabled_when=_not_training,
            tip="one training run per combination of settings, each a row of the run history"),
    *[Command(f"compare_{p}", "&Run/Compare &with", PRESET_LABELS.get(p, p), _compare_with(p),
              separator=(i == 0), visible_when=_suits_data(p),
              tip="trains it on the same data with A's training settings")
      for i, p in enumerate(COMPARE_PRESETS)],
    Command("compare_file", "&Run/Compare &with", "Model file…", wa.compare_with_file,
            separator=True),
    Command("stop_comparing", "&Run", "Stop comparing",
            lambda win: win.controller.remove_comparison(), enabled_when=_comparing),
    Command("escape", "&Selection", "Clear selection (or cancel)", wa.on_escape, "Esc"),
    Command("moved_most", "&Selection", "Samples that &moved most", _select_moved_most,
            enabled_when=_comparing,
            tip="the samples whose nearest neighbours differ most between A's layer and B's, "
            "most moved first (the Agreement view's button)"),
    Command("reset_layout", "&View", "&Reset layout", lambda win: win.reset_layout(),
            separator=True),
    Command("compare_tabs", "&View", "Compare in &tabs",
            lambda win: win.set_compare_tabs(win.commands["compare_tabs"].isChecked()),
            checkable=True, tip="two models: every view one tab per model (else the heatmap "
            "and the confusion matrix in tabs, the other views side by side)"),
    Command("getting_started", "&Help", "&Getting started", wa.show_getting_started, "F1"),
    Command("lessons", "&Help", "&Lessons", fill=_fill_lessons),
    Command("shortcuts", "&Help", "&Keyboard shortcuts", wa.show_shortcuts),
    Command("docs", "&Help", "&Documentation files", wa.show_docs),
    Command("about", "&Help", "&About reprviz", wa.about, separator=True),
]


def register_command(command: Command, after: str = "") -> Command:
    """Add a command (or replace the one with its id); ``after``: the id it follows in its
    menu (default: last). Call before the window is built."""
    old = next((i for i, c in enumerate(COMMANDS) if c.id == command.id), None)
    if old is not None:
        COMMANDS[old] = command
        return command
    at = next((i + 1 for i, c in enumerate(COMMANDS) if c.id == after), len(COMMANDS))
    COMMANDS.insert(at, command)
    return command


def command(command_id: str) -> Command:
    return next(c for c in COMMANDS if c.id == command_id)


def build_menus(win: "MainWindow") -> dict[str, QAction]:
    """The menu bar from ``COMMANDS`` (and the View menu's views from the registry)."""
    bar = win.menuBar()
    menus: dict[str, QMenu] = {}
    for name in MENUS:
        menus[name] = bar.addMenu(name)
    _add_view_entries(win, menus["&View"])
    actions: dict[str, QAction] = {}
    for cmd in COMMANDS:
        menu = _menu_at(bar, menus, cmd.menu)
        if cmd.separator and menu.actions():
            menu.addSeparator()
        if cmd.fill is not None:
            sub = menu.addMenu(cmd.text)
            sub.setObjectName(f"menu_{cmd.id}")
            sub.aboutToShow.connect(lambda m=sub, f=cmd.fill: (m.clear(), f(win, m)))
            actions[cmd.id] = sub.menuAction()
        else:
            actions[cmd.id] = _action(win, menu, cmd)
        setattr(win, f"action_{cmd.id}", actions[cmd.id])
    return actions


def refresh_commands(win: "MainWindow") -> None:
    """Enable each command whose ``enabled_when`` holds now."""
    for cmd in COMMANDS:
        if cmd.enabled_when is not None and cmd.id in win.commands:
            win.commands[cmd.id].setEnabled(bool(cmd.enabled_when(win)))
        if cmd.visible_when is not None and cmd.id in win.commands:
            win.commands[cmd.id].setVisible(bool(cmd.visible_when(win)))


def shortcut_rows() -> list[tuple[str, str]]:
    """(what, keys) for every command with a shortcut (Help → Keyboard shortcuts)."""
    rows = []
    for cmd in COMMANDS:
        if cmd.shortcut is not None:
            keys = QKeySequence(cmd.shortcut).toString(QKeySequence.SequenceFormat.NativeText)
            where = cmd.menu.replace("&", "").replace("/", " → ")
            rows.append((f"{where} → {cmd.text.replace('&', '')}", keys))
    return rows


def run_command(win: "MainWindow", handler: Handler) -> Any:
    """Every command's dispatch: first commit what was typed but not confirmed (a shortcut or
    menu item fires without Enter or focus loss: Ctrl-T after typing 50 epochs trained the old
    5), then run the handler, which reads what is on screen."""
    commit_pending_edits(win)
    return handler(win)


def _menu_at(bar: Any, menus: dict[str, QMenu], path: str) -> QMenu:
    if path in menus:
        return menus[path]
    parent_path, _, name = path.rpartition("/")
    parent = _menu_at(bar, menus, parent_path) if parent_path else bar
    menus[path] = parent.addMenu(name)
    return menus[path]


def _action(win: "MainWindow", menu: QMenu, cmd: Command) -> QAction:
    action = QAction(cmd.text, win)
    action.setObjectName(f"action_{cmd.id}")
    if cmd.shortcut is not None:
        action.setShortcut(QKeySequence(cmd.shortcut))
    if cmd.tip:
        action.setStatusTip(cmd.tip)
    action.setCheckable(cmd.checkable)
    handler = cmd.handler
    if handler is not None:
        action.triggered.connect(lambda _=False, h=handler: run_command(win, h))
    menu.addAction(action)
    return action


def _add_view_entries(win: "MainWindow", view: QMenu) -> None:
    """One entry per registered view, one submenu per section (made once, in registry order).
    Checking an entry opens the view *and brings it to the front* (a view tabbed behind another
    would otherwise open unseen)."""
    view.addAction(win.sidebar_dock.toggleViewAction())
    sections: dict[str, QMenu] = {}
    for spec in VIEWS:
        if spec.menu and spec.menu not in sections:
            sections[spec.menu] = view.addMenu(spec.menu)
        menu = sections[spec.menu] if spec.menu else view
        dock = win.docks[spec.id]
        action = dock.toggleViewAction()
        action.setStatusTip(spec.description)
        # raised on the next turn of the event loop: the tab bar of a dock shown into a tab
        # group is made then, and raising it before that is lost
        action.triggered.connect(
            lambda checked, d=dock: QTimer.singleShot(0, d.raise_) if checked else None)
        menu.addAction(action)
