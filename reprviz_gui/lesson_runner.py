"""A lesson step's *Do it*: its actions, one after another, through the intents a user's clicks
use (the sidebar's slots, the controller's methods the menus call), never a private shortcut.

Each action starts once the window has settled (no data or model job queued, no model being
built or trained) and may wait for its own end (the data opened, training finished). A
``QTimer`` polls those conditions in the GUI thread; nothing blocks. Lesson files are data:
an action is looked up by name in ``_START`` — a file never names a Python function.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from .core.lessons.format import Action
from .workers.lane import JobKind

if TYPE_CHECKING:
    from .main_window import MainWindow

Wait = Optional[Callable[[], bool]]
_IGNORED_JOBS = (JobKind.WARMUP, JobKind.RELEASE)
_SETTLE_LANES = ("data", "model", "quick")  # maps (projection) and measures are not awaited


class StepFailed(Exception):
    """An action cannot run in the window's state (no such layer, class, word)."""


def describe(action: Action) -> str:
    p = action.params
    return {
        "open_data": lambda: f"opening {p['source']}",
        "choose_preset": lambda: f"choosing the {p['preset']} preset",
        "set": lambda: f"setting {p['key']} to {p['value']}",
        "train": lambda: f"training{' ' + str(p['epochs']) + ' epochs' if 'epochs' in p else ''}"
                         f"{' from scratch' if p.get('scratch') else ''}",
        "choose_layer": lambda: f"showing layer {p['layer']}",
        "choose_method": lambda: f"choosing the {p['method']} map",
        "show_view": lambda: f"opening the {p['view']} view",
        "samples": lambda: f"showing {p['n']} samples",
        "select_cell": lambda: f"selecting {p['true']} → {p['predicted']}",
        "select_class": lambda: f"selecting the class {p['class']}",
        "select_word": lambda: f"selecting the word {p['word']}",
        "clear_selection": lambda: "clearing the selection",
        "compare_with": lambda: f"comparing with {p['preset']}",
    }[action.name]()


def settled(win: "MainWindow") -> bool:
    c = win.controller
    if c.dataset is None or c.samples is None or c.training_sessions():
        return False
    if any(s.building for s in c.workspace.sessions.values()):
        return False
    return not any(j.kind not in _IGNORED_JOBS for name in _SETTLE_LANES
                   for j in c.lanes[name].pending_jobs())


class LessonRunner(QObject):
    """Runs one step's actions; ``finished`` with "" when done, else the reason it stopped."""

    finished = Signal(str)
    progress = Signal(str)

    def __init__(self, win: "MainWindow") -> None:
        super().__init__(win)
        self.win = win
        self._queue: list[Action] = []
        self._folder = Path(".")
        self._wait: Wait = None
        self._running = False
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._tick)
        win.controller.failed.connect(self._on_failed)

    @property
    def running(self) -> bool:
        return self._running

    def run(self, actions: tuple[Action, ...], folder: Path) -> None:
        self._queue, self._folder, self._wait = list(actions), folder, None
        self._running = True
        self._timer.start()
        self._tick()

    def stop(self, why: str = "Stopped.") -> None:
        if self._running:
            self._end(why)

    def _end(self, why: str) -> None:
        self._timer.stop()
        self._running, self._queue, self._wait = False, [], None
        self.finished.emit(why)

    @Slot(str, object)
    def _on_failed(self, what: str, failure: Any) -> None:
        if self._running:
            self._end(f"Stopped while {what}: {getattr(failure, 'message', failure)}")

    @Slot()
    def _tick(self) -> None:
        if not self._running:
            return
        if self._wait is not None:
            if not self._wait():
                return
            self._wait = None
        if not settled(self.win):
            return
        if not self._queue:
            self._end("")
            return
        action = self._queue.pop(0)
        self.progress.emit(describe(action).capitalize() + "…")
        try:
            self._wait = _START[action.name](self.win, action.params, self._folder)
        except StepFailed as err:
            self._end(str(err))


# --- the actions ---------------------------------------------------------------------------------
def _open_data(win: "MainWindow", p: dict, folder: Path) -> Wait:
    c = win.controller
    src = str(folder / p["source"]) if (folder / p["source"]).exists() else p["source"]
    if c.settings.source == src and c.dataset is not None:
        return None
    before = c.workspace.dataset_id
    win.sidebar.set_current_source(src)
    win.on_source_chosen(src)  # the sidebar's source list
    return lambda: c.workspace.dataset_id != before and c.samples is not None


def _choose_preset(win: "MainWindow", p: dict, folder: Path) -> Wait:
    c = win.controller
    s, params = c.session("A"), dict(p.get("params", {}))
    if s.preset == p["preset"] and s.has_model and all(s.params.get(k) == v
                                                       for k, v in params.items()):
        return None
    c.set_active("A")
    win.sidebar.set_model_choice(p["preset"], params)
    win.on_model_chosen(p["preset"], params)  # the sidebar's preset choice
    return lambda: c.session("A").preset == p["preset"] and not c.session("A").building


