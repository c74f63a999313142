"""Vectorized gradient descent, numerical gradients, seeded data, plotting helpers."""

import numpy as np
import pytest

import gridlib
from gridlib import (
    LeastSquares,
    gradient_check,
    gradient_descent,
    numerical_gradient,
)


def test_descent_matches_a_loop_over_starts():
    ex = gridlib.post_example()
    loss = LeastSquares(ex.X, ex.y)
    starts = np.random.default_rng(0).normal(size=(4, 2)) * 5
    lr = 1.0 / np.linalg.eigvalsh(loss.hessian).max()
    paths = gradient_descent(loss.gradient, starts, lr, 50)
    assert paths.shape == (51, 4, 2)
    for i, w in enumerate(starts):
        for _t in range(50):
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
    with pytest.raises(TypeError, match="steps must be a non-negative integer"):
        gradient_descent(g, np.zeros((2, 2)), 0.1, 2.5)
    with pytest.raises(ValueError, match="steps must be a non-negative integer"):
        gradient_descent(g, np.zeros((2, 2)), 0.1, -1)
    with pytest.raises(ValueError, match=r"grad must return shape \(2, 2\)"):
        gradient_descent(lambda W: W[:, :1], np.ones((2, 2)), 0.1, 1)
    with pytest.raises(ValueError, match=r"lr must be a number or shape \(2,\)"):
        gradient_descent(g, np.ones((2, 2)), np.ones(3), 1)


def test_numerical_gradient_and_jacobian():
    A = np.array([[1.0, 2.0], [3.0, 4.0]])
    x = np.array([0.3, -0.7])
    np.testing.assert_allclose(numerical_gradient(lambda v: v @ A @ v, x), x @ (A + A.T), rtol=1e-8)
    J = numerical_gradient(lambda v: np.array([np.sin(v[0]), v[0] * v[1], v[1] ** 2]), x)
    np.testing.assert_allclose(
        J, [[np.cos(x[0]), 0], [x[1], x[0]], [0, 2 * x[1]]], rtol=1e-8, atol=1e-10
    )
    res = gradient_check(lambda v: v @ A @ v, lambda v: 2 * A @ v, x)  # wrong for non-symmetric A
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


# ----- issue 17: sizes refused up front, relative steps, non-numeric output -----------------


def test_descent_refuses_an_unallocatable_trajectory_up_front():
    calls = []

    def g(W):
        calls.append(1)
        return W

    with pytest.raises(ValueError, match=r"10,000,000,000 steps.*max_bytes=2,147,483,648 bytes"):
        gradient_descent(g, np.zeros((1, 2)), 0.1, 10**10)
    assert calls == []  # refused before any work
    with pytest.raises(ValueError, match=r"would need 2,400 bytes, over the limit max_bytes=1,000"):
        gradient_descent(g, np.zeros((3, 2)), 0.1, 49, max_bytes=1000)
    assert gradient_descent(g, np.zeros((3, 2)), 0.1, 40, max_bytes=2000).shape == (41, 3, 2)


def test_descent_rejects_complex_and_none():
    with pytest.raises(TypeError, match="starts must be real numbers, got complex"):
        gradient_descent(lambda W: W, np.ones((2, 2)) * 1j, 0.1, 1)
    with pytest.raises(TypeError, match="lr must be real numbers"):
        gradient_descent(lambda W: W, np.ones((2, 2)), 0.1 + 0j, 1)
    with pytest.raises(TypeError, match="grad returned None"):
        gradient_descent(lambda W: None, np.ones((2, 2)), 0.1, 1)
    with pytest.raises(TypeError, match="grad must be a callable"):
        gradient_descent(3.0, np.ones((2, 2)), 0.1, 1)


@pytest.mark.parametrize("x0", [1.0, 1e5, 1e10, 1e20, 1e100, -1e200])
def test_numerical_gradient_is_relative_at_every_magnitude(x0):
    """The old absolute step returned 0 at 1e10 and 1e20 for these functions."""
    x = np.array([x0, -0.5 * x0])
    s = abs(x0)
    np.testing.assert_allclose(
        numerical_gradient(lambda v: (v / s) @ (v / s) * s, x), 2 * x / s, rtol=1e-8
    )
    np.testing.assert_allclose(
        numerical_gradient(lambda v: np.sin(v / x0).sum(), x), np.cos(x / x0) / x0, rtol=1e-6
    )


@pytest.mark.parametrize("x0", [1e10, 1e20])
def test_gradient_check_at_large_x_accepts_right_and_rejects_zero(x0):
    """Before: gradient_check accepted a zero gradient and rejected the right one here."""
    x = np.array([x0, 2 * x0])
    f = lambda v: v @ v  # noqa: E731
    right = gradient_check(f, lambda v: 2 * v, x)
    assert right.ok and right.rel_error < 1e-8
    assert not gradient_check(f, lambda v: np.zeros_like(v), x).ok
    assert not gradient_check(f, lambda v: 1.01 * 2 * v, x).ok


def test_numerical_gradient_refuses_a_step_below_resolution():
    with pytest.raises(
        ValueError, match=r"at x\[0\]=1\.0: .* rounds back to x\[0\]; use a larger h"
    ):
        numerical_gradient(lambda v: v @ v, np.array([1.0, 2.0]), h=1e-20)
    with pytest.raises(ValueError, match=r"x\[1\]=1e\+300: .* overflows"):
        numerical_gradient(lambda v: v @ v, np.array([1.0, 1e300]), h=1e10)  # overflows


def test_numerical_gradient_rejects_non_numeric_output():
    with pytest.raises(TypeError, match="f returned None"):
        numerical_gradient(lambda v: None, np.array([1.0]))
    with pytest.raises(TypeError, match="complex"):
        numerical_gradient(lambda v: v[0] * 1j, np.array([1.0]))
    with pytest.raises(TypeError, match="real numbers"):
        numerical_gradient(lambda v: "x", np.array([1.0]))
    with pytest.raises(TypeError, match="grad returned None"):
        gradient_check(lambda v: v @ v, lambda v: None, np.array([1.0]))
    with pytest.raises(TypeError, match="x must be real numbers, got complex"):
        numerical_gradient(lambda v: v @ v, np.array([1.0 + 1j]))
    with pytest.raises(ValueError, match="same shape"):
        numerical_gradient(lambda v: np.ones(1 + int(v[0] > 1)), np.array([1.0]))


def test_post_data_refuses_an_unallocatable_size_and_accepts_any_rng_form():
    with pytest.raises(
        ValueError, match=r"post_data\(n=1,000,000,000,000\) would need .* MAX_BYTES"
    ):
        gridlib.post_data(10**12)
    np.testing.assert_array_equal(
        gridlib.post_data(seed=3)[1], gridlib.post_data(seed=np.random.default_rng(3))[1]
    )
    np.testing.assert_array_equal(
        gridlib.batch_indices(10, 3, 4), gridlib.batch_indices(10, 3, np.random.default_rng(4))
    )
    with pytest.raises(TypeError, match="rng must be None, an integer seed"):
        gridlib.batch_indices(10, 3, "4")
    with pytest.raises(TypeError, match="x must be real numbers, got complex"):
        gridlib.design_matrix(np.array([1.0]) + 1j)
