"""File → Export… and each view's context menu, driven as a user does in a real window."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET

from gui_support import wait_idle
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QFileDialog, QMenu

from reprviz_gui.views import export


def test_file_export_writes_every_kind_of_export(window, qtbot, tmp_path):
    wait_idle(qtbot, window)
    window.commands["export"].trigger()
    dialog = window.export_dialog
    assert dialog.isVisible()
    dialog.folder.clear()
    qtbot.keyClicks(dialog.folder, str(tmp_path / "out"))
    dialog.fmt.setCurrentText("SVG")
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: getattr(window, "last_export", None) is not None, timeout=60_000)
    out = tmp_path / "out"
    names = {p.relative_to(out).as_posix() for p in window.last_export[0]}
    assert {"projector/tensors.tsv", "projector/metadata.tsv", "projector/projector_config.pbtxt",
            "map.csv", "map.npy", "activations.npy", "report.html"} <= names
    layer = window.controller.result("layer", "A")
    rows = (out / "projector" / "metadata.tsv").read_text().splitlines()
    assert len(rows) == layer.samples.n + 1
    svgs = [n for n in names if n.endswith(".svg")]
    assert "map.svg" in svgs and "heatmap.svg" in svgs
    for n in svgs:
        ET.parse(out / n)
    assert "Exported" in window.statusBar().currentMessage()
    with open(out / "map.csv", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == window.controller.result("map", "A").samples.n


def test_view_context_menu_exports_and_copies(window, qtbot, tmp_path, monkeypatch):
    wait_idle(qtbot, window)
    view = window.view("map", "A")
    # a right-click on the view's legend (no menu of its own) opens the export menu
    target = view.legend.viewport()
    QApplication.sendEvent(target, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, QPoint(5, 5),
                                                     target.mapToGlobal(QPoint(5, 5))))
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu))
    menu = QApplication.activePopupWidget()
    texts = [a.text() for a in menu.actions() if a.text()]
    assert texts == ["Export as PNG", "Export as SVG…", "Export as PDF…", "Copy image"]
    menu.close()
    # and so does a right-click in the plot itself (its own pyqtgraph menu is off)
    plot = view.view.viewport()
    at = QPoint(50, 50)
    QApplication.sendEvent(plot, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at,
                                                   plot.mapToGlobal(at)))
    qtbot.waitUntil(lambda: isinstance(QApplication.activePopupWidget(), QMenu))
    assert QApplication.activePopupWidget().objectName() == "view_export_menu"
    QApplication.activePopupWidget().close()

    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(tmp_path / "the-map"), "PDF document (*.pdf)"))
    vm = view._view_menu
    pdf = vm.menu()
    next(a for a in pdf.actions() if a.text() == "Export as PDF…").trigger()
    assert (tmp_path / "the-map.pdf").read_bytes().startswith(b"%PDF")
    QApplication.clipboard().clear()
    next(a for a in vm.menu().actions() if a.text() == "Copy image").trigger()
    image = QApplication.clipboard().image()
    assert image.width() == 2 * export.figure_size(view).width()
