"""Display-only views: each gets one frozen result (``workspace/results.py``) and draws it.

Every view is a ``Panel`` (see ``base.py``): ``title``, ``panel_id``, ``show_result(result)``,
``clear(message="")``, ``set_busy(message)``, ``displayed() -> dict``, ``set_selection(Selection)``
and the ``selection_requested(Selection, additive)`` signal. ``registry.py`` lists every view.
"""

from reprviz_gui.views.base import Panel
from reprviz_gui.views.confusion import ConfusionPanel
from reprviz_gui.views.cosine import CosinePanel
from reprviz_gui.views.curves import CurvesPanel
from reprviz_gui.views.heatmap import HeatmapPanel
from reprviz_gui.views.map_view import MapPanel

# Default dock order; panel_id is stable (dock object names, View menu, saved layouts).
PANEL_CLASSES: tuple[type[Panel], ...] = (MapPanel, HeatmapPanel, CosinePanel, ConfusionPanel, CurvesPanel)

__all__ = [
    "PANEL_CLASSES",
    "ConfusionPanel",
    "CosinePanel",
    "CurvesPanel",
    "HeatmapPanel",
    "MapPanel",
    "Panel",
]
