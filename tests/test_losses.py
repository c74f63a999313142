"""LeastSquares: sufficient statistics vs direct residuals, gradient, minimizer, stability."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gridlib
from gridlib import Grid, LeastSquares, evaluate, sum_squared_residuals


def loop_sse(W, X, y):
    out = np.zeros(len(W))
    for i, w in enumerate(W):
        for xj, yj in zip(X, y):
            out[i] += (yj - xj @ w) ** 2
    return out


def exact_sse(W, X, y):
    """Reference in extended precision from the same float64 inputs."""
    R = y.astype(np.longdouble)[None, :] - W.astype(np.longdouble) @ X.T.astype(np.longdouble)
    return (R * R).sum(axis=1)


def test_direct_matches_plain_loop():
    ex = gridlib.post_example()
    W = np.random.default_rng(1).normal(size=(30, 2)) * 5
    np.testing.assert_allclose(sum_squared_residuals(W, ex.X, ex.y), loop_sse(W, ex.X, ex.y), rtol=1e-12)
    np.testing.assert_allclose(sum_squared_residuals(W, ex.X, ex.y, mean=True), loop_sse(W, ex.X, ex.y) / 45, rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 60), d=st.integers(1, 4), mean=st.booleans())
def test_sufficient_statistics_equal_direct_residuals(seed, n, d, mean):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(n, d)), rng.normal(size=n) * 3
    W = rng.normal(size=(20, d)) * 4
    loss = LeastSquares(X, y, mean=mean)
    np.testing.assert_allclose(loss(W), sum_squared_residuals(W, X, y, mean=mean), rtol=1e-10, atol=1e-12)


def test_grid_path_matches_direct_on_the_post_grid_to_1e_12():
    ex = gridlib.post_example()
    for X, y in [(ex.X, ex.y), (ex.X_batch, ex.y_batch)]:
        ref = sum_squared_residuals(ex.grid.points(), X, y).reshape(ex.grid.shape)
        got = evaluate(LeastSquares(X, y), ex.grid)
        assert np.max(np.abs(got - ref) / ref) < 1e-12


@pytest.mark.parametrize("noise", [0.0, 1e-9, 1e-3])
def test_stable_on_almost_noise_free_data(noise):
    """The expanded form w'Gw - 2w'b + c loses every digit here; ours must not."""
    rng = np.random.default_rng(7)
    x = np.linspace(0, 10, 45)
    X = gridlib.design_matrix(x)
    y = 3.5 * x + 7 + noise * rng.standard_normal(45)
    loss = LeastSquares(X, y)
    g = Grid.arange(w1=(-10, 10, 0.2), w2=(-50, 50, 0.2))
    ref = sum_squared_residuals(g.points(), X, y)
    assert np.max(np.abs(loss(g.points()) - ref) / ref) < 1e-12
    assert np.max(np.abs(evaluate(loss, g).ravel() - ref) / ref) < 1e-12
    # Near the minimum the direct computation itself loses digits: compare both with an
    # extended-precision reference; ours must be at least as close (up to a small factor).
    W = loss.minimizer + 10.0 ** rng.uniform(-8, 0, size=(200, 1)) * rng.normal(size=(200, 2))
    exact = exact_sse(W, X, y)
    ours = np.abs(loss(W) - exact) / exact
    direct = np.abs(sum_squared_residuals(W, X, y) - exact) / exact
    assert np.all(ours <= 4 * direct + 1e-13)
    naive = np.einsum("ij,jk,ik->i", W, loss.XtX, W) - 2 * W @ loss.Xty + loss.yty
    # why the expanded form is not used: it is far worse than ours
    assert np.max(np.abs(naive - exact) / exact) > 1000 * np.max(ours)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), d=st.integers(1, 4), chunk=st.integers(1, 300))
def test_grid_path_equals_point_path(seed, d, chunk):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(12, d)), rng.normal(size=12)
    loss = LeastSquares(X, y)
    g = Grid.cube(rng.normal(size=d), 1.5, 5 if d < 4 else 4)
    np.testing.assert_allclose(loss.grid_values(g, chunk_size=chunk).ravel(), loss(g.points()), rtol=1e-12, atol=1e-12)


def test_minimizer_gradient_hessian():
    ex = gridlib.post_example()
    loss = LeastSquares(ex.X, ex.y)
    w_star = np.linalg.solve(ex.X.T @ ex.X, ex.X.T @ ex.y)
    np.testing.assert_allclose(loss.minimizer, w_star, rtol=1e-12)
    np.testing.assert_allclose(loss.gradient(loss.minimizer[None]), 0, atol=1e-9)
    W = np.random.default_rng(0).normal(size=(5, 2))
    np.testing.assert_allclose(loss.gradient(W), -2 * (ex.y[None] - W @ ex.X.T) @ ex.X, rtol=1e-10)
    for w in W:
        num = gridlib.numerical_gradient(lambda v: loss(v[None])[0], w)
        np.testing.assert_allclose(loss.gradient(w[None])[0], num, rtol=1e-6)
    np.testing.assert_allclose(loss.hessian, 2 * ex.X.T @ ex.X)
    mse = LeastSquares(ex.X, ex.y, mean=True)
    np.testing.assert_allclose(mse(W), loss(W) / 45, rtol=1e-12)
    np.testing.assert_allclose(mse.hessian, loss.hessian / 45)
    np.testing.assert_allclose(loss.min_value, loss(loss.minimizer[None])[0])


def test_rank_deficient_batch_has_a_valley():
    """One point, two parameters: every w on the line y = w1 x + w2 has zero loss."""
    X, y = np.array([[2.0, 1.0]]), np.array([5.0])
    loss = LeastSquares(X, y)
    W = np.array([[0.0, 5.0], [1.0, 3.0], [2.5, 0.0]])
    np.testing.assert_allclose(loss(W), 0.0, atol=1e-12)
    np.testing.assert_allclose(loss([[0.0, 0.0]]), [25.0])
    g = Grid.linspace(w1=(-1, 3, 9), w2=(-2, 6, 17))
    np.testing.assert_allclose(evaluate(loss, g).ravel(), sum_squared_residuals(g.points(), X, y), atol=1e-10)


@pytest.mark.parametrize("X, y, match", [
    (np.ones(3), np.ones(3), r"X must have shape \(n_samples, n_params\)"),
    (np.ones((3, 2)), np.ones((3, 1)), r"y must have shape \(n_samples,\)"),
    (np.ones((3, 2)), np.ones(4), "X has 3 rows but y has 4"),
    (np.array([[np.nan, 1.0]]), np.ones(1), "NaN or inf"),
    (np.ones((1, 2)), np.array([np.inf]), "NaN or inf"),
    (np.ones((0, 2)), np.ones(0), "empty"),
])
def test_bad_data(X, y, match):
    with pytest.raises(ValueError, match=match):
        LeastSquares(X, y)
    with pytest.raises(ValueError, match=match):
        sum_squared_residuals(np.zeros((1, 2)), X, y)


def test_bad_points():
    loss = LeastSquares(np.ones((3, 2)) + np.eye(3, 2), np.ones(3))
    with pytest.raises(ValueError, match=r"W must have shape \(n_points, 2\)"):
        loss(np.zeros((4, 3)))
    # a diverged run (non-finite parameters) propagates, it does not stop the others
    out = loss([[np.nan, 0.0], [0.0, 0.0], [np.inf, 1.0]])
    assert np.isnan(out[0]) and np.isfinite(out[1]) and not np.isfinite(out[2])
    with pytest.raises(TypeError, match="W must be an array"):
        loss("w")
    with pytest.raises(ValueError, match="grid has 3 axes but the model has 2"):
        loss.grid_values(Grid.cube(np.zeros(3), 1.0, 3))


def fraction_sse(W, X, y):
    """Exact rational reference (the float64 inputs taken as exact), rounded once."""
    from fractions import Fraction

    Xf = [[Fraction(v) for v in row] for row in X.tolist()]
    yf = [Fraction(v) for v in y.tolist()]
    out = []
    for w in W.tolist():
        wf = [Fraction(v) for v in w]
        out.append(float(sum((yi - sum(a * b for a, b in zip(xi, wf))) ** 2 for xi, yi in zip(Xf, yf))))
    return np.array(out)


@pytest.mark.parametrize("noise", [6.0, 1e-6, 0.0])
@pytest.mark.parametrize("batch", [True, False])
def test_exact_to_1e_13_even_at_the_minimum_of_noise_free_data(noise, batch):
    ex = gridlib.post_example()
    x, y = gridlib.post_data(noise=noise)
    X = gridlib.design_matrix(x)
    X, y = (X[ex.batch], y[ex.batch]) if batch else (X, y)
    loss = LeastSquares(X, y)
    g = Grid.cube(loss.minimizer, 1e-3, 101)
    v = evaluate(loss, g).ravel()
    rng = np.random.default_rng(0)
    idx = np.unique(np.concatenate([rng.choice(g.size, 25, replace=False), [int(np.argmin(v))]]))
    ref = fraction_sse(g.points()[idx], X, y)
    assert np.max(np.abs(v[idx] - ref) / ref) < 1e-13
