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


# --------------------------------------------------------------------------- heavy ball


def _hb_matrix(lam, lr, beta):
    """One heavy-ball step on f = lam w^2 / 2 as a linear map of the state (w, v)."""
    return np.array([[1 - lr * lam, beta], [-lr * lam, beta]])


def test_heavy_ball_is_matrix_powers_on_a_diagonal_quadratic():
    lams = np.array([0.3, 2.0, 7.5])
    rng = np.random.default_rng(1)
    starts = rng.normal(size=(4, 3))
    lr, beta, steps = 0.2, 0.6, 40
    path = gridlib.heavy_ball(lambda W: W * lams, starts, lr, beta, steps)
    assert path.shape == (steps + 1, 4, 3)
    for j, lam in enumerate(lams):  # each coordinate is its own 1-D quadratic
        M = _hb_matrix(lam, lr, beta)
        for k in (0, 1, 2, 17, steps):
            state = np.linalg.matrix_power(M, k) @ np.vstack([starts[:, j], np.zeros(4)])
            np.testing.assert_allclose(path[k, :, j], state[0], rtol=1e-12, atol=1e-14)


def test_heavy_ball_matches_a_plain_loop_on_a_rotated_bowl():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(3, 3))
    H = A @ A.T + np.eye(3)
    starts = rng.normal(size=(4, 3))
    path = gridlib.heavy_ball(lambda W: W @ H, starts, lr=0.05, beta=0.7, steps=30)
    for s in range(4):
        w, w_prev = starts[s].copy(), starts[s].copy()
        for k in range(30):  # the two-step form w+ = w - lr grad(w) + beta (w - w_prev)
            w, w_prev = w - 0.05 * (H @ w) + 0.7 * (w - w_prev), w
            np.testing.assert_allclose(path[k + 1, s], w, rtol=1e-10, atol=1e-12)


def test_heavy_ball_with_beta_zero_is_gradient_descent_exactly():
    ex = gridlib.post_example()
    loss = LeastSquares(ex.X_batch, ex.y_batch)
    starts = np.random.default_rng(2).normal(size=(5, 2)) * 10
    lr = np.linspace(1e-4, 2e-3, 5)
    np.testing.assert_array_equal(
        gridlib.heavy_ball(loss.gradient, starts, lr, 0.0, 200),
        gradient_descent(loss.gradient, starts, lr, 200),
    )


def test_heavy_ball_per_start_parameters_and_divergence_isolation():
    lams = np.array([1.0, 10.0])
    grad = lambda W: W * lams  # noqa: E731
    starts = np.array([[1.0, 1.0], [1.0, 1.0], [-2.0, 0.5]])
    # lr 0.5 > 2 (1 + beta) / lambda_max = 0.36 with beta 0.8: start 1 diverges, to inf/nan
    lr, beta = np.array([0.05, 0.5, 0.1]), np.array([0.8, 0.8, 0.0])
    path = gridlib.heavy_ball(grad, starts, lr, beta, 3000)
    assert not np.all(np.isfinite(path[-1, 1]))
    for s in (0, 2):
        alone = gridlib.heavy_ball(grad, starts[s : s + 1], lr[s], beta[s], 3000)
        np.testing.assert_array_equal(path[:, s], alone[:, 0])
        assert np.all(np.abs(path[-1, s]) < 1e-10)


def test_heavy_ball_bad_input():
    g = lambda W: W  # noqa: E731
    W = np.ones((2, 2))
    with pytest.raises(ValueError, match="beta must be in"):
        gridlib.heavy_ball(g, W, 0.1, 1.0, 1)
    with pytest.raises(ValueError, match="beta must be in"):
        gridlib.heavy_ball(g, W, 0.1, np.array([0.5, -0.1]), 1)
    with pytest.raises(ValueError, match="beta must be in"):
        gridlib.heavy_ball(g, W, 0.1, np.nan, 1)
    with pytest.raises(ValueError, match=r"beta must be a number or shape \(2,\)"):
        gridlib.heavy_ball(g, W, 0.1, np.zeros(3), 1)
    with pytest.raises(TypeError, match="beta must be real numbers"):
        gridlib.heavy_ball(g, W, 0.1, "0.9", 1)
    with pytest.raises(ValueError, match="lr must be positive"):
        gridlib.heavy_ball(g, W, 0.0, 0.5, 1)
    with pytest.raises(TypeError, match="steps must be a non-negative integer"):
        gridlib.heavy_ball(g, W, 0.1, 0.5, 2.0)
    with pytest.raises(TypeError, match="grad must be a callable"):
        gridlib.heavy_ball(None, W, 0.1, 0.5, 1)
    with pytest.raises(TypeError, match="grad returned None"):
        gridlib.heavy_ball(lambda W: None, W, 0.1, 0.5, 1)
    with pytest.raises(ValueError, match=r"grad must return shape \(2, 2\)"):
        gridlib.heavy_ball(lambda W: W[:1], W, 0.1, 0.5, 1)
    with pytest.raises(ValueError, match="starts contains NaN"):
        gridlib.heavy_ball(g, [[np.nan, 0.0]], 0.1, 0.5, 1)
    with pytest.raises(ValueError, match="over the limit max_bytes"):
        gridlib.heavy_ball(g, W, 0.1, 0.5, 10**6, max_bytes=1024)
    assert gridlib.heavy_ball(g, W, 0.1, 0.5, 0).shape == (1, 2, 2)


def test_tuned_parameters_minimise_the_spectral_radius():
    rng = np.random.default_rng(3)
    lams = np.concatenate([[0.5, 400.0], rng.uniform(0.5, 400.0, size=6)])
    t = gridlib.tuned_parameters(rng.permutation(lams))
    kappa = 800.0
    assert t.rate_gd == pytest.approx((kappa - 1) / (kappa + 1), rel=1e-12)
    assert t.rate_hb == pytest.approx((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1), rel=1e-12)

    def radius_gd(lr):
        return np.abs(1 - lr * lams).max()

    def radius_hb(lr, beta):
        return max(np.abs(np.linalg.eigvals(_hb_matrix(lam, lr, beta))).max() for lam in lams)

    assert radius_gd(t.lr_gd) == pytest.approx(t.rate_gd, rel=1e-12)
    # A double eigenvalue at the optimum: eigvals of a defective matrix carry ~sqrt(eps) error.
    assert radius_hb(t.lr_hb, t.beta_hb) == pytest.approx(t.rate_hb, rel=1e-6)
    for f in (0.98, 1.02):  # any other fixed parameter is worse
        assert radius_gd(f * t.lr_gd) > t.rate_gd
        assert radius_hb(f * t.lr_hb, t.beta_hb) > t.rate_hb + 1e-6
        assert radius_hb(t.lr_hb, f * t.beta_hb) > t.rate_hb + 1e-6
    with pytest.raises(ValueError, match="eigenvalues must be positive"):
        gridlib.tuned_parameters([1.0, 0.0])
    with pytest.raises(ValueError, match="eigenvalues must be positive"):
        gridlib.tuned_parameters([])
    with pytest.raises(TypeError, match="eigenvalues must be real numbers"):
        gridlib.tuned_parameters([1.0, 2j])
