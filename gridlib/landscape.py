"""Reference numerics for looking at a network's landscape: directions, alignment, PCA of paths.

* :func:`random_directions` -- Gaussian directions, filter-normalized at a point
  (Li et al., 2018) or raw;
* :func:`slice_points` -- the stack ``center + a @ directions`` for a grid of coefficients;
* :func:`align_hidden` / :func:`aligned_distances` -- hidden units matched up to permutation
  and sign (Hungarian algorithm, ``scipy.optimize.linear_sum_assignment``), so two trained
  networks are compared modulo the symmetry that leaves their function unchanged;
* :func:`pca_directions` -- the principal directions of a descent path's iterates
  (Li et al., 2018, section 7), on which a trajectory is projected and drawn;
* :func:`hessian_eigenvalues` -- the eigenvalues of the Hessian at a stack of points, by
  central differences of a batched gradient (the curvature that bounds a stable step,
  ``lr < 2 / lambda_max``).

Every function takes stacks of flat parameter vectors ``(n_points, n_params)`` laid out
as in :class:`gridlib.nn.MLP`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linear_sum_assignment

from ._validate import as_points, as_rng, positive_int
from .grid import Grid
from .nn import MLP

__all__ = [
    "random_directions",
    "slice_points",
    "hidden_units",
    "align_hidden",
    "aligned_distances",
    "PathPCA",
    "pca_directions",
    "hessian_eigenvalues",
]

Array = NDArray[np.float64]


def _as_mlp(mlp: object) -> MLP:
    if not isinstance(mlp, MLP):
        raise TypeError(f"mlp must be a gridlib.nn.MLP, got {type(mlp).__name__}")
    return mlp


def random_directions(
    mlp: MLP,
    P: ArrayLike,
    k: int,
    rng: None | int | np.random.Generator = None,
    *,
    normalize: bool = True,
) -> Array:
    """Draw ``k`` Gaussian directions in parameter space, filter-normalized at ``P`` by default.

    Parameters
    ----------
    mlp : gridlib.nn.MLP
    P : array, shape (n_params,)
        The point the directions are normalized at (e.g. a trained network).
    k : int
        Number of directions.
    rng : None, int or numpy.random.Generator
    normalize : bool
        Rescale each filter to the norm of the same filter of ``P``, biases zero
        (:meth:`MLP.filter_normalize`); ``False`` returns the raw ``N(0, I)`` draws.

    Returns
    -------
    directions : ndarray, shape (k, n_params)

    Examples
    --------
    >>> mlp = MLP(2, 3)
    >>> P = mlp.init(np.random.default_rng(0), 1)[0]
    >>> D = random_directions(mlp, P, 2, rng=1)
    >>> D.shape
    (2, 13)
    >>> bool(np.allclose(np.linalg.norm(mlp.unpack(D).W1, axis=2), np.linalg.norm(mlp.unpack(P).W1, axis=2)))
    True
    """
    mlp = _as_mlp(mlp)
    point = as_points(P, mlp.n_params, "P")
    if point.shape[0] != 1:
        raise ValueError(
            f"P must be one parameter vector of shape ({mlp.n_params},), got {point.shape}"
        )
    raw = as_rng(rng).standard_normal((positive_int(k, "k"), mlp.n_params))
    return mlp.filter_normalize(raw, point[0]) if normalize else raw


def slice_points(center: ArrayLike, directions: ArrayLike, grid: Grid) -> Array:
    """Parameter vectors ``center + sum_k a_k directions[k]`` for every point ``a`` of ``grid``.

    Parameters
    ----------
    center : array, shape (n_params,)
    directions : array, shape (D, n_params)
        One direction per axis of ``grid``.
    grid : Grid with D axes (the coefficients)

    Returns
    -------
    points : ndarray, shape (grid.size, n_params)
        In the grid's C order, so ``loss(points).reshape(grid.shape)`` is the slice.

    Examples
    --------
    >>> g = Grid.linspace(a=(-1, 1, 3), b=(0, 1, 2))
    >>> slice_points([1.0, 1.0, 1.0], [[1.0, 0, 0], [0, 0, 2.0]], g)[:2]
    array([[0., 1., 1.],
           [0., 1., 3.]])
    """
    if not isinstance(grid, Grid):
        raise TypeError(f"grid must be a gridlib.Grid, got {type(grid).__name__}")
    c = np.asarray(center, dtype=float)
    if c.ndim != 1:
        raise ValueError(f"center must have shape (n_params,), got {c.shape}")
    d = as_points(directions, c.size, "directions")
    if d.shape[0] != grid.ndim:
        raise ValueError(
            f"directions must have one row per grid axis ({grid.ndim}), got {d.shape[0]}"
        )
    return c[None, :] + grid.points() @ d


def hidden_units(mlp: MLP, P: ArrayLike) -> Array:
    """Each hidden unit as one vector ``[its W1 row, its bias, its outgoing weight]``.

    Returns
    -------
    units : ndarray, shape (n_points, H, n_inputs + 2)
    """
    layers = _as_mlp(mlp).unpack(P)
    return np.concatenate([layers.W1, layers.b1[:, :, None], layers.W2[:, :, None]], axis=2)


def _match(ref_units: Array, units: Array) -> tuple[NDArray[np.intp], Array, float]:
    """Best permutation and signs of ``units`` (H, u) onto ``ref_units`` (H, u); squared cost."""
    sq_ref = np.sum(ref_units**2, axis=1)[:, None]
    sq = np.sum(units**2, axis=1)[None, :]
    cross = ref_units @ units.T  # (H, H)
    cost_plus, cost_minus = sq_ref + sq - 2 * cross, sq_ref + sq + 2 * cross
    cost = np.minimum(cost_plus, cost_minus)
    rows, perm = linear_sum_assignment(cost)
    signs = np.where(cost_minus[rows, perm] < cost_plus[rows, perm], -1.0, 1.0)
    return perm, signs, float(cost[rows, perm].sum())


def align_hidden(mlp: MLP, P_ref: ArrayLike, P: ArrayLike) -> Array:
    """Relabel and sign-flip the hidden units of each row of ``P`` to lie closest to ``P_ref``.

    The result computes exactly the same function as ``P`` (row by row) and, among the
    ``H! 2^H`` equivalent relabellings, is the one nearest ``P_ref`` in Euclidean distance:
    the squared distance is a sum over unit pairs (``b2`` is fixed), so matching units with
    the Hungarian algorithm on the cost ``min_s ||u_ref_a - s u_b||^2`` is exact.

    Parameters
    ----------
    mlp : gridlib.nn.MLP
    P_ref : array, shape (n_params,)
    P : array, shape (n_points, n_params)

    Returns
    -------
    aligned : ndarray, shape (n_points, n_params)

    Notes
    -----
    Cost: one ``H x H`` assignment, ``O(H^3)``, per row of ``P`` (a Python loop over the
    networks, not over grid points).

    Examples
    --------
    >>> mlp = MLP(2, 4)
    >>> P = mlp.init(np.random.default_rng(0), 1)[0]
    >>> twin = mlp.permute_hidden(P, [2, 0, 3, 1], [1, -1, -1, 1])
    >>> bool(np.allclose(align_hidden(mlp, P, twin), P))
    True
    """
    mlp = _as_mlp(mlp)
    ref = as_points(P_ref, mlp.n_params, "P_ref")
    if ref.shape[0] != 1:
        raise ValueError(
            f"P_ref must be one parameter vector of shape ({mlp.n_params},), got {ref.shape}"
        )
    stack = as_points(P, mlp.n_params, "P")
    ref_units, units = hidden_units(mlp, ref)[0], hidden_units(mlp, stack)
    out = np.empty_like(stack)
    for i in range(stack.shape[0]):
        perm, signs, _ = _match(ref_units, units[i])
        out[i] = mlp.permute_hidden(stack[i], perm, signs)[0]
    return out


def aligned_distances(mlp: MLP, P: ArrayLike) -> Array:
    """Distances between every pair of networks, minimized over unit permutations and signs.

    Returns
    -------
    distances : ndarray, shape (n_points, n_points)
        Symmetric, zero on the diagonal; entry ``(i, j)`` is
        ``min over relabellings of ||P_i - relabel(P_j)||``.

    Notes
    -----
    Cost: ``n_points (n_points - 1) / 2`` assignments of size ``H x H``.

    Examples
    --------
    >>> mlp = MLP(2, 3)
    >>> P = mlp.init(np.random.default_rng(0), 2)
    >>> P = np.vstack([P, mlp.permute_hidden(P[0], [1, 2, 0], [-1, 1, -1])])
    >>> d = aligned_distances(mlp, P)
    >>> round(float(d[0, 2]), 12), bool(d[0, 1] > 0)
    (0.0, True)
    """
    mlp = _as_mlp(mlp)
    stack = as_points(P, mlp.n_params, "P")
    units = hidden_units(mlp, stack)
    b2 = mlp.unpack(stack).b2
    n = stack.shape[0]
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            _, _, cost = _match(units[i], units[j])
            out[i, j] = out[j, i] = np.sqrt(max(cost + (b2[i] - b2[j]) ** 2, 0.0))
    return out


class PathPCA(NamedTuple):
    """Principal directions of a path's iterates (see :func:`pca_directions`)."""

    directions: Array  #: (k, n_params), orthonormal rows
    coords: Array  #: (n_steps, k), the path's coordinates along them, relative to ``center``
    explained: Array  #: (k,), fraction of the iterates' variance along each direction
    center: Array  #: (n_params,)


