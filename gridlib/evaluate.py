"""Evaluate a batched loss over a grid, chunk by chunk; best points and local minima."""
from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import check_loss_output, positive_int
from .grid import Grid

BatchedLoss = Callable[[NDArray[np.float64]], ArrayLike]

#: Default chunk: 8 192 points per call of the loss (small enough to stay in cache).
CHUNK_SIZE = 8_192
#: Default cap on the result array of :func:`evaluate` (bytes): 2 GiB.
MAX_RESULT_BYTES = 2 * 1024**3


def evaluate(loss: BatchedLoss, grid: Grid, *, chunk_size: int = CHUNK_SIZE,
             max_bytes: int = MAX_RESULT_BYTES) -> NDArray[np.float64]:
    """Evaluate a batched loss at every grid point; the result is shaped like the grid.

    Parameters
    ----------
    loss : callable, (n_points, n_params) -> (n_points,)
        A batched loss. Objects with a ``grid_values(grid, chunk_size)`` method
        (such as :class:`gridlib.LeastSquares`) use that faster path.
    grid : Grid
    chunk_size : int
        Points per call; the extra memory is about ``chunk_size`` times what the loss
        needs per point (for a residual loss, ``8 * n_samples`` bytes).
    max_bytes : int
        Largest result array allowed, in bytes (8 per grid point).

    Returns
    -------
    values : ndarray, shape ``grid.shape``

    Notes
    -----
    Cost is ``grid.size`` loss evaluations, ``prod(G_k)``: exponential in the number of
    parameters. For grids whose values do not fit in memory use :func:`top_k`.

    Examples
    --------
    >>> g = Grid.linspace(a=(-1, 1, 3), b=(0, 2, 3))
    >>> evaluate(lambda P: (P ** 2).sum(axis=1), g)
    array([[1., 2., 5.],
           [0., 1., 4.],
           [1., 2., 5.]])
    """
    if not isinstance(grid, Grid):
        raise TypeError(f"grid must be a gridlib.Grid, got {type(grid).__name__}")
    if not callable(loss):
        raise TypeError(f"loss must be a callable (n_points, n_params) -> (n_points,), got {type(loss).__name__}")
    chunk_size = positive_int(chunk_size, "chunk_size")
    if grid.size * 8 > max_bytes:
        raise ValueError(
            f"the values of a {grid.size:,}-point grid need {grid.size * 8 / 1e9:.2f} GB, over "
            f"max_bytes={max_bytes:,}; use gridlib.top_k(loss, grid, k) to stream the best points instead"
        )
    if hasattr(loss, "grid_values"):
        return loss.grid_values(grid, chunk_size=chunk_size)
    out = np.empty(grid.size)
    for sl, pts in grid.chunks(chunk_size):
        out[sl] = check_loss_output(loss(pts), pts.shape[0])
    return out.reshape(grid.shape)


class TopK(NamedTuple):
    """The k best grid points, best first."""

    points: NDArray[np.float64]   #: (k, n_params)
    values: NDArray[np.float64]   #: (k,)
    indices: NDArray[np.intp]     #: (k, n_params) multi-indices into the grid


