"""Composite and interactive views: paths over slices, linked sliders, trajectories."""
from __future__ import annotations

__all__: list[str] = []
