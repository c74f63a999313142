"""Gradient descent vectorized over many starting points."""

from __future__ import annotations

from collections.abc import Callable

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
    lr_arr = as_real(lr, "lr")
    if lr_arr.ndim == 1 and lr_arr.shape == (W.shape[0],):
        lr_arr = lr_arr[:, None]
    elif lr_arr.ndim != 0:
        raise ValueError(f"lr must be a number or shape ({W.shape[0]},), got shape {lr_arr.shape}")
    if not np.all(np.isfinite(lr_arr)) or np.any(lr_arr <= 0):
        raise ValueError(f"lr must be positive and finite, got {lr!r}")
    out = np.empty((int(steps) + 1,) + W.shape)
    out[0] = W
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(int(steps)):
            g = grad(out[t])
            if g is None:
                raise TypeError(
                    "grad returned None; expected an array of shape (n_starts, n_params)"
                )
            g = as_real(g, "the value returned by grad")
            if g.shape != W.shape:
                raise ValueError(
                    f"grad must return shape {W.shape} (one gradient per start), got {g.shape}"
                )
            out[t + 1] = out[t] - lr_arr * g
    return out


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
