"""Vectorized gradient descent, numerical gradients, seeded data, plotting helpers."""
import numpy as np
import plotly.graph_objects as go
import pytest

import gridlib
from gridlib import Grid, LeastSquares, gradient_descent, gradient_check, numerical_gradient, plotting


def test_descent_matches_a_loop_over_starts():
    ex = gridlib.post_example()
    loss = LeastSquares(ex.X, ex.y)
    starts = np.random.default_rng(0).normal(size=(4, 2)) * 5
    lr = 1.0 / np.linalg.eigvalsh(loss.hessian).max()
    paths = gradient_descent(loss.gradient, starts, lr, 50)
    assert paths.shape == (51, 4, 2)
    for i, w in enumerate(starts):
        for t in range(50):
            w = w - lr * loss.gradient(w[None])[0]
        np.testing.assert_allclose(paths[-1, i], w, rtol=1e-12)


def test_descent_diverges_visibly_above_two_over_lambda_max():
    loss = LeastSquares(gridlib.post_example().X, gridlib.post_example().y)
    lam = np.linalg.eigvalsh(loss.hessian).max()
    start = np.zeros((1, 2))
    below = gradient_descent(loss.gradient, start, 0.99 * 2 / lam, 3000)
    above = gradient_descent(loss.gradient, start, 1.01 * 2 / lam, 3000)
    assert loss(below[-1])[0] < loss(start)[0]
    assert not np.isfinite(loss(above[-1])).all() or loss(above[-1])[0] > 1e6 * loss(start)[0]


def test_one_diverging_start_does_not_stop_the_others():
    ex = gridlib.post_example()
    loss = LeastSquares(ex.X, ex.y)
    lam = np.linalg.eigvalsh(loss.hessian).max()
    paths = gradient_descent(loss.gradient, np.zeros((2, 2)), np.array([1.0 / lam, 1e3]), 4000)
    assert np.allclose(paths[-1, 0], loss.minimizer, rtol=1e-3)
    assert not np.all(np.isfinite(paths[-1, 1]))
    final = loss(paths[-1])
    assert np.isfinite(final[0]) and not np.isfinite(final[1])


def test_steps_to_reach():
    L = np.array([[3.0, 3.0], [2.0, 3.0], [0.5, 3.0]])
    np.testing.assert_array_equal(gridlib.steps_to_reach(L, 1.0), [2, -1])


def test_descent_bad_input():
    g = lambda W: W  # noqa: E731
    with pytest.raises(ValueError, match=r"starts must have shape \(n_points, n_params\)"):
        gradient_descent(g, np.zeros(3), 0.1, 5)
    with pytest.raises(ValueError, match="lr must be positive"):
        gradient_descent(g, np.zeros((2, 2)), -0.1, 5)
    with pytest.raises(ValueError, match="steps must be a non-negative integer"):
        gradient_descent(g, np.zeros((2, 2)), 0.1, 2.5)
    with pytest.raises(ValueError, match=r"grad must return shape \(2, 2\)"):
        gradient_descent(lambda W: W[:, :1], np.ones((2, 2)), 0.1, 1)
    with pytest.raises(ValueError, match=r"lr must be a number or shape \(2,\)"):
        gradient_descent(g, np.ones((2, 2)), np.ones(3), 1)


def test_numerical_gradient_and_jacobian():
    A = np.array([[1.0, 2.0], [3.0, 4.0]])
    x = np.array([0.3, -0.7])
    np.testing.assert_allclose(numerical_gradient(lambda v: v @ A @ v, x), x @ (A + A.T), rtol=1e-8)
    J = numerical_gradient(lambda v: np.array([np.sin(v[0]), v[0] * v[1], v[1] ** 2]), x)
    np.testing.assert_allclose(J, [[np.cos(x[0]), 0], [x[1], x[0]], [0, 2 * x[1]]], rtol=1e-8, atol=1e-10)
    res = gradient_check(lambda v: v @ A @ v, lambda v: 2 * A @ v, x)     # wrong for non-symmetric A
    assert not res.ok and res.rel_error > 1e-2
    assert gradient_check(lambda v: v @ A @ v, lambda v: (A + A.T) @ v, x).ok
    with pytest.raises(ValueError, match="h must be a positive step"):
        numerical_gradient(np.sum, x, h=0)
    with pytest.raises(ValueError, match=r"x must be a 1-D array"):
        numerical_gradient(np.sum, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="grad returned shape"):
        gradient_check(np.sum, lambda v: v[:1], x)


def test_post_data_reproduces_the_post_construction():
    x, y = gridlib.post_data(seed=11)
    rng = np.random.default_rng(11)
    xs = np.linspace(0, 10, 45)
    np.testing.assert_array_equal(x, xs)
    np.testing.assert_array_equal(y, 3.5 * xs + 7 + (rng.random(45) + rng.standard_normal(45)) * 6)
    ex = gridlib.post_example()
    assert len(set(ex.batch.tolist())) == 5 and ex.grid.shape == (101, 501)
    np.testing.assert_array_equal(ex.X_batch, ex.X[ex.batch])
    assert not np.array_equal(gridlib.post_data(seed=1)[1], gridlib.post_data(seed=2)[1])
    with pytest.raises(ValueError, match="batch_size must be at most n=3"):
        gridlib.batch_indices(3, 4, 0)
    with pytest.raises(ValueError, match=r"x must have shape \(n,\)"):
        gridlib.design_matrix(np.ones((2, 2)))


def test_plotting_returns_figures_downsampled():
    ex = gridlib.post_example()
    v = gridlib.evaluate(LeastSquares(ex.X_batch, ex.y_batch), ex.grid)
    fig = plotting.contour(ex.grid, v, markers={"true": ex.true_params},
                           paths={"gd": np.zeros((5, 3, 2))}, max_side=50)
    assert isinstance(fig, go.Figure)
    assert [t.type for t in fig.data] == ["contour", "scatter"] + ["scatter"] * 3
    z = np.asarray(fig.data[0].z)
    assert z.shape[0] <= 50 and z.shape[1] <= 50
    # axis 0 (w1) runs across: z is transposed to (w2, w1)
    assert z.shape == (len(fig.data[0].y), len(fig.data[0].x))
    s = plotting.surface(ex.grid, v, markers={"min": [[3.0, 10.0]]})
    assert [t.type for t in s.data] == ["surface", "scatter3d"]
    with pytest.raises(ValueError, match="plots need a 2-D grid"):
        plotting.contour(Grid.cube(np.zeros(3), 1.0, 3), np.zeros((3, 3, 3)))
    with pytest.raises(ValueError, match="shaped like the grid"):
        plotting.contour(ex.grid, v.T)
    with pytest.raises(ValueError, match="markers must have shape"):
        plotting.contour(ex.grid, v, markers={"bad": [1.0]})
