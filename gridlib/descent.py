"""Gradient descent and heavy-ball momentum, vectorized over many starting points."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import MAX_BYTES, as_points, as_real, check_size

BatchedGradient = Callable[[NDArray[np.float64]], ArrayLike]


def gradient_descent(
    grad: BatchedGradient,
    starts: ArrayLike,
    lr: float | ArrayLike,
    steps: int,
    *,
    max_bytes: int = MAX_BYTES,
) -> NDArray[np.float64]:
    """Run ``steps`` of ``w <- w - lr * grad(w)`` from every start at once.

    Parameters
    ----------
    grad : callable, (n_starts, n_params) -> (n_starts, n_params)
        Batched gradient (e.g. ``LeastSquares(X, y).gradient``).
    starts : array, shape (n_starts, n_params)
    lr : float or array of shape (n_starts,)
        Step size (one per start if an array).
    steps : int
        Number of updates (0 allowed).
    max_bytes : int
        Largest trajectory array allowed, ``8 * (steps + 1) * n_starts * n_params`` bytes
        (default 2 GiB); a bigger request is refused before anything is allocated.

    Returns
    -------
    trajectories : ndarray, shape (steps + 1, n_starts, n_params)
        ``trajectories[0]`` are the starts. A run that overflows becomes inf/NaN
        from then on (divergence is reported, not hidden).

    Examples
    --------
    >>> path = gradient_descent(lambda W: 2 * W, [[1.0, -2.0], [4.0, 0.0]], lr=0.25, steps=2)
    >>> path.shape
    (3, 2, 2)
    >>> path[-1]
    array([[ 0.25, -0.5 ],
           [ 1.  ,  0.  ]])
    """
    W, lr_arr = _validated(grad, starts, lr, steps, max_bytes)
    out = np.empty((int(steps) + 1,) + W.shape)
    out[0] = W
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(int(steps)):
            out[t + 1] = out[t] - lr_arr * _gradient(grad, out[t])
    return out


def heavy_ball(
    grad: BatchedGradient,
    starts: ArrayLike,
    lr: float | ArrayLike,
    beta: float | ArrayLike,
    steps: int,
    *,
    max_bytes: int = MAX_BYTES,
) -> NDArray[np.float64]:
    """Run ``steps`` of heavy-ball momentum (Polyak, 1964) from every start at once.

    ``v <- beta * v - lr * grad(w)``, then ``w <- w + v``, with the velocity ``v = 0`` at
    the start; ``beta = 0`` is :func:`gradient_descent` exactly (while the run stays finite).

    Parameters
    ----------
    grad : callable, (n_starts, n_params) -> (n_starts, n_params)
        Batched gradient (e.g. ``LeastSquares(X, y).gradient``).
    starts : array, shape (n_starts, n_params)
    lr : float or array of shape (n_starts,)
        Step size (one per start if an array), positive.
    beta : float or array of shape (n_starts,)
        Momentum, in ``[0, 1)`` (one per start if an array).
    steps : int
        Number of updates (0 allowed).
    max_bytes : int
        Largest trajectory array allowed, as in :func:`gradient_descent`.

    Returns
    -------
    trajectories : ndarray, shape (steps + 1, n_starts, n_params)
        ``trajectories[0]`` are the starts. A run that overflows becomes inf/NaN from
        then on; the other starts are not affected.

    Examples
    --------
    >>> path = heavy_ball(lambda W: 2 * W, [[1.0], [2.0]], lr=0.25, beta=0.5, steps=3)
    >>> path.shape
    (4, 2, 1)
    >>> path[:, 0, 0]
    array([ 1.  ,  0.5 ,  0.  , -0.25])
    """
    W, lr_arr = _validated(grad, starts, lr, steps, max_bytes)
    beta_arr = _per_start(beta, "beta", W.shape[0])
    if not np.all(np.isfinite(beta_arr)) or np.any(beta_arr < 0) or np.any(beta_arr >= 1):
        raise ValueError(f"beta must be in [0, 1), got {beta!r}")
    out = np.empty((int(steps) + 1,) + W.shape)
    out[0] = W
    v = np.zeros_like(W)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(int(steps)):
            v = beta_arr * v - lr_arr * _gradient(grad, out[t])
            out[t + 1] = out[t] + v
    return out


class TunedParameters(NamedTuple):
    """Best fixed parameters on a quadratic bowl, from its Hessian's extreme eigenvalues."""

    #: Gradient descent's step ``2 / (lambda_min + lambda_max)``.
    lr_gd: float
    #: Its contraction per step, ``(kappa - 1) / (kappa + 1)``.
    rate_gd: float
    #: Heavy ball's step ``4 / (sqrt(lambda_max) + sqrt(lambda_min))**2``.
    lr_hb: float
    #: Heavy ball's momentum ``((sqrt(kappa) - 1) / (sqrt(kappa) + 1))**2``.
    beta_hb: float
    #: Its asymptotic contraction per step, ``sqrt(beta_hb)``.
    rate_hb: float


