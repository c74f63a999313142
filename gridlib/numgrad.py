"""Central-difference derivatives and gradient checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import as_real


def numerical_gradient(
    f: Callable[[NDArray[np.float64]], ArrayLike], x: ArrayLike, h: float = 1e-6
) -> NDArray[np.float64]:
    """Central differences ``(f(x + h_k e_k) - f(x - h_k e_k)) / (2 h_k)`` for every coordinate k.

    The step is relative: ``h_k = h * max(1, |x_k|)``, so the difference stays well above
    the rounding of ``x_k`` at any magnitude (an absolute step vanishes in ``1e20 + h``).
    The denominator is the step actually taken, ``(x_k + h_k) - (x_k - h_k)`` in floats.

    Parameters
    ----------
    f : callable, (n,) -> scalar or (m,)
        A real function of a real vector.
    x : array, shape (n,)
        Finite point at which to differentiate.
    h : float
        Relative step, positive (1e-6 balances truncation and round-off for smooth ``f``).

    Returns
    -------
    grad : ndarray, shape (n,) for scalar ``f``; the (m, n) Jacobian (numerator layout)
        for ``f`` returning shape (m,).

    Raises
    ------
    ValueError
        If ``x + h_k == x_k`` or ``x - h_k == x_k`` in floating point for some k (the step
        is below the resolution of ``x_k``), or ``f`` changes its output shape.
    TypeError
        If ``f`` returns None, text, complex or anything that is not real numbers.

    Notes
    -----
    Truncation error is O(h_k^2), round-off O(eps |f| / h_k): a coordinate much smaller
    than the others (so that its share of ``f`` is tiny next to ``|f|``) is resolved only to
    about that round-off. Costs 2n calls of ``f``.

    Examples
    --------
    >>> numerical_gradient(lambda v: v @ v, np.array([1.0, -2.0]))
    array([ 2., -4.])
    >>> g = numerical_gradient(lambda v: v @ v, np.array([1e20]))
    >>> bool(np.isclose(g[0], 2e20, rtol=1e-6))
    True
    """
    x = as_real(x, "x")
    if x.ndim != 1:
        raise ValueError(f"x must be a 1-D array of shape (n,), got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("x contains NaN or inf; expected finite numbers")
    h = float(as_real(h, "h")) if np.ndim(h) == 0 else h
    if not (isinstance(h, float) and np.isfinite(h) and h > 0):
        raise ValueError(f"h must be a positive step, got {h}")
    with np.errstate(over="ignore"):
        steps = h * np.maximum(1.0, np.abs(x))
        up, down = x + steps, x - steps
    rounds = (up == x) | (down == x)
    overflows = ~(np.isfinite(up) & np.isfinite(down))
    if rounds.any() or overflows.any():
        k = int(np.argmax(rounds | overflows))
        if rounds[k]:
            why = f"rounds back to x[{k}]; use a larger h (below the float64 resolution)"
        else:
            why = "overflows float64; use a smaller h"
        raise ValueError(f"step h={h:g} at x[{k}]={float(x[k])!r}: x[{k}] +- {steps[k]:.3g} {why}")
    cols: list[NDArray[np.float64]] = []
    for k in range(x.size):
        xp, xm = x.copy(), x.copy()
        xp[k], xm[k] = up[k], down[k]
        fp, fm = _call(f, xp), _call(f, xm)
        if fp.shape != fm.shape or (cols and fp.shape != cols[0].shape):
            raise ValueError(
                f"f must return the same shape at every point, got {fp.shape} and {fm.shape}"
            )
        cols.append((fp - fm) / (up[k] - down[k]))
    return np.stack(cols, axis=-1)


def _call(f: Callable, x: NDArray[np.float64]) -> NDArray[np.float64]:
    """``f(x)`` as a real float array; TypeError naming what came back otherwise."""
    out = f(x)
    if out is None:
        raise TypeError("f returned None; expected a real number (or array of shape (m,))")
    return as_real(out, "the value returned by f")


class GradientCheck(NamedTuple):
    """Result of :func:`gradient_check`."""

    ok: bool
    rel_error: float
    analytic: NDArray[np.float64]
    numeric: NDArray[np.float64]


def gradient_check(
    f: Callable, grad: Callable, x: ArrayLike, h: float = 1e-6, rtol: float = 1e-6
) -> GradientCheck:
    """Compare an analytic gradient with central differences at ``x``.

    ``rel_error = ||a - n|| / max(||a||, ||n||, 1e-300)``; ``ok`` when it is below ``rtol``.
    The numerical gradient uses the relative step of :func:`numerical_gradient`, so the
    check holds at any magnitude of ``x``.

    Examples
    --------
    >>> gradient_check(lambda v: v @ v, lambda v: 2 * v, np.array([1.0, 2.0])).ok
    True
    >>> gradient_check(lambda v: v @ v, lambda v: v, np.array([1.0, 2.0])).ok
    False
    >>> gradient_check(lambda v: v @ v, lambda v: 2 * v, np.array([1e20, -3e20])).ok
    True
    """
    x = as_real(x, "x")
    n = numerical_gradient(f, x, h)
    a = grad(x)
    if a is None:
        raise TypeError("grad returned None; expected an array shaped like the gradient")
    a = as_real(a, "the value returned by grad")
    if a.shape != n.shape:
        raise ValueError(
            f"grad returned shape {a.shape}, expected {n.shape} (the shape of the numerical gradient)"
        )
    rel = float(np.linalg.norm(a - n) / max(np.linalg.norm(a), np.linalg.norm(n), 1e-300))
    return GradientCheck(bool(rel < rtol), rel, a, n)
