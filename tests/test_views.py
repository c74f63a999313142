"""gridlib.plotting.views: what each composite view draws, and the mistakes it refuses."""

import numpy as np
import pytest

from gridlib import Grid
from gridlib.plotting import views


def _plane(n=9):
    g = Grid.linspace(a=(-2, 2, n), b=(-1, 3, n))
    P = g.points()
    return g, (1.0 + P[:, 0] ** 2 + (P[:, 1] - 1) ** 2).reshape(g.shape)


def test_curves_draws_series_guides_markers_and_lines():
    x = np.logspace(-3, 0, 7)
    fig = views.curves(
        {"error": (x, x**2)},
        guides={"slope 2": (x, 2 * x**2)},
        markers={"best": ([1e-2], [1e-4])},
        vlines={"h = 0.1": 0.1},
        log_x=True,
        log_y=True,
        title="sweep",
        xaxis_title="h",
        yaxis_title="error",
    )
    assert [t.name for t in fig.data] == ["error", "slope 2", "best"]
    assert fig.data[1].line.dash == "dot"
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    assert fig.layout.xaxis.title.text == "h" and fig.layout.title.text == "sweep"
    assert len(fig.layout.shapes) == 1 and fig.layout.shapes[0].x0 == 0.1
    np.testing.assert_allclose(fig.data[0].y, x**2)


def test_curves_refuses_a_figure_without_labels_and_mismatched_series():
    with pytest.raises(ValueError, match="title"):
        views.curves({"a": ([0, 1], [0, 1])}, title="", xaxis_title="x", yaxis_title="y")
    with pytest.raises(ValueError, match="x has 2 values but y has 3"):
        views.curves({"a": ([0, 1], [0, 1, 2])}, title="t", xaxis_title="x", yaxis_title="y")
    with pytest.raises(TypeError, match="pair"):
        views.curves({"a": [0, 1, 2]}, title="t", xaxis_title="x", yaxis_title="y")


def test_profile_marks_points_on_the_curve():
    a = np.linspace(-1, 2, 31)
    fig = views.profile(
        a, (a - 0.5) ** 2, marks={"start": 0.0, "end": 1.0, "between": 0.25}, title="line"
    )
    marked = fig.data[1]
    np.testing.assert_allclose(marked.x, [0.0, 1.0, 0.25])
    np.testing.assert_allclose(
        marked.y, [0.25, 0.25, 0.065], rtol=1e-12
    )  # linear between 0.2 and 0.3
    assert list(marked.text) == ["start", "end", "between"]
    with pytest.raises(ValueError, match="inside the profile's range"):
        views.profile(a, a, marks={"outside": 3.0}, title="line")


def test_panels_share_one_colour_scale_and_equal_axes():
    g, v = _plane()
    fig = views.panels(
        g, [v, 10 * v, 100 * v, v], ["1", "10", "100", "1 again"], cols=2, title="four"
    )
    contours = [t for t in fig.data if t.type == "contour"]
    assert len(contours) == 4
    assert len({(c.zmin, c.zmax) for c in contours}) == 1
    np.testing.assert_allclose([contours[0].zmin, contours[0].zmax], [0.0, np.log10(100 * v.max())])
    assert sum(bool(c.showscale) for c in contours) == 1
    for k in ("", "2", "3", "4"):
        assert fig.layout[f"yaxis{k}"].scaleanchor == f"x{k}"
    assert fig.layout.xaxis.title.text == "a" and fig.layout.yaxis.title.text == "b"


def test_panels_surfaces_and_markers():
    g, v = _plane()
    fig = views.panels(g, [v, v], ["x", "y"], surface=True, title="surfaces")
    assert [t.type for t in fig.data] == ["surface", "surface"]
    fig = views.panels(g, [v, v], ["x", "y"], markers={"θ*": [0.0, 1.0]}, title="with markers")
    marks = [t for t in fig.data if t.type == "scatter"]
    assert len(marks) == 2 and [bool(t.showlegend) for t in marks] == [True, False]


def test_panels_refuses_bad_input():
    g, v = _plane()
    with pytest.raises(ValueError, match="one title per slice"):
        views.panels(g, [v, v], ["only one"], title="t")
    with pytest.raises(ValueError, match="shaped like the grid"):
        views.panels(g, [v[:-1]], ["x"], title="t")
    with pytest.raises(ValueError, match="positive"):
        views.panels(g, [v - 5], ["x"], title="t")
    with pytest.raises(ValueError, match="2-D gridlib.Grid"):
        views.panels("grid", [v], ["x"], title="t")


def test_path_on_slice_labels_axes_with_explained_variance_and_refuses_escaping_paths():
    g, v = _plane()
    path = np.column_stack([np.linspace(1.5, 0, 30), np.linspace(2.5, 1, 30)])
    fig = views.path_on_slice(
        g, v, path, explained=[0.9, 0.08], every=10, title="path", markers={"θ0": path[0]}
    )
    drawn = [t for t in fig.data if t.name == "descent path"][0]
    np.testing.assert_allclose(drawn.x[[0, -1]], [1.5, 0.0])  # the last point is always kept
    assert len(drawn.x) == 4
    assert fig.layout.xaxis.title.text == "a (90.0 % of the path's variance)"
    assert fig.layout.yaxis.scaleanchor == "x"
    with pytest.raises(ValueError, match="leaves the drawn region"):
        views.path_on_slice(g, v, path * 3, title="path")
    with pytest.raises(ValueError, match="n_steps, 2"):
        views.path_on_slice(g, v, np.zeros((4, 3)), title="path")


def test_arrows_have_the_requested_length_and_direction():
    g, v = _plane()
    fig = views.curves({"x": ([0, 1], [0, 1])}, title="t", xaxis_title="x", yaxis_title="y")
    bases = np.array([[0.0, 0.0], [1.0, 1.0]])
    vectors = np.array([[3.0, 4.0], [0.0, -2.0]])
    views.arrows(fig, bases, vectors, name="field", length=0.5)
    trace = fig.data[-1]
    xy = np.column_stack([trace.x, trace.y]).reshape(2, 3, 2)
    np.testing.assert_allclose(xy[:, 1] - xy[:, 0], [[0.3, 0.4], [0.0, -0.5]])
    assert np.all(np.isnan(xy[:, 2]))
    with pytest.raises(ValueError, match="shape"):
        views.arrows(fig, bases, vectors[:1], name="field", length=1.0)
