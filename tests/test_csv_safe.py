"""OWASP's CSV-injection rule on every CSV reprviz writes: a text cell that a spreadsheet would
run as a formula gets a leading quote; numbers written as numbers stay numbers."""

from __future__ import annotations

import csv

import numpy as np

from reprviz_gui.core.io.csv_safe import safe_cell, write_csv
from reprviz_gui.core.io.history import RunRecord, export_csv, new_run_id

HOSTILE = ['=HYPERLINK("http://x","y")', "@SUM(1+1)", "+1+2", "-2+3", "\tTAB", "\rCR"]


def read(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_formula_cells_are_quoted_and_numbers_are_not(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["name", "value"],
                     [[h, -0.5] for h in HOSTILE] + [["plain", np.float32(2.5)],
                                                      ["a=b", np.int64(-3)], [None, float("nan")]])
    rows = read(path)
    assert rows[0] == ["name", "value"]
    names = [r[0] for r in rows[1:]]
    # every hostile cell starts with the quote and keeps its text after it
    assert names[:len(HOSTILE)] == ["'" + h for h in HOSTILE]
    assert all(not n.startswith(("=", "+", "-", "@", "\t", "\r")) for n in names)
    assert names[len(HOSTILE):] == ["plain", "a=b", ""]
    values = [r[1] for r in rows[1:]]
    assert values[:len(HOSTILE)] == ["-0.5"] * len(HOSTILE)  # a negative number stays a number
    assert values[len(HOSTILE):] == ["2.5", "-3", ""]
    assert float(values[0]) == -0.5


def test_safe_cell_leaves_text_that_is_no_formula():
    assert safe_cell("Shirt") == "Shirt" and safe_cell(" =x") == " =x"
    assert safe_cell("-") == "'-" and safe_cell(True) == "true" and safe_cell(7) == 7


def test_run_history_csv_with_a_hostile_dataset_name(tmp_path):
    runs = [RunRecord(id=new_run_id(), time="2026-01-31T14:25:01+01:00",
                      dataset='=HYPERLINK("http://x","y")', architecture="@SUM(1+1)",
                      model_file="-cmd.keras", learning_rate=0.01, test_loss=-0.0)]
    rows = list(csv.DictReader(open(export_csv(runs, tmp_path / "runs.csv"), newline="")))
    assert rows[0]["dataset"] == '\'=HYPERLINK("http://x","y")'
    assert rows[0]["architecture"] == "'@SUM(1+1)"
    assert rows[0]["model_file"] == "'-cmd.keras"
    assert rows[0]["learning_rate"] == "0.01" and rows[0]["test_loss"] == "-0.0"
