"""The hand-made network's 20x20 digits: numbers.csv (pixels column by column) + labels.csv
(1..10, 10 means 0), read with --image-shape 20x20 --pixel-order column --labels labels.csv
--label-map 10:0 --minmax; and the errors a labels file can bring."""

from __future__ import annotations

import numpy as np
import pytest

from digits_files import correlation, write_numbers_and_labels
from reprviz_gui.core.data.sources import load_dataset
from reprviz_gui.core.data.tabular import load_csv, preview_csv
from reprviz_gui.core.data.types import LoadOptions
from reprviz_gui.core.errors import DataError, EmptyDataError, LabelError, ShapeDataError

DIGIT_OPTIONS = dict(image_shape=(20, 20), pixel_order="column", label_map={10: 0},
                     per_sample_minmax=True)


def test_numbers_and_labels_load_upright_with_the_right_classes(tmp_path):
    numbers, labels, upright, digits = write_numbers_and_labels(tmp_path, n=300)
    ds = load_dataset(numbers, LoadOptions(labels_file=str(labels), **DIGIT_OPTIONS))
    assert ds.kind == "image" and ds.sample_shape == (20, 20)
    assert ds.class_names == [str(d) for d in range(10)]
    assert ds.per_sample_minmax and "labels from labels.csv" in ds.provenance
    x = np.concatenate([ds.x_train, ds.x_test])
    y = np.concatenate([ds.y_train, ds.y_test])
    assert len(x) == 300
    inputs = ds.inputs(x)  # per-sample min-max: every image spans exactly 0..1
    np.testing.assert_allclose(inputs.reshape(300, -1).min(1), 0.0)
    np.testing.assert_allclose(inputs.reshape(300, -1).max(1), 1.0)
    # the split shuffles rows: match every loaded image to its source by correlation
    corr = correlation(inputs, upright)
    best = corr.argmax(axis=1)
    assert corr.max(axis=1).min() > 0.99  # every image is upright (and not transposed)
    assert np.array_equal(y, digits[best])  # with its own digit, 10 read as 0
    assert len(set(best.tolist())) > 250  # distinct sources, not one blob matching everything
    # the control: the same file read row by row shows transposed digits
    wrong = load_dataset(numbers, LoadOptions(labels_file=str(labels),
                                              **{**DIGIT_OPTIONS, "pixel_order": "row"}))
    xw = wrong.inputs(np.concatenate([wrong.x_train, wrong.x_test]))
    assert np.median(correlation(xw, upright).max(axis=1)) < 0.95


def test_preview_reads_only_the_first_rows_in_file_order(tmp_path):
    numbers, labels, upright, digits = write_numbers_and_labels(tmp_path, n=300)
    prev = preview_csv(numbers, LoadOptions(labels_file=str(labels), **DIGIT_OPTIONS), n=12)
    assert prev.kind == "image" and prev.x.shape == (12, 20, 20) and prev.x.dtype == np.uint8
    assert [prev.class_names[c] for c in prev.y] == [str(d) for d in digits[:12]]
    assert np.diag(correlation(prev.x, upright[:12])).min() > 0.99
    # a labels file shorter than the preview is an error naming both files
    labels.write_text("\n".join(["1"] * 5) + "\n")
    with pytest.raises(LabelError, match=r"labels\.csv holds only 5 labels but numbers\.csv"):
        preview_csv(numbers, LoadOptions(labels_file=str(labels), **DIGIT_OPTIONS), n=12)


@pytest.mark.parametrize("header", ["y", "label", None])
def test_labels_file_header_is_skipped(tmp_path, header):
    numbers, labels, _, digits = write_numbers_and_labels(tmp_path, n=40, header=header)
    ds = load_csv(numbers, LoadOptions(labels_file=str(labels), **DIGIT_OPTIONS))
    y = np.concatenate([ds.y_train, ds.y_test])
    assert sorted(y.tolist()) == sorted(digits.tolist())


