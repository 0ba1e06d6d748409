"""Folders of images, one sub-folder per class.

Layouts:
- ``root/<class>/<images>``: class names are the sorted sub-folder names; the app makes a
  stratified, seeded train/test split and says so.
- ``root/train/<class>/...`` and ``root/test/<class>/...`` (also ``training``/``testing``,
  ``val``/``validation`` for the test part): that split is used.

Every image is resized to ``LoadOptions.image_size`` (height, width). Colour is kept: if any image
is in colour all become RGB (N×H×W×3), else grey (N×H×W). Files that are not images or cannot
be decoded are skipped and counted in ``notes``, and so are images whose header promises more
than ``MAX_IMAGE_PIXELS`` (skipped before decoding); resizing of mixed sizes is noted too.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Optional

import numpy as np

from .types import Dataset, LoadOptions
from ..errors import DataError, EmptyDataError, FileFormatError
from .idx import ensure_fits
from ..progress import ProgressFn, StopFn, check_stop, report
from .splitting import make_split

_TRAIN_NAMES = ("train", "training")
_TEST_NAMES = ("test", "testing", "val", "validation", "valid")
_IGNORED_FILES = {"thumbs.db", "desktop.ini"}
_IMAGE_SIGNATURES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM", b"II*\x00",
                     b"MM\x00*", b"P1", b"P2", b"P3", b"P4", b"P5", b"P6", b"\x00\x00\x01\x00")
_GREY_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}
MAX_SIDE = 4096
# The only formats Pillow may open. Never all of them: its EPS/PS plugin hands the file to
# Ghostscript, so a PostScript program named cat.png would run (and could hang) on loading.
ALLOWED_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP", "PPM", "ICO")
# An image whose header promises more pixels than this is skipped before it is decoded: a
# 40000x40000 PNG is a few hundred KB on disk but 4.8 GB once decoded as RGB.
MAX_IMAGE_PIXELS = 40_000_000


class _TooLarge(Exception):
    """The header promises more than MAX_IMAGE_PIXELS; ``size`` is (width, height) if known."""

    def __init__(self, size: Optional[tuple[int, int]]) -> None:
        super().__init__(size)
        self.size = size


def _visible(p: Path) -> bool:
    return not p.name.startswith(".") and p.name.lower() not in _IGNORED_FILES \
        and not p.name.startswith("__")


def _subdirs(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir() and _visible(p))
    except OSError:
        return []


def _files(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.rglob("*") if p.is_file() and _visible(p)
                      and all(_visible(q) for q in p.relative_to(folder).parents if q.name))
    except OSError:
        return []


def looks_like_image(path: Path) -> bool:
    """Cheap content check (magic bytes) used to detect an image folder; decoding decides later."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
    except OSError:
        return False
    return head.startswith(_IMAGE_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def _split_dirs(root: Path) -> Optional[tuple[Path, Path]]:
    subs = {p.name.lower(): p for p in _subdirs(root)}
    train = next((subs[n] for n in _TRAIN_NAMES if n in subs), None)
    test = next((subs[n] for n in _TEST_NAMES if n in subs), None)
    if train is not None and test is not None and _subdirs(train):
        return train, test
    return None


def is_image_folder(root: str | Path, probe: int = 50) -> bool:
    """True if ``root`` holds class sub-folders (directly or under train/test) with images."""
    root = Path(root)
    split = _split_dirs(root)
    class_dirs = (_subdirs(split[0]) if split else _subdirs(root))
    for d in class_dirs[:probe]:
        seen = 0
        try:
            for f in d.rglob("*"):  # lazily: a big tree is not listed in full just to detect it
                if seen >= probe:
                    break
                if f.is_file() and _visible(f):
                    seen += 1
                    if looks_like_image(f):
                        return True
        except OSError:
            continue
    return False


def _to_rgb_array(im, size_hw: tuple[int, int]) -> tuple[np.ndarray, bool]:
    """Decode, flatten transparency onto white, resize; returns (H, W, 3) uint8 and is-colour."""
    from PIL import Image

    h, w = size_hw
    if im.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        arr = np.asarray(im, dtype=np.float64)
        hi = float(arr.max()) if arr.size else 0.0
        if im.mode.startswith("I;16") or (im.mode == "I" and 255 < hi <= 65535):
            arr = arr / 257.0
        elif hi > 255 or float(arr.min()) < 0:
            lo = float(arr.min())
            arr = (arr - lo) * (255.0 / max(hi - lo, 1e-12))
        im = Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8), "L")
    if im.mode in ("RGBA", "LA", "La", "RGBa", "PA") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(background, rgba)
    grey_mode = im.mode in _GREY_MODES
    im = im.convert("L" if grey_mode else "RGB")
    if im.size != (w, h):
        im = im.resize((w, h), Image.Resampling.BILINEAR, reducing_gap=3.0)
    arr = np.asarray(im, dtype=np.uint8)
    if grey_mode:
        return np.repeat(arr[:, :, None], 3, axis=2), False
    colour = not (np.array_equal(arr[..., 0], arr[..., 1])
                  and np.array_equal(arr[..., 0], arr[..., 2]))
    return arr, colour


