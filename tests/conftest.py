"""Test-wide settings. Qt must render offscreen (no display in CI); TensorFlow should be quiet."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # tests never need a GPU; keep runs comparable

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RESOURCES = REPO / "resources" / "data"


@pytest.fixture(autouse=True)
def _isolated_keras_home(tmp_path_factory, monkeypatch):
    """Never let a developer's ~/.keras cache change what the tests see."""
    home = tmp_path_factory.mktemp("keras_home")
    monkeypatch.setenv("KERAS_HOME", str(home))
    yield home


@pytest.fixture(autouse=True)
def _isolated_config_dir(tmp_path_factory, monkeypatch):
    """Never let a test (or a CLI it starts) write the user's settings or run history in
    ~/.config/reprviz: point REPRVIZ_CONFIG_DIR at a fresh folder. A test may set its own."""
    folder = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("REPRVIZ_CONFIG_DIR", str(folder))
    yield folder


@pytest.fixture
def resources() -> Path:
    return RESOURCES


@pytest.fixture(autouse=True)
def _no_leaked_top_level_widgets(request):
    """Every Qt test must leave no top-level widget behind (open dialogs, undeleted windows).

    Autouse fixtures are set up first, so this teardown runs after qtbot has closed the
    widgets it was given."""
    if "qtbot" not in request.fixturenames and "qapp" not in request.fixturenames:
        yield
        return
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    from reprviz_gui.widgets.top_levels import address, gc_paused, top_level_addresses

    app = QApplication.instance() or QApplication([])
    before = top_level_addresses()
    yield
    for _ in range(3):  # deleteLater() needs the event loop to run
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        app.processEvents()
    with gc_paused():  # (a collection while the wrappers are held can free their widgets)
        leaked = [w for w in app.topLevelWidgets() if address(w) not in before]
        names = [type(w).__name__ for w in leaked]
        for w in leaked:  # do not let one test's leak fail the next ones too
            w.close()
            w.deleteLater()
        del leaked
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not names, f"top-level widgets leaked: {names}"


@pytest.fixture
def open_window(qtbot, tmp_path, monkeypatch):
    """open_window(**settings) -> a started MainWindow with its first layer drawn (see
    tests/gui_support.py). Its settings go to a temporary folder; at teardown every window it
    opened is closed and no other top-level widget may be left open."""
    from gui_support import close_and_check_none_left_open, open_main_window, top_level_widgets

    monkeypatch.setenv("REPRVIZ_CONFIG_DIR", str(tmp_path / "config"))
    before = top_level_widgets()
    made = []

    def make(**overrides):
        win = open_main_window(qtbot, **overrides)
        made.append(win)
        return win

    yield make
    close_and_check_none_left_open(made, before)


@pytest.fixture
def window(open_window):
    """A started MainWindow on the fast default settings, with its first layer drawn."""
    return open_window()
