"""The window's menus come from the command table and the view registry (issue 19: 1.3, 1.4,
Help, recent files)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMenu, QTabBar

from reprviz_gui import window_actions as wa
from reprviz_gui.commands import COMMANDS, Command, shortcut_rows
from reprviz_gui.views.registry import VIEWS


def _menu(win, title: str) -> QMenu:
    for action in win.menuBar().actions():
        if action.text().replace("&", "") == title:
            return action.menu()
    raise AssertionError(f"no menu {title}")


def _submenus(menu: QMenu) -> list[QMenu]:
    return [a.menu() for a in menu.actions() if a.menu() is not None]


def test_view_menu_has_one_submenu_per_registry_section(qtbot, window):
    view = _menu(window, "View")
    sections = list(dict.fromkeys(s.menu for s in VIEWS if s.menu))
    subs = _submenus(view)
    assert [m.title() for m in subs] == sections  # once each, none empty
    for sub in subs:
        wanted = [s.title for s in VIEWS if s.menu == sub.title()]
        assert [a.text() for a in sub.actions()] == wanted
    top = [a.text().replace("&", "") for a in view.actions()
           if a.menu() is None and not a.isSeparator()]
    assert top == ["Controls"] + [s.title for s in VIEWS if not s.menu] + ["Reset layout",
                                                                      "Compare in tabs"]


def _front_tab(win, title: str) -> str:
    """The tab in front of the tab group that holds ``title``."""
    for bar in win.views_area.findChildren(QTabBar):
        texts = [bar.tabText(i) for i in range(bar.count())]
        if title in texts and bar.isVisible():
            return texts[bar.currentIndex()]
    return ""


def test_opening_a_view_from_the_menu_brings_it_to_the_front(qtbot, window):
    win = window
    course = next(m for m in _submenus(_menu(win, "View")) if m.title() == "Course")
    history = next(a for a in course.actions() if a.text() == "Run history")
    assert not win.docks["history"].isVisible()
    history.trigger()
    # tabbed with the confusion matrix: it must be the tab in front, not one behind it
    qtbot.waitUntil(lambda: _front_tab(win, "Run history") == "Run history")
    assert win.host("history").isVisible()


def test_every_command_has_an_action_and_a_menu(qtbot, window):
    for cmd in COMMANDS:
        assert cmd.id in window.commands
        assert getattr(window, f"action_{cmd.id}") is window.commands[cmd.id]
    help_texts = [a.text().replace("&", "") for a in _menu(window, "Help").actions()
                  if not a.isSeparator()]
    assert {"Getting started", "Keyboard shortcuts", "Documentation files",
            "About reprviz"} <= set(help_texts)
    assert ("Run → Train / continue training", "Ctrl+T") in shortcut_rows()
    assert ("Run → Train from scratch", "Ctrl+Shift+T") in shortcut_rows()


def test_keyboard_shortcuts_dialog_lists_the_table(qtbot, window):
    window.commands["shortcuts"].trigger()
    box = next(d for d in window.dialogs if d.objectName() == "shortcuts_dialog")
    assert "Ctrl+T" in box.text() and "Train" in box.text()
    box.close()


def test_recent_files_are_remembered_and_missing_ones_pruned(qtbot, window, tmp_path,
                                                             monkeypatch):
    win = window
    kept = tmp_path / "kept.keras"
    kept.write_bytes(b"x")
    gone = tmp_path / "gone.csv"
    monkeypatch.setattr(wa.QFileDialog, "getOpenFileName", lambda *a, **k: (str(kept), ""))
    loaded = []
    monkeypatch.setattr(win.controller, "load_model", lambda path, **k: loaded.append(path))
    wa.remember_recent(win, "data", str(gone))
    win.commands["load_model"].trigger()  # File → Load model… remembers its file
    assert loaded == [str(kept)]
    assert wa.recent_files(win) == [("model", str(kept)), ("data", str(gone))]

    menu = win.commands["recent"].menu()
    menu.aboutToShow.emit()
    texts = [a.text() for a in menu.actions()]
    assert len(texts) == 1 and str(kept) in texts[0]
    assert "Removed 1 file" in win.statusBar().currentMessage()
    assert wa.recent_files(win) == [("model", str(kept))]  # pruned in the settings too
    menu.actions()[0].trigger()
    assert loaded == [str(kept)] * 2


def test_a_registered_command_lands_in_its_menu(qtbot, monkeypatch, open_window):
    from reprviz_gui import commands

    table = list(commands.COMMANDS)
    monkeypatch.setattr(commands, "COMMANDS", table)
    hits = []
    commands.register_command(Command("export", "&File", "&Export…", hits.append, "Ctrl+Shift+E"),
                              after="screenshot")
    win = open_window()
    texts = [a.text() for a in _menu(win, "File").actions()]
    assert texts.index("&Export…") == texts.index("Save &window image…") + 1
    win.commands["export"].trigger()
    assert hits == [win]
    assert Path(commands.__file__).name == "commands.py"


def test_clear_cache_deletes_the_stored_layers_and_says_how_much(qtbot, window, tmp_path,
                                                                 monkeypatch):
    from reprviz_gui.core.model.activation_cache import cache_root

    monkeypatch.setenv("REPRVIZ_CACHE_DIR", str(tmp_path / "cache"))
    stored = cache_root() / "model-data" / "hidden.flatten.npy"
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"x" * 3000)
    window.commands["clear_cache"].trigger()
    assert not cache_root().exists()
    assert "Cleared the cache: 2.9 KiB" in window.statusBar().currentMessage()
    window.commands["clear_cache"].trigger()
    assert window.statusBar().currentMessage() == "The cache holds no stored layers."