def pca_directions(path: ArrayLike, k: int = 2, center: ArrayLike | None = None) -> PathPCA:
    """The ``k`` principal directions of a descent path, to draw it on a 2-D slice.

    As in Li et al. (2018, section 7): the matrix of differences ``path[t] - center``
    (``center`` defaults to the last iterate, the trained point) is mean-centred and its
    top right-singular vectors are the directions; the path is then projected with
    ``(path - center) @ directions.T``, so the slice ``center + a d_1 + b d_2`` contains
    the path's shadow and ``center`` sits at the origin.

    Parameters
    ----------
    path : array, shape (n_steps, n_params)
    k : int
    center : array, shape (n_params,), optional

    Returns
    -------
    PathPCA

    Examples
    --------
    >>> t = np.linspace(0, 1, 50)
    >>> path = np.column_stack([t, 2 * t, np.zeros(50)])       # a straight line
    >>> res = pca_directions(path, k=2)
    >>> np.round(np.abs(res.directions[0]), 4)
    array([0.4472, 0.8944, 0.    ])
    >>> round(float(res.explained[0]), 6)
    1.0
    """
    P = as_points(path, None, "path")
    k = positive_int(k, "k")
    if k > min(P.shape):
        raise ValueError(f"k must be at most min(n_steps, n_params) = {min(P.shape)}, got {k}")
    c = P[-1] if center is None else np.asarray(center, dtype=float)
    if c.shape != (P.shape[1],):
        raise ValueError(f"center must have shape ({P.shape[1]},), got {c.shape}")
    diffs = P - c[None, :]
    _, s, vt = np.linalg.svd(diffs - diffs.mean(axis=0), full_matrices=False)
    total = float(np.sum(s**2))
    explained = s[:k] ** 2 / total if total > 0 else np.zeros(k)
    directions = vt[:k]
    return PathPCA(directions, diffs @ directions.T, explained, c)


