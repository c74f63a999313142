"""Least-squares loss for linear models, evaluated through sufficient statistics."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import as_data, as_grid, as_points, positive_int
from .grid import Grid

_EPS = float(np.finfo(float).eps)

#: Values per block of the grid path (512 KiB of float64: a block stays in the L2 cache).
GRID_BLOCK = 65_536


def sum_squared_residuals(
    W: ArrayLike, X: ArrayLike, y: ArrayLike, *, mean: bool = False
) -> NDArray[np.float64]:
    """Direct batched loss: ``sum_i (y_i - x_i . w)^2`` for every row ``w`` of ``W``.

    Parameters
    ----------
    W : array, shape (n_points, n_params)
    X : array, shape (n_samples, n_params)
    y : array, shape (n_samples,)
    mean : bool
        Divide by ``n_samples`` (mean squared error) instead of summing.

    Returns
    -------
    losses : ndarray, shape (n_points,)

    Notes
    -----
    Builds (n_points, n_samples) residuals, ``SAMPLE_SLAB`` samples at a time (so a big
    batch costs ``8 * min(n_samples, 8192)`` bytes per point): time grows with the batch
    size. :class:`LeastSquares` does not.

    Examples
    --------
    >>> X = np.array([[1.0, 1.0], [2.0, 1.0]]); y = np.array([1.0, 3.0])
    >>> sum_squared_residuals([[2.0, -1.0], [0.0, 0.0]], X, y)
    array([ 0., 10.])
    """
    Xa, ya = np.asarray(X), np.asarray(y)
    fast = (
        Xa.dtype == np.float64 and ya.dtype == np.float64 and Xa.ndim == 2 and ya.ndim == 1
        and 0 < Xa.shape[0] == ya.shape[0] and Xa.shape[1] > 0
    )  # fmt: skip
    if not fast:
        Xa, ya = _as_real_data(X, y)
    W = as_points(W, Xa.shape[1], "W")
    out = _sum_squared_residuals(W, Xa, ya)
    if fast and not np.all(np.isfinite(out)):
        # Finite W gave a non-finite loss: check the data only now (not on every call,
        # which would cost two more passes over X and y than the loss itself).
        _as_real_data(X, y)
    return out / len(ya) if mean else out


class LeastSquares:
    """Sum of squared residuals ``L(w) = ||y - X w||^2`` of a linear model (or its mean).

    Evaluates any number of parameter vectors at a cost per point that does not grow
    with the number of samples. With ``X = QR``, the computed minimizer ``w*`` and the
    residual ``r* = y - X w*`` (in twice-working precision), the loss is exactly

    ``L(w) = (||r*||^2 - ||c||^2) + ||R (w - w* - delta)||^2``,
    ``R^T c = X^T r*``, ``R delta = c``

    (``delta`` is the rounding left in ``w*``; ``c`` is zero up to rounding). Every term
    is a square, so no cancellation of the expanded form ``w^T G w - 2 w^T b + y^T y``
    happens, and the result is never negative (``||r*||^2 - ||c||^2`` is clipped at 0:
    the exact minimum is ``>= 0`` and only rounding can make the difference negative).

    Accuracy: the relative error against exact rational arithmetic on the float64
    inputs is at most ``D * 1e-16 * kappa(X) + 1e-14`` (``kappa``: 2-norm condition
    number of ``X``, ``D``: parameters), asserted in ``tests/test_losses.py`` on rotated
    designs ``U diag(s) V^T`` with ``kappa`` from 1 to 1e10, noisy and noise-free, points
    near the minimum included. Largest errors measured there (D = 2 and 3): 7e-16 at
    ``kappa = 1``, 5e-15 at 1e2, 1.4e-13 at 1e4, 2e-11 at 1e6, 2e-9 at 1e8, 8e-8 at 1e10.
    The error comes from ``w*`` and ``R``, which float64 knows only to ``~1e-16 * kappa``.

    Parameters
    ----------
    X : array, shape (n_samples, n_params)
        Real numbers; at least one column.
    y : array, shape (n_samples,)
    mean : bool
        Mean squared error instead of the sum.

    Examples
    --------
    >>> X = np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0]]); y = np.array([1.0, 3.0, 5.0])
    >>> loss = LeastSquares(X, y)
    >>> loss.minimizer
    array([2., 1.])
    >>> loss([[2.0, 1.0], [0.0, 0.0]])[1]
    35.0
    >>> float(loss([[2.0, 1.0]])[0])
    0.0
    >>> loss.gradient([[0.0, 0.0]])
    array([[-26., -18.]])
    """

    def __init__(self, X: ArrayLike, y: ArrayLike, *, mean: bool = False):
        X, y = _as_real_data(X, y)
        self.n_samples, self.n_params = X.shape
        self.mean = bool(mean)
        scale = 1.0 / self.n_samples if mean else 1.0
        Q, R = np.linalg.qr(X)  # R: (min(n, D), D)
        if R.shape[0] < self.n_params:  # fewer samples than parameters
            R = np.vstack([R, np.zeros((self.n_params - R.shape[0], self.n_params))])
        diag = np.abs(np.diag(R))
        if diag.min() > diag.max() * self.n_params * 1e-13:  # full rank
            # R^-1 once (a D x D triangular inverse): every solve below is a product.
            Ri = np.linalg.inv(R)
            w = Ri @ (Q.T @ y)
            w = w + Ri @ (Q.T @ (y - X @ w))  # one step of iterative refinement
        else:  # rank deficient: minimum-norm solution
            Ri = np.linalg.pinv(R)
            w = np.linalg.lstsq(X, y, rcond=None)[0]
            w = w + np.linalg.lstsq(X, y - X @ w, rcond=None)[0]
        # The residual at w*, in compensated (twice-working-precision) arithmetic when
        # rounding could matter: near the minimum of noise-free data it is the whole loss.
        r = _residual_at(X, y, w)
        # X^T r is zero up to rounding; fold it into a shift of w*: R^T c = X^T r, R delta = c.
        c = Ri.T @ (X.T @ r)
        delta = Ri @ c
        self._w = w
        self._delta = delta
        self._r0 = scale * max(float(r @ r) - float(c @ c), 0.0)
        self._R = np.sqrt(scale) * R
        self._X, self._y = X, y

    # Sufficient statistics, for teaching (computed on first use).
    @property
    def XtX(self) -> NDArray[np.float64]:
        """``X^T X``, shape (n_params, n_params)."""
        return self._X.T @ self._X

    @property
    def Xty(self) -> NDArray[np.float64]:
        """``X^T y``, shape (n_params,)."""
        return self._X.T @ self._y

    @property
    def yty(self) -> float:
        """``y^T y``."""
        return float(self._y @ self._y)

    @property
    def minimizer(self) -> NDArray[np.float64]:
        """The least-squares minimizer ``w*``, shape (n_params,) (minimum norm if rank deficient)."""
        return self._w.copy()

    @property
    def min_value(self) -> float:
        """``L(w*)`` (never negative)."""
        return self._r0

    @property
    def hessian(self) -> NDArray[np.float64]:
        """``2 X^T X`` (scaled by 1/n for the mean), shape (n_params, n_params)."""
        return 2.0 * self._R.T @ self._R

    def _offsets(self, W: ArrayLike) -> NDArray[np.float64]:
        """``W - w* - delta``, computed as two subtractions (exact near ``w*``)."""
        return as_points(W, self.n_params, "W", finite=False) - self._w - self._delta

    def __call__(self, W: ArrayLike) -> NDArray[np.float64]:
        """Loss at every row of ``W`` (n_points, n_params) -> (n_points,).

        A non-finite row (a diverged run) gives NaN or inf there, not an error.
        """
        D = self._offsets(W)
        with np.errstate(over="ignore", invalid="ignore"):
            Q = D @ self._R.T
            return self._r0 + np.einsum("ij,ij->i", Q, Q)

    def gradient(self, W: ArrayLike) -> NDArray[np.float64]:
        """Gradient ``-2 X^T (y - X w)`` at every row of ``W``: (n_points, n_params) -> same shape."""
        D = self._offsets(W)
        with np.errstate(over="ignore", invalid="ignore"):
            return 2.0 * ((D @ self._R.T) @ self._R)

    def grid_values(self, grid: Grid, chunk_size: int = GRID_BLOCK) -> NDArray[np.float64]:
        """Loss at every point of ``grid``, shaped like the grid, using its product structure.

        Memory: the result plus about ``(D + 2) * chunk_size`` floats (see :meth:`grid_blocks`).
        """
        out = np.empty(as_grid(grid).size)
        for _ in self.grid_blocks(grid, chunk_size, out=out):
            pass
        return out.reshape(grid.shape)

    def grid_blocks(
        self, grid: Grid, chunk_size: int = GRID_BLOCK, *, out: NDArray[np.float64] | None = None
    ) -> Iterator[tuple[slice, NDArray[np.float64]]]:
        """Yield ``(flat_slice, values)`` over the grid in C order, in blocks of about ``chunk_size``.

        A block is never smaller than one trailing block (at most ``GRID_BLOCK`` values), so
        a tiny ``chunk_size`` never turns into a Python loop over points.

        With ``R`` upper triangular and ``d = w - w* - delta``,
        ``||R d||^2 = sum_j (sum_{k>=j} R[j,k] d_k)^2``. Split the axes at ``m``, the first
        axis whose trailing block ``grid[i_0, .., i_m, ...]`` holds at most ``GRID_BLOCK``
        values: the terms of rows ``j > m`` and the trailing parts of rows ``j <= m`` are
        computed once per grid; each block then costs ``3 (m + 1)`` in-cache passes (add,
        square, add) — three for a 2-D grid with up to 65 536 columns. Every term is a
        square: no cancellation. The split depends on the grid's shape only, so the values
        are bitwise the same for every ``chunk_size``.

        With ``out`` (a flat float64 array of ``grid.size``), each block is written there
        directly and the yielded ``values`` are views of it (one pass over the result).

        Notes
        -----
        Extra memory: ``m + 2`` arrays of the trailing block plus one block (each at most
        ``max(chunk_size, GRID_BLOCK)`` floats).
        """
        grid = as_grid(grid)
        if grid.ndim != self.n_params:
            raise ValueError(
                f"grid has {grid.ndim} axes but the model has {self.n_params} parameters"
            )
        chunk_size = positive_int(chunk_size, "chunk_size")
        return self._blocks(grid, chunk_size, out)

    def _blocks(
        self, grid: Grid, chunk_size: int, out: NDArray[np.float64] | None
    ) -> Iterator[tuple[slice, NDArray[np.float64]]]:
        D, shape, R = self.n_params, grid.shape, self._R
        d = [(ax - wk) - dk for ax, wk, dk in zip(grid.axes, self._w, self._delta, strict=True)]
        # m depends on the shape only, never on chunk_size: every value is computed the same
        # way whatever the chunking (so ties in top_k do not move with chunk_size).
        m = next((k for k in range(D) if math.prod(shape[k + 1 :]) <= GRID_BLOCK), D - 1)
        rest_shape = shape[m + 1 :]
        rest = math.prod(rest_shape)
        per = max(1, chunk_size // rest)  # indices of axis m per block

        def along(k: int, v: NDArray[np.float64]) -> NDArray[np.float64]:
            s = [1] * len(rest_shape)
            s[k - m - 1] = len(v)
            return v.reshape(s)

        def tail(j: int) -> NDArray[np.float64]:  # sum_{k > m} R[j, k] d_k, flat over the rest
            acc: NDArray[np.float64] | None = None
            for k in range(max(j, m + 1), D):
                term = along(k, R[j, k] * d[k])
                acc = term if acc is None else acc + term
            if acc is None:
                return np.zeros(rest)
            return np.broadcast_to(acc, rest_shape).reshape(-1)

        tails = [tail(j) for j in range(m + 1)]
        s = None  # r0 + sum_{j > m} tail(j)^2, flat over the rest
        for j in range(m + 1, D):
            tj = tail(j)
            s = self._r0 + tj * tj if s is None else s + tj * tj
        if s is None:
            s = np.full(rest, self._r0)
        lead = [np.asarray(v) for v in d[:m]]
        tmp = np.empty(min(chunk_size, per * rest)) if m > 0 else None
        for idx in np.ndindex(*shape[:m]):
            # row j's part from the fixed leading axes: sum_{j <= k < m} R[j, k] d_k[i_k]
            alpha = [sum(R[j, k] * lead[k][idx[k]] for k in range(j, m)) for j in range(m + 1)]
            base = int(np.ravel_multi_index(idx + (0,), shape[: m + 1])) * rest if m else 0
            for i0 in range(0, shape[m], per):
                i1 = min(i0 + per, shape[m])
                n = (i1 - i0) * rest
                sl = slice(base + i0 * rest, base + i1 * rest)
                blk = (out[sl] if out is not None else np.empty(n)).reshape(i1 - i0, rest)
                for j in range(m + 1):
                    col = (alpha[j] + R[j, m] * d[m][i0:i1])[:, None]
                    if j == 0:
                        np.add(col, tails[0], out=blk)
                        np.square(blk, out=blk)
                    else:
                        assert tmp is not None
                        t2 = tmp[:n].reshape(i1 - i0, rest)
                        np.add(col, tails[j], out=t2)
                        np.square(t2, out=t2)
                        blk += t2
                blk += s
                yield sl, blk.reshape(-1)


#: Samples per slab of the direct loss: a (n_points, 8192) residual block stays in cache.
SAMPLE_SLAB = 8_192


def _sum_squared_residuals(
    W: NDArray[np.float64], X: NDArray[np.float64], y: NDArray[np.float64]
) -> NDArray[np.float64]:
    """``||y - X w||^2`` per row of W, over slabs of ``SAMPLE_SLAB`` samples.

    ``[W, -1] @ [X, y]^T`` gives the residuals (with the sign flipped) in one BLAS call,
    so each residual is written once and read once (by the row sums of squares).
    """
    n, d = W.shape
    Wy = np.empty((n, d + 1))
    Wy[:, :d] = W
    Wy[:, d] = -1.0
    Xy = np.empty((d + 1, X.shape[0]))
    Xy[:d] = X.T
    Xy[d] = y
    out = np.zeros(n)
    for b0 in range(0, X.shape[0], SAMPLE_SLAB):
        R = Wy @ Xy[:, b0 : b0 + SAMPLE_SLAB]
        if R.shape[1] >= 1024:  # long rows: a BLAS dot per row (matmul) beats einsum's loop
            out += np.matmul(R[:, None, :], R[:, :, None])[:, 0, 0]
        else:
            out += np.einsum("ij,ij->i", R, R)
    return out


def _as_real_data(X: ArrayLike, y: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``as_data`` plus the checks least squares needs: real numbers, at least one column."""
    for name, v in (("X", X), ("y", y)):
        if np.iscomplexobj(v):
            raise TypeError(
                f"{name} must be real numbers; got complex values (use .real or abs first)"
            )
    Xa, ya = as_data(X, y)
    if Xa.ndim == 2 and Xa.shape[1] == 0:
        raise ValueError(
            f"X must have at least one column (n_samples, n_params >= 1), got shape {Xa.shape}"
        )
    return Xa, ya


