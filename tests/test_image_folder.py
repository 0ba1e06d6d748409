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
