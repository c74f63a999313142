"""Grids over named parameters: axes, points, chunks, cubes and refinement."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validate import DEFAULT_CHUNK, MAX_BYTES, as_points, as_real, check_size, positive_int

#: Default cap on materializing all points of a grid at once (:meth:`Grid.points`,
#: :meth:`Grid.meshgrid`): 20 million points (also refused above ``MAX_BYTES``).
MAX_POINTS = 20_000_000
#: Kept for compatibility: the old name of :data:`MAX_POINTS`.
MAX_MATERIALIZE = MAX_POINTS
#: Default cap on the number of values along one axis built by :meth:`Grid.arange`,
#: :meth:`Grid.linspace`, :meth:`Grid.cube` (100 million values, 800 MB).
MAX_AXIS_POINTS = 100_000_000


class ResolutionError(ValueError):
    """A finer grid cannot be represented: its step is below float64 resolution."""


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

    def __init__(
        self,
        axes: Mapping[str, ArrayLike] | Sequence[ArrayLike],
        names: Sequence[str] | None = None,
    ):
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
        if len(set(self.names)) != len(self.names):
            raise ValueError(f"axis names must be distinct, got {self.names}")
        self.axes = tuple(_as_axis(a, n) for a, n in zip(axes, self.names, strict=True))

    # ----- construction -------------------------------------------------
    @classmethod
    def arange(
        cls, *, max_axis_points: int = MAX_AXIS_POINTS, **bounds: tuple[float, float, float]
    ) -> Grid:
        """Build a grid from ``name=(start, stop, step)``; ``stop`` is included when on the lattice.

        Values are ``start + step * i`` (no accumulated rounding), as many as fit in
        ``[start, stop]`` up to a relative tolerance: 1e-9 of a step plus the rounding of
        ``start`` and ``stop`` themselves (2 ulp of the larger; at most half a step). When the last value
        overshoots ``stop`` within that tolerance it is ``stop`` itself.

        Parameters
        ----------
        max_axis_points : int
            Refuse (ValueError, before allocating) an axis longer than this
            (default :data:`MAX_AXIS_POINTS`). Not usable as an axis name.
        **bounds : (start, stop, step)
            One axis per keyword, in order.

        Examples
        --------
        >>> Grid.arange(w=(1e5, 1e5 + 0.01, 0.001)).shape
        (11,)
        >>> Grid.arange(a=(0, 1, 0.25), b=(0, 1, 0.3)).axes[1]
        array([0. , 0.3, 0.6, 0.9])
        """
        max_axis_points = positive_int(max_axis_points, "max_axis_points")
        axes = {}
        for name, b in bounds.items():
            start, stop, step = _triple(b, name, "(start, stop, step)")
            if not step > 0:
                raise ValueError(f"step for {name} must be positive, got {step}")
            if stop < start:
                raise ValueError(f"axis {name} is empty: stop {stop} < start {start}")
            scale = max(abs(start), abs(stop))
            with np.errstate(over="ignore"):
                count = (np.float64(stop) - np.float64(start)) / step
            slack = min(1e-9 + 2 * np.spacing(scale) / step, 0.5)
            n = check_size(
                math.floor(count + slack) + 1.0 if np.isfinite(count) else count,
                f"axis {name} = arange{(start, stop, step)}",
                max_axis_points,
                "max_axis_points",
                " values",
            )
            values = start + step * np.arange(n)
            values[-1] = min(values[-1], stop) if n > 1 else values[-1]
            axes[name] = values
        return cls(axes)

    @classmethod
    def linspace(
        cls, *, max_axis_points: int = MAX_AXIS_POINTS, **bounds: tuple[float, float, int]
    ) -> Grid:
        """Build a grid from ``name=(start, stop, num)`` (both ends included).

        ``max_axis_points`` refuses (ValueError, before allocating) a ``num`` above it
        (default :data:`MAX_AXIS_POINTS`); it cannot be used as an axis name.

        Examples
        --------
        >>> Grid.linspace(a=(0, 1, 3), b=(-1, 1, 2)).axes
        (array([0. , 0.5, 1. ]), array([-1.,  1.]))
        """
        max_axis_points = positive_int(max_axis_points, "max_axis_points")
        axes = {}
        for name, b in bounds.items():
            start, stop, num = _triple(b, name, "(start, stop, num)")
            if float(num) != math.floor(num):
                raise TypeError(f"num for {name} must be a positive integer, got {num}")
            if num < 1:
                raise ValueError(f"num for {name} must be a positive integer, got {num:g}")
            n = check_size(
                num,
                f"axis {name} = linspace{(start, stop, num)}",
                max_axis_points,
                "max_axis_points",
                " values",
            )
            if n > 1 and not stop > start:
                raise ValueError(f"axis {name} needs stop > start, got ({start}, {stop})")
            axes[name] = np.linspace(start, stop, n)
        return cls(axes)

    @classmethod
    def cube(
        cls,
        center: ArrayLike,
        half_width: float | ArrayLike,
        num: int,
        names: Sequence[str] | None = None,
        *,
        max_axis_points: int = MAX_AXIS_POINTS,
    ) -> Grid:
        """A cube of ``num`` points per axis spanning ``center ± half_width``.

        ``num`` above ``max_axis_points`` is refused before anything is allocated.

        Examples
        --------
        >>> Grid.cube(np.zeros(3), 1.0, 5).shape
        (5, 5, 5)
        """
        c = np.atleast_1d(as_real(center, "center"))
        if c.ndim != 1 or not np.all(np.isfinite(c)):
            raise ValueError(
                f"center must be a finite 1-D array of shape (n_params,), got shape {c.shape}"
            )
        h = as_real(half_width, "half_width")
        if h.shape not in {(), c.shape}:
            raise ValueError(f"half_width must be a number or shape {c.shape}, got shape {h.shape}")
        h = np.broadcast_to(h, c.shape)
        if not np.all(h > 0) or not np.all(np.isfinite(h)):
            raise ValueError(f"half_width must be positive and finite, got {half_width!r}")
        num = positive_int(num, "num")
        check_size(
            num,
            f"Grid.cube with num={num}",
            positive_int(max_axis_points, "max_axis_points"),
            "max_axis_points",
            " values per axis",
        )
        return cls([np.linspace(ci - hi, ci + hi, num) for ci, hi in zip(c, h, strict=True)], names)

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
        parts = ", ".join(
            f"{n}: {len(a)} in [{a[0]:g}, {a[-1]:g}]"
            for n, a in zip(self.names, self.axes, strict=True)
        )
        return f"Grid({parts}; {self.size} points)"

    # ----- points <-> indices -------------------------------------------
    def point(self, index: Sequence[int]) -> NDArray[np.float64]:
        """The parameter vector at a multi-index, shape (n_params,).

        Indices must be integers with ``0 <= index[k] < shape[k]``: no negative
        (wrap-around) indices, no truncation of non-integers.

        Examples
        --------
        >>> Grid.linspace(a=(0, 1, 3), b=(0, 2, 3)).point((2, 1))
        array([1., 1.])
        """
        idx = self._check_indices(np.atleast_1d(_as_index_array(index, "index")), "index")
        return np.array([a[i] for a, i in zip(self.axes, idx.tolist(), strict=True)])

    def points_at(self, indices: ArrayLike) -> NDArray[np.float64]:
        """Parameter vectors at multi-indices ``(m, n_params)`` -> ``(m, n_params)``.

        Examples
        --------
        >>> Grid.linspace(a=(0, 1, 3), b=(0, 2, 3)).points_at([[0, 0], [2, 1]])
        array([[0., 0.],
               [1., 1.]])
        """
        idx = _as_index_array(indices, "indices")
        if idx.ndim != 2 or idx.shape[1] != self.ndim:
            raise ValueError(f"indices must have shape (m, {self.ndim}), got shape {idx.shape}")
        idx = self._check_indices(idx, "indices")
        return np.stack([a[idx[:, k]] for k, a in enumerate(self.axes)], axis=1).reshape(
            idx.shape[0], self.ndim
        )

    def _check_indices(self, idx: NDArray[np.intp], name: str) -> NDArray[np.intp]:
        """Check integer multi-indices ``(..., ndim)`` are in range on every axis."""
        if idx.shape[-1] != self.ndim:
            raise ValueError(
                f"{name} must have {self.ndim} entries (one per axis), got {idx.shape[-1]}"
            )
        shape = np.array(self.shape)
        bad = (idx < 0) | (idx >= shape)
        if bad.any():
            where = tuple(np.argwhere(bad)[0])
            raise ValueError(
                f"{name} out of range: entry {idx[where]} on axis {where[-1]} "
                f"({self.names[where[-1]]}) must be in 0..{shape[where[-1]] - 1} "
                f"(grid shape {self.shape}; negative indices are not allowed)"
            )
        return idx

    def index_of(self, point: ArrayLike) -> tuple[int, ...]:
        """The multi-index of the grid point nearest to ``point`` (per axis)."""
        p = as_points(point, self.ndim, "point")[0]
        out = []
        for a, v in zip(self.axes, p, strict=True):
            i = int(np.clip(np.searchsorted(a, v), 1, len(a) - 1)) if len(a) > 1 else 0
            if len(a) > 1 and abs(a[i - 1] - v) <= abs(a[i] - v):
                i -= 1
            out.append(i)
        return tuple(out)

    def flat_points(self, start: int, stop: int) -> NDArray[np.float64]:
        """Points with flat (C-order) indices ``start .. stop-1``, shape (stop - start, n_params)."""
        if not 0 <= start <= stop <= self.size:
            raise ValueError(
                f"need 0 <= start <= stop <= size={self.size}, got start={start}, stop={stop}"
            )
        idx = np.unravel_index(np.arange(start, stop), self.shape)
        return np.stack([a[i] for a, i in zip(self.axes, idx, strict=True)], axis=1)

    def chunks(
        self, chunk_size: int = DEFAULT_CHUNK
    ) -> Iterator[tuple[slice, NDArray[np.float64]]]:
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

    def points(self, max_points: int = MAX_POINTS) -> NDArray[np.float64]:
        """All points, shape (size, n_params), C order; refused above ``max_points`` points.

        Also refused when the array would exceed ``MAX_BYTES`` (2 GiB). Iterate with
        :meth:`chunks` (or use ``gridlib.evaluate`` / ``gridlib.top_k``) for bigger grids.

        Examples
        --------
        >>> Grid.linspace(a=(0, 1, 2), b=(0, 1, 2)).points()
        array([[0., 0.],
               [0., 1.],
               [1., 0.],
               [1., 1.]])
        """
        self._check_materialize(max_points, "Grid.points()")
        return self.flat_points(0, self.size)

    def meshgrid(self, max_points: int = MAX_POINTS) -> tuple[NDArray[np.float64], ...]:
        """``np.meshgrid(*axes, indexing="ij")``, refused above ``max_points`` points."""
        self._check_materialize(max_points, "Grid.meshgrid()")
        return tuple(np.meshgrid(*self.axes, indexing="ij"))

    def _check_materialize(self, max_points: int, what: str) -> None:
        """Refuse materializing every point above ``max_points`` points or ``MAX_BYTES``."""
        max_points = positive_int(max_points, "max_points")
        where = f"{what} of a {self.shape} grid"
        hint = "iterate with Grid.chunks() or use gridlib.evaluate / gridlib.top_k instead"
        check_size(self.size, where, max_points, "max_points", " points", hint)
        check_size(self.size * self.ndim * 8, where, MAX_BYTES, "MAX_BYTES", " bytes", hint)

    # ----- refinement ------------------------------------------------------
    def zoom(self, index: Sequence[int], num: int | None = None, span: float = 1.0) -> Grid:
        """A finer grid around the point at ``index``: ``± span`` steps of this grid per axis.

        ``num`` points per axis (default: this grid's count per axis, made odd so the
        centre stays on the new grid). One zoom shrinks the step by ``(num - 1) / (2 * span)``.

        Raises
        ------
        ResolutionError
            (a ValueError) when the finer axis is not strictly increasing in float64:
            its step is below the resolution of numbers near the centre.

        Examples
        --------
        >>> g = Grid.linspace(w=(0, 10, 11))
        >>> g.zoom((3,), num=5).axes[0]
        array([2. , 2.5, 3. , 3.5, 4. ])
        """
        centre = self.point(index)
        span = float(as_real(span, "span"))
        if not (np.isfinite(span) and span > 0):
            raise ValueError(f"span must be positive and finite, got {span}")
        axes = []
        for k, (c, s) in enumerate(zip(centre, self.spacing, strict=True)):
            n = positive_int(num if num is not None else (len(self.axes[k]) | 1), "num")
            check_size(n, "Grid.zoom", MAX_AXIS_POINTS, "MAX_AXIS_POINTS", " values per axis")
            if s == 0 or n == 1:
                axes.append(np.array([c]))
                continue
            a = np.linspace(c - span * s, c + span * s, n)
            if not np.all(np.diff(a) > 0):
                raise ResolutionError(
                    f"cannot zoom axis {self.names[k]} further: a step of {2 * span * s / (n - 1):.3g} "
                    f"around {c:.17g} is below float64 resolution ({np.spacing(abs(c)):.3g})"
                )
            axes.append(a)
        return Grid(axes, self.names)

    def downsample(self, max_side: int) -> tuple[Grid, tuple[slice, ...]]:
        """A coarser view for display: every k-th value per axis so no axis exceeds ``max_side``."""
        max_side = positive_int(max_side, "max_side")
        slices = tuple(slice(None, None, max(1, math.ceil(len(a) / max_side))) for a in self.axes)
        return Grid([a[s] for a, s in zip(self.axes, slices, strict=True)], self.names), slices


def _as_index_array(index, name: str) -> NDArray[np.intp]:
    """Return integer indices as an intp array; TypeError for floats, bools or text."""
    arr = np.asarray(index)
    if not isinstance(index, np.ndarray) and any(
        isinstance(e, (bool, np.bool_)) for e in np.ravel(np.asarray(index, dtype=object))
    ):
        raise TypeError(f"{name} must be integers (one per axis), got {index!r}")
    if arr.dtype.kind not in "iu" and not (arr.dtype.kind == "O" and _all_ints(arr)):
        if arr.size == 0 and arr.dtype.kind == "f":
            return arr.astype(np.intp)
        raise TypeError(f"{name} must be integers (one per axis), got {arr.tolist()!r}")
    return arr.astype(np.intp)


def _all_ints(arr: np.ndarray) -> bool:
    return all(isinstance(e, (int, np.integer)) and not isinstance(e, bool) for e in arr.flat)


def _as_axis(values, name: str) -> NDArray[np.float64]:
    """Return one axis as a finite, strictly increasing, non-empty float64 array."""
    a = as_real(values, f"axis {name}")
    if a.ndim != 1:
        raise ValueError(f"axis {name} must be 1-D, got shape {a.shape}")
    if a.size == 0:
        raise ValueError(f"axis {name} is empty; expected at least one value")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"axis {name} contains NaN or inf; expected finite values")
    if a.size > 1 and not np.all(np.diff(a) > 0):
        i = int(np.argmin(np.diff(a) > 0))
        raise ValueError(
            f"axis {name} must be strictly increasing, got {a[i]!r} then {a[i + 1]!r} at index {i}"
            + (" (the step is below float64 resolution)" if a[i] == a[i + 1] else "")
        )
    return a


def _triple(b, name: str, form: str) -> tuple[float, float, float]:
    """Return ``(start, stop, third)`` as finite floats; TypeError unless three real numbers."""
    if isinstance(b, (str, bytes)) or not hasattr(b, "__len__") or len(b) != 3:
        raise TypeError(f"axis {name} must be given as {form}, got {b!r}")
    arr = as_real(list(b), f"axis {name} {form}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"axis {name} bounds must be finite, got {b!r}")
    start, stop, third = (float(v) for v in arr)
    return start, stop, third