def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Veltkamp split: a = hi + lo with hi holding the top 26 bits."""
    c = 134217729.0 * a
    hi = c - (c - a)
    return hi, a - hi


def _residual_at(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``y - X @ w``, accurate enough that ``||r||^2`` has a relative error below ~1e-14.

    Compensated arithmetic for up to 4096 samples (a few vector operations); beyond,
    plain float64 when the rounding bound allows it and compensated arithmetic when the
    residual is small next to ``y`` and ``X w`` (cancellation: nearly noise-free data).
    """
    if X.shape[0] <= 4096:  # small data: compensating costs less than checking whether to
        return _residual_compensated(X, y, w)
    r = y - X @ w
    bound = (X.shape[1] + 2) * _EPS * (np.abs(y) + np.abs(X) @ np.abs(w))
    rr = float(r @ r)
    if rr > 0 and 2.0 * float(np.abs(r) @ bound) <= 1e-14 * rr:
        return r
    return _residual_compensated(X, y, w)


def _residual_compensated(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``y - X @ w`` as accurate as if computed in twice float64 precision (Ogita-Rump-Oishi Dot2).

    Error-free products (Dekker) and sums (Knuth), vectorized over samples; the loop
    runs over the n_params columns only.
    """
    P = X * -w  # every product at once, with its exact rounding error E (Dekker)
    ah, al = _split(-X)
    bh, bl = _split(w)
    E = al * bl - (((P - ah * bh) - al * bh) - ah * bl)
    s = y.copy()
    comp = E.sum(axis=1)
    for k in range(X.shape[1]):  # Knuth's TwoSum, one column at a time
        p = P[:, k]
        t = s + p
        bb = t - s
        comp += (s - (t - bb)) + (p - bb)
        s = t
    return s + comp
