"""The course's figure style and its landscape figures (plotly only, no matplotlib).

One place for what every lesson figure shares, after ThinkDSP's ``decorate``:

* style constants: :data:`PALETTE` (series colours), :data:`COLORSCALE` (a filled landscape),
  :data:`BACKDROP` (a grey landscape under coloured overlays), :data:`ROLES` (the standard
  markers: exact minimum ``w*``, grid argmin, generating parameters, batch minima, start,
  moving point), :data:`WIDTH` / :data:`HEIGHT` (readable at 900 px);
* :func:`decorate` -- title (kept below plotly's mode bar), axis titles, equal axes when
  distances are compared, legend below the plot, size; every figure helper ends with it;
* landscapes: :func:`contour`, :func:`surface`, and :func:`plane` (an empty 2-D plane) with
  the standard overlays (``exact=``, ``argmin=``, ``generating=``, ``batch=``, ``start=``,
  ``markers=``, ``paths=``, ``clouds=``, ``lines=``); :func:`add_overlays`,
  :func:`add_level_lines` (another function's contour lines) and :func:`add_batch` (a batch's
  loss and minimum) add to an existing figure; :func:`within` keeps the points in view (say
  how many were left out); a contour warns when an overlay leaves its grid, and a contour or
  plane warns when paths, clouds or lines sit on unequal axes the author did not choose
  (``equal=None``; :data:`UNEQUAL_RATIO`);
* a size budget: every trace built here is thinned (:data:`MAX_POINTS` points per path or
  cloud) and landscapes are stored as float32 on at most ``max_side`` points per axis;
  :func:`size_bytes` measures a figure;
* line fits (:func:`line_fit`), two figures side by side (:func:`side_by_side`), and the two
  ways to move through a figure: :func:`slider` (kernel-free, plotly steps) and :func:`live`
  (ipywidgets controls redrawing figures in place). Both take *patches*,
  ``{trace index: {property: value}, "title": text}``; :func:`line_fit_patch`,
  :func:`level_patch` and :func:`batch_patch` build the common ones.

Helpers return ``plotly.graph_objects.Figure`` and never call ``.show()``.
"""

from __future__ import annotations

import math
import textwrap
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from numpy.typing import ArrayLike
from plotly.subplots import make_subplots

from .._validate import as_grid

__all__ = [
    "setup_notebook",
    "PALETTE",
    "COLORSCALE",
    "BACKDROP",
    "ROLES",
    "WIDTH",
    "HEIGHT",
    "MAX_POINTS",
    "UNEQUAL_RATIO",
    "decorate",
    "contour",
    "surface",
    "plane",
    "add_overlays",
    "add_level_lines",
    "level_patch",
    "add_batch",
    "batch_patch",
    "within",
    "line_fit",
    "line_fit_patch",
    "side_by_side",
    "slider",
    "live",
    "size_bytes",
]

#: Series colours, in the order overlays without a role use them.
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#17becf", "#8c564b", "#e377c2")
#: Colour scale of a filled landscape (the loss is the picture).
COLORSCALE = "Viridis"
#: Colour scale of a landscape drawn behind coloured overlays (the overlays are the picture).
BACKDROP = "Greys"
#: Default figure size, in pixels: readable in a 900 px wide notebook column.
WIDTH, HEIGHT = 820, 560
#: The most points a path or a cloud keeps when drawn (the size budget of one trace).
MAX_POINTS = 600

#: The standard markers: role -> (default label, plotly marker style).
ROLES: dict[str, tuple[str, dict[str, Any]]] = {
    "exact": (
        "exact minimum w*",
        dict(symbol="star", size=17, color="black", line=dict(color="white", width=1)),
    ),
    "argmin": (
        "grid argmin",
        dict(symbol="diamond", size=11, color="white", line=dict(color="black", width=1.5)),
    ),
    "generating": (
        "generating parameters",
        dict(symbol="triangle-up", size=13, color="#d62728", line=dict(color="white", width=1)),
    ),
    "batch": ("batch minimum", dict(symbol="x", size=11, color="#ff7f0e")),
    "start": ("start", dict(symbol="circle-open", size=13, color="black", line=dict(width=2.5))),
    "point": (
        "θ",
        dict(symbol="circle", size=13, color="white", line=dict(color="black", width=2)),
    ),
}

#: 3-D scatter knows fewer symbols: the nearest one for each 2-D marker symbol.
_SYMBOLS_3D = {
    "star": "diamond",
    "triangle-up": "square",
    "diamond": "diamond-open",
    "x": "x",
    "circle-open": "circle-open",
    "circle": "circle",
}
_TITLE_PX = 22  # height of one title line (font 16) in pixels
_LEGEND_GAP_PX = 62  # from the plot area's bottom to the legend: tick labels and x-axis title
_LOG_TICKS_PX = 14  # a log x-axis's second row of tick labels
_MODEBAR_PX = 34  # plotly's mode bar sits in the top 34 px of the figure, right-aligned
_COLORBAR_PX = 80  # a colour bar (thickness 14, ticks, side title) takes about 80 px on the right
#: Above this ratio of the two axes' units per pixel, a figure whose overlays compare
#: distances warns unless its author chose ``equal=`` (a circle drawn 1.5 times wider than
#: tall is visibly an ellipse; below that the distortion is hard to see).
UNEQUAL_RATIO = 1.5


def setup_notebook() -> str:
    """Render figures as plotly JSON, drawn offline by JupyterLab (no CDN, nothing embedded).

    Returns the renderer name. Call it once in a notebook's setup cell.
    """
    pio.renderers.default = "plotly_mimetype"
    return pio.renderers.default


