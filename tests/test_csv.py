"""CSV samples: label column, image shape, column-major pixels, label map, header detection,
value scaling; word-table CSVs are detected (see test_word_vectors.py for their content)."""

from __future__ import annotations

import numpy as np
import pytest

from reprviz_gui.core.data.types import LoadOptions
from reprviz_gui.core.errors import LabelError, ShapeDataError
from reprviz_gui.core.data.tabular import load_csv, reshape_images

L_SHAPE = np.array([[255, 0, 0, 0],
                    [255, 0, 0, 0],
                    [255, 0, 0, 0],
                    [255, 0, 0, 0],
                    [255, 255, 255, 0]], dtype=np.uint8)  # 5x4, not symmetric in any way


def write_csv(path, rows, header=None):
    lines = [",".join(header)] if header else []
    lines += [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_column_major_image_displays_upright(tmp_path):
    # stored column-major, like the 20x20 digits of Andrew Ng's course (label 10 means digit 0)
    rows = []
    for label in (10, 1, 2, 3, 10, 1, 2, 3, 10, 1):
        rows.append(list(L_SHAPE.flatten(order="F")) + [label])
    path = write_csv(tmp_path / "ex3.csv", rows)
    ds = load_csv(path, LoadOptions(image_shape=(5, 4), pixel_order="column",
                                    label_map={10: 0}))
    assert ds.kind == "image" and ds.x_train.dtype == np.uint8
    for img in np.concatenate([ds.x_train, ds.x_test]):
        np.testing.assert_array_equal(img, L_SHAPE)
    assert ds.class_names == ["0", "1", "2", "3"]
    y = np.concatenate([ds.y_train, ds.y_test])
    assert np.bincount(y).tolist() == [3, 3, 2, 2]


def test_row_major_default_reads_the_same_image(tmp_path):
    path = write_csv(tmp_path / "r.csv", [list(L_SHAPE.flatten()) + [0]] * 4)
    ds = load_csv(path, LoadOptions(image_shape=(5, 4)))
    np.testing.assert_array_equal(ds.x_train[0], L_SHAPE)


def test_reshape_images_column_order_with_channels():
    img = np.arange(2 * 3 * 2).reshape(2, 3, 2)
    flat = img.flatten(order="F")[None, :]
    np.testing.assert_array_equal(reshape_images(flat, (2, 3, 2), "column")[0], img)


def test_label_column_by_name_index_and_defaults(tmp_path):
    rows = [[i, i * 2, i % 2] for i in range(10)]
    path = write_csv(tmp_path / "h.csv", rows, header=["a", "b", "y"])
    ds = load_csv(path)  # no "label" column: the last one
    assert ds.class_names == ["0", "1"] and ds.kind == "vector"
    assert ds.x_train.dtype == np.float32 and ds.x_train.shape[1] == 2
    ds = load_csv(path, LoadOptions(label_column="a"))
    assert ds.class_names == [str(i) for i in range(10)]
    assert load_csv(path, LoadOptions(label_column=0)).class_names == ds.class_names

    path2 = write_csv(tmp_path / "lab.csv", [[i % 3, i, i + 1] for i in range(9)],
                      header=["label", "p0", "p1"])
    ds2 = load_csv(path2)  # the "label" column wins over the last column
    assert ds2.class_names == ["0", "1", "2"]
    x = np.concatenate([ds2.x_train, ds2.x_test])
    assert sorted(x[:, 0].tolist()) == list(range(9))


def test_unknown_label_column_name(tmp_path):
    path = write_csv(tmp_path / "h.csv", [[1, 2, 0]] * 3, header=["a", "b", "c"])
    with pytest.raises(LabelError, match=r"h\.csv.*'nope'.*a, b, c"):
        load_csv(path, LoadOptions(label_column="nope"))


def test_string_labels_are_sorted_classes(tmp_path):
    rows = [[1, 2, "zebra"], [3, 4, "ant"], [5, 6, "moose"], [7, 8, "ant"]]
    ds = load_csv(write_csv(tmp_path / "s.csv", rows), LoadOptions(test_fraction=0.5))
    assert ds.class_names == ["ant", "moose", "zebra"]


def test_header_detection(tmp_path):
    no_header = write_csv(tmp_path / "n.csv", [[1, 2, 0], [3, 4, 1], [5, 6, 0], [7, 8, 1]])
    ds = load_csv(no_header, LoadOptions(test_fraction=0.5))
    assert len(ds.y_train) + len(ds.y_test) == 4
    with_header = write_csv(tmp_path / "w.csv", [[1, 2, 0], [3, 4, 1], [5, 6, 0], [7, 8, 1]],
                            header=["x1", "x2", "label"])
    ds = load_csv(with_header, LoadOptions(test_fraction=0.5))
    assert len(ds.y_train) + len(ds.y_test) == 4
    # forcing "no header" on a numeric first row, and "header" on a file without one
    ds = load_csv(no_header, LoadOptions(has_header=True, test_fraction=0.5))
    assert len(ds.y_train) + len(ds.y_test) == 3


def test_integer_pixels_kept_as_is(tmp_path):
    rows = [[0, 255, 7, 9, 0], [1, 2, 3, 4, 1]] * 3
    ds = load_csv(write_csv(tmp_path / "p.csv", rows), LoadOptions(image_shape=(2, 2)))
    got = {tuple(img.flatten()) for img in np.concatenate([ds.x_train, ds.x_test])}
    assert got == {(0, 255, 7, 9), (1, 2, 3, 4)}
    assert not any("scaled" in n for n in ds.notes)


def test_float_pixels_min_max_scaled_with_note(tmp_path):
    rows = [[-0.13, 1.1, 0.485, 0.0, 0], [0.2, 0.3, 0.4, 0.5, 1]] * 2
    ds = load_csv(write_csv(tmp_path / "f.csv", rows), LoadOptions(image_shape=(2, 2),
                                                                   test_fraction=0.5))
    x = np.concatenate([ds.x_train, ds.x_test])
    assert x.dtype == np.uint8 and x.min() == 0 and x.max() == 255
    assert any("-0.13" in n and "1.1" in n and "0..255" in n for n in ds.notes)


def test_vectors_without_image_shape_keep_float_values(tmp_path):
    rows = [[0.25, -1.5, 3, 0], [1e-3, 2.5, -7, 1]] * 3
    ds = load_csv(write_csv(tmp_path / "v.csv", rows))
    x = np.concatenate([ds.x_train, ds.x_test])
    assert ds.kind == "vector" and x.dtype == np.float32 and x.shape == (6, 3)
    assert {tuple(r) for r in x.tolist()} == {tuple(np.float32(v).item() for v in r[:3])
                                               for r in rows}


def test_app_makes_stratified_split_with_note(tmp_path):
    rows = [[i, i % 4] for i in range(40)]
    ds = load_csv(write_csv(tmp_path / "s.csv", rows, header=["x", "label"]),
                  LoadOptions(test_fraction=0.25, seed=1))
    assert ds.split_made_by_app and any("app made" in n for n in ds.notes)
    # 10 rows per class, a quarter held out: round(2.5) = 2 of each class in the test part
    assert np.bincount(ds.y_test).tolist() == [2, 2, 2, 2]
    assert np.bincount(ds.y_train).tolist() == [8, 8, 8, 8]


def test_image_shape_mismatch(tmp_path):
    path = write_csv(tmp_path / "m.csv", [[1, 2, 3, 4, 0]] * 3)
    with pytest.raises(ShapeDataError, match=r"m\.csv.*3x3.*9 values.*4"):
        load_csv(path, LoadOptions(image_shape=(3, 3)))


def test_label_map_needs_integer_labels(tmp_path):
    path = write_csv(tmp_path / "lm.csv", [[1, "a"], [2, "b"]])
    with pytest.raises(LabelError, match="lm.csv"):
        load_csv(path, LoadOptions(label_map={10: 0}))


def test_semicolon_and_quoted_cells(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('x;y;label\n1;2;"cat"\n3;4;"dog"\n5;6;"cat"\n7;8;"dog"\n')
    ds = load_csv(path, LoadOptions(test_fraction=0.5))
    assert ds.class_names == ["cat", "dog"]


def test_word_table_layout_detected(tmp_path):
    rows = [["paris", "capital", 0.1, 0.2], ["france", "country", 0.3, 0.4]]
    ds = load_csv(write_csv(tmp_path / "w.csv", rows, header=["word", "kind", "d0", "d1"]))
    assert ds.words == ["paris", "france"] and len(ds.x_train) == 0
    assert ds.class_names == ["capital", "country"]


def test_bundled_capitals_csv(resources):
    ds = load_csv(resources / "capitals" / "capitals.csv")
    assert ds.kind == "vector" and ds.x_test.shape == (48, 384) and ds.x_train.shape == (0, 384)
    assert ds.class_names == ["country", "capital"]
    assert ds.words[:2] == ["france", "paris"]
    assert ds.columns["country"][:2] == ["france", "france"]
    assert ds.y_test[:4].tolist() == [0, 1, 0, 1]


# --- CSV as spreadsheets write it -------------------------------------------------------------
ROWS = [[1.5, -2.25, 0], [3.0, 4.5, 1], [0.125, 6.0, 0], [7.75, -8.5, 1]]


def _all(ds):
    """Rows of both splits in one array, sorted, with their labels (the split is random)."""
    x = np.concatenate([ds.x_train, ds.x_test])
    y = np.concatenate([ds.y_train, ds.y_test])
    order = np.lexsort(x.T[::-1])
    return x[order], y[order]


@pytest.mark.parametrize("delimiter,decimal", [(",", "."), (";", "."), ("\t", "."),
                                               (";", ","), ("\t", ",")])
def test_delimiter_and_decimal_mark_are_detected(tmp_path, delimiter, decimal):
    lines = [delimiter.join(["x1", "x2", "label"])]
    lines += [delimiter.join(str(v).replace(".", decimal) for v in row) for row in ROWS]
    path = tmp_path / "sheet.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")  # Excel's line ends
    ds = load_csv(path, LoadOptions(test_fraction=0.5))
    x, y = _all(ds)
    expected = np.array(sorted([r[:2] for r in ROWS]), dtype=np.float32)
    np.testing.assert_array_equal(x, expected)
    assert y.tolist() == [r[2] for r in sorted(ROWS)]
    assert ds.class_names == ["0", "1"]
    names = {",": "", ";": "semicolon-separated", "\t": "tab-separated"}
    if decimal == ",":
        assert "decimal commas" in ds.provenance and names[delimiter] in ds.provenance
    elif delimiter != ",":
        assert names[delimiter] in ds.provenance and "decimal" not in ds.provenance


def test_decimal_commas_in_only_some_cells_and_quoted_text(tmp_path):
    # a German export: whole numbers have no comma, text with a comma in it is left alone
    path = tmp_path / "de.csv"
    path.write_text('a;b;label\n1;2,5;"Smith, J"\n3,75;4;"Doe, A"\n-1,5e2;,5;"Smith, J"\n',
                    encoding="utf-8")
    ds = load_csv(path, LoadOptions(test_fraction=0.34))
    x, y = _all(ds)
    np.testing.assert_array_equal(x, np.array([[-150, 0.5], [1, 2.5], [3.75, 4]], np.float32))
    assert ds.class_names == ["Doe, A", "Smith, J"]
    assert y.tolist() == [1, 1, 0]


def test_comma_separated_file_never_reads_decimal_commas(tmp_path):
    # in a comma-separated file "1,5" is two cells: the delimiter wins
    path = write_csv(tmp_path / "c.csv", [[1, 5, 0], [2, 5, 1], [3, 5, 0], [4, 5, 1]])
    ds = load_csv(path, LoadOptions(test_fraction=0.5))
    assert _all(ds)[0].shape == (4, 2)


def test_utf8_byte_order_mark_does_not_hide_the_label_column(tmp_path):
    # Excel's "CSV UTF-8" starts with a BOM; the first header cell must still be "label"
    path = tmp_path / "bom.csv"
    text = "label,x1,x2\n" + "".join(f"{i % 3},{i},{-i}\n" for i in range(9))
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    ds = load_csv(path, LoadOptions(test_fraction=1 / 3))
    x, y = _all(ds)
    assert ds.class_names == ["0", "1", "2"]
    np.testing.assert_array_equal(x[:, 0], np.arange(9, dtype=np.float32))
    assert y.tolist() == [i % 3 for i in range(9)]
    assert "column 1 ('label')" in ds.provenance


def test_iris_as_a_german_spreadsheet_saves_it(tmp_path):
    """BOM, semicolons, decimal commas, and species names as labels: the same numbers as
    scikit-learn's iris, classes by name in sorted order."""
    from sklearn.datasets import load_iris

    iris = load_iris()
    names = list(iris.target_names)  # setosa, versicolor, virginica
    header = ";".join(["Kelchblatt Länge", "Kelchblatt Breite", "Blütenblatt Länge",
                       "Blütenblatt Breite", "Art"])
    lines = [header] + [";".join([*(f"{v:.1f}".replace(".", ",") for v in row), names[t]])
                        for row, t in zip(iris.data, iris.target)]
    path = tmp_path / "iris.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode("utf-8"))
    ds = load_csv(path, LoadOptions(test_fraction=0.2, seed=3))
    assert ds.kind == "vector" and ds.class_names == sorted(names)
    assert "semicolon-separated, decimal commas" in ds.provenance and "'Art'" in ds.provenance
    x = np.concatenate([ds.x_train, ds.x_test])
    y = np.concatenate([ds.y_train, ds.y_test])
    want = {tuple(np.float32(v) for v in row) + (names[t],)
            for row, t in zip(iris.data, iris.target)}
    got = {tuple(row) + (ds.class_names[c],) for row, c in zip(x, y)}
    assert got == want
    assert np.bincount(y).tolist() == [50, 50, 50]


def test_class_names_are_sorted_whatever_the_row_order(tmp_path):
    rows = [[1, "virginica"], [2, "setosa"], [3, "versicolor"], [4, "setosa"]]
    a = load_csv(write_csv(tmp_path / "a.csv", rows), LoadOptions(test_fraction=0.5))
    b = load_csv(write_csv(tmp_path / "b.csv", rows[::-1]), LoadOptions(test_fraction=0.5))
    assert a.class_names == b.class_names == ["setosa", "versicolor", "virginica"]
