"""Every file the app writes survives a failure or a kill mid-write: the previous file stays
complete (core/atomic.py, used by report.json, activations.npz, figures, saved models), and the
window's settings file (QSettings) does the same.

The kill tests run a child process that writes, SIGKILL it at a known or random moment, and
check what is on disk afterwards. The child prints a line before each write ("b N") and after
it ("e N"), so the test knows whether a kill landed mid-write and insists that some did.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import selectors
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from reprviz_gui.core.io import atomic
from reprviz_gui.core.io.atomic import (atomic_save_via_path, atomic_write, atomic_write_bytes,
                                        atomic_write_text)
from reprviz_gui.core.errors import ModelError, ReprvizError

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL")

REPO = Path(__file__).resolve().parents[1]


def leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


# --- failures inside the writer -------------------------------------------------------------
def test_round_trip_and_permissions(tmp_path):
    path = tmp_path / "a.bin"
    assert atomic_write_bytes(path, b"one") == path
    assert path.read_bytes() == b"one"
    mask = os.umask(0)
    os.umask(mask)
    assert (path.stat().st_mode & 0o777) == (0o666 & ~mask)  # not mkstemp's 0600
    os.chmod(path, 0o640)
    atomic_write_text(path, "twö")
    assert path.read_text(encoding="utf-8") == "twö"
    assert (path.stat().st_mode & 0o777) == 0o640  # an existing file keeps its permissions
    assert atomic_write(str(path), lambda fh: fh.write(b"three")) == path
    assert path.read_bytes() == b"three"
    assert leftovers(tmp_path, {"a.bin"}) == []


@pytest.mark.parametrize("via_path", [False, True])
def test_symlink_is_replaced_never_written_through(tmp_path, via_path):
    # A link planted where a result goes must not let reprviz overwrite a file elsewhere.
    outside = tmp_path / "outside"
    outside.mkdir()
    real = outside / "precious.txt"
    real.write_text("old")
    os.chmod(real, 0o600)
    out = tmp_path / "out"
    out.mkdir()
    link = out / "report.json"
    link.symlink_to(real)
    if via_path:
        atomic_save_via_path(link, lambda tmp: tmp.write_text("new"))
    else:
        atomic_write_text(link, "new")
    assert real.read_text() == "old"
    assert not link.is_symlink() and link.read_text() == "new"


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_failure_in_the_writer_keeps_the_previous_file(tmp_path, exc):
    path = tmp_path / "report.json"
    path.write_text('{"version": 1}')

    def half_then_fail(fh):
        fh.write(b'{"version": 2, "data": [')
        fh.flush()
        raise exc

    with pytest.raises(type(exc)):
        atomic_write(path, half_then_fail)
    assert path.read_text() == '{"version": 1}'
    assert leftovers(tmp_path, {"report.json"}) == []


def test_failure_before_any_file_existed_leaves_nothing(tmp_path):
    with pytest.raises(ValueError):
        atomic_write(tmp_path / "new.npz", lambda fh: (_ for _ in ()).throw(ValueError("x")))
    assert leftovers(tmp_path, set()) == []


def test_missing_folder_raises_and_writes_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic_write_bytes(tmp_path / "nope" / "x.bin", b"x")
    assert leftovers(tmp_path, set()) == []


def test_writer_that_closes_the_file_itself(tmp_path):
    path = tmp_path / "x.bin"
    atomic_write(path, lambda fh: (fh.write(b"data"), fh.close()))
    assert path.read_bytes() == b"data"


def test_save_via_path_gives_a_temp_name_with_the_suffix(tmp_path):
    path = tmp_path / "model.keras"
    path.write_bytes(b"previous")
    seen = []

    def save(tmp: Path) -> None:
        seen.append(tmp)
        assert tmp.parent == tmp_path and tmp.suffix == ".keras" and tmp.name.startswith(".")
        tmp.write_bytes(b"new model")

    assert atomic_save_via_path(path, save) == path
    assert path.read_bytes() == b"new model" and not seen[0].exists()
    assert leftovers(tmp_path, {"model.keras"}) == []


@pytest.mark.parametrize("how", ["raises", "returns False", "removes the file"])
def test_save_via_path_failure_keeps_the_previous_file(tmp_path, how):
    path = tmp_path / "window.png"
    path.write_bytes(b"previous image")

    def save(tmp: Path):
        tmp.write_bytes(b"half an ima")
        if how == "raises":
            raise OSError(28, "No space left on device")
        if how == "returns False":  # QPixmap.save / QImage.save report failure this way
            return False
        tmp.unlink()
        return True

    with pytest.raises(OSError):
        atomic_save_via_path(path, save)
    assert path.read_bytes() == b"previous image"
    assert leftovers(tmp_path, {"window.png"}) == []


def test_report_writers_use_it(tmp_path):
    from reprviz_gui.core.io import writers

    path = tmp_path / "report.json"
    writers.write_json(path, {"a": 1})
    with pytest.raises(TypeError):  # not JSON: refused before anything is written
        writers.write_json(path, {"a": object()})
    assert json.loads(path.read_text()) == {"a": 1}
    writers.write_npz(tmp_path / "a.npz", x=np.arange(3, dtype=np.float32))
    with np.load(tmp_path / "a.npz", allow_pickle=False) as z:
        assert z["x"].tolist() == [0, 1, 2]
    assert leftovers(tmp_path, {"report.json", "a.npz"}) == []


def test_save_png_failure_keeps_the_previous_figure(tmp_path):
    from reprviz_gui.core.io import figures

    fig = figures.confusion_figure(np.eye(3, dtype=np.int64), ["a", "b", "c"])
    path = figures.save_png(fig, tmp_path / "confusion.png")
    good = path.read_bytes()
    assert good.startswith(b"\x89PNG")

    class Broken:
        def savefig(self, fh, **kwargs):
            fh.write(b"\x89PNG half")
            raise RuntimeError("renderer died")

    with pytest.raises(RuntimeError):
        figures.save_png(Broken(), path)  # type: ignore[arg-type]
    assert path.read_bytes() == good
    assert leftovers(tmp_path, {"confusion.png"}) == []


# --- killing a writer -----------------------------------------------------------------------
class Child:
    """A child Python process whose stdout lines we can wait for, with timeouts."""

    def __init__(self, script: str, tmp_path: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-u", "-c", textwrap.dedent(script)],
                                     cwd=tmp_path, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env={**os.environ,
                                                                  "QT_QPA_PLATFORM": "offscreen"})
        os.set_blocking(self.proc.stdout.fileno(), False)
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.proc.stdout, selectors.EVENT_READ)
        self.buffer = b""
        self.lines: list[str] = []
        self.eof = False

    def _pump(self, timeout: float) -> None:
        if self.eof or not self.sel.select(timeout):
            return
        try:
            chunk = os.read(self.proc.stdout.fileno(), 1 << 16)
        except BlockingIOError:
            return
        if not chunk:  # the child closed stdout (exited or was killed)
            self.eof = True
            return
        self.buffer += chunk
        *done, self.buffer = self.buffer.split(b"\n")
        self.lines += [line.decode() for line in done]

    def wait_for(self, predicate, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self.lines):
            if self.eof:
                self.proc.wait(10)
                raise AssertionError(f"child exited ({self.proc.returncode}):\n"
                                     + self.proc.stderr.read().decode()[-3000:])
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"timed out; child printed {self.lines[-5:]}")
            self._pump(0.05)

    def kill(self) -> str:
        """SIGKILL now; returns the last line the child printed before it died."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        while not self.eof:
            self._pump(1.0)
        self.proc.stdout.close()
        self.proc.stderr.close()
        self.sel.close()
        return self.lines[-1] if self.lines else ""