# ---------------------------------------------------------------------------------------------
# layout


def decorate(
    fig: go.Figure,
    *,
    title: str,
    xaxis_title: str,
    yaxis_title: str,
    equal: bool | None = False,
    x_range: Sequence[float] | None = None,
    y_range: Sequence[float] | None = None,
    log_x: bool = False,
    log_y: bool = False,
    width: int = WIDTH,
    height: int = HEIGHT,
    legend: bool = True,
) -> go.Figure:
    """Give ``fig`` the course's layout: a title below the mode bar, axis titles, size; return it.

    The title is wrapped to the figure's width and placed in a top margin that starts
    below plotly's mode bar, so the two never overlap. ``equal=True`` draws one unit of
    ``x`` as long as one unit of ``y`` (use it whenever the figure compares distances;
    ``None`` counts as ``False`` here). The legend goes below the plot, where it never covers data.

    Examples
    --------
    >>> fig = decorate(go.Figure(), title="t", xaxis_title="w1", yaxis_title="w2", equal=True)
    >>> fig.layout.yaxis.scaleanchor, fig.layout.xaxis.title.text
    ('x', 'w1')
    >>> decorate(go.Figure(), title="", xaxis_title="a", yaxis_title="b")
    Traceback (most recent call last):
    ...
    ValueError: every figure needs a title and both axis titles (with units or symbols), got title='', xaxis_title='a', yaxis_title='b'
    """
    if not (title and xaxis_title and yaxis_title):
        raise ValueError(
            "every figure needs a title and both axis titles (with units or symbols), got "
            f"title={title!r}, xaxis_title={xaxis_title!r}, yaxis_title={yaxis_title!r}"
        )
    text, lines = _wrap(title, width)
    top = _MODEBAR_PX + lines * _TITLE_PX + 16
    # One line sits on the plot area (pad below). A wrapped title is drawn higher than its
    # anchor says (plotly shifts it up by about a line per extra line; measured in Chromium),
    # so it hangs from a point that far below the mode bar, with the margin grown to match.
    place: dict[str, Any] = dict(y=1, yref="paper", yanchor="bottom", pad=dict(b=12))
    if lines > 1:
        hang = _MODEBAR_PX + 8 + (lines - 1) * _TITLE_PX
        place = dict(yref="container", y=1 - hang / height, yanchor="top")
        top = hang + lines * _TITLE_PX + 12
    # The legend starts a fixed number of pixels below the plot area, under the x-axis title
    # (lower under a log axis: its minor tick labels take a second row), at any figure height.
    legend_gap = (_LEGEND_GAP_PX + (_LOG_TICKS_PX if log_x else 0)) / max(height - top - 60, 100)
    fig.update_layout(
        title=dict(text=text, x=0, xref="paper", xanchor="left", font=dict(size=16), **place),
        width=width,
        height=height,
        margin=dict(l=70, r=30, t=top, b=60),
        showlegend=legend,
        legend=dict(orientation="h", x=0, xanchor="left", y=-legend_gap, yanchor="top"),
        template="plotly_white",
    )
    fig.update_xaxes(
        title_text=xaxis_title, type="log" if log_x else None, range=_range(x_range, log_x)
    )
    fig.update_yaxes(
        title_text=yaxis_title, type="log" if log_y else None, range=_range(y_range, log_y)
    )
    if equal:
        fig.update_xaxes(constrain="domain")
        fig.update_yaxes(scaleanchor="x", scaleratio=1, constrain="domain")
    return fig


def _wrap(title: str, width: int) -> tuple[str, int]:
    """Break a long title into lines that fit ``width`` pixels (about 8.5 px per character)."""
    if "<br>" in title:
        return title, title.count("<br>") + 1
    lines = textwrap.wrap(title, max(20, int((width - 100) / 8.5))) or [title]
    return "<br>".join(lines), len(lines)


def _range(r: Sequence[float] | None, log: bool) -> list[float] | None:
    if r is None:
        return None
    lo, hi = (float(v) for v in r)
    return [math.log10(lo), math.log10(hi)] if log else [lo, hi]


# ---------------------------------------------------------------------------------------------
# landscapes


def _landscape(grid: Any, values: ArrayLike, max_side: int, log: bool):
    grid = as_grid(grid)
    if grid.ndim != 2:
        raise ValueError(
            f"plots need a 2-D grid, got {grid.ndim} axes; slice or fix the other parameters first"
        )
    v = np.asarray(values, dtype=float)
    if v.shape != grid.shape:
        raise ValueError(f"values must be shaped like the grid {grid.shape}, got {v.shape}")
    small, sl = grid.downsample(max_side)
    z = v[sl]
    if log:
        z = np.log10(z - np.nanmin(v) + 1.0)
    return small, _f32(z.T)  # plotly wants z[row=y][col=x]: axis 1 on y, axis 0 on x


def _f32(a: Any) -> np.ndarray:
    """Store an array as float32 (half the bytes of float64, invisible on screen)."""
    return np.asarray(a, dtype=np.float32)


def _value_label(value_label: str, log: bool) -> str:
    return f"log10({value_label} − min + 1)" if log else value_label


