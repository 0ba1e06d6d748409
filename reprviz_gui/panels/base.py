"""The panel interface and the pieces every panel shares.

A panel is display only: it gets one frozen result object (``reprviz_gui.state``) and draws it.
It never computes analysis; at most it picks display levels (percentiles) or colours.

Shared here:
- ``Panel``: empty state with a centred hint, a light "Computing..." badge that leaves the drawing
  in place, the hover card, the selection hooks (``samples_picked`` / ``set_highlight``).
- ``BandAxisItem``: a pyqtgraph axis that labels contiguous class bands (rows grouped by class)
  with the class name at each band's centre, drops labels that would collide, elides long names and
  turns the bottom labels vertical when they do not fit side by side.
- helpers to describe one sample for a hover card and to theme plots from the Qt palette.
"""

from __future__ import annotations

import functools
from typing import Any, Optional, Sequence

import shiboken6

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QSizePolicy, QStackedWidget, QVBoxLayout, QWidget

from reprviz_gui.state import SampleSet
from reprviz_gui.widgets.thumbnail_tooltip import ThumbnailTooltip

DEFAULT_HINT = "Train or load a model, then pick a layer"
BUSY_TEXT = "Computing\u2026"


# ---------------------------------------------------------------------------------------------
# Sample descriptions (hover cards)
# ---------------------------------------------------------------------------------------------
def class_name(samples: SampleSet, cls: int) -> str:
    cls = int(cls)
    if 0 <= cls < len(samples.class_names):
        return samples.class_names[cls]
    return f"class {cls}"


def elide(text: str, n: int = 90) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "\u2026"


def sample_title(samples: SampleSet, row: int) -> str:
    """'#1234 (test)' -- the index within the split, which is what users can look up."""
    return f"#{int(samples.indices[row])} ({samples.split})"


def sample_lines(samples: SampleSet, row: int, *, with_prediction: bool = True) -> list[str]:
    """A few lines that identify one sample: index, word/text, true and predicted class."""
    lines = []
    head = sample_title(samples, row)
    if samples.words is not None and row < len(samples.words):
        head += f"  \u201c{samples.words[row]}\u201d"
    lines.append(head)
    true = int(samples.labels[row])
    if with_prediction and samples.predictions is not None:
        pred = int(samples.predictions[row])
        mark = "\u2713" if pred == true else "\u2717"
        lines.append(f"true: {class_name(samples, true)}")
        lines.append(f"predicted: {class_name(samples, pred)} {mark}")
    else:
        lines.append(f"class: {class_name(samples, true)}")
    if samples.texts is not None and row < len(samples.texts):
        lines.append(elide(samples.texts[row]))
    return lines


def sample_thumbnail(samples: SampleSet, row: int) -> Optional[np.ndarray]:
    if samples.thumbnails is None or row >= len(samples.thumbnails):
        return None
    return samples.thumbnails[row]


# ---------------------------------------------------------------------------------------------
# Theming
# ---------------------------------------------------------------------------------------------
def palette_colors(widget: QWidget) -> tuple[QColor, QColor]:
    """(background, foreground) for plots, following the light/dark Qt palette."""
    pal = widget.palette()
    return pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text)


def style_plot(view: pg.GraphicsView, plots: Sequence[pg.PlotItem], widget: QWidget) -> None:
    bg, fg = palette_colors(widget)
    view.setBackground(bg)
    axis_pen = pg.mkPen(QColor(fg.red(), fg.green(), fg.blue(), 170), width=1)
    for plot in plots:
        for name in ("left", "bottom", "right", "top"):
            ax = plot.getAxis(name)
            ax.setPen(axis_pen)
            ax.setTextPen(pg.mkPen(fg))
        if plot.titleLabel is not None:
            plot.titleLabel.setAttr("color", fg.name())


def make_subtitle() -> QLabel:
    """One line of context above a plot; never forces the dock wider (clipped, full text on hover)."""
    lab = QLabel()
    lab.setObjectName("panelSubtitle")
    lab.setTextFormat(Qt.TextFormat.RichText)
    lab.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    lab.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    return lab


def style_colorbar(bar: pg.ColorBarItem, widget: QWidget) -> None:
    _, fg = palette_colors(widget)
    bar.axis.setTextPen(pg.mkPen(fg))
    bar.axis.setTickFont(tick_font())


def tick_font(point_delta: float = -0.5) -> QFont:
    f = QFont(QApplication.font())
    if f.pointSizeF() > 0:
        f.setPointSizeF(max(7.0, f.pointSizeF() + point_delta))
    return f


