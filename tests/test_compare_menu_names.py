"""Run → Compare with names the presets as the sidebar's Preset list does (found trying the
window: the menu said "lenet preset" while the sidebar says "LeNet-like CNN")."""
from __future__ import annotations

from reprviz_gui.core.model.preset_table import PRESET_LABELS


def test_compare_menu_names_presets_like_the_sidebar(window):
    combo = window.sidebar.preset_combo
    sidebar_names = {combo.itemText(i) for i in range(combo.count())}
    for preset in ("dense", "lenet", "multinomial"):
        text = window.commands[f"compare_{preset}"].text().replace("&", "")
        assert text == PRESET_LABELS[preset]
        assert text in sidebar_names