def hessian_eigenvalues(
    gradient: Callable[[Array], ArrayLike], P: ArrayLike, h: float = 1e-5
) -> Array:
    """Eigenvalues of the Hessian at every point of a stack, from central differences.

    Column ``k`` of the Hessian at ``p`` is ``(g(p + s_k e_k) - g(p - s_k e_k)) / (2 s_k)``
    with the relative step ``s_k = h * max(1, |p_k|)`` (as in
    :func:`gridlib.numerical_gradient`). All ``2 n_params`` shifted copies of a point go
    through ``gradient`` in one batched call; the matrix is symmetrized before
    ``numpy.linalg.eigvalsh``.

    Parameters
    ----------
    gradient : callable, (m, n_params) -> (m, n_params)
        A batched gradient, e.g. ``lambda Q: mlp.gradient(Q, X, y)``.
    P : array, shape (n_points, n_params) or (n_params,)
    h : float
        Relative finite-difference step, > 0.

    Returns
    -------
    eigenvalues : ndarray, shape (n_points, n_params)
        Ascending in each row; ``eigenvalues[:, -1]`` is lambda_max.

    Notes
    -----
    Costs ``2 n_params`` gradient evaluations per point; the error is ``O(h^2)``
    truncation plus ``O(eps / h)`` round-off relative to the gradient's size.

    Examples
    --------
    >>> A = np.array([[3.0, 1.0], [1.0, 2.0]])                  # L(w) = w^T A w / 2
    >>> ev = hessian_eigenvalues(lambda W: W @ A, [[0.5, -1.0]])
    >>> np.round(ev, 6)
    array([[1.381966, 3.618034]])
    """
    if not callable(gradient):
        raise TypeError(f"gradient must be callable, got {type(gradient).__name__}")
    points = as_points(P, None, "P")
    if not (isinstance(h, (int, float, np.floating)) and np.isfinite(h) and h > 0):
        raise ValueError(f"h must be a finite number > 0, got {h!r}")
    n, d = points.shape
    out = np.empty((n, d))
    for i, p in enumerate(points):  # one batched gradient call per point (2d shifted copies)
        steps = float(h) * np.maximum(1.0, np.abs(p))
        up, down = p + np.diag(steps), p - np.diag(steps)
        g = np.asarray(gradient(np.vstack([up, down])), dtype=float)
        if g.shape != (2 * d, d):
            raise ValueError(
                f"gradient must map (m, {d}) to (m, {d}); got {g.shape} for m = {2 * d}"
            )
        taken = np.diag(up) - np.diag(down)  # the steps actually taken, after rounding
        hess = (g[:d] - g[d:]).T / taken[None, :]
        out[i] = np.linalg.eigvalsh((hess + hess.T) / 2)
    return out
