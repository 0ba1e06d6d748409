"""Products are declared in one place and checked at start: every view's products exist, a
misspelt one is a clear error when the window starts."""

from __future__ import annotations

import pytest

from reprviz_gui.views import registry
from reprviz_gui.views.registry import VIEWS, ViewSpec, check_products
from reprviz_gui.workspace import catalog
from reprviz_gui.workspace.catalog import ProductKind, UnknownProduct


def test_every_declared_kind_is_registered_and_nothing_else() -> None:
    known = catalog.load()
    assert set(ProductKind) <= set(known)
    assert {k for k in known if not k.startswith("t_")} == {str(k) for k in ProductKind}


def test_kinds_are_plain_string_keys() -> None:
    known = catalog.load()
    assert known[ProductKind.MAP] is known["map"]


def test_every_registered_view_names_existing_products() -> None:
    check_products()  # the real list: no error
    named = {kind for spec in VIEWS for kind in spec.products}
    assert named <= set(catalog.load())


def test_a_misspelt_product_is_a_clear_error() -> None:
    bad = ViewSpec("layer_stats2", "Layer statistics 2", "reprviz_gui.views.layer_stats",
                   "LayerStatsView", products=("layre",), per_session=True)
    with pytest.raises(UnknownProduct) as err:
        check_products([*VIEWS, bad])
    text = str(err.value)
    assert "'layer_stats2'" in text and "'layre'" in text and "Did you mean 'layer'?" in text


def test_the_window_refuses_to_start_with_a_misspelt_product(qtbot, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("REPRVIZ_CONFIG_DIR", str(tmp_path))
    bad = ViewSpec("typo", "Typo", "reprviz_gui.views.layer_stats", "LayerStatsView",
                   products=("evaluaton",))
    monkeypatch.setattr(registry, "VIEWS", [*VIEWS, bad])
    from reprviz_gui.main_window import MainWindow

    with pytest.raises(UnknownProduct, match="'typo'.*'evaluaton'.*Did you mean 'evaluation'"):
        MainWindow(remember=False)


def test_view_modules_register_no_products() -> None:
    """Importing every view module adds nothing to the registry: products are the catalog's."""
    import importlib

    before = dict(catalog.load())
    for spec in VIEWS:
        importlib.import_module(spec.module)
    assert catalog.load() == before
