"""gridlib.minima: argmin, best_point, local_minima against plain loops; conventions; bad input."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import gridlib
from gridlib import Grid, argmin, best_point, local_minima
from gridlib.minima import LocalMinima


def loop_local_minima(v):
    """Reference: visit every point and its 3^D - 1 neighbours in plain Python."""
    v = np.asarray(v, dtype=float)
    out = []
    for idx in itertools.product(*map(range, v.shape)):
        here = v[idx]
        if np.isnan(here) or here == np.inf:
            continue
        flat = np.ravel_multi_index(idx, v.shape)
        ok = True
        for off in itertools.product((-1, 0, 1), repeat=v.ndim):
            nb = tuple(i + o for i, o in zip(idx, off, strict=True))
            if not any(off) or any(n < 0 or n >= s for n, s in zip(nb, v.shape, strict=True)):
                continue
            other = np.inf if np.isnan(v[nb]) else v[nb]
            earlier = np.ravel_multi_index(nb, v.shape) < flat
            ok &= bool(here < other) if earlier else bool(here <= other)
        if ok:
            out.append((here, flat, idx))
    out.sort(key=lambda t: (t[0], t[1]))
    return [t[2] for t in out], [t[0] for t in out]


def loop_argmin(v):
    v = np.asarray(v, dtype=float)
    best, best_idx = None, None
    for idx in itertools.product(*map(range, v.shape)):  # C order: the first minimum wins
        if not np.isnan(v[idx]) and (best is None or v[idx] < best):
            best, best_idx = v[idx], idx
    return best_idx


_VALUES = st.sampled_from([0.0, 1.0, 2.0, 3.0, -np.inf, np.inf, np.nan])


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    arrays(
        np.float64,
        st.integers(1, 5).flatmap(lambda d: st.tuples(*[st.integers(1, 4)] * d)),
        elements=_VALUES,
    )
)
def test_local_minima_and_argmin_match_plain_loops(v):
    idx, vals = loop_local_minima(v)
    res = local_minima(v)
    assert [tuple(i) for i in res.indices.tolist()] == idx  # same points, same order
    np.testing.assert_array_equal(res.values, vals)
    if not np.all(np.isnan(v)):
        assert argmin(v) == loop_argmin(v)


@pytest.mark.parametrize("ndim", [1, 2, 3, 4, 5])
def test_local_minima_random_arrays_in_each_dimension(ndim):
    rng = np.random.default_rng(ndim)
    for _ in range(5):
        shape = tuple(rng.integers(1, 6, size=ndim))
        v = rng.integers(0, 4, size=shape).astype(float)  # many ties and plateaus
        v[rng.random(shape) < 0.05] = np.nan
        idx, vals = loop_local_minima(v)
        res = local_minima(v)
        assert [tuple(i) for i in res.indices.tolist()] == idx
        np.testing.assert_array_equal(res.values, vals)
        k = max(1, len(vals) // 2)
        assert [tuple(i) for i in local_minima(v, k=k).indices.tolist()] == idx[:k]


def test_minus_infinity_is_a_minimum():
    res = local_minima([1.0, -np.inf, 1.0])
    assert res.indices.tolist() == [[1]]
    assert res.values.tolist() == [-np.inf]
    g = Grid.linspace(w=(0, 2, 3))
    assert best_point(g, [1.0, -np.inf, 1.0]) == (pytest.approx([1.0]), -np.inf)


def test_nan_and_plus_infinity_never_win():
    assert local_minima([np.nan, 2.0, np.nan]).indices.tolist() == [[1]]
    assert local_minima([np.inf, np.inf]).indices.shape == (0, 1)
    assert argmin([np.nan, np.inf, 3.0]) == (2,)
    assert argmin([np.nan, np.inf, np.inf]) == (1,)


def test_ties_go_to_the_first_point_in_c_order():
    v = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])  # 4-point tie
    assert argmin(v) == (0, 1)
    g = Grid.linspace(a=(-1, 1, 3), b=(-1, 1, 3))
    point, value = best_point(g, v)
    np.testing.assert_array_equal(point, [-1.0, 0.0])
    assert value == 0.0
    # the four zeros touch diagonally: one plateau, reported once at its first point
    assert local_minima(v).indices.tolist() == [[0, 1]]
    # a flat run yields its first point only
    assert local_minima([2.0, 0.0, 0.0, 0.0, 2.0]).indices.tolist() == [[1]]


def test_high_dimensional_single_element_is_immediate():
    v = np.zeros((1,) * 13)
    res = local_minima(v)
    assert res.indices.tolist() == [[0] * 13]
    assert argmin(v) == (0,) * 13


def test_two_basins_on_a_smooth_surface():
    g = Grid.linspace(a=(-2, 2, 41), b=(-1, 1, 21))
    P = g.points()
    v = ((P[:, 0] ** 2 - 1) ** 2 + 0.3 * P[:, 0] + P[:, 1] ** 2).reshape(g.shape)
    mins = local_minima(v, k=5)
    assert isinstance(mins, LocalMinima)
    assert len(mins.values) == 2 and mins.values[0] < mins.values[1]
    pts = g.points_at(mins.indices)
    assert pts[0, 0] < 0 < pts[1, 0]


def test_exported_from_gridlib():
    assert gridlib.local_minima is local_minima and gridlib.argmin is argmin
    assert gridlib.best_point is best_point and gridlib.LocalMinima is LocalMinima


def test_bad_input():
    g = Grid.linspace(a=(0, 1, 2))
    with pytest.raises(TypeError, match=r"grid must be a gridlib\.Grid, got str"):
        best_point("g", [1.0, 2.0])
    with pytest.raises(ValueError, match=r"shaped like the grid \(2,\)"):
        best_point(g, np.zeros(3))
    with pytest.raises(ValueError, match="non-empty"):
        local_minima(np.array([]))
    with pytest.raises(ValueError, match="non-empty"):
        local_minima(3.0)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        local_minima([1.0, 2.0], k=0)
    with pytest.raises(TypeError, match="k must be a positive integer"):
        local_minima([1.0, 2.0], k=1.5)
    with pytest.raises(ValueError, match="empty"):
        argmin([])
    with pytest.raises(ValueError, match="every value is NaN"):
        argmin([np.nan, np.nan])
    with pytest.raises(TypeError, match="complex"):
        local_minima([1.0 + 1j, 2.0])
    with pytest.raises(TypeError, match="complex"):
        argmin([1.0 + 1j, 2.0])
    with pytest.raises(TypeError, match="real numbers"):
        argmin(["a", "b"])
