"""Write files atomically: a temp file in the same folder, flushed to disk, then ``os.replace``.

A reader (or the app after a crash, a kill or a power cut) sees either the previous complete file
or the new complete file, never a half-written one. Every file reprviz writes goes through here:
report.json, activations.npz, figures, saved models, window images. (The window's settings are
written by Qt's QSettings, which does the same through QSaveFile.)

A symbolic link at the destination is replaced by the new file, never written through: a link
planted in an output folder cannot make reprviz overwrite a file outside it.

Two ways in:

- ``atomic_write(path, write)`` when we hold the bytes: ``write(fileobj)`` writes into an open
  binary temp file (``np.savez_compressed(fh, ...)``, ``fig.savefig(fh, ...)``, ``fh.write(b)``).
- ``atomic_save_via_path(path, save)`` for libraries that insist on opening the file themselves
  and look at its suffix (Keras' ``model.save`` needs ``.keras``/``.h5``; Qt's ``QImage.save``):
  ``save(tmp_path)`` writes ``<folder>/.<stem>.tmp-XXXXXX<suffix>``, which is then renamed over
  ``path``. ``save`` returning ``False`` (Qt's way of failing) counts as a failure.

Either way the temp file is removed on any failure and the exception propagates; the previous
file at ``path`` is left untouched. No Qt here.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable, Union

PathLike = Union[str, "os.PathLike[str]"]


def _default_mode() -> int:
    """Permissions a normally created file gets (``mkstemp``'s are 0600). Read once at import:
    reading the umask means setting it, which is not thread-safe."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_DEFAULT_MODE = _default_mode()


def _target(path: PathLike) -> Path:
    """The name to replace: the path itself, never what a symlink there points to.

    A link planted where we write (``out/report.json -> ~/.bashrc``) must not turn a result file
    into an overwrite of a file outside the output folder: ``os.replace`` swaps the link itself
    for the new file and the link's target stays untouched (the POSIX rename never follows it).
    """
    return Path(path)


def _final_mode(path: Path) -> int:
    """Keep an existing regular file's permissions (``lstat``: a link's target is none of our
    business); anything else gets the umask's."""
    try:
        st = path.lstat()
    except OSError:
        return _DEFAULT_MODE
    return stat.S_IMODE(st.st_mode) if stat.S_ISREG(st.st_mode) else _DEFAULT_MODE


def _fsync_file(name: str) -> None:
    fd = os.open(name, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); best effort elsewhere."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _unlink_quietly(name: str) -> None:
    try:
        os.unlink(name)
    except OSError:
        pass


def _commit(tmp: str, path: Path) -> None:
    try:
        os.chmod(tmp, _final_mode(path))
    except OSError:
        pass
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def atomic_write(path: PathLike, write: Callable[[BinaryIO], object]) -> Path:
    """Write ``path`` through ``write(fileobj)`` atomically; returns ``path`` as a ``Path``.

    ``fileobj`` is a binary file open for writing on a temp file in the same folder. After
    ``write`` returns, the data is flushed and fsync'd and the temp file renamed over ``path``.
    On any exception (``KeyboardInterrupt`` included) the temp file is removed and the exception
    propagates; ``path`` keeps its previous content.
    """
    requested = Path(path)
    target = _target(requested)
    fh = tempfile.NamedTemporaryFile(dir=target.parent, delete=False,
                                     prefix=f".{target.name}.", suffix=".tmp")
    tmp = fh.name
    try:
        with fh:
            out = fh.file  # the plain io.BufferedRandom, not tempfile's wrapper
            write(out)
            closed_by_writer = out.closed
            if not closed_by_writer:
                out.flush()
                os.fsync(out.fileno())
        if closed_by_writer:
            _fsync_file(tmp)
        _commit(tmp, target)
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return requested


def atomic_write_bytes(path: PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return atomic_write(path, lambda fh: fh.write(data))


def atomic_write_text(path: PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (no newline translation)."""
    data = text.encode(encoding)
    return atomic_write(path, lambda fh: fh.write(data))


def atomic_save_via_path(path: PathLike, save: Callable[[Path], object],
                         suffix: str | None = None) -> Path:
    """Let a library write the file itself, atomically; returns ``path`` as a ``Path``.

    ``save(tmp)`` must write the whole file to ``tmp``, a path in the same folder named
    ``.<stem>.tmp-XXXXXX<suffix>`` (``suffix`` defaults to ``path``'s own, e.g. ``.keras``), which
    exists already as an empty placeholder (the library overwrites it). If ``save`` raises, returns
    ``False`` (``QImage.save``/``QPixmap.save``) or leaves no file, the temp file is removed,
    ``path`` is untouched and the error propagates (``OSError`` for the last two).

    Example, a window image: ``atomic_save_via_path(path, lambda tmp: pixmap.save(str(tmp),
    "PNG"))``; a Keras model: ``atomic_save_via_path(path, lambda tmp: model.save(str(tmp)))``.
    """
    requested = Path(path)
    target = _target(requested)
    suffix = target.suffix if suffix is None else suffix
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.tmp-", suffix=suffix)
    os.close(fd)
    try:
        outcome = save(Path(tmp))
        if outcome is False:
            raise OSError(f"could not write {requested}")
        if not os.path.isfile(tmp):
            raise OSError(f"could not write {requested}: nothing was written")
        _fsync_file(tmp)
        _commit(tmp, target)
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return requested
