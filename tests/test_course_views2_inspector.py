"""Layer inspector view: the table shows each layer's settings as the core reads them from a
real Keras model, columns no layer uses are left out, the layer the views show is highlighted
(its Dense layer for a raw projection), a real click on a row asks for that layer and shows its
full get_config() as JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import Qt

from reprviz_gui.core import model as M
from reprviz_gui.core.data.types import Dataset
from reprviz_gui.views.inspector import (InspectorResult, InspectorView, compute_layer_table,
                                         format_cell)
from reprviz_gui.workspace import handles
from reprviz_gui.workspace.catalog import load as load_products
from reprviz_gui.workspace.products import ProductRequest
from reprviz_gui.workspace.results import ResultKey
from reprviz_gui.workspace.state import ResultTag, Session, Workspace

TAG = ResultTag(1, "", "A", 1)


def _images(shape=(12, 12), classes=3, n=30):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (n,) + shape, dtype=np.uint8)
    return Dataset("imgs", "image", x, np.arange(n) % classes, x, np.arange(n) % classes,
                   [f"c{i}" for i in range(classes)], "test")


def table_of(model, ds):
    handle = handles.register(model, "test model")
    try:
        req = ProductRequest(ResultKey.make("layer_table", TAG, {}), ds, None, handle)
        return compute_layer_table(req, None, lambda: False)
    finally:
        handles.release(handle)


@pytest.fixture(scope="module")
def dense():
    ds = _images()
    model = M.build_model(M.ModelConfig(hidden=(12, 7), dropout=0.25, l2=1e-3), ds, seed=1)
    return model, table_of(model, ds)


@pytest.fixture
def view(qtbot):
    v = InspectorView()
    qtbot.addWidget(v)
    v.resize(900, 600)
    v.show()
    qtbot.waitExposed(v)
    return v


def column(shown, title):
    j = shown["columns"].index(title)
    return [row[j] for row in shown["rows"]]


def click_row(qtbot, view, row):
    rect = view.table.visualRect(view.table.model().index(row, 1))
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_table_shows_the_models_settings(qtbot, view, dense):
    model, table = dense
    view.show_result(InspectorResult(TAG, table, "hidden_2"))
    shown = view.displayed()
    assert column(shown, "Name") == [layer.name for layer in model.layers]
    names = column(shown, "Name")
    h1 = names.index("hidden_1")
    assert column(shown, "Type")[h1] == "Dense"
    assert column(shown, "Units")[h1] == "12"
    assert column(shown, "Activation")[h1] == "relu"
    assert column(shown, "Kernel reg.")[h1] == "L2(0.001)"
    assert column(shown, "Kernel init")[h1].startswith("GlorotUniform")
    assert column(shown, "Dropout")[names.index("dropout_1")] == "0.25"
    assert column(shown, "Parameters") == [f"{layer.count_params():,}" for layer in model.layers]
    assert column(shown, "Output shape")[h1] == "12"
    assert column(shown, "Output shape")[names.index("output")] == "3"
    # no layer of this model has filters, kernel sizes or pools: those columns are left out
    assert not {"Filters", "Kernel", "Pool", "Strides"} & set(shown["columns"])
    # the shown layer: highlighted, its full configuration below
    assert shown["current"] == names.index("hidden_2") == shown["config_row"]
    assert view.table.item(shown["current"], 1).font().bold()
    assert not view.table.item(h1, 1).font().bold()
    config = json.loads(shown["config"])
    assert config["class_name"] == "Dense" and config["units"] == 7
    assert config["name"] == "hidden_2" and config["activation"] == "relu"


def test_clicking_a_row_asks_for_that_layer_and_shows_its_config(qtbot, view, dense):
    model, table = dense
    view.show_result(InspectorResult(TAG, table, "hidden_2"))
    asked = []
    view.layer_requested.connect(asked.append)
    names = [layer.name for layer in model.layers]
    click_row(qtbot, view, names.index("dropout_1"))
    assert asked == ["dropout_1"]
    shown = view.displayed()
    assert shown["config_row"] == names.index("dropout_1")
    assert json.loads(shown["config"])["rate"] == pytest.approx(0.25)
    assert "dropout_1" in view.config_title.text()
    click_row(qtbot, view, names.index("hidden_2"))  # the layer already shown: nothing asked
    assert asked == ["dropout_1"]
    # the controller follows: the new layer is highlighted
    view.show_result(InspectorResult(TAG, table, "dropout_1"))
    assert view.displayed()["current"] == names.index("dropout_1")
    assert view.table.item(names.index("dropout_1"), 0).font().bold()


def test_a_raw_projection_highlights_its_dense_layer(qtbot, view, dense):
    model, table = dense
    view.show_result(InspectorResult(TAG, table, "hidden_1:raw"))
    shown = view.displayed()
    assert shown["current"] == [layer.name for layer in model.layers].index("hidden_1")
    assert "hidden_1:raw" in shown["header"] and "x·W" in shown["header"]


def test_a_cnn_shows_filters_and_kernel_sizes(qtbot, view):
    ds = _images(shape=(12, 12, 3))
    model = M.build_model(M.default_config("lenet"), ds, seed=0)
    view.show_result(InspectorResult(TAG, table_of(model, ds), "conv_1"))
    shown = view.displayed()
    names = column(shown, "Name")
    conv = names.index("conv_1")
    assert column(shown, "Filters")[conv] == "6" and column(shown, "Kernel")[conv] == "5×5"
    assert column(shown, "Pool")[names.index("pool_1")] == "2×2"
    assert column(shown, "Output shape")[conv] == "12×12×6"
    assert json.loads(shown["config"])["filters"] == 6


def test_products_follow_the_model_and_layer():
    ws = Workspace()
    ws.dataset = _images()
    s = Session("A")
    REGISTRY = load_products()
    assert REGISTRY["inspector"].params(ws, s) is None  # no model
    assert "No model" in REGISTRY["inspector"].why_not(ws, s)
    from reprviz_gui.workspace.state import ModelHandle

    s.handle, s.layer = ModelHandle(1, "m"), "hidden_2:raw"
    assert REGISTRY["layer_table"].params(ws, s) == {}
    assert REGISTRY["inspector"].params(ws, s) == {"layer": "hidden_2:raw"}
    assert REGISTRY["inspector"].inputs == ("layer_table",)
    assert REGISTRY["inspector"].lane == "quick" and REGISTRY["layer_table"].lane == "model"
    s.building = True
    assert REGISTRY["inspector"].params(ws, s) is None
    assert REGISTRY["inspector"].why_not(ws, s) == "Preparing the model…"


def test_format_cell():
    assert format_cell("kernel_size", (5, 5)) == "5×5"
    assert format_cell("output_shape", (None, 12)) == "?×12"
    assert format_cell("use_bias", True) == "yes" and format_cell("trainable", False) == "no"
    assert format_cell("params", 123456) == "123,456"
    assert format_cell("dropout", 0.5) == "0.5" and format_cell("units", None) == ""