def contour(
    grid: Any,
    values: ArrayLike,
    *,
    title: str,
    log: bool = False,
    ncontours: int = 30,
    max_side: int = 150,
    backdrop: bool = False,
    value_label: str = "L",
    equal: bool | None = None,
    x_range: Sequence[float] | None = None,
    y_range: Sequence[float] | None = None,
    width: int = WIDTH,
    height: int = HEIGHT,
    legend: bool = True,
    **overlays: Any,
) -> go.Figure:
    """Filled contours of 2-D gridded values, parameter 1 across, parameter 2 up, with overlays.

    Parameters
    ----------
    grid : Grid with 2 axes
    values : array, shape ``grid.shape`` (``indexing="ij"``: axis 0 is the x-axis)
    title : str
    log : bool
        Colour by ``log10(L - min L + 1)`` to see the floor of a steep bowl.
    backdrop : bool
        Grey colour scale, no colour bar: the landscape stays behind coloured overlays.
    max_side : int
        Display resolution cap per axis (the data are not changed; the size budget).
    equal : bool or None
        ``True``: one unit of parameter 1 as long as one unit of parameter 2 (distances
        compared). ``False``: each axis fills the plot (different units, or a profile).
        ``None`` (not chosen): as ``False``, but a figure with ``paths``, ``clouds`` or
        ``lines`` warns when its axes' scales differ (see :func:`plane`).
    **overlays
        Any keyword of :func:`add_overlays`: ``exact``, ``argmin``, ``generating``,
        ``batch``, ``start``, ``labels``, ``markers``, ``paths``, ``clouds``, ``lines``.

    Examples
    --------
    >>> from gridlib import Grid
    >>> g = Grid.linspace(w1=(-1, 1, 5), w2=(-1, 1, 5))
    >>> fig = contour(g, np.zeros(g.shape), title="flat", exact=[0, 0], argmin=[0.5, 0])
    >>> [(t.type, t.name) for t in fig.data]
    [('contour', None), ('scatter', 'exact minimum w*'), ('scatter', 'grid argmin')]
    >>> fig.data[1].marker.symbol, fig.layout.xaxis.title.text
    ('star', 'w1')
    """
    small, z = _landscape(grid, values, max_side, log)
    trace = go.Contour(
        x=small.axes[0],
        y=small.axes[1],
        z=z,
        ncontours=ncontours,
        colorscale=BACKDROP if backdrop else COLORSCALE,
        showscale=not backdrop,
        colorbar=dict(
            title=dict(text=_value_label(value_label, log), side="right"), len=0.75, thickness=14
        ),
        name=None if not backdrop else _value_label(value_label, log),
    )
    fig = go.Figure(trace)
    add_overlays(fig, **overlays)
    _warn_outside(fig, grid)
    names = small.names
    x_range = x_range if x_range is not None else (grid.lower[0], grid.upper[0])
    y_range = y_range if y_range is not None else (grid.lower[1], grid.upper[1])
    decorate(
        fig,
        title=title,
        xaxis_title=names[0],
        yaxis_title=names[1],
        equal=equal,
        x_range=x_range,
        y_range=y_range,
        width=width,
        height=height,
        legend=legend,
    )
    if equal is None:
        _warn_unequal(fig, overlays, x_range, y_range)
    return fig


def _warn_outside(fig: go.Figure, grid: Any) -> None:
    """Warn when an overlay leaves the grid's region: a figure that hides it would mislead."""
    lo, hi = grid.lower - 0.5 * grid.spacing, grid.upper + 0.5 * grid.spacing
    for tr in fig.data:
        if tr.type != "scatter" or tr.x is None:
            continue
        xy = np.column_stack([_floats(tr.x), _floats(tr.y)])
        xy = xy[~np.isnan(xy).any(axis=1)]
        if len(xy) and (np.any(xy < lo) or np.any(xy > hi)):
            warnings.warn(
                f"{tr.name!r} leaves the drawn region {grid.names[0]} in [{grid.lower[0]:g}, "
                f"{grid.upper[0]:g}], {grid.names[1]} in [{grid.lower[1]:g}, {grid.upper[1]:g}]: "
                f"it spans {xy.min(axis=0).round(3).tolist()} to {xy.max(axis=0).round(3).tolist()}; "
                "widen the grid or shorten the overlay",
                UserWarning,
                stacklevel=3,
            )


def _floats(v: Any) -> np.ndarray:
    return np.array([np.nan if a is None else a for a in v], dtype=float)


def surface(
    grid: Any,
    values: ArrayLike,
    *,
    title: str,
    log: bool = False,
    max_side: int = 80,
    value_label: str = "L",
    width: int = WIDTH,
    height: int = HEIGHT,
    labels: Mapping[str, str] | None = None,
    markers: Mapping[str, ArrayLike] | None = None,
    **roles: ArrayLike | None,
) -> go.Figure:
    """3-D surface of 2-D gridded values with the standard markers placed on it.

    Markers (``exact=``, ``argmin=``, ... or ``markers={label: points}``) sit at the height of
    the nearest grid value.

    Examples
    --------
    >>> from gridlib import Grid
    >>> g = Grid.linspace(w1=(-1, 1, 5), w2=(-1, 1, 5))
    >>> fig = surface(g, np.ones(g.shape), title="one", exact=[0, 0])
    >>> [t.type for t in fig.data], float(fig.data[1].z[0])
    (['surface', 'scatter3d'], 1.0)
    """
    small, z = _landscape(grid, values, max_side, log)
    fig = go.Figure(
        go.Surface(x=small.axes[0], y=small.axes[1], z=z, colorscale=COLORSCALE, showscale=False)
    )
    v = np.asarray(values, dtype=float)
    for label, xy, style in _marker_items(labels, markers, roles):
        h = v[tuple(np.array([grid.index_of(p) for p in xy]).T)]
        h = np.log10(h - np.nanmin(v) + 1.0) if log else h
        fig.add_trace(
            go.Scatter3d(
                x=xy[:, 0],
                y=xy[:, 1],
                z=h,
                mode="markers",
                name=label,
                marker={**style, "symbol": _SYMBOLS_3D.get(style["symbol"], "circle"), "size": 6},
            )
        )
    zlabel = _value_label(value_label, log)
    decorate(
        fig,
        title=title,
        xaxis_title=grid.names[0],
        yaxis_title=grid.names[1],
        width=width,
        height=height,
    )
    fig.update_layout(
        scene=dict(xaxis_title=grid.names[0], yaxis_title=grid.names[1], zaxis_title=zlabel),
        margin=dict(l=0, r=0, b=0),
    )
    return fig


