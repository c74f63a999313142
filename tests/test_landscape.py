"""gridlib.landscape: reference loops against the vectorized functions, and bad input."""

import itertools

import numpy as np
import pytest

from gridlib import Grid
from gridlib.landscape import (
    align_hidden,
    aligned_distances,
    hessian_eigenvalues,
    hidden_units,
    pca_directions,
    random_directions,
    slice_points,
)
from gridlib.nn import MLP


def _brute_force_distance(mlp, p, q):
    """min over all H! 2^H relabellings of ||p - relabel(q)||, by enumeration."""
    H = mlp.n_hidden
    best = np.inf
    for perm in itertools.permutations(range(H)):
        for signs in itertools.product([-1.0, 1.0], repeat=H):
            r = mlp.permute_hidden(q, list(perm), np.array(signs))[0]
            best = min(best, float(np.linalg.norm(p - r)))
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_aligned_distances_match_enumeration(seed):
    mlp = MLP(2, 4)
    rng = np.random.default_rng(seed)
    P = mlp.init(rng, 3) + 0.3 * rng.standard_normal((3, mlp.n_params))
    d = aligned_distances(mlp, P)
    for i, j in [(0, 1), (0, 2), (1, 2)]:
        np.testing.assert_allclose(d[i, j], _brute_force_distance(mlp, P[i], P[j]), rtol=1e-10)
        np.testing.assert_allclose(d[j, i], d[i, j])
    np.testing.assert_array_equal(np.diag(d), 0.0)


def test_align_hidden_keeps_function_and_reaches_the_minimum_distance():
    mlp = MLP(2, 4)
    rng = np.random.default_rng(5)
    P = mlp.init(rng, 4) + 0.2 * rng.standard_normal((4, mlp.n_params))
    X = rng.uniform(-2, 2, size=(9, 2))
    aligned = align_hidden(mlp, P[0], P[1:])
    np.testing.assert_allclose(
        mlp.forward(aligned, X), mlp.forward(P[1:], X), rtol=1e-12, atol=1e-12
    )
    for row, q in zip(aligned, P[1:], strict=True):
        np.testing.assert_allclose(
            np.linalg.norm(P[0] - row), _brute_force_distance(mlp, P[0], q), rtol=1e-10
        )


def test_align_hidden_undoes_a_relabelling_exactly():
    mlp = MLP(3, 6)
    P = mlp.init(np.random.default_rng(3), 1)[0]
    perm, signs = np.array([5, 3, 0, 1, 4, 2]), np.array([1, -1, -1, 1, -1, 1.0])
    twin = mlp.permute_hidden(P, perm, signs)
    np.testing.assert_allclose(align_hidden(mlp, P, twin)[0], P, atol=1e-15)


def test_hidden_units_layout():
    mlp = MLP(2, 3)
    P = np.arange(mlp.n_params, dtype=float)
    U = hidden_units(mlp, P)
    W1, b1, W2, _ = mlp.unpack(P)
    for j in range(3):
        np.testing.assert_array_equal(U[0, j], np.r_[W1[0, j], b1[0, j], W2[0, j]])


def test_pca_directions_against_covariance_eigenvectors():
    rng = np.random.default_rng(0)
    path = np.cumsum(rng.standard_normal((200, 6)) * [3.0, 1.0, 0.5, 0.1, 0.1, 0.1], axis=0)
    res = pca_directions(path, k=3)
    diffs = path - path[-1]
    cov = np.cov(diffs, rowvar=False)
    values, vectors = np.linalg.eigh(cov)
    order = np.argsort(values)[::-1]
    for m in range(3):
        v = vectors[:, order[m]]
        assert abs(abs(res.directions[m] @ v) - 1.0) < 1e-8
    np.testing.assert_allclose(res.explained, values[order[:3]] / values.sum(), rtol=1e-8)
    np.testing.assert_allclose(res.directions @ res.directions.T, np.eye(3), atol=1e-12)
    looped = np.array([[(p - path[-1]) @ d for d in res.directions] for p in path])
    np.testing.assert_allclose(res.coords, looped, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(res.coords[-1], 0.0, atol=1e-12)


def test_slice_points_against_a_loop():
    g = Grid.linspace(a=(-1, 1, 4), b=(-2, 0, 3))
    c = np.array([0.5, -1.0, 2.0])
    d = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])
    looped = np.array([c + a * d[0] + b * d[1] for a in g.axes[0] for b in g.axes[1]])
    np.testing.assert_allclose(slice_points(c, d, g), looped)


