"""The window on every bad input of the corpus (tests/bad_inputs.py), driven with pytest-qt.

For each case a window opens on digits with a small dense model and shows its first layer; then
the bad file is opened as data (``controller.open_dataset``) or loaded as a model
(``controller.load_model``). The test asserts: a dialog names the file and the problem; the
failure has the expected category; the dataset, the model and the heatmap are the ones from
before; the GUI thread never stalled (a 20 ms QTimer kept firing); and the window still works
(another layer is extracted and drawn). For the two untrusted files with an override (a Lambda
model, Keras's imdb.npz) the dialog's "Trust this file" button is clicked and the file loads.
"""

from __future__ import annotations

import gc
import time

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMessageBox

from bad_inputs import (ALL_CASES, SIZES_NOTE, SKIPPED_NOTE, Case,
                        make_image_folder_with_skipped_files)
from gui_support import layer_result, session
from reprviz_gui.workspace.controller import Controller


class Recorder:
    """What the controller reports, and a 20 ms heartbeat on the GUI thread."""

    def __init__(self, controller: Controller) -> None:
        self.failures: list = []  # JobFailure
        self.unsafe: list[tuple[str, str, str]] = []  # (signal, source, message)
        self.messages: list[str] = []
        controller.failed.connect(lambda what, failure: self.failures.append(failure))
        controller.unsafe_model.connect(lambda sid, p, m: self.unsafe.append(("model", p, m)))
        controller.unsafe_data.connect(lambda s, m: self.unsafe.append(("data", s, m)))
        controller.message.connect(self.messages.append)
        self.ticks: list[float] = []
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(lambda: self.ticks.append(time.monotonic()))

    def start(self) -> None:
        self.started = time.monotonic()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()


def snapshot(win) -> dict:
    c = win.controller
    return {"dataset": c.dataset, "model": session(win).handle,
            "layer": layer_result(win),
            "heatmap": np.array(win.view("heatmap").displayed()["image"], copy=True),
            "cosine": np.array(win.view("cosine").displayed()["image"], copy=True)}


def assert_unchanged(win, before: dict) -> None:
    c = win.controller
    assert c.dataset is before["dataset"]
    assert c.dataset.name == "digits"
    assert session(win).handle == before["model"]
    assert layer_result(win) is before["layer"]
    np.testing.assert_array_equal(win.view("heatmap").displayed()["image"], before["heatmap"])
    np.testing.assert_array_equal(win.view("cosine").displayed()["image"], before["cosine"])
    assert win.windowTitle().startswith("reprviz — digits")


def assert_still_usable(qtbot, win) -> None:
    """Another layer is extracted and drawn: the lanes and the panels still work."""
    c = win.controller
    current = layer_result(win).layer_name
    target = next(l.name for l in c.layers_of() if l.name not in (current, "flatten"))
    c.select_layer(target)
    qtbot.waitUntil(lambda: layer_result(win) is not None
                    and layer_result(win).layer_name == target, timeout=30_000)
    assert win.view("heatmap").displayed()["image"].shape[0] == c.samples.n


def open_bad(win, case: Case, source: str) -> None:
    if case.kind == "data":
        win.controller.open_dataset(source)
    else:
        win.controller.load_model(source)


def dialog_text(box: QMessageBox) -> str:
    return f"{box.text()}\n{box.informativeText()}"


