"""Plotly figures of gridded values with markers and paths on top (no matplotlib)."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from numpy.typing import ArrayLike

from ..grid import Grid

__all__ = ["setup_notebook", "contour", "surface"]

_COLORS = ["#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#17becf", "#8c564b", "#e377c2", "#7f7f7f"]


def setup_notebook() -> str:
    """Render figures as plotly JSON, drawn offline by JupyterLab (no CDN, nothing embedded).

    Returns the renderer name. Call it once in a notebook's setup cell.
    """
    pio.renderers.default = "plotly_mimetype"
    return pio.renderers.default


def _display(grid: Grid, values: ArrayLike, max_side: int, log: bool):
    if not isinstance(grid, Grid):
        raise TypeError(f"grid must be a gridlib.Grid, got {type(grid).__name__}")
    if grid.ndim != 2:
        raise ValueError(f"plots need a 2-D grid, got {grid.ndim} axes; slice or fix the other parameters first")
    v = np.asarray(values, dtype=float)
    if v.shape != grid.shape:
        raise ValueError(f"values must be shaped like the grid {grid.shape}, got {v.shape}")
    small, sl = grid.downsample(max_side)
    z = v[sl]
    if log:
        z = np.log10(z - np.nanmin(v) + 1.0)
    return small, z.T          # plotly wants z[row=y][col=x]: axis 1 on y, axis 0 on x


def _as_xy(p: ArrayLike) -> np.ndarray:
    a = np.asarray(p, dtype=float)
    a = a.reshape(1, -1) if a.ndim == 1 else a
    if a.ndim != 2 or a.shape[1] < 2:
        raise ValueError(f"markers must have shape (2,) or (m, 2), got {np.shape(p)}")
    return a


def _paths(path: ArrayLike) -> list[np.ndarray]:
    a = np.asarray(path, dtype=float)
    if a.ndim == 2 and a.shape[1] == 2:
        return [a]
    if a.ndim == 3 and a.shape[2] == 2:
        return [a[:, i] for i in range(a.shape[1])]
    raise ValueError(f"paths must have shape (steps, 2) or (steps, n_starts, 2), got {a.shape}")


def contour(grid: Grid, values: ArrayLike, *, markers: Mapping[str, ArrayLike] | None = None,
            paths: Mapping[str, ArrayLike] | None = None, max_side: int = 150, log: bool = False,
            ncontours: int = 30, title: str | None = None) -> go.Figure:
    """Contour plot of 2-D gridded values, parameter 1 across, parameter 2 up.

    Parameters
    ----------
    grid : Grid with 2 axes
    values : array, shape ``grid.shape``
    markers : mapping label -> point (2,) or points (m, 2)
    paths : mapping label -> (steps, 2) or (steps, n_starts, 2) trajectories
    max_side : int
        Display resolution cap per axis (the data are not changed).
    log : bool
        Colour by ``log10(L - min L + 1)`` to see the floor of a steep bowl.

    Examples
    --------
    >>> g = Grid.linspace(w1=(-1, 1, 5), w2=(-1, 1, 5))
    >>> fig = contour(g, np.zeros(g.shape), markers={"origin": [0, 0]})
    >>> [t.type for t in fig.data]
    ['contour', 'scatter']
    """
    small, z = _display(grid, values, max_side, log)
    fig = go.Figure(go.Contour(x=small.axes[0], y=small.axes[1], z=z, ncontours=ncontours,
                               colorscale="Viridis", colorbar=dict(title="log L" if log else "L")))
    _overlay(fig, markers, paths, three_d=False)
    fig.update_layout(xaxis_title=grid.names[0], yaxis_title=grid.names[1], title=title,
                      width=700, height=560, margin=dict(l=60, r=20, t=50, b=50),
                      legend=dict(orientation="h", yanchor="top", y=-0.12, x=0))
    return fig


def surface(grid: Grid, values: ArrayLike, *, markers: Mapping[str, ArrayLike] | None = None,
            paths: Mapping[str, ArrayLike] | None = None, max_side: int = 80, log: bool = False,
            title: str | None = None) -> go.Figure:
    """3-D surface of 2-D gridded values with markers (placed on the surface) and paths."""
    small, z = _display(grid, values, max_side, log)
    fig = go.Figure(go.Surface(x=small.axes[0], y=small.axes[1], z=z, colorscale="Viridis", showscale=False))
    _overlay(fig, markers, paths, three_d=True, grid=grid, values=values, log=log)
    fig.update_layout(title=title, width=700, height=560, margin=dict(l=0, r=0, t=50, b=0),
                      scene=dict(xaxis_title=grid.names[0], yaxis_title=grid.names[1],
                                 zaxis_title="log L" if log else "L"))
    return fig


def _overlay(fig, markers, paths, three_d, grid=None, values=None, log=False):
    items = [(k, _as_xy(v), "markers") for k, v in (markers or {}).items()]
    items += [(k, p, "lines+markers") for k, v in (paths or {}).items() for p in _paths(v)]
    for i, (label, xy, mode) in enumerate(items):
        color = _COLORS[i % len(_COLORS)]
        style = dict(mode=mode, name=label, marker=dict(size=8 if mode == "markers" else 3, color=color))
        if three_d:
            z = _heights(grid, values, xy, log)
            fig.add_trace(go.Scatter3d(x=xy[:, 0], y=xy[:, 1], z=z, **style))
        else:
            fig.add_trace(go.Scatter(x=xy[:, 0], y=xy[:, 1], **style))


def _heights(grid, values, xy, log):
    v = np.asarray(values, dtype=float)
    z = np.array([v[grid.index_of(p[:2])] for p in xy])
    return np.log10(z - np.nanmin(v) + 1.0) if log else z