# ---------------------------------------------------------------------------------------------
# Class-band axis
# ---------------------------------------------------------------------------------------------
class BandAxisItem(pg.AxisItem):
    """Axis labelled by contiguous bands [(start, stop, name), ...] in data coordinates.

    Without bands it behaves exactly like ``pg.AxisItem``. With bands it draws a tick at each band
    boundary and the (elided) name at the centre of the visible part of each band; labels that
    would overlap the previous one are skipped, so 100 classes in a small dock stay readable.
    A bottom axis turns its labels vertical when they do not fit horizontally.
    """

    GAP = 3  # px between neighbouring labels

    def __init__(self, orientation: str, max_label_px: int = 110, **kwargs):
        super().__init__(orientation, **kwargs)
        self._bands: Optional[list[tuple[float, float, str]]] = None
        self._max_label_px = max_label_px
        self._rotated = False
        self._rot_specs: list[tuple[QPointF, str]] = []
        self.setTickFont(tick_font())

    def bands(self) -> Optional[list[tuple[float, float, str]]]:
        return None if self._bands is None else list(self._bands)

    def label_texts(self) -> list[str]:
        """The (elided) band names this axis would draw, in band order."""
        return [] if self._bands is None else [name for _, _, name in self._bands]

    def _font(self) -> QFont:
        return self.style["tickFont"] if self.style["tickFont"] is not None else QFont()

    def set_bands(self, bands: Optional[Sequence[tuple[float, float, str]]]) -> None:
        if not bands:
            self._bands = None
            self._rotated = False
            self.setTicks(None)
            if self.orientation in ("left", "right"):
                self.setWidth(None)
            else:
                self.setHeight(None)
            self.picture = None
            self.update()
            return
        fm = QFontMetricsF(self._font())
        self._bands = [
            (float(a), float(b), fm.elidedText(str(n), Qt.TextElideMode.ElideRight, self._max_label_px))
            for a, b, n in bands
        ]
        widest = max(fm.horizontalAdvance(n) for _, _, n in self._bands)
        extra = self.style["tickTextOffset"][0 if self.orientation in ("left", "right") else 1]
        extra += max(0, self.style["tickLength"]) + 4
        if self.orientation in ("left", "right"):
            self.setWidth(int(np.ceil(widest + extra)))
        else:
            self._rotated = self._needs_rotation()
            self._fit_height(self._rotated)
        self.picture = None
        self.update()

    def _needs_rotation(self) -> bool:
        """Bottom/top labels go vertical when any name is wider than its band on screen."""
        if self._bands is None or self.orientation in ("left", "right"):
            return False
        lo, hi = self.range
        width = self.width()
        if hi == lo or width <= 0:
            return self._rotated
        px_per_unit = width / abs(hi - lo)
        fm = QFontMetricsF(self._font())
        return any(fm.horizontalAdvance(n) + 2 * self.GAP > abs(b - a) * px_per_unit
                   for a, b, n in self._bands)

    def _update_rotation(self) -> None:
        if getattr(self, "_bands", None) is None or self.orientation in ("left", "right"):
            return
        rotated = self._needs_rotation()
        if rotated != self._rotated or self.fixedHeight is None:
            self._rotated = rotated
            self._fit_height(rotated)

    def resizeEvent(self, ev=None):  # noqa: N802
        super().resizeEvent(ev)
        self._update_rotation()

    def linkedViewChanged(self, view=None, newRange=None):  # noqa: N802
        super().linkedViewChanged(view, newRange)
        self._update_rotation()

    def _fit_height(self, rotated: bool) -> None:
        fm = QFontMetricsF(self._font())
        extra = self.style["tickTextOffset"][1] + max(0, self.style["tickLength"]) + 4
        if rotated and self._bands:
            h = max(fm.horizontalAdvance(n) for _, _, n in self._bands) + extra
        else:
            h = fm.height() + extra
        if self.label.isVisible():
            h += self.label.boundingRect().height() * 0.8
        self.setHeight(int(np.ceil(h)))

    # pyqtgraph calls this from paint(); it returns (axisSpec, tickSpecs, textSpecs).
    def generateDrawSpecs(self, p):
        if self._bands is None:
            self._rot_specs = []
            return super().generateDrawSpecs(p)
        p.setFont(self._font())
        fm = QFontMetricsF(self._font())
        bounds = self.mapRectFromParent(self.geometry())
        vertical = self.orientation in ("left", "right")
        lo, hi = self.range
        dif = hi - lo
        if dif == 0:
            return None
        if vertical:
            scale = -bounds.height() / dif
            offset = lo * scale - bounds.height()
            span = (bounds.topRight(), bounds.bottomRight()) if self.orientation == "left" else (
                bounds.topLeft(), bounds.bottomLeft())
            tick_stop = bounds.right() if self.orientation == "left" else bounds.left()
            tick_dir = -1 if self.orientation == "left" else 1
            length_px = bounds.height()
        else:
            scale = bounds.width() / dif
            offset = lo * scale
            span = (bounds.topLeft(), bounds.topRight()) if self.orientation == "bottom" else (
                bounds.bottomLeft(), bounds.bottomRight())
            tick_stop = bounds.top() if self.orientation == "bottom" else bounds.bottom()
            tick_dir = 1 if self.orientation == "bottom" else -1
            length_px = bounds.width()

        def px(v: float) -> float:
            return v * scale - offset

        axis_spec = (self.pen(), span[0], span[1])
        tick_len = max(0, self.style["tickLength"]) + 1
        tick_pen = self.tickPen()
        tick_specs = []
        edges = sorted({b[0] for b in self._bands} | {b[1] for b in self._bands})
        for e in edges:
            x = px(e)
            if -0.5 <= x <= length_px + 0.5:
                p1 = [x, x]
                p2 = [x, x]
                axis = 0 if vertical else 1
                p1[axis] = tick_stop
                p2[axis] = tick_stop + tick_len * tick_dir
                tick_specs.append((tick_pen, pg.Point(*p1), pg.Point(*p2)))

        # Visible part of each band -> label centre (in px along the axis).
        vis_lo, vis_hi = min(lo, hi), max(lo, hi)
        placed = []  # (centre_px, name, text_width)
        for a, b, name in self._bands:
            a2, b2 = max(min(a, b), vis_lo), min(max(a, b), vis_hi)
            if b2 <= a2:
                continue
            placed.append((px((a2 + b2) / 2.0), name, fm.horizontalAdvance(name)))

        along = (lambda w: fm.height()) if (vertical or self._rotated) else (lambda w: w)
        text_offset = max(0, self.style["tickLength"]) + self.style["tickTextOffset"][0 if vertical else 1]
        text_specs = []
        self._rot_specs = []
        last_end = -1e9
        for order in sorted(placed, key=lambda t: t[0]):
            c, name, w = order
            ext = along(w)
            start = c - ext / 2.0
            if start < last_end + self.GAP:
                continue
            if start < -ext * 0.25 or c + ext / 2.0 > length_px + ext * 0.25:
                continue
            last_end = c + ext / 2.0
            h = fm.height()
            flags = Qt.TextFlag.TextDontClip
            if vertical:
                if self.orientation == "left":
                    rect = QRectF(tick_stop - text_offset - w - 1, c - h / 2, w + 1, h)
                    flags |= Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                else:
                    rect = QRectF(tick_stop + text_offset, c - h / 2, w + 1, h)
                    flags |= Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
                text_specs.append((rect, flags, name))
            elif self._rotated:
                # Anchor: the end of the text sits just below the axis, reading bottom-to-top.
                y = tick_stop + text_offset if self.orientation == "bottom" else tick_stop - text_offset
                self._rot_specs.append((QPointF(c, y), name))
            else:
                if self.orientation == "bottom":
                    rect = QRectF(c - w / 2, tick_stop + text_offset, w + 1, h)
                    flags |= Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
                else:
                    rect = QRectF(c - w / 2, tick_stop - text_offset - h, w + 1, h)
                    flags |= Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom
                text_specs.append((rect, flags, name))
        return axis_spec, tick_specs, text_specs

    def drawPicture(self, p, axisSpec, tickSpecs, textSpecs):
        super().drawPicture(p, axisSpec, tickSpecs, textSpecs)
        if not self._rot_specs:
            return
        fm = QFontMetricsF(self._font())
        p.setFont(self._font())
        p.setPen(self.textPen())
        h = fm.height()
        for anchor, name in self._rot_specs:
            w = fm.horizontalAdvance(name) + 1
            p.save()
            p.translate(anchor)
            p.rotate(-90)
            # After rotating -90 deg, +x points up the screen and +y to the right.
            if self.orientation == "bottom":
                rect = QRectF(-w, -h / 2, w, h)
                align = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            else:
                rect = QRectF(0, -h / 2, w, h)
                align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
            p.drawText(rect, int(align | Qt.TextFlag.TextDontClip), name)
            p.restore()


