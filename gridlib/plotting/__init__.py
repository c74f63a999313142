"""Plotly figures for the lessons: landscapes with standard markers, paths, clouds, views.

Two modules, one job each: ``_core`` holds the shared style (colours, markers,
sizes) and the landscape figures (contour, surface); ``views`` holds the
composite and interactive views (paths over slices, linked sliders, trajectories).
Helpers return ``plotly.graph_objects.Figure`` and never call ``.show()``.
"""

from ._core import *  # noqa: F403
from ._core import __all__ as _core_all
from .views import *  # noqa: F403
from .views import __all__ as _views_all

__all__ = [*_core_all, *_views_all]
