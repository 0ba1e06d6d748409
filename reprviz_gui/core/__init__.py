"""The engine: data, models, training, extraction and analysis.

Nothing in this package imports Qt, so it runs the same from the window's worker threads,
from the headless CLI, from a test or on a GPU machine without a display. TensorFlow and
umap are imported lazily inside the functions that need them.
"""