def _set(win: "MainWindow", p: dict, folder: Path) -> Wait:
    from .core.model.preset_table import FIELDS

    value = FIELDS[p["key"]].check(p["value"])
    win.on_training_settings({p["key"]: value})  # the sidebar's training rows follow
    return None


def _train(win: "MainWindow", p: dict, folder: Path) -> Wait:
    c = win.controller
    if "epochs" in p:
        _set(win, {"key": "epochs", "value": p["epochs"]}, folder)
    sids = [sid for sid, s in c.workspace.sessions.items() if s.has_model and not s.file]
    if not sids:
        raise StepFailed("There is no model to train: choose a preset first.")
    before = {sid: c.workspace.sessions[sid].version for sid in sids}
    for sid in sids:  # each model's Continue training / From scratch (its sidebar tab)
        if p.get("scratch"):
            c.train_from_scratch(sid)
        else:
            c.train(sid)

    def trained() -> bool:
        ss = [c.workspace.sessions[sid] for sid in sids if sid in c.workspace.sessions]
        return not c.training_sessions() and all(
            s.version != before[s.id] and not s.building and not s.train_when_ready for s in ss)
    return trained


def _choose_layer(win: "MainWindow", p: dict, folder: Path) -> Wait:
    c = win.controller
    names = [lay.name for lay in c.layers_of("A")]
    if p["layer"] not in names:
        raise StepFailed(f"The model has no layer '{p['layer']}'; its layers are "
                         f"{', '.join(names) or 'none yet'}.")
    c.set_active("A")
    win.on_layer_chosen(p["layer"])  # a click in the sidebar's layer list
    for sid in c.workspace.sessions:  # a compared model shows its layer of that name too
        if sid != "A" and p["layer"] in [lay.name for lay in c.layers_of(sid)]:
            c.select_layer(p["layer"], sid)
    return lambda: c.session("A").layer == p["layer"]


def _choose_method(win: "MainWindow", p: dict, folder: Path) -> Wait:
    c = win.controller
    if "components" in p:
        c.set_pca_components(int(p["components"]))
    c.set_method(p["method"])  # the sidebar's method list
    st = c.settings
    win.sidebar.set_view_settings(st.n_samples, st.split, st.method, st.pca_components)
    return None


def _show_view(win: "MainWindow", p: dict, folder: Path) -> Wait:
    dock = win.docks[p["view"]]  # View → (its section) → the view
    dock.show()
    QTimer.singleShot(0, dock.raise_)
    return None


def _samples(win: "MainWindow", p: dict, folder: Path) -> Wait:
    c = win.controller
    c.set_samples(int(p["n"]), p.get("split", c.settings.split))
    st = c.settings
    win.sidebar.set_view_settings(st.n_samples, st.split, st.method, st.pca_components)
    return None


def _class(names: list[str], value: Any) -> int:
    from .workspace.lesson_facts import NotYet, class_index

    try:
        return class_index(names, value)
    except NotYet as err:
        raise StepFailed(str(err)) from None


def _select_cell(win: "MainWindow", p: dict, folder: Path) -> Wait:
    c = win.controller
    ev = c.result("evaluation", "A")
    if ev is None or not c.workspace.is_current(ev.tag):
        raise StepFailed("The model has no confusion matrix yet: train it and open the "
                         "Confusion matrix view.")
    names = list(ev.class_names)
    win.on_cell_picked("A", _class(names, p["true"]), _class(names, p["predicted"]), False)
    return None


def _select_class(win: "MainWindow", p: dict, folder: Path) -> Wait:
    """The shown samples of one true class: what a click on the map legend selects."""
    from .workspace.state import Selection

    ss = win.controller.samples
    k = _class(list(ss.class_names), p["class"])
    win._select_from("map", Selection.of(ss.split, ss.indices[ss.labels == k],
                                         f"true class {ss.class_names[k]}"), False)
    return None


def _select_word(win: "MainWindow", p: dict, folder: Path) -> Wait:
    from .workspace.state import Selection

    c = win.controller
    words = list(c.dataset.words or []) if c.dataset is not None else []
    if p["word"] not in words:
        raise StepFailed(f"'{p['word']}' is not a word of this table.")
    win._select_from("words", Selection.of("test", [words.index(p["word"])],
                                           f"word {p['word']}"), False)
    return None


def _clear_selection(win: "MainWindow", p: dict, folder: Path) -> Wait:
    win.controller.clear_selection()  # the selection bar's Clear
    return None


def _compare_with(win: "MainWindow", p: dict, folder: Path) -> Wait:
    c = win.controller
    b = c.workspace.sessions.get("B")
    if b is not None and b.preset == p["preset"]:
        return None
    c.add_comparison(p["preset"])  # Run → Compare with → the preset
    return lambda: "B" in c.workspace.sessions and not c.workspace.sessions["B"].building


_START: dict[str, Callable[["MainWindow", dict, Path], Wait]] = {
    "open_data": _open_data, "choose_preset": _choose_preset, "set": _set, "train": _train,
    "choose_layer": _choose_layer, "choose_method": _choose_method, "show_view": _show_view,
    "samples": _samples, "select_cell": _select_cell, "select_class": _select_class,
    "select_word": _select_word,
    "clear_selection": _clear_selection, "compare_with": _compare_with,
}