def test_labels_in_one_row_and_by_name(tmp_path):
    data = tmp_path / "x.csv"
    data.write_text("1,2\n3,4\n5,6\n7,8\n")
    labels = tmp_path / "y.csv"
    labels.write_text("cat;dog;cat;dog\n")
    prev = preview_csv(data, LoadOptions(labels_file=str(labels)), n=4)
    assert prev.class_names == ["cat", "dog"] and prev.y.tolist() == [0, 1, 0, 1]
    np.testing.assert_array_equal(prev.x, [[1, 2], [3, 4], [5, 6], [7, 8]])
    labels.write_text("species\nsetosa\nvirginica\nsetosa\nversicolor\n")
    prev = preview_csv(data, LoadOptions(labels_file=str(labels)), n=4)
    assert prev.class_names == ["setosa", "versicolor", "virginica"]
    assert prev.y.tolist() == [0, 2, 0, 1]


def test_labels_file_errors_name_the_files(tmp_path):
    numbers, labels, _, _ = write_numbers_and_labels(tmp_path, n=30)
    opts = LoadOptions(labels_file=str(labels), **DIGIT_OPTIONS)
    labels.write_text("\n".join(["1"] * 29) + "\n")
    with pytest.raises(LabelError, match=r"labels\.csv holds 29 labels but numbers\.csv holds "
                                         r"30 rows"):
        load_csv(numbers, opts)
    labels.write_text("1,2\n3,4\n")
    with pytest.raises(LabelError, match=r"labels\.csv, line 2: 2 values; a labels file holds "
                                         r"one label per line"):
        load_csv(numbers, opts)
    labels.write_text("\n\n")
    with pytest.raises(EmptyDataError, match=r"labels\.csv is empty"):
        load_csv(numbers, opts)
    labels.write_text("\n".join(["-1"] * 30) + "\n")
    with pytest.raises(LabelError, match=r"labels\.csv, line 1: the label -1 is negative"):
        load_csv(numbers, opts)
    with pytest.raises(LabelError, match="either a label column or a labels file"):
        load_csv(numbers, LoadOptions(labels_file=str(labels), label_column=0))
    with pytest.raises(DataError, match=r"missing\.csv"):
        load_dataset(numbers, LoadOptions(labels_file=str(tmp_path / "missing.csv")))
    # with a labels file every column is a pixel: the shape message does not mention a label
    labels.write_text("\n".join(["1"] * 30) + "\n")
    with pytest.raises(ShapeDataError, match=r"needs 441 values per row, but the rows hold "
                                             r"400\.$"):
        load_csv(numbers, LoadOptions(labels_file=str(labels), image_shape=(21, 21)))


def test_a_labels_file_only_goes_with_a_csv(tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("1\n2\n")
    with pytest.raises(DataError, match=r"labels file \(labels\.csv\) goes with a CSV of "
                                        r"samples; the built-in source 'digits' is not one"):
        load_dataset("digits", LoadOptions(labels_file=str(labels)))
    pics = tmp_path / "pics"
    pics.mkdir()
    with pytest.raises(DataError, match=r"goes with a CSV of samples; pics is not one"):
        load_dataset(pics, LoadOptions(labels_file=str(labels)))


def test_cli_labels_option_reaches_load_options(tmp_path):
    from reprviz_gui.cli import build_analyze_parser, options_from_args

    args = build_analyze_parser().parse_args(
        ["--data", "numbers.csv", "--labels", "labels.csv", "--image-shape", "20x20",
         "--pixel-order", "column", "--label-map", "10:0", "--minmax", "--out", str(tmp_path)])
    load = options_from_args(args).load
    assert load.labels_file == "labels.csv" and load.image_shape == (20, 20)
    assert load.pixel_order == "column" and load.label_map == {10: 0}
    assert load.per_sample_minmax and load.label_column is None
    assert options_from_args(build_analyze_parser().parse_args(
        ["--out", str(tmp_path)])).load.labels_file is None


def test_cli_analyze_reads_numbers_and_labels(tmp_path):
    """The whole command, headless, with no model: the report names the labels file."""
    import json

    from reprviz_gui.cli import main

    numbers, labels, _, _ = write_numbers_and_labels(tmp_path / "data", n=60)
    out = tmp_path / "out"
    code = main(["analyze", "--data", str(numbers), "--labels", str(labels), "--image-shape",
                 "20x20", "--pixel-order", "column", "--label-map", "10:0", "--minmax",
                 "--model", "none", "--samples", "20", "--no-figures", "-q", "--out", str(out)])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    text = json.dumps(report)
    assert "labels.csv" in text
