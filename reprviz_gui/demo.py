"""The scripted demo: ``main.py --demo [--data ...] [--model ...] [--compare ...] [--view ID]
--screenshot FILE`` opens data, trains, picks the layer, waits until every visible view shows
the final result, brings the chosen views forward and saves an image of the window.

Docs screenshots are made this way, so they can be made again after any change.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QApplication

from .workspace.controller import Controller, Settings

_FILE_SUFFIXES = (".keras", ".h5", ".hdf5")


def demo_controller(args: Any) -> Controller:
    s = Settings(epochs=args.epochs, method=args.method)
    if args.data:
        s.source = args.data
    if args.model and Path(args.model).suffix.lower() not in _FILE_SUFFIXES:
        s.preset, s.model_params = args.model, {}
    if args.samples:
        s.n_samples = int(args.samples)
    if "film" in (getattr(args, "view", None) or []):
        s.record_film = True  # --view film: the run is filmed
    return Controller(s)


class DemoDriver(QObject):
    def __init__(self, window: Any, args: Any) -> None:
        super().__init__(window)
        self.window = window
        self.c: Controller = window.controller
        self.args = args
        self.exit_code = 1
        self.started = time.monotonic()
        self.phase = "load"
        self.trained: set[str] = set()
        self.loaded_file = False
        self.got: dict[tuple[str, str], bool] = {}
        self._saving = False
        self._timeout = QTimer(self)
        self._timeout.setSingleShot(True)
        self._timeout.timeout.connect(self.give_up)
        self._timeout.start(int(args.timeout * 1000))
        w, _, h = str(args.size).partition("x")
        try:
            window.resize(int(w), int(h))
            window.reset_layout()
        except ValueError:
            pass

    @Slot()
    def begin(self) -> None:
        c = self.c
        c.session_changed.connect(self.on_session)
        c.training_changed.connect(self.on_training)
        c.product_ready.connect(self.on_product)
        c.failed.connect(self.on_failed)
        c.dataset_changed.connect(self.on_dataset)
        for view_id in getattr(self.args, "hide", []):
            self.window.docks[view_id].hide()  # room for the views the image is about
        for view_id in self.args.view:
            self.window.docks[view_id].show()
            self.window.docks[view_id].raise_()
        self.log("window shown; opening the data")

    # --- steps ----------------------------------------------------------------------------------
    @Slot(object)
    def on_dataset(self, dataset: Any) -> None:
        model = self.args.model
        if model and Path(model).suffix.lower() in _FILE_SUFFIXES and not self.loaded_file:
            self.loaded_file = True
            # after the controller has made its models for the new data (right after it
            # announces the data): loaded now, the preset's build would replace the file
            QTimer.singleShot(0, lambda: self.c.load_model(model))
        if getattr(self.args, "preprocess", None):
            self.c.set_preprocess(self.args.preprocess)
        if self.args.compare and "B" not in self.c.workspace.sessions:
            self.c.add_comparison(self.args.compare)
        self._keep_asked_method()
        self.phase = "train"

    @Slot(str)
    def on_session(self, session_id: str) -> None:
        s = self.c.workspace.sessions.get(session_id)
        if s is None or self.phase != "train" or s.building:
            return
        if s.has_model and not s.file and session_id not in self.trained and not s.training \
                and self.args.epochs > 0:
            self.trained.add(session_id)
            self.log(f"model {s.label} ready; training {self.args.epochs} epochs")
            self.c.train(session_id)
        self._maybe_pick_layer()

    @Slot(str, bool)
    def on_training(self, session_id: str, running: bool) -> None:
        if not running:
            self.log(f"training of {session_id} finished")
            # after the controller has applied the run (new model version, stale results
            # dropped): picked now, the untrained model's map would pass for the final one
            QTimer.singleShot(0, self._maybe_pick_layer)

    def _ready_sessions(self) -> bool:
        ws = self.c.workspace
        want = 2 if self.args.compare else 1
        if len(ws.sessions) < want:
            return False
        for s in ws.sessions.values():
            if s.building or s.training:
                return False
            if s.has_model and not s.file and self.args.epochs > 0 and s.id not in self.trained:
                return False
        return True

    def _maybe_pick_layer(self) -> None:
        if self.phase != "train" or not self._ready_sessions():
            return
        self.phase = "views"
        if self.args.layer:
            for s in self.c.workspace.sessions.values():
                if any(l.name == self.args.layer for l in self.c.layers_of(s.id)):
                    self.c.select_layer(self.args.layer, s.id)
                    if getattr(self.args, "reduction", None):
                        self.c.set_reduction(self.args.reduction, self.args.layer, s.id)
        self.got = {(kind, sid): False for sid in self.c.workspace.sessions
                    for kind in ("layer", "map")}
        for sid, s in self.c.workspace.sessions.items():
            if s.has_model:
                self.got[("evaluation", sid)] = False
        # only what a shown view draws (--hide heatmap leaves no view of the "layer" product)
        self.got = {slot: v for slot, v in self.got.items() if slot in self.c.scheduler.wanted}
        self.c.scheduler.refresh()
        self._check_cached()

    def _check_cached(self) -> None:
        for (kind, sid) in list(self.got):
            r = self.c.result(kind, sid)
            if r is not None and self._final(kind, r):
                self.got[(kind, sid)] = True
        self._maybe_done()

    def _final(self, kind: str, result: Any) -> bool:
        if kind == "map":  # the method the workspace asks for (see _keep_asked_method)
            return not result.preview and result.method == self.c.workspace.method
        return True

    def _keep_asked_method(self) -> None:
        """Word tables open on MDS (the practical's map); --method names what the image shows,
        so it is put back, and said. Waiting for args.method while the workspace computed MDS
        hung the demo until its timeout."""
        asked, ws = str(self.args.method), self.c.workspace
        if ws.method != asked:
            self.log(f"the data opened with the {ws.method} map; showing --method {asked} as "
                     f"asked")
            self.c.set_method(asked)
            st = self.c.settings
            self.window.sidebar.set_view_settings(st.n_samples, st.split, st.method,
                                                  st.pca_components)

    @Slot(str, str, object)
    def on_product(self, kind: str, session_id: str, result: Any) -> None:
        if self.phase != "views" or (kind, session_id) not in self.got:
            return
        if self._final(kind, result) and self.c.workspace.is_current(result.tag):
            self.got[(kind, session_id)] = True
            self._maybe_done()

    def _maybe_done(self) -> None:
        if self.phase == "views" and all(self.got.values()):
            self.phase = "named"
            # select first: views that follow the selection (a word's neighbours) then compute
            if self.args.select_cell:
                self._select_cell(self.args.select_cell)
            if getattr(self.args, "select_word", None):
                self._select_word(self.args.select_word)
            for view_id in self.args.view:  # a view fed by the user (Your input): an example
                for view in self.window.hosts[view_id].views.values():
                    if hasattr(view, "demo_input"):
                        view.demo_input()
            if getattr(self.args, "colour_by", None):  # a measure colouring asks its product
                for view in self.window.hosts["map"].views.values():
                    view.set_colour_by(self.args.colour_by)
            QTimer.singleShot(250, self._wait_named_views)  # after the handler that called

    @Slot()
    def _wait_named_views(self) -> None:
        """The views named by --view may draw products of their own: wait until each of those
        shows what the workspace asks for now (or does not apply)."""
        from .views.registry import view_spec
        from .workspace.products import REGISTRY

        sched, ws = self.c.scheduler, self.c.workspace
        for view_id in self.args.view:
            spec = view_spec(view_id)
            host = self.window.hosts.get(view_id)
            kinds = () if spec is None else spec.products + tuple(
                k for k in spec.on_demand if host is not None and host.wants(k))
            for kind in kinds:
                # a product made from the data alone (a word table's pairs) has one slot, ""
                # even in a per-session view (the map): waiting on ("words", "A") never ended
                product = REGISTRY.get(kind)
                # slots follow the product (as the window's wanted set): a per-session product
                # in a view of both models (depth, CKA) has one slot per session
                per_session = product is None or product.per_session
                for sid in (ws.sessions if per_session else [""]):
                    key = sched.key_for(kind, ws.session(sid) if sid else None)
                    if key is not None and sched.shown.get((kind, sid)) != key:
                        QTimer.singleShot(250, self._wait_named_views)
                        return
        self._all_drawn()

    def _all_drawn(self) -> None:
        if self.phase == "named":
            self.phase = "select"
            self.log("every view drawn; saving the screenshot")
            for view_id in self.args.view:
                self.window.docks[view_id].raise_()
            if getattr(self.args, "lesson", None):
                self._open_lesson(self.args.lesson)
            QTimer.singleShot(900, self.save)  # let the last paint events land

    def _open_lesson(self, spec: str) -> None:
        """--lesson NAME:STEP: the Lesson panel at that step, its question checked."""
        from .core.lessons import builtin_lessons
        from .window_lessons import open_lesson

        name, _, step = spec.rpartition(":") if ":" in spec else (spec, "", "1")
        path = dict(builtin_lessons()).get(name, name)
        panel = open_lesson(self.window, path)
        if panel is not None:
            panel.show_step(int(step or 1) - 1)
            panel.check_answer()
            self.log(f"lesson {name}, step {panel.index + 1}: {panel.feedback.text()}")

    def _select_word(self, word: str) -> None:
        from .workspace.state import Selection

        words = list(self.c.dataset.words or [])
        if word not in words:
            self.log(f"--select-word {word!r}: not a word of this table")
            return
        self.c.select(Selection.of("test", [words.index(word)], f"word {word}"))
        self.log(f"selected the word {word}")

    def _select_cell(self, spec: str) -> None:
        names = list(self.c.dataset.class_names)
        parts = spec.split(":")
        try:
            t, p = (int(x) if x.strip().isdigit() else names.index(x.strip()) for x in parts)
        except ValueError:
            self.log(f"--select-cell {spec!r}: use TRUE:PREDICTED class names or indices")
            return
        self.c.select_confusion_cell("A", t, p)
        self.log(f"selected {self.c.workspace.selection.n} samples: {names[t]} → {names[p]}")

    @Slot()
    def save(self) -> None:
        from .main_window import save_window_image

        self.window.activity_bar.set_idle("Demo: every view drawn")
        QApplication.processEvents()
        save_window_image(self.window, self.args.screenshot)
        self.log(f"saved {self.args.screenshot}")
        self.exit_code = 0
        self.window.close()
        QApplication.instance().exit(0)

    @Slot(str, object)
    def on_failed(self, what: str, failure: Any) -> None:
        self.log(f"failed while {what}: {failure.message}")
        self.exit_code = 1
        QApplication.instance().exit(1)

    @Slot()
    def give_up(self) -> None:
        missing = [f"{k} {s}" for (k, s), v in self.got.items() if not v] or [self.phase]
        self.log(f"timed out waiting for: {', '.join(missing)}")
        self.exit_code = 1
        QApplication.instance().exit(1)

    def log(self, text: str) -> None:
        print(f"[demo {time.monotonic() - self.started:6.1f} s] {text}", file=sys.stderr,
              flush=True)