def _read_image(path: Path, size_hw: tuple[int, int]) -> tuple[np.ndarray, bool, tuple[int, int]]:
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            opened = Image.open(path, formats=ALLOWED_FORMATS)  # lazy: the header only
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _TooLarge(None) from None  # PIL's own, higher limit: also over ours
        with opened as im:
            original = im.size
            if original[0] <= 0 or original[1] <= 0:
                raise ValueError("empty image")
            if original[0] * original[1] > MAX_IMAGE_PIXELS:
                raise _TooLarge(original)
            if im.format == "JPEG":  # decode big JPEGs at a reduced size: much faster
                im.draft(im.mode, (max(size_hw[1], 1) * 2, max(size_hw[0], 1) * 2))
            im.load()
            arr, colour = _to_rgb_array(im, size_hw)
    return arr, colour, original


def _some(items: list[str], k: int = 3) -> str:
    more = f" and {len(items) - k} more" if len(items) > k else ""
    return ", ".join(items[:k]) + more


def _over_budget_text(too_large: list[str]) -> str:
    if not too_large:
        return ""
    return (f" ({len(too_large)} skipped for having more than "
            f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels: {_some(too_large)})")


def load_image_folder(root: str | Path, options: LoadOptions = LoadOptions(),
                      on_progress: ProgressFn | None = None,
                      should_stop: StopFn | None = None) -> Dataset:
    """Load a folder of class sub-folders of images (see the module docstring)."""
    root = Path(root)
    name = root.name or str(root)
    try:
        h, w = (int(v) for v in options.image_size)
    except (TypeError, ValueError):
        raise DataError(f"Image size must be (height, width), got {options.image_size!r}.")
    if not (0 < h <= MAX_SIDE and 0 < w <= MAX_SIDE):
        raise DataError(f"Image size must be between 1 and {MAX_SIDE} pixels a side, "
                        f"got {h}x{w}.")
    split = _split_dirs(root)
    parts = {"train": split[0], "test": split[1]} if split else {"all": root}
    class_names = sorted({d.name for part in parts.values() for d in _subdirs(part)})
    if not class_names:
        raise FileFormatError(f"{name} has no class sub-folders; put the images of each class in "
                              f"a sub-folder named after the class.")
    todo: list[tuple[str, Path, int]] = []
    for part, folder in parts.items():
        for d in _subdirs(folder):
            check_stop(should_stop)
            cls = class_names.index(d.name)
            todo.extend((part, f, cls) for f in _files(d))
    loose = [] if split else [f for f in root.iterdir() if f.is_file() and _visible(f)]
    if not todo:
        raise EmptyDataError(f"{name}: its class sub-folders hold no files.")
    ensure_fits(len(todo) * h * w * 3 * 2, f"Reading the {len(todo):,} images of {name}")

    images: dict[str, list[np.ndarray]] = {p: [] for p in parts}
    labels: dict[str, list[int]] = {p: [] for p in parts}
    any_colour = False
    sizes: set[tuple[int, int]] = set()
    skipped: list[str] = []
    too_large: list[str] = []
    for i, (part, f, cls) in enumerate(todo):
        check_stop(should_stop)
        report(on_progress, "load", i / len(todo), f"Reading {f.name}", done=i, total=len(todo))
        try:
            arr, colour, original = _read_image(f, (h, w))
        except _TooLarge as big:
            dims = f" ({big.size[0]}x{big.size[1]})" if big.size else ""
            too_large.append(f"{f.relative_to(root)}{dims}")
            continue
        except Exception:  # noqa: BLE001 - PIL's decoders raise many types; any of them = skip
            skipped.append(str(f.relative_to(root)))
            continue
        images[part].append(arr)
        labels[part].append(cls)
        any_colour = any_colour or colour
        sizes.add(original)

    n_read = sum(len(v) for v in images.values())
    if n_read == 0:
        raise EmptyDataError(f"{name}: none of its {len(todo):,} files is a readable image"
                             f"{_over_budget_text(too_large)}.")
    notes: list[str] = []
    if skipped:
        notes.append(f"{len(skipped)} file(s) skipped because they are not images or could not be "
                     f"read: {_some(skipped)}.")
    if too_large:
        notes.append(f"{len(too_large)} image(s) skipped without decoding because they have more "
                     f"than {MAX_IMAGE_PIXELS // 1_000_000} megapixels: {_some(too_large)}.")
    if len(sizes) > 1:
        areas = sorted(sizes, key=lambda s: s[0] * s[1])
        notes.append(f"The images have {len(sizes)} different sizes (from {areas[0][0]}x"
                     f"{areas[0][1]} to {areas[-1][0]}x{areas[-1][1]}, width x height); all were "
                     f"resized to {w}x{h}.")
    elif sizes and next(iter(sizes)) != (w, h):
        sw, sh = next(iter(sizes))
        notes.append(f"Images resized from {sw}x{sh} to {w}x{h} (width x height).")
    if loose:
        notes.append(f"{len(loose)} file(s) directly in {name} were ignored; images must be in "
                     f"one sub-folder per class.")
    # classes with no readable image are left out, labels renumbered
    present = sorted({c for v in labels.values() for c in v})
    if len(present) < len(class_names):
        missing = [class_names[c] for c in range(len(class_names)) if c not in present]
        notes.append(f"Folder(s) without readable images left out: {', '.join(missing[:5])}"
                     f"{' ...' if len(missing) > 5 else ''}.")
        remap = {c: i for i, c in enumerate(present)}
        labels = {p: [remap[c] for c in v] for p, v in labels.items()}
        class_names = [class_names[c] for c in present]

    def stack(part: str) -> tuple[np.ndarray, np.ndarray]:
        shape = (h, w, 3) if any_colour else (h, w)
        if not images[part]:
            return np.zeros((0,) + shape, dtype=np.uint8), np.zeros(0, dtype=np.int64)
        x = np.stack(images[part])
        if not any_colour:
            x = np.ascontiguousarray(x[..., 0])
        return x, np.asarray(labels[part], dtype=np.int64)

    if split:
        x_train, y_train = stack("train")
        x_test, y_test = stack("test")
        by_app = False
    else:
        x, y = stack("all")
        x_train, y_train, x_test, y_test, note = make_split(x, y, options.test_fraction,
                                                            options.seed, "images")
        notes.append(note)
        by_app = True
    report(on_progress, "load", 1.0, f"Read {n_read:,} images", done=len(todo), total=len(todo))
    colour_text = "colour" if any_colour else "grey"
    return Dataset(
        name=name, kind="image", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
        class_names=class_names,
        provenance=(f"Image folder {name}: {n_read:,} {colour_text} images in "
                    f"{len(class_names)} classes, resized to {w}x{h}."),
        split_made_by_app=by_app, notes=notes, per_sample_minmax=options.per_sample_minmax)
