"""Folders of images, one sub-folder per class."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from reprviz_gui.core.data.types import LoadOptions
from reprviz_gui.core.data.sources import load_dataset
from reprviz_gui.core.errors import Cancelled, EmptyDataError, FileFormatError
from reprviz_gui.core.data.image_folder import is_image_folder, load_image_folder


def save(path, arr, mode=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(arr, dtype=np.uint8), mode).save(path)
    return path


def grey(value, size=(8, 8)):
    return np.full(size, value, dtype=np.uint8)


def colour(rgb, size=(8, 8)):
    return np.tile(np.array(rgb, dtype=np.uint8), size + (1,))


def make_grey_folder(root, per_class=5, classes=("cat", "dog")):
    for c, name in enumerate(classes):
        for i in range(per_class):
            save(root / name / f"{i}.png", grey(40 * c + i))
    return root


def test_grey_folder_loads_sorted_classes_and_app_split(tmp_path):
    root = make_grey_folder(tmp_path / "pets", classes=("dog", "cat"))
    ds = load_image_folder(root, LoadOptions(image_size=(8, 8), test_fraction=0.4))
    assert ds.class_names == ["cat", "dog"]
    assert ds.kind == "image" and ds.x_train.shape[1:] == (8, 8) and ds.x_train.dtype == np.uint8
    assert ds.split_made_by_app and any("app made" in n for n in ds.notes)
    assert np.bincount(ds.y_test).tolist() == [2, 2]
    # grey value tells the class: dog images were saved with 0..4, cat ones with 40..44
    xs, ys = np.concatenate([ds.x_train, ds.x_test]), np.concatenate([ds.y_train, ds.y_test])
    for x, y in zip(xs, ys):
        assert (x[0, 0] >= 40) == (y == 0)


def test_colour_kept_and_grey_images_become_rgb(tmp_path):
    root = tmp_path / "flowers"
    for i in range(3):
        save(root / "red" / f"{i}.png", colour((200, 10, 10)))
        save(root / "grey" / f"{i}.png", grey(100), "L")
    ds = load_image_folder(root, LoadOptions(image_size=(8, 8), test_fraction=0.34))
    x = np.concatenate([ds.x_train, ds.x_test])
    y = np.concatenate([ds.y_train, ds.y_test])
    assert x.shape[1:] == (8, 8, 3)
    red = ds.class_names.index("red")
    np.testing.assert_array_equal(x[y == red][0, 0, 0], [200, 10, 10])
    np.testing.assert_array_equal(x[y != red][0, 0, 0], [100, 100, 100])


def test_corrupt_and_text_files_are_skipped_and_counted(tmp_path):
    root = make_grey_folder(tmp_path / "d")
    (root / "cat" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    (root / "dog" / "notes.txt").write_text("not an image")
    (root / "dog" / ".DS_Store").write_bytes(b"\x00\x01")  # hidden files are not counted
    ds = load_image_folder(root, LoadOptions(image_size=(8, 8)))
    assert len(ds.y_train) + len(ds.y_test) == 10
    skipped = [n for n in ds.notes if "skipped" in n]
    assert len(skipped) == 1 and skipped[0].startswith("2 file(s)")
    assert "broken.png" in skipped[0] and "notes.txt" in skipped[0]


def test_mixed_sizes_are_resized_with_note(tmp_path):
    root = tmp_path / "m"
    save(root / "a" / "1.png", grey(10, (10, 20)))
    save(root / "a" / "2.png", grey(10, (30, 30)))
    save(root / "b" / "1.png", grey(200, (5, 7)))
    save(root / "b" / "2.png", grey(200, (5, 7)))
    ds = load_image_folder(root, LoadOptions(image_size=(12, 16)))
    x = np.concatenate([ds.x_train, ds.x_test])
    assert x.shape == (4, 12, 16)
    assert any("3 different sizes" in n and "16x12" in n for n in ds.notes)


def test_train_test_subfolders_are_used_as_split(tmp_path):
    make_grey_folder(tmp_path / "data" / "train", per_class=4)
    make_grey_folder(tmp_path / "data" / "test", per_class=2)
    ds = load_image_folder(tmp_path / "data", LoadOptions(image_size=(8, 8)))
    assert not ds.split_made_by_app
    assert len(ds.y_train) == 8 and len(ds.y_test) == 4
    assert ds.class_names == ["cat", "dog"]


def test_progress_and_cancel(tmp_path):
    root = make_grey_folder(tmp_path / "p", per_class=4)
    seen = []
    load_image_folder(root, LoadOptions(image_size=(8, 8)), on_progress=seen.append)
    assert [p.details.get("done") for p in seen[:3]] == [0, 1, 2]
    assert seen[-1].fraction == 1.0
    calls = []

    def stop():
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        load_image_folder(root, LoadOptions(image_size=(8, 8)), should_stop=stop)
    assert len(calls) == 4


def test_detected_from_a_path(tmp_path):
    root = make_grey_folder(tmp_path / "x")
    assert is_image_folder(root)
    ds = load_dataset(root, LoadOptions(image_size=(4, 4)))
    assert ds.x_train.shape[1:] == (4, 4)


def test_folder_of_only_unreadable_files(tmp_path):
    root = tmp_path / "junk"
    (root / "a").mkdir(parents=True)
    (root / "a" / "x.jpg").write_bytes(b"\xff\xd8\xff\xe0garbage")
    with pytest.raises(EmptyDataError, match="junk"):
        load_image_folder(root)


def test_folder_without_class_subfolders(tmp_path):
    root = tmp_path / "flat"
    save(root / "1.png", grey(1))
    with pytest.raises(FileFormatError, match="flat"):
        load_image_folder(root)


# --- images whose header promises too many pixels ---------------------------------------------
def huge_png(path, width, height):
    """A real 1-bit grey PNG of width x height black pixels, written row by row through one
    zlib stream: 40000x40000 is about 200 MB of raw rows but a few hundred KB on disk."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    path.parent.mkdir(parents=True, exist_ok=True)
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte 0, then the packed bits
    comp = zlib.compressobj(9)
    with open(path, "wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n")
        fh.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)))
        block = row * 1000
        for start in range(0, height, 1000):
            data = comp.compress(block if start + 1000 <= height else row * (height - start))
            if data:
                fh.write(chunk(b"IDAT", data))
        fh.write(chunk(b"IDAT", comp.flush()))
        fh.write(chunk(b"IEND", b""))
    return path


