"""Reading ``.npz`` files safely: every member's npy header is checked against its size and the
memory budget before numpy reads it (numpy allocates what a header asks for), and pickle is used
only for a file the user trusts."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import CorruptFileError, DataError, FileFormatError, UnsafeFileError
from .idx import MAX_DEFLATE_RATIO, ensure_fits

TRUST_HINT = ('choose "trust this file" in the window, or pass --trust-pickle on the command line')


def _read_npy_header(fp) -> tuple[tuple[int, ...], bool, np.dtype]:
    fmt = np.lib.format
    version = fmt.read_magic(fp)
    if version == (1, 0):
        return fmt.read_array_header_1_0(fp)
    if version == (2, 0):
        return fmt.read_array_header_2_0(fp)
    reader = getattr(fmt, "_read_array_header", None)
    if reader is None:  # pragma: no cover
        raise ValueError(f"unsupported npy format version {version}")
    return reader(fp, version)


def inspect_npz(path: Path, max_bytes: Optional[int] = None,
                data: Optional[bytes] = None) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Check an .npz without loading it: every member a sane npy header that fits its size and the
    memory budget. Returns ``{key: (shape, dtype)}``. Object arrays are listed with dtype object.
    ``data``: inspect these bytes (the file's verified content) instead of reading ``path``."""
    name = path.name
    if data is not None:
        size, head = len(data), data[:4]
    else:
        try:
            size = path.stat().st_size
            with open(path, "rb") as fh:
                head = fh.read(4)
        except OSError as exc:
            raise DataError(f"{name} cannot be read: {exc.strerror or exc}.") from None
    if size == 0:
        from ..errors import EmptyDataError

        raise EmptyDataError(f"{name} is empty (0 bytes).")
    if head != b"PK\x03\x04":
        raise FileFormatError(f"{name} is not an .npz file (it is not a zip archive).")
    out: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
    total = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data) if data is not None else path) as zf:
            for info in zf.infolist():
                if not info.filename.endswith(".npy"):
                    continue
                key = info.filename[:-4]
                if info.file_size > max(info.compress_size, 1) * MAX_DEFLATE_RATIO + 4096:
                    raise CorruptFileError(f"{name} is corrupt: the member {info.filename} claims "
                                           f"{info.file_size:,} bytes, impossible for its "
                                           f"compressed size.")
                with zf.open(info) as fp:
                    shape, _fortran, dtype = _read_npy_header(fp)
                    header_len = fp.tell() if fp.seekable() else 0
                if dtype.hasobject:
                    out[key] = (shape, dtype)
                    continue
                n = dtype.itemsize
                for d in shape:
                    n *= int(d)
                if n > info.file_size - header_len:
                    raise CorruptFileError(f"{name} is corrupt: the array {key} promises {n:,} "
                                           f"bytes but its member holds "
                                           f"{info.file_size - header_len:,}.")
                total += n
                out[key] = (shape, dtype)
    except (DataError, UnsafeFileError):
        raise
    except (zipfile.BadZipFile, NotImplementedError) as exc:
        # NotImplementedError: zipfile met a compression method it cannot read (a damaged
        # header names one at random)
        raise CorruptFileError(f"{name} is a damaged .npz/zip file ({_short(exc)}).") from None
    except (ValueError, EOFError, OSError, KeyError, SyntaxError, TypeError) as exc:
        raise CorruptFileError(f"{name} holds an array that cannot be read "
                               f"({_short(exc)}).") from None
    if not out:
        raise FileFormatError(f"{name} is a zip archive but holds no numpy arrays; it is not an "
                              f".npz file.")
    ensure_fits(total, f"Reading {name}", max_bytes)
    return out


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]


def unsafe_message(name: str) -> str:
    return (f"{name} can only be read with Python's pickle, which can run code hidden in the file; "
            f"load it only if you trust where it came from: {TRUST_HINT}.")


def read_npz(source: Path, allow_pickle: bool = False, data: Optional[bytes] = None,
             keys: Optional[tuple[str, ...]] = None) -> dict[str, np.ndarray]:
    """Read the arrays of an .npz after ``inspect_npz``. Pickle only when ``allow_pickle``; else
    object arrays raise ``UnsafeFileError``. ``data`` reads those exact bytes (already verified)."""
    name = source.name
    members = inspect_npz(source, data=data)
    needs = [k for k, (_, dt) in members.items() if dt.hasobject and (keys is None or k in keys)]
    if needs and not allow_pickle:
        raise UnsafeFileError(unsafe_message(name))
    allow_pickle = bool(needs)  # plain arrays are always read with allow_pickle=False
    out: dict[str, np.ndarray] = {}
    try:
        with np.load(io.BytesIO(data) if data is not None else source,
                     allow_pickle=allow_pickle) as npz:
            for key in members:
                if keys is None or key in keys:
                    out[key] = npz[key]
    except UnsafeFileError:
        raise
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise UnsafeFileError(unsafe_message(name)) from None
        raise CorruptFileError(f"{name} holds an array that cannot be read "
                               f"({_short(exc)}).") from None
    except (zipfile.BadZipFile, NotImplementedError) as exc:
        raise CorruptFileError(f"{name} is a damaged .npz/zip file ({_short(exc)}).") from None
    except MemoryError:
        from ..errors import ResourceLimitError

        raise ResourceLimitError(f"{name} does not fit in memory.") from None
    except Exception as exc:  # noqa: BLE001 - unpickling a trusted file can raise anything
        raise CorruptFileError(f"{name} holds an array that cannot be read "
                               f"({type(exc).__name__}: {_short(exc)}).") from None
    return out