def test_kill_mid_write_keeps_the_previous_file(tmp_path):
    """A slow 5 MB write (50 chunks) is killed at chunk 20: the old file is intact; the next
    write then succeeds."""
    path = tmp_path / "big.bin"
    old = os.urandom(3_000_000)
    atomic_write_bytes(path, old)
    child = Child(f"""
        import time
        from reprviz_gui.core.io.atomic import atomic_write

        def slow(fh):
            for i in range(50):
                fh.write(bytes([i]) * 100_000)
                fh.flush()
                print("chunk", i, flush=True)
                time.sleep(0.02)
        atomic_write({str(path)!r}, slow)
        print("done", flush=True)
    """, tmp_path)
    child.wait_for(lambda lines: "chunk 20" in lines)
    assert child.kill().startswith("chunk")
    assert path.read_bytes() == old
    # the killed writer's temp file is left (hidden, next to the target); nothing else is
    stale = leftovers(tmp_path, {"big.bin"})
    assert all(re.fullmatch(r"\.big\.bin\..+\.tmp", name) for name in stale), stale
    assert stale and os.path.getsize(tmp_path / stale[0]) >= 2_000_000  # it really was mid-way
    new = b"".join(bytes([i]) * 100_000 for i in range(50))
    atomic_write_bytes(path, new)
    assert path.read_bytes() == new


