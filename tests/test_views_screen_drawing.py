"""Drawing at screen resolution: the map's point cloud (numpy-rasterised sprites), the nearest
point under the mouse (k-d tree), and big matrices drawn a screen pixel per cell. Each is checked
against the same thing computed another way: pixel colours against the compositing formula and
against Qt drawing the same symbol, the nearest point against a brute-force scan, the drawn
image against the matrix's own cells."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QTransform
from view_support import settle, shown

from reprviz_gui.views.map_tools import PointIndex
from reprviz_gui.core.data.samples import class_bands
from reprviz_gui.views.matrix_image import ScreenImage
from reprviz_gui.views.point_cloud import PointCloud, Sprite


def _rgba(cloud: PointCloud, w: int = 40, h: int = 30) -> np.ndarray:
    """(h, w, 4) premultiplied RGBA the cloud draws with the identity transform (device
    pixel (x, y) = data point (x, y)), margin cut off."""
    image, pad = cloud.rasterise(QTransform(), 0.0, 0.0, w, h, 1.0)
    return image.view(np.uint8).reshape(image.shape + (4,))[pad:pad + h, pad:pad + w]


def test_an_opaque_point_is_its_colour_at_its_pixel_and_nothing_elsewhere():
    cloud = PointCloud("o", size=5)
    cloud.set_data(np.array([[10.0, 7.0]]), np.array([[200, 40, 10, 255]], np.uint8))
    img = _rgba(cloud)
    assert tuple(img[7, 10]) == (200, 40, 10, 255)  # row y, column x
    sprite = Sprite("o", 5, 0, 1.0)
    covered = np.argwhere(img[:, :, 3] > 0)
    expected = {(7 + dy, 10 + dx) for dx, dy in zip(sprite.dx, sprite.dy)}
    assert {tuple(p) for p in covered} == expected
    assert img[0, 0, 3] == 0 and img[7, 20, 3] == 0


def test_the_sprite_covers_what_qt_draws_for_the_same_symbol():
    """The footprint is Qt's own antialiased circle: its summed coverage matches the disc's
    area (pi r^2) within a pixel's worth."""
    for size in (5, 7, 12):
        s = Sprite("o", size, 0, 1.0)
        assert abs(s.coverage.sum() - np.pi * size ** 2 / 4) < 1.0 + 0.1 * size
        assert s.coverage.max() == pytest.approx(1.0, abs=0.02)
    tiny = Sprite("o", 3, 0, 1.0)  # 3 px: the centre and its 4 neighbours, faint corners left
    assert sorted(zip(tiny.dx.tolist(), tiny.dy.tolist())) == \
        [(-1, 0), (0, -1), (0, 0), (0, 1), (1, 0)]
    assert Sprite("o", 3, 0, 2.0).coverage.size > 9  # on a 2x screen it is a disc again
    edged = Sprite("o", 9, 1.2, 1.0)
    ring = edged.edge > 0.5
    r = np.hypot(edged.dx, edged.dy)
    assert ring.any() and r[ring].min() > r[~ring].min()  # the edge is the outside


def test_the_last_point_drawn_wins_and_translucent_points_stack():
    cloud = PointCloud("o", size=3)
    red, blue = [255, 0, 0, 255], [0, 0, 255, 255]
    cloud.set_data(np.array([[5.0, 5.0], [5.0, 5.0]]), np.array([red, blue], np.uint8))
    assert tuple(_rgba(cloud)[5, 5]) == (0, 0, 255, 255)
    cloud.set_data(np.array([[5.0, 5.0], [5.0, 5.0]]), np.array([blue, red], np.uint8))
    assert tuple(_rgba(cloud)[5, 5]) == (255, 0, 0, 255)
    # k points of opacity a on one pixel: 1 - (1 - a)^k, premultiplied green
    for k in (1, 2, 5):
        cloud.set_data(np.full((k, 2), 5.0), np.tile([0, 200, 0, 100], (k, 1)).astype(np.uint8))
        px = _rgba(cloud)[5, 5].astype(float)
        op = 1 - (1 - 100 / 255) ** k
        assert px[3] == pytest.approx(255 * op, abs=1)
        assert px[1] == pytest.approx(200 * op, abs=1) and px[0] == px[2] == 0


