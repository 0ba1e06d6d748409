"""Docks built from the view registry, their default arrangement, and a layout that fits.

The view docks live in an inner ``QMainWindow`` that is the window's central widget, with the
sidebar docked beside it: a main window gives extra space to its central widget, so the views
take the space when the window grows and the sidebar keeps its width. "Reset layout" arranges
the docks for the window's current size instead of restoring a layout made for another one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from .views.host import ViewHost
from .views.registry import VIEWS, ViewSpec

if TYPE_CHECKING:
    from .main_window import MainWindow

SIDEBAR_WIDTH = 320
_H, _V = Qt.Orientation.Horizontal, Qt.Orientation.Vertical


def make_dock(window: QMainWindow, title: str, key: str, widget: QWidget) -> QDockWidget:
    dock = QDockWidget(title, window)
    dock.setObjectName(f"dock_{key}")  # saveState() needs stable names
    dock.setWidget(widget)
    return dock


def make_views_area() -> QMainWindow:
    area = QMainWindow()
    area.setObjectName("views_area")
    area.setDockNestingEnabled(True)
    area.setDockOptions(QMainWindow.DockOption.AnimatedDocks
                        | QMainWindow.DockOption.AllowNestedDocks
                        | QMainWindow.DockOption.AllowTabbedDocks)
    area.setCentralWidget(None)
    return area


def build_view_docks(window: "MainWindow") -> dict[str, QDockWidget]:
    """One dock per registered view, holding a ``ViewHost``."""
    docks: dict[str, QDockWidget] = {}
    for spec in VIEWS:
        host = ViewHost(spec)
        window.hosts[spec.id] = host
        docks[spec.id] = make_dock(window.views_area, spec.title, spec.id, host)
    return docks


def arrange(window: "MainWindow") -> None:
    """The default layout, from each view's ``place``, sized for the current window."""
    docks, area = window.docks, window.views_area
    window.sidebar_dock.setFloating(False)
    window.removeDockWidget(window.sidebar_dock)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, window.sidebar_dock)
    window.sidebar_dock.show()
    for dock in docks.values():
        dock.setFloating(False)
        area.removeDockWidget(dock)
    placed: set[str] = set()
    for spec in VIEWS:
        how, other = spec.place
        dock = docks[spec.id]
        if how == "right" or other not in placed:
            area.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        elif how == "tab":
            area.tabifyDockWidget(docks[other], dock)
        else:
            area.splitDockWidget(docks[other], dock, _V if how == "below" else _H)
        placed.add(spec.id)
        dock.setVisible(spec.visible)
    for spec in VIEWS:  # the first of each tab group in front
        if spec.place[0] != "tab":
            docks[spec.id].raise_()
    fit(window)


def fit(window: "MainWindow") -> None:
    """Sizes for the window as it is now: the sidebar its width, the views the rest."""
    window.resizeDocks([window.sidebar_dock], [SIDEBAR_WIDTH], _H)
    docks, area = window.docks, window.views_area
    width = max(400, window.width() - SIDEBAR_WIDTH)
    height = max(300, window.height() - 80)
    rows = [s for s in VIEWS if s.place[0] in ("right", "below") and s.visible]
    if len(rows) >= 2:  # top row 45 %, the map row the rest
        area.resizeDocks([docks[s.id] for s in rows[:2]],
                           [int(height * 0.45), int(height * 0.55)], _V)
    for first in rows:
        row = _row_of(first)
        if len(row) > 1:
            sizes = [s.size or 0 for s in row]
            fixed = sum(sizes)
            free = [i for i, v in enumerate(sizes) if not v]
            share = max(120, (width - fixed) // max(1, len(free))) if free else 0
            sizes = [v or share for v in sizes]
            scale = width / max(1, sum(sizes))
            area.resizeDocks([docks[s.id] for s in row], [int(v * scale) for v in sizes], _H)


def _row_of(first: ViewSpec) -> list[ViewSpec]:
    row, last = [first], first.id
    while True:
        nxt = next((s for s in VIEWS if s.place == ("right-of", last) and s.visible), None)
        if nxt is None:
            return row
        row.append(nxt)
        last = nxt.id


def show_word_table_views(window: "MainWindow", words: bool) -> None:
    """A word table has no learning curves or confusions: the views whose spec says
    ``word_tables`` take the front of their tab groups (an "open" one is opened, and closed
    again with other data unless the user had it open); with other data each group's first
    view is in front again."""
    auto: Optional[dict[str, bool]] = window.words_auto_opened
    specs = [s for s in VIEWS if s.word_tables]
    if words:
        if auto is None:
            auto = window.words_auto_opened = {}
            for spec in specs:
                if spec.word_tables == "open":
                    dock = window.docks[spec.id]
                    auto[spec.id] = not dock.toggleViewAction().isChecked()
                    dock.show()
        for spec in specs:
            window.docks[spec.id].raise_()
    elif auto is not None:
        for view_id, opened_by_us in auto.items():
            if opened_by_us:
                window.docks[view_id].hide()
        window.words_auto_opened = None
        for spec in specs:
            window.docks[_group_leader(spec).id].raise_()


def _group_leader(spec: ViewSpec) -> ViewSpec:
    """The first view of ``spec``'s tab group (the one a "tab" place chain starts from)."""
    seen = {spec.id}
    while spec.place[0] == "tab":
        other = next((s for s in VIEWS if s.id == spec.place[1]), None)
        if other is None or other.id in seen:
            break
        spec = other
        seen.add(spec.id)
    return spec


SETTINGS_VERSION = 2  # 2: views in an inner main window (the layout of version 1 is ignored)


def restore_layout(win: "MainWindow") -> None:
    """The window's geometry and both dock layouts as ``reprviz.ini`` remembers them."""
    f = win.settings_file
    geometry, state, views = (f.byte_array(k) for k in ("geometry", "window_state",
                                                        "views_state"))
    if geometry is not None:
        win.restoreGeometry(geometry)
    if state is not None:
        win.restoreState(state, SETTINGS_VERSION)
    if views is not None:
        win.views_area.restoreState(views, SETTINGS_VERSION)


def save_layout_and_choices(win: "MainWindow") -> None:
    """Remember the geometry, the dock layouts and the sidebar's choices (on close)."""
    q = win.qsettings
    q.setValue("geometry", win.saveGeometry())
    q.setValue("window_state", win.saveState(SETTINGS_VERSION))
    q.setValue("views_state", win.views_area.saveState(SETTINGS_VERSION))
    win.settings_file.save_choices(win.controller.settings)
    q.sync()
