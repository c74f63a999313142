"""Search a parameter box for a good starting point: coarse-to-fine grids, random and Sobol points.

Every function evaluates a batched loss, ``(n_points, n_params) -> (n_points,)``, on
whole arrays of points (no Python loop over points). Lesson 03 derives each of them
before relying on it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import (
    DEFAULT_CHUNK,
    MAX_BYTES,
    as_data,
    as_grid,
    as_points,
    as_real,
    as_rng,
    check_loss_output,
    check_size,
    positive_int,
)
from .evaluation import evaluate
from .grid import Grid, ResolutionError
from .minima import argmin

BatchedLoss = Callable[[NDArray[np.float64]], ArrayLike]

__all__ = [
    "Refinement",
    "SearchResult",
    "coarse_to_fine",
    "profile_bias",
    "random_search",
    "sobol_points",
    "sobol_search",
]


class Refinement(NamedTuple):
    """Result of :func:`coarse_to_fine` (unpacks as a 4-tuple)."""

    point: NDArray[np.float64]  #: (n_params,) best point found at any level
    value: float  #: its loss
    n_evaluations: int  #: loss evaluations over all levels
    grids: list[Grid]  #: the grid of each level, coarsest first


class SearchResult(NamedTuple):
    """Result of :func:`random_search` / :func:`sobol_search`."""

    point: NDArray[np.float64]  #: (n_params,) best point
    value: float  #: its loss
    points: NDArray[np.float64]  #: (n, n_params) every point evaluated, in draw order
    values: NDArray[np.float64]  #: (n,) their losses


def _check_loss(loss) -> None:
    if not callable(loss):
        raise TypeError(
            f"loss must be a callable (n_points, n_params) -> (n_points,), got {type(loss).__name__}"
        )


def coarse_to_fine(
    loss: BatchedLoss,
    grid: Grid,
    levels: int,
    num: int | None = None,
    *,
    chunk_size: int = DEFAULT_CHUNK,
) -> Refinement:
    """Grid search refined by zooming: evaluate, move to the best cell, repeat.

    Level 1 evaluates ``grid``; each later level evaluates ``grid.zoom(best_index, num)``,
    a grid of ``num`` points per axis spanning one step of the previous grid either side
    of its best point. One level shrinks the step by ``(num - 1) / 2``.

    Parameters
    ----------
    loss : callable, (n_points, n_params) -> (n_points,)
        Batched loss (a :class:`gridlib.LeastSquares` uses its fast grid path).
    grid : Grid
        The coarse grid (level 1).
    levels : int
        Number of grids evaluated (``levels >= 1``; ``1`` is a plain grid search).
    num : int, optional
        Points per axis of the refined grids (default: the coarse grid's count per axis,
        made odd so the previous best point is on the new grid).
    chunk_size : int
        Points per call of ``loss`` (see :func:`gridlib.evaluate`).

    Returns
    -------
    Refinement
        ``(point (n_params,), value, n_evaluations, grids)``: the best point seen at any
        level, its loss, the total number of loss evaluations and the evaluated grids.

    Warns
    -----
    RuntimeWarning
        When the next grid's step would be below float64 resolution around the best
        point: refining stops there and ``len(grids) < levels`` tells how far it went.

    Notes
    -----
    Cost: ``grid.size + (levels - 1) * num ** n_params`` evaluations, against
    ``(G_final) ** n_params`` for one grid of the same final step. Like any local
    refinement it can zoom into the wrong basin if the coarse grid misses the best one.

    Examples
    --------
    >>> g = Grid.cube([0.0, 0.0], 1.0, 5)
    >>> res = coarse_to_fine(lambda P: ((P - [0.3, -0.6]) ** 2).sum(axis=1), g, levels=4)
    >>> res.point.round(4), res.n_evaluations, [round(float(s[0]), 4) for s in (h.spacing for h in res.grids)]
    (array([ 0.3125, -0.625 ]), 100, [0.5, 0.25, 0.125, 0.0625])
    """
    _check_loss(loss)
    grid = as_grid(grid)
    levels = positive_int(levels, "levels")
    chunk_size = positive_int(chunk_size, "chunk_size")
    if num is not None:
        num = positive_int(num, "num")
        if num < 2:
            raise ValueError(f"num must be at least 2 points per axis to refine, got {num}")
    grids, n_eval = [grid], 0
    best_p, best_v = None, np.inf
    g = grid
    for level in range(levels):  # a loop over levels, never over points
        values = evaluate(loss, g, chunk_size=chunk_size)
        n_eval += g.size
        idx = argmin(values)
        if values[idx] < best_v or best_p is None:
            best_p, best_v = g.point(idx), float(values[idx])
        if level + 1 < levels:
            try:
                g = g.zoom(idx, num=num)
            except ResolutionError as exc:
                warnings.warn(
                    f"coarse_to_fine stopped after level {level + 1} of {levels}: {exc}; "
                    "returning the best point found so far",
                    RuntimeWarning,
                    stacklevel=2,
                )
                break
            grids.append(g)
    assert best_p is not None  # levels >= 1: level 1 always sets it
    return Refinement(best_p, best_v, n_eval, grids)


def _box(lower: ArrayLike, upper: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    lo = np.atleast_1d(as_real(lower, "lower"))
    hi = np.atleast_1d(as_real(upper, "upper"))
    if lo.ndim != 1 or hi.shape != lo.shape:
        raise ValueError(
            f"lower and upper must be 1-D arrays of the same shape (n_params,), got {lo.shape} and {hi.shape}"
        )
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        raise ValueError("lower and upper must be finite")
    if not np.all(hi > lo):
        raise ValueError(
            f"upper must be greater than lower on every axis, got lower={lo}, upper={hi}"
        )
    return lo, hi


def _check_points_bytes(n: int, n_params: int, max_bytes: int) -> None:
    """Refuse an ``(n, n_params)`` float array above ``max_bytes`` before drawing it."""
    check_size(
        8.0 * n * n_params,
        f"{n:,} points in {n_params} dimensions",
        positive_int(max_bytes, "max_bytes"),
        "max_bytes",
        " bytes",
        "use fewer points (n), or raise max_bytes if the memory exists",
    )


def _best(loss: BatchedLoss, points: NDArray[np.float64]) -> SearchResult:
    values = check_loss_output(loss(points), points.shape[0])
    if np.all(np.isnan(values)):
        raise ValueError("every loss value was NaN; no best point exists")
    i = argmin(values)[0]  # NaN never wins; ties go to the first point drawn
    return SearchResult(points[i].copy(), float(values[i]), points, values)


def random_search(
    loss: BatchedLoss,
    lower: ArrayLike,
    upper: ArrayLike,
    n: int,
    rng: np.random.Generator | int | None,
    *,
    max_bytes: int = MAX_BYTES,
) -> SearchResult:
    """Evaluate ``n`` points drawn uniformly in the box ``[lower, upper]``; keep the best.

    Parameters
    ----------
    loss : callable, (n_points, n_params) -> (n_points,)
    lower, upper : array, shape (n_params,)
        Corners of the box (``upper > lower`` on every axis).
    n : int
        Number of points (the budget of loss evaluations).
    rng : numpy.random.Generator, int or None
        The generator, or a seed for ``np.random.default_rng`` (None: fresh entropy,
        not reproducible).
    max_bytes : int
        Largest points array allowed (``8 * n * n_params`` bytes, default 2 GiB); a bigger
        ``n`` is refused before anything is drawn.

    Returns
    -------
    SearchResult
        ``(point (n_params,), value, points (n, n_params), values (n,))``.

    Notes
    -----
    One call of ``loss`` on an ``(n, n_params)`` array: memory grows with ``n``.

    Examples
    --------
    >>> res = random_search(lambda P: (P ** 2).sum(axis=1), [-1, -1], [1, 1], 1000, rng=0)
    >>> res.points.shape, bool(res.value < 0.01)
    ((1000, 2), True)
    """
    _check_loss(loss)
    lo, hi = _box(lower, upper)
    n = positive_int(n, "n")
    rng = as_rng(rng, "rng")
    _check_points_bytes(n, lo.size, max_bytes)
    points = lo + (hi - lo) * rng.random((n, lo.size))
    return _best(loss, points)


def sobol_points(
    n: int,
    lower: ArrayLike,
    upper: ArrayLike,
    seed: np.random.Generator | int | None,
    *,
    max_bytes: int = MAX_BYTES,
) -> NDArray[np.float64]:
    """The first ``n`` points of a scrambled, seeded Sobol sequence scaled to ``[lower, upper]``.

    Draws ``2**m >= n`` points with ``random_base2(m)`` and keeps the first ``n``: for
    ``n`` a power of 2 that is the balanced net; otherwise a prefix of the sequence
    (still low-discrepancy, not perfectly balanced), without scipy's warning.
    ``seed`` (an int, a Generator or None) drives the scrambling.

    Examples
    --------
    >>> sobol_points(4, [0, 0], [1, 1], seed=0).shape
    (4, 2)
    """
    from scipy.stats import qmc

    lo, hi = _box(lower, upper)
    n = positive_int(n, "n")
    rng = as_rng(seed, "seed")
    m = int(np.ceil(np.log2(n))) if n > 1 else 0
    _check_points_bytes(2**m, lo.size, max_bytes)
    try:
        sobol = qmc.Sobol(d=lo.size, scramble=True, rng=rng)
    except TypeError:  # scipy < 1.15 names the generator `seed`
        sobol = qmc.Sobol(d=lo.size, scramble=True, seed=rng)
    unit = sobol.random_base2(m)[:n]
    return lo + (hi - lo) * unit


def sobol_search(
    loss: BatchedLoss,
    lower: ArrayLike,
    upper: ArrayLike,
    n: int,
    seed: np.random.Generator | int | None,
    *,
    max_bytes: int = MAX_BYTES,
) -> SearchResult:
    """Evaluate the first ``n`` points of a scrambled Sobol sequence in ``[lower, upper]``; keep the best.

    Parameters
    ----------
    loss : callable, (n_points, n_params) -> (n_points,)
    lower, upper : array, shape (n_params,)
    n : int
        Budget of loss evaluations. A power of 2 gives a balanced Sobol net; any other
        ``n`` takes the first ``n`` points of the next power of 2 (see :func:`sobol_points`).
    seed : int, numpy.random.Generator or None
        Seed of the scrambling (``scipy.stats.qmc.Sobol(..., rng=default_rng(seed))``).

    Returns
    -------
    SearchResult
        ``(point (n_params,), value, points (n, n_params), values (n,))``.

    Examples
    --------
    >>> res = sobol_search(lambda P: (P ** 2).sum(axis=1), [-1, -1], [1, 1], 1024, seed=0)
    >>> res.points.shape, bool(res.value < 0.01)
    ((1024, 2), True)
    """
    _check_loss(loss)
    return _best(loss, sobol_points(n, lower, upper, seed, max_bytes=max_bytes))


def profile_bias(W: ArrayLike, X: ArrayLike, y: ArrayLike) -> NDArray[np.float64]:
    """Best bias of ``y ≈ X w + b`` for every weight vector: ``b*(w) = mean(y - X w)``.

    Setting ``d/db sum_i (y_i - x_i.w - b)^2 = 0`` gives the mean residual; it is the
    exact minimizer over ``b`` for each fixed ``w``, so a grid need not cover the bias.

    Parameters
    ----------
    W : array, shape (n_points, n_weights)
        Weight vectors (the bias excluded).
    X : array, shape (n_samples, n_weights)
        Inputs, without a column of ones.
    y : array, shape (n_samples,)

    Returns
    -------
    b : ndarray, shape (n_points,)

    Notes
    -----
    Cost: ``n_weights`` multiply-adds per point (``mean(y) - W @ mean(X)``), whatever
    ``n_samples``.

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([1.0, 3.0, 5.0])
    >>> profile_bias([[2.0], [0.0]], X, y)
    array([1., 3.])
    """
    X, y = as_data(X, y)
    W = as_points(W, X.shape[1], "W")
    return y.mean() - W @ X.mean(axis=0)