def test_points_sharing_pixels_draw_as_if_each_were_stamped_alone():
    """A million points share pixels; the cloud stamps each centre pixel once (its top point,
    weighted by the points there). The picture must equal stamping every point in order."""
    rng = np.random.default_rng(4)
    cloud = PointCloud("o", size=5, edge=(20, 20, 20, 255), edge_width=1.0)
    xy = rng.uniform(2, 28, (3000, 2)).round(0) + rng.choice([0.0, 0.3], (3000, 2))
    colors = rng.integers(0, 256, (3000, 4)).astype(np.uint8)
    colors[:, 3] = rng.choice([60, 255], 3000)
    cloud.set_data(xy, colors)
    got = _rgba(cloud)
    sprite = cloud._sprite(1.0)
    lut, levels = cloud._lut(sprite)
    w, h, pad = 40, 30, 2 * sprite.radius
    top = np.full((h + 2 * pad, w + 2 * pad), -1)
    count = np.zeros_like(top)
    for i, (x, y) in enumerate(xy):  # every point on its own, in order: the definition
        cx, cy = int(np.rint(x + pad)), int(np.rint(y + pad))
        for j, (dx, dy) in enumerate(zip(sprite.dx, sprite.dy)):
            top[cy + dy, cx + dx] = i * len(sprite.dx) + j
            count[cy + dy, cx + dx] += 1
    want = np.zeros(top.shape, dtype="<u4")
    hit = top >= 0
    point, offset = np.divmod(top[hit], len(sprite.dx))
    key = (cloud._palette_index[point] * len(sprite.dx) + offset) * levels
    want[hit] = lut[key + np.minimum(count[hit] - 1, levels - 1)]
    expected = want.view(np.uint8).reshape(top.shape + (4,))[pad:pad + h, pad:pad + w]
    assert (count > 1).sum() > 100  # the case in question: many pixels under several points
    np.testing.assert_array_equal(got, expected)


def test_a_fixed_fill_with_an_edge_draws_both_colours():
    marks = PointCloud("x", size=11, edge=(255, 255, 255, 255), edge_width=1.0,
                       fill=(0, 0, 0, 255))
    marks.set_data(np.array([[15.0, 15.0]]))
    img = _rgba(marks).astype(int)
    covered = img[img[:, :, 3] > 0]
    grey = (covered[:, 0] == covered[:, 1]) & (covered[:, 1] == covered[:, 2])
    assert grey.all()  # black and white mixed, nothing else
    white = covered[:, 0] >= 0.8 * covered[:, 3]  # premultiplied: nearly r = alpha
    assert white.sum() >= 8  # the outline
    assert tuple(img[15, 15]) == (0, 0, 0, 255)  # the cross's centre is its fill


def test_a_point_lands_where_the_plot_maps_it(qtbot):
    """In a real plot: the grabbed viewport's pixel at a point's mapped position has the
    point's colour; the background elsewhere does not."""
    pw = shown(qtbot, pg.PlotWidget(), (300, 240))
    pw.setBackground("w")
    cloud = PointCloud("o", size=9)
    pts = np.array([[0.0, 0.0], [3.0, 1.0], [-2.0, 2.5]])
    cloud.set_data(pts, np.array([[220, 30, 30, 255]] * 3, np.uint8))
    pw.addItem(cloud)
    pw.setRange(xRange=(-3, 4), yRange=(-1, 3), padding=0)
    settle()
    img = pw.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    vb = pw.getViewBox()
    for x, y in pts:
        p = pw.mapFromScene(vb.mapViewToScene(QPointF(x, y)))
        c = QColor(img.pixel(p.x(), p.y()))
        assert (c.red(), c.green(), c.blue()) == (220, 30, 30)
    c = QColor(img.pixel(5, 5))
    assert (c.red(), c.green(), c.blue()) == (255, 255, 255)


