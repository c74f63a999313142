"""Evaluate a batched loss over a grid, chunk by chunk; best points and local minima."""

from __future__ import annotations

import contextlib
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import DEFAULT_CHUNK, as_grid, check_loss_output, positive_int
from .grid import Grid
from .losses import GRID_BLOCK

BatchedLoss = Callable[[NDArray[np.float64]], ArrayLike]

#: Kept for compatibility (the old name of the default chunk size).
CHUNK_SIZE = DEFAULT_CHUNK
#: Default cap on the result array of :func:`evaluate` (bytes): 2 GiB.
MAX_RESULT_BYTES = 2 * 1024**3
#: Default budget for the loss's temporaries per call on the generic path (bytes): 4 MiB,
#: about what the CPU caches hold, so a chunk's temporaries are re-read from cache
#: (at B = 1000 a 512-point chunk ran 2-3x faster than an 8192-point one).
TEMP_BYTES = 4 * 1024**2
#: Points in the first call of a generic loss, whose memory sets the chunk size.
PROBE_POINTS = 256


def evaluate(
    loss: BatchedLoss,
    grid: Grid,
    *,
    chunk_size: int | None = None,
    max_bytes: int = MAX_RESULT_BYTES,
    temp_bytes: int = TEMP_BYTES,
    blas_threads: int | None = 1,
) -> NDArray[np.float64]:
    """Evaluate a batched loss at every grid point; the result is shaped like the grid.

    Parameters
    ----------
    loss : callable, (n_points, n_params) -> (n_points,)
        A batched loss. Objects with a ``grid_blocks(grid, chunk_size, out=...)`` method
        (such as :class:`gridlib.LeastSquares`) fill the grid through that faster path.
    grid : Grid
    chunk_size : int, optional
        Points per call of the loss (generic path) or values per block (grid path).
        Default: chosen for you. The generic path calls the loss on one point, then on
        as many as that allows (at most ``PROBE_POINTS``), fits the memory it allocates
        as fixed + per point (or reads a ``bytes_per_point`` attribute the loss
        declares) and takes
        ``temp_bytes // bytes_per_point`` points per call (at most ``DEFAULT_CHUNK``).
    max_bytes : int
        Largest result array allowed, in bytes (8 per grid point).
    temp_bytes : int
        Memory budget for the loss's temporaries per call (generic path), 4 MiB by
        default. Peak memory is the result plus about ``temp_bytes`` plus one chunk of
        points (``8 * (2 * n_params + 2)`` bytes per point, at most ``DEFAULT_CHUNK``
        points).
    blas_threads : int or None
        BLAS threads while the generic path runs (threadpoolctl), 1 by default: the
        chunked products are small. On a busy 2-core machine a second thread made the
        generic path 6-22x slower (B = 45 and 1000, bench/RESULTS.md) and was never
        faster by more than the run-to-run scatter; the issue's quiet-machine measurement
        found the two equal. ``None`` leaves the BLAS library's setting alone.

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
    grid = as_grid(grid)
    if not callable(loss):
        raise TypeError(
            f"loss must be a callable (n_points, n_params) -> (n_points,), got {type(loss).__name__}"
        )
    if grid.size * 8 > max_bytes:
        raise ValueError(
            f"the values of a {grid.size:,}-point grid need {grid.size * 8 / 1e9:.2f} GB, over "
            f"max_bytes={max_bytes:,}; use gridlib.top_k(loss, grid, k) to stream the best points instead"
        )
    out = np.empty(grid.size)
    if hasattr(loss, "grid_blocks"):
        for _ in loss.grid_blocks(grid, _block(chunk_size), out=out):
            pass
    else:
        for sl, v in _generic_blocks(loss, grid, chunk_size, temp_bytes, blas_threads):
            out[sl] = v
    return out.reshape(grid.shape)


class TopK(NamedTuple):
    """The k best grid points, best first."""

    points: NDArray[np.float64]  #: (k, n_params)
    values: NDArray[np.float64]  #: (k,)
    indices: NDArray[np.intp]  #: (k, n_params) multi-indices into the grid


def top_k(
    loss: BatchedLoss,
    grid: Grid,
    k: int = 1,
    *,
    chunk_size: int | None = None,
    temp_bytes: int = TEMP_BYTES,
    blas_threads: int | None = 1,
) -> TopK:
    """Stream the ``k`` lowest-loss points of a grid without storing its values.

    Uses the loss's grid path when it has one (``grid_blocks``, as
    :class:`gridlib.LeastSquares`), else calls it chunk by chunk as :func:`evaluate`
    does (same ``chunk_size``, ``temp_bytes``, ``blas_threads``). Memory stays at one
    chunk plus ``k`` candidates whatever the grid size. NaN losses never win. Ties go to
    the point first in C order (as :func:`argmin`, :func:`best_point` and
    ``scipy.optimize.brute``), whatever ``chunk_size``.

    Examples
    --------
    >>> g = Grid.cube([0, 0, 0, 0], 1.0, 5)
    >>> best = top_k(lambda P: ((P - 0.5) ** 2).sum(axis=1), g, k=2, chunk_size=100)
    >>> best.points[0], float(best.values[0])
    (array([0.5, 0.5, 0.5, 0.5]), 0.0)
    """
    grid = as_grid(grid)
    if not callable(loss):
        raise TypeError(
            f"loss must be a callable (n_points, n_params) -> (n_points,), got {type(loss).__name__}"
        )
    k = min(positive_int(k, "k"), grid.size)
    if hasattr(loss, "grid_blocks"):
        blocks = loss.grid_blocks(grid, _block(chunk_size))
    else:
        blocks = _generic_blocks(loss, grid, chunk_size, temp_bytes, blas_threads)
    best = _Best(k)
    for sl, v in blocks:
        best.push(sl.start, v)
    if np.all(np.isposinf(best.v)):
        raise ValueError("every loss value was NaN or +inf; no best point exists")
    multi = np.stack(np.unravel_index(best.i, grid.shape), axis=1)
    return TopK(grid.points_at(multi), best.v, multi)


class _Best:
    """The ``k`` smallest (value, flat index) pairs seen so far, sorted; NaN counts as +inf."""

    def __init__(self, k: int):
        self.k = k
        self.v = np.empty(0)
        self.i = np.empty(0, dtype=np.intp)

    def push(self, start: int, v: NDArray[np.float64]) -> None:
        if self.v.size == self.k:
            # Full: a later point enters only if strictly better than the k-th (a tie loses
            # to the earlier point; NaN compares False). One pass over the block.
            sel = np.flatnonzero(v < self.v[-1])
            if sel.size == 0:
                return
            new_v = v[sel]
        else:
            vv = np.where(np.isnan(v), np.inf, v)
            if vv.size > self.k:  # at most k can make the top k; keep ties with the k-th
                kth = np.partition(vv, self.k - 1)[self.k - 1]
                sel = np.flatnonzero(vv <= kth)
            else:
                sel = np.arange(vv.size)
            new_v = vv[sel]
        cand_v = np.concatenate([self.v, new_v])
        cand_i = np.concatenate([self.i, start + sel])
        order = np.lexsort((cand_i, cand_v))[: self.k]
        self.v, self.i = cand_v[order], cand_i[order]


def _block(chunk_size: int | None) -> int:
    """Values per block of a grid path: ``GRID_BLOCK`` (512 KiB) unless told."""
    return GRID_BLOCK if chunk_size is None else positive_int(chunk_size, "chunk_size")


def _generic_blocks(
    loss: BatchedLoss,
    grid: Grid,
    chunk_size: int | None,
    temp_bytes: int,
    blas_threads: int | None,
) -> Iterator[tuple[slice, NDArray[np.float64]]]:
    """Yield ``(flat_slice, values)`` of a plain batched loss, chunk by chunk, in C order."""
    temp_bytes = positive_int(temp_bytes, "temp_bytes")
    if blas_threads is not None:
        blas_threads = positive_int(blas_threads, "blas_threads")
    start = 0
    with _blas_limit(blas_threads):
        if chunk_size is None and hasattr(loss, "bytes_per_point"):
            chunk = _chunk_for(float(loss.bytes_per_point), temp_bytes)
        elif chunk_size is None:
            # Two probes fit memory = fixed + per_point * n: one point (an upper bound),
            # then as many points as that bound allows (2 .. PROBE_POINTS).
            chunk = 1
            sizes: list[int] = []
            peaks: list[float] = []
            for _ in range(2):
                n = min(chunk, PROBE_POINTS, grid.size - start)
                if n <= 0 or (sizes and n <= sizes[-1]):
                    break
                v, peak = _measure_memory(loss, grid.flat_points(start, start + n))
                yield slice(start, start + n), check_loss_output(v, n)
                start += n
                sizes.append(n)
                peaks.append(peak)
                chunk = max(2, _chunk_for(peak, temp_bytes))
            chunk = _chunk_from_probes(sizes, peaks, temp_bytes)
        else:
            chunk = positive_int(chunk_size, "chunk_size")
        for s in range(start, grid.size, chunk):
            e = min(s + chunk, grid.size)
            pts = grid.flat_points(s, e)
            yield slice(s, e), check_loss_output(loss(pts), e - s)


def _chunk_for(bytes_per_point: float, temp_bytes: float) -> int:
    """Points per call so that the loss's temporaries fit in ``temp_bytes``."""
    return int(min(DEFAULT_CHUNK, max(1, temp_bytes // max(bytes_per_point, 8.0))))


def _chunk_from_probes(sizes: list[int], peaks: list[float], temp_bytes: int) -> int:
    """Chunk from probe peaks: ``peak = fixed + per_point * n`` (two probes) or ``per_point * n``."""
    if len(sizes) < 2:
        return _chunk_for(peaks[0] / sizes[0] if sizes else 8.0, temp_bytes)
    per_point = max((peaks[1] - peaks[0]) / (sizes[1] - sizes[0]), 8.0)
    fixed = max(peaks[0] - per_point * sizes[0], 0.0)
    return _chunk_for(per_point, max(temp_bytes - fixed, per_point))


def _measure_memory(loss: BatchedLoss, pts: NDArray[np.float64]) -> tuple[ArrayLike, float]:
    """Call ``loss(pts)``; return its values and the peak memory it allocated per point.

    Uses tracemalloc (numpy reports its buffers to it). If something else is already
    tracing, the peak since that started is an upper bound: the chunk comes out smaller,
    never larger, than it should. Returns the peak in bytes (not per point).
    """
    outer = tracemalloc.is_tracing()
    if not outer:
        tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        v = loss(pts)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        if not outer:
            tracemalloc.stop()
    return v, float(max(peak - before, 0))


_CONTROLLER: dict = {}


def _blas_limit(n: int | None) -> contextlib.AbstractContextManager:
    """A context that runs BLAS with ``n`` threads (threadpoolctl); no-op for ``None``.

    Finding the loaded BLAS libraries takes milliseconds, so it is done once and again
    only after new modules were imported (a new extension may bring its own BLAS).
    """
    if n is None:
        return contextlib.nullcontext()
    key = len(sys.modules)
    if _CONTROLLER.get("key") != key:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER.update(key=len(sys.modules), controller=ThreadpoolController())
    return _CONTROLLER["controller"].limit(limits=n, user_api="blas")
