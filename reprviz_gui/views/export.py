"""Any view as a figure: PNG (1×–4×), SVG, PDF, or on the clipboard — one function per format,
each taking a ``Panel``; a view needs no code of its own to be exported.

The figure is the view as it is drawn (plot, axes, legend, colour bar, its own controls' state)
under a title strip naming the view (and what it shows, when the view says: ``figure_title()``).
It is painted by Qt into the target device:

- PNG: a ``QImage`` with a device-pixel ratio of the scale, so the views draw at that resolution
  (the map rasterises its points at it, text stays sharp) rather than an upscaled screen image.
- SVG: ``QSvgGenerator``. Lines, text and shapes become SVG elements; the map's point cloud
  (``point_cloud.PointCloud``) paints itself as one image, so a 70,000-point map is one
  ``<image>`` rather than 70,000 elements.
- PDF: pyqtgraph has no PDF exporter; the same painting goes to a ``QPdfWriter`` whose page is
  the figure's size (96 px per inch, as on screen).

Every file goes through ``core/io/atomic.py``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Callable, Optional, Sequence

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QObject, QPoint, QRect, \
    QSize, QSizeF, Qt
from PySide6.QtGui import QFont, QGuiApplication, QImage, QPageLayout, QPageSize, QPainter, \
    QPalette, QPdfWriter, QRegion
from PySide6.QtWidgets import QMenu, QWidget

from ..core.io.atomic import atomic_write_bytes
from .base import Panel

FORMATS = ("png", "svg", "pdf")
MIN_SCALE, MAX_SCALE = 1.0, 4.0
TITLE_PX = 28  # height of the title strip above the view, in px at 1×
PDF_DPI = 96  # the page's resolution: one px of the view is one px at 96 dpi, as on screen
DEFAULT_SIZE = QSize(640, 480)  # a panel never laid out (off screen) is exported at this size


def figure_title(panel: Panel) -> str:
    """The title over the figure: the view's own ``figure_title()`` when it has one, else its
    title (and the layer, when its result names one)."""
    own = getattr(panel, "figure_title", None)
    if callable(own):
        text = own()
        if text:
            return str(text)
    layer = getattr(panel.result(), "layer_name", "") if panel.result() is not None else ""
    return f"{panel.title} · layer {layer}" if layer else panel.title


def _prepare(panel: Panel) -> QSize:
    """Draw a result that waits (a hidden view) and lay the panel out; its size in px."""
    panel.draw_now()
    if not panel.isVisible() and (panel.width() < 100 or panel.height() < 100):
        panel.resize(panel.size().expandedTo(DEFAULT_SIZE))  # never laid out on screen
    panel.ensurePolished()
    if panel.layout() is not None:
        panel.layout().activate()
    return panel.size()


def figure_size(panel: Panel) -> QSize:
    """The figure's size in px at 1×: the panel plus the title strip."""
    size = _prepare(panel)
    return QSize(size.width(), size.height() + TITLE_PX)


def paint_panel(panel: Panel, painter: QPainter, title: Optional[str] = None) -> None:
    """Paint the title strip and the panel with ``painter``, at (0, 0), in px at 1×."""
    size = _prepare(panel)
    background = panel.palette().color(QPalette.ColorRole.Window)
    painter.fillRect(QRect(0, 0, size.width(), size.height() + TITLE_PX), background)
    font = QFont(panel.font())
    font.setBold(True)
    font.setPointSizeF(max(9.0, font.pointSizeF() * 1.1))
    painter.setFont(font)
    painter.setPen(panel.palette().color(QPalette.ColorRole.WindowText))
    painter.drawText(QRect(8, 0, size.width() - 16, TITLE_PX),
                     int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                     figure_title(panel) if title is None else title)
    # what a panel shows over its figure only while the user works (hover card, busy badge)
    # stays out of the figure
    hidden = [w for w in (getattr(panel, "tooltip", None), getattr(panel, "_busy", None))
              if isinstance(w, QWidget) and w.isVisible()]
    for w in hidden:
        w.hide()
    try:
        panel.render(painter, QPoint(0, TITLE_PX), QRegion(0, 0, size.width(), size.height()),
                     QWidget.RenderFlag.DrawChildren | QWidget.RenderFlag.DrawWindowBackground)
    finally:
        for w in hidden:
            w.show()