def plane(
    *,
    title: str,
    xaxis_title: str,
    yaxis_title: str,
    equal: bool | None = None,
    x_range: Sequence[float] | None = None,
    y_range: Sequence[float] | None = None,
    width: int = WIDTH,
    height: int = HEIGHT,
    legend: bool = True,
    log_x: bool = False,
    log_y: bool = False,
    **overlays: Any,
) -> go.Figure:
    """A 2-D plane with the standard overlays and no landscape (clouds of points, gradients).

    ``equal`` as in :func:`contour`: ``True`` draws one unit of ``x`` as long as one unit of
    ``y``, ``False`` lets each axis fill the plot. Left at ``None`` (the author did not say),
    a figure whose overlays are read as shapes -- ``paths``, ``clouds`` or ``lines`` with
    at least two points -- warns (``UserWarning``) when its axes' units per pixel differ by
    more than :data:`UNEQUAL_RATIO` (1.5): lengths and angles would be distorted unseen.
    The pixels are estimated from the size, the margins and the colour bar; log axes never
    warn (they do not compare distances). Markers alone never warn.

    Examples
    --------
    >>> fig = plane(title="two clouds", xaxis_title="a", yaxis_title="b",
    ...             clouds={"A": [[0, 0], [1, 1]], "B": [[2, 0]]}, exact=[1, 0])
    >>> [t.name for t in fig.data]
    ['A', 'B', 'exact minimum w*']
    """
    fig = go.Figure()
    add_overlays(fig, **overlays)
    decorate(
        fig,
        title=title,
        xaxis_title=xaxis_title,
        yaxis_title=yaxis_title,
        equal=equal,
        x_range=x_range,
        y_range=y_range,
        width=width,
        height=height,
        legend=legend,
        log_x=log_x,
        log_y=log_y,
    )
    if equal is None and not (log_x or log_y):
        _warn_unequal(fig, overlays, x_range, y_range)
    return fig


def _shapes(overlays: Mapping[str, Any]) -> list[str]:
    """Labels of the overlays read as shapes: paths, clouds and lines of two or more points."""
    found = []
    for kind in ("paths", "clouds", "lines"):
        for label, pts in (overlays.get(kind) or {}).items():
            steps = np.asarray(pts, dtype=float) if kind == "paths" else _as_xy(pts, label)
            if len(steps) >= 2:  # a path's steps, a cloud's or a line's points
                found.append(label)
    return found


def _span(r: Sequence[float] | None, values: list[np.ndarray]) -> float:
    """Width of a given axis range, or of the data when plotly picks the range (autorange)."""
    if r is not None:
        return abs(float(r[1]) - float(r[0]))
    v = np.concatenate(values) if values else np.array([])
    v = v[np.isfinite(v)]
    return float(v.max() - v.min()) if v.size else 0.0


def _warn_unequal(
    fig: go.Figure,
    overlays: Mapping[str, Any],
    x_range: Sequence[float] | None,
    y_range: Sequence[float] | None,
) -> None:
    """Warn when shapes are drawn on axes whose units per pixel differ by > UNEQUAL_RATIO."""
    shapes = _shapes(overlays)
    if not shapes:
        return
    scatters = [tr for tr in fig.data if tr.type == "scatter" and tr.x is not None]
    dx = _span(x_range, [_floats(tr.x) for tr in scatters])
    dy = _span(y_range, [_floats(tr.y) for tr in scatters])
    m, lay = fig.layout.margin, fig.layout
    bar = any(tr.type == "contour" and tr.showscale is not False for tr in fig.data)
    px_x = lay.width - m.l - m.r - (_COLORBAR_PX if bar else 0)
    px_y = lay.height - m.t - m.b
    if min(dx, dy) <= 0 or min(px_x, px_y) <= 0:
        return  # a flat overlay (or no room): nothing to distort
    sx, sy = dx / px_x, dy / px_y
    ratio = max(sx, sy) / min(sx, sy)
    if ratio > UNEQUAL_RATIO:
        xt, yt = lay.xaxis.title.text, lay.yaxis.title.text
        warnings.warn(
            f"{', '.join(map(repr, shapes))} drawn on unequal axes: {sx:.3g} {xt} per pixel "
            f"across, {sy:.3g} {yt} per pixel up (ratio {ratio:.1f} > {UNEQUAL_RATIO}): lengths "
            "and angles of the overlays are distorted; pass equal=True to compare distances, "
            "or equal=False if the axes have different units",
            UserWarning,
            stacklevel=3,
        )


# ---------------------------------------------------------------------------------------------
# overlays


def _as_xy(p: ArrayLike, label: str) -> np.ndarray:
    a = np.asarray(p, dtype=float)
    a = a.reshape(1, -1) if a.ndim == 1 else a
    if a.ndim != 2 or a.shape[1] != 2:
        raise ValueError(f"{label!r}: points must have shape (2,) or (m, 2), got {np.shape(p)}")
    return a


