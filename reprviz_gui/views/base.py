"""The view interface every docked view implements.

A view is display only: it gets frozen results (``workspace/results.py``) and draws them; it
never computes analysis (at most display levels or colours). It shows the shared selection
(``set_selection``) in its own rows, and asks for a new selection with ``selection_requested``;
the controller decides, and every view follows. Shared pieces live beside this module:
``axes.py`` (class-band axis), ``theme.py`` (palette, fonts, levels), ``describe.py`` (hover text).
"""

from __future__ import annotations

import functools
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple, Optional

import numpy as np
import shiboken6
from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from ..workspace.state import Selection
from ..widgets.thumbnail_tooltip import ThumbnailTooltip
from ..widgets.top_levels import new_parentless_windows, top_level_addresses
from ..widgets.wheel_guard import guard_wheels

class Shown(NamedTuple):
    """A number as a view shows it: its value and half a unit of its last shown digit."""

    value: float
    tol: float


def shown_number(text: str) -> Optional[Shown]:
    """Parse a number as drawn ("0.9500", "95.0 %", "1,234", "-3.2e-05"); None for "–"/""."""
    t = text.replace(",", "").replace("\u2009", "").strip()
    percent = t.endswith("%")
    t = t.rstrip("%").strip()
    try:
        d = Decimal(t)
    except InvalidOperation:
        return None
    scale = 0.01 if percent else 1.0
    return Shown(float(d) * scale, 0.5 * 10.0 ** d.as_tuple().exponent * scale)


DEFAULT_HINT = "Train or load a model, then pick a layer"
BUSY_TEXT = "Computing\u2026"


# ---------------------------------------------------------------------------------------------
# Panel base class
# ---------------------------------------------------------------------------------------------
def _delete_widgets(widgets: list, *_args) -> None:
    for w in widgets:
        if shiboken6.isValid(w):
            w.deleteLater()
    widgets.clear()


class _LeaveWatcher(QObject):
    def __init__(self, panel: "Panel"):
        super().__init__(panel)
        self._panel = panel

    def eventFilter(self, obj, event):  # noqa: N802 (Qt API)
        if event.type() in (QEvent.Type.Leave, QEvent.Type.Hide):
            self._panel.hide_hover()
        return False


