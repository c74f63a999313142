"""Least-squares loss for linear models, evaluated through sufficient statistics."""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import as_data, as_points, positive_int
from .grid import Grid


def sum_squared_residuals(W: ArrayLike, X: ArrayLike, y: ArrayLike, *, mean: bool = False) -> NDArray[np.float64]:
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
    Builds the (n_points, n_samples) residual matrix: memory and time grow with the
    batch size. :class:`LeastSquares` does not.

    Examples
    --------
    >>> X = np.array([[1.0, 1.0], [2.0, 1.0]]); y = np.array([1.0, 3.0])
    >>> sum_squared_residuals([[2.0, -1.0], [0.0, 0.0]], X, y)
    array([ 0., 10.])
    """
    X, y = as_data(X, y)
    W = as_points(W, X.shape[1], "W")
    R = W @ X.T
    R -= y                                  # the residual's sign does not matter once squared
    out = np.einsum("ij,ij->i", R, R)
    return out / len(y) if mean else out


class LeastSquares:
    """Sum of squared residuals ``L(w) = ||y - X w||^2`` of a linear model (or its mean).

    Evaluates any number of parameter vectors at a cost per point that does not grow
    with the number of samples. It stores the exact minimizer ``w*``, the residual at
    it, and the triangular factor ``R`` of ``X = QR``, and uses the identity

    ``L(w) = r* - 2 (w - w*)^T g* + ||R (w - w*)||^2``, with ``g* = X^T (y - X w*)``

    (``g*`` is zero up to rounding). Every term is computed without the catastrophic
    cancellation of the expanded form ``w^T G w - 2 w^T b + c``, so values agree with
    the direct residual computation to about 1e-13 relative, even for noise-free data.

    Parameters
    ----------
    X : array, shape (n_samples, n_params)
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
    np.float64(35.0)
    >>> bool(abs(loss([[2.0, 1.0]])[0]) < 1e-12)
    True
    >>> loss.gradient([[0.0, 0.0]])
    array([[-26., -18.]])
    """

    def __init__(self, X: ArrayLike, y: ArrayLike, *, mean: bool = False):
        X, y = as_data(X, y)
        self.n_samples, self.n_params = X.shape
        self.mean = bool(mean)
        scale = 1.0 / self.n_samples if mean else 1.0
        Q, R = np.linalg.qr(X)                               # R: (min(n, D), D)
        diag = np.abs(np.diag(R))
        if R.shape[0] == self.n_params and diag.min() > diag.max() * self.n_params * 1e-13:
            w = np.linalg.solve(R, Q.T @ y)                  # full rank: triangular system
            w = w + np.linalg.solve(R, Q.T @ (y - X @ w))    # one step of iterative refinement
        else:                                                # rank deficient: minimum-norm solution
            w = np.linalg.lstsq(X, y, rcond=None)[0]
            w = w + np.linalg.lstsq(X, y - X @ w, rcond=None)[0]
        # The residual at w*, once, in compensated (twice-working-precision) arithmetic:
        # near the minimum of noise-free data it is the whole loss, and plain float64
        # (or even 80-bit long double) loses digits to the cancellation y - Xw.
        r = _residual_at(X, y, w)
        self._w = w
        self._r0 = scale * float(r @ r)
        self._g0 = scale * (X.T @ r)
        if R.shape[0] < self.n_params:                       # fewer samples than parameters
            R = np.vstack([R, np.zeros((self.n_params - R.shape[0], self.n_params))])
        self._R = np.sqrt(scale) * R
        self._scale = scale
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
        """The exact least-squares minimizer ``w*``, shape (n_params,) (minimum norm if rank deficient)."""
        return self._w.copy()

    @property
    def min_value(self) -> float:
        """``L(w*)``."""
        return self._r0

    @property
    def hessian(self) -> NDArray[np.float64]:
        """``2 X^T X`` (scaled by 1/n for the mean), shape (n_params, n_params)."""
        return 2.0 * self._R.T @ self._R

    def __call__(self, W: ArrayLike) -> NDArray[np.float64]:
        """Loss at every row of ``W`` (n_points, n_params) -> (n_points,).

        A non-finite row (a diverged run) gives NaN or inf there, not an error.
        """
        D = as_points(W, self.n_params, "W", finite=False) - self._w
        with np.errstate(over="ignore", invalid="ignore"):
            Q = D @ self._R.T
            return self._r0 - 2.0 * (D @ self._g0) + np.einsum("ij,ij->i", Q, Q)

    def gradient(self, W: ArrayLike) -> NDArray[np.float64]:
        """Gradient ``-2 X^T (y - X w)`` at every row of ``W``: (n_points, n_params) -> same shape."""
        D = as_points(W, self.n_params, "W", finite=False) - self._w
        with np.errstate(over="ignore", invalid="ignore"):
            return 2.0 * ((D @ self._R.T) @ self._R - self._g0)

    def grid_values(self, grid: Grid, chunk_size: int = 8_192) -> NDArray[np.float64]:
        """Loss at every point of ``grid``, shaped like the grid, using its product structure.

        With ``R`` upper triangular, ``||R d||^2 = (R[0,0] d_0 + t(d_1..))^2 + s(d_1..)``:
        only the first row's term spans the whole grid, so each output value costs a
        few in-place operations on blocks of rows (no (n_points, n_params) arrays).

        Notes
        -----
        Extra memory: two arrays the size of one slice ``grid[i, ...]`` plus one block.
        """
        if not isinstance(grid, Grid):
            raise TypeError(f"grid must be a gridlib.Grid, got {type(grid).__name__}")
        if grid.ndim != self.n_params:
            raise ValueError(f"grid has {grid.ndim} axes but the model has {self.n_params} parameters")
        chunk_size = positive_int(chunk_size, "chunk_size")
        D = self.n_params
        d = [ax - wk for ax, wk in zip(grid.axes, self._w)]
        tail_shape = grid.shape[1:]
        R, g0 = self._R, self._g0

        def along(k: int, v: np.ndarray) -> np.ndarray:   # 1-D array on tail axis k (k >= 1)
            shape = [1] * (D - 1)
            shape[k - 1] = len(v)
            return v.reshape(shape)

        # t: first row of R on the tail axes; s: everything that does not involve axis 0.
        t = np.zeros(tail_shape)
        s = np.full(tail_shape, self._r0)
        for k in range(1, D):
            t = t + along(k, R[0, k] * d[k])
            s = s - along(k, 2.0 * g0[k] * d[k])
        for j in range(1, D):
            row = np.zeros(tail_shape)
            for k in range(j, D):
                row = row + along(k, R[j, k] * d[k])
            s = s + row * row
        a = R[0, 0] * d[0]
        e = -2.0 * g0[0] * d[0]
        out = np.empty(grid.shape)
        rows = max(1, chunk_size // max(1, t.size))
        expand = (slice(None),) + (None,) * (D - 1)
        for i0 in range(0, grid.shape[0], rows):
            blk = out[i0:i0 + rows]
            np.add(a[i0:i0 + rows][expand], t, out=blk)
            np.square(blk, out=blk)
            blk += s
            blk += e[i0:i0 + rows][expand]
        return out


def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Veltkamp split: a = hi + lo with hi holding the top 26 bits."""
    c = 134217729.0 * a
    hi = c - (c - a)
    return hi, a - hi


