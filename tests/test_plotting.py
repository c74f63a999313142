"""gridlib.plotting's core: the shared style, landscapes with standard markers, the size budget."""

from __future__ import annotations

import re
import warnings

import numpy as np
import plotly.graph_objects as go
import pytest

import gridlib
from gridlib import Grid, plotting
from gridlib.plotting import _core


@pytest.fixture(scope="module")
def post():
    ex = gridlib.post_example()
    loss = gridlib.LeastSquares(ex.X_batch, ex.y_batch)
    return ex, loss, gridlib.evaluate(loss, ex.grid)


def test_every_figure_has_a_title_and_axis_titles():
    for kwargs in (
        dict(title="", xaxis_title="a", yaxis_title="b"),
        dict(title="t", xaxis_title="", yaxis_title="b"),
        dict(title="t", xaxis_title="a", yaxis_title=None),
    ):
        with pytest.raises(ValueError, match="title"):
            plotting.decorate(go.Figure(), **kwargs)


@pytest.mark.parametrize("title", ["short", "a much longer title " * 8])
def test_title_sits_below_the_mode_bar_and_inside_the_width(title):
    fig = plotting.decorate(go.Figure(), title=title, xaxis_title="a", yaxis_title="b", width=900)
    lines = fig.layout.title.text.split("<br>")
    assert max(len(line) for line in lines) * 8.5 <= 900 - 100 + 8.5
    if len(lines) == 1:
        # anchored to the top of the plot area, growing upward into the margin, which
        # leaves the mode bar's strip free
        assert fig.layout.title.yref == "paper" and fig.layout.title.yanchor == "bottom"
        free = fig.layout.margin.t - _core._TITLE_PX - fig.layout.title.pad.b
        assert free >= _core._MODEBAR_PX
    else:
        # wrapped: hung from below the mode bar, one line lower per extra line (plotly draws
        # wrapped titles higher than their anchor), with the margin grown to hold every line
        assert fig.layout.title.yref == "container" and fig.layout.title.yanchor == "top"
        hang = (1 - fig.layout.title.y) * fig.layout.height
        assert hang >= _core._MODEBAR_PX + (len(lines) - 1) * _core._TITLE_PX
        assert fig.layout.margin.t >= hang + len(lines) * _core._TITLE_PX


def test_equal_axes_only_when_asked(post):
    ex, _, values = post
    assert plotting.contour(ex.grid, values, title="t").layout.yaxis.scaleanchor is None
    fig = plotting.contour(ex.grid, values, title="t", equal=True)
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.scaleratio == 1


def test_contour_draws_the_standard_markers_with_their_styles(post):
    ex, loss, values = post
    best, _ = gridlib.best_point(ex.grid, values)
    fig = plotting.contour(
        ex.grid,
        values,
        title="t",
        log=True,
        exact=loss.minimizer,
        argmin=best,
        generating=ex.true_params,
        labels={"exact": "θ*"},
    )
    names = [t.name for t in fig.data[1:]]
    assert names == ["θ*", "grid argmin", "generating parameters"]
    symbols = [t.marker.symbol for t in fig.data[1:]]
    assert symbols == [plotting.ROLES[r][1]["symbol"] for r in ("exact", "argmin", "generating")]
    np.testing.assert_allclose([fig.data[1].x[0], fig.data[1].y[0]], loss.minimizer)
    assert fig.layout.xaxis.title.text == "w1" and fig.layout.yaxis.title.text == "w2"


def test_contour_values_are_transposed_for_plotly_and_downsampled(post):
    ex, _, values = post
    fig = plotting.contour(ex.grid, values, title="t", max_side=51)
    z = np.asarray(fig.data[0].z)
    small, sl = ex.grid.downsample(51)
    assert z.shape == (len(small.axes[1]), len(small.axes[0]))
    np.testing.assert_allclose(z, values[sl].T, rtol=1e-6)
    assert z.dtype == np.float32


