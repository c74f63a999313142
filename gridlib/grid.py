"""Grids over named parameters: axes, points, chunks, cubes and refinement."""
from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import as_points, positive_int

#: Default cap on materializing all points of a grid at once (points x params floats).
MAX_MATERIALIZE = 50_000_000


class Grid:
    """A rectangular grid of parameter values, ``indexing="ij"``: axis k is parameter k.

    Parameters
    ----------
    axes : mapping name -> 1-D array, or sequence of 1-D arrays
        The values along each parameter axis, strictly increasing, finite, non-empty.
    names : sequence of str, optional
        Parameter names when ``axes`` is a sequence (default ``w1, w2, ...``).

    Examples
    --------
    >>> g = Grid.arange(w1=(-10, 10, 0.2), w2=(-50, 50, 0.2))
    >>> g.shape, g.size
    ((101, 501), 50601)
    >>> g.point((68, 295))
    array([3.6, 9. ])
    >>> g.index_of([3.6, 9.0])
    (68, 295)
    """

    def __init__(self, axes: Mapping[str, ArrayLike] | Sequence[ArrayLike], names: Sequence[str] | None = None):
        if isinstance(axes, Mapping):
            names, axes = list(axes.keys()), list(axes.values())
        else:
            axes = list(axes)
            names = list(names) if names is not None else [f"w{k + 1}" for k in range(len(axes))]
        if len(axes) == 0:
            raise ValueError("a grid needs at least one axis; got none")
        if len(names) != len(axes):
            raise ValueError(f"expected {len(axes)} names, one per axis, got {len(names)}")
        self.names = tuple(str(n) for n in names)
        self.axes = tuple(_as_axis(a, n) for a, n in zip(axes, self.names))

    # ----- construction -------------------------------------------------
    @classmethod
    def arange(cls, **bounds: tuple[float, float, float]) -> "Grid":
        """Build a grid from ``name=(start, stop, step)``; ``stop`` is included when on the lattice.

        Values are ``start + step * i`` (no accumulated rounding), as many as fit
        in ``[start, stop]`` up to a 1e-9 relative slack.
        """
        axes = {}
        for name, b in bounds.items():
            start, stop, step = _triple(b, name, "(start, stop, step)")
            if not step > 0:
                raise ValueError(f"step for {name} must be positive, got {step}")
            if stop < start:
                raise ValueError(f"axis {name} is empty: stop {stop} < start {start}")
            num = int(math.floor((stop - start) / step * (1 + 1e-12) + 1e-9)) + 1
            axes[name] = start + step * np.arange(num)
        return cls(axes)

    @classmethod
    def linspace(cls, **bounds: tuple[float, float, int]) -> "Grid":
        """Build a grid from ``name=(start, stop, num)`` (both ends included)."""
        axes = {}
        for name, b in bounds.items():
            start, stop, num = _triple(b, name, "(start, stop, num)")
            if float(num) != int(num) or int(num) < 1:
                raise ValueError(f"num for {name} must be a positive integer, got {num}")
            if int(num) > 1 and not stop > start:
                raise ValueError(f"axis {name} needs stop > start, got ({start}, {stop})")
            axes[name] = np.linspace(start, stop, int(num))
        return cls(axes)

    @classmethod
    def cube(cls, center: ArrayLike, half_width: float | ArrayLike, num: int, names: Sequence[str] | None = None) -> "Grid":
        """A cube of ``num`` points per axis spanning ``center ± half_width``.

        Examples
        --------
        >>> Grid.cube(np.zeros(3), 1.0, 5).shape
        (5, 5, 5)
        """
        c = np.atleast_1d(np.asarray(center, dtype=float))
        if c.ndim != 1 or not np.all(np.isfinite(c)):
            raise ValueError(f"center must be a finite 1-D array of shape (n_params,), got shape {c.shape}")
        h = np.broadcast_to(np.asarray(half_width, dtype=float), c.shape)
        if not np.all(h > 0):
            raise ValueError(f"half_width must be positive, got {half_width}")
        num = positive_int(num, "num")
        return cls([np.linspace(ci - hi, ci + hi, num) for ci, hi in zip(c, h)], names)

    # ----- shape ----------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a) for a in self.axes)

    @property
    def ndim(self) -> int:
        return len(self.axes)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def spacing(self) -> NDArray[np.float64]:
        """Step of each axis, shape (n_params,) (mean step; 0 for a one-point axis)."""
        return np.array([(a[-1] - a[0]) / (len(a) - 1) if len(a) > 1 else 0.0 for a in self.axes])

    @property
    def lower(self) -> NDArray[np.float64]:
        return np.array([a[0] for a in self.axes])

    @property
    def upper(self) -> NDArray[np.float64]:
        return np.array([a[-1] for a in self.axes])

    def __repr__(self) -> str:
        parts = ", ".join(f"{n}: {len(a)} in [{a[0]:g}, {a[-1]:g}]" for n, a in zip(self.names, self.axes))
        return f"Grid({parts}; {self.size} points)"

    # ----- points <-> indices -------------------------------------------
    def point(self, index: Sequence[int]) -> NDArray[np.float64]:
        """The parameter vector at a multi-index, shape (n_params,)."""
        idx = tuple(int(i) for i in np.atleast_1d(np.asarray(index)))
        if len(idx) != self.ndim:
            raise ValueError(f"index must have {self.ndim} entries (one per axis), got {len(idx)}")
        return np.array([a[i] for a, i in zip(self.axes, idx)])

    def points_at(self, indices: ArrayLike) -> NDArray[np.float64]:
        """Parameter vectors at multi-indices ``(m, n_params)`` -> ``(m, n_params)``."""
        idx = np.asarray(indices, dtype=np.intp)
        if idx.ndim != 2 or idx.shape[1] != self.ndim:
            raise ValueError(f"indices must have shape (m, {self.ndim}), got {idx.shape}")
        return np.stack([a[idx[:, k]] for k, a in enumerate(self.axes)], axis=1)

    def index_of(self, point: ArrayLike) -> tuple[int, ...]:
        """The multi-index of the grid point nearest to ``point`` (per axis)."""
        p = as_points(point, self.ndim, "point")[0]
        out = []
        for a, v in zip(self.axes, p):
            i = int(np.clip(np.searchsorted(a, v), 1, len(a) - 1)) if len(a) > 1 else 0
            if len(a) > 1 and abs(a[i - 1] - v) <= abs(a[i] - v):
                i -= 1
            out.append(i)
        return tuple(out)

    def flat_points(self, start: int, stop: int) -> NDArray[np.float64]:
        """Points with flat (C-order) indices ``start .. stop-1``, shape (stop - start, n_params)."""
        idx = np.unravel_index(np.arange(start, stop), self.shape)
        return np.stack([a[i] for a, i in zip(self.axes, idx)], axis=1)

    def chunks(self, chunk_size: int = 8_192) -> Iterator[tuple[slice, NDArray[np.float64]]]:
        """Yield ``(flat_slice, points)`` with at most ``chunk_size`` points each, in C order.

        Examples
        --------
        >>> g = Grid.linspace(a=(0, 1, 3), b=(0, 1, 2))
        >>> [pts.shape for _, pts in g.chunks(4)]
        [(4, 2), (2, 2)]
        """
        chunk_size = positive_int(chunk_size, "chunk_size")
        for start in range(0, self.size, chunk_size):
            stop = min(start + chunk_size, self.size)
            yield slice(start, stop), self.flat_points(start, stop)

    def points(self, max_points: int = MAX_MATERIALIZE) -> NDArray[np.float64]:
        """All points, shape (size, n_params), C order; refused above ``max_points``."""
        if self.size * self.ndim > max_points:
            raise ValueError(
                f"materializing {self.size} points x {self.ndim} params exceeds max_points={max_points}; "
                "iterate with Grid.chunks() or use gridlib.evaluate / gridlib.top_k instead"
            )
        return self.flat_points(0, self.size)

    def meshgrid(self, max_points: int = MAX_MATERIALIZE) -> tuple[NDArray[np.float64], ...]:
        """``np.meshgrid(*axes, indexing="ij")``, refused above ``max_points`` values."""
        if self.size * self.ndim > max_points:
            raise ValueError(f"meshgrid of {self.size} points exceeds max_points={max_points}; use Grid.chunks()")
        return tuple(np.meshgrid(*self.axes, indexing="ij"))

    # ----- refinement ------------------------------------------------------
    def zoom(self, index: Sequence[int], num: int | None = None, span: float = 1.0) -> "Grid":
        """A finer grid around the point at ``index``: ``± span`` steps of this grid per axis.

        ``num`` points per axis (default: this grid's count per axis, made odd so the
        centre stays on the new grid). One zoom shrinks the step by ``(num - 1) / (2 * span)``.

        Examples
        --------
        >>> g = Grid.linspace(w=(0, 10, 11))
        >>> g.zoom((3,), num=5).axes[0]
        array([2. , 2.5, 3. , 3.5, 4. ])
        """
        centre = self.point(index)
        step = self.spacing
        axes = []
        for k, (c, s) in enumerate(zip(centre, step)):
            n = num if num is not None else (len(self.axes[k]) | 1)
            n = positive_int(n, "num")
            axes.append(np.array([c]) if s == 0 or n == 1 else np.linspace(c - span * s, c + span * s, n))
        return Grid(axes, self.names)

    def downsample(self, max_side: int) -> tuple["Grid", tuple[slice, ...]]:
        """A coarser view for display: every k-th value per axis so no axis exceeds ``max_side``."""
        max_side = positive_int(max_side, "max_side")
        slices = tuple(slice(None, None, max(1, math.ceil(len(a) / max_side))) for a in self.axes)
        return Grid([a[s] for a, s in zip(self.axes, slices)], self.names), slices


def _as_axis(values, name: str) -> NDArray[np.float64]:
    a = np.asarray(values, dtype=float)
    if a.ndim != 1:
        raise ValueError(f"axis {name} must be 1-D, got shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"axis {name} is empty; expected at least one value")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"axis {name} contains NaN or inf; expected finite values")
    if a.size > 1 and not np.all(np.diff(a) > 0):
        raise ValueError(f"axis {name} must be strictly increasing")
    return a


def _triple(b, name: str, form: str) -> tuple[float, float, float]:
    try:
        start, stop, third = (float(v) for v in b)
    except (TypeError, ValueError):
        raise TypeError(f"axis {name} must be given as {form}, got {b!r}") from None
    if not all(np.isfinite([start, stop, third])):
        raise ValueError(f"axis {name} bounds must be finite, got {b!r}")
    return start, stop, third
