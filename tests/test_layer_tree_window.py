"""The window on a model with nested sub-models, as a user drives it: the layer list is a tree,
a layer inside a nested model is chosen with a click, and the Reduction box changes what the
views show, which they say (pytest-qt, offscreen; digits and a tiny nested model)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from gui_support import layer_result, session, wait_idle
from reprviz_gui.core.model.runtime import keras_module


def nested_digits_model(path):
    keras = keras_module()
    inp = keras.Input((8, 8, 1), name="block_in")
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="c1")(inp)
    y = keras.layers.Conv2D(4, 3, padding="same", name="c2")(x)
    block = keras.Model(inp, keras.layers.Add(name="skip")([x, y]), name="block")
    o = keras.Input((8, 8))
    h = block(keras.layers.Reshape((8, 8, 1), name="pre")(o))
    h = keras.layers.GlobalAveragePooling2D(name="gap")(h)
    model = keras.Model(o, keras.layers.Dense(10, activation="softmax", name="out")(h))
    model.save(path)
    return model


def test_a_nested_layer_is_chosen_in_the_tree_and_reduced_as_asked(qtbot, window, tmp_path):
    win, c = window, window.controller
    path = tmp_path / "nested.keras"
    model = nested_digits_model(path)
    c.load_model(str(path))
    qtbot.waitUntil(lambda: bool(session(win).file) and not session(win).building,
                    timeout=60_000)
    wait_idle(qtbot, win)
    tree = win.sidebar.layer_tree
    block = next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
                 if tree.topLevelItem(i).text(0) == "block")
    assert [block.child(i).text(0) for i in range(block.childCount())] == \
        ["block_in", "c1", "c2", "skip"]
    assert block.child(2).text(2) == "8×8×4" and tree.rootIsDecorated()
    # the block's weights are counted once (in "block", not again in its layers)
    assert f"5 layers (4 more inside nested models), {model.count_params():,} parameters" \
        in win.sidebar.model_info.text()
    tree.expandItem(block)
    rect = tree.visualItemRect(block.child(2))
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: layer_result(win) is not None
                    and layer_result(win).layer_name == "block/c2", timeout=60_000)
    combo = win.sidebar.reduction_combo
    assert combo.isVisible() and combo.currentData() == ""  # 256 values: flattened by default
    assert layer_result(win).activations.shape == (200, 256)
    # the user picks "Global average" with the keyboard: one step down from "Default"
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert session(win).reductions == {"block/c2": "mean"}
    qtbot.waitUntil(lambda: layer_result(win) is not None
                    and layer_result(win).activations.shape == (200, 4), timeout=60_000)
    # the reference: the nested block's own c2, called directly, averaged over positions
    keras = keras_module()
    ds = c.dataset
    x = ds.inputs(ds.x_test[c.samples.indices]).reshape(-1, 8, 8, 1)
    block_model = model.get_layer("block")
    c2 = np.asarray(keras.Model(block_model.inputs, block_model.get_layer("c2").output)(x))
    np.testing.assert_allclose(layer_result(win).activations, c2.mean(axis=(1, 2)), atol=1e-5)
    heat = win.view("heatmap").subtitle.text()
    assert "block/c2" in heat and "global average per channel of 8x8x4 -&gt; 4" in heat
    qtbot.waitUntil(lambda: "global average per channel"
                    in win.view("map").subtitle.text(), timeout=60_000)
    # the Input row: "Scaled to −1–1" one step down from 0–1; the same layer recomputes on it
    pre = win.sidebar.preprocess_combo
    assert pre.isVisible() and pre.currentData() == "unit"
    pre.setFocus()
    qtbot.keyClick(pre, Qt.Key.Key_Down)
    assert c.dataset.preprocess == "symmetric"
    x2 = ds.x_test[c.samples.indices].astype(np.float32).reshape(-1, 8, 8, 1) / 127.5 - 1.0
    want = np.asarray(keras.Model(block_model.inputs,
                                  block_model.get_layer("c2").output)(x2)).mean(axis=(1, 2))

    def shows_symmetric() -> bool:
        r = layer_result(win)
        return r is not None and r.activations.shape == want.shape and \
            bool(np.allclose(r.activations, want, atol=1e-5))

    qtbot.waitUntil(shows_symmetric, timeout=60_000)