def band_separators(bands: Sequence[tuple[int, int, str]]) -> list[float]:
    """Inner boundaries between consecutive bands (where thin separator lines go)."""
    return [float(b[0]) for b in list(bands)[1:]]


def separator_lines(positions: Sequence[float], extent: tuple[float, float], horizontal: bool):
    """x, y arrays for one PlotCurveItem(connect='pairs') drawing all separators at once."""
    pos = np.asarray(positions, dtype=float)
    if pos.size == 0:
        return np.zeros(0), np.zeros(0)
    a = np.repeat(pos, 2)
    b = np.tile(np.asarray(extent, dtype=float), len(pos))
    return (b, a) if horizontal else (a, b)


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
    """Base class of all panels. Subclasses set ``title``/``panel_id`` and implement ``_draw``,
    ``_clear_content`` and ``displayed``; they put their widgets into ``self.body_layout``."""

    title: str = "Panel"
    panel_id: str = "panel"
    empty_hint: str = DEFAULT_HINT

    # User clicks that select samples (row indices into the SampleSet, as an int64 array).
    samples_picked = Signal(object)

    def __init__(self, parent: Optional[QWidget] = None):
        self._windows_before = {id(w) for w in QApplication.topLevelWidgets()}
        super().__init__(parent)
        self.setObjectName(f"panel_{self.panel_id}")
        self._result: Any = None
        self._highlight: Optional[np.ndarray] = None

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
        """Draw one result object (replacing what was shown)."""
        self._result = result
        self.hide_hover()
        self._busy.hide()
        self._stack.setCurrentWidget(self.body)
        self._draw(result)

    def result(self):
        return self._result

    def clear(self, message: str = "") -> None:
        """Forget the result and show a centred hint."""
        self._result = None
        self.hide_hover()
        self._busy.hide()
        self._clear_content()
        self._hint.setText(message or self.empty_hint)
        self._stack.setCurrentWidget(self._hint)

    def is_empty(self) -> bool:
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

    def set_highlight(self, indices: Optional[np.ndarray]) -> None:
        """Mark these SampleSet rows (a shared selection); None clears. Default: remembered only."""
        self._highlight = None if indices is None else np.asarray(indices, dtype=np.int64).ravel()
        self._apply_highlight()

    def highlight(self) -> Optional[np.ndarray]:
        return None if self._highlight is None else self._highlight.copy()

    def displayed(self) -> dict:
        """What is currently drawn, as numpy arrays (for tests); {} when empty."""
        return {}

    def adopt_orphan_windows(self) -> None:
        """Delete, together with this panel, the parentless windows made while building it.

        pyqtgraph leaves hidden parentless widgets behind (a "Plot Options" QMenu and a control
        QWidget per PlotItem, the GraphicsView's first viewport); they only go when Python garbage
        collects the plot objects. Subclasses call this at the end of ``__init__``; the widgets are
        deleted right after the panel is (reparenting them instead crashes pyqtgraph's teardown)."""
        before = getattr(self, "_windows_before", set())
        orphans = [w for w in QApplication.topLevelWidgets()
                   if id(w) not in before and w is not self and w.parent() is None]
        self._windows_before = set()
        if orphans:
            self.destroyed.connect(functools.partial(_delete_widgets, orphans))

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
        self._busy.move(max(0, self.width() - self._busy.width() - 8), 6)

    def resizeEvent(self, event):  # noqa: N802
        super().resizeEvent(event)
        self._place_busy()
        self.hide_hover()

    def leaveEvent(self, event):  # noqa: N802
        self.hide_hover()
        super().leaveEvent(event)