def tuned_parameters(eigenvalues: ArrayLike) -> TunedParameters:
    """The best fixed step of gradient descent and of heavy ball on a quadratic bowl.

    For a loss with constant Hessian ``H`` (eigenvalues ``0 < lambda_min <= ... <=
    lambda_max``, ``kappa = lambda_max / lambda_min``), these parameters minimise the
    largest factor by which one step can multiply the error along any eigenvector
    (the spectral radius of the iteration; Polyak, 1964).

    Parameters
    ----------
    eigenvalues : array of positive numbers, any order and shape
        The Hessian's eigenvalues (at least the smallest and the largest).

    Examples
    --------
    >>> t = tuned_parameters([1.0, 100.0])
    >>> type(t.lr_hb).__name__
    'float'
    >>> round(t.lr_gd, 6), round(t.rate_gd, 6)
    (0.019802, 0.980198)
    >>> round(t.lr_hb, 6), round(t.beta_hb, 6), round(t.rate_hb, 6)
    (0.033058, 0.669421, 0.818182)
    """
    lam = as_real(eigenvalues, "eigenvalues").ravel()
    if lam.size == 0 or not np.all(np.isfinite(lam)) or np.any(lam <= 0):
        raise ValueError(
            f"eigenvalues must be positive finite numbers (a convex bowl), got {eigenvalues!r}"
        )
    lo, hi = float(lam.min()), float(lam.max())
    kappa = hi / lo
    rate_hb = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
    return TunedParameters(
        lr_gd=2 / (lo + hi),
        rate_gd=(kappa - 1) / (kappa + 1),
        lr_hb=4 / (math.sqrt(hi) + math.sqrt(lo)) ** 2,
        beta_hb=rate_hb**2,
        rate_hb=rate_hb,
    )


def _per_start(value: float | ArrayLike, name: str, n_starts: int) -> NDArray[np.float64]:
    """A number, or one value per start as a column ``(n_starts, 1)``."""
    arr = as_real(value, name)
    if arr.ndim == 1 and arr.shape == (n_starts,):
        return arr[:, None]
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a number or shape ({n_starts},), got shape {arr.shape}")
    return arr


def _validated(
    grad: BatchedGradient, starts: ArrayLike, lr: float | ArrayLike, steps: int, max_bytes: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The checks gradient descent and heavy ball share: the starts (copied) and ``lr``."""
    if not callable(grad):
        raise TypeError(
            f"grad must be a callable (n_starts, n_params) -> (n_starts, n_params), "
            f"got {type(grad).__name__}"
        )
    W = as_points(starts, None, "starts").copy()
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"steps must be a non-negative integer, got {steps!r}")
    if steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    check_size(
        8.0 * (float(steps) + 1) * W.size,
        f"{steps:,} steps from {W.shape[0]} starts in {W.shape[1]} dimensions",
        max_bytes,
        "max_bytes",
        " bytes",
        "run fewer steps (or fewer starts), or raise max_bytes if the memory exists",
    )
    lr_arr = _per_start(lr, "lr", W.shape[0])
    if not np.all(np.isfinite(lr_arr)) or np.any(lr_arr <= 0):
        raise ValueError(f"lr must be positive and finite, got {lr!r}")
    return W, lr_arr


def _gradient(grad: BatchedGradient, W: NDArray[np.float64]) -> NDArray[np.float64]:
    """``grad(W)`` as a float array of ``W``'s shape, or a clear error."""
    g = grad(W)
    if g is None:
        raise TypeError("grad returned None; expected an array of shape (n_starts, n_params)")
    g = as_real(g, "the value returned by grad")
    if g.shape != W.shape:
        raise ValueError(
            f"grad must return shape {W.shape} (one gradient per start), got {g.shape}"
        )
    return g


def steps_to_reach(losses: ArrayLike, target: float) -> NDArray[np.intp]:
    """First step at which each run's loss is <= ``target``; -1 where it never is.

    Parameters
    ----------
    losses : array, shape (steps + 1, n_starts)

    Examples
    --------
    >>> steps_to_reach([[5.0, 9.0], [2.0, 8.0], [0.5, 7.0]], 1.0)
    array([ 2, -1])
    """
    L = as_real(losses, "losses")
    if L.ndim != 2:
        raise ValueError(f"losses must have shape (steps + 1, n_starts), got {L.shape}")
    hit = L <= target
    return np.where(hit.any(axis=0), hit.argmax(axis=0), -1)