@pytest.fixture
def decoded(monkeypatch):
    """The names of the image files PIL decoded (ImageFile.load; PIL calls it more than once
    per image, so this is a set)."""
    from PIL import ImageFile

    names: set[str] = set()
    real = ImageFile.ImageFile.load

    def load(self):
        names.add(str(getattr(self, "filename", "?")))
        return real(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return names


@pytest.mark.parametrize("size,dims", [
    ((40_000, 40_000), ""),  # PIL's own bomb check fires on open: size not known to us
    ((7_000, 6_000), " (7000x6000)"),  # 42 MP: under PIL's limit, over ours
])
def test_image_over_the_pixel_budget_is_skipped_before_decoding(tmp_path, decoded, size, dims):
    from reprviz_gui.core.data.image_folder import MAX_IMAGE_PIXELS

    assert size[0] * size[1] > MAX_IMAGE_PIXELS
    root = make_grey_folder(tmp_path / "pets", per_class=4)
    big = huge_png(root / "cat" / "huge.png", *size)
    assert big.stat().st_size < 1_000_000  # cheap on disk
    import struct
    assert struct.unpack(">II", big.read_bytes()[16:24]) == size  # what the header promises
    ds = load_image_folder(root, LoadOptions(image_size=(8, 8), test_fraction=0.25))
    assert len(ds.y_train) + len(ds.y_test) == 8  # the rest of the folder opens
    assert str(big) not in decoded and len(decoded) == 8
    notes = [n for n in ds.notes if "megapixels" in n]
    assert notes == [f"1 image(s) skipped without decoding because they have more than "
                     f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels: cat/huge.png{dims}."]
    assert not any("could not be read" in n for n in ds.notes)


def test_image_just_under_the_budget_is_decoded(tmp_path, decoded, monkeypatch):
    from reprviz_gui.core.data import image_folder

    root = make_grey_folder(tmp_path / "pets", per_class=2)
    huge_png(root / "dog" / "wide.png", 400, 100)
    monkeypatch.setattr(image_folder, "MAX_IMAGE_PIXELS", 400 * 100)  # exactly at the limit
    ds = load_image_folder(root, LoadOptions(image_size=(8, 8), test_fraction=0.4))
    wide = str(root / "dog" / "wide.png")
    assert wide in decoded and len(ds.y_train) + len(ds.y_test) == 5
    monkeypatch.setattr(image_folder, "MAX_IMAGE_PIXELS", 400 * 100 - 1)
    decoded.clear()
    ds = load_image_folder(root, LoadOptions(image_size=(8, 8), test_fraction=0.4))
    assert wide not in decoded and len(ds.y_train) + len(ds.y_test) == 4
    assert any("dog/wide.png (400x100)" in n for n in ds.notes)


def test_a_folder_of_only_oversized_images_says_why(tmp_path, monkeypatch):
    from reprviz_gui.core.data import image_folder

    monkeypatch.setattr(image_folder, "MAX_IMAGE_PIXELS", 50)
    root = make_grey_folder(tmp_path / "pets", per_class=1)  # 8x8 = 64 pixels each
    with pytest.raises(EmptyDataError, match=r"pets: none of its 2 files is a readable image "
                                             r"\(2 skipped for having more than 0 megapixels"):
        load_image_folder(root)
