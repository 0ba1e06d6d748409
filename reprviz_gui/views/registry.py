"""The view registry: every docked view, what it draws and where it docks.

The window builds its docks, the View menu, busy badges, which products get computed and the
default layout from this list alone. A new view is one module plus one ``ViewSpec`` here:

    ViewSpec("weights", "Weights as images", "reprviz_gui.views.weights", "WeightsView",
             products=("weights",), per_session=True, place=("tab", "heatmap"))

``products`` are kinds from ``workspace/products.py`` (a view module may register its own there);
``per_session`` views get one view per model, side by side when two models are compared.
``place`` is the default position: ("right", "") starts the right dock area, ("below", id),
("right-of", id) split an earlier view's dock, ("tab", id) tabs with it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Optional

from .base import Panel


@dataclass(frozen=True)
class ViewSpec:
    id: str  # stable: dock object names, saved layouts, --view on the command line
    title: str
    module: str
    cls: str
    products: tuple[str, ...] = ()
    per_session: bool = False
    place: tuple[str, str] = ("right", "")
    visible: bool = True  # shown in the default layout
    menu: str = ""  # a View-menu section ("" = the main list)
    description: str = ""
    size: int = 0  # preferred width (right-of) or height (below) in px; 0 = share evenly
    # two models: "side" by side, or one "above" the other (wide tables such as the confusion
    # matrix keep all their columns that way)
    stack: str = "side"
    # two models: "side" (as ``stack`` says) or "tabs", one tab per model with the whole dock
    # each (a heatmap 30 px wide or a confusion matrix showing 6 of 10 rows side by side at
    # 1920 × 1080); View → "Compare in tabs" puts every view in tabs
    compare: str = "side"
    # the report.json keys whose numbers the view shows (its ``report_numbers()``); () = it shows
    # none that analyze reports. None = undeclared: the parity test fails until a view says.
    numbers: Optional[tuple[str, ...]] = None
    # with a word table open (no curves, no confusions): "open" the view and bring it to the
    # front (closed again after, unless the user had it open), or bring it to the "front" of
    # its tab group; with other data again, each group's first view is in front
    word_tables: str = ""
    front_on_selection: bool = False  # brought to the front when samples are selected
    # products the view draws only while an option needs them (the map's "Colour by →
    # neighbours kept"): computed while a view of it says so in ``Panel.wanted_products()``
    on_demand: tuple[str, ...] = ()


    def create(self) -> Panel:
        module = importlib.import_module(self.module)
        return getattr(module, self.cls)()


VIEWS: list[ViewSpec] = [
    ViewSpec("heatmap", "Activations", "reprviz_gui.views.heatmap", "HeatmapPanel",
             products=("layer",), per_session=True, place=("right", ""), compare="tabs",
             description="the layer's activations, samples × units, rows grouped by class",
             numbers=()),
    # "words": a word table's pairs, drawn as arrows on the map (none for other data)
    ViewSpec("map", "Map", "reprviz_gui.views.map_view", "MapPanel", products=("map", "words"),
             per_session=True, place=("below", "heatmap"), size=540,
             description="2-D map of the layer (PCA, MDS, t-SNE, UMAP)",
             numbers=("projection", "map_quality", "model_difference"),
             on_demand=("map_quality", "neighbourhood_change")),
    ViewSpec("cosine", "Cosine similarity", "reprviz_gui.views.cosine", "CosinePanel",
             products=("layer",), per_session=True, place=("right-of", "heatmap"),
             compare="tabs",  # side by side, each model's matrix was ~50 px wide at 1600 px
             description="cosine similarity between samples or class means",
             numbers=()),
    ViewSpec("curves", "Learning curves", "reprviz_gui.views.curves", "CurvesPanel",
             products=("curves",), per_session=True, place=("right-of", "cosine"),
             description="loss and accuracy per epoch while training",
             numbers=()),
    ViewSpec("confusion", "Confusion matrix", "reprviz_gui.views.confusion", "ConfusionPanel",
             products=("evaluation", "confusion_split"), per_session=True,
             place=("right-of", "map"), size=520, stack="above", compare="tabs",
             description="true × predicted counts on the test, train or validation split; "
                         "click a cell to select",
             numbers=("confusion_matrix", "per_class_accuracy", "confusion")),
    ViewSpec("gallery", "Selection", "reprviz_gui.views.gallery", "GalleryView",
             products=("evaluation",), per_session=False, place=("tab", "curves"),
             word_tables="front", front_on_selection=True,
             description="the selected samples with their true and predicted labels",
             numbers=()),
    ViewSpec("depth", "Layers along depth", "reprviz_gui.views.depth", "DepthPanel",
             products=("layer_metrics",), per_session=False, place=("tab", "cosine"),
             visible=False, menu="Layer",
             description="kNN and linear-probe accuracy, intrinsic dimension and dead units of "
                         "every layer, both models in one plot; click a layer to show it",
             numbers=("layer_metrics",)),
    ViewSpec("cka", "Layer similarity (CKA)", "reprviz_gui.views.cka", "CKAPanel",
             products=("cka", "cka_between"), per_session=False, place=("tab", "cosine"),
             on_demand=("cka_debiased", "cka_between_debiased"),
             visible=False, menu="Layer", description="linear CKA between every pair of "
             "layers (A's × B's while comparing); click a cell to see both layers' maps",
             numbers=()),
    ViewSpec("map_quality", "Map quality", "reprviz_gui.views.map_quality", "MapQualityPanel",
             products=("map_quality",), per_session=True, place=("tab", "cosine"),
             visible=False, menu="Layer",
             description="trustworthiness, continuity and neighbours kept of the map; select "
                         "its worst points",
             numbers=("map_quality",)),
    ViewSpec("similarity_confusion", "Similarity vs confusion",
             "reprviz_gui.views.similarity_confusion", "SimilarityConfusionPanel",
             products=("similarity_confusion",), per_session=True, place=("tab", "cosine"),
             visible=False, menu="Layer",
             description="class-centroid similarity against confusion rate, Spearman's rho",
             numbers=("similarity_vs_confusion",)),
    ViewSpec("agreement", "Agreement", "reprviz_gui.views.agreement", "AgreementPanel",
             products=("evaluation", "neighbourhood_change"), per_session=False,
             place=("tab", "cosine"), visible=False, menu="Layer",
             description="two compared models: both right, only A, only B, both wrong (click "
                         "a cell to select those samples); the samples that moved most",
             numbers=("model_difference",)),
    ViewSpec("film", "Film", "reprviz_gui.views.film", "FilmPanel",
             products=("film", "film_metrics"),
             per_session=True, place=("tab", "map"), visible=False,
             description="training as a film: the layer's map after every epoch, each frame "
                         "aligned with the one before; Play, follow a selection, export a GIF",
             numbers=()),
    ViewSpec("own_input", "Your input", "reprviz_gui.views.own_input", "OwnInputView",
             products=("own_input",), per_session=True, place=("tab", "map"), visible=False,
             menu="Layer", description="draw, drop or pick an image, type a review or "
             "paris - france + italy: probabilities, saliency and where it lands on the map",
             numbers=()),
    ViewSpec("layer_stats", "Layer statistics", "reprviz_gui.views.layer_stats",
             "LayerStatsView", products=("layer",), per_session=True,
             place=("tab", "cosine"), visible=False, menu="Layer",
             description="units, dead units, sparsity and class means of the layer",
             numbers=("layer",)),
    ViewSpec("words", "Words", "reprviz_gui.views.words", "WordsView",
             products=("words", "neighbours"), per_session=False, place=("tab", "confusion"),
             visible=False, menu="Words", word_tables="open",
             description="word tables: the nearest neighbours of "
             "a word, and the capital → country offsets and analogies",
             numbers=("analogies", "nearest_neighbours")),
    ViewSpec("history", "Run history", "reprviz_gui.views.history", "HistoryView",
             products=("history",), per_session=False, place=("tab", "confusion"),
             visible=False, menu="Course", description="every training run with its settings, "
             "accuracy and loss; validation loss vs accuracy; restore a run's settings",
             numbers=()),
    ViewSpec("weights", "Weights as images", "reprviz_gui.views.weights", "WeightsView",
             products=("weights",), per_session=True, place=("tab", "map"), visible=False,
             menu="Course", description="the first layer's weights, one image per unit or "
             "class: green positive, purple negative",
             numbers=()),
    ViewSpec("typical", "Typical inputs", "reprviz_gui.views.typical", "TypicalView",
             products=("typical",), per_session=True, place=("tab", "confusion"),
             visible=False, menu="Course", description="per class, the most typical test "
             "samples and the most confidently wrong ones",
             numbers=("typical",)),
    ViewSpec("regions", "Important regions", "reprviz_gui.views.regions", "RegionsView",
             products=("regions",), per_session=True, place=("tab", "map"), visible=False,
             menu="Course", description="per class, the back-projection of the weights and "
             "the gradient saliency",
             numbers=()),
    ViewSpec("samples", "Class samples", "reprviz_gui.views.samples_grid", "SampleGridView",
             products=("evaluation",), per_session=False, place=("tab", "gallery"),
             visible=False, menu="Course", description="N examples of a chosen class from a "
             "chosen split, in colour when the data is; click to select",
             numbers=()),
    ViewSpec("inspector", "Layer inspector", "reprviz_gui.views.inspector", "InspectorView",
             products=("inspector",), per_session=True, place=("tab", "cosine"), visible=False,
             menu="Course", description="each layer's configuration as a table, and its full "
             "get_config(); click a row to show that layer",
             numbers=()),
    ViewSpec("report", "Accuracy and report", "reprviz_gui.views.report", "ReportView",
             products=("evaluation",), per_session=True, place=("tab", "confusion"),
             visible=False, menu="Course", stack="above", description="accuracy per split and the "
             "classification report (precision, recall, F1, support), sortable",
             numbers=("accuracy", "loss", "cross_entropy", "classification_report")),
]


def register(spec: ViewSpec) -> ViewSpec:
    """Add a view (or replace one with the same id)."""
    for i, old in enumerate(VIEWS):
        if old.id == spec.id:
            VIEWS[i] = spec
            return spec
    VIEWS.append(spec)
    return spec


def check_products(views: Optional[list[ViewSpec]] = None) -> None:
    """At start: every view's products exist (``catalog.UnknownProduct`` names the view and
    the misspelt kind otherwise)."""
    from ..workspace.catalog import check_views

    check_views(VIEWS if views is None else views)


def view_spec(view_id: str) -> Optional[ViewSpec]:
    return next((v for v in VIEWS if v.id == view_id), None)


def spec_of(cls: type) -> Optional[ViewSpec]:
    """The spec that makes views of ``cls`` (or of a class it derives from)."""
    for klass in cls.__mro__:
        spec = next((v for v in VIEWS if v.module == klass.__module__ and v.cls == klass.__name__),
                    None)
        if spec is not None:
            return spec
    return None


def view_ids() -> list[str]:
    return [v.id for v in VIEWS]

