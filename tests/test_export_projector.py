"""The TensorBoard projector bundle, parsed back as the projector plugin reads it: the config
(protobuf text format, relative paths), the tensor rows, the metadata header and rows, the
sprite's grid and thumbnail size; and, when tensorboard is installed, served by TensorBoard."""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest
from PIL import Image

from reprviz_gui.core.data.samples import make_sample_set
from reprviz_gui.core.data.sources import load_dataset
from reprviz_gui.core.errors import Cancelled
from reprviz_gui.core.io import projector
from reprviz_gui.core.io.projector import (ProjectorError, sprite_geometry, write_projector,
                                           write_projector_samples)


def parse_pbtxt(text: str) -> dict:
    """The fields of the one ``embeddings`` block, and of its ``sprite``, by a minimal parser
    written apart from the writer (repeated fields as lists)."""
    out: dict = {"sprite": {}}
    where = out
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("sprite {"):
            where = out["sprite"]
        elif line == "}":
            where = out
        elif ":" in line:
            key, value = (s.strip() for s in line.split(":", 1))
            value = json.loads(value) if value.startswith('"') else int(value)
            where.setdefault(key, []).append(value)
    return out


@pytest.fixture(scope="module")
def fashion():
    ds = load_dataset("fashion-mnist-sample")
    samples = make_sample_set(ds, 300, split="test", seed=0)
    # the pixels as the "layer" (no TensorFlow needed); a fake model that confuses class 6
    acts = samples.thumbnails.reshape(samples.n, -1).astype(np.float32) / 255.0
    preds = samples.labels.copy()
    preds[samples.labels == 6] = 2
    return samples, acts, preds


def test_bundle_of_the_fashion_sample_parses_back(tmp_path, fashion):
    samples, acts, preds = fashion
    bundle = write_projector_samples(tmp_path / "proj", acts, samples, preds, tensor_name="pixels")
    folder = tmp_path / "proj"
    cfg = parse_pbtxt((folder / "projector_config.pbtxt").read_text())
    # every path relative, and it names a file in the folder
    for key in ("tensor_path", "metadata_path"):
        (rel,) = cfg[key]
        assert not os.path.isabs(rel) and (folder / rel).is_file()
    (image_path,) = cfg["sprite"]["image_path"]
    assert not os.path.isabs(image_path) and (folder / image_path).is_file()
    assert cfg["tensor_name"] == ["pixels"] and "tensor_shape" not in cfg

    # tensors.tsv: no header, N rows of D tab-separated floats equal to the activations
    lines = (folder / cfg["tensor_path"][0]).read_text().splitlines()
    assert len(lines) == samples.n
    back = np.array([[float(v) for v in ln.split("\t")] for ln in lines], dtype=np.float32)
    np.testing.assert_array_equal(back, acts)

    # metadata.tsv: a header, then one row per sample in the same order
    meta = [ln.split("\t") for ln in
            (folder / cfg["metadata_path"][0]).read_text(encoding="utf-8").splitlines()]
    assert meta[0] == ["index", "split", "true class", "predicted class", "correct"]
    assert len(meta) == samples.n + 1 and all(len(r) == 5 for r in meta)
    assert [int(r[0]) for r in meta[1:]] == samples.indices.tolist()
    assert [r[2] for r in meta[1:]] == [samples.class_names[k] for k in samples.labels]
    wrong = [r for r in meta[1:] if r[4] == "no"]
    assert len(wrong) == int((samples.labels == 6).sum()) > 0
    assert all(r[2] == samples.class_names[6] and r[3] == samples.class_names[2] for r in wrong)

    # sprite: ceil(sqrt 300) = 18 thumbnails a side, 28 x 28 each (no shrinking needed)
    sprite = np.asarray(Image.open(folder / image_path))
    grid = math.ceil(math.sqrt(samples.n))
    assert cfg["sprite"]["single_image_dim"] == [28, 28]
    assert sprite.shape[:2] == (grid * 28, grid * 28) and bundle.sprite_grid == grid == 18
    np.testing.assert_array_equal(sprite[:28, :28], samples.thumbnails[0])  # first: top left
    r, c = divmod(samples.n - 1, grid)
    np.testing.assert_array_equal(sprite[r * 28:(r + 1) * 28, c * 28:(c + 1) * 28],
                                  samples.thumbnails[-1])
    assert bundle.notes == ()


def test_binary_tensor_has_its_shape(tmp_path, fashion):
    samples, acts, _ = fashion
    write_projector_samples(tmp_path, acts, samples, None, binary=True)
    cfg = parse_pbtxt((tmp_path / "projector_config.pbtxt").read_text())
    assert cfg["tensor_path"] == ["tensors.bytes"] and cfg["tensor_shape"] == list(acts.shape)
    back = np.fromfile(tmp_path / "tensors.bytes", dtype="<f4").reshape(acts.shape)
    np.testing.assert_array_equal(back, acts)
    meta = (tmp_path / "metadata.tsv").read_text().splitlines()
    assert meta[1].split("\t")[3:] == ["", ""]  # no model: no prediction, no "correct"


