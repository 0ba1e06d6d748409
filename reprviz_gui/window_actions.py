"""What the window's commands do: file and trust dialogs, help texts, recent files.

Plain functions of the window (the command table in ``commands.py`` names them), so the window
class holds no menu code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from . import __version__
from .core.data.types import Dataset, LoadOptions
from .workspace.controller import method_label

if TYPE_CHECKING:
    from .main_window import MainWindow


def on_escape(win: "MainWindow") -> None:
    """Esc clears the selection; with nothing selected it cancels running work."""
    if not win.controller.workspace.selection.empty:
        win.controller.clear_selection()
    else:
        win.controller.cancel()


def show_active_session(win: "MainWindow") -> None:
    c = win.controller
    s = c.session()
    sb = win.sidebar
    sb.set_layers(c.layers_of(s.id))
    sb.set_current_layer(s.layer, s.reductions.get(s.layer or "", ""))
    ds = c.dataset
    sb.set_preprocess(ds.preprocess if ds is not None else "unit",
                      ds is not None and ds.kind == "image")
    sb.set_model_choice(s.preset, s.params, file=s.file)
    ds = c.dataset
    if s.building:
        sb.set_model_info("Preparing the model…" + (" Training starts when it is ready."
                                                   if s.train_when_ready else ""))
        # a Train pressed now waits for the model and then trains (no lost click)
        sb.set_can_train(not s.train_when_ready and not s.training,
                         "The model is being prepared; training starts when it is ready")
        return
    if not s.has_model:
        sb.set_model_info("No model: the views show the data itself.")
        sb.set_can_train(False, "Choose a model preset to train")
        return
    # the model's own layers: a nested model's parameters are counted once, in it
    own = [l for l in s.layers if not getattr(l, "parent", "")]
    params = sum(l.params for l in own)
    ev = c.result("evaluation", s.id)
    acc = None if ev is None else ev.accuracy.get("test")
    if s.trained_epochs or s.partial_epoch:
        # the same count as the status bar, the curves and the run history
        state = f"trained {s.trained_epochs} epoch(s)" + (" and part of one"
                                                          if s.partial_epoch else "")
    elif s.file:
        state = "loaded from file"
    else:
        state = "untrained until you press Train"
    if acc is not None:
        state += f", test accuracy {acc:.1%}"
    elif s.file and not s.training:
        state += ", evaluating…"
    nested = len(s.layers) - len(own)
    sb.set_model_info(f"{s.label}: {len(own)} layers"
                      + (f" ({nested} more inside nested models)" if nested else "")
                      + f", {params:,} parameters ({state})")
    can = ds is not None and len(ds.y_train) > 0
    sb.set_can_train(can and not s.training, "" if can else "This dataset has no training "
                     "split", continues=bool(s.trained_epochs or s.partial_epoch or s.file),
                     scratch=not s.file)


# --- files -----------------------------------------------------------------------------------


def open_file(win: "MainWindow") -> None:
    path, _ = QFileDialog.getOpenFileName(
        win, "Open data file", str(Path.home()),
        "Data files (*.csv *.txt *.vec *.npz *.gz *-ubyte);;All files (*)")
    if path:
        remember_recent(win, "data", path)
        open_data_file(win, path)


def open_data_file(win: "MainWindow", path: str) -> None:
    from .widgets.import_dialog import CsvImportDialog, needs_import_dialog

    if not needs_import_dialog(path):
        win.controller.open_dataset(path)
        return
    # a CSV of samples: ask how to read it (image shape, pixel order, labels, ...), with a
    # live preview; non-modal, so background work keeps reporting meanwhile
    dialog = CsvImportDialog(path, LoadOptions(seed=win.controller.settings.seed), win,
                             settings=win.qsettings)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.accepted.connect(lambda: win.controller.open_dataset(path, dialog.options()))
    win.import_dialog = dialog
    dialog.open()


def open_folder(win: "MainWindow") -> None:
    path = QFileDialog.getExistingDirectory(
        win, "Open a folder of IDX files or of class sub-folders of images", str(Path.home()))
    if path:
        remember_recent(win, "data", path)
        win.controller.open_dataset(path)


def _model_file(win: "MainWindow", title: str) -> str:
    path, _ = QFileDialog.getOpenFileName(win, title, str(Path.home()),
                                          "Keras models (*.keras *.h5);;All files (*)")
    return path


def load_model(win: "MainWindow") -> None:
    path = _model_file(win, "Load a Keras model")
    if path:
        remember_recent(win, "model", path)
        win.controller.load_model(path)


def compare_with_file(win: "MainWindow") -> None:
    path = _model_file(win, "Compare with a Keras model")
    if path:
        win.controller.add_comparison(path)


def save_model(win: "MainWindow") -> None:
    path, _ = QFileDialog.getSaveFileName(win, "Save the model",
                                          str(Path.home() / "model.keras"),
                                          "Keras model (*.keras)")
    if path:
        win.controller.save_model(path)


def save_screenshot(win: "MainWindow") -> None:
    from .main_window import save_window_image

    path, _ = QFileDialog.getSaveFileName(win, "Save an image of the window",
                                          str(Path.home() / "reprviz.png"),
                                          "PNG image (*.png)")
    if path:
        save_window_image(win, path)


def clear_cache(win: "MainWindow") -> None:
    """File → Clear cache: delete the streamed activations (core/model/activation_cache);
    a layer shown now stays shown (its file is mapped), the next read makes it again."""
    from .core.memory import format_bytes
    from .core.model.activation_cache import cache_root, clear_cache as clear

    freed = clear()
    win.show_message(f"Cleared the cache: {format_bytes(freed)} of stored layers deleted "
                     f"({cache_root()})" if freed else "The cache holds no stored layers.")


# --- dialogs ---------------------------------------------------------------------------------


def show_failure(win: "MainWindow", what: str, failure: Any) -> None:
    box = QMessageBox(win)
    box.setObjectName("error_dialog")
    box.setIcon(QMessageBox.Icon.Warning if failure.user_error else QMessageBox.Icon.Critical)
    box.setWindowTitle("reprviz")
    box.setText(f"Could not finish {what}." if what else "Something went wrong.")
    box.setInformativeText(failure.message + ("\n\nEarlier results are kept." if failure.kept
                                              else ""))
    if failure.details:
        box.setDetailedText(failure.details)
    _show_dialog(win, box)


def _show_dialog(win: "MainWindow", box: QMessageBox) -> None:
    # Non-modal (open(), not exec()): work in the background keeps reporting meanwhile.
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    win.dialogs.append(box)
    box.finished.connect(lambda *_: win.dialogs.remove(box) if box in win.dialogs else None)
    box.open()


def ask_trust_model(win: "MainWindow", session_id: str, path: str, message: str) -> None:
    _ask_trust(win, "model", message,
                    lambda: win.controller.load_model(path, trust=True, session_id=session_id))


def ask_trust_data(win: "MainWindow", source: str, message: str) -> None:
    options = LoadOptions(allow_pickle=True, seed=win.controller.settings.seed)
    _ask_trust(win, "data", message, lambda: win.controller.open_dataset(source, options))


def _ask_trust(win: "MainWindow", what: str, message: str, on_trust: Any) -> None:
    """The explicit, labelled choice before a file may run code (pickle, Lambda layers)."""
    verb = "load" if what == "model" else "open"
    box = QMessageBox(QMessageBox.Icon.Warning, f"Trust this {what} file?",
                      f"{message}\n\n{verb.capitalize()} it only if you trust where it "
                      "came from.", QMessageBox.StandardButton.Cancel, win)
    trust = box.addButton(f"Trust this file and {verb} it", QMessageBox.ButtonRole.AcceptRole)
    box.setObjectName("trust_dialog")
    box.buttonClicked.connect(lambda button: on_trust() if button is trust else None)
    _show_dialog(win, box)


def ask_switch_dataset(win: "MainWindow", data: str, settings: dict) -> None:
    """A run made on other data: switch to that data and restore, or leave everything as is."""
    from .core.errors import printable

    now = win.controller.workspace.dataset
    box = QMessageBox(QMessageBox.Icon.Question, "Restore a run made on other data?",
                      f"This run was made on {printable(data)}; {now.name if now else 'nothing'}"
                      " is open now.\n\nSwitch to its data and restore its settings?",
                      QMessageBox.StandardButton.Cancel, win)
    switch = box.addButton("Switch and restore", QMessageBox.ButtonRole.AcceptRole)
    box.setObjectName("switch_dataset_dialog")

    def chosen(button: Any) -> None:
        if button is switch:
            win.restore_after_load = (data, settings)
            win.controller.open_dataset(data)

    box.buttonClicked.connect(chosen)
    _show_dialog(win, box)


def about(win: "MainWindow") -> None:
    QMessageBox.about(win, "About reprviz",
                      f"reprviz {__version__}\nA desktop lab for seeing what a neural network "
                      "has learned.")


# --- help ------------------------------------------------------------------------------------
GETTING_STARTED = """<h3>Getting started</h3>
<ol>
<li><b>Pick data</b> in the sidebar's Data box (a bundled set, or File → Open file… / Open
folder… for your own CSV, IDX, image folders, word tables).</li>
<li><b>Pick a model</b>: a preset (dense, LeNet, …) or File → Load model… for a Keras file.</li>
<li><b>Train</b> (Ctrl+T); the learning curves fill as it runs. Esc cancels.</li>
<li><b>Pick a layer</b>: the activations, the map and the cosine similarity show what it has
learned. Drag a box or lasso on the map, or click a confusion cell, to select samples: every
view shows the same selection.</li>
<li><b>More views</b> are in the View menu (Layer, Words, Course); Run → Compare with trains a
second model beside the first.</li>
</ol>"""


def _docs_dir() -> Path:
    return Path(__file__).resolve().parent.parent


def show_getting_started(win: "MainWindow") -> None:
    _info(win, "getting_started_dialog", "Getting started", GETTING_STARTED)


def show_shortcuts(win: "MainWindow") -> None:
    from .commands import shortcut_rows

    rows = "".join(f"<tr><td>{what}</td><td><b>{keys}</b></td></tr>"
                   for what, keys in shortcut_rows())
    _info(win, "shortcuts_dialog", "Keyboard shortcuts",
          f"<table cellspacing=6>{rows}</table>")


def show_docs(win: "MainWindow") -> None:
    root = _docs_dir()
    files = [(root / "README.md", "how to use reprviz, the views, troubleshooting"),
             (root / "docs" / "architecture.md", "how it is built; adding a view or a command")]
    lines = "".join(f"<li><code>{p}</code>: {what}{'' if p.exists() else ' (not installed)'}"
                    "</li>" for p, what in files)
    _info(win, "docs_dialog", "Documentation", f"<ul>{lines}</ul>")


def _info(win: "MainWindow", name: str, title: str, html: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Information, title, html, QMessageBox.StandardButton.Ok,
                      win)
    box.setObjectName(name)
    box.setTextFormat(Qt.TextFormat.RichText)
    _show_dialog(win, box)


# --- recent files ----------------------------------------------------------------------------
RECENT_KEY, RECENT_MAX = "recent_files", 10


def recent_files(win: "MainWindow") -> list[tuple[str, str]]:
    """(kind, path) pairs, newest first; kind is "data" or "model"."""
    try:
        raw = json.loads(win.qsettings.value(RECENT_KEY, "") or "[]")
        return [(str(k), str(p)) for k, p in raw
                if k in ("data", "model", "session")][:RECENT_MAX]
    except (ValueError, TypeError):
        return []  # a damaged entry costs the list, never the window


def _save_recent(win: "MainWindow", items: list[tuple[str, str]]) -> None:
    win.qsettings.setValue(RECENT_KEY, json.dumps([list(i) for i in items[:RECENT_MAX]]))


def remember_recent(win: "MainWindow", kind: str, path: str) -> None:
    items = [i for i in recent_files(win) if i != (kind, path)]
    _save_recent(win, [(kind, path)] + items)


def fill_recent_menu(win: "MainWindow", menu: Any) -> None:
    """The Open recent submenu, made when it opens: files that are gone are dropped (and said)."""
    every = recent_files(win)
    items = [i for i in every if i[0] != "session"]  # sessions: File → Recent sessions
    present = [(k, p) for k, p in items if Path(p).exists()]
    if len(present) < len(items):
        _save_recent(win, [i for i in every if i[0] == "session" or i in present])
        gone = len(items) - len(present)
        win.show_message(f"Removed {gone} file(s) that no longer exist from Open recent.")
    for kind, path in present:
        label = f"{Path(path).name}  ({'model' if kind == 'model' else 'data'}: {path})"
        action = menu.addAction(label)
        action.triggered.connect(lambda _=False, k=kind, p=path: open_recent(win, k, p))
    if not present:
        menu.addAction("(no recent files)").setEnabled(False)


def open_recent(win: "MainWindow", kind: str, path: str) -> None:
    from .widgets.pending_edits import commit_pending_edits

    commit_pending_edits(win)  # a menu entry made outside the command table: commit here too
    remember_recent(win, kind, path)
    if kind == "model":
        win.controller.load_model(path)
    elif Path(path).is_dir():
        win.controller.open_dataset(path)
    else:
        open_data_file(win, path)  # a CSV asks how to read it again


def preset_defaults() -> dict[str, dict[str, Any]]:
    """The parameters the sidebar shows for each preset: the preset table's (no TensorFlow)."""
    from .core.model import preset_table as table

    return {name: {k: v for k, v in table.preset_defaults(name).items()
                   if k in table.MODEL_FIELDS} for name in table.PRESETS}


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


__all__ = ["describe_dataset", "preset_defaults", "method_label"]
