"""Analysis of a layer's representation: similarity, 2-D maps, metrics, word tables.

The package re-exports the functions callers use; the modules say what they own."""

from .projection import METHOD_LABELS, METHODS, Projection, project, warm_up_umap
from .similarity import centroid_similarity, cosine_similarity, within_between_similarity
from .words import group_similarity_summary, nearest_by_group

__all__ = ["METHODS", "METHOD_LABELS", "Projection", "project", "warm_up_umap",
           "cosine_similarity", "centroid_similarity", "within_between_similarity",
           "nearest_by_group", "group_similarity_summary"]