def panel_image(panel: Panel, scale: float = 1.0, title: Optional[str] = None) -> QImage:
    """The figure as an image of ``scale`` × its size (1–4), drawn at that resolution."""
    scale = min(MAX_SCALE, max(MIN_SCALE, float(scale)))
    size = figure_size(panel)
    image = QImage(int(round(size.width() * scale)), int(round(size.height() * scale)),
                   QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(scale)
    image.fill(panel.palette().color(QPalette.ColorRole.Window))
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        paint_panel(panel, painter, title)
    finally:
        painter.end()
    return image


def png_bytes(panel: Panel, scale: float = 1.0, title: Optional[str] = None) -> bytes:
    image = panel_image(panel, scale, title)
    image.setDevicePixelRatio(1.0)  # the file's pixels, not a HiDPI hint
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buf, "PNG"):
        raise OSError("the image could not be encoded as PNG")
    buf.close()
    return bytes(data.data())


def svg_bytes(panel: Panel, title: Optional[str] = None) -> bytes:
    from PySide6.QtSvg import QSvgGenerator  # only here: the window starts without QtSvg

    size = figure_size(panel)
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    gen = QSvgGenerator()
    gen.setOutputDevice(buf)
    gen.setSize(size)
    gen.setViewBox(QRect(0, 0, size.width(), size.height()))
    gen.setTitle(figure_title(panel) if title is None else title)
    gen.setDescription("Exported from reprviz")
    painter = QPainter(gen)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        paint_panel(panel, painter, title)
    finally:
        painter.end()
    buf.close()
    return bytes(data.data())


