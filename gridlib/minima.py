"""Minima of gridded values: the best point, and every local minimum in any dimension.

Conventions shared with :func:`gridlib.top_k` and ``scipy.optimize.brute``: NaN never
wins, ``-inf`` is a legitimate (lowest) value, and ties go to the point that comes
first in C order (row-major flat index).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import as_grid, as_real, positive_int
from .grid import Grid

__all__ = ["LocalMinima", "argmin", "best_point", "local_minima"]


def argmin(values: ArrayLike) -> tuple[int, ...]:
    """Multi-index of the smallest value, ignoring NaN (which never wins).

    Ties go to the first in C order; ``-inf`` is the smallest value.

    Parameters
    ----------
    values : array, any shape

    Returns
    -------
    index : tuple of int, one per axis of ``values``

    Examples
    --------
    >>> argmin([[3.0, np.nan], [1.0, 2.0]])
    (1, 0)
    >>> argmin([[0.0, -1.0], [-1.0, 0.0]])
    (0, 1)
    """
    v = as_real(values, "values")
    if v.size == 0:
        raise ValueError(f"values are empty (shape {v.shape}); expected a gridded array")
    nan = np.isnan(v)
    if nan.all():
        raise ValueError("every value is NaN; no minimum exists")
    flat = int(np.argmin(np.where(nan, np.inf, v)))  # np.argmin returns the first minimum
    if nan.flat[flat]:  # only +inf and NaN: the first +inf, not a NaN
        flat = int(np.flatnonzero(~nan)[0])
    return tuple(int(i) for i in np.unravel_index(flat, v.shape))


def best_point(grid: Grid, values: ArrayLike) -> tuple[NDArray[np.float64], float]:
    """The grid point with the smallest value and that value (NaN never wins).

    Parameters
    ----------
    grid : Grid
    values : array, shape ``grid.shape``

    Returns
    -------
    point : ndarray, shape (n_params,)
    value : float

    Examples
    --------
    >>> g = Grid.linspace(a=(-1, 1, 3), b=(0, 2, 3))
    >>> best_point(g, [[1.0, 2.0, 5.0], [0.0, 1.0, 4.0], [1.0, 2.0, 5.0]])
    (array([0., 0.]), 0.0)
    """
    grid = as_grid(grid)
    v = _as_grid_values(grid, values)
    idx = argmin(v)
    return grid.point(idx), float(v[idx])


class LocalMinima(NamedTuple):
    """Local minima of gridded values, best first."""

    indices: NDArray[np.intp]  #: (m, ndim) multi-indices
    values: NDArray[np.float64]  #: (m,)


def local_minima(values: ArrayLike, k: int | None = None) -> LocalMinima:
    """Grid points no higher than any of their ``3^D - 1`` neighbours (diagonals included).

    A point is a local minimum when its value is ``<=`` every neighbour and ``<`` every
    neighbour that comes *earlier* in C order. So a flat pair or a flat run yields one
    minimum, its first point in C order, and the result is deterministic. Edges are not
    periodic: a point on the boundary compares with the neighbours that exist. NaN and
    ``+inf`` are never minima (NaN counts as ``+inf`` for its neighbours); ``-inf`` is.

    Parameters
    ----------
    values : array, any number of dimensions
    k : int, optional
        Return at most the ``k`` lowest.

    Returns
    -------
    LocalMinima
        ``indices`` (m, ndim) and ``values`` (m,), sorted by value, ties by C order.

    Notes
    -----
    Vectorized: ``2 D`` sliding minima and comparisons over the whole array, so the cost
    is ``O(D * size)`` time and a few copies of ``values`` in memory, not ``3^D``.

    Examples
    --------
    >>> v = np.array([3.0, 1.0, 2.0, 0.5, 4.0])
    >>> local_minima(v)
    LocalMinima(indices=array([[3],
           [1]]), values=array([0.5, 1. ]))
    >>> local_minima([1.0, -np.inf, 1.0]).indices.tolist()
    [[1]]
    """
    v = as_real(values, "values")
    if v.ndim == 0 or v.size == 0:
        raise ValueError(f"values must be a non-empty gridded array, got shape {v.shape}")
    if k is not None:
        k = positive_int(k, "k")
    w = np.where(np.isnan(v), np.inf, v)
    is_min = w < np.inf
    # box[d]: minimum over the trailing axes d+1.. in a window of 3 (the current point
    # included). The neighbours whose first non-zero offset is on axis d are exactly
    # box[d] shifted by -1 (earlier in C order) or +1 (later) along axis d.
    box = w
    for d in range(w.ndim - 1, -1, -1):
        is_min &= w < _shift(box, d, 1)  # value at x - e_d: earlier neighbours
        is_min &= w <= _shift(box, d, -1)  # value at x + e_d: later neighbours
        if d > 0:
            box = np.minimum(box, np.minimum(_shift(box, d, 1), _shift(box, d, -1)))
    idx = np.argwhere(is_min)
    vals = w[is_min]
    order = np.argsort(vals, kind="stable")[:k]
    return LocalMinima(idx[order], vals[order])


def _shift(a: NDArray[np.float64], axis: int, step: int) -> NDArray[np.float64]:
    """``out[x] = a[x - step * e_axis]``, ``+inf`` where that falls outside (step is +-1)."""
    out = np.full_like(a, np.inf)
    n = a.shape[axis]
    dst = [slice(None)] * a.ndim
    src = [slice(None)] * a.ndim
    dst[axis] = slice(step, n) if step > 0 else slice(0, n + step)
    src[axis] = slice(0, n - step) if step > 0 else slice(-step, n)
    out[tuple(dst)] = a[tuple(src)]
    return out


def _as_grid_values(grid: Grid, values: ArrayLike) -> NDArray[np.float64]:
    """Return ``values`` as floats shaped like ``grid``."""
    v = as_real(values, "values")
    if v.shape != grid.shape:
        raise ValueError(f"values must be shaped like the grid {grid.shape}, got shape {v.shape}")
    return v