def test_a_zoom_of_a_large_cloud_rescales_first_and_sharpens_when_it_pauses(qtbot,
                                                                             monkeypatch):
    from reprviz_gui.views import point_cloud

    monkeypatch.setattr(point_cloud, "DEFER_FROM", 1000)  # a large cloud, small for a test
    pw = shown(qtbot, pg.PlotWidget(), (300, 240))
    cloud = PointCloud("o", size=3)
    rng = np.random.default_rng(5)
    cloud.set_data(rng.normal(size=(2000, 2)), np.tile([30, 30, 200, 255], (2000, 1)))
    pw.addItem(cloud)
    pw.setRange(xRange=(-3, 3), yRange=(-3, 3), padding=0)
    settle()
    sharp_scale = cloud._cache[0][0]
    pw.getViewBox().scaleBy((0.8, 0.8))  # a wheel step in
    pw.viewport().repaint()
    assert cloud.rescaled_paints >= 1 and cloud._cache[0][0] == sharp_scale  # the old image
    qtbot.waitUntil(lambda: cloud._cache[0][0] != sharp_scale, timeout=5000)
    assert cloud._cache[0][0] > sharp_scale * 1.1  # rasterised again, zoomed in
    rescaled, now = cloud.rescaled_paints, cloud._cache[0]
    pw.viewport().repaint()  # the sharp image is the current one: drawn as it is
    assert cloud.rescaled_paints == rescaled and cloud._cache[0] == now
    cloud.set_data(rng.normal(size=(500, 2)))  # a small cloud zooms sharp at once
    settle()
    pw.getViewBox().scaleBy((0.8, 0.8))
    pw.viewport().repaint()
    assert cloud.rescaled_paints == rescaled


def test_nearest_point_agrees_with_a_full_scan():
    rng = np.random.default_rng(3)
    coords = rng.normal(size=(5_000, 2)) * [10.0, 0.1]  # very different axis scales
    coords[17] = np.nan  # never found
    index = PointIndex(coords)
    for _ in range(300):
        x, y = rng.normal() * 10, rng.normal() * 0.1
        pw, ph = 10 ** rng.uniform(-2.5, -0.5), 10 ** rng.uniform(-4.5, -2.5)
        d2 = ((coords[:, 0] - x) / pw) ** 2 + ((coords[:, 1] - y) / ph) ** 2
        best = int(np.nanargmin(d2))
        expected = best if d2[best] <= 8 ** 2 else None
        assert index.nearest(x, y, pw, ph, 8) == expected
    assert PointIndex(np.zeros((0, 2))).nearest(0, 0, 1, 1, 8) is None


def test_class_bands_are_the_sample_sets():
    from reprviz_gui.core.data.samples import SampleSet

    labels = np.array([0, 0, 2, 2, 2, 1, 7])
    s = SampleSet(np.arange(7), labels, ("a", "b", "c"))
    names = ("a", "b", "c", "d", "e", "f", "g", "h")
    assert class_bands(labels, names) == SampleSet(np.arange(7), labels, names).class_bands()
    assert class_bands(labels, s.class_names)[-1] == (6, 7, "class 7")
    assert class_bands(np.zeros(0, int), names) == []


def test_a_big_matrix_is_drawn_a_pixel_per_cell_and_exact_when_zoomed_in(qtbot):
    pw = shown(qtbot, pg.PlotWidget(), (320, 300))
    vb = pw.getViewBox()
    vb.invertY(True)
    image = pg.ImageItem(axisOrder="row-major")
    pw.addItem(image)
    screen = ScreenImage(image, vb)
    rng = np.random.default_rng(0)
    m = rng.random((3_000, 2_000), dtype=np.float32)
    vb.setRange(xRange=(0, 2_000), yRange=(0, 3_000), padding=0)
    screen.set_matrix(m, (0.0, 1.0))
    settle()
    ky, kx = screen.step
    w, h = vb.width(), vb.height()
    # about a cell per screen pixel: never fewer cells than pixels, never twice as many
    assert h <= image.image.shape[0] <= 2 * h + 1 and w <= image.image.shape[1] <= 2 * w + 1
    assert ky == int(3_000 / h) and kx == int(2_000 / w)
    np.testing.assert_array_equal(image.image, m[::ky, ::kx])
    rect = image.mapRectToParent(image.boundingRect())
    assert (rect.left(), rect.top()) == (0, 0) and rect.bottom() == pytest.approx(3_000)
    # zoomed in to 40 x 30 cells: every cell, exactly, where it belongs
    vb.setRange(xRange=(500, 540), yRange=(1_200, 1_230), padding=0)
    settle()
    assert screen.step == (1, 1)
    corner = image.mapToParent(QPointF(0, 0))
    r0, c0 = int(round(corner.y())), int(round(corner.x()))
    rows, cols = image.image.shape
    np.testing.assert_array_equal(image.image, m[r0:r0 + rows, c0:c0 + cols])
    assert r0 <= 1_200 and r0 + rows >= 1_230 and c0 <= 500 and c0 + cols >= 540
