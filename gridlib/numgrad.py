"""Central-difference derivatives and gradient checks."""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray


def numerical_gradient(f: Callable[[NDArray[np.float64]], ArrayLike], x: ArrayLike, h: float = 1e-6) -> NDArray[np.float64]:
    """Central differences ``(f(x + h e_k) - f(x - h e_k)) / 2h`` for every coordinate k.

    For scalar ``f`` the result has shape (n,) (the gradient); for ``f`` returning
    shape (m,) it is the (m, n) Jacobian (numerator layout).

    Notes
    -----
    Truncation error is O(h^2), round-off O(eps / h): h near 1e-6 balances them for
    float64 functions of order one. Costs 2n calls of ``f``.

    Examples
    --------
    >>> numerical_gradient(lambda v: v @ v, np.array([1.0, -2.0]))
    array([ 2., -4.])
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"x must be a 1-D array of shape (n,), got shape {x.shape}")
    if not (np.isfinite(h) and h > 0):
        raise ValueError(f"h must be a positive step, got {h}")
    cols = []
    for k in range(x.size):
        e = np.zeros_like(x)
        e[k] = h
        cols.append((np.asarray(f(x + e), dtype=float) - np.asarray(f(x - e), dtype=float)) / (2 * h))
    return np.stack(cols, axis=-1)


class GradientCheck(NamedTuple):
    """Result of :func:`gradient_check`."""

    ok: bool
    rel_error: float
    analytic: NDArray[np.float64]
    numeric: NDArray[np.float64]


def gradient_check(f: Callable, grad: Callable, x: ArrayLike, h: float = 1e-6, rtol: float = 1e-6) -> GradientCheck:
    """Compare an analytic gradient with central differences at ``x``.

    ``rel_error = ||a - n|| / max(||a||, ||n||, 1e-300)``; ``ok`` when it is below ``rtol``.

    Examples
    --------
    >>> gradient_check(lambda v: v @ v, lambda v: 2 * v, np.array([1.0, 2.0])).ok
    True
    >>> gradient_check(lambda v: v @ v, lambda v: v, np.array([1.0, 2.0])).ok
    False
    """
    x = np.asarray(x, dtype=float)
    a = np.asarray(grad(x), dtype=float)
    n = numerical_gradient(f, x, h)
    if a.shape != n.shape:
        raise ValueError(f"grad returned shape {a.shape}, expected {n.shape} (the shape of the numerical gradient)")
    rel = float(np.linalg.norm(a - n) / max(np.linalg.norm(a), np.linalg.norm(n), 1e-300))
    return GradientCheck(rel < rtol, rel, a, n)
