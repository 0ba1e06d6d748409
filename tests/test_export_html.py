"""The HTML report: one file, every image inlined as a PNG that decodes, every file-derived text
escaped, the numbers the tables show equal to their sources."""

from __future__ import annotations

import base64
import io
from html.parser import HTMLParser

import numpy as np
from PIL import Image

from reprviz_gui.core.analysis.metrics import classification_report, confusion_matrix
from reprviz_gui.core.io.history import RunRecord
from reprviz_gui.core.io.html_report import ReportFigure, write_html_report

EVIL = '<script>alert(1)</script>'


class Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.imgs, self.cells, self.text = [], [], [], []
        self._cell = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.imgs.append(dict(attrs))
        if tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.cells.append(self._cell)
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell += data


def png(w, h):
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (200, 10, 10)).save(buf, format="PNG")
    return buf.getvalue()


def test_report_is_self_contained_and_escaped(tmp_path):
    labels = np.repeat(np.arange(3), 5)
    preds = labels.copy()
    preds[[0, 7]] = [1, 2]
    names = (EVIL, "dog", "bird")
    cm = confusion_matrix(labels, preds, 3)
    path = write_html_report(
        tmp_path / "r.html", title="Class 7", dataset=f"{EVIL}.csv", model="dense 256-144",
        layer="hidden_1", curves={"loss": [1.0, 0.5], "val_loss": [1.1, 0.7],
                                  "accuracy": [0.5, 0.8]},
        accuracy={"test": 13 / 15, "train": 0.9},
        report=classification_report(labels, preds, names),
        confusion=cm, class_names=names, figures=[ReportFigure(f"Map {EVIL}", png(30, 20))],
        history=[RunRecord(id="r1", time="2026-01-01T10:00:00+00:00", dataset=EVIL,
                           architecture="dense", learning_rate=0.01, test_accuracy=0.87)])
    text = path.read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "http://" not in text and "https://" not in text  # nothing fetched from outside
    p = Collect()
    p.feed(text)
    assert "script" not in p.tags
    assert len(p.imgs) == 2  # the curves and the one view
    sizes = []
    for img in p.imgs:
        assert img["src"].startswith("data:image/png;base64,")
        sizes.append(Image.open(io.BytesIO(base64.b64decode(img["src"].split(",", 1)[1]))).size)
    assert (30, 20) in sizes
    # the confusion table holds the matrix's counts, row by row after the header row
    i = p.cells.index("true \\ predicted")
    grid = p.cells[i + 4:i + 4 + 12]
    assert [int(grid[r * 4 + 1 + c]) for r in range(3) for c in range(3)] == cm.ravel().tolist()
    assert "86.67%" in p.cells and "90.00%" in p.cells
    joined = " ".join(p.text)
    assert EVIL in joined  # shown as text, exactly
    assert "0.8700" in p.cells and "0.0100" in p.cells  # the history row
