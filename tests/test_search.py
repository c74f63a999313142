"""Tests of gridlib.search: plain-loop references against the vectorized functions, and bad input."""
import itertools

import numpy as np
import pytest

import gridlib
from gridlib.search import coarse_to_fine, profile_bias, random_search, sobol_points, sobol_search


def quad(P):
    P = np.asarray(P, dtype=float)
    return ((P - np.array([0.37, -1.21, 0.05])[: P.shape[1]]) ** 2 * np.array([1.0, 3.0, 0.5])[: P.shape[1]]).sum(axis=1)


def loop_coarse_to_fine(f, axes, levels, num):
    """Reference: every point visited with itertools.product, zoom by hand."""
    best_p, best_v, n_eval = None, np.inf, 0
    for level in range(levels):
        lvl_p, lvl_v, lvl_idx = None, np.inf, None
        for idx in itertools.product(*[range(len(a)) for a in axes]):
            p = np.array([a[i] for a, i in zip(axes, idx)])
            v = float(f(p[None, :])[0])
            n_eval += 1
            if v < lvl_v:
                lvl_p, lvl_v, lvl_idx = p, v, idx
        if lvl_v < best_v:
            best_p, best_v = lvl_p, lvl_v
        steps = [(a[-1] - a[0]) / (len(a) - 1) for a in axes]
        axes = [np.linspace(c - s, c + s, num) for c, s in zip(lvl_p, steps)]
    return best_p, best_v, n_eval


@pytest.mark.parametrize("ndim, num, levels", [(1, 5, 3), (2, 5, 4), (3, 3, 5), (2, 7, 1)])
def test_coarse_to_fine_matches_loop(ndim, num, levels):
    grid = gridlib.Grid.cube(np.zeros(ndim), 2.0, num)
    res = coarse_to_fine(quad, grid, levels, num=num)
    p, v, n = loop_coarse_to_fine(quad, list(grid.axes), levels, num)
    np.testing.assert_allclose(res.point, p, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(res.value, v, rtol=1e-12)
    assert res.n_evaluations == n == num**ndim * levels
    assert len(res.grids) == levels


def test_coarse_to_fine_least_squares_reaches_minimizer():
    ex = gridlib.post_example()
    loss = gridlib.LeastSquares(ex.X, ex.y)
    grid = gridlib.Grid.linspace(w1=(-10, 10, 11), w2=(-50, 50, 11))
    res = coarse_to_fine(loss, grid, levels=12, num=11)
    np.testing.assert_allclose(res.point, loss.minimizer, atol=1e-6)
    assert res.n_evaluations == 12 * 121


def test_random_search_matches_loop():
    rng = np.random.default_rng(5)
    res = random_search(quad, [-1, -2, -1], [1, 2, 1], 300, np.random.default_rng(5))
    pts = np.array([-1, -2, -1]) + np.array([2, 4, 2]) * rng.random((300, 3))
    vals = np.array([quad(p[None, :])[0] for p in pts])
    np.testing.assert_allclose(res.points, pts)
    np.testing.assert_allclose(res.values, vals, rtol=1e-12)
    np.testing.assert_allclose(res.point, pts[np.argmin(vals)])
    assert res.value == pytest.approx(vals.min())


def test_random_search_seed_reproducible():
    a = random_search(quad, [0, 0], [1, 1], 50, 3)
    b = random_search(quad, [0, 0], [1, 1], 50, 3)
    np.testing.assert_array_equal(a.points, b.points)


def test_sobol_search_matches_loop_and_is_balanced():
    res = sobol_search(quad, [-1, -1], [1, 1], 64, seed=2)
    vals = np.array([quad(p[None, :])[0] for p in res.points])
    np.testing.assert_allclose(res.values, vals, rtol=1e-12)
    assert res.value == pytest.approx(vals.min())
    # a balanced net: each of the 8 strips of each axis holds exactly 8 points
    for k in range(2):
        counts = np.bincount(((res.points[:, k] + 1) / 2 * 8).astype(int), minlength=8)
        np.testing.assert_array_equal(counts, np.full(8, 8))


def test_sobol_non_power_of_two_is_prefix():
    a = sobol_points(100, [0, 0], [1, 1], seed=4)
    b = sobol_points(128, [0, 0], [1, 1], seed=4)
    np.testing.assert_array_equal(a, b[:100])


def test_profile_bias_matches_loop_and_lstsq():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    y = X @ [1.5, -2.0] + 4.0 + 0.1 * rng.normal(size=30)
    W = rng.normal(size=(7, 2))
    expected = [np.mean([y[i] - X[i] @ w for i in range(len(y))]) for w in W]
    np.testing.assert_allclose(profile_bias(W, X, y), expected, rtol=1e-12)
    full = np.linalg.lstsq(np.column_stack([X, np.ones(30)]), y, rcond=None)[0]
    np.testing.assert_allclose(profile_bias(full[None, :2], X, y), [full[2]], rtol=1e-10)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: coarse_to_fine("loss", gridlib.Grid.cube([0], 1, 3), 2), TypeError, "loss must be a callable"),
    (lambda: coarse_to_fine(quad, np.zeros(3), 2), TypeError, "grid must be a gridlib.Grid"),
    (lambda: coarse_to_fine(quad, gridlib.Grid.cube([0], 1, 3), 0), ValueError, "levels must be a positive integer"),
    (lambda: coarse_to_fine(quad, gridlib.Grid.cube([0], 1, 3), 2.5), TypeError, "levels must be a positive integer"),
    (lambda: coarse_to_fine(quad, gridlib.Grid.cube([0], 1, 3), 2, num=1), ValueError, "num must be at least 2"),
    (lambda: random_search(quad, [0, 0], [1], 5, 0), ValueError, "same shape"),
    (lambda: random_search(quad, [0, 1], [1, 1], 5, 0), ValueError, "upper must be greater than lower"),
    (lambda: random_search(quad, [0, 0], [1, np.inf], 5, 0), ValueError, "must be finite"),
    (lambda: random_search(quad, [0, 0], [1, 1], 0, 0), ValueError, "n must be a positive integer"),
    (lambda: random_search(quad, [0, 0], [1, 1], 5, "seed"), TypeError, "rng must be a numpy.random.Generator"),
    (lambda: random_search(lambda P: P, [0, 0], [1, 1], 5, 0), ValueError, r"must return shape \(5,\)"),
    (lambda: sobol_search(quad, [0, 0], [1, 1], 8, seed=1.5), TypeError, "seed must be an integer"),
    (lambda: sobol_search(quad, [0, 0], [1, 1], -8, seed=1), ValueError, "n must be a positive integer"),
    (lambda: sobol_search(None, [0, 0], [1, 1], 8, seed=1), TypeError, "loss must be a callable"),
    (lambda: profile_bias([[1.0, 2.0]], np.ones((3, 1)), np.ones(3)), ValueError, r"W must have shape \(n_points, 1\)"),
    (lambda: profile_bias([[1.0]], np.ones((3, 1)), np.ones(4)), ValueError, "one target per row"),
])
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