def test_post_grid_figure_stays_inside_the_size_budget(post):
    ex, loss, values = post
    fig = plotting.contour(ex.grid, values, title="t", log=True, exact=loss.minimizer)
    assert plotting.size_bytes(fig) < 200_000


def test_paths_and_clouds_are_thinned_to_the_budget_keeping_the_ends():
    path = np.column_stack([np.arange(5001.0), np.zeros(5001)])
    fig = plotting.plane(
        title="t",
        xaxis_title="a",
        yaxis_title="b",
        equal=False,
        paths={"p": path},
        clouds={"c": np.ones((3000, 2))},
    )
    assert len(fig.data[0].x) == plotting.MAX_POINTS
    assert len(fig.data[1].x) <= plotting.MAX_POINTS
    assert fig.data[1].x[0] == 0 and fig.data[1].x[-1] == 5000


def test_several_starts_share_one_legend_entry():
    paths = np.zeros((4, 3, 2))
    fig = plotting.plane(title="t", xaxis_title="a", yaxis_title="b", paths={"GD": paths})
    assert len(fig.data) == 3 and [t.showlegend for t in fig.data] == [True, False, False]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(exact=[1, 2, 3]), ValueError, r"shape \(2,\) or \(m, 2\)"),
        (dict(paths={"p": np.zeros((3, 3))}), ValueError, "steps, 2"),
        (dict(labels={"minimum": "x"}), TypeError, "unknown role"),
    ],
)
def test_bad_overlays_are_refused_with_a_message(kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.add_overlays(go.Figure(), **kwargs)


def test_bad_landscapes_are_refused_with_a_message():
    g = Grid.linspace(a=(0, 1, 3), b=(0, 1, 4))
    with pytest.raises(ValueError, match=r"shaped like the grid \(3, 4\)"):
        plotting.contour(g, np.zeros((4, 3)), title="t")
    with pytest.raises(TypeError, match="gridlib.Grid"):
        plotting.contour("grid", np.zeros((3, 4)), title="t")
    g3 = Grid.linspace(a=(0, 1, 2), b=(0, 1, 2), c=(0, 1, 2))
    with pytest.raises(ValueError, match="2-D grid"):
        plotting.contour(g3, np.zeros((2, 2, 2)), title="t")


def test_level_lines_at_given_and_automatic_levels():
    g = Grid.linspace(a=(-1, 1, 41), b=(-1, 1, 41))
    v = (g.points() ** 2).sum(axis=1).reshape(g.shape)
    fig = plotting.add_level_lines(go.Figure(), g, v, [0.5, 0.1, 0.3], label="L", color="red")
    c = fig.data[0].contours
    assert (c.start, c.end, c.size) == (0.1, 0.5, pytest.approx(0.2))
    fig = plotting.add_level_lines(go.Figure(), g, v, 4, label="L")
    c = fig.data[0].contours
    assert c.start > 0 and c.end == pytest.approx(np.quantile(v, 0.1), rel=1e-5)


def test_line_fit_residuals_are_vertical_segments_from_data_to_line():
    x, y, w = np.array([1.0, 4.0]), np.array([2.0, 3.0]), np.array([0.5, 1.0])
    fig = plotting.line_fit(x, y, w, title="t", others=([2.0], [9.0]))
    assert [t.name for t in fig.data][-2:] == ["w1·x + w2", "residuals"]
    seg = fig.data[-1]
    assert list(seg.x) == [1.0, 1.0, None, 4.0, 4.0, None]
    assert list(seg.y) == [2.0, 1.5, None, 3.0, 3.0, None]


def test_slider_steps_patch_the_named_traces_and_show_the_active_state():
    fig = plotting.plane(
        title="t", xaxis_title="a", yaxis_title="b", markers={"p": [0, 0]}, point=[0, 0]
    )
    states = [(f"{s}", {-1: {"x": [s], "y": [2 * s]}, "title": f"s = {s}"}) for s in (1, 2, 3)]
    fig = plotting.slider(fig, states, prefix="s = ", active=1)
    steps = fig.layout.sliders[0].steps
    assert [list(s.args[2]) for s in steps] == [[1]] * 3
    assert steps[2].args[0] == {"x": [[3]], "y": [[6]]} and steps[2].args[1] == {
        "title.text": "s = 3"
    }
    assert list(fig.data[1].x) == [2] and fig.layout.title.text == "s = 2"
    with pytest.raises(ValueError, match="same traces"):
        plotting.slider(fig, [("a", {0: {"x": [1]}}), ("b", {1: {"x": [1]}})], prefix="")
    with pytest.raises(IndexError, match="has 2 traces"):
        plotting.slider(fig, [("a", {5: {"x": [1]}})], prefix="")


def test_live_redraws_every_figure_on_a_control_change_and_a_click():
    widgets = pytest.importorskip("ipywidgets")
    a = plotting.plane(title="a", xaxis_title="a", yaxis_title="b", point=[0, 0])
    b = plotting.plane(title="b", xaxis_title="a", yaxis_title="b", point=[0, 0])
    s, button = widgets.FloatSlider(value=1.0), widgets.Button()
    calls = []

    def update(s):
        calls.append(s)
        return [{0: {"x": [s]}}, {0: {"y": [-s]}, "title": f"at {s}"}]

    box = plotting.live([a, b], {"s": s, "new": button}, update)
    s.value = 3.0
    button.click()
    va, vb = box.children[1].children
    assert va.data[0].x == (3.0,) and vb.data[0].y == (-3.0,) and vb.layout.title.text == "at 3.0"
    assert calls == [1.0, 3.0, 3.0]


def test_side_by_side_keeps_each_panels_axes():
    left = plotting.plane(
        title="L", xaxis_title="w1", yaxis_title="w2", x_range=(0, 2), markers={"p": [1, 1]}
    )
    right = plotting.line_fit([1.0], [2.0], [1.0, 0.0], title="R", y_range=(-5, 5))
    fig = plotting.side_by_side(left, right, title="both")
    assert fig.layout.xaxis.title.text == "w1" and fig.layout.xaxis2.title.text == "x"
    assert tuple(fig.layout.xaxis.range) == (0, 2) and tuple(fig.layout.yaxis2.range) == (-5, 5)
    assert len(fig.data) == len(left.data) + len(right.data)


def test_surface_places_markers_on_the_surface(post):
    ex, loss, values = post
    fig = plotting.surface(ex.grid, values, title="t", exact=loss.minimizer)
    i = ex.grid.index_of(loss.minimizer)
    assert fig.data[1].z[0] == pytest.approx(values[i])


def test_contour_shows_exactly_the_grid_and_warns_when_an_overlay_leaves_it():
    g = Grid.linspace(w1=(0, 1, 11), w2=(-2, 2, 11))
    v = np.zeros(g.shape)
    fig = plotting.contour(g, v, title="t", equal=False, paths={"inside": [[0.1, 0], [0.9, 1.9]]})
    assert tuple(fig.layout.xaxis.range) == (0, 1) and tuple(fig.layout.yaxis.range) == (-2, 2)
    with pytest.warns(UserWarning, match="'outside' leaves the drawn region"):
        plotting.contour(g, v, title="t", equal=False, paths={"outside": [[0.5, 0], [3.0, 0]]})


def test_side_by_side_lifts_its_title_above_the_panel_titles():
    a = plotting.plane(title="A", xaxis_title="w1", yaxis_title="w2", markers={"p": [0, 0]})
    fig = plotting.side_by_side(a, a, title="both", height=500)
    assert fig.layout.title.yref == "container" and fig.layout.title.yanchor == "top"
    top_of_title_px = (1 - fig.layout.title.y) * 500
    assert top_of_title_px >= _core._MODEBAR_PX
    assert fig.layout.margin.t >= top_of_title_px + _core._TITLE_PX + 20


# a path across a region 20 units wide and 2 high: on an 820 x 560 figure one unit of w2 is
# drawn about 6 times longer than one unit of w1; on the 20 x 14 region both about 0.03/px
_FLAT = Grid.linspace(w1=(-10, 10, 21), w2=(-1, 1, 21))
_SQUARE = Grid.linspace(w1=(-10, 10, 21), w2=(-7, 7, 21))
_PATH = [[-8.0, -0.8], [0.0, 0.5], [8.0, 0.0]]


def _unequal_warnings(make) -> list[str]:
    """Messages of the unequal-axes warnings raised while ``make()`` builds a figure."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make()
    return [str(w.message) for w in caught if "unequal axes" in str(w.message)]


def _figure(grid=_FLAT, **kwargs):
    kwargs = {"paths": {"GD": _PATH}, **kwargs}
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    return plotting.contour(grid, np.zeros(grid.shape), title="t", **kwargs)


def test_a_path_on_unequal_axes_warns_and_says_what_to_do():
    (msg,) = _unequal_warnings(_figure)
    assert "'GD' drawn on unequal axes" in msg
    assert "w1 per pixel across" in msg and "w2 per pixel up" in msg
    assert "pass equal=True to compare distances, or equal=False" in msg
    assert _figure(equal=True).layout.yaxis.scaleanchor == "x"  # no warning: would be an error
    assert _figure(equal=False).layout.yaxis.scaleanchor is None


@pytest.mark.parametrize(
    "change",
    [
        dict(equal=True),
        dict(equal=False),
        dict(grid=_SQUARE),
        dict(paths=None, markers={"m": _PATH}, exact=[0, 0]),  # markers are positions
        dict(paths={"one point": [_PATH[0]]}),
        dict(paths=None, clouds={"one point": _PATH[0]}, lines={"one point": _PATH[:1]}),
    ],
    ids=["equal", "not-equal", "near-square", "markers-only", "one-point-path", "one-point"],
)
def test_one_change_silences_the_unequal_axes_warning(change):
    assert len(_unequal_warnings(_figure)) == 1
    assert _unequal_warnings(lambda: _figure(**change)) == []


@pytest.mark.parametrize("kind", ["paths", "clouds", "lines"])
def test_every_shape_overlay_warns_on_linear_axes_but_not_on_log_axes(kind):
    def make(log_x: bool):
        return plotting.plane(
            title="t", xaxis_title="B", yaxis_title="sd", log_x=log_x, **{kind: {"s": _PATH}}
        )

    assert len(_unequal_warnings(lambda: make(False))) == 1
    assert _unequal_warnings(lambda: make(True)) == []  # log axes do not compare distances


def test_the_warning_names_the_ratio_of_the_two_scales():
    def ratio(width: float) -> float:
        cloud = Grid.linspace(w1=(-width / 2, width / 2, 11), w2=(-1, 1, 11)).points()
        (msg,) = _unequal_warnings(
            lambda: plotting.plane(
                title="t", xaxis_title="w1", yaxis_title="w2", clouds={"minima": cloud}
            )
        )
        m = re.search(r"([0-9.e-]+) w1 per pixel across, ([0-9.e-]+) w2 per pixel up", msg)
        r = re.search(r"\(ratio ([0-9.]+) > 1.5\)", msg)
        assert m and r, msg
        sx, sy = (float(v) for v in m.groups())
        assert float(r[1]) == pytest.approx(max(sx, sy) / min(sx, sy), abs=0.06)
        return float(r[1])

    # the pixels per unit are fixed by the figure's size, so the ratio follows the ranges
    assert ratio(12.0) == pytest.approx(2 * ratio(6.0), rel=0.05)
    assert ratio(30.0) == pytest.approx(5 * ratio(6.0), rel=0.05)
    # decorate, called directly, takes None as "not equal"
    fig = plotting.decorate(go.Figure(), title="t", xaxis_title="a", yaxis_title="b", equal=None)
    assert fig.layout.yaxis.scaleanchor is None
