"""Input validation shared by gridlib's public functions (private)."""

from __future__ import annotations

import numbers

import numpy as np

#: Default number of points per call of a batched loss when a grid is streamed in chunks
#: (8 192 points: small enough to stay in cache). Every chunked function uses it.
DEFAULT_CHUNK = 8_192
#: Default cap (bytes) on one array gridlib allocates for a result: 2 GiB.
MAX_BYTES = 2 * 1024**3


def check_size(
    count: float, what: str, limit: float, keyword: str, unit: str = "", hint: str | None = None
) -> int:
    """Return ``count`` as an int, or raise ValueError naming the size and the limit.

    ``count`` may be a float (possibly inf) computed before anything is allocated.
    """
    if not np.isfinite(count) or count > limit:
        shown = "an unbounded number of" if not np.isfinite(count) else f"{count:,.0f}"
        hint = (
            hint or f"use a coarser step or fewer points, or raise {keyword} if the memory exists"
        )
        raise ValueError(
            f"{what} would need {shown}{unit}, over the limit {keyword}={limit:,.0f}{unit}; {hint}"
        )
    return int(count)


def as_real(value, name: str) -> np.ndarray:
    """Return ``value`` as a float64 array; TypeError for complex, text or non-numeric input."""
    try:
        arr = np.asarray(value)
    except ValueError as exc:  # ragged nested sequences
        raise ValueError(f"{name} must be a rectangular array of numbers: {exc}") from None
    if np.iscomplexobj(arr):
        raise TypeError(
            f"{name} must be real numbers, got complex values (dtype {arr.dtype}); "
            "pass .real explicitly if the imaginary part is meant to be dropped"
        )
    if arr.dtype.kind in "biuf":
        return arr.astype(float, copy=False)
    if arr.dtype.kind == "O" and all(
        isinstance(e, numbers.Real) or (isinstance(e, np.ndarray) and e.dtype.kind in "biuf")
        for e in arr.flat
    ):
        return arr.astype(float)
    bad = type(value).__name__ if arr.dtype.kind == "O" and arr.ndim == 0 else f"dtype {arr.dtype}"
    raise TypeError(f"{name} must be real numbers, got {bad}")


def as_points(
    points, n_params: int | None = None, name: str = "points", finite: bool = True
) -> np.ndarray:
    """Return ``points`` as a float64 array of shape (n_points, n_params) (finite unless told)."""
    if isinstance(points, (str, bytes)) or points is None:
        raise TypeError(
            f"{name} must be an array of shape (n_points, n_params), got {type(points).__name__}"
        )
    arr = as_real(points, name)
    if arr.ndim == 1 and n_params is not None and arr.shape[0] == n_params:
        arr = arr[None, :]
    if arr.ndim != 2:
        want = f"(n_points, {n_params})" if n_params is not None else "(n_points, n_params)"
        raise ValueError(f"{name} must have shape {want}, got shape {arr.shape}")
    if n_params is not None and arr.shape[1] != n_params:
        raise ValueError(f"{name} must have shape (n_points, {n_params}), got shape {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf; expected finite numbers")
    return arr


def as_vector(x, n: int, name: str = "x") -> np.ndarray:
    """Return ``x`` as a finite float64 array of shape (n,)."""
    arr = as_real(x, name)
    if arr.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf; expected finite numbers")
    return arr


def as_data(X, y) -> tuple[np.ndarray, np.ndarray]:
    """Return (X, y) as finite float arrays of shapes (n_samples, n_params) and (n_samples,)."""
    X = as_real(X, "X")
    y = as_real(y, "y")
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n_samples, n_params), got shape {X.shape}")
    if y.ndim != 1:
        raise ValueError(f"y must have shape (n_samples,), got shape {y.shape}")
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"X has {X.shape[0]} rows but y has {y.shape[0]} entries; expected one target per row"
        )
    if X.shape[0] == 0:
        raise ValueError("X and y are empty; expected at least one sample")
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise ValueError("X or y contains NaN or inf; expected finite numbers")
    return X, y


def check_loss_output(values, n_points: int, name: str = "loss") -> np.ndarray:
    """Check that a batched loss returned one number per point, shape (n_points,)."""
    arr = as_real(values, f"{name}'s output")
    if arr.shape != (n_points,):
        raise ValueError(
            f"{name} must return shape ({n_points},) for points of shape ({n_points}, n_params), "
            f"got shape {arr.shape}"
        )
    return arr


def positive_int(value, name: str) -> int:
    """Return ``value`` as an int >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return int(value)


def as_grid(grid, name: str = "grid"):
    """Return ``grid`` if it is a :class:`gridlib.Grid`; raise TypeError naming the type otherwise."""
    from .grid import Grid

    if not isinstance(grid, Grid):
        raise TypeError(f"{name} must be a gridlib.Grid, got {type(grid).__name__}")
    return grid


def as_rng(rng, name: str = "rng") -> np.random.Generator:
    """Return a Generator from ``None | int | numpy.random.Generator`` (SPEC 7 style).

    ``None`` gives fresh OS entropy (not reproducible); an int seeds
    ``np.random.default_rng``; a Generator is returned as is (shared state).
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, bool) or not isinstance(rng, (int, np.integer)):
        raise TypeError(
            f"{name} must be None, an integer seed or a numpy.random.Generator "
            f"(np.random.default_rng(seed)), got {type(rng).__name__}"
        )
    if rng < 0:
        raise ValueError(f"{name} must be a non-negative integer seed, got {rng}")
    return np.random.default_rng(int(rng))
