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


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(1, 6), min_size=1, max_size=4), chunk=st.integers(1, 50))
def test_chunks_cover_every_point_once(shape, chunk):
    g = Grid([np.arange(n, dtype=float) for n in shape])
    parts = list(g.chunks(chunk))
    assert all(len(p) <= chunk for _, p in parts)
    np.testing.assert_array_equal(np.concatenate([p for _, p in parts]), g.points())
    assert [s.start for s, _ in parts] == list(range(0, g.size, chunk))


@settings(max_examples=40, deadline=None)
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


@pytest.mark.parametrize("kwargs, err, match", [
    (dict(w=(0, 1, 0)), ValueError, "step for w must be positive"),
    (dict(w=(0, 1, -0.1)), ValueError, "step for w must be positive"),
    (dict(w=(1, 0, 0.1)), ValueError, "axis w is empty"),
    (dict(w=(0, np.nan, 0.1)), ValueError, "must be finite"),
    (dict(w=(0, 1)), TypeError, r"\(start, stop, step\)"),
])
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