def test_random_directions_are_seeded_and_normalized():
    mlp = MLP(2, 5)
    P = mlp.init(np.random.default_rng(0), 1)[0]
    a, b = random_directions(mlp, P, 3, rng=7), random_directions(mlp, P, 3, rng=7)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(
        np.linalg.norm(mlp.unpack(a).W1, axis=2),
        np.broadcast_to(np.linalg.norm(mlp.unpack(P).W1, axis=2), (3, 5)),
    )
    assert np.all(mlp.unpack(a).b1 == 0)
    raw = random_directions(mlp, P, 3, rng=7, normalize=False)
    np.testing.assert_array_equal(raw, np.random.default_rng(7).standard_normal((3, mlp.n_params)))


def test_bad_input():
    mlp = MLP(2, 3)
    P = mlp.init(np.random.default_rng(0), 2)
    with pytest.raises(TypeError, match="gridlib.nn.MLP"):
        aligned_distances("mlp", P)
    with pytest.raises(ValueError, match="one parameter vector"):
        align_hidden(mlp, P, P)
    with pytest.raises(ValueError, match="shape"):
        align_hidden(mlp, P[0], np.zeros((2, 5)))
    with pytest.raises(ValueError, match="k must be at most"):
        pca_directions(np.zeros((3, 4)), k=4)
    with pytest.raises(ValueError, match="center"):
        pca_directions(np.zeros((3, 4)), center=np.zeros(3))
    with pytest.raises(TypeError, match="gridlib.Grid"):
        slice_points(np.zeros(3), np.zeros((2, 3)), "grid")
    with pytest.raises(ValueError, match="one row per grid axis"):
        slice_points(np.zeros(3), np.zeros((1, 3)), Grid.linspace(a=(0, 1, 2), b=(0, 1, 2)))
    with pytest.raises(TypeError, match="rng"):
        random_directions(mlp, P[0], 2, rng="seed")


def test_hessian_eigenvalues_of_a_quadratic_are_exact():
    rng = np.random.default_rng(3)
    M = rng.standard_normal((5, 5))
    A = M @ M.T + np.diag([0.0, 1.0, 10.0, 100.0, 1000.0])  # symmetric, eigenvalues spread
    P = rng.standard_normal((4, 5)) * np.array([1.0, 10.0, 100.0, 1e3, 1e4])  # steps scale
    ev = hessian_eigenvalues(lambda W: W @ A, P)
    np.testing.assert_allclose(ev, np.tile(np.linalg.eigvalsh(A), (4, 1)), rtol=0, atol=1e-6)


def test_hessian_eigenvalues_of_a_network_match_a_loop_over_coordinates():
    mlp = MLP(2, 3)
    rng = np.random.default_rng(4)
    X, y = rng.standard_normal((20, 2)), rng.standard_normal(20)
    P = mlp.init(rng, 2) + 0.1 * rng.standard_normal((2, mlp.n_params))
    ev = hessian_eigenvalues(lambda Q: mlp.gradient(Q, X, y), P)
    h = 1e-5
    for p, row in zip(P, ev, strict=True):  # reference: one coordinate at a time, fixed step
        cols = []
        for k in range(mlp.n_params):
            e = np.zeros(mlp.n_params)
            e[k] = h * max(1.0, abs(p[k]))
            cols.append((mlp.gradient(p + e, X, y)[0] - mlp.gradient(p - e, X, y)[0]) / (2 * e[k]))
        hess = np.array(cols).T
        np.testing.assert_allclose(row, np.linalg.eigvalsh((hess + hess.T) / 2), atol=1e-7)
    # the curvature is not constant: the two points give different lambda_max
    assert abs(ev[0, -1] - ev[1, -1]) > 1e-3


def test_hessian_eigenvalues_bad_input():
    with pytest.raises(TypeError, match="callable"):
        hessian_eigenvalues("grad", np.zeros((1, 2)))
    with pytest.raises(ValueError, match="h must be"):
        hessian_eigenvalues(lambda W: W, np.zeros((1, 2)), h=0.0)
    with pytest.raises(ValueError, match="must map"):
        hessian_eigenvalues(lambda W: W[:, :1], np.zeros((1, 2)))