def trust_button(box: QMessageBox):
    buttons = [b for b in box.buttons() if b.text().startswith("Trust this file")]
    assert len(buttons) == 1, [b.text() for b in box.buttons()]
    return buttons[0]


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.name for c in ALL_CASES])
def test_bad_input_shows_a_dialog_and_keeps_everything(qtbot, window, tmp_path, case):
    win = window
    bad = case.build(tmp_path / "bad")  # before the heartbeat: making a model blocks this thread
    before = snapshot(win)
    rec = Recorder(win.controller)
    gc.collect()  # the previous test's windows and models are freed now, not mid-measurement
    rec.start()
    open_bad(win, case, bad.source)
    # the GUI thread only hands the file to a worker lane: nothing is reported, no dialog is
    # up when the call returns (a load done on the GUI thread would have failed already)
    assert rec.failures == [] and rec.unsafe == [] and not win.dialogs
    qtbot.waitUntil(lambda: bool(win.dialogs), timeout=60_000)
    shown_at = len(rec.ticks)  # the heartbeat goes on with the dialog open
    qtbot.waitUntil(lambda: len(rec.ticks) >= shown_at + 3, timeout=10_000)
    rec.stop()

    box = win.dialogs[-1]
    text = dialog_text(box)
    assert bad.expect.lower() in text.lower(), text
    if case.trusted:
        assert rec.failures == [], rec.failures
        assert len(rec.unsafe) == 1
        signal, _, message = rec.unsafe[0]
        assert signal == case.kind
        assert bad.expect.lower() in message.lower() and "trust" in message.lower()
        assert box.objectName() == "trust_dialog"
    else:
        assert rec.unsafe == []
        assert len(rec.failures) == 1, rec.failures
        failure = rec.failures[0]
        assert failure.category == bad.category, failure
        assert failure.user_error, failure
        assert bad.expect.lower() in failure.message.lower(), failure.message
        assert "Traceback" not in text
        assert box.objectName() == "error_dialog"
        assert "Earlier results are kept" in box.informativeText()
    assert len(win.dialogs) == 1
    assert_unchanged(win, before)

    if case.trusted:  # leave it untrusted here; test_trusting_... clicks the override
        box.reject()
    else:
        box.close()
    qtbot.waitUntil(lambda: not win.dialogs, timeout=5_000)
    assert_unchanged(win, before)
    assert_still_usable(qtbot, win)


TRUSTED = [c for c in ALL_CASES if c.trusted]


@pytest.mark.parametrize("case", TRUSTED, ids=[c.name for c in TRUSTED])
def test_trusting_the_file_loads_it(qtbot, window, tmp_path, case):
    win = window
    c = win.controller
    bad = case.build(tmp_path / "bad")
    rec = Recorder(c)
    open_bad(win, case, bad.source)
    qtbot.waitUntil(lambda: bool(win.dialogs), timeout=60_000)
    box = win.dialogs[-1]
    assert box.objectName() == "trust_dialog"
    assert c.dataset.name == "digits"
    qtbot.mouseClick(trust_button(box), Qt.MouseButton.LeftButton)
    if case.kind == "model":
        qtbot.waitUntil(lambda: session(win).has_model
                        and session(win).label == "with_lambda.keras", timeout=60_000)
        tree = win.sidebar.layer_tree
        shown = [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]
        assert "double" in shown and "hidden" in shown, shown
        assert c.dataset.name == "digits"
        qtbot.waitUntil(lambda: layer_result(win) is not None
                        and layer_result(win).layer_name in shown, timeout=30_000)
        assert "with_lambda.keras" in win.windowTitle()
    else:
        qtbot.waitUntil(lambda: c.dataset is not None and c.dataset.name != "digits",
                        timeout=60_000)
        assert c.dataset.kind == "sequence"
        assert len(c.dataset.y_train) == 40 and len(c.dataset.y_test) == 40
        assert win.host("heatmap")._dataset is c.dataset
    assert len(rec.unsafe) == 1  # asked once, not again after trusting
    assert [f for f in rec.failures if f.category in ("unsafe", "unsafe-model")] == []


def test_skipped_image_files_are_shown_as_a_note(qtbot, window, tmp_path):
    """An image folder with a broken PNG and a text file opens; the two skipped files are
    counted in the dataset's notes, which the window shows in its dataset info and status bar."""
    win = window
    c = win.controller
    root = make_image_folder_with_skipped_files(tmp_path)
    rec = Recorder(c)
    c.open_dataset(str(root))
    qtbot.waitUntil(lambda: c.dataset is not None and c.dataset.name == "shapes", timeout=30_000)
    assert any(SKIPPED_NOTE in n for n in c.dataset.notes), c.dataset.notes
    assert any(SKIPPED_NOTE in m for m in rec.messages), rec.messages
    info = win.sidebar.dataset_info.text()
    assert SKIPPED_NOTE in info and SIZES_NOTE in info, info
    assert not win.dialogs
    qtbot.waitUntil(lambda: layer_result(win) is not None, timeout=60_000)
    assert win.view("heatmap").displayed()["image"].shape[0] == c.samples.n