def test_big_grid_shrinks_thumbnails_to_the_sprite_limit(tmp_path, monkeypatch):
    assert sprite_geometry(100_001, 28, 28) == (317, 25, 25)  # 317 * 25 = 7,925 <= 8,192
    monkeypatch.setattr(projector, "SPRITE_MAX_SIDE", 100)
    monkeypatch.setattr(projector, "PROJECTOR_MAX_ROWS", 20)
    n = 25
    thumbs = np.full((n, 28, 28), 200, np.uint8)
    b = write_projector(tmp_path, np.ones((n, 3)), indices=np.arange(n), split="test",
                        labels=np.zeros(n, int), class_names=("a",), thumbnails=thumbs)
    assert b.sprite_grid == 5 and b.thumbnail_size == (20, 20)
    assert Image.open(tmp_path / "sprite.png").size == (100, 100)
    assert "shrunk from 28×28 to 20×20" in " ".join(b.notes)
    assert "TensorBoard's projector loads at most 20" in " ".join(b.notes)
    assert len((tmp_path / "tensors.tsv").read_text().splitlines()) == n  # all rows written


def test_sprite_drawn_in_blocks_matches_a_reshaped_grid(monkeypatch):
    """The sprite drawn block by block (6 blocks of 3 grid rows here) is the grid numpy's
    reshape makes: thumbnail i at row i // grid, column i % grid, the unused cells black."""
    monkeypatch.setattr(projector, "_CHUNK_ROWS", 54)
    n, grid = 300, 18
    thumbs = np.random.default_rng(2).integers(1, 256, (n, 8, 6), dtype=np.uint8)
    stops = []
    out = projector.sprite_image(thumbs, should_stop=lambda: stops.append(1) or False)
    cells = np.zeros((grid * grid, 8, 6), np.uint8)
    cells[:n] = thumbs
    expected = cells.reshape(grid, grid, 8, 6).transpose(0, 2, 1, 3).reshape(grid * 8, grid * 6)
    np.testing.assert_array_equal(out, expected)
    assert len(stops) == 6  # one check before each block of 54 thumbnails


@pytest.mark.parametrize("shape", [(40, 30), (40, 30, 3)])
def test_sprite_png_reads_back_and_stops_between_blocks(tmp_path, monkeypatch, shape):
    """The sprite's PNG (written in blocks of rows) is the array, as Pillow decodes it; a stop
    asked after its first block raises Cancelled and leaves no file."""
    monkeypatch.setattr(projector, "_PNG_ROWS", 16)  # 40 rows: 3 blocks
    image = np.random.default_rng(4).integers(0, 256, shape, dtype=np.uint8)
    projector._write_png(tmp_path / "s.png", image)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "s.png")), image)
    asked = [0]

    def second_check():
        asked[0] += 1
        return asked[0] >= 2

    with pytest.raises(Cancelled):
        projector._write_png(tmp_path / "t.png", image, second_check)
    assert asked[0] == 2 and sorted(p.name for p in tmp_path.iterdir()) == ["s.png"]


def test_tabs_and_newlines_in_words_and_reviews_are_escaped(tmp_path):
    words = ["plain", "tab\there", "line\nbreak"]
    write_projector(tmp_path / "w", np.eye(3), indices=np.arange(3), split="test",
                    labels=np.arange(3), class_names=("a", "b", "c"), words=words)
    rows = [ln.split("\t") for ln in (tmp_path / "w" / "metadata.tsv").read_text().splitlines()]
    assert rows[0][-1] == "word" and [r[-1] for r in rows[1:]] == ["plain", "tab here",
                                                                   "line break"]
    review = "<start> " + "word " * 100
    write_projector(tmp_path / "r", np.eye(1), indices=[0], split="test", labels=[0],
                    class_names=("neg",), texts=[review])
    rows = [ln.split("\t") for ln in (tmp_path / "r" / "metadata.tsv").read_text().splitlines()]
    assert rows[0][-1] == "review" and rows[1][-1].startswith("<start> word")
    assert rows[1][-1].endswith("\u2026") and len(rows[1][-1]) <= projector.SNIPPET_CHARS + 1


def test_bad_input_is_one_clear_error(tmp_path):
    with pytest.raises(ProjectorError, match="3 activation rows but 2 labels"):
        write_projector(tmp_path, np.eye(3), indices=np.arange(3), split="test",
                        labels=[0, 1], class_names=("a",))
    with pytest.raises(ProjectorError, match="NaN"):
        write_projector(tmp_path, np.full((1, 2), np.nan), indices=[0], split="test",
                        labels=[0], class_names=("a",))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_tensorboard_serves_the_bundle(tmp_path, fashion):
    pytest.importorskip("tensorboard")
    samples, acts, preds = fashion
    write_projector_samples(tmp_path, acts[:50], _first(samples, 50), preds[:50])
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir", str(tmp_path),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}/data/plugin/projector"
    try:
        runs = None
        deadline = time.monotonic() + 120  # TensorBoard imports TensorFlow: bounded wait
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"{base}/runs", timeout=10) as r:
                    runs = json.load(r)
                break
            except OSError:
                time.sleep(0.5)
        assert runs == ["."], proc.stderr.read().decode()[-2000:] if proc.poll() else runs
        with urllib.request.urlopen(f"{base}/info?run=.", timeout=30) as r:
            info = json.load(r)
        (emb,) = info["embeddings"]
        assert emb["tensorPath"] == "tensors.tsv" and emb["metadataPath"] == "metadata.tsv"
        assert [int(v) for v in emb["tensorShape"]] == [50, 784]
        assert emb["sprite"] == {"imagePath": "sprite.png", "singleImageDim": [28, 28]}
        with urllib.request.urlopen(f"{base}/metadata?run=.&name={emb['tensorName']}",
                                    timeout=30) as r:
            assert r.read().decode().splitlines()[0].startswith("index\tsplit\ttrue class")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)


def _first(samples, n):
    from dataclasses import replace
    return replace(samples, indices=samples.indices[:n], labels=samples.labels[:n],
                   thumbnails=samples.thumbnails[:n])