def _versioned_payload_script(path: Path, write_call: str, size: int) -> str:
    """A child that writes version 0, 1, 2, ... of a self-checking payload in a loop."""
    return f"""
        import hashlib, os
        from pathlib import Path
        from reprviz_gui.core.io.atomic import atomic_write, atomic_save_via_path
        path = Path({str(path)!r})
        i = 0
        while True:
            body = os.urandom({size})
            payload = hashlib.sha256(body).hexdigest().encode() + b"\\n" + body
            print("b", i, flush=True)
            {write_call}
            print("e", i, flush=True)
            i += 1
    """


def _check_payload(data: bytes) -> None:
    digest, _, body = data.partition(b"\n")
    assert len(body) > 0 and hashlib.sha256(body).hexdigest().encode() == digest, \
        f"truncated or mixed file: {len(data)} bytes"


def _kill_at_random_moments(tmp_path, script: str, check, want_mid_write: int = 3,
                            max_kills: int = 150) -> tuple[int, int]:
    """Start the writer, let it write at least once, SIGKILL it at a random moment; check the
    file; repeat until ``want_mid_write`` kills landed mid-write. Returns (kills, mid-write).
    The loop ends as soon as enough kills landed mid-write; the bound is generous because
    under a CPU hog the writer spends less of its time writing (1 of 20 landed in the flake
    audit's third run)."""
    rng = random.Random(1234)
    kills = mid = 0
    while mid < want_mid_write and kills < max_kills:
        child = Child(script, tmp_path)
        child.wait_for(lambda lines: any(l.startswith("e ") for l in lines))
        time.sleep(rng.uniform(0.0, 0.4))
        last = child.kill()
        kills += 1
        mid += last.startswith("b ")
        check()
    return kills, mid


def test_kills_at_random_moments_never_leave_a_broken_file(tmp_path):
    path = tmp_path / "data.bin"
    script = _versioned_payload_script(path, "atomic_write(path, lambda fh: fh.write(payload))",
                                       2_000_000)
    kills, mid = _kill_at_random_moments(tmp_path, script, lambda: _check_payload(
        path.read_bytes()))
    assert mid >= 3, f"only {mid} of {kills} kills landed mid-write"


def test_kills_at_random_moments_via_path(tmp_path):
    path = tmp_path / "image.png"
    script = _versioned_payload_script(
        path, "atomic_save_via_path(path, lambda tmp: tmp.write_bytes(payload))", 2_000_000)
    kills, mid = _kill_at_random_moments(tmp_path, script, lambda: _check_payload(
        path.read_bytes()))
    assert mid >= 3, f"only {mid} of {kills} kills landed mid-write"


def test_the_kill_harness_catches_a_plain_write(tmp_path):
    """Control: the same random kills DO break a file written in place (open + write), so the
    tests above would notice a writer that is not atomic."""
    path = tmp_path / "plain.bin"
    script = _versioned_payload_script(path, """with open(path, "wb") as fh:
                for k in range(0, len(payload), 65536):
                    fh.write(payload[k:k + 65536])
                    fh.flush()""", 2_000_000)
    broken = []

    def check() -> None:
        try:
            _check_payload(path.read_bytes())
        except AssertionError:
            broken.append(True)

    kills, mid = _kill_at_random_moments(tmp_path, script, check)
    assert broken, f"no broken file after {kills} kills ({mid} mid-write)"


