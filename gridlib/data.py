"""Seeded data generators: the blog post's dummy regression data and its batch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import MAX_BYTES, as_real, as_rng, check_size, positive_int
from .grid import Grid

#: The parameters that generate the post's data: slope w1 and intercept w2.
TRUE_PARAMS = np.array([3.5, 7.0])


def post_data(
    n: int = 45,
    *,
    seed: np.random.Generator | int | None = 3,
    slope: float = 3.5,
    intercept: float = 7.0,
    noise: float = 6.0,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The post's data: ``x`` evenly spaced on [0, 10], ``y = slope*x + intercept + (U + Z) * noise``.

    ``U ~ Uniform[0, 1)`` and ``Z ~ Normal(0, 1)`` are drawn from
    ``np.random.default_rng(seed)`` (U first). The noise has mean ``noise / 2``
    (3 by default), so the least-squares intercept sits near ``intercept + 3``.
    The default ``seed=3`` is the course's data set: its 5-point batch lands close to
    the full-data minimum, as in the post (lesson 02 measures how often that happens).

    Returns
    -------
    x, y : ndarray, shape (n,)

    Examples
    --------
    >>> x, y = post_data()
    >>> x.shape, y.shape
    ((45,), (45,))
    >>> bool(np.all(post_data(seed=3)[1] == y))
    True
    """
    n = positive_int(n, "n")
    check_size(16.0 * n, f"post_data(n={n:,})", MAX_BYTES, "MAX_BYTES", " bytes")
    rng = as_rng(seed, "seed")
    x = np.linspace(0.0, 10.0, n)
    y = slope * x + intercept + (rng.random(n) + rng.standard_normal(n)) * noise
    return x, y


def design_matrix(x: ArrayLike) -> NDArray[np.float64]:
    """``X = [x, 1]``, shape (n, 2): the model ``f(X, w) = X @ w = w1 * x + w2``.

    Examples
    --------
    >>> design_matrix([0.0, 2.0])
    array([[0., 1.],
           [2., 1.]])
    """
    x = as_real(x, "x")
    if x.ndim != 1:
        raise ValueError(f"x must have shape (n,), got shape {x.shape}")
    return np.column_stack([x, np.ones_like(x)])


def batch_indices(
    n: int, batch_size: int, rng: np.random.Generator | int | None
) -> NDArray[np.intp]:
    """``batch_size`` distinct indices in ``range(n)``, sorted (a batch drawn without replacement).

    ``rng`` is a numpy Generator (its state advances), an integer seed, or None (fresh
    entropy, not reproducible).

    Examples
    --------
    >>> batch_indices(10, 3, rng=0)
    array([5, 6, 9])
    """
    n, batch_size = positive_int(n, "n"), positive_int(batch_size, "batch_size")
    if batch_size > n:
        raise ValueError(f"batch_size must be at most n={n}, got {batch_size}")
    rng = as_rng(rng, "rng")
    return np.sort(rng.choice(n, size=batch_size, replace=False))


def post_grid() -> Grid:
    """The post's grid: w1 in [-10, 10] and w2 in [-50, 50], step 0.2 (101 x 501 points)."""
    return Grid.arange(w1=(-10.0, 10.0, 0.2), w2=(-50.0, 50.0, 0.2))


@dataclass(frozen=True)
class PostExample:
    """Everything the post sets up, in one seeded object."""

    x: NDArray[np.float64]
    y: NDArray[np.float64]
    X: NDArray[np.float64]
    batch: NDArray[np.intp]
    X_batch: NDArray[np.float64]
    y_batch: NDArray[np.float64]
    grid: Grid
    true_params: NDArray[np.float64]


def post_example(seed: int = 3, batch_size: int = 5) -> PostExample:
    """The post's 45 points, its ``batch_size``-point batch (drawn with ``seed + 1``) and grid.

    Examples
    --------
    >>> ex = post_example()
    >>> ex.X.shape, ex.X_batch.shape, ex.grid.shape
    ((45, 2), (5, 2), (101, 501))
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
    x, y = post_data(seed=seed)
    X = design_matrix(x)
    batch = batch_indices(len(x), batch_size, np.random.default_rng(seed + 1))
    return PostExample(x, y, X, batch, X[batch], y[batch], post_grid(), TRUE_PARAMS.copy())
