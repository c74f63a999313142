"""gridlib.theory against brute force: every batch enumerated, or seeded Monte-Carlo."""

import itertools

import numpy as np
import pytest

import gridlib
from gridlib import LeastSquares, design_matrix, post_data
from gridlib.theory import gradient_cov_theory, minima_cov_theory


def _data(n, seed):
    x, y = post_data(n, seed=seed)
    return design_matrix(x), y


def _population_cov(A):
    """Covariance (divide by the count) of the rows of A: every batch equally likely."""
    D = A - A.mean(axis=0)
    return D.T @ D / len(A)


def _all_batches(n, batch_size):
    return [list(b) for b in itertools.combinations(range(n), batch_size)]


@pytest.mark.parametrize(
    "n, batch_size, w",
    [(8, 3, [1.0, 2.0]), (9, 1, [-2.0, 5.0]), (7, 7, [0.5, 0.0]), (10, 4, [3.5, 7.0])],
)
def test_gradient_cov_matches_enumeration_of_every_batch(n, batch_size, w):
    X, y = _data(n, seed=n)
    w = np.array(w)
    grads = np.array(
        [2.0 / batch_size * X[b].T @ (X[b] @ w - y[b]) for b in _all_batches(n, batch_size)]
    )
    expected = _population_cov(grads)
    got = gradient_cov_theory(X, y, w, batch_size)
    assert got.shape == (2, 2)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10 * np.abs(expected).max())


def test_gradient_cov_in_three_dimensions():
    rng = np.random.default_rng(5)
    X, y, w = rng.normal(size=(7, 3)), rng.normal(size=7), rng.normal(size=3)
    grads = np.array([2.0 / 3 * X[b].T @ (X[b] @ w - y[b]) for b in _all_batches(7, 3)])
    np.testing.assert_allclose(gradient_cov_theory(X, y, w, 3), _population_cov(grads), rtol=1e-10)


@pytest.mark.parametrize("n, batch_size", [(9, 3), (10, 5), (8, 7)])
def test_minima_cov_is_the_exact_covariance_of_the_first_order_term(n, batch_size):
    """w_B - w* ~ (N/B) (X^T X)^-1 sum_{i in B} z_i: its covariance over every batch is the formula."""
    X, y = _data(n, seed=n + 1)
    w = LeastSquares(X, y).minimizer
    Z = X * (y - X @ w)[:, None]
    inv = np.linalg.inv(X.T @ X)
    linear = np.array(
        [n / batch_size * inv @ Z[b].sum(axis=0) for b in _all_batches(n, batch_size)]
    )
    expected = _population_cov(linear)
    np.testing.assert_allclose(minima_cov_theory(X, y, batch_size), expected, rtol=1e-9)


def test_minima_cov_predicts_the_cloud_of_batch_minima():
    """Seeded Monte-Carlo: 4000 batches of 150 of 200 points; first order holds to a few %."""
    X, y = _data(200, seed=3)
    rng = np.random.default_rng(12)
    minima = []
    for _ in range(4000):
        b = rng.choice(200, size=150, replace=False)
        minima.append(np.linalg.lstsq(X[b], y[b], rcond=None)[0])
    empirical = np.cov(np.array(minima).T, bias=True)
    theory = minima_cov_theory(X, y, 150)
    # Standard error of a variance from 4000 draws is about sqrt(2/4000) = 2.2 %.
    np.testing.assert_allclose(np.diag(empirical), np.diag(theory), rtol=0.1)
    corr_emp = empirical[0, 1] / np.sqrt(empirical[0, 0] * empirical[1, 1])
    corr_theory = theory[0, 1] / np.sqrt(theory[0, 0] * theory[1, 1])
    assert abs(corr_emp - corr_theory) < 0.05


def test_full_batch_has_zero_covariance():
    X, y = _data(6, seed=1)
    assert np.all(minima_cov_theory(X, y, 6) == 0.0)
    assert np.all(gradient_cov_theory(X, y, [1.0, 1.0], 6) == 0.0)


def test_single_sample_full_batch_is_defined():
    assert np.all(gradient_cov_theory([[1.0, 2.0]], [3.0], [0.0, 0.0], 1) == 0.0)


def test_exported_from_gridlib():
    assert gridlib.minima_cov_theory is minima_cov_theory
    assert gridlib.gradient_cov_theory is gradient_cov_theory
    assert {"minima_cov_theory", "gradient_cov_theory"} <= set(gridlib.__all__)


@pytest.mark.parametrize(
    "batch_size, exc, match",
    [
        (0, ValueError, "batch_size"),
        (7, ValueError, "at most"),
        (2.5, TypeError, "batch_size"),
        (True, TypeError, "batch_size"),
    ],
)
def test_bad_batch_size(batch_size, exc, match):
    X, y = _data(6, seed=1)
    with pytest.raises(exc, match=match):
        minima_cov_theory(X, y, batch_size)
    with pytest.raises(exc, match=match):
        gradient_cov_theory(X, y, [0.0, 0.0], batch_size)


def test_bad_inputs():
    X, y = _data(6, seed=1)
    with pytest.raises(ValueError, match=r"w must have shape \(2,\)"):
        gradient_cov_theory(X, y, [0.0, 0.0, 0.0], 2)
    with pytest.raises(ValueError, match="full column rank"):
        minima_cov_theory(np.ones((5, 2)), np.arange(5.0), 2)
    with pytest.raises(ValueError, match="rows but y has"):
        minima_cov_theory(X, y[:-1], 2)
    with pytest.raises(TypeError, match="complex"):
        gradient_cov_theory(X.astype(complex), y, [0.0, 0.0], 2)
