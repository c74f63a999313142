"""Chunked evaluation, streaming top-k, argmin and local minima against plain loops."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import gridlib
from gridlib import Grid, argmin, evaluate, local_minima, top_k


def rosen(P):
    return (1 - P[:, 0]) ** 2 + 100 * (P[:, 1] - P[:, 0] ** 2) ** 2


def test_evaluate_matches_plain_loop():
    g = Grid.linspace(a=(-2, 2, 17), b=(-1, 3, 23))
    ref = np.empty(g.shape)
    for i, a in enumerate(g.axes[0]):
        for j, b in enumerate(g.axes[1]):
            ref[i, j] = (1 - a) ** 2 + 100 * (b - a * a) ** 2
    np.testing.assert_allclose(evaluate(rosen, g, chunk_size=50), ref, rtol=1e-15)


@settings(max_examples=30, deadline=None)
@given(chunk=st.integers(1, 400), shape=st.lists(st.integers(1, 7), min_size=1, max_size=3))
def test_any_chunk_size_gives_identical_values(chunk, shape):
    g = Grid([np.linspace(-1, 1, n) for n in shape])
    f = lambda P: np.sin(P).sum(axis=1) + (P ** 2).prod(axis=1)  # noqa: E731
    np.testing.assert_array_equal(evaluate(f, g, chunk_size=chunk), evaluate(f, g, chunk_size=10_000))


def test_loss_is_called_per_chunk_not_per_point():
    calls = []
    g = Grid.linspace(a=(0, 1, 100), b=(0, 1, 100))
    evaluate(lambda P: calls.append(len(P)) or P.sum(axis=1), g, chunk_size=4096)
    assert calls == [4096, 4096, 10_000 - 8192]


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 6)),
              elements=st.floats(-1e6, 1e6, allow_nan=False)))
def test_argmin_equals_brute_force(v):
    best = min(itertools.product(*map(range, v.shape)), key=lambda ij: (v[ij], ij))
    assert argmin(v) == best


def test_nan_never_wins():
    v = np.array([[np.nan, 2.0], [1.0, np.nan]])
    assert argmin(v) == (1, 0)
    with pytest.raises(ValueError, match="every value is NaN"):
        argmin(np.full((2, 2), np.nan))
    g = Grid.linspace(a=(0, 1, 2), b=(0, 1, 2))
    best = top_k(lambda P: np.where(P[:, 0] == 0, np.nan, P.sum(axis=1)), g, k=1)
    np.testing.assert_array_equal(best.points[0], [1.0, 0.0])
    mins = local_minima(v)
    assert not np.any(np.isnan(mins.values))


@settings(max_examples=25, deadline=None)
@given(k=st.integers(1, 30), chunk=st.integers(1, 200), seed=st.integers(0, 10**6))
def test_top_k_equals_sorting_all_values(k, chunk, seed):
    rng = np.random.default_rng(seed)
    c = rng.normal(size=4)
    g = Grid.cube(np.zeros(4), 1.0, 4)
    f = lambda P: ((P - c) ** 2).sum(axis=1)  # noqa: E731
    res = top_k(f, g, k, chunk_size=chunk)
    allv = f(g.points())
    order = np.lexsort((np.arange(g.size), allv))[:k]
    np.testing.assert_allclose(res.values, allv[order])
    np.testing.assert_array_equal(res.points, g.points()[order])
    np.testing.assert_array_equal(res.indices, np.stack(np.unravel_index(order, g.shape), axis=1))


def test_top_k_streams_a_grid_too_large_to_hold():
    g = Grid.cube(np.zeros(8), 1.0, 9)     # 43 million points
    with pytest.raises(ValueError, match="use gridlib.top_k"):
        evaluate(rosen, g, max_bytes=100_000_000)
    small = Grid.cube(np.zeros(6), 1.0, 7)
    res = top_k(lambda P: ((P - 1 / 3) ** 2).sum(axis=1), small, k=3, chunk_size=5000)
    np.testing.assert_allclose(res.points[0], np.full(6, 1 / 3))


def loop_local_minima(v):
    out = []
    for idx in itertools.product(*map(range, v.shape)):
        flat = np.ravel_multi_index(idx, v.shape)
        ok = np.isfinite(v[idx])
        for off in itertools.product((-1, 0, 1), repeat=v.ndim):
            nb = tuple(i + o for i, o in zip(idx, off))
            if not any(off) or any(n < 0 or n >= s for n, s in zip(nb, v.shape)):
                continue
            nflat = np.ravel_multi_index(nb, v.shape)
            w = np.inf if np.isnan(v[nb]) else v[nb]
            ok &= v[idx] < w if nflat < flat else v[idx] <= w
        if ok:
            out.append((v[idx], idx))
    return sorted(out, key=lambda t: t[0])


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple),
              elements=st.integers(0, 4).map(float)))
def test_local_minima_match_plain_loop(v):
    res = local_minima(v)
    ref = loop_local_minima(v)
    assert sorted(map(tuple, res.indices.tolist())) == sorted(idx for _, idx in ref)
    np.testing.assert_array_equal(np.sort(res.values), [val for val, _ in ref])


def test_local_minima_finds_two_basins_sorted():
    g = Grid.linspace(a=(-2, 2, 41), b=(-1, 1, 21))
    v = evaluate(lambda P: (P[:, 0] ** 2 - 1) ** 2 + 0.3 * P[:, 0] + P[:, 1] ** 2, g)
    mins = local_minima(v, k=5)
    assert len(mins.values) == 2 and mins.values[0] < mins.values[1]
    pts = g.points_at(mins.indices)
    assert pts[0, 0] < 0 < pts[1, 0]


@pytest.mark.parametrize("bad, err, match", [
    (lambda P: P, ValueError, r"must return shape \(4,\)"),
    (lambda P: P.sum(axis=1)[:-1], ValueError, r"must return shape \(4,\)"),
])
def test_loss_returning_wrong_shape(bad, err, match):
    g = Grid.linspace(a=(0, 1, 2), b=(0, 1, 2))
    with pytest.raises(err, match=match):
        evaluate(bad, g)
    with pytest.raises(err, match=match):
        top_k(bad, g, 1)


def test_evaluate_bad_arguments():
    g = Grid.linspace(a=(0, 1, 2))
    with pytest.raises(TypeError, match="gridlib.Grid"):
        evaluate(rosen, np.zeros((2, 2)))
    with pytest.raises(TypeError, match="callable"):
        evaluate(3.0, g)
    with pytest.raises(ValueError, match="chunk_size must be a positive integer"):
        evaluate(rosen, g, chunk_size=0)
    with pytest.raises(ValueError, match="non-empty"):
        local_minima(np.array([]))
    with pytest.raises(ValueError, match="shaped like the grid"):
        gridlib.best_point(g, np.zeros(3))
