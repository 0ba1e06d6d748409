"""Settings as an evented state object, and a damaged settings file: the window starts anyway,
odd values go back to their defaults (and are not saved again), a file it cannot read is set
aside with its copy kept, and the status bar says so."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest
from PySide6.QtCore import QSettings

from gui_support import ready
from reprviz_gui.workspace.settings import Settings


# --- the state object ------------------------------------------------------------------------
def test_settings_round_trip_through_a_dict() -> None:
    s = Settings(source="digits", preset="lenet", model_params={"dropout": 0.25}, epochs=7,
                 batch_size=16, optimizer="sgd", learning_rate=0.05, validation_split=0.2,
                 seed=3, n_samples=300, split="train", method="tsne", pca_components=7)
    back, rejected = Settings.from_dict(json.loads(json.dumps(s.to_dict())))
    assert rejected == []
    assert back == s and back is not s


def test_settings_say_what_changed() -> None:
    s, seen = Settings(), []
    s.events.epochs.connect(lambda value: seen.append(("epochs", value)))
    s.events.method.connect(lambda value: seen.append(("method", value)))
    s.epochs = 9
    s.epochs = 9  # no change, no event
    s.update(Settings(method="pca", epochs=9))
    assert seen == [("epochs", 9), ("method", "pca")]


@pytest.mark.parametrize("name, value", [
    ("seed", -1), ("seed", 2**40), ("batch_size", 0), ("epochs", [1, 2]), ("epochs", True),
    ("method", "warp"), ("preset", "nope"), ("optimizer", "adamw"), ("split", "all"),
    ("learning_rate", 0.0), ("learning_rate", float("nan")), ("validation_split", 1.0),
    ("n_samples", "1000"), ("source", ""), ("source", {"a": 1}),
    ("model_params", [1, 2]), ("model_params", {"hidden": [[[1]]]}),
])
def test_odd_values_are_rejected_to_their_defaults(name: str, value) -> None:
    good = {"epochs": 3, "seed": 5}
    settings, rejected = Settings.from_dict({**good, name: value})
    assert rejected == [name]
    assert getattr(settings, name) == getattr(Settings(), name) or name in good
    assert (settings.epochs, settings.seed) == (good["epochs"] if name != "epochs" else 5,
                                                good["seed"] if name != "seed" else 0)


def test_a_whole_that_is_not_an_object_gives_the_defaults() -> None:
    assert Settings.from_dict([1, 2]) == (Settings(), ["choices"])
    assert Settings.from_dict(None) == (Settings(), [])


# --- the window and its file -----------------------------------------------------------------
def _window(qtbot, config):
    from reprviz_gui.main_window import MainWindow

    win = MainWindow(remember=True)
    qtbot.addWidget(win)
    return win


def _ini(config, text: str | bytes) -> None:
    config.mkdir(parents=True, exist_ok=True)
    data = text.encode() if isinstance(text, str) else text
    (config / "reprviz.ini").write_bytes(data)


def _saved_choices(config) -> dict:
    return json.loads(QSettings(str(config / "reprviz.ini"), QSettings.Format.IniFormat)
                      .value("choices"))


@pytest.fixture
def config(tmp_path, monkeypatch):
    monkeypatch.setenv("REPRVIZ_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "config"


def test_odd_values_start_the_window_with_defaults_and_are_not_saved_again(qtbot, config):
    choices = dict(source="digits", preset="nope", model_params={"hidden": [32, 16]},
                   epochs=[1, 2], batch_size=0, seed=-1, n_samples=200, method="pca",
                   split="test")
    _ini(config, "[General]\nchoices=" + json.dumps(json.dumps(choices)) + "\n")
    win = _window(qtbot, config)
    s = win.controller.settings
    assert (s.preset, s.epochs, s.batch_size, s.seed) == ("dense", 5, 32, 0)
    assert (s.source, s.n_samples, s.method) == ("digits", 200, "pca")
    assert win.sidebar.epochs_spin.value() == 5
    note = win.statusBar().currentMessage()
    assert "not valid" in note and "batch size" in note and "seed" in note
    win.show()
    win.start()
    qtbot.waitUntil(lambda: ready(win), timeout=60_000)  # work goes on
    assert not list(config.glob("reprviz.ini.damaged-*"))  # odd values are not damage
    win.close()
    saved = _saved_choices(config)
    assert (saved["seed"], saved["batch_size"], saved["epochs"], saved["preset"]) == \
        (0, 32, 5, "dense")


@pytest.mark.parametrize("damage", [
    "deep-json", "list", "json-list", "binary", "huge",
])
def test_a_damaged_file_is_set_aside_with_a_copy_and_a_note(qtbot, config, damage):
    body = {
        "deep-json": "[General]\nchoices=\"" + "[" * 100_000 + "]" * 100_000 + "\"\n",
        "list": "[General]\nchoices=a, b, c\n",
        "json-list": "[General]\nchoices=\"[1, 2, 3]\"\n",
        "binary": b"\x00\xff[General]\nchoices=\"{not json\n\x00\x00",
        "huge": "[General]\nchoices=\"{\\\"seed\\\": \\\"" + "x" * 100_000 + "\\\"}\"\n",
    }[damage]
    _ini(config, body)
    original = (config / "reprviz.ini").read_bytes()
    win = _window(qtbot, config)
    assert win.controller.settings == Settings()
    aside = list(config.glob("reprviz.ini.damaged-*"))
    if damage == "binary" and not aside:
        pytest.skip("Qt read this file as INI: nothing was damaged for it")
    assert len(aside) == 1 and aside[0].read_bytes() == original  # the copy is kept
    assert "damaged" in win.statusBar().currentMessage()
    win.controller.settings.epochs = 4
    win.close()
    assert _saved_choices(config)["epochs"] == 4  # a fresh file is written in its place
    again = _window(qtbot, config)
    assert again.controller.settings.epochs == 4
    assert "damaged" not in again.statusBar().currentMessage()
    again.close()


def test_settings_dict_is_what_the_sidebar_reads() -> None:
    # the sidebar and the window read the fields by name (asdict): an evented dataclass
    # still gives exactly them, no signal machinery
    assert set(asdict(Settings())) == set(Settings().to_dict())
    assert "events" not in Settings().to_dict()
