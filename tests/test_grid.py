"""Grid construction, indexing, chunking, refinement and bad input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridlib import Grid


def test_arange_post_grid_shape_and_values():
    g = Grid.arange(w1=(-10, 10, 0.2), w2=(-50, 50, 0.2))
    assert g.shape == (101, 501) and g.size == 50601 and g.ndim == 2
    assert g.names == ("w1", "w2")
    np.testing.assert_allclose(g.axes[0][[0, -1]], [-10, 10])
    np.testing.assert_allclose(g.spacing, [0.2, 0.2])
    # the post's Z[295, 68] (xy indexing) is our [68, 295]
    np.testing.assert_allclose(g.point((68, 295)), [3.6, 9.0])


def test_linspace_and_cube():
    g = Grid.linspace(a=(0, 1, 3), b=(-1, 1, 5))
    assert g.shape == (3, 5)
    c = Grid.cube([1.0, -1.0, 0.0], [1.0, 2.0, 0.5], 5)
    assert c.shape == (5, 5, 5)
    np.testing.assert_allclose(c.lower, [0.0, -3.0, -0.5])
    np.testing.assert_allclose(c.upper, [2.0, 1.0, 0.5])


def test_points_are_ij_ordered_like_meshgrid():
    g = Grid.linspace(a=(0, 1, 3), b=(5, 6, 4), c=(0, 2, 2))
    mesh = np.stack([m.ravel() for m in np.meshgrid(*g.axes, indexing="ij")], axis=1)
    np.testing.assert_array_equal(g.points(), mesh)
    for flat in [0, 5, 23]:
        idx = np.unravel_index(flat, g.shape)
        np.testing.assert_array_equal(g.point(idx), mesh[flat])


@settings(max_examples=40, deadline=None, derandomize=True)
@given(shape=st.lists(st.integers(1, 6), min_size=1, max_size=4), chunk=st.integers(1, 50))
def test_chunks_cover_every_point_once(shape, chunk):
    g = Grid([np.arange(n, dtype=float) for n in shape])
    parts = list(g.chunks(chunk))
    assert all(len(p) <= chunk for _, p in parts)
    np.testing.assert_array_equal(np.concatenate([p for _, p in parts]), g.points())
    assert [s.start for s, _ in parts] == list(range(0, g.size, chunk))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(st.integers(0, 9), min_size=2, max_size=2))
def test_index_of_inverts_point(idx):
    g = Grid.linspace(a=(-1, 3, 10), b=(0, 9, 10))
    assert g.index_of(g.point(idx)) == tuple(idx)
    assert g.index_of(g.point(idx) + 0.4 * g.spacing) == tuple(idx)


def test_zoom_refines_around_a_point():
    g = Grid.linspace(w=(0, 10, 11), v=(0, 1, 3))
    z = g.zoom((3, 1), num=5)
    np.testing.assert_allclose(z.axes[0], [2, 2.5, 3, 3.5, 4])
    np.testing.assert_allclose(z.axes[1], [0, 0.25, 0.5, 0.75, 1.0])
    assert z.names == g.names


def test_downsample_caps_each_axis():
    g = Grid.arange(w1=(-10, 10, 0.2), w2=(-50, 50, 0.2))
    small, sl = g.downsample(60)
    assert max(small.shape) <= 60
    np.testing.assert_array_equal(small.axes[1], g.axes[1][sl[1]])


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        (dict(w=(0, 1, 0)), ValueError, "step for w must be positive"),
        (dict(w=(0, 1, -0.1)), ValueError, "step for w must be positive"),
        (dict(w=(1, 0, 0.1)), ValueError, "axis w is empty"),
        (dict(w=(0, np.nan, 0.1)), ValueError, "must be finite"),
        (dict(w=(0, 1)), TypeError, r"\(start, stop, step\)"),
    ],
)
def test_arange_bad_input(kwargs, err, match):
    with pytest.raises(err, match=match):
        Grid.arange(**kwargs)


def test_bad_axes_and_limits():
    with pytest.raises(ValueError, match="axis a is empty"):
        Grid({"a": []})
    with pytest.raises(ValueError, match="strictly increasing"):
        Grid({"a": [0.0, 0.0, 1.0]})
    with pytest.raises(ValueError, match="NaN or inf"):
        Grid({"a": [0.0, np.inf]})
    with pytest.raises(ValueError, match="at least one axis"):
        Grid([])
    with pytest.raises(ValueError, match="num for a must be a positive integer"):
        Grid.linspace(a=(0, 1, 0))
    with pytest.raises(ValueError, match="half_width must be positive"):
        Grid.cube([0, 0], 0.0, 3)
    with pytest.raises(ValueError, match="index must have 2 entries"):
        Grid.linspace(a=(0, 1, 3), b=(0, 1, 3)).point((1,))
    big = Grid.cube(np.zeros(6), 1.0, 40)
    with pytest.raises(ValueError, match="use gridlib.evaluate / gridlib.top_k"):
        big.points()
    with pytest.raises(ValueError, match="positive integer"):
        next(big.chunks(0))


# ----- issue 17: stop included, sizes refused up front, indices validated, complex rejected ---


@pytest.mark.parametrize(
    "bounds, n",
    [
        ((1e5, 1e5 + 0.01, 0.001), 11),  # was 10: the rounding of 1e5 + 0.01 dropped the stop
        ((-1e9, -1e9 + 1.0, 0.1), 11),
        ((1e12, 1e12 + 5e-3, 1e-3), 6),
        ((0.0, 1.0, 0.1), 11),
        ((0.0, 0.95, 0.1), 10),  # stop not on the lattice: excluded
        ((3.0, 3.0, 0.5), 1),
    ],
)
def test_arange_includes_the_stop_within_a_relative_tolerance(bounds, n):
    start, stop, step = bounds
    a = Grid.arange(w=bounds).axes[0]
    assert a.size == n
    assert a[0] == start and a[-1] <= stop
    if n > 1 and abs((stop - start) / step - round((stop - start) / step)) < 1e-6:
        assert a[-1] == stop  # the stop itself, not start + step * (n - 1) past it
    np.testing.assert_allclose(np.diff(a), step, rtol=1e-12, atol=2 * np.spacing(abs(stop)))


@pytest.mark.parametrize(
    "make, match",
    [
        (
            lambda: Grid.arange(w=(0, 1, 1e-12)),
            r"would need 1,000,000,000,001 values, over the limit max_axis_points=100,000,000",
        ),
        (
            lambda: Grid.arange(w=(-1e308, 1e308, 1)),
            r"an unbounded number of values, over the limit max_axis_points",
        ),
        (
            lambda: Grid.linspace(w=(0, 1, 1e12)),
            r"1,000,000,000,000 values, over the limit max_axis_points",
        ),
        (lambda: Grid.linspace(w=(0, 1, 10**12)), r"1,000,000,000,000 values"),
        (lambda: Grid.cube([0.0], 1.0, 10**12), r"max_axis_points=100,000,000"),
        (
            lambda: Grid.arange(w=(0, 1, 0.1), max_axis_points=5),
            r"11 values, over the limit max_axis_points=5",
        ),
        (
            lambda: Grid.linspace(a=(0, 1, 5000), b=(0, 1, 5000)).points(),
            r"25,000,000 points, over the limit max_points=20,000,000",
        ),
        (
            lambda: Grid.linspace(a=(0, 1, 5), b=(0, 1, 5)).points(max_points=24),
            r"25 points, over the limit max_points=24",
        ),
        (
            lambda: Grid.linspace(a=(0, 1, 5), b=(0, 1, 5)).meshgrid(max_points=24),
            r"25 points, over the limit max_points=24",
        ),
    ],
)
def test_sizes_that_cannot_be_allocated_are_refused_up_front(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_points_limit_counts_points_not_values():
    g = Grid.linspace(a=(0, 1, 5), b=(0, 1, 5), c=(0, 1, 4))  # 100 points, 300 values
    assert g.points(max_points=100).shape == (100, 3)  # the old check refused this (300 > 100)
    assert len(g.meshgrid(max_points=100)) == 3


def test_arange_at_float_resolution_names_the_problem():
    with pytest.raises(ValueError, match="below float64 resolution"):
        Grid.arange(w=(1e16, 1e16 + 4, 1))


@pytest.mark.parametrize(
    "index, err, match",
    [
        ((-1, 1), ValueError, r"out of range: entry -1 on axis 0 \(a\) must be in 0..2"),
        ((1, 3), ValueError, r"out of range: entry 3 on axis 1 \(b\) must be in 0..2"),
        ((1, 1.7), TypeError, r"index must be integers"),
        ((1.0, 1.0), TypeError, r"index must be integers"),
        ((True, 1), TypeError, r"index must be integers"),
        (("1", 1), TypeError, r"index must be integers"),
        ((1,), ValueError, r"index must have 2 entries"),
    ],
)
def test_point_validates_indices(index, err, match):
    g = Grid.linspace(a=(0, 1, 3), b=(0, 2, 3))
    with pytest.raises(err, match=match):
        g.point(index)
    with pytest.raises(
        err,
        match=match.replace("index must", "indices must").replace(
            "have 2 entries", r"have shape \(m, 2\)"
        ),
    ):
        g.points_at([index])


def test_point_accepts_numpy_integers():
    g = Grid.linspace(a=(0, 1, 3), b=(0, 2, 3))
    np.testing.assert_array_equal(g.point(np.array([2, 1])), [1.0, 1.0])
    np.testing.assert_array_equal(g.point((np.int32(0), np.uint8(2))), [0.0, 2.0])
    assert g.points_at(np.empty((0, 2), dtype=int)).shape == (0, 2)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Grid({"a": np.array([0.0, 1.0]) + 0j}),
        lambda: Grid.arange(w=(0, 1 + 0j, 0.1)),
        lambda: Grid.linspace(w=(0, 1j, 3)),
        lambda: Grid.cube([0.0, 1j], 1.0, 3),
        lambda: Grid.linspace(a=(0, 1, 3)).index_of(np.array([0.5]) + 0j),
    ],
)
def test_complex_axes_and_points_are_rejected(make):
    with pytest.raises(TypeError, match="complex"):
        make()


def test_text_is_rejected_with_type_error():
    with pytest.raises(TypeError, match=r"\(start, stop, step\)"):
        Grid.arange(w=("0", 1, 0.1))
    with pytest.raises(TypeError, match=r"axis a must be real numbers"):
        Grid({"a": ["x", "y"]})
    with pytest.raises(TypeError, match="num for w must be a positive integer"):
        Grid.linspace(w=(0, 1, 2.5))


def test_zoom_refuses_to_go_below_float_resolution():
    g = Grid.linspace(w=(1.0, 1.0 + 4e-16, 3))
    with pytest.raises(ValueError, match="below float64 resolution"):
        g.zoom((1,), num=9)
    with pytest.raises(ValueError, match="span must be positive"):
        g.zoom((1,), span=0.0)


def test_axis_names_must_be_distinct():
    with pytest.raises(ValueError, match="axis names must be distinct"):
        Grid([[0.0, 1.0], [0.0, 1.0]], names=["w", "w"])
