"""Teaching references: closed-form covariances of batch minima and batch gradients.

Lesson 02 compares the clouds of batch minima and batch gradients it samples with
these formulas; its checks use them as the reference answers. Batches are drawn
without replacement, ``B`` of the ``N`` rows, every batch equally likely.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import as_data, as_vector, positive_int
from .losses import LeastSquares

__all__ = ["gradient_cov_theory", "minima_cov_theory"]


def _batch_size(batch_size: int, n_samples: int) -> int:
    """Return ``batch_size`` as an int in ``1..n_samples``."""
    batch_size = positive_int(batch_size, "batch_size")
    if batch_size > n_samples:
        raise ValueError(
            f"batch_size must be at most the number of samples ({n_samples}), got {batch_size}"
        )
    return batch_size


def _finite_population(n_samples: int, batch_size: int) -> float:
    """The finite-population correction ``(N - B) / (N - 1)`` (0 when ``B = N``)."""
    if batch_size == n_samples:
        return 0.0
    return (n_samples - batch_size) / (n_samples - 1)


def minima_cov_theory(X: ArrayLike, y: ArrayLike, batch_size: int) -> NDArray[np.float64]:
    """First-order covariance of the batch least-squares minimizer around the full one.

    ``(N/B) (N-B)/(N-1) (X^T X)^-1 Z^T Z (X^T X)^-1`` with ``z_i = x_i r_i`` and ``r`` the
    full-data residuals at the full-data minimizer ``w*``.

    Parameters
    ----------
    X : array, shape (n_samples, n_params)
        Design matrix of full column rank.
    y : array, shape (n_samples,)
    batch_size : int
        ``B``, between 1 and ``n_samples``.

    Returns
    -------
    cov : ndarray, shape (n_params, n_params)

    Notes
    -----
    First order in the batch's deviation: ``w_B - w* ~ (N/B) (X^T X)^-1 sum_{i in B} z_i``.
    The covariance of that linear term over all batches is exactly the formula; the
    batch minimizers themselves approach it as ``B`` grows.

    Examples
    --------
    >>> X = np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [3.0, 1.0]])
    >>> y = np.array([0.0, 2.0, 1.0, 3.0])
    >>> minima_cov_theory(X, y, 2).round(4)
    array([[ 0.0432, -0.0648],
           [-0.0648,  0.2472]])
    >>> bool(np.allclose(minima_cov_theory(X, y, 4), 0.0))
    True
    """
    X, y = as_data(X, y)
    n, p = X.shape
    batch_size = _batch_size(batch_size, n)
    if np.linalg.matrix_rank(X) < p:
        raise ValueError(
            f"X must have full column rank ({p}) for a unique minimizer, "
            f"got rank {np.linalg.matrix_rank(X)}"
        )
    w = LeastSquares(X, y).minimizer
    Z = X * (y - X @ w)[:, None]
    inv = np.linalg.inv(X.T @ X)
    return (n / batch_size) * _finite_population(n, batch_size) * inv @ (Z.T @ Z) @ inv


def gradient_cov_theory(
    X: ArrayLike, y: ArrayLike, w: ArrayLike, batch_size: int
) -> NDArray[np.float64]:
    """Exact covariance of the mean-loss batch gradient at ``w`` over all batches.

    The batch loss is ``(1/B) sum_{i in B} (x_i . w - y_i)^2``; its gradient averages the
    per-sample gradients ``g_i = 2 x_i (x_i . w - y_i)``. With ``S`` their population
    covariance (divided by ``N``), sampling without replacement gives
    ``Cov = S / B * (N - B) / (N - 1)``.

    Parameters
    ----------
    X : array, shape (n_samples, n_params)
    y : array, shape (n_samples,)
    w : array, shape (n_params,)
    batch_size : int
        ``B``, between 1 and ``n_samples``.

    Returns
    -------
    cov : ndarray, shape (n_params, n_params)

    Examples
    --------
    >>> X = np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [3.0, 1.0]])
    >>> y = np.array([0.0, 2.0, 1.0, 3.0])
    >>> gradient_cov_theory(X, y, [1.0, 0.0], 2).round(4)
    array([[1.5833, 1.    ],
           [1.    , 0.6667]])
    >>> bool(np.allclose(gradient_cov_theory(X, y, [1.0, 0.0], 4), 0.0))
    True
    """
    X, y = as_data(X, y)
    n, p = X.shape
    w = as_vector(w, p, "w")
    batch_size = _batch_size(batch_size, n)
    G = 2.0 * X * (X @ w - y)[:, None]
    D = G - G.mean(axis=0)
    return (D.T @ D / n) / batch_size * _finite_population(n, batch_size)
