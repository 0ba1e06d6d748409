"""Hostile and awkward files, round three (issue 19 §4): each test MAKES a file of its kind and
checks the contract: exit 2 with one clear line (or it works), no hang, nothing written through
a link, nothing lost.

The CLI cases run ``python main.py analyze`` in a process of their own, as a user would; every
test carries a timeout so that a regression that hangs (a FIFO, Ghostscript) fails instead of
blocking the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
MAIN = REPO / "main.py"


def run_main(*args: str, timeout: float = 120, cwd: Path = REPO,
             config: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if config is not None:
        env["REPRVIZ_CONFIG_DIR"] = str(config)
    return subprocess.run([sys.executable, str(MAIN), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=env)


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    """The contract for a user error: exit 2, exactly one stderr line, no traceback."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-3000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("reprviz: error: "), proc.stderr
    return lines[0]


# --- writing outside the output folder ------------------------------------------------------
@pytest.mark.timeout(120)
def test_links_planted_in_out_are_replaced_not_written_through(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    names = ("report.json", "activations.npz", "heatmap.png", "cosine.png", "map.png")
    for name in names:
        (outside / name).write_text(f"precious {name}")
        (out / name).symlink_to(outside / name)
    proc = run_main("analyze", "--data", "capitals", "--model", "none", "--samples", "20",
                    "--no-history", "-q", "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in names:
        assert (outside / name).read_text() == f"precious {name}"  # targets untouched
        assert not (out / name).is_symlink() and (out / name).stat().st_size > 100


@pytest.mark.timeout(60)
def test_empty_out_is_refused_not_the_current_folder(tmp_path):
    proc = run_main("analyze", "--data", "capitals", "--model", "none", "--out", "",
                    cwd=tmp_path)
    line = one_error_line(proc)
    assert "--out" in line and "empty" in line
    assert list(tmp_path.iterdir()) == []


# --- a data file that runs a program ----------------------------------------------------------
EPS = (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 8 8\n"
       b"/Helvetica findfont 4 scalefont setfont 0 0 moveto (x) show showpage\n%%EOF\n")


@pytest.mark.timeout(60)
def test_eps_named_png_is_skipped_and_ghostscript_never_runs(tmp_path, monkeypatch):
    import subprocess as sp

    from PIL import Image

    from reprviz_gui.core.data.image_folder import load_image_folder
    from reprviz_gui.core.data.types import LoadOptions

    for cls in ("cats", "dogs"):
        (tmp_path / "pets" / cls).mkdir(parents=True)
        for i in range(4):
            Image.new("L", (8, 8), 40 * i).save(tmp_path / "pets" / cls / f"{i}.png")
    (tmp_path / "pets" / "cats" / "evil.png").write_bytes(EPS)
    ran: list = []

    def trap(*args, **kwargs):
        ran.append(args)
        raise AssertionError("a program was started while reading images")

    for name in ("Popen", "run", "call", "check_call", "check_output"):
        monkeypatch.setattr(sp, name, trap)
    data = load_image_folder(tmp_path / "pets", LoadOptions(image_size=(8, 8)))
    assert ran == []
    assert len(data.x_train) + len(data.x_test) == 8
    assert any("evil.png" in note for note in data.notes), data.notes


# --- damaged run history ------------------------------------------------------------------------
def _history_with(entries_json: list[str]) -> str:
    return ('{"format": "reprviz-run-history", "version": 1, "runs": [\n'
            + ",\n".join(entries_json) + "\n]}\n")


GOOD_ENTRY = ('{"id": "run-old", "time": "2026-01-31T14:25:01+01:00", "dataset": "digits", '
              '"architecture": "dense 256-144 relu"}')


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_history_with_a_deeply_nested_entry_is_copied_aside_and_analyze_writes(tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    history = config / "history.json"
    deep = '{"id": "run-deep", "x": ' + "[" * 50_000 + "]" * 50_000 + "}"
    original = _history_with([GOOD_ENTRY, deep])
    history.write_text(original)
    out = tmp_path / "out"
    proc = run_main("analyze", "--data", "digits", "--model", "dense", "--epochs", "1",
                    "--samples", "30", "--no-figures", "--out", str(out), config=config)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert (out / "report.json").exists() and (out / "activations.npz").exists()
    copies = list(config.glob("history.damaged-*.json"))
    assert len(copies) == 1 and copies[0].read_text() == original  # nothing lost
    assert "nested too deep" in proc.stdout + proc.stderr
    from reprviz_gui.core.io.history import load_history

    loaded = load_history(history)  # a fresh history holding this run
    assert len(loaded.records) == 1 and loaded.records[0].dataset == "digits"
    assert loaded.note is None


@pytest.mark.timeout(60)
@pytest.mark.parametrize("where", ["file", "entry"])
def test_deep_history_is_set_aside_and_the_next_run_is_recorded(tmp_path, where):
    from reprviz_gui.core.io.history import RunRecord, append_run, load_history

    path = tmp_path / "history.json"
    if where == "file":
        original = "[" * 200_000 + "]" * 200_000
    else:
        original = _history_with([GOOD_ENTRY, '{"a": ' + "[" * 100 + "]" * 100 + "}"])
    path.write_text(original)
    first = load_history(path)  # never a traceback; a whole damaged file is renamed aside
    assert first.note and "too deep" in first.note
    new = RunRecord(id="run-new", time="2026-02-01T10:00:00+01:00", dataset="digits",
                    architecture="dense")
    loaded = append_run(new, path)
    if where == "entry":  # the file is rewritten without the entry, after keeping a copy
        assert loaded.note and "too deep" in loaded.note
    kept = first.set_aside if where == "file" else loaded.set_aside
    assert kept is not None and kept.read_text() == original
    ids = [r.id for r in load_history(path).records]
    assert ids == (["run-new"] if where == "file" else ["run-old", "run-new"])


# --- FIFOs (and devices) given as data, labels or model ------------------------------------------
@pytest.fixture
def fifo(tmp_path):
    """``fifo(name)`` makes a named pipe. At teardown the test opens both ends non-blocking
    and closes them: a reader that a regression left blocked in open() gets EOF and ends."""
    made: list[Path] = []

    def make(name: str) -> Path:
        path = tmp_path / name
        os.mkfifo(path)
        made.append(path)
        return path

    yield make
    for path in made:
        try:
            r = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            w = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            os.close(w)
            os.close(r)
        except OSError:
            pass


FIFO_RUNS = {  # entry point -> the analyze options that name the FIFO (made as "NAME")
    "data_csv": ("data.csv", ["--data", "NAME", "--model", "dense"]),
    "data_unknown_suffix": ("data", ["--data", "NAME", "--model", "dense"]),
    "labels": ("labels.csv", ["--data", str(REPO / "tests" / "__fifo_data.csv"), "--labels",
                              "NAME", "--model", "dense"]),
    "model": ("model.keras", ["--data", "digits", "--model", "NAME"]),
}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
@pytest.mark.timeout(90)
@pytest.mark.parametrize("entry", sorted(FIFO_RUNS))
def test_cli_fifo_is_refused_not_waited_on(tmp_path, fifo, entry):
    name, args = FIFO_RUNS[entry]
    path = fifo(name)
    data_csv = tmp_path / "numbers.csv"
    data_csv.write_text("\n".join(",".join(str((i * j) % 7) for j in range(4))
                                  for i in range(30)) + "\n")
    args = [str(path) if a == "NAME" else str(data_csv) if a.endswith("__fifo_data.csv")
            else a for a in args]
    proc = run_main("analyze", *args, "--epochs", "0", "--no-history", "--out",
                    str(tmp_path / "out"), timeout=60)
    line = one_error_line(proc)
    assert f"{name} is a named pipe (FIFO)" in line, line


@pytest.mark.timeout(30)
def test_a_device_is_refused_as_data():
    from reprviz_gui.core.data.sources import load_dataset
    from reprviz_gui.core.errors import DataError

    with pytest.raises(DataError, match="zero is a character device"):
        load_dataset("/dev/zero")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
@pytest.mark.timeout(120)
@pytest.mark.parametrize("entry", ["data", "labels", "model"])
def test_window_fifo_is_refused_with_a_dialog(qtbot, window, tmp_path, fifo, entry):
    from reprviz_gui.core.data.types import LoadOptions

    win = window
    before = win.controller.dataset
    if entry == "data":
        path = fifo("data")
        win.controller.open_dataset(str(path))
    elif entry == "labels":
        path = fifo("labels.csv")
        numbers = tmp_path / "numbers.csv"
        numbers.write_text("\n".join("1,2,3,4" for _ in range(30)) + "\n")
        win.controller.open_dataset(str(numbers), LoadOptions(labels_file=str(path)))
    else:
        path = fifo("model.keras")
        win.controller.load_model(str(path))
    qtbot.waitUntil(lambda: bool(win.dialogs), timeout=30_000)
    box = win.dialogs[-1]
    assert f"{path.name} is a named pipe (FIFO)" in f"{box.text()} {box.informativeText()}"
    assert win.controller.dataset is before
    box.close()


# --- control characters from files --------------------------------------------------------------
ESC_NAME = "\x1b]0;pwned\x07\x1b[2Jcls\u202e"


@pytest.mark.timeout(60)
def test_escape_sequences_in_file_text_are_printed_escaped(tmp_path):
    good = tmp_path / f"{ESC_NAME}.csv"
    good.write_text("a,b,c,label\n" + "".join(f"{i},{i * 2},{i % 3},{ESC_NAME}{i % 2}\n"
                                              for i in range(30)))
    proc = run_main("analyze", "--data", str(good), "--model", "none", "--no-history",
                    "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "\x1b" not in proc.stdout + proc.stderr and "\u202e" not in proc.stdout
    assert "\\x1b]0;pwned\\x07" in proc.stdout  # shown, escaped: the user sees what is there

    empty = tmp_path / f"{ESC_NAME}empty.csv"
    empty.write_text("")
    line = one_error_line(run_main("analyze", "--data", str(empty), "--model", "none",
                                   "--out", str(tmp_path / "out2")))
    assert "\x1b" not in line and "\x07" not in line and "\u202e" not in line
    assert "\\x1b[2Jcls\\u202eempty.csv is empty" in line, line


def test_printable_escapes_controls_only():
    from reprviz_gui.core.errors import DataError, printable

    assert printable("naïve 東京 café") == "naïve 東京 café"
    assert printable("a\x1b[31mb\x9bc\u202ed") == "a\\x1b[31mb\\x9bc\\u202ed"
    assert str(DataError("x\x1b[2Jy")) == "x\\x1b[2Jy"


# --- options that overflowed into tracebacks or nonsense ------------------------------------------
@pytest.mark.timeout(60)
@pytest.mark.parametrize("seed", ["-1", str(2**32), "99999999999999999999999"])
def test_out_of_range_seed_is_one_line(tmp_path, seed):
    line = one_error_line(run_main("analyze", "--data", "capitals", "--model", "none",
                                   "--seed", seed, "--out", str(tmp_path / "out")))
    assert "--seed" in line


@pytest.mark.timeout(60)
def test_out_of_range_seed_through_the_library(tmp_path):
    from reprviz_gui.core.errors import ReprvizError
    from reprviz_gui.core.io.report import AnalyzeOptions, analyze

    with pytest.raises(ReprvizError, match="--seed must be"):
        analyze(AnalyzeOptions(data="capitals", model="none", out=tmp_path / "o", seed=-1))


@pytest.mark.timeout(60)
def test_image_shape_whose_product_overflows_is_not_wrapped(tmp_path):
    from reprviz_gui.core.data.sources import load_dataset
    from reprviz_gui.core.data.types import LoadOptions
    from reprviz_gui.core.errors import ShapeDataError

    csv = tmp_path / "n.csv"
    csv.write_text("".join(f"{i},{i % 3}\n" for i in range(30)))
    with pytest.raises(ShapeDataError, match=f"needs {2**64:,}|needs {2**64} values"):
        load_dataset(str(csv), LoadOptions(image_shape=(2**32, 2**32)))
    line = one_error_line(run_main("analyze", "--data", str(csv), "--image-shape",
                                   "4294967296x4294967296", "--out", str(tmp_path / "o")))
    assert "--image-shape" in line


# --- sizes nobody checked ---------------------------------------------------------------------
@pytest.mark.timeout(60)
@pytest.mark.parametrize("lie", [False, True])
def test_inflating_model_config_is_refused_before_it_is_read(tmp_path, lie, monkeypatch):
    import zipfile

    from reprviz_gui.core.errors import ModelFileError
    from reprviz_gui.core.model import files

    monkeypatch.setattr(files, "MAX_CONFIG_BYTES", 1_000_000)  # the test stays small: 4 MB
    path = tmp_path / "bomb.keras"
    body = b'{"class_name": "Sequential", "config": {"pad": "' + b" " * 4_000_000 + b'"}}'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("config.json", body)
    if lie:  # a header that claims a small size: only the streaming limit catches it
        raw = bytearray(path.read_bytes())
        for sig in (b"PK\x03\x04", b"PK\x01\x02"):
            at = raw.find(sig)
            off = 22 if sig == b"PK\x03\x04" else 24  # uncompressed size field
            raw[at + off:at + off + 4] = (100).to_bytes(4, "little")
        path.write_bytes(bytes(raw))
    assert path.stat().st_size < 50_000
    # a lying header makes zipfile stop at the claimed size: cut short, damaged, still refused
    with pytest.raises(ModelFileError, match="bomb.keras is damaged" if lie
                       else "bomb.keras: its config.json inflates to more than 1 MB"):
        files.load_model_file(path)


# --- text in other encodings --------------------------------------------------------------------
@pytest.mark.timeout(60)
def test_utf16_csv_as_excel_writes_it_is_read(tmp_path):
    """Excel's "Unicode text": UTF-16 LE after a byte-order mark, tab-separated, CRLF."""
    from reprviz_gui.core.data.sources import load_dataset
    from reprviz_gui.core.data.types import LoadOptions

    rows = ["a\tb\tc\tlabel"] + [f"{i}\t{i * 2}\t{i % 3}\tcls{i % 3}" for i in range(30)]
    path = tmp_path / "excel.csv"
    path.write_bytes("\r\n".join(rows).encode("utf-16") + "\r\n".encode("utf-16-le"))
    labels = tmp_path / "labels.csv"
    labels.write_bytes("\r\n".join(f"c{i % 2}" for i in range(30)).encode("utf-16"))
    ds = load_dataset(str(path), LoadOptions(seed=0))
    assert sorted(ds.class_names) == ["cls0", "cls1", "cls2"]
    x = np.concatenate([ds.x_train, ds.x_test])
    assert sorted(x[:, 1].tolist()) == [float(2 * i) for i in range(30)]
    numbers = tmp_path / "numbers.csv"
    numbers.write_text("".join(f"{i},{i % 5}\n" for i in range(30)))
    ds2 = load_dataset(str(numbers), LoadOptions(labels_file=str(labels)))
    assert sorted(ds2.class_names) == ["c0", "c1"]


@pytest.mark.timeout(60)
def test_utf16_without_bom_is_named_as_such(tmp_path):
    path = tmp_path / "nobom.csv"
    path.write_bytes("".join(f"{i},{i % 3}\n" for i in range(30)).encode("utf-16-le"))
    line = one_error_line(run_main("analyze", "--data", str(path), "--out",
                                   str(tmp_path / "o")))
    assert "nobom.csv" in line and "UTF-16 text without a byte-order mark" in line


# --- misleading model messages ------------------------------------------------------------------
def _keras_zip(path: Path, layers: list[dict]) -> Path:
    import json
    import zipfile

    config = {"module": "keras", "class_name": "Sequential", "registered_name": None,
              "config": {"name": "seq", "layers": layers}}
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", '{"keras_version": "3.10.0"}')
        z.writestr("config.json", json.dumps(config))
    return path


def _layer(cls: str, **config) -> dict:
    return {"module": "keras.layers", "class_name": cls, "registered_name": None,
            "config": {"name": cls.lower(), **config}}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("trust", [False, True])
def test_lookup_layer_reading_a_local_file_is_named_and_refused_even_trusted(tmp_path, trust):
    from reprviz_gui.core.model.files import ForeignCodeError, load_model_file

    secret = tmp_path / "secret.txt"
    secret.write_text("hunter2\n")
    path = _keras_zip(tmp_path / "lookup.keras", [
        _layer("InputLayer", batch_shape=[None, 1], dtype="string"),
        _layer("StringLookup", vocabulary=str(secret), output_mode="int")])
    with pytest.raises(ForeignCodeError) as err:
        load_model_file(path, trust=trust)
    message = str(err.value)
    assert "vocabulary from the file" in message and str(secret) in message
    assert "Lambda" not in message and "--trust-model" not in message
    assert "hunter2" not in message


@pytest.mark.timeout(60)
def test_pickled_torch_wrapper_is_named_not_quoted(tmp_path):
    import base64

    from reprviz_gui.core.model.files import ForeignCodeError, load_model_file

    blob = base64.b64encode(b"\x80\x04\x95" + b"torch.nn.modules.linear Linear" * 20).decode()
    path = _keras_zip(tmp_path / "torch.keras", [
        _layer("InputLayer", batch_shape=[None, 4]),
        _layer("TorchModuleWrapper", module=blob)])
    with pytest.raises(ForeignCodeError, match="PyTorch module pickled") as err:
        load_model_file(path, trust=True)
    assert blob[:20] not in str(err.value)


@pytest.mark.timeout(60)
def test_torch_save_file_named_keras_is_named(tmp_path):
    import zipfile

    from reprviz_gui.core.errors import ModelFileError
    from reprviz_gui.core.model.files import load_model_file

    path = tmp_path / "net.keras"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("net/data.pkl", b"\x80\x02}q\x00.")
        z.writestr("net/version", "3\n")
    with pytest.raises(ModelFileError, match="net.keras is a PyTorch file"):
        load_model_file(path)


@pytest.mark.timeout(60)
def test_unreadable_keras_says_permission_denied(tmp_path, monkeypatch):
    from reprviz_gui.core.data import user_files
    from reprviz_gui.core.errors import ModelFileError
    from reprviz_gui.core.model.files import load_model_file

    path = _keras_zip(tmp_path / "locked.keras", [_layer("Dense", units=3)])
    if os.geteuid() == 0:  # root reads anything: make the open fail as it does for a user
        real_open = os.open

        def denied(p, flags, *args):
            if Path(p) == path:
                raise PermissionError(13, "Permission denied", str(p))
            return real_open(p, flags, *args)

        monkeypatch.setattr(user_files.os, "open", denied)
    else:
        path.chmod(0)
    with pytest.raises(ModelFileError, match="locked.keras cannot be read: permission denied"):
        load_model_file(path)


# --- legal but awkward models -------------------------------------------------------------------
@pytest.mark.timeout(60)
def test_deeply_nested_sequentials_are_refused_in_one_line(tmp_path):
    from reprviz_gui.core.errors import ModelFileError
    from reprviz_gui.core.model.files import load_model_file

    inner: dict = _layer("Dense", units=4)
    for i in range(200):  # each level recurses several frames deep in Keras
        inner = {"module": "keras", "class_name": "Sequential", "registered_name": None,
                 "config": {"name": f"s{i}", "layers": [inner]}}
    path = _keras_zip(tmp_path / "deep.keras", [_layer("InputLayer", batch_shape=[None, 4]),
                                                inner])
    with pytest.raises(ModelFileError, match="deep.keras nests models or layers more than"):
        load_model_file(path)


@pytest.mark.timeout(180)
def test_sequential_saved_without_input_is_one_line(tmp_path):
    script = (
        "import os, sys; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n"
        "import keras\n"
        "m = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(10)])\n"
        "m.save(sys.argv[1])\n")
    path = tmp_path / "unbuilt.keras"
    subprocess.run([sys.executable, "-c", script, str(path)], check=True, timeout=120,
                   capture_output=True)
    line = one_error_line(run_main("analyze", "--data", "digits", "--model", str(path),
                                   "--epochs", "0", "--out", str(tmp_path / "o")))
    assert "unbuilt.keras was saved without an input shape" in line


# --- the Keras cache's word index ---------------------------------------------------------------
@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["deep", "odd", "huge_word"])
def test_doctored_word_index_in_the_keras_cache(tmp_path, kind):
    from bad_inputs import _save_imdb_npz

    from reprviz_gui.core.data import keras_cache
    from reprviz_gui.core.data.sources import load_dataset
    from reprviz_gui.core.data.types import LoadOptions

    _save_imdb_npz(keras_cache.imdb_path())  # KERAS_HOME: a folder of this test (conftest)
    index = keras_cache.word_index_path()
    if kind == "deep":
        index.write_text('{"the": ' + "[" * 100_000 + "]" * 100_000 + "}")
    elif kind == "odd":
        index.write_text('{"the": [1], "a": {"b": 2}, "x": true, "y": -3, "z": 1e999}')
    else:
        index.write_text('{"the": 1, "' + "w" * 1_000_000 + '": 2, "and": 3}')
    ds = load_dataset("keras-imdb", LoadOptions(allow_pickle=True, maxlen=50))
    assert len(ds.x_train) > 0
    if kind == "deep":
        assert any("could not be read as a word index" in n for n in ds.notes), ds.notes
    if kind == "huge_word":
        longest = max(len(w) for w in ds.vocabulary.values())
        assert longest <= keras_cache.MAX_WORD_CHARS, longest


# --- the data deciding the model's size ---------------------------------------------------------
def _dataset(kind: str, x: np.ndarray, n_classes: int = 10):
    from reprviz_gui.core.data.types import Dataset

    y = np.arange(len(x)) % n_classes
    return Dataset(name="big", kind=kind, x_train=x, y_train=y, x_test=x, y_test=y,
                   class_names=[str(i) for i in range(n_classes)], provenance="test")


@pytest.mark.timeout(120)
@pytest.mark.parametrize("preset", ["dense", "sigmoid-mlp", "lenet"])
def test_very_wide_images_are_refused_before_keras_allocates(preset):
    from reprviz_gui.core.errors import ResourceLimitError
    from reprviz_gui.core.model.presets import ModelConfig, build_model

    images = np.broadcast_to(np.zeros((1, 1, 1), np.uint8), (10, 4096, 4096))  # no memory
    with pytest.raises(ResourceLimitError, match=f"The {preset} model would have .* weights"):
        build_model(ModelConfig(preset=preset), _dataset("image", images))


@pytest.mark.timeout(120)
def test_token_ids_far_beyond_the_vocabulary_are_refused():
    from reprviz_gui.core.errors import ResourceLimitError
    from reprviz_gui.core.model.presets import ModelConfig, build_model

    tokens = np.ones((4, 20), np.int32)
    tokens[0, 3] = 2_000_000_000
    with pytest.raises(ResourceLimitError, match="embedding has 2,000,000,001 rows"):
        build_model(ModelConfig(preset="bilstm"), _dataset("sequence", tokens, 2))


@pytest.mark.timeout(180)
@pytest.mark.parametrize("preset,kind,shape", [("dense", "image", (8, 8)),
                                               ("multinomial", "image", (8, 8)),
                                               ("lenet", "image", (28, 28)),
                                               ("bilstm", "sequence", (30,))])
def test_weight_count_matches_keras(preset, kind, shape):
    from reprviz_gui.core.model.presets import ModelConfig, build_model
    from reprviz_gui.core.model.size_check import preset_weight_count

    x = np.zeros((10, *shape), np.int32 if kind == "sequence" else np.uint8)
    if kind == "sequence":
        x[:, 0] = np.arange(10) + 50
    config = ModelConfig(preset=preset)
    model = build_model(config, _dataset(kind, x, 10 if kind == "image" else 2))
    counted = preset_weight_count(preset, shape, config.hidden, 10 if kind == "image" else 2,
                                  vocab=60 if kind == "sequence" else 0,
                                  embed_dim=config.embed_dim, lstm_units=config.lstm_units)
    convolutions = (6 * 25 + 6) + (16 * 25 * 6 + 16) if preset == "lenet" else 0
    assert counted + convolutions == model.count_params()


@pytest.mark.timeout(120)
def test_thousands_of_classes_skip_the_confusion_figure_with_a_note(tmp_path):
    from reprviz_gui.core import analysis
    from reprviz_gui.core.io.figures import CONFUSION_FIGURE_MAX_CLASSES, write_figures

    n_classes = 3000
    rng = np.random.default_rng(0)
    labels = np.arange(60) % 3
    acts = rng.normal(size=(60, 5)).astype(np.float32)
    proj = analysis.Projection(coords=rng.normal(size=(60, 2)).astype(np.float32),
                               method="pca")
    notes: list[str] = []
    confusion = np.zeros((n_classes, n_classes), np.int64)
    written = write_figures(tmp_path, acts, labels, labels, [f"c{i}" for i in range(3)],
                            np.eye(60, dtype=np.float32), proj, confusion, notes=notes)
    assert not (tmp_path / "confusion.png").exists()
    assert [p.name for p in written] == ["heatmap.png", "cosine.png", "map.png"]
    assert len(notes) == 1 and "3,000 classes" in notes[0]
    assert f"more than {CONFUSION_FIGURE_MAX_CLASSES}" in notes[0]