def _thin(a: np.ndarray, max_points: int) -> np.ndarray:
    """At most ``max_points`` rows, evenly strided, first and last kept (the size budget)."""
    if len(a) <= max_points:
        return a
    keep = np.unique(np.linspace(0, len(a) - 1, max_points).round().astype(int))
    return a[keep]


def _paths(path: ArrayLike, label: str) -> list[np.ndarray]:
    a = np.asarray(path, dtype=float)
    if a.ndim == 2 and a.shape[1] == 2:
        return [a]
    if a.ndim == 3 and a.shape[2] == 2:
        return [a[:, i] for i in range(a.shape[1])]
    raise ValueError(
        f"path {label!r} must have shape (steps, 2) or (steps, n_starts, 2), got {a.shape}"
    )


def _marker_items(labels, markers, roles) -> list[tuple[str, np.ndarray, dict[str, Any]]]:
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise TypeError(f"unknown marker role(s) {sorted(unknown)}; the roles are {sorted(ROLES)}")
    bad = set(labels or {}) - set(ROLES)
    if bad:
        raise TypeError(
            f"labels names unknown role(s) {sorted(bad)}; the roles are {sorted(ROLES)}"
        )
    items = []
    for role, (default, style) in ROLES.items():
        if roles.get(role) is not None:
            label = (labels or {}).get(role, default)
            items.append((label, _as_xy(roles[role], label), dict(style)))
    for i, (label, pts) in enumerate((markers or {}).items()):
        style = dict(
            symbol="circle",
            size=10,
            color=PALETTE[i % len(PALETTE)],
            line=dict(color="white", width=1),
        )
        items.append((label, _as_xy(pts, label), style))
    return items


