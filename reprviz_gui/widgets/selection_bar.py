"""The selection bar: how many samples are selected, of which classes, and Clear (Esc)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolBar, QToolButton, QWidget

from ..workspace.state import Selection

NOTHING = ("No selection — click a confusion-matrix cell, a map point or a legend class, or drag "
           "a box or lasso in the map (shift adds)")


class SelectionBar(QToolBar):
    clear_clicked = Signal()

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__("Selection", parent)
        self.setObjectName("selection_bar")
        self.setMovable(False)
        self.setFloatable(False)
        self.label = QLabel(NOTHING)
        self.label.setObjectName("selection_label")
        self.label.setTextFormat(Qt.TextFormat.RichText)
        # expanding: a toolbar gives an Ignored-width label no room at all
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.label.setMinimumWidth(120)
        self.label.setContentsMargins(6, 0, 6, 0)
        self.addWidget(self.label)
        self.clear_button = QToolButton(text="Clear (Esc)")
        self.clear_button.setObjectName("selection_clear")
        self.clear_button.clicked.connect(self.clear_clicked)
        self.clear_button.setEnabled(False)
        self.addWidget(self.clear_button)

    def set_selection(self, selection: Any, dataset: Any) -> None:
        """Set from code (emits nothing)."""
        if selection.empty or dataset is None:
            self.label.setText(NOTHING)
            self.label.setToolTip("")
            self.clear_button.setEnabled(False)
            return
        _, y = dataset.split(selection.split)
        classes = selected_classes(selection, y, dataset.class_names) or ""
        what = f" · {selection.source}" if selection.source else ""
        self.label.setText(f"<b>{selection.n:,} selected</b> ({selection.split}){what}: "
                           f"{classes}")
        self.label.setToolTip(self.label.text().replace("<b>", "").replace("</b>", ""))
        self.clear_button.setEnabled(True)

    def text(self) -> str:
        return self.label.text()


def selected_classes(selection: Selection, labels: np.ndarray, names: Any) -> Optional[str]:
    """'Shirt 80, T-shirt/top 40, …' for the selection bar."""
    if selection.empty:
        return None
    y = np.asarray(labels)[selection.indices[selection.indices < len(labels)]]
    counts = np.bincount(y.astype(np.int64), minlength=len(names))
    top = sorted(((int(c), k) for k, c in enumerate(counts) if c), reverse=True)
    text = ", ".join(f"{names[k]}: {c:,}" for c, k in top[:6])
    return text + (", …" if len(top) > 6 else "")