# ---------------------------------------------------------------------------------------------
# Small display helpers
# ---------------------------------------------------------------------------------------------
def robust_levels(a: np.ndarray, lo_pct: float = 1.0, hi_pct: float = 99.0,
                  max_samples: int = 250_000) -> tuple[float, float]:
    """Display levels from percentiles, so a few outliers don't wash the image out.

    Huge arrays are strided down first (levels only need to be approximately right)."""
    flat = np.asarray(a).ravel()
    if flat.size > max_samples:
        flat = flat[:: int(np.ceil(flat.size / max_samples))]
    flat = flat[np.isfinite(flat)]
    if flat.size == 0:
        return 0.0, 1.0
    lo, hi = (float(v) for v in np.percentile(flat, [lo_pct, hi_pct]))
    if not hi > lo:
        lo, hi = float(flat.min()), float(flat.max())
    if not hi > lo:
        hi = lo + (abs(lo) * 1e-3 if lo else 1.0)
    return lo, hi


def scene_to_panel(panel: QWidget, view: pg.GraphicsView, scene_pos: QPointF) -> QPoint:
    """A scene position of `view` in `panel` widget coordinates (for placing the hover card)."""
    vp = view.mapFromScene(scene_pos)
    return view.viewport().mapTo(panel, vp)


def fmt_count(n: int) -> str:
    return f"{int(n):,}"