def add_overlays(
    fig: go.Figure,
    *,
    exact: ArrayLike | None = None,
    argmin: ArrayLike | None = None,
    generating: ArrayLike | None = None,
    batch: ArrayLike | None = None,
    start: ArrayLike | None = None,
    point: ArrayLike | None = None,
    labels: Mapping[str, str] | None = None,
    markers: Mapping[str, ArrayLike] | None = None,
    paths: Mapping[str, ArrayLike] | None = None,
    clouds: Mapping[str, ArrayLike] | None = None,
    lines: Mapping[str, ArrayLike] | None = None,
    colors: Mapping[str, str] | None = None,
    max_points: int = MAX_POINTS,
) -> go.Figure:
    """Draw the standard overlays on a 2-D figure, in a fixed order; return ``fig``.

    Order (bottom to top): ``clouds`` ({label: (n, 2)} small translucent points), ``lines``
    ({label: (m, 2)} dashed polylines), ``paths`` ({label: (steps, 2) or (steps, n, 2)}
    trajectories), then markers: generic ``markers`` ({label: (2,) or (m, 2)}) and the role
    markers ``exact`` (w*), ``argmin`` (grid argmin), ``generating``, ``batch``, ``start``,
    ``point`` (each a point (2,) or points (m, 2), styled by :data:`ROLES`; rename with
    ``labels={role: text}``). ``colors`` ({label: colour}) overrides the palette for any
    cloud, line, path or generic marker. Paths and clouds keep at most ``max_points`` points.

    Examples
    --------
    >>> fig = add_overlays(go.Figure(), paths={"GD": [[0, 0], [1, 1], [2, 1]]},
    ...                    clouds={"noise": np.zeros((5000, 2))}, batch=[[1, 2], [3, 4]],
    ...                    labels={"batch": "batch minima"})
    >>> [(t.name, len(t.x)) for t in fig.data]
    [('noise', 600), ('GD', 3), ('batch minima', 2)]
    """
    colors = dict(colors or {})
    roles = dict(
        exact=exact, argmin=argmin, generating=generating, batch=batch, start=start, point=point
    )
    k = 0

    def color(label: str) -> str:
        nonlocal k
        k += 1
        return colors.get(label, PALETTE[(k - 1) % len(PALETTE)])

    for label, pts in (clouds or {}).items():
        xy = _thin(_as_xy(pts, label), max_points)
        fig.add_trace(
            go.Scatter(
                x=_f32(xy[:, 0]),
                y=_f32(xy[:, 1]),
                mode="markers",
                name=label,
                marker=dict(size=4, color=color(label), opacity=0.55),
            )
        )
    for label, pts in (lines or {}).items():
        xy = _as_xy(pts, label)
        fig.add_trace(
            go.Scatter(
                x=xy[:, 0],
                y=xy[:, 1],
                mode="lines",
                name=label,
                line=dict(color=color(label), width=2, dash="dash"),
            )
        )
    for label, path in (paths or {}).items():
        c = color(label)
        for i, p in enumerate(_paths(path, label)):
            p = _thin(p, max_points)
            fig.add_trace(
                go.Scatter(
                    x=_f32(p[:, 0]),
                    y=_f32(p[:, 1]),
                    mode="lines+markers",
                    name=label,
                    legendgroup=label,
                    showlegend=i == 0,
                    line=dict(color=c, width=2),
                    marker=dict(size=4, color=c),
                )
            )
    for label, xy, style in _marker_items(labels, markers, roles):
        if label in colors:
            style["color"] = colors[label]
        fig.add_trace(go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers", name=label, marker=style))
    return fig


def level_patch(
    grid: Any, values: ArrayLike, levels: Sequence[float] | int = 4, *, max_side: int = 120
) -> dict[str, Any]:
    """The data of a level-lines trace: ``{"x", "y", "z", "contours"}`` (see :func:`add_level_lines`).

    Use it to move level lines in :func:`slider` or :func:`live` (patch the trace with it).
    ``levels`` is a list of values, or a number ``n``: then ``n`` levels evenly spaced above
    the minimum up to the 10th percentile of ``values`` (the floor of the function's bowl).

    Examples
    --------
    >>> from gridlib import Grid
    >>> g = Grid.linspace(a=(-1, 1, 3), b=(-1, 1, 3))
    >>> level_patch(g, np.arange(9.0).reshape(3, 3), [1.0, 3.0])["contours"]
    {'coloring': 'lines', 'start': 1.0, 'end': 3.0, 'size': 2.0}
    """
    small, z = _landscape(grid, values, max_side, log=False)
    if isinstance(levels, (int, np.integer)):
        lo = float(np.nanmin(z))
        step = (float(np.nanquantile(z, 0.1)) - lo) / int(levels)
        levels = [lo + step * (i + 1) for i in range(int(levels))]
    lv = sorted(float(v) for v in levels)
    if not lv:
        raise ValueError("levels must name at least one level")
    size = (lv[-1] - lv[0]) / (len(lv) - 1) if len(lv) > 1 else 1.0
    return dict(
        x=small.axes[0],
        y=small.axes[1],
        z=z,
        contours=dict(coloring="lines", start=lv[0], end=lv[-1], size=size),
    )


def add_level_lines(
    fig: go.Figure,
    grid: Any,
    values: ArrayLike,
    levels: Sequence[float] | int = 4,
    *,
    label: str,
    color: str = "black",
    width: float = 1.5,
    dash: str = "solid",
    max_side: int = 120,
) -> go.Figure:
    """Add contour *lines* of a second function at given levels, all in one colour; return fig.

    ``levels`` as in :func:`level_patch`: a list of values or a number of levels.

    Examples
    --------
    >>> from gridlib import Grid
    >>> g = Grid.linspace(a=(-1, 1, 21), b=(-1, 1, 21))
    >>> v = (g.points() ** 2).sum(axis=1).reshape(g.shape)
    >>> fig = add_level_lines(go.Figure(), g, v, [0.25], label="r = 1/2", color="red")
    >>> c = fig.data[0].contours
    >>> c.coloring, c.start, c.end
    ('lines', 0.25, 0.25)
    """
    data = level_patch(grid, values, levels, max_side=max_side)
    fig.add_trace(
        go.Contour(
            **data,
            showscale=False,
            name=label,
            showlegend=True,
            colorscale=[[0, color], [1, color]],
            line=dict(width=width, dash=dash),
        )
    )
    return fig


def batch_patch(
    grid: Any, values: ArrayLike, minimum: ArrayLike, levels: Sequence[float] | int = 4
) -> dict[int, dict[str, Any]]:
    """The data of :func:`add_batch`'s two traces: ``{-2: level lines, -1: minimum}``.

    Patch a figure with it (in :func:`live`) to show another batch in place.

    Examples
    --------
    >>> from gridlib import Grid
    >>> g = Grid.linspace(a=(-1, 1, 3), b=(-1, 1, 3))
    >>> patch = batch_patch(g, np.arange(9.0).reshape(3, 3), [0.5, 0.5], [1.0, 2.0])
    >>> sorted(patch), patch[-1]
    ([-2, -1], {'x': [0.5], 'y': [0.5]})
    """
    m = _as_xy(minimum, "minimum")
    return {-2: level_patch(grid, values, levels), -1: dict(x=[float(m[0, 0])], y=[float(m[0, 1])])}


def add_batch(
    fig: go.Figure,
    grid: Any,
    values: ArrayLike,
    minimum: ArrayLike,
    *,
    label: str,
    color: str = PALETTE[1],
    levels: Sequence[float] | int = 4,
) -> go.Figure:
    """Add one batch's loss as level lines and its minimum as a batch marker, in one colour.

    Two traces, level lines then the minimum (``ROLES["batch"]`` style); move them to another
    batch with :func:`batch_patch`. Returns ``fig``.

    Examples
    --------
    >>> from gridlib import Grid
    >>> g = Grid.linspace(a=(-1, 1, 11), b=(-1, 1, 11))
    >>> fig = add_batch(go.Figure(), g, np.zeros(g.shape) + g.points()[:, 0].reshape(g.shape) ** 2,
    ...                 [0, 0.5], label="batch 1", color="red")
    >>> [(t.type, t.name) for t in fig.data], fig.data[1].marker.symbol
    ([('contour', 'batch 1'), ('scatter', 'batch 1 minimum')], 'x')
    """
    add_level_lines(fig, grid, values, levels, label=label, color=color)
    m = _as_xy(minimum, label)
    style = {**ROLES["batch"][1], "color": color}
    fig.add_trace(
        go.Scatter(
            x=m[:, 0],
            y=m[:, 1],
            mode="markers",
            name=f"{label} minimum",
            legendgroup=label,
            marker=style,
        )
    )
    return fig


def within(grid: Any, points: ArrayLike) -> np.ndarray:
    """The rows of ``points`` (m, 2) inside the grid's region (say how many were left out).

    Examples
    --------
    >>> from gridlib import Grid
    >>> within(Grid.linspace(a=(0, 1, 3), b=(0, 1, 3)), [[0.5, 0.5], [2.0, 0.5]])
    array([[0.5, 0.5]])
    """
    grid = as_grid(grid)
    p = _as_xy(points, "points")
    inside = np.all((p >= grid.lower) & (p <= grid.upper), axis=1)
    return p[inside]


# ---------------------------------------------------------------------------------------------
# a line through data, two figures side by side


def line_fit_patch(
    x: ArrayLike, y: ArrayLike, w: ArrayLike, x_span: Sequence[float] = (0.0, 10.0)
) -> dict[int, dict[str, Any]]:
    """The data of :func:`line_fit`'s last two traces for parameters ``w = (w1, w2)``.

    Returns ``{-2: line, -1: residual segments}`` (trace offsets from the end, each a dict of
    ``x``/``y`` lists): what :func:`slider` and :func:`live` patch when ``w`` moves.

    Examples
    --------
    >>> line_fit_patch([1.0], [5.0], [2.0, 1.0])[-1]
    {'x': [1.0, 1.0, None], 'y': [5.0, 3.0, None]}
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w1, w2 = np.asarray(w, dtype=float).reshape(2)
    lx = [float(v) for v in x_span]
    fitted = w1 * x + w2
    seg_x = np.column_stack([x, x, np.full_like(x, np.nan)]).ravel()
    seg_y = np.column_stack([y, fitted, np.full_like(y, np.nan)]).ravel()

    def plain(a: np.ndarray) -> list[float | None]:
        return [None if np.isnan(v) else float(v) for v in a]

    return {
        -2: dict(x=lx, y=[w1 * lx[0] + w2, w1 * lx[1] + w2]),
        -1: dict(x=plain(seg_x), y=plain(seg_y)),
    }


def line_fit(
    x: ArrayLike,
    y: ArrayLike,
    w: ArrayLike,
    *,
    title: str,
    others: tuple[ArrayLike, ArrayLike] | None = None,
    x_span: Sequence[float] = (0.0, 10.0),
    y_range: Sequence[float] | None = None,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> go.Figure:
    """Data points, the line ``w1 x + w2`` and its residuals (red segments) in the (x, y) plane.

    ``others = (x, y)`` draws points that are not in the loss in light grey. The line and
    the residuals are always the last two traces (see :func:`line_fit_patch`).

    Examples
    --------
    >>> fig = line_fit([1.0, 2.0], [3.0, 5.0], [2.0, 1.0], title="exact fit")
    >>> [t.name for t in fig.data]
    ['data in the loss', 'w1·x + w2', 'residuals']
    """
    fig = go.Figure()
    if others is not None:
        fig.add_trace(
            go.Scatter(
                x=others[0],
                y=others[1],
                mode="markers",
                name="other points (not in this loss)",
                marker=dict(color="lightgray", size=6),
            )
        )
    fig.add_trace(
        go.Scatter(
            x=x, y=y, mode="markers", name="data in the loss", marker=dict(color="black", size=8)
        )
    )
    patch = line_fit_patch(x, y, w, x_span)
    fig.add_trace(
        go.Scatter(mode="lines", name="w1·x + w2", line=dict(color=PALETTE[0]), **patch[-2])
    )
    fig.add_trace(
        go.Scatter(
            mode="lines", name="residuals", line=dict(color=PALETTE[1], width=2), **patch[-1]
        )
    )
    return decorate(
        fig,
        title=title,
        xaxis_title="x",
        yaxis_title="y",
        y_range=y_range,
        width=width,
        height=height,
    )


def side_by_side(
    left: go.Figure, right: go.Figure, *, title: str, width: int = 900, height: int = 480
) -> go.Figure:
    """Two decorated 2-D figures in one (their traces, axis titles and ranges; one title).

    The panels keep their own titles as subplot titles; colour bars are dropped (the
    colours stay). Trace ``k`` of ``right`` becomes trace ``len(left.data) + k``.

    Examples
    --------
    >>> a = plane(title="A", xaxis_title="w1", yaxis_title="w2", markers={"p": [0, 0]})
    >>> b = plane(title="B", xaxis_title="x", yaxis_title="y", markers={"q": [1, 1]})
    >>> fig = side_by_side(a, b, title="A and B")
    >>> [t.xaxis for t in fig.data], fig.layout.xaxis2.title.text
    (['x', 'x2'], 'x')
    """
    titles = [(f.layout.title.text or "").replace("<br>", " ") for f in (left, right)]
    fig = make_subplots(rows=1, cols=2, subplot_titles=titles, horizontal_spacing=0.1)
    for col, f in enumerate((left, right), start=1):
        for tr in f.data:
            fig.add_trace(
                go.Contour(tr, showscale=False) if tr.type == "contour" else tr, row=1, col=col
            )
    decorate(
        fig,
        title=title,
        xaxis_title=left.layout.xaxis.title.text,
        yaxis_title=left.layout.yaxis.title.text,
        width=width,
        height=height,
        legend=False,
    )
    for col, f in enumerate((left, right), start=1):
        for axis in ("xaxis", "yaxis"):
            src = f.layout[axis]
            fig.layout[f"{axis}{'' if col == 1 else col}"].update(
                title_text=src.title.text, range=src.range, type=src.type
            )
        if f.layout.yaxis.scaleanchor == "x":
            suffix = "" if col == 1 else str(col)
            fig.layout[f"yaxis{suffix}"].update(
                scaleanchor=f"x{suffix}", scaleratio=1, constrain="domain"
            )
            fig.layout[f"xaxis{suffix}"].update(constrain="domain")
    fig.update_annotations(font_size=13)
    # the subplot titles sit just above the panels: lift the figure's title above them
    fig.update_layout(
        title=dict(yref="container", y=1 - (_MODEBAR_PX + 2) / height, yanchor="top"),
        margin=dict(t=fig.layout.margin.t + 26),
    )
    return fig


# ---------------------------------------------------------------------------------------------
# moving through a figure


Patch = Mapping[Any, Mapping[str, Any]]


def _trace_index(fig: go.Figure, k: int) -> int:
    n = len(fig.data)
    if not -n <= k < n:
        raise IndexError(f"trace {k} does not exist: the figure has {n} traces")
    return k % n


def slider(
    fig: go.Figure, states: Sequence[tuple[str, Patch]], *, prefix: str, active: int = 0
) -> go.Figure:
    """Add a kernel-free slider (plotly steps, works in a static page); return ``fig``.

    ``states`` is a list of ``(label, patch)``; a patch maps a trace index (negative counts
    from the end) to the properties to set (e.g. ``{"x": [...], "y": [...]}`` or
    ``{"visible": True}``) and may map ``"title"`` to a new title. Every state must patch
    the same traces with the same properties. The figure shows state ``active``.

    Examples
    --------
    >>> fig = plane(title="t", xaxis_title="a", yaxis_title="b", markers={"p": [0, 0]})
    >>> fig = slider(fig, [(str(s), {0: {"x": [s], "y": [s]}}) for s in (1, 2)], prefix="s = ")
    >>> len(fig.layout.sliders[0].steps), list(fig.data[0].x)
    (2, [1])
    """
    if not states:
        raise ValueError("slider needs at least one state")
    keys = [_patch_keys(fig, p) for _, p in states]
    if any(k != keys[0] for k in keys):
        raise ValueError("every state must patch the same traces with the same properties")
    traces = sorted(keys[0][0])
    props = keys[0][1]
    steps = []
    for label, patch in states:
        norm = {_trace_index(fig, k): v for k, v in patch.items() if k != "title"}
        data = {p: [norm[t][p] for t in traces] for p in props}
        lay = (
            {"title.text": _wrap(str(patch["title"]), fig.layout.width or WIDTH)[0]}
            if "title" in patch
            else {}
        )
        steps.append(dict(method="update", label=label, args=[data, lay, traces]))
    _apply(fig, states[active][1])
    fig.update_layout(
        sliders=[dict(steps=steps, active=active, pad=dict(t=50), currentvalue=dict(prefix=prefix))]
    )
    if fig.layout.height:
        fig.update_layout(height=fig.layout.height + 60)
    # the slider takes the strip below the plot: the legend moves to the right-hand side
    fig.update_layout(legend=dict(orientation="v", x=1.02, xanchor="left", y=1, yanchor="top"))
    return fig


def _patch_keys(fig: go.Figure, patch: Patch) -> tuple[frozenset[int], tuple[str, ...]]:
    traces = frozenset(_trace_index(fig, k) for k in patch if k != "title")
    props = {tuple(sorted(v)) for k, v in patch.items() if k != "title"}
    if len(props) != 1:
        raise ValueError("a patch must set the same properties on every trace it touches")
    return traces, props.pop()


def _apply(fig: go.Figure, patch: Patch) -> None:
    for k, props in patch.items():
        if k == "title":
            fig.layout.title.text = _wrap(str(props), fig.layout.width or WIDTH)[0]
        else:
            fig.data[_trace_index(fig, k)].update(props)


def live(
    figures: Sequence[go.Figure],
    controls: Mapping[str, Any],
    update: Callable[..., Sequence[Patch]],
) -> Any:
    """ipywidgets controls that redraw figures in place (needs a running kernel).

    ``controls`` maps each keyword of ``update`` to an ipywidgets control (or a
    ``Button``: a click redraws); ``update(**values)`` returns one patch per figure (see
    :func:`slider`; ``"title"`` sets the title). Returns ``ipywidgets.VBox`` of the controls
    above the figures, with ``.redraw()`` attached (what a click or a slider move calls).

    Examples
    --------
    >>> import ipywidgets as widgets
    >>> fig = plane(title="t", xaxis_title="a", yaxis_title="b", point=[0, 0])
    >>> s = widgets.FloatSlider(value=1.0)
    >>> box = live([fig], {"s": s}, lambda s: [{0: {"x": [s], "y": [s]}, "title": f"s = {s}"}])
    >>> s.value = 2.0
    >>> box.children[1].children[0].data[0].x, box.children[1].children[0].layout.title.text
    ((2.0,), 's = 2.0')
    """
    import ipywidgets as widgets  # imported here: gridlib itself loads no Jupyter machinery

    views = [go.FigureWidget(f) for f in figures]
    values = {k: c for k, c in controls.items() if hasattr(c, "value")}

    def redraw(*_: Any) -> None:
        patches = update(**{k: c.value for k, c in values.items()})
        if len(patches) != len(views):
            raise ValueError(
                f"update must return one patch per figure ({len(views)}), got {len(patches)}"
            )
        for view, patch in zip(views, patches, strict=True):
            with view.batch_update():
                _apply(view, patch)

    for c in controls.values():
        if isinstance(c, widgets.Button):
            c.on_click(redraw)
        else:
            c.observe(redraw, names="value")
    redraw()
    box = widgets.VBox([widgets.HBox(list(controls.values())), widgets.HBox(views)])
    box.redraw = redraw
    return box


def size_bytes(fig: go.Figure) -> int:
    """Bytes of the figure's JSON (plotly's own encoding, as a notebook stores it).

    Examples
    --------
    >>> size_bytes(go.Figure()) < 20_000
    True
    """
    return len(pio.to_json(fig, validate=False).encode())
