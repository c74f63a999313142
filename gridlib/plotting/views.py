"""Composite views: curves and 1-D profiles, panels of slices, paths on slices, arrow fields.

Every function returns a ``plotly.graph_objects.Figure`` with a title and labelled axes,
laid out by :func:`gridlib.plotting._core.decorate` (same colours, sizes, margins as the
landscapes); none calls ``.show()``. Moving through a figure (kernel-free sliders, live
widgets) is :func:`gridlib.plotting.slider` / :func:`gridlib.plotting.live`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from numpy.typing import ArrayLike
from plotly.subplots import make_subplots

from ..grid import Grid
from . import _core

__all__ = [
    "curves",
    "profile",
    "panels",
    "path_on_slice",
    "arrows",
]

_COLORS = _core.PALETTE
_WIDTH, _HEIGHT = _core.WIDTH, 460  # a curve needs less height than a landscape


def _xy(value: Any, label: str) -> tuple[np.ndarray, np.ndarray]:
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        raise TypeError(
            f"series {label!r} must be a pair (x, y) of 1-D arrays, got {type(value).__name__}"
        )
    x, y = (np.asarray(v, dtype=float).ravel() for v in value)
    if x.shape != y.shape:
        raise ValueError(f"series {label!r}: x has {x.size} values but y has {y.size}")
    return x, y


def curves(
    series: Mapping[str, tuple[ArrayLike, ArrayLike]],
    *,
    title: str,
    xaxis_title: str,
    yaxis_title: str,
    log_x: bool = False,
    log_y: bool = False,
    guides: Mapping[str, tuple[ArrayLike, ArrayLike]] | None = None,
    markers: Mapping[str, tuple[ArrayLike, ArrayLike]] | None = None,
    vlines: Mapping[str, float] | None = None,
    y_range: Sequence[float] | None = None,
    width: int = _WIDTH,
    height: int = _HEIGHT,
) -> go.Figure:
    """Line plot of one or more series ``{label: (x, y)}`` (training curves, error sweeps).

    ``guides`` are drawn dotted (reference laws such as ``c h^2``), ``markers`` as points,
    ``vlines`` as labelled vertical lines at ``x``. ``y_range`` is in data units (also on a
    log axis).

    Examples
    --------
    >>> fig = curves({"L": ([0, 1, 2], [3.0, 2.0, 1.5])}, title="t", xaxis_title="step t",
    ...              yaxis_title="L", markers={"end": ([2], [1.5])})
    >>> [t.mode for t in fig.data]
    ['lines', 'markers']
    """
    fig = go.Figure()
    lines = [
        *(
            (label, value, dict(color=_COLORS[i % len(_COLORS)], width=2))
            for i, (label, value) in enumerate(series.items())
        ),
        *(
            (label, value, dict(color="gray", dash="dot" if i % 2 == 0 else "dash"))
            for i, (label, value) in enumerate((guides or {}).items())
        ),
    ]
    for label, value, line in lines:  # the series, then the guides (dotted, dashed, ...)
        x, y = _xy(value, label)
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=label, line=line))
    for i, (label, value) in enumerate((markers or {}).items()):
        x, y = _xy(value, label)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="markers",
                name=label,
                marker=dict(
                    size=10,
                    color=_COLORS[(i + 1) % len(_COLORS)],
                    symbol="diamond",
                    line=dict(color="black", width=1),
                ),
            )
        )
    for label, x0 in (vlines or {}).items():
        fig.add_vline(x=float(x0), line=dict(color="gray", dash="dot"), annotation_text=label)
    _core.decorate(
        fig,
        title=title,
        xaxis_title=xaxis_title,
        yaxis_title=yaxis_title,
        log_x=log_x,
        log_y=log_y,
        y_range=y_range,
        width=width,
        height=height,
    )
    if log_x:
        fig.update_xaxes(exponentformat="power")
    if log_y:
        fig.update_yaxes(exponentformat="power")
    return fig


def profile(
    alphas: ArrayLike,
    values: ArrayLike,
    *,
    marks: Mapping[str, float] | None = None,
    title: str,
    xaxis_title: str = "α",
    yaxis_title: str = "L",
    log_y: bool = False,
) -> go.Figure:
    """A 1-D profile ``L(α)`` with labelled points at chosen ``α`` (read off the curve).

    Examples
    --------
    >>> fig = profile([0, 0.5, 1], [2.0, 1.0, 0.5], marks={"θ0": 0.0, "θ*": 1.0}, title="line")
    >>> fig.data[1].y.tolist()
    [2.0, 0.5]
    """
    a, v = _xy((alphas, values), "profile")
    marks = dict(marks or {})
    xs = np.array(list(marks.values()), dtype=float)
    if xs.size and (xs.min() < a.min() or xs.max() > a.max()):
        raise ValueError(
            f"marks must lie inside the profile's range [{a.min()}, {a.max()}], got {xs}"
        )
    order = np.argsort(a)
    ys = np.interp(xs, a[order], v[order])
    fig = curves(
        {yaxis_title: (a, v)},
        title=title,
        xaxis_title=xaxis_title,
        yaxis_title=yaxis_title,
        log_y=log_y,
    )
    if marks:
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="markers+text",
                text=list(marks),
                textposition="top center",
                name="marked points",
                marker=dict(size=10, color="#d62728"),
            )
        )
    return fig


def panels(
    grid: Grid,
    values: Sequence[ArrayLike],
    titles: Sequence[str],
    *,
    title: str,
    log: bool = True,
    surface: bool = False,
    cols: int | None = None,
    markers: Mapping[str, ArrayLike] | None = None,
    ncontours: int = 25,
) -> go.Figure:
    """Several 2-D slices over the same grid side by side, on one shared colour scale.

    Contours (default, equal axes since the grid's coordinates are comparable) or
    surfaces; ``log`` colours by ``log10 L`` (values must then be positive).
    ``markers`` ({label: (2,) point}) are drawn on every contour panel.

    Examples
    --------
    >>> g = Grid.linspace(a=(-1, 1, 5), b=(-1, 1, 5))
    >>> v = 1.0 + g.points()[:, 0].reshape(g.shape) ** 2
    >>> fig = panels(g, [v, 2 * v], ["one", "two"], title="two slices")
    >>> [t.type for t in fig.data], fig.data[0].zmax == fig.data[1].zmax
    (['contour', 'contour'], True)
    """
    if not isinstance(grid, Grid) or grid.ndim != 2:
        raise ValueError("panels need a 2-D gridlib.Grid shared by every slice")
    if len(values) != len(titles) or not values:
        raise ValueError(f"one title per slice: got {len(values)} slices and {len(titles)} titles")
    arrays = [np.asarray(v, dtype=float) for v in values]
    for v in arrays:
        if v.shape != grid.shape:
            raise ValueError(
                f"every slice must be shaped like the grid {grid.shape}, got {v.shape}"
            )
    if log and min(float(v.min()) for v in arrays) <= 0:
        raise ValueError("log colouring needs positive values")
    z = [np.log10(v) if log else v for v in arrays]
    zmin, zmax = min(float(a.min()) for a in z), max(float(a.max()) for a in z)
    ncols = cols or len(arrays)
    nrows = -(-len(arrays) // ncols)
    kind = "surface" if surface else "xy"
    fig = make_subplots(
        rows=nrows,
        cols=ncols,
        subplot_titles=list(titles),
        specs=[[{"type": kind}] * ncols for _ in range(nrows)],
        horizontal_spacing=0.08 if surface else 0.12,
        vertical_spacing=0.14,
    )
    colorbar = dict(title="log10 L" if log else "L")
    a0, a1 = grid.axes
    for k, zk in enumerate(z):
        row, col = divmod(k, ncols)
        if surface:
            trace: Any = go.Surface(
                x=a0,
                y=a1,
                z=zk.T,
                cmin=zmin,
                cmax=zmax,
                colorscale=_core.COLORSCALE,
                showscale=(k == 0),
                colorbar=colorbar,
            )
        else:
            trace = go.Contour(
                x=a0,
                y=a1,
                z=zk.T,
                zmin=zmin,
                zmax=zmax,
                colorscale=_core.COLORSCALE,
                ncontours=ncontours,
                showscale=(k == 0),
                colorbar=colorbar,
            )
        fig.add_trace(trace, row=row + 1, col=col + 1)
        for i, (label, point) in enumerate((markers or {}).items()):
            if surface:
                continue
            p = np.asarray(point, dtype=float).reshape(-1, 2)
            fig.add_trace(
                go.Scatter(
                    x=p[:, 0],
                    y=p[:, 1],
                    mode="markers",
                    name=label,
                    showlegend=(k == 0),
                    marker=dict(
                        size=9,
                        color=_COLORS[(i + 1) % len(_COLORS)],
                        line=dict(color="white", width=1),
                    ),
                ),
                row=row + 1,
                col=col + 1,
            )
    n0, n1 = grid.names
    height = (430 if surface else 400) * nrows + 80
    _core.decorate(
        fig,
        title=title,
        xaxis_title=n0,
        yaxis_title=n1,
        width=900 if ncols > 1 else _WIDTH,
        height=height,
    )
    if surface:
        fig.update_scenes(xaxis_title=n0, yaxis_title=n1, zaxis_title="log10 L" if log else "L")
    else:
        fig.update_xaxes(title_text=n0)
        fig.update_yaxes(title_text=n1)
        for k in range(len(arrays)):  # equal axes in every panel
            suffix = "" if k == 0 else str(k + 1)
            fig.update_layout({f"yaxis{suffix}": dict(scaleanchor=f"x{suffix}", scaleratio=1)})
    return fig


def path_on_slice(
    grid: Grid,
    values: ArrayLike,
    coords: ArrayLike,
    *,
    title: str,
    explained: ArrayLike | None = None,
    log: bool = True,
    markers: Mapping[str, ArrayLike] | None = None,
    every: int = 1,
) -> go.Figure:
    """A descent path's coordinates drawn on the 2-D slice that contains it (equal axes).

    ``coords`` ``(n_steps, 2)`` are the path's coordinates in the slice (e.g.
    :func:`gridlib.landscape.pca_directions`); with ``explained`` the axis titles show each
    direction's share of the path's variance. Every drawn point must lie inside the grid,
    otherwise ValueError: a path that leaves the plot misleads.
    ``every`` keeps one point in ``every`` (and the last).

    Examples
    --------
    >>> g = Grid.linspace(a=(-2, 2, 9), b=(-2, 2, 9))
    >>> v = 1 + (g.points() ** 2).sum(axis=1).reshape(g.shape)
    >>> fig = path_on_slice(g, v, [[1.5, 1.0], [0.5, 0.2], [0.0, 0.0]], title="path")
    >>> [t.name for t in fig.data[1:]], fig.layout.yaxis.scaleanchor
    (['descent path'], 'x')
    """
    c = np.asarray(coords, dtype=float)
    if c.ndim != 2 or c.shape[1] != 2:
        raise ValueError(f"coords must have shape (n_steps, 2), got {c.shape}")
    lo, hi = grid.lower, grid.upper
    if np.any(c < lo) or np.any(c > hi):
        raise ValueError(
            f"the path leaves the drawn region: coords span {c.min(axis=0)}..{c.max(axis=0)}, "
            f"the grid {lo}..{hi}; widen the grid"
        )
    names = list(grid.names)
    if explained is not None:
        e = np.asarray(explained, dtype=float)
        names = [
            f"{n} ({100 * s:.1f} % of the path's variance)" for n, s in zip(names, e, strict=True)
        ]
    shown = np.vstack([c[::every], c[-1:]]) if every > 1 else c
    fig = _core.contour(
        grid,
        values,
        title=title,
        log=log,
        equal=True,
        markers=markers,
        paths={"descent path": shown},
    )
    fig.update_xaxes(title_text=names[0])
    fig.update_yaxes(title_text=names[1])
    return fig


def arrows(
    fig: go.Figure,
    bases: ArrayLike,
    vectors: ArrayLike,
    *,
    name: str,
    length: float,
    color: str = "white",
) -> go.Figure:
    """Add unit-length-times-``length`` arrows from ``bases`` along ``vectors`` (both (m, 2)).

    Only directions are drawn (every arrow has the same length). Returns ``fig``.
    """
    b = np.asarray(bases, dtype=float)
    v = np.asarray(vectors, dtype=float)
    if b.shape != v.shape or b.ndim != 2 or b.shape[1] != 2:
        raise ValueError(
            f"bases and vectors must both have shape (m, 2), got {b.shape} and {v.shape}"
        )
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    tips = b + length * v / np.where(norms > 0, norms, 1.0)
    seg = np.stack([b, tips, np.full_like(b, np.nan)], axis=1).reshape(-1, 2)
    sizes = np.tile([0, 9, 0], len(b))
    fig.add_trace(
        go.Scatter(
            x=seg[:, 0],
            y=seg[:, 1],
            mode="lines+markers",
            name=name,
            line=dict(color=color, width=1.5),
            marker=dict(symbol="arrow", angleref="previous", size=sizes, color=color),
        )
    )
    return fig