def pdf_bytes(panel: Panel, title: Optional[str] = None) -> bytes:
    size = figure_size(panel)
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buf)
    writer.setResolution(PDF_DPI)
    points = QSizeF(size.width() * 72.0 / PDF_DPI, size.height() * 72.0 / PDF_DPI)
    writer.setPageLayout(QPageLayout(QPageSize(points, QPageSize.Unit.Point, "figure",
                                               QPageSize.SizeMatchPolicy.ExactMatch),
                                     QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
    writer.setTitle(figure_title(panel) if title is None else title)
    writer.setCreator("reprviz")
    painter = QPainter(writer)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        paint_panel(panel, painter, title)
    finally:
        painter.end()
    buf.close()
    return bytes(data.data())


def export_bytes(panel: Panel, fmt: str, scale: float = 1.0, title: Optional[str] = None) -> bytes:
    fmt = fmt.lower().lstrip(".")
    if fmt == "png":
        return png_bytes(panel, scale, title)
    if fmt == "svg":
        return svg_bytes(panel, title)
    if fmt == "pdf":
        return pdf_bytes(panel, title)
    raise ValueError(f"unknown figure format {fmt!r} (one of {', '.join(FORMATS)})")


def save_panel(panel: Panel, path: str | Path, fmt: Optional[str] = None, scale: float = 1.0,
               title: Optional[str] = None) -> Path:
    """Write the view to ``path`` as PNG, SVG or PDF (by ``fmt``, else by the file's suffix),
    atomically. ``scale`` applies to PNG only (the others are vector, the map's points drawn
    at 1×)."""
    path = Path(path)
    fmt = (fmt or path.suffix or ".png").lower().lstrip(".")
    data = export_bytes(panel, fmt, scale, title)
    return atomic_write_bytes(path, data)


def copy_image(panel: Panel, scale: float = 1.0) -> QImage:
    """Put the view on the clipboard as an image (what *Copy image* does); returns it."""
    image = panel_image(panel, scale)
    QGuiApplication.clipboard().setImage(image)
    return image


def file_name(panel: Panel, fmt: str, suffix: str = "") -> str:
    """A file name for the view: its id, an optional suffix (the model) and the format."""
    base = panel.panel_id + (f"-{suffix}" if suffix else "")
    return f"{base}.{fmt.lower().lstrip('.')}"



def export_figures(folder: str | Path, panels: Sequence[tuple[str, Panel]],
                   formats: Sequence[str] = ("png",), scale: float = 1.0,
                   should_stop: Optional[Callable[[], bool]] = None) -> list[Path]:
    """Every ``(name, panel)`` in every format, into ``folder`` as ``<name>.<format>``
    (``name``: the view id, with "-B" for a compared model's). Empty views are skipped."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, panel in panels:
        if panel.is_empty():
            continue
        for fmt in formats:
            if should_stop is not None and should_stop():
                return written
            written.append(save_panel(panel, folder / f"{name}.{fmt}", fmt, scale))
    return written


def report_figures(panels: Sequence[tuple[str, Panel]], scale: float = 1.0) -> list:
    """The non-empty views as ``ReportFigure``s (PNG bytes and a caption) for the HTML report."""
    from ..core.io.html_report import ReportFigure

    return [ReportFigure(figure_title(panel), png_bytes(panel, scale))
            for _, panel in panels if not panel.is_empty()]


# ---------------------------------------------------------------------------------------------
# The view's context menu: Export as PNG/SVG/PDF…, Copy image
# ---------------------------------------------------------------------------------------------
class ViewMenu(QObject):
    """Right-click anywhere in a view that has no menu of its own (plots, tables, tiles):
    *Export as PNG* (1×–4×) / *SVG…* / *PDF…* and *Copy image*. ``install_view_menu`` sets it
    up; the file dialog starts in the folder used last (shared by all views)."""

    last_folder = ""

    def __init__(self, panel: Panel) -> None:
        super().__init__(panel)
        self.panel = panel
        self.last_path: Optional[Path] = None
        panel.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        panel.customContextMenuRequested.connect(self.popup)

    def menu(self) -> QMenu:
        menu = QMenu(self.panel)
        menu.setObjectName("view_export_menu")
        png = menu.addMenu("Export as PNG")
        for k in range(int(MIN_SCALE), int(MAX_SCALE) + 1):
            png.addAction(f"{k}× ({k * 96} dpi)…").triggered.connect(
                functools.partial(self.ask_and_save, "png", float(k)))
        menu.addAction("Export as SVG…").triggered.connect(
            functools.partial(self.ask_and_save, "svg", 1.0))
        menu.addAction("Export as PDF…").triggered.connect(
            functools.partial(self.ask_and_save, "pdf", 1.0))
        menu.addSeparator()
        menu.addAction("Copy image").triggered.connect(self.copy)
        return menu

    def popup(self, pos: QPoint) -> None:
        menu = self.menu()
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.panel.mapToGlobal(pos))

    def copy(self, *_: object) -> None:
        copy_image(self.panel, 2.0)

    def ask_and_save(self, fmt: str, scale: float, *_: object) -> Optional[Path]:
        from PySide6.QtWidgets import QFileDialog, QMessageBox

        start = Path(ViewMenu.last_folder or Path.home()) / file_name(self.panel, fmt)
        filters = {"png": "PNG image (*.png)", "svg": "SVG drawing (*.svg)",
                   "pdf": "PDF document (*.pdf)"}
        path, _ = QFileDialog.getSaveFileName(self.panel, f"Export {self.panel.title}",
                                              str(start), filters[fmt])
        if not path:
            return None
        if not path.lower().endswith(f".{fmt}"):
            path += f".{fmt}"
        try:
            self.last_path = save_panel(self.panel, path, fmt, scale)
        except OSError as err:
            QMessageBox.warning(self.panel, "reprviz",
                                f"Cannot write {path}: {err.strerror or err}")
            return None
        ViewMenu.last_folder = str(Path(path).parent)
        return self.last_path


def install_view_menu(panel: Panel) -> ViewMenu:
    """Give ``panel`` the export context menu (once)."""
    existing = getattr(panel, "_view_menu", None)
    if existing is None:
        existing = ViewMenu(panel)
        panel._view_menu = existing
    return existing
