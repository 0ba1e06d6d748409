"""Status-bar activity: what is running, a progress bar, the ETA, and Cancel."""

from __future__ import annotations

from typing import Optional

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget


class ActivityBar(QWidget):
    cancel_clicked = Signal()

    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel("Ready")
        self.label.setObjectName("activity_label")
        self.label.setMinimumWidth(220)  # the status bar gives permanent widgets no stretch
        self.progress = QProgressBar()
        self.progress.setObjectName("activity_progress")
        self.progress.setFixedWidth(220)
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.eta = QLabel("")
        self.eta.setObjectName("activity_eta")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("activity_cancel")
        self.cancel_button.setToolTip("Stop training, extraction or the map (Esc)")
        self.cancel_button.clicked.connect(self.cancel_clicked)
        for w in (self.label, self.progress, self.eta, self.cancel_button):
            layout.addWidget(w)
        # One height, busy or idle: the Cancel button made the status bar 5 px taller, so every
        # job's start and end resized the whole views area and redrew every plot (87 ms on a
        # quiet machine, the longest GUI stalls under load: bench/profiles/README.md)
        self.setFixedHeight(max(w.sizeHint().height() for w in
                                (self.label, self.progress, self.eta, self.cancel_button)))
        self.set_idle()

    def set_activity(self, message: str, fraction: float, eta_seconds: Optional[float]) -> None:
        self.label.setText(message)
        # QProgressBar.setValue repaints at once (not at the next frame), so it is told only
        # of a whole percent's change: many progress reports a second stay cheap
        if fraction < 0:
            if self.progress.maximum() != 0:
                self.progress.setRange(0, 0)  # indeterminate: a busy indicator
        else:
            if self.progress.maximum() != 100:
                self.progress.setRange(0, 100)
            value = int(fraction * 100)
            if value != self.progress.value():
                self.progress.setValue(value)
        self.eta.setText(format_eta(eta_seconds))
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)

    def set_idle(self, message: str = "Ready") -> None:
        self.label.setText(message)
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setVisible(False)
        self.eta.setText("")
        self.cancel_button.setVisible(False)

    @property
    def busy(self) -> bool:
        return self.cancel_button.isVisible()


def format_eta(seconds: Optional[float]) -> str:
    """"about 12 s left"; NaN: the work reports that it is still estimating; None: no ETA."""
    if seconds is not None and seconds != seconds:
        return "estimating time left…"
    if seconds is None or seconds < 0:
        return ""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"about {seconds} s left"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"about {minutes} min {sec:02d} s left"
    hours, minutes = divmod(minutes, 60)
    return f"about {hours} h {minutes:02d} min left"
