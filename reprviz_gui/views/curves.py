"""Learning curves: loss and accuracy per epoch, train and validation, updating live."""

from __future__ import annotations

from typing import Optional

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor
from superqt.utils import qthrottled

from PySide6.QtWidgets import QLabel

from ..widgets.colormaps import TAB10
from ..workspace.state import TrainingCurves
from .base import Panel
from .theme import palette_colors, scene_to_panel, style_plot, tick_font

# with L2 on, Keras's losses include the penalty; "val_cross_entropy" (dotted) is without it
SERIES = ("loss", "val_loss", "accuracy", "val_accuracy", "val_cross_entropy")
TRAIN_COLOR = QColor(TAB10[0])
VAL_COLOR = QColor(TAB10[1])


def _nice_step(span: int, max_ticks: int = 10) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if span / step <= max_ticks:
            return step
    return int(np.ceil(span / max_ticks))


class CurvesPanel(Panel):
    """``show_result(TrainingCurves)``: two stacked plots (loss, accuracy) sharing the epoch axis.

    Call it again with a longer history while training runs: the same four PlotDataItems are
    updated with ``setData``, so each update is cheap. The x range covers ``epochs_planned``.
    """

    empty_hint = "Train a model to see its learning curves"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.subtitle = QLabel()
        self.subtitle.setObjectName("panelSubtitle")
        self.subtitle.setTextFormat(Qt.TextFormat.RichText)
        self.subtitle.setWordWrap(True)  # status and latest values; two lines in a narrow dock
        self.body_layout.addWidget(self.subtitle)
        self.view = pg.GraphicsLayoutWidget()
        self.view.ci.setContentsMargins(2, 2, 6, 2)
        self.view.ci.setSpacing(2)
        self.loss_plot: pg.PlotItem = self.view.addPlot(row=0, col=0)
        self.acc_plot: pg.PlotItem = self.view.addPlot(row=1, col=0)
        self.acc_plot.setXLink(self.loss_plot)
        font = tick_font()
        for plot, name in ((self.loss_plot, "loss"), (self.acc_plot, "accuracy")):
            plot.setLabel("left", name)
            plot.hideButtons()
            plot.setMenuEnabled(False)
            plot.showGrid(x=True, y=True, alpha=0.15)
            plot.getViewBox().setMouseEnabled(x=False, y=True)
            for ax in ("left", "bottom"):
                plot.getAxis(ax).setTickFont(font)
            plot.getAxis("left").setWidth(52)
            plot.getAxis("left").enableAutoSIPrefix(False)
        self.loss_plot.getAxis("bottom").setStyle(showValues=False)
        self.acc_plot.setLabel("bottom", "epoch")

        train_pen = pg.mkPen(TRAIN_COLOR, width=2)
        val_pen = pg.mkPen(VAL_COLOR, width=2, style=Qt.PenStyle.DashLine)
        self.items: dict[str, pg.PlotDataItem] = {}
        for key in SERIES:
            val = key.startswith("val_")
            color = VAL_COLOR if val else TRAIN_COLOR
            plot = self.acc_plot if key.endswith("accuracy") else self.loss_plot
            pen = val_pen if val else train_pen
            if key == "val_cross_entropy":
                pen = pg.mkPen(VAL_COLOR, width=1, style=Qt.PenStyle.DotLine)
            item = pg.PlotDataItem(
                [], [], pen=pen, symbol="s" if val else "o", symbolSize=5,
                symbolBrush=color, symbolPen=None, name="validation" if val else "train", antialias=True)
            plot.addItem(item)
            self.items[key] = item
        bg, fg = palette_colors(self)
        self.legend = pg.LegendItem(offset=(-8, 6), labelTextSize=f"{font.pointSizeF():.0f}pt",
                                    labelTextColor=fg, brush=pg.mkBrush(bg.red(), bg.green(), bg.blue(), 210))
        self.legend.setParentItem(self.loss_plot.getViewBox())
        self.legend.addItem(self.items["loss"], "train")
        self.legend.addItem(self.items["val_loss"], "validation")
        self._ce_legend = False  # the cross-entropy entry is listed only with L2 on
        self.cursor_line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(fg.red(), fg.green(), fg.blue(), 70))
        self.cursor_line.hide()
        self.acc_plot.addItem(self.cursor_line, ignoreBounds=True)
        self.cursor_line2 = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(fg.red(), fg.green(), fg.blue(), 70))
        self.cursor_line2.hide()
        self.loss_plot.addItem(self.cursor_line2, ignoreBounds=True)
        self.body_layout.addWidget(self.view, 1)
        style_plot(self.view, [self.loss_plot, self.acc_plot], self)
        # the epoch a Film view shows (``mark_epoch``)
        film_pen = pg.mkPen(QColor(TAB10[3]), width=2)
        self.film_lines = [pg.InfiniteLine(angle=90, movable=False, pen=film_pen)
                           for _ in range(2)]
        for plot, line in zip((self.loss_plot, self.acc_plot), self.film_lines):
            line.hide()
            plot.addItem(line, ignoreBounds=True)

        # where a continued run started (Continue training): dashed lines between epochs
        self._continue_lines: list = []
        self._x_span: Optional[int] = None
        self._hover_throttled = qthrottled(self._hover_scene_pos, timeout=25, parent=self)
        self.view.scene().sigMouseMoved.connect(lambda pos: self._hover_throttled(QPointF(pos)))
        self.watch_leave(self.view.viewport())

    # -- drawing ---------------------------------------------------------------------------------
    def _draw(self, result: TrainingCurves) -> None:
        hist = result.history or {}
        n = max((len(hist.get(k, ())) for k in SERIES), default=0)
        if n == 0 and not result.running and result.epochs_planned <= 0:
            self.clear()
            return
        for key, item in self.items.items():
            y = np.asarray(hist.get(key, ()), dtype=float)
            item.setData(np.arange(1, len(y) + 1, dtype=float), y)
        with_l2 = any(v > 0 for v in hist.get("penalty", ()))
        self.loss_plot.setLabel("left", "loss incl. L2" if with_l2 else "loss")
        if with_l2 and self._ce_legend is False:
            self.legend.addItem(self.items["val_cross_entropy"], "validation cross-entropy")
            self._ce_legend = True
        elif not with_l2 and self._ce_legend:
            self.legend.removeItem(self.items["val_cross_entropy"])
            self._ce_legend = False
        for plot in (self.loss_plot, self.acc_plot):
            if n:
                plot.enableAutoRange(axis="y")
            else:
                plot.setYRange(0, 1, padding=0.05)
        self._mark_continued(tuple(getattr(result, "continued_at", ())))
        span = max(int(result.epochs_planned), n, 1)
        if span != self._x_span:
            self._x_span = span
            self.loss_plot.setXRange(0.5, span + 0.5, padding=0)
            step = _nice_step(span)
            for plot in (self.loss_plot, self.acc_plot):
                plot.getAxis("bottom").setTickSpacing(step, step)
        self.subtitle.setText(self._status_text(result, n))

    def _status_text(self, r: TrainingCurves, n: int) -> str:
        planned = max(int(r.epochs_planned), n)
        if r.running:
            head = f"<b>Epoch {n} / {planned}</b> \u00b7 training\u2026" if n else \
                f"<b>Epoch 0 / {planned}</b> \u00b7 starting\u2026"
        elif r.stopped:
            head = f"<b>Stopped at epoch {n}</b> of {planned}"
        else:
            head = f"<b>{n} epoch{'s' if n != 1 else ''}</b>"
        last = self._values_at(n - 1) if n else ""
        return head + (f" \u00b7 {last}" if last else "")

    def _values_at(self, i: int) -> str:
        hist = (self._result.history or {}) if self._result is not None else {}

        def get(key):
            seq = hist.get(key, ())
            return float(seq[i]) if 0 <= i < len(seq) else None

        parts = []
        loss, vloss, acc, vacc, vce = (get(k) for k in SERIES)
        name = "loss incl. L2" if get("penalty") else "loss"
        if loss is not None:
            parts.append(f"{name} {loss:.3f}" + (f" (val {vloss:.3f})" if vloss is not None
                                                else ""))
            if vce is not None:
                parts.append(f"val cross-entropy {vce:.3f}")
        elif vloss is not None:
            parts.append(f"val loss {vloss:.3f}")
        if acc is not None:
            parts.append(f"acc {100 * acc:.1f} %" + (f" (val {100 * vacc:.1f} %)" if vacc is not None else ""))
        elif vacc is not None:
            parts.append(f"val acc {100 * vacc:.1f} %")
        return " \u00b7 ".join(part.replace(" ", "\u00a0") for part in parts)  # wrap between parts only

    def _mark_continued(self, at: tuple[int, ...]) -> None:
        """A dashed line after each epoch where a continued run started."""
        for plot, line in self._continue_lines:
            plot.removeItem(line)
        self._continue_lines = []
        pen = pg.mkPen((120, 120, 120), width=1, style=Qt.PenStyle.DashLine)
        for epoch in at:
            for plot in (self.loss_plot, self.acc_plot):
                line = pg.InfiniteLine(pos=epoch + 0.5, angle=90, movable=False, pen=pen)
                line.setToolTip(f"continued training after epoch {epoch}")
                plot.addItem(line, ignoreBounds=True)
                self._continue_lines.append((plot, line))

    def continued_marks(self) -> list[float]:
        """Where the dashed continued-run lines are (for tests)."""
        return sorted({line.value() for _, line in self._continue_lines})

    def mark_epoch(self, epoch: Optional[int]) -> None:
        """Mark ``epoch`` on both plots (the frame a Film view shows); None or 0 hides it."""
        for line in self.film_lines:
            line.setVisible(bool(epoch))
            if epoch:
                line.setValue(float(epoch))

    def marked_epoch(self) -> Optional[int]:
        line = self.film_lines[0]
        return int(line.value()) if line.isVisible() else None

    def _clear_content(self) -> None:
        for item in self.items.values():
            item.setData([], [])
        self._mark_continued(())
        self._x_span = None
        self.subtitle.clear()
        self.cursor_line.hide()
        self.cursor_line2.hide()

    def displayed(self) -> dict:
        if self._result is None:
            return {}
        out = {}
        for key, item in self.items.items():
            x, y = item.getData()
            out[key] = np.asarray(y if y is not None else [], dtype=float)
            if key == "loss":
                out["epochs"] = np.asarray(x if x is not None else [], dtype=float)
        out["x_range"] = np.asarray(self.loss_plot.getViewBox().viewRange()[0], dtype=float)
        out["status"] = self.subtitle.text()
        return out

    # -- hover -----------------------------------------------------------------------------------
    def _hover_scene_pos(self, scene_pos: QPointF) -> None:
        if self._result is None:
            return
        plot = None
        for p in (self.loss_plot, self.acc_plot):
            if p.getViewBox().sceneBoundingRect().contains(scene_pos):
                plot = p
        n = max((len(self.items[k].getData()[0] if self.items[k].getData()[0] is not None else ())
                 for k in SERIES), default=0)
        if plot is None or n == 0:
            self.hide_hover()
            return
        x = plot.getViewBox().mapSceneToView(scene_pos).x()
        epoch = int(round(x))
        if not 1 <= epoch <= n:
            self.hide_hover()
            return
        self.cursor_line.setPos(epoch)
        self.cursor_line2.setPos(epoch)
        self.cursor_line.show()
        self.cursor_line2.show()
        lines = [f"epoch {epoch}"] + [part.replace("\u00a0", " ")
                                      for part in self._values_at(epoch - 1).split(" \u00b7 ")]
        self.show_hover(scene_to_panel(self, self.view, scene_pos), [], lines)

    def hide_hover(self) -> None:
        super().hide_hover()
        if hasattr(self, "cursor_line"):
            self.cursor_line.hide()
            self.cursor_line2.hide()