def _residual_at(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``y - X @ w``, accurate enough that ``||r||^2`` has a relative error below ~1e-14.

    Plain float64 when the rounding bound allows it; compensated arithmetic when the
    residual is small next to ``y`` and ``X w`` (cancellation: nearly noise-free data).
    """
    r = y - X @ w
    bound = (X.shape[1] + 2) * np.finfo(float).eps * (np.abs(y) + np.abs(X) @ np.abs(w))
    rr = float(r @ r)
    if rr > 0 and 2.0 * float(np.abs(r) @ bound) <= 1e-14 * rr:
        return r
    return _residual_compensated(X, y, w)


def _residual_compensated(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``y - X @ w`` as accurate as if computed in twice float64 precision (Ogita-Rump-Oishi Dot2).

    Error-free products (Dekker) and sums (Knuth), vectorized over samples; the loop
    runs over the n_params columns only.
    """
    s = y.copy()
    comp = np.zeros_like(y)
    for k in range(X.shape[1]):
        a, b = -X[:, k], w[k]
        p = a * b
        ah, al = _split(a)
        bh, bl = _split(np.asarray(b))
        e = al * bl - (((p - ah * bh) - al * bh) - ah * bl)
        t = s + p
        bb = t - s
        comp += ((s - (t - bb)) + (p - bb)) + e
        s = t
    return s + comp