def test_kill_while_writing_report_json(tmp_path):
    """writers.write_json killed after writing the whole temp file but before the rename (the
    child's fsync never returns): report.json is still the previous, complete report."""
    from reprviz_gui.core.io import writers

    path = tmp_path / "report.json"
    writers.write_json(path, {"version": 1, "notes": ["first run"]})
    before = path.read_bytes()
    child = Child(f"""
        import os, time
        from reprviz_gui.core.io import writers
        def stuck_fsync(fd):
            print("fsync", os.fstat(fd).st_size, flush=True)
            time.sleep(60)
        os.fsync = stuck_fsync
        writers.write_json({str(path)!r}, {{"version": 2, "rows": [[i] * 20 for i in
                                                                  range(100_000)]}})
        print("done", flush=True)
    """, tmp_path)
    child.wait_for(lambda lines: any(l.startswith("fsync") for l in lines))
    last = child.kill()
    assert last.startswith("fsync") and int(last.split()[1]) > 1_000_000  # fully written temp
    assert path.read_bytes() == before
    assert json.loads(before)["version"] == 1
    writers.write_json(path, {"version": 3})
    assert json.loads(path.read_text())["version"] == 3


# --- saving models --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_model():
    from reprviz_gui.core import model as models
    from reprviz_gui.core.data.sources import load_dataset

    dataset = load_dataset("digits")
    return models.build_model(models.ModelConfig(hidden=(8,)), dataset, seed=0), dataset


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_save_model_file_round_trip(tmp_path, small_model, suffix):
    from reprviz_gui.core import model as models

    model, dataset = small_model
    path = models.save_model_file(model, tmp_path / f"m{suffix}")
    assert path == tmp_path / f"m{suffix}"
    loaded = models.load_model_file(path)
    models.check_compatible(loaded, dataset)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert leftovers(tmp_path, {f"m{suffix}"}) == []


def test_save_model_file_upper_case_suffix(tmp_path, small_model):
    """Keras picks the format from the suffix case-sensitively; the file is still a real model
    (the temp file gets a lower-case suffix, the final name is the user's)."""
    import zipfile

    import h5py

    from reprviz_gui.core import model as models

    model, _ = small_model
    keras_file = models.save_model_file(model, tmp_path / "M.KERAS")
    with zipfile.ZipFile(keras_file) as z:
        assert "config.json" in z.namelist()
    with h5py.File(models.save_model_file(model, tmp_path / "M.H5"), "r") as f:
        assert "model_config" in f.attrs
    assert leftovers(tmp_path, {"M.KERAS", "M.H5"}) == []


def test_save_model_file_refuses_bad_paths(tmp_path, small_model, monkeypatch):
    from reprviz_gui.core import model as models

    model, _ = small_model
    with pytest.raises(ModelError, match=r"\.keras.*not '\.txt'"):
        models.save_model_file(model, tmp_path / "m.txt")
    with pytest.raises(ModelError, match="nothing"):
        models.save_model_file(model, tmp_path / "model")
    with pytest.raises(ReprvizError, match="does not exist"):
        models.save_model_file(model, tmp_path / "nope" / "m.keras")
    (tmp_path / "dir.keras").mkdir()
    with pytest.raises(ReprvizError, match="is a folder"):
        models.save_model_file(model, tmp_path / "dir.keras")
    # not writable: as root chmod does not stop us, so ask os.access to say no
    locked = tmp_path / "locked"
    locked.mkdir()
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != locked.resolve())
    with pytest.raises(ReprvizError, match="not writable") as info:
        models.save_model_file(model, locked / "m.keras")
    assert not isinstance(info.value, ModelError) and "locked" in str(info.value)
    assert leftovers(locked, set()) == []


