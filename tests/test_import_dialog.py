"""CsvImportDialog: real clicks and typing choose how numbers.csv + labels.csv are read; the
preview shows the first digits upright with their labels; options() says the same; choices are
remembered per file name; code sets emit nothing; combo boxes ignore the wheel unless focused."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from digits_files import correlation, write_numbers_and_labels
from reprviz_gui.core.data.sources import load_dataset
from reprviz_gui.core.data.types import LoadOptions
from reprviz_gui.widgets.import_dialog import (CsvImportDialog, parse_label_map, parse_shape,
                                               remembered_options)


@pytest.fixture
def digit_files(tmp_path):
    return write_numbers_and_labels(tmp_path / "ex3", n=40)


def open_dialog(qtbot, path, initial=None, settings=None):
    dlg = CsvImportDialog(str(path), initial, None, settings=settings)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    emitted = []
    dlg.options_changed.connect(emitted.append)
    return dlg, emitted


def type_into(qtbot, line_edit, text):
    """Select everything (Ctrl+A), type ``text`` and press Return, as a user does."""
    qtbot.keyClick(line_edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(line_edit, text)
    qtbot.keyClick(line_edit, Qt.Key.Key_Return)
    assert line_edit.window().isVisible()  # Return commits the field, never closes the dialog


def choose_by_keyboard(qtbot, combo, data):
    """Move through a combo box with the arrow keys until ``data`` is chosen."""
    combo.setFocus()
    key = Qt.Key.Key_Down if combo.findData(data) > combo.currentIndex() else Qt.Key.Key_Up
    for _ in range(combo.count()):
        if combo.currentData() == data:
            return
        qtbot.keyClick(combo, key)
    assert combo.currentData() == data


def test_choosing_the_digit_options_by_hand(qtbot, digit_files, monkeypatch):
    numbers, labels, upright, digits = digit_files
    store: dict = {}
    dlg, emitted = open_dialog(qtbot, numbers, settings=store)
    # as opened: rows are vectors of 399 values, the last pixel (always 0) taken as the label
    assert dlg.preview().kind == "vector" and dlg.preview().x.shape == (12, 399)
    assert dlg.shown_labels() == ["0"] * 12 and dlg.vector_preview.isVisible()
    assert dlg.shape.findText("20x20") >= 0  # 400 columns: the square shape is suggested

    type_into(qtbot, dlg.shape.lineEdit(), "20x20")
    assert len(emitted) == 1 and emitted[-1].image_shape == (20, 20)
    # 399 values besides the label column cannot make 20x20: one line says so, OK is off
    assert dlg.preview() is None and "needs 400 values per row" in dlg.preview_error()
    assert "\n" not in dlg.preview_error() and dlg.error_label.isVisible()
    assert not dlg.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()

    choose_by_keyboard(qtbot, dlg.pixel_order, "column")
    assert len(emitted) == 2 and emitted[-1].pixel_order == "column"

    monkeypatch.setattr(dlg, "pick_labels_file", lambda: str(labels))
    qtbot.mouseClick(dlg.browse, Qt.MouseButton.LeftButton)
    assert len(emitted) == 3 and emitted[-1].labels_file == str(labels)
    assert dlg.source_file.isChecked() and dlg.options().label_column is None
    # labels 1..10 read as they are: 10 is a class of its own until the map says otherwise
    assert dlg.preview_error() == "" and "10" in dlg.preview().class_names

    type_into(qtbot, dlg.label_map, "10:0")
    assert len(emitted) == 4 and emitted[-1].label_map == {10: 0}

    qtbot.mouseClick(dlg.minmax, Qt.MouseButton.LeftButton)
    assert len(emitted) == 5 and emitted[-1].per_sample_minmax

    want = LoadOptions(image_shape=(20, 20), pixel_order="column", labels_file=str(labels),
                       label_map={10: 0}, per_sample_minmax=True)
    assert dlg.options() == want == emitted[-1]
    # the preview: the first 12 digits, upright, each stretched to 0..255, with its label
    shown = dlg.shown_images()
    assert len(shown) == 12 and all(a.shape == (20, 20) and a.dtype == np.uint8 for a in shown)
    assert all(a.min() == 0 and a.max() == 255 for a in shown)
    corr = correlation(np.stack(shown), upright[:12])
    assert np.diag(corr).min() > 0.99
    assert (corr.argmax(axis=1) == np.arange(12)).all()  # each one is its own digit
    assert dlg.shown_labels() == [str(d) for d in digits[:12]]
    assert dlg.preview_box.isVisible() and not dlg.error_label.isVisible()
    cell = dlg._cells[0][0].pixmap()
    assert cell is not None and cell.width() == 60  # 20 px drawn 3x

    # OK: accepted, remembered for files of this name, and the options load the whole file
    qtbot.mouseClick(dlg.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    assert dlg.result() == CsvImportDialog.DialogCode.Accepted
    assert remembered_options(store, numbers)["labels_file"] == str(labels)
    ds = load_dataset(numbers, dlg.options())
    assert ds.class_names == [str(d) for d in range(10)] and len(emitted) == 5
    # issue 19, 1.11: the note says the scaling that was chosen (it said "min-max over the
    # whole file" although each sample is scaled on its own)
    scaling = [n for n in ds.notes if "scaled" in n]
    assert len(scaling) == 1 and "each sample" in scaling[0], ds.notes
    assert "whole file" not in scaling[0]
    assert "whole file" in " ".join(load_dataset(numbers, replace(
        dlg.options(), per_sample_minmax=False)).notes)


def test_an_edit_that_changes_nothing_emits_nothing(qtbot, digit_files):
    numbers, labels, _, _ = digit_files
    dlg, emitted = open_dialog(qtbot, numbers, LoadOptions(image_shape=(20, 20),
                                                           labels_file=str(labels)))
    type_into(qtbot, dlg.shape.lineEdit(), "20x20")  # the same shape typed again
    qtbot.keyClick(dlg.label_map, Qt.Key.Key_Return)  # Return in an unchanged field
    assert emitted == []


def test_options_that_do_not_fit_show_one_line_instead_of_the_preview(qtbot, digit_files):
    numbers, labels, _, _ = digit_files
    dlg, emitted = open_dialog(qtbot, numbers, LoadOptions(
        image_shape=(20, 20), pixel_order="column", labels_file=str(labels), label_map={10: 0}))
    assert dlg.preview_error() == "" and len(dlg.shown_images()) == 12
    qtbot.keyClick(dlg.shape.lineEdit(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(dlg.shape.lineEdit(), "21x21")  # typed, not yet committed: live preview
    assert "needs 441 values per row, but the rows hold 400" in dlg.preview_error()
    assert dlg.shown_images() == [] and not dlg.preview_box.isVisible()
    assert not dlg.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    assert emitted == []
    qtbot.keyClicks(dlg.shape.lineEdit(), "x")  # "21x21x": not a shape at all
    assert dlg.preview_error().startswith("Image shape:")
    type_into(qtbot, dlg.label_map, "10 to 0")
    assert dlg.preview_error().startswith("Image shape:")  # the first problem is shown
    type_into(qtbot, dlg.shape.lineEdit(), "20x20")
    assert dlg.preview_error().startswith("Label map: expected FROM:TO pairs")
    type_into(qtbot, dlg.label_map, "10:0")
    assert dlg.preview_error() == "" and len(dlg.shown_images()) == 12
    assert dlg.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()


def test_set_from_code_emits_nothing_and_shows_the_options(qtbot, digit_files):
    numbers, labels, upright, _ = digit_files
    dlg, emitted = open_dialog(qtbot, numbers)
    opts = LoadOptions(image_shape=(20, 20), pixel_order="column", labels_file=str(labels),
                       label_map={10: 0}, per_sample_minmax=True, test_fraction=0.3, seed=7)
    dlg.set_options(opts)
    assert emitted == []
    assert dlg.options() == opts  # fields the dialog does not show are kept
    assert dlg.shape.currentText() == "20x20" and dlg.label_map.text() == "10:0"
    assert dlg.pixel_order.currentData() == "column" and dlg.minmax.isChecked()
    assert dlg.source_file.isChecked() and dlg.labels_file.text() == str(labels)
    assert np.diag(correlation(np.stack(dlg.shown_images()), upright[:12])).min() > 0.99


def test_label_column_by_name_in_a_csv_with_a_header(qtbot, tmp_path):
    path = tmp_path / "iris.csv"
    path.write_text("species;a;b\nsetosa;1,5;2\nvirginica;3;4,25\nsetosa;5;6\n")
    dlg, emitted = open_dialog(qtbot, path)
    # automatic: no "label" column, so the last one is the label and "species" a feature
    assert dlg.preview() is None
    assert dlg.preview_error() == ("iris.csv, line 2, column 1 ('species'): 'setosa' is not a "
                                   "number.")
    choose_by_keyboard(qtbot, dlg.label_column, "species")
    assert len(emitted) == 1 and emitted[0].label_column == "species"
    prev = dlg.preview()
    assert prev.kind == "vector" and prev.class_names == ["setosa", "virginica"]
    np.testing.assert_array_equal(prev.x, np.array([[1.5, 2], [3, 4.25], [5, 6]], np.float32))
    assert dlg.shown_labels() == ["setosa", "virginica", "setosa"]
    assert "semicolon-separated, decimal commas" in dlg.summary.text()
    assert "setosa" in dlg.vector_preview.text() and dlg.vector_preview.isVisible()
    # choosing a column again after a labels file switches the source back
    qtbot.mouseClick(dlg.source_file, Qt.MouseButton.LeftButton)
    assert dlg.preview_error().startswith("Labels file: choose")
    choose_by_keyboard(qtbot, dlg.label_column, "a")
    assert dlg.source_column.isChecked() and dlg.options().labels_file is None
    assert len(emitted) == 3 and emitted[-1].label_column == "a"
    # typing a path chooses the labels file again
    labels = tmp_path / "y.txt"
    labels.write_text("cat\ndog\ncat\n")
    type_into(qtbot, dlg.labels_file, str(labels))
    assert dlg.source_file.isChecked() and len(emitted) == 4
    assert emitted[-1].labels_file == str(labels) and emitted[-1].label_column is None
    # with a labels file every column is a feature, and 'species' holds no numbers
    assert dlg.preview() is None and "'setosa' is not a number" in dlg.preview_error()


@pytest.mark.parametrize("store_kind", ["dict", "qsettings"])
def test_choices_are_remembered_per_file_name(qtbot, digit_files, tmp_path, store_kind):
    numbers, labels, _, _ = digit_files
    store = (QSettings(str(tmp_path / "reprviz.ini"), QSettings.Format.IniFormat)
             if store_kind == "qsettings" else {})
    dlg, _ = open_dialog(qtbot, numbers, settings=store)
    dlg.set_options(LoadOptions(image_shape=(20, 20), pixel_order="column",
                                labels_file=str(labels), label_map={10: 0}))
    qtbot.mouseClick(dlg.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    if store_kind == "qsettings":  # a fresh QSettings reads what was written to disk
        store = QSettings(str(tmp_path / "reprviz.ini"), QSettings.Format.IniFormat)
    # another file with the same name elsewhere gets the same choices; other fields come from
    # the caller's initial options
    other = tmp_path / "copy" / "numbers.csv"
    other.parent.mkdir()
    other.write_bytes(numbers.read_bytes())
    again, _ = open_dialog(qtbot, other, LoadOptions(seed=5), settings=store)
    assert again.options() == LoadOptions(image_shape=(20, 20), pixel_order="column",
                                          labels_file=str(labels), label_map={10: 0}, seed=5)
    assert again.preview_error() == ""
    # a file of another name starts from the defaults; Cancel remembers nothing
    renamed = tmp_path / "copy" / "digits.csv"
    renamed.write_bytes(numbers.read_bytes())
    fresh, _ = open_dialog(qtbot, renamed, settings=store)
    assert fresh.options() == LoadOptions()
    type_into(qtbot, fresh.shape.lineEdit(), "20x20")
    fresh.reject()
    assert remembered_options(store, renamed) is None


def _wheel(widget, delta_y):
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(pos, widget.mapToGlobal(pos), QPoint(0, 0), QPoint(0, delta_y),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_combo_boxes_ignore_the_wheel_unless_focused(qtbot, digit_files):
    numbers, _, _, _ = digit_files
    dlg, emitted = open_dialog(qtbot, numbers)
    dlg.activateWindow()
    combo = dlg.pixel_order
    assert combo.focusPolicy() == Qt.FocusPolicy.StrongFocus
    dlg.label_map.setFocus()
    qtbot.waitUntil(lambda: dlg.label_map.hasFocus())
    _wheel(combo, -120)
    assert combo.currentData() == "row" and emitted == []
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    _wheel(combo, -120)  # focused: the wheel moves it, as the user meant
    assert combo.currentData() == "column"


def test_text_field_parsers():
    assert parse_shape(" none ") is None and parse_shape("") is None
    assert parse_shape("20×20") == (20, 20) and parse_shape("32, 32, 3") == (32, 32, 3)
    for bad in ("20", "0x3", "axb", "1x2x3x4"):
        with pytest.raises(ValueError, match="Image shape"):
            parse_shape(bad)
    assert parse_label_map("") is None and parse_label_map("10:0; 11:1") == {10: 0, 11: 1}
    with pytest.raises(ValueError, match="Label map"):
        parse_label_map("10=0")