def top_k(loss: BatchedLoss, grid: Grid, k: int = 1, *, chunk_size: int = CHUNK_SIZE) -> TopK:
    """Stream the ``k`` lowest-loss points of a grid without storing its values.

    Memory stays at one chunk plus ``k`` candidates whatever the grid size.
    NaN losses never win.

    Examples
    --------
    >>> g = Grid.cube([0, 0, 0, 0], 1.0, 5)
    >>> best = top_k(lambda P: ((P - 0.5) ** 2).sum(axis=1), g, k=2, chunk_size=100)
    >>> best.points[0], float(best.values[0])
    (array([0.5, 0.5, 0.5, 0.5]), 0.0)
    """
    if not isinstance(grid, Grid):
        raise TypeError(f"grid must be a gridlib.Grid, got {type(grid).__name__}")
    k = min(positive_int(k, "k"), grid.size)
    chunk_size = positive_int(chunk_size, "chunk_size")
    best_v = np.empty(0)
    best_i = np.empty(0, dtype=np.intp)
    for sl, pts in grid.chunks(chunk_size):
        v = check_loss_output(loss(pts), pts.shape[0])
        v = np.where(np.isnan(v), np.inf, v)
        cand_v = np.concatenate([best_v, v])
        cand_i = np.concatenate([best_i, np.arange(sl.start, sl.stop)])
        if cand_v.size > k:
            keep = np.argpartition(cand_v, k - 1)[:k]
            cand_v, cand_i = cand_v[keep], cand_i[keep]
        best_v, best_i = cand_v, cand_i
    order = np.lexsort((best_i, best_v))
    best_v, best_i = best_v[order], best_i[order]
    if np.all(np.isinf(best_v)) and np.all(best_v > 0):
        raise ValueError("every loss value was NaN or +inf; no best point exists")
    multi = np.stack(np.unravel_index(best_i, grid.shape), axis=1)
    return TopK(grid.points_at(multi), best_v, multi)


def argmin(values: ArrayLike) -> tuple[int, ...]:
    """Multi-index of the smallest value, ignoring NaN (which never wins).

    Examples
    --------
    >>> argmin([[3.0, np.nan], [1.0, 2.0]])
    (1, 0)
    """
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        raise ValueError("values are empty; expected a gridded array")
    if np.all(np.isnan(v)):
        raise ValueError("every value is NaN; no minimum exists")
    return tuple(int(i) for i in np.unravel_index(np.nanargmin(v), v.shape))


def best_point(grid: Grid, values: ArrayLike) -> tuple[NDArray[np.float64], float]:
    """The grid point with the smallest value and that value (NaN never wins)."""
    v = _as_grid_values(grid, values)
    idx = argmin(v)
    return grid.point(idx), float(v[idx])


class LocalMinima(NamedTuple):
    """Local minima of gridded values, best first."""

    indices: NDArray[np.intp]     #: (m, n_params)
    values: NDArray[np.float64]   #: (m,)


def local_minima(values: ArrayLike, k: int | None = None) -> LocalMinima:
    """Grid points lower than all their neighbours (3^D - 1 of them, diagonals included).

    Ties are broken by flat index so a flat pair yields one minimum. Edges compare
    with the neighbours that exist. NaN is never a minimum. Sorted by value; at most
    ``k`` returned.

    Notes
    -----
    Cost: ``3^D - 1`` comparisons per grid point.

    Examples
    --------
    >>> v = np.array([3.0, 1.0, 2.0, 0.5, 4.0])
    >>> local_minima(v)
    LocalMinima(indices=array([[3],
           [1]]), values=array([0.5, 1. ]))
    """
    v = np.asarray(values, dtype=float)
    if v.ndim == 0 or v.size == 0:
        raise ValueError(f"values must be a non-empty gridded array, got shape {v.shape}")
    if k is not None:
        k = positive_int(k, "k")
    w = np.where(np.isnan(v), np.inf, v)
    padded = np.pad(w, 1, constant_values=np.inf)
    is_min = np.isfinite(w)
    for offset in itertools.product((-1, 0, 1), repeat=v.ndim):
        if not any(offset):
            continue
        nb = padded[tuple(slice(1 + o, padded.shape[d] - 1 + o) for d, o in enumerate(offset))]
        # a neighbour earlier in C order must be strictly higher; a later one higher or equal
        earlier = next(o for o in offset if o != 0) < 0
        is_min &= (w < nb) if earlier else (w <= nb)
    idx = np.argwhere(is_min)
    vals = w[is_min]
    order = np.argsort(vals, kind="stable")[:k]
    return LocalMinima(idx[order], vals[order])


def _as_grid_values(grid: Grid, values: ArrayLike) -> NDArray[np.float64]:
    v = np.asarray(values, dtype=float)
    if v.shape != grid.shape:
        raise ValueError(f"values must be shaped like the grid {grid.shape}, got {v.shape}")
    return v