def test_save_model_file_disk_error_keeps_the_previous_model(tmp_path, small_model):
    from reprviz_gui.core import model as models

    model, _ = small_model
    path = models.save_model_file(model, tmp_path / "m.keras")
    before = path.read_bytes()

    class FullDisk:
        def save(self, filepath, overwrite=True):
            Path(filepath).write_bytes(b"PK\x03\x04 half a zip")
            raise OSError(28, "No space left on device")

    with pytest.raises(ReprvizError, match="No space left on device"):
        models.save_model_file(FullDisk(), path)
    assert path.read_bytes() == before
    models.load_model_file(path)
    assert leftovers(tmp_path, {"m.keras"}) == []


def test_kill_mid_model_save_keeps_the_previous_model(tmp_path, small_model):
    """save_model_file killed while the model file is being written (a stand-in model whose
    save() writes slowly, so the child needs no TensorFlow): the previous .keras file still
    loads with the same weights."""
    from reprviz_gui.core import model as models

    model, _ = small_model
    path = models.save_model_file(model, tmp_path / "m.keras")
    before = path.read_bytes()
    child = Child(f"""
        import sys, time
        from reprviz_gui.core.model.files import save_model_file

        class SlowModel:
            def save(self, filepath, overwrite=True):
                with open(filepath, "wb") as fh:
                    for i in range(50):
                        fh.write(b"x" * 50_000)
                        fh.flush()
                        print("chunk", i, flush=True)
                        time.sleep(0.02)

        save_model_file(SlowModel(), {str(path)!r})
        print("saved", "tensorflow" in sys.modules, flush=True)
    """, tmp_path)
    child.wait_for(lambda lines: "chunk 25" in lines)
    assert child.kill().startswith("chunk")
    assert path.read_bytes() == before
    loaded = models.load_model_file(path)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    stale = leftovers(tmp_path, {"m.keras"})
    assert all(re.fullmatch(r"\.m\.tmp-.+\.keras", name) for name in stale), stale


# --- the window's settings: QSettings(path, IniFormat) --------------------------------------
QSETTINGS_WRITER = """
    import sys
    from PySide6.QtCore import QCoreApplication, QSettings
    app = QCoreApplication([])
    s = QSettings({path!r}, QSettings.Format.IniFormat)
    i = {start}
    while True:
        s.setValue("big", f"{{i}}:" + "x" * 1_000_000 + ":end")
        s.setValue("small", i)
        print("b", i, flush=True)
        s.sync()
        if s.status() != QSettings.Status.NoError:
            print("status", s.status(), flush=True)
            sys.exit(3)
        print("e", i, flush=True)
        i += 1
"""


def test_qsettings_survive_kills_at_random_moments(tmp_path):
    """The window keeps its settings with ``QSettings(path, IniFormat)``. Qt writes them through
    QSaveFile (temp file + rename), so a kill mid-sync must leave the previous complete file:
    after each kill a fresh QSettings reads back a whole value, never a truncated or empty one.
    """
    from PySide6.QtCore import QSettings

    path = tmp_path / "reprviz.ini"
    seen: list[int] = []

    def check() -> None:
        raw = path.read_bytes()
        assert raw.startswith(b"[General]") and raw.endswith(b"\n"), raw[-80:]
        s = QSettings(str(path), QSettings.Format.IniFormat)
        value = s.value("big")
        assert s.status() == QSettings.Status.NoError
        assert isinstance(value, str), type(value)
        m = re.fullmatch(r"(\d+):(x*):end", value)
        assert m and len(m.group(2)) == 1_000_000, value[:40] + "…" + value[-40:]
        assert int(s.value("small")) == int(m.group(1))  # both keys from the same sync
        seen.append(int(m.group(1)))
        del s

    script = QSETTINGS_WRITER.format(path=str(path), start=0)
    kills, mid = _kill_at_random_moments(tmp_path, script, check, want_mid_write=4)
    assert mid >= 4, f"only {mid} of {kills} kills landed mid-sync"
    assert len(seen) == kills and seen[-1] >= 1
    # Qt's own temp and lock files may be left by a killed writer; the settings file is whole
    extra = leftovers(tmp_path, {"reprviz.ini"})
    assert all(name.startswith("reprviz.ini") for name in extra), extra
