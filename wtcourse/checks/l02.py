"""Self-checks for lesson 02 · Batch minima vs full-data minima.

Every reference is computed at check time with gridlib (or by brute-force
enumeration), never stored.
"""
from __future__ import annotations

import itertools

import numpy as np

from gridlib import LeastSquares, batch_indices, design_matrix, post_data
from wtcourse.checking import (NotAttempted, call, exercise, expect_choice, expect_close,
                                     expect_equal, expect_shape)

__all__ = ["e2_1", "e2_2", "e2_3", "e2_4", "e2_5", "gradient_cov_theory", "minima_cov_theory"]


def _data(n: int = 45, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    x, y = post_data(n, seed=seed)
    return design_matrix(x), y


def minima_cov_theory(X: np.ndarray, y: np.ndarray, batch_size: int) -> np.ndarray:
    """First-order covariance (2, 2) of the batch least-squares minimizer around the full one.

    ``(N/B) (N-B)/(N-1) (X^T X)^-1 Z^T Z (X^T X)^-1`` with ``z_i = x_i r_i`` and ``r`` the
    full-data residuals (batches of size ``B`` drawn without replacement from ``N`` rows).

    Examples
    --------
    >>> X, y = _data()
    >>> bool(np.allclose(minima_cov_theory(X, y, 45), 0.0))
    True
    """
    N = len(y)
    w = LeastSquares(X, y).minimizer
    Z = X * (y - X @ w)[:, None]
    inv = np.linalg.inv(X.T @ X)
    return (N / batch_size) * (N - batch_size) / (N - 1) * inv @ (Z.T @ Z) @ inv


def gradient_cov_theory(X: np.ndarray, y: np.ndarray, w: np.ndarray, batch_size: int) -> np.ndarray:
    """Exact covariance (2, 2) of the mean-loss batch gradient at ``w`` over batches drawn without replacement.

    The lesson's reference for exercise 2.4 (narrative cells use it, never the learner's answer).

    Examples
    --------
    >>> X, y = _data()
    >>> bool(np.allclose(gradient_cov_theory(X, y, np.zeros(2), 45), 0.0))
    True
    """
    N = len(y)
    G = 2.0 * X * (X @ w - y)[:, None]
    D = G - G.mean(axis=0)
    return (D.T @ D / N) / batch_size * (N - batch_size) / (N - 1)


@exercise("2.1")
def e2_1(batch_minimizer):
    """Check ``batch_minimizer(X_B, y_B) -> (2,)`` against LeastSquares on several batches."""
    X, y = _data()
    rng = np.random.default_rng(21)
    for batch_size in (2, 5, 20, 45):
        idx = batch_indices(len(y), batch_size, rng)
        got = call(batch_minimizer, X[idx].copy(), y[idx].copy())
        expect_shape(got, (2,), "batch_minimizer(X_B, y_B)")
        expect_close(got, LeastSquares(X[idx], y[idx]).minimizer, "batch_minimizer(X_B, y_B)",
                     rtol=1e-7, atol=1e-7,
                     hint=f"(tested on the {batch_size}-point batch {idx.tolist()}) solve the 2x2 system "
                          "(X_B^T X_B) w = X_B^T y_B with np.linalg.solve.")


@exercise("2.2")
def e2_2(batch_minima):
    """Check ``batch_minima(X, y, batches) -> (n_batches, 2)`` for integer batches (n_batches, B)."""
    X, y = _data()
    rng = np.random.default_rng(22)
    for batch_size, n_batches in ((3, 7), (10, 50)):
        batches = np.stack([batch_indices(len(y), batch_size, rng) for _ in range(n_batches)])
        got = call(batch_minima, X, y, batches.copy())
        expect_shape(got, (n_batches, 2), f"batch_minima(X, y, batches) with batches of shape {batches.shape}")
        expected = np.array([LeastSquares(X[b], y[b]).minimizer for b in batches])
        expect_close(got, expected, "batch_minima(X, y, batches)", rtol=1e-7, atol=1e-7,
                     hint=f"(tested with batches of size {batch_size}) X[batches] has shape (n_batches, B, 2); build the stacked (n_batches, 2, 2) "
                          "matrices X_B^T X_B and (n_batches, 2) vectors X_B^T y_B with einsum, then "
                          "np.linalg.solve(A, b[..., None])[..., 0].")


_CHOICES_2_3 = {
    "a": "Batch size alone does not decide it: for every B < N some batches miss the full-data "
         "minimum (look at the cloud for B = 20), and B = N always hits it.",
    "b": "Both surfaces are quadratic bowls whatever the batch, but bowls can have different centres: "
         "being a bowl says nothing about where the bottom is.",
    "c": "Yes. The batch minimum solves X_B^T (y_B - X_B w) = 0; the full minimum w* solves it exactly "
         "when the full-data residuals on the batch are orthogonal to the batch's columns, "
         "X_B^T r_B = 0 (always true for B = N).",
    "d": "Drawing without replacement only avoids repeated points; a batch of distinct points still "
         "has its own minimum (every point of the clouds was drawn without replacement).",
}


@exercise("2.3")
def e2_3(answer):
    """Multiple choice: when does a batch minimum coincide with the full-data minimum?"""
    return expect_choice(answer, "c", _CHOICES_2_3, "answer_2_3")


def _enumerated_cov(X: np.ndarray, y: np.ndarray, w: np.ndarray, batch_size: int) -> np.ndarray:
    """Covariance of the mean-loss batch gradient over every batch (brute force)."""
    grads = []
    for b in itertools.combinations(range(len(y)), batch_size):
        b = list(b)
        grads.append(2.0 / batch_size * X[b].T @ (X[b] @ w - y[b]))
    G = np.array(grads)
    D = G - G.mean(axis=0)
    return D.T @ D / len(G)


@exercise("2.4")
def e2_4(batch_gradient_cov):
    """Check the exact covariance of the batch gradient against enumeration of all batches."""
    cases = [(8, 3, np.array([1.0, 2.0])), (9, 1, np.array([-2.0, 5.0])), (7, 7, np.array([0.5, 0.0])),
             (10, 4, np.array([3.5, 7.0]))]
    for n, batch_size, w in cases:
        X, y = _data(n, seed=n)
        got = call(batch_gradient_cov, X.copy(), y.copy(), w.copy(), batch_size)
        expect_shape(got, (2, 2), f"batch_gradient_cov(X, y, w, {batch_size}) with {n} samples")
        expected = _enumerated_cov(X, y, w, batch_size)
        scale = max(1.0, float(np.abs(expected).max()))
        expect_close(got, expected, "batch_gradient_cov(X, y, w, batch_size)", rtol=1e-7,
                     atol=1e-9 * scale,
                     hint=f"(tested with N={n} samples, B={batch_size}) per-sample gradients g_i = 2 x_i (x_i . w - y_i); their population covariance "
                          "S = mean of (g_i - g)(g_i - g)^T (divide by N, not N - 1); then "
                          "Cov = S / B * (N - B) / (N - 1).")


@exercise("2.5")
def e2_5(smallest_batch_size):
    """Check ``smallest_batch_size(X, y, target) -> int`` against a scan of the first-order theory."""
    X, y = _data()
    N = len(y)
    sizes = np.arange(2, N + 1)           # below 2 points a batch has no unique minimum
    sds = np.array([np.sqrt(minima_cov_theory(X, y, b)[1, 1]) for b in sizes])
    for target in (3.0, 2.0, 1.0, 0.5, 0.25):
        got = call(smallest_batch_size, X, y, target)
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, np.integer)):
            raise AssertionError(f"smallest_batch_size should return an int, got {type(got).__name__}")
        expected = int(sizes[np.argmax(sds <= target)])
        expect_equal(int(got), expected, f"smallest_batch_size(X, y, target={target:.3g})",
                     hint="scan B = 2 ... N and keep the first B whose predicted intercept standard "
                          "deviation sqrt(minima_cov_theory(X, y, B)[1, 1]) is at most the target.")
    return "the theory's prediction is what you would plan with; the simulation below checks it."
