"""The one preset table (core/model/preset_table.py): the sidebar shows exactly its fields, the
CLI has a flag for each, restore and the history read it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout

from reprviz_gui.core.model import preset_table as T
from reprviz_gui.core.model.presets import ModelConfig, default_config
from reprviz_gui.core.model.training import TrainConfig


def _visible_rows(form: QFormLayout) -> list[str]:
    out = []
    for row in range(form.rowCount()):
        label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
        field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
        if label is None or field is None or field.widget() is None:
            continue
        if form.isRowVisible(row):
            out.append(label.widget().text())
    return out


def test_every_field_belongs_to_a_config():
    model_keys = set(ModelConfig.__dataclass_fields__)
    train_keys = set(TrainConfig.__dataclass_fields__)
    for f in T.FIELDS.values():
        assert f.key in (train_keys if f.target == "training" else model_keys), f.key
    for preset in T.PRESETS:
        cfg = default_config(preset)
        for key, value in T.preset_defaults(preset).items():
            assert getattr(cfg, key) == value
    assert default_config("sigmoid-mlp").hidden == (14,)


def test_field_parse_checks_ranges():
    assert T.FIELDS["hidden"].parse("256,144") == (256, 144)
    assert T.FIELDS["nesterov"].parse("yes") is True
    assert T.FIELDS["learning_rate"].parse("0.3") == pytest.approx(0.3)
    assert T.FIELDS["nesterov"].check("false") is False and T.FIELDS["nesterov"].check(True)
    for key, bad in (("hidden", "256,x"), ("hidden", "0"), ("momentum", "1"),
                     ("validation_split", "1.0"), ("optimizer", "lbfgs"), ("l2", "nan"),
                     ("epochs", "2.5"), ("batch_size", "0")):
        with pytest.raises(ValueError):
            T.FIELDS[key].parse(bad)


@pytest.mark.parametrize("preset", list(T.PRESETS) + ["none"])
def test_sidebar_shows_exactly_the_tables_fields(qtbot, preset):
    from reprviz_gui.widgets.sidebar import Sidebar
    from reprviz_gui.window_actions import preset_defaults

    sb = Sidebar()
    qtbot.addWidget(sb)
    sb.set_preset_defaults(preset_defaults())
    sb.show()
    combo = sb.preset_combo
    # pick the preset as a user does: the combo's popup, then the row
    with qtbot.waitSignal(sb.model_chosen) as chosen:
        combo.setFocus()
        combo.setCurrentIndex(combo.findData(preset))
        combo.activated.emit(combo.currentIndex())
    expected_model = [T.FIELDS[k].label for k in T.MODEL_FIELDS if k in T.editable(preset)]
    assert _visible_rows(sb._form)[1:] == expected_model  # [0] is "Preset"
    assert set(chosen.args[1]) == set(T.editable(preset))
    for key in T.editable(preset):
        value = chosen.args[1][key]
        assert value == T.preset_defaults(preset)[key], key


def test_training_box_follows_the_optimizer(qtbot):
    from reprviz_gui.widgets.sidebar import Sidebar

    sb = Sidebar()
    qtbot.addWidget(sb)
    sb.show()
    labels = lambda: _visible_rows(sb._training_form)  # noqa: E731
    assert labels() == [T.FIELDS[k].label for k in T.TRAINING_BOX
                        if T.field_applies(k, "adam")]
    assert "Momentum" not in labels()
    # the user picks sgd: momentum and Nesterov appear, and an edit reaches the settings
    with qtbot.waitSignal(sb.training_settings_changed) as changed:
        sb.optimizer_combo.setCurrentText("sgd")
        sb.optimizer_combo.activated.emit(sb.optimizer_combo.currentIndex())
    assert changed.args[0]["optimizer"] == "sgd"
    assert labels() == [T.FIELDS[k].label for k in T.TRAINING_BOX]
    sb.momentum_spin.setFocus()
    sb.momentum_spin.lineEdit().selectAll()
    with qtbot.waitSignal(sb.training_settings_changed) as changed:
        qtbot.keyClicks(sb.momentum_spin, "0.9")
        qtbot.keyClick(sb.momentum_spin, Qt.Key.Key_Return)
    assert changed.args[0]["momentum"] == pytest.approx(0.9)
    with qtbot.waitSignal(sb.training_settings_changed) as changed:
        sb.nesterov_check.setFocus()
        qtbot.keyClick(sb.nesterov_check, Qt.Key.Key_Space)  # as a user ticks it
    assert changed.args[0]["nesterov"] is True
    assert set(sb.training_settings()) == set(T.TRAINING_BOX)


def test_cli_has_a_flag_for_every_field():
    from reprviz_gui.cli import build_analyze_parser

    parser = build_analyze_parser()
    flags = {s for a in parser._actions for s in a.option_strings}
    for f in T.FIELDS.values():
        assert f.flag in flags, f.flag


def test_restore_reads_the_table(qtbot):
    from reprviz_gui.workspace.controller import Controller
    from reprviz_gui.workspace.history_rows import restore_settings, settings_summary

    c = Controller()
    chosen = []
    c.set_model_preset = lambda preset, params: chosen.append((preset, params))
    settings = {"model": {"preset": "sigmoid-mlp", "hidden": [20], "l2": 0.5,
                          "optimizer": "sgd", "learning_rate": 0.3, "momentum": 0.9,
                          "nesterov": True, "dropout": 0.4, "embed_dim": 7},
                "training": {"epochs": 12, "batch_size": 0, "seed": -1,
                             "validation_split": 0.2}}
    restore_settings(c, settings)
    st = c.settings
    assert (st.optimizer, st.learning_rate, st.momentum, st.nesterov) == ("sgd", 0.3, 0.9, True)
    assert (st.epochs, st.validation_split) == (12, 0.2)
    assert st.batch_size == 32 and st.seed == 0  # out-of-range values are not taken
    preset, params = chosen[0]
    assert preset == "sigmoid-mlp" and params["hidden"] == [20] and params["l2"] == 0.5
    assert "dropout" not in params and "embed_dim" not in params  # not sigmoid-mlp fields
    summary = dict(settings_summary(settings))
    assert summary["momentum"] == "0.9" and summary["nesterov"] == "yes"
    assert "dropout" not in summary
    c.shutdown(0)
