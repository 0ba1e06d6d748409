"""The sidebar's layer list as a tree: nested models (a MobileNetV2 backbone, a Sequential
block) are items whose children are their own layers, each with its output shape; and the
reduction choice for the chosen layer's feature maps.

Display only: ``set_layers`` / ``set_current_layer`` / ``set_reduction`` are called from code
and emit nothing; the sidebar turns a user's click into one intent signal.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHeaderView, QTreeWidget,
                               QTreeWidgetItem, QTreeWidgetItemIterator)

from ..core.model.reduction import DEFAULT_CROP, LABELS, default_reduction, describe, has_maps
from .fields import _Blocked

NAME_ROLE = Qt.ItemDataRole.UserRole


class LayerTree(QTreeWidget):
    """Layer, type and output shape; a nested model's layers under it (collapsed, except the
    branch holding the chosen layer). The item text is the layer's own name; its data is the
    full path that ``current_layer`` returns ("backbone/block_3_add")."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("layer_tree")
        self.setHeaderLabels(["Layer", "Type", "Output"])
        self.setRootIsDecorated(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.setMinimumHeight(140)
        self._infos: dict[str, Any] = {}

    def set_layers(self, layers: Iterable[Any]) -> None:
        with _Blocked(self):
            self.clear()
            self._infos = {}
            items: dict[str, QTreeWidgetItem] = {}
            for info in layers:
                parent = getattr(info, "parent", "")
                shape = "×".join(str(d) for d in info.output_shape if d is not None)
                label = info.name[len(parent) + 1:] if parent else info.name
                item = QTreeWidgetItem([label, info.type, shape])
                item.setData(0, NAME_ROLE, info.name)
                tip = f"{info.name}: {info.type}, output {shape}, {info.params:,} parameters"
                if info.activation:
                    tip += f", activation {info.activation}"
                for col in range(3):
                    item.setToolTip(col, tip)
                holder = items.get(parent)
                if holder is not None:
                    holder.addChild(item)
                else:
                    self.addTopLevelItem(item)
                items[info.name] = item
                self._infos[info.name] = info
            # branches only when something nests: a flat model stays a plain list
            self.setRootIsDecorated(any(getattr(i, "parent", "") for i in self._infos.values()))

    def info(self, name: Optional[str]) -> Any:
        return self._infos.get(name) if name else None

    def items(self) -> list[QTreeWidgetItem]:
        out, it = [], QTreeWidgetItemIterator(self)
        while it.value() is not None:
            out.append(it.value())
            it += 1
        return out

    def item_of(self, name: Optional[str]) -> Optional[QTreeWidgetItem]:
        for item in self.items():
            if item.data(0, NAME_ROLE) == name:
                return item
        return None

    def set_current_layer(self, name: Optional[str]) -> None:
        with _Blocked(self):
            self.clearSelection()
            item = self.item_of(name)
            if item is not None:
                parent = item.parent()
                while parent is not None:  # open the nested models that hold it
                    parent.setExpanded(True)
                    parent = parent.parent()
                item.setSelected(True)
                self.setCurrentItem(item)
                self.scrollToItem(item)

    def current_layer(self) -> Optional[str]:
        items = self.selectedItems()
        return items[0].data(0, NAME_ROLE) if items else None


REDUCTION_CHOICES = (("", "Default"), ("mean", "Global average"), ("max", "Global max"),
                     ("flatten", "Flatten"),
                     ("crop", f"Centre crop {DEFAULT_CROP}×{DEFAULT_CROP}"))


def make_reduction_combo() -> QComboBox:
    combo = QComboBox()
    combo.setObjectName("reduction_combo")
    for key, label in REDUCTION_CHOICES:
        combo.addItem(label, key)
    combo.setToolTip("How a convolutional layer's feature maps become one row per sample for "
                     "the heatmap, cosine, map and metrics")
    return combo


def make_preprocess_combo() -> QComboBox:
    """How images become model input, for a model trained elsewhere (core/data/preprocess)."""
    from ..core.data.preprocess import FAMILIES, LABELS as PRE_LABELS, describe as pre_describe

    combo = QComboBox()
    combo.setObjectName("preprocess_combo")
    for key, label in PRE_LABELS.items():
        combo.addItem(label[0].upper() + label[1:], key)
    for family in FAMILIES:
        combo.addItem(f"{family} preprocess_input", family)
        combo.setItemData(combo.count() - 1, pre_describe(family), Qt.ItemDataRole.ToolTipRole)
    combo.setToolTip("How images become the model's input: reprviz's own models take 0–1; a "
                     "model trained elsewhere may want −1–1 or its Keras Applications "
                     "family's preprocess_input")
    return combo


def set_reduction(combo: QComboBox, shape: tuple, chosen: str) -> bool:
    """Show ``chosen`` ("" = the default) for a layer of ``shape``; each entry says the width it
    gives. Returns whether the choice applies (the layer has feature maps)."""
    applies = bool(shape) and has_maps(shape)
    with _Blocked(combo):
        for i, (key, label) in enumerate(REDUCTION_CHOICES):
            how = key or (default_reduction(shape) if applies else "flatten")
            text = describe(how, shape) if applies else ""
            combo.setItemText(i, f"{label} ({LABELS[how]})" if not key and applies else label)
            combo.setItemData(i, text, Qt.ItemDataRole.ToolTipRole)
        index = max(0, combo.findData(chosen or ""))
        combo.setCurrentIndex(index)
    return applies
