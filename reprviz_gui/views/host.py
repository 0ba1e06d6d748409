"""A dock's content: one view, or one view per model side by side when two are compared.

The host routes what the controller sends (products, busy badges, the selection, the dataset)
to the right view instance, and captions each with its model when there are two, so a user
always knows which map belongs to which network. Class colours are fixed by class index, so
the two maps of a comparison colour the same classes alike.
"""

from __future__ import annotations

from typing import Any, Optional

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QLabel, QSplitter, QTabWidget, QVBoxLayout, QWidget

from ..workspace.products import REGISTRY
from ..workspace.state import Selection
from .base import Panel
from .export import install_view_menu
from .registry import ViewSpec


class ViewHost(QWidget):
    """Hosts the view(s) of one ``ViewSpec``. Re-emits user requests with the session id."""

    selection_requested = Signal(object, bool)  # Selection, additive
    cell_picked = Signal(str, int, int, bool)  # session id, true, predicted, additive
    layer_requested = Signal(str, str)  # session id, layer name (a view picks the layer)
    # what a view asks of the window beyond the selection (``Panel``'s typed signals)
    arrows_requested = Signal(bool)
    restore_settings_requested = Signal(dict)
    delete_runs_requested = Signal(list)
    split_requested = Signal(str)  # the confusion matrix's split
    epoch_shown = Signal(str, int)  # session id, the epoch a film view shows
    own_input_changed = Signal(str, object)  # session id, OwnInput (the Your input view)
    wanted_changed = Signal()  # a view needs other on-demand products

    def __init__(self, spec: ViewSpec, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.setObjectName(f"host_{spec.id}")
        self._splitter = QSplitter(Qt.Orientation.Vertical if spec.stack == "above"
                                   else Qt.Orientation.Horizontal, self)
        self._splitter.setChildrenCollapsible(False)
        # "tabs": one tab per model, each view the whole dock (a confusion matrix keeps all
        # its rows, a heatmap its width); "side": side by side (or stacked) in the splitter
        self._tabs = QTabWidget(self)
        self._tabs.setObjectName("modelTabs")
        self._tabs.setTabBarAutoHide(True)  # one model: no tab bar
        self._tabs.setDocumentMode(True)
        self.mode = spec.compare
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._splitter)
        layout.addWidget(self._tabs)
        self._splitter.setVisible(self.mode == "side")
        self._tabs.setVisible(self.mode == "tabs")
        self._labels: dict[str, str] = {}
        self.views: dict[str, Panel] = {}  # session id ("" for a shared view) -> view
        self._captions: dict[str, QLabel] = {}
        self._busy: dict[tuple[str, str], str] = {}  # (session, kind) -> message
        self._selection = Selection()
        self._dataset: Any = None
        self._samples: Any = None
        self.set_sessions({"A": ""})

    # --- sessions ---------------------------------------------------------------------------
    def set_sessions(self, labels: dict[str, str]) -> None:
        """One view per session (per-session views); captions name the model when there are
        two. ``labels``: session id -> model label, in display order."""
        wanted = list(labels) if self.spec.per_session else [""]
        for sid in [s for s in self.views if s not in wanted]:
            box = self._captions.pop(sid).parentWidget()
            self.views.pop(sid)
            box.setParent(None)
            box.deleteLater()
        for sid in wanted:
            if sid not in self.views:
                self._add_view(sid)
        self._labels = dict(labels)
        for view in self.views.values():
            view.set_sessions(tuple(labels))  # a view of both models forgets a removed one's
        self._show_captions()

    def _show_captions(self) -> None:
        many = self.spec.per_session and len(self.views) > 1
        for sid in self.views:
            caption = self._captions[sid]
            caption.setVisible(many and self.mode == "side")  # in tabs the tab names it
            if many:
                caption.setText(f"<b>{sid}</b> · {self._labels.get(sid, '')}")
            at = self._tabs.indexOf(caption.parentWidget())
            if at >= 0:
                self._tabs.setTabText(at, f"{sid} · {self._labels.get(sid, '')}" if sid
                                      else self.spec.title)

    def set_mode(self, mode: str) -> None:
        """Show the models' views side by side ("side") or one tab each ("tabs")."""
        if mode not in ("side", "tabs") or mode == self.mode:
            return
        current = self.current_session()
        self.mode = mode
        for sid in self.views:
            box = self._captions[sid].parentWidget()
            if mode == "tabs":
                self._tabs.addTab(box, sid)
            else:
                self._tabs.removeTab(self._tabs.indexOf(box))
                self._splitter.addWidget(box)
                box.show()
        self._splitter.setVisible(mode == "side")
        self._tabs.setVisible(mode == "tabs")
        self._show_captions()
        self.show_session(current)

    def show_session(self, session_id: str) -> None:
        """Bring this model's view to the front (tabs mode; side by side shows all)."""
        view = self.views.get(session_id)
        if self.mode == "tabs" and view is not None:
            self._tabs.setCurrentWidget(self._captions[session_id].parentWidget())

    def current_session(self) -> str:
        if self.mode == "tabs":
            box = self._tabs.currentWidget()
            return next((sid for sid in self.views
                         if self._captions[sid].parentWidget() is box), "A")
        return "A"

    def _add_view(self, sid: str) -> None:
        box = QWidget()
        v = QVBoxLayout(box)
        v.setContentsMargins(0, 0, 0, 0)
        v.setSpacing(0)
        caption = QLabel()
        caption.setObjectName("sessionCaption")
        caption.setTextFormat(Qt.TextFormat.RichText)
        caption.setContentsMargins(6, 2, 6, 0)
        caption.hide()
        view = self.spec.create()
        install_view_menu(view)  # Export as PNG/SVG/PDF…, Copy image
        v.addWidget(caption)
        v.addWidget(view, 1)
        if self.mode == "tabs":
            self._tabs.addTab(box, sid or self.spec.title)
        else:
            self._splitter.addWidget(box)
        self.views[sid] = view
        self._captions[sid] = caption
        view.selection_requested.connect(self.selection_requested)
        view.arrows_requested.connect(self.arrows_requested)
        view.restore_settings_requested.connect(self.restore_settings_requested)
        view.delete_runs_requested.connect(self.delete_runs_requested)
        view.split_requested.connect(self.split_requested)
        view.wanted_changed.connect(self.wanted_changed)
        _Relay(self, view, sid)
        if self._dataset is not None:
            view.set_dataset(self._dataset)
        if self._samples is not None:
            view.set_samples(self._samples)
        view.set_selection(self._selection)  # last: a new dataset resets a view's selection

    def wants(self, kind: str) -> bool:
        """Whether a view here needs the on-demand product ``kind`` now."""
        return any(kind in v.wanted_products() for v in self.views.values())

    def view(self, session_id: str = "A") -> Optional[Panel]:
        return self.views.get(session_id if self.spec.per_session else "")

    # --- what the controller sends -----------------------------------------------------------
    def _targets(self, kind: str, session_id: str) -> list[tuple[str, Panel]]:
        if not self.spec.per_session:
            return [("", self.views[""])] if "" in self.views else []
        per = REGISTRY[kind].per_session if kind in REGISTRY else True
        if not per:  # a data-only product goes to every model's view
            return list(self.views.items())
        return [(session_id, self.views[session_id])] if session_id in self.views else []

    def show_product(self, kind: str, session_id: str, result: Any) -> None:
        for _, view in self._targets(kind, session_id):
            view.show_product(kind, session_id, result)

    def product_unavailable(self, kind: str, session_id: str, why: str) -> None:
        for _, view in self._targets(kind, session_id):
            view.product_unavailable(kind, session_id, why)

    def set_busy(self, kind: str, session_id: str, message: str) -> None:
        for sid, view in self._targets(kind, session_id):
            key = (sid, kind)
            if message:
                self._busy[key] = message
            else:
                self._busy.pop(key, None)
            texts = [m for (s, _), m in self._busy.items() if s == sid]
            view.set_busy(texts[-1] if texts else "")

    def set_selection(self, selection: Selection) -> None:
        self._selection = selection
        for view in self.views.values():
            view.set_selection(selection)

    def set_dataset(self, dataset: Any) -> None:
        self._dataset = dataset
        self._busy.clear()
        for view in self.views.values():
            view.set_dataset(dataset)

    def set_samples(self, samples: Any) -> None:
        self._samples = samples
        for view in self.views.values():
            view.set_samples(samples)

    def clear_all(self, message: str) -> None:
        self._busy.clear()
        for view in self.views.values():
            view.clear(message)


class _Relay(QObject):
    """Adds the session id to a view's ``cell_picked`` and ``layer_requested`` (bound methods,
    not lambdas: a slot must live in the GUI thread)."""

    def __init__(self, host: ViewHost, view: Panel, sid: str) -> None:
        super().__init__(view)
        self._host, self._sid = host, sid
        view.cell_picked.connect(self.cell)
        view.layer_requested.connect(self.layer)
        view.own_input_changed.connect(self.own_input)
        if hasattr(view, "epoch_shown"):  # the Film view
            view.epoch_shown.connect(self.epoch)
        view.session_layer_requested.connect(host.layer_requested)  # names its own session

    def epoch(self, epoch: int) -> None:
        self._host.epoch_shown.emit(self._sid, epoch)

    def cell(self, true: int, predicted: int, additive: bool) -> None:
        self._host.cell_picked.emit(self._sid, true, predicted, additive)

    def layer(self, name: str) -> None:
        self._host.layer_requested.emit(self._sid, name)

    def own_input(self, value: object) -> None:
        self._host.own_input_changed.emit(self._sid or "A", value)
