"""Every registered view as PNG, SVG and PDF (views/export.py), run from the registry so a new
view is covered without a new test; the 70,000-point map's SVG holds its points as one image."""

from __future__ import annotations

import base64
import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from gui_support import wait_idle
from PIL import Image
from PySide6.QtWidgets import QApplication
from view_support import (big_projection, make_curves, make_evaluation, make_layer,
                          make_predictions, make_projection, make_samples, settle, shown)

from reprviz_gui.views import export
from reprviz_gui.views.map_view import MapPanel
from reprviz_gui.views.registry import VIEWS

SVG = "{http://www.w3.org/2000/svg}"

# hand-made results of the products a view test can make without a model; the other views
# are exported from a real window in the slow test below
MAKERS = {
    "layer": make_layer,
    "map": make_projection,
    "evaluation": lambda: make_evaluation(make_predictions(), make_samples().labels),
    "curves": lambda: make_curves(5, running=False),
}


def check_exports(panel, tmp_path, name: str) -> dict:
    """PNG (1× and 2×), SVG and PDF of ``panel``: non-empty, parseable, the right size."""
    size = export.figure_size(panel)
    png = export.save_panel(panel, tmp_path / f"{name}.png")
    img = Image.open(png)
    assert img.size == (size.width(), size.height()), name
    assert len(set(np.asarray(img.convert("L")).ravel().tolist())) > 2, f"{name}: a blank PNG"
    big = Image.open(io.BytesIO(export.png_bytes(panel, scale=2)))
    assert big.size == (2 * size.width(), 2 * size.height())
    svg = export.save_panel(panel, tmp_path / f"{name}.svg")
    root = ET.parse(svg).getroot()  # parses as XML
    assert root.tag == f"{SVG}svg" and len(list(root.iter())) > 3, name
    assert root.find(f"{SVG}title").text == export.figure_title(panel)
    pdf = export.save_panel(panel, tmp_path / f"{name}.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and b"%%EOF" in pdf[-64:] and len(pdf) > 1000, name
    return {"svg": root, "png": img}


@pytest.mark.parametrize("spec", VIEWS, ids=lambda s: s.id)
def test_every_registered_view_exports(qtbot, tmp_path, spec):
    panel = shown(qtbot, spec.create(), (560, 420))
    for kind in spec.products:
        if kind in MAKERS:
            result = MAKERS[kind]()
            if hasattr(panel, "show_product"):
                panel.show_product(kind, "A", result)
            else:
                panel.show_result(result)
    settle()
    check_exports(panel, tmp_path, spec.id)


def test_map_of_70000_points_is_one_image_in_svg(qtbot, tmp_path):
    panel = shown(qtbot, MapPanel(), (700, 520))
    panel.show_result(big_projection(70_000))
    settle()
    out = check_exports(panel, tmp_path, "map70k")
    # the points: one big image (the small ones are the controls' and legend's swatches)
    drawn = []
    for e in out["svg"].iter(f"{SVG}image"):
        href = e.get("{http://www.w3.org/1999/xlink}href") or e.get("href")
        pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(href.split(",", 1)[1])))
                            .convert("RGBA"))
        drawn.append(int((pixels[..., 3] > 0).sum() - (pixels[..., :3].min(-1) > 240).sum()))
    assert sorted(drawn)[-1] > 20_000 and sorted(drawn)[-2] < 2_000  # one image of points
    assert len(list(out["svg"].iter())) < 2_000  # not one element per point
    assert (tmp_path / "map70k.svg").stat().st_size < 3_000_000
    # the title names the view and its layer; a view's own title wins
    assert export.figure_title(panel) == "Map · layer d"


def test_copy_image_puts_the_view_on_the_clipboard(qtbot):
    panel = shown(qtbot, MapPanel(), (400, 300))
    panel.show_result(make_projection())
    settle()
    image = export.copy_image(panel)
    got = QApplication.clipboard().image()
    assert not got.isNull() and got.size() == image.size()
    assert got.width() == 400


@pytest.mark.slow
def test_every_view_of_a_real_window_exports(window, qtbot, tmp_path):
    """The window after training: every registered view shown (the course views too) and
    exported with what it draws for a real model."""
    window.controller.train("A")
    qtbot.waitUntil(lambda: not window.controller.training_sessions(), timeout=120_000)
    for spec in VIEWS:
        window.docks[spec.id].show()
        window.docks[spec.id].raise_()
        wait_idle(qtbot, window)
        view = window.view(spec.id, "A")
        check_exports(view, tmp_path, spec.id)