class Panel(QWidget):
    """Base class of all views. Subclasses implement ``_draw``, ``_clear_content`` and
    ``displayed``; they put their widgets into ``self.body_layout``. Views that show samples
    implement ``_apply_highlight`` (the selection's rows are in ``self._highlight``).

    ``title``/``panel_id`` come from the view's ``ViewSpec`` (a panel made outside the registry
    keeps the class's). The base does the chores once built: pyqtgraph's parentless menus made
    while building go with the panel, and every spin box and combo box ignores the wheel unless
    focused. Optional hooks are the no-op methods below; what a view asks of the window goes
    through the typed signals below (the host adds the session id where it matters)."""

    title: str = "Panel"
    panel_id: str = "panel"
    empty_hint: str = DEFAULT_HINT

    # the user asks to select samples: (Selection, additive — shift held)
    selection_requested = Signal(object, bool)
    cell_picked = Signal(int, int, bool)  # a confusion cell: true, predicted, additive
    layer_requested = Signal(str)  # show this layer of the view's model
    # show this layer of that session's model (a view of both models: depth, CKA)
    session_layer_requested = Signal(str, str)
    arrows_requested = Signal(bool)  # show a word table's pairs as arrows on the map
    restore_settings_requested = Signal(dict)  # put a past run's settings in the sidebar
    delete_runs_requested = Signal(list)  # delete these run-history ids
    own_input_changed = Signal(object)  # put this OwnInput through the view's model
    split_requested = Signal(str)  # count the confusion matrix on this split (every model's)
    wanted_changed = Signal()  # ``wanted_products()`` changed (an option needs another product)

    def __init__(self, parent: Optional[QWidget] = None):
        self._windows_before: Optional[set[int]] = top_level_addresses()
        super().__init__(parent)
        from .registry import spec_of  # the registry imports this module

        spec = spec_of(type(self))
        if spec is not None:
            self.title, self.panel_id = spec.title, spec.id
        self.setObjectName(f"panel_{self.panel_id}")
        self._result: Any = None
        self._undrawn = False  # a result arrived while hidden; drawn when shown
        self._highlight: Optional[np.ndarray] = None
        self._selection = Selection()

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self._stack = QStackedWidget(self)
        outer.addWidget(self._stack)

        self._hint = QLabel(self.empty_hint)
        self._hint.setObjectName("panelHint")
        self._hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._hint.setWordWrap(True)
        self._hint.setMargin(24)
        pal = self.palette()
        fg, bg = pal.color(QPalette.ColorRole.WindowText), pal.color(QPalette.ColorRole.Window)
        soft = QColor(*(int(0.6 * a + 0.4 * b) for a, b in zip(fg.getRgb()[:3], bg.getRgb()[:3])))
        hint_pal = self._hint.palette()
        hint_pal.setColor(QPalette.ColorRole.WindowText, soft)
        self._hint.setPalette(hint_pal)
        self._stack.addWidget(self._hint)

        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(4, 4, 4, 4)
        self.body_layout.setSpacing(4)
        self._stack.addWidget(self.body)
        self._stack.setCurrentWidget(self._hint)

        self._busy = QLabel(self)
        self._busy.setObjectName("panelBusy")
        self._busy.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self._busy.setStyleSheet(
            "#panelBusy { background: rgba(40, 40, 40, 170); color: white; border-radius: 4px;"
            " padding: 2px 8px; }"
        )
        self._busy.hide()

        self.tooltip = ThumbnailTooltip(self)
        self._leave_watcher = _LeaveWatcher(self)

    # -- public interface ------------------------------------------------------------------------
    def show_result(self, result) -> None:
        """Draw one result object (replacing what was shown). A hidden panel (a closed dock,
        a tab behind another) draws it when it is shown: a layer of 8,000 samples costs every
        view tens of milliseconds of the GUI thread, and nobody sees the hidden ones."""
        self._result = result
        self.hide_hover()
        self._busy.hide()
        self._stack.setCurrentWidget(self.body)
        self._highlight = self._rows_of(self._selection)
        # a panel on its own (no parent: never in a window) draws at once
        self._undrawn = self.parent() is not None and not self.isVisible()
        if not self._undrawn:
            self._draw(result)

    def draw_now(self) -> None:
        """Draw a result that arrived while the panel was hidden."""
        if self._undrawn and self._result is not None:
            self._undrawn = False
            self._draw(self._result)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None:  # the chores run once the most derived __init__ has finished
            @functools.wraps(init)
            def __init__(self, *args: Any, **kw: Any) -> None:
                outer = not getattr(self, "_building", False)
                self._building = True
                try:
                    init(self, *args, **kw)
                finally:
                    if outer:
                        self._building = False
                        self._built()

            cls.__init__ = __init__
        own = cls.__dict__.get("displayed")
        if own is not None:  # what a panel reports is what it would draw, hidden or not
            @functools.wraps(own)
            def displayed(self, *args: Any, **kw: Any) -> Any:
                self.draw_now()
                return own(self, *args, **kw)

            cls.displayed = displayed

    def result(self):
        return self._result

    def clear(self, message: str = "") -> None:
        """Forget the result and show a centred hint."""
        self._result = None
        self._undrawn = False
        self.hide_hover()
        self._busy.hide()
        self._clear_content()
        self._hint.setText(message or self.empty_hint)
        self._stack.setCurrentWidget(self._hint)

    def is_empty(self) -> bool:
        self.draw_now()  # a result may still empty the view when drawn
        return self._stack.currentWidget() is self._hint

    def hint_text(self) -> str:
        return self._hint.text() if self.is_empty() else ""

    def set_busy(self, message: Optional[str] = BUSY_TEXT) -> None:
        """Show a small badge ("Computing...") over what is drawn; '' or None hides it."""
        if not message:
            self._busy.hide()
            return
        self._busy.setText(message)
        self._busy.adjustSize()
        self._place_busy()
        self._busy.raise_()
        self._busy.show()

    def is_busy(self) -> bool:
        return not self._busy.isHidden()

    def busy_text(self) -> str:
        return self._busy.text() if self.is_busy() else ""

    def set_selection(self, selection: Selection) -> None:
        """Show the shared selection: the rows of this view's samples that are selected."""
        self._selection = selection
        self.set_highlight(self._rows_of(selection))

    def selection(self) -> Selection:
        return self._selection

    def set_highlight(self, indices: Optional[np.ndarray]) -> None:
        """Mark these sample-set rows; None clears."""
        self._highlight = None if indices is None else np.asarray(indices, dtype=np.int64).ravel()
        if not self._undrawn:  # else drawn with the result
            self._apply_highlight()

    def _rows_of(self, selection: Selection) -> Optional[np.ndarray]:
        samples = getattr(self._result, "samples", None)
        if samples is None or selection.empty:
            return None
        return samples.rows_of(selection.split, selection.indices)

    def request_rows(self, rows: Any, additive: bool = False, source: str = "") -> None:
        """Ask to select these rows of the sample set this view shows."""
        samples = getattr(self._result, "samples", None)
        if samples is None:
            return
        rows = np.asarray(rows, dtype=np.int64).ravel()
        rows = rows[(rows >= 0) & (rows < samples.n)]
        self.selection_requested.emit(
            Selection.of(samples.split, samples.indices[rows], source or self.title), additive)

    def highlight(self) -> Optional[np.ndarray]:
        return None if self._highlight is None else self._highlight.copy()

    def displayed(self) -> dict:
        """What is currently drawn, as numpy arrays (for tests); {} when empty."""
        return {}

    def report_numbers(self) -> dict[str, Any]:
        """The numbers this view shows, read back from its widgets, under the report.json key
        ``analyze`` writes them to (dotted: ``"accuracy.test"``): ints and strings exact, other
        numbers as ``Shown``. Its ``ViewSpec.numbers`` lists the top-level keys; the parity test
        compares each with report.json. {} when nothing is drawn."""
        return {}

    def _built(self) -> None:
        """After the most derived ``__init__``: adopt pyqtgraph's orphans, guard the wheel."""
        self.adopt_orphan_windows()
        guard_wheels(self)

    def adopt_orphan_windows(self) -> None:
        """Delete, together with this panel, the parentless windows made while building it.

        pyqtgraph leaves hidden parentless widgets behind (a "Plot Options" QMenu and a control
        QWidget per PlotItem, the GraphicsView's first viewport); they only go when Python garbage
        collects the plot objects. Called by the base once the panel is built (a second call does
        nothing); the widgets are deleted right after the panel is (reparenting them instead
        crashes pyqtgraph's teardown)."""
        before = getattr(self, "_windows_before", None)
        if before is None:
            return
        orphans = new_parentless_windows(before, self)
        self._windows_before = None
        if orphans:
            self.destroyed.connect(functools.partial(_delete_widgets, orphans))

    # -- optional hooks (no-ops here; the host calls them on every view) ------------------------
    def show_product(self, kind: str, session_id: str, result: Any) -> None:
        """A product this view's spec asks for; views of several products dispatch on kind."""
        self.show_result(result)

    def product_unavailable(self, kind: str, session_id: str, why: str) -> None:
        self.clear(why)

    def set_dataset(self, dataset: Any) -> None:
        """A new dataset was opened (before its first results arrive)."""

    def set_samples(self, samples: Any) -> None:
        """The sample set the views show changed."""

    def set_show_arrows(self, show: bool) -> bool:
        """Show a word table's pairs as arrows; True if this view draws them."""
        return False

    def set_sessions(self, session_ids: tuple[str, ...]) -> None:
        """The models open now (a view of both models drops a removed model's results)."""

    def wanted_products(self) -> tuple[str, ...]:
        """Of its spec's ``on_demand`` products, those the view needs now."""
        return ()

    # -- options (evented state a session saves; see views/options.py) --------------------------
    def options_state(self) -> dict:
        """This view's own options (colour-by, k, order …) as plain data; {} if it has none."""
        options = getattr(self, "options", None)
        return options.to_dict() if options is not None else {}

    def restore_options(self, state: dict) -> None:
        """Set options saved by ``options_state`` (unknown keys and bad values are ignored)."""
        options = getattr(self, "options", None)
        if options is not None:
            options.from_dict(state)

    # -- hover card ------------------------------------------------------------------------------
    def hide_hover(self) -> None:
        self.tooltip.hide()

    def show_hover(self, pos_in_panel: QPoint, images=(), lines=()) -> None:
        self.tooltip.show_at(pos_in_panel, images, lines)

    def watch_leave(self, widget: QWidget) -> None:
        """Hide the hover card when the mouse leaves `widget` (e.g. a plot's viewport)."""
        widget.installEventFilter(self._leave_watcher)

    # -- subclass hooks --------------------------------------------------------------------------
    def _draw(self, result) -> None:
        raise NotImplementedError

    def _clear_content(self) -> None:
        pass

    def _apply_highlight(self) -> None:
        pass

    # -- Qt events -------------------------------------------------------------------------------
    def _place_busy(self) -> None:
        # bottom left: the view's own controls sit at the top and the legend on the right
        self._busy.move(8, max(0, self.height() - self._busy.height() - 8))

    def resizeEvent(self, event):  # noqa: N802
        super().resizeEvent(event)
        self._place_busy()
        self.hide_hover()

    def showEvent(self, event):  # noqa: N802
        super().showEvent(event)
        guard_wheels(self)  # fields a view added after it was built
        self.draw_now()

    def leaveEvent(self, event):  # noqa: N802
        self.hide_hover()
        super().leaveEvent(event)
