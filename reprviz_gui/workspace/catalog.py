"""Every product kind, declared and registered in one place.

``ProductKind`` names each kind a view may ask for (a ``str`` enum, so ``"layer"`` and
``ProductKind.LAYER`` are the same key). Each products module lists its ``Product``s in
``PRODUCTS``; ``load()`` registers them all, once, and checks that the declared kinds and the
registered ones are the same set. ``check_views`` is the start-up check that every view's
products exist: a misspelt kind is an error when the window starts, not a view that never draws.
"""

from __future__ import annotations

import difflib
import importlib
from enum import StrEnum
from typing import Iterable

from .products import REGISTRY, Product, register


class ProductKind(StrEnum):
    LAYER = "layer"  # activations, cosine matrices, predictions of one layer
    MAP = "map"  # the layer's 2-D map
    EVALUATION = "evaluation"  # confusion, accuracy per split, probabilities
    CONFUSION_SPLIT = "confusion_split"  # the confusion matrix on the train/validation rows
    CURVES = "curves"  # pushed live by training
    WEIGHTS = "weights"
    TYPICAL = "typical"
    REGIONS = "regions"
    WORDS = "words"
    NEIGHBOURS = "neighbours"
    HISTORY = "history"
    LAYER_TABLE = "layer_table"
    INSPECTOR = "inspector"
    DEPTH_ACTS = "depth_acts"  # every layer's activations, for the measures
    LAYER_METRICS = "layer_metrics"
    CKA = "cka"
    MAP_QUALITY = "map_quality"
    SIMILARITY_CONFUSION = "similarity_confusion"
    FILM = "film"  # a training run's recorded frames and their aligned maps
    FILM_METRICS = "film_metrics"  # kNN / probe accuracy of every layer at every epoch
    OWN_INPUT = "own_input"  # your drawn, dropped or typed input through the model, on the map
    NEIGHBOURHOOD_CHANGE = "neighbourhood_change"  # both compared models: Jaccard of neighbours
    CKA_BETWEEN = "cka_between"  # both compared models: CKA of A's layers x B's
    CKA_DEBIASED = "cka_debiased"  # the CKA view's "Debiased" box (Nguyen et al. 2021)
    CKA_BETWEEN_DEBIASED = "cka_between_debiased"


# the modules whose PRODUCTS are the built-in products (the views import only their results)
MODULES = ("products", "products_course", "products_words", "products_history",
           "products_inspector", "products_measures", "products_film",
           "products_own_input")


class UnknownProduct(ValueError):
    """A view names a product kind nobody declared."""


_loaded = False


def load() -> dict[str, Product]:
    """Register every built-in product (once) and return the registry."""
    global _loaded
    if not _loaded:
        for name in MODULES:
            module = importlib.import_module(f"{__package__}.{name}")
            for product in module.PRODUCTS:
                if product.kind not in ProductKind.__members__.values():
                    raise UnknownProduct(f"Product {product.kind!r} ({module.__name__}) is not "
                                         "declared in catalog.ProductKind.")
                register(product)
        missing = set(ProductKind) - set(REGISTRY)
        if missing:
            raise UnknownProduct(f"Declared products without a definition: {sorted(missing)}.")
        _loaded = True
    return REGISTRY


def check_views(views: Iterable) -> None:
    """Raise ``UnknownProduct`` naming the view and the kind if a view (a ``ViewSpec``) asks
    for a product that is not registered."""
    known = load()
    for spec in views:
        for kind in spec.products + tuple(getattr(spec, "on_demand", ())):
            if kind not in known:
                close = difflib.get_close_matches(kind, list(known), n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise UnknownProduct(
                    f"The view {spec.id!r} ({spec.title}) asks for the product {kind!r}, "
                    f"which does not exist.{hint} Known products: {', '.join(sorted(known))}.")


__all__ = ["ProductKind", "MODULES", "UnknownProduct", "load", "check_views", "REGISTRY"]
