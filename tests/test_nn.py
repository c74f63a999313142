"""gridlib.nn: the batched network against plain loops, gradient checks, symmetries, bad input."""
import numpy as np
import pytest

import gridlib
from gridlib.nn import MLP, filter_normalize, permute_hidden


def _setup(H=5, n=6, m=9, seed=0):
    rng = np.random.default_rng(seed)
    mlp = MLP(2, H)
    P = mlp.init(rng, n, scale1=1.5, scale2=0.8)
    P = P + 0.3 * rng.standard_normal(P.shape)        # non-zero biases too
    X = rng.normal(size=(m, 2))
    y = rng.normal(size=m)
    return mlp, P, X, y


def _forward_one(mlp, p, X):
    """Reference: one parameter vector, one sample at a time."""
    H, d = mlp.n_hidden, mlp.n_inputs
    W1 = p[: H * d].reshape(H, d)
    b1 = p[H * d: H * d + H]
    W2 = p[H * d + H: H * d + 2 * H]
    b2 = p[-1]
    return np.array([W2 @ np.tanh(W1 @ x + b1) + b2 for x in X])


def test_n_params_and_pack_roundtrip():
    mlp, P, _, _ = _setup(H=7)
    assert mlp.n_params == 7 * 2 + 7 + 7 + 1
    np.testing.assert_array_equal(mlp.pack(*mlp.unpack(P)), P)


@pytest.mark.parametrize("H", [1, 4, 16])
def test_forward_matches_loop(H):
    mlp, P, X, _ = _setup(H=H)
    expected = np.stack([_forward_one(mlp, p, X) for p in P])
    np.testing.assert_allclose(mlp.forward(P, X), expected, rtol=1e-12, atol=1e-12)


def test_loss_matches_loop():
    mlp, P, X, y = _setup()
    expected = np.array([np.mean((_forward_one(mlp, p, X) - y) ** 2) for p in P])
    np.testing.assert_allclose(mlp.loss(P, X, y), expected, rtol=1e-12)


def test_gradient_matches_single_vector_loop():
    mlp, P, X, y = _setup()
    expected = np.stack([mlp.gradient(p[None, :], X, y)[0] for p in P])
    np.testing.assert_allclose(mlp.gradient(P, X, y), expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_matches_numerical_gradient(seed):
    mlp, P, X, y = _setup(seed=seed)
    for p, g in zip(P, mlp.gradient(P, X, y)):
        numeric = gridlib.numerical_gradient(lambda v: mlp.loss(v[None, :], X, y)[0], p)
        np.testing.assert_allclose(g, numeric, rtol=1e-5, atol=1e-8)


def test_gradient_descent_decreases_loss():
    mlp, P, X, y = _setup()
    path = gridlib.gradient_descent(lambda W: mlp.gradient(W, X, y), P, lr=0.05, steps=50)
    assert np.all(mlp.loss(path[-1], X, y) < mlp.loss(P, X, y))


def test_init_scales_and_fixed_base_draw():
    mlp = MLP(2, 8)
    P = mlp.init(np.random.default_rng(3), 20000)
    W1, b1, W2, b2 = mlp.unpack(P)
    assert np.all(b1 == 0) and np.all(b2 == 0)
    np.testing.assert_allclose(W1.std(), 1 / np.sqrt(2), rtol=0.02)
    np.testing.assert_allclose(W2.std(), 1 / np.sqrt(8), rtol=0.02)
    s1, s2 = np.array([0.5, 2.0]), np.array([3.0, 0.1])
    Q = mlp.init(np.random.default_rng(3), 2, scale1=s1, scale2=s2)
    R = mlp.init(np.random.default_rng(3), 2)
    np.testing.assert_allclose(mlp.unpack(Q).W1, mlp.unpack(R).W1 * s1[:, None, None])
    np.testing.assert_allclose(mlp.unpack(Q).W2, mlp.unpack(R).W2 * s2[:, None])


def test_permutation_and_sign_flip_invariance():
    mlp, P, X, y = _setup(H=6)
    rng = np.random.default_rng(5)
    perm = rng.permutation(6)
    signs = rng.choice([-1.0, 1.0], size=6)
    Q = mlp.permute_hidden(P, perm, signs)
    assert not np.allclose(Q, P)
    np.testing.assert_allclose(mlp.forward(Q, X), mlp.forward(P, X), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mlp.loss(Q, X, y), mlp.loss(P, X, y), rtol=1e-12)
    # the gradient moves with the units: permuting the gradient = gradient at the permuted point
    np.testing.assert_allclose(mlp.gradient(Q, X, y), mlp.permute_hidden(mlp.gradient(P, X, y), perm, signs),
                               rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(permute_hidden(P, perm, signs), Q)


def test_filter_normalize_norms_and_zero_biases():
    mlp, P, _, _ = _setup(H=4, n=3)
    D = np.random.default_rng(9).normal(size=P.shape)
    Dn = mlp.filter_normalize(D, P)
    d, t = mlp.unpack(Dn), mlp.unpack(P)
    np.testing.assert_allclose(np.linalg.norm(d.W1, axis=2), np.linalg.norm(t.W1, axis=2))
    np.testing.assert_allclose(np.linalg.norm(d.W2, axis=1), np.linalg.norm(t.W2, axis=1))
    assert np.all(d.b1 == 0) and np.all(d.b2 == 0)
    # directions are only rescaled per filter: unit j's row keeps its direction
    cos = np.einsum("nhk,nhk->nh", d.W1, mlp.unpack(D).W1) / (
        np.linalg.norm(d.W1, axis=2) * np.linalg.norm(mlp.unpack(D).W1, axis=2))
    np.testing.assert_allclose(cos, 1.0)
    np.testing.assert_allclose(filter_normalize(D, P), Dn)


def test_filter_normalize_with_biases_and_zero_filter():
    mlp = MLP(2, 3)
    P = mlp.init(np.random.default_rng(0), 1) + 0.5
    D = np.random.default_rng(1).normal(size=(1, mlp.n_params))
    W1, b1, W2, b2 = mlp.unpack(D)
    W1 = W1.copy(); b1 = b1.copy()
    W1[0, 1] = 0.0; b1[0, 1] = 0.0                 # unit 1's filter is zero
    D = mlp.pack(W1, b1, W2, b2)
    Dn = mlp.unpack(mlp.filter_normalize(D, P, zero_biases=False))
    t = mlp.unpack(P)
    full_d = np.concatenate([Dn.W1, Dn.b1[:, :, None]], axis=2)
    full_t = np.concatenate([t.W1, t.b1[:, :, None]], axis=2)
    np.testing.assert_allclose(np.linalg.norm(full_d, axis=2)[0, [0, 2]], np.linalg.norm(full_t, axis=2)[0, [0, 2]])
    assert np.all(full_d[0, 1] == 0)


@pytest.mark.parametrize("bad_P", [np.zeros((3, 10)), np.zeros((2, 3, 33)), np.zeros(32)])
def test_bad_parameter_shapes(bad_P):
    mlp = MLP(2, 8)
    with pytest.raises(ValueError, match=r"\(n_points, 33\)"):
        mlp.forward(bad_P, np.zeros((4, 2)))


@pytest.mark.parametrize("bad_X", [np.zeros((4, 3)), np.zeros(4), np.zeros((0, 2))])
def test_bad_input_shapes(bad_X):
    mlp = MLP(2, 8)
    with pytest.raises(ValueError, match=r"\(n_samples, 2\)"):
        mlp.forward(np.zeros((1, 33)), bad_X)


def test_bad_targets_and_types():
    mlp = MLP(2, 8)
    P, X = np.zeros((1, 33)), np.zeros((4, 2))
    with pytest.raises(ValueError, match=r"y must have shape \(4,\)"):
        mlp.loss(P, X, np.zeros(5))
    with pytest.raises(ValueError, match=r"y must have shape \(4,\)"):
        mlp.gradient(P, X, np.zeros((4, 1)))
    with pytest.raises(TypeError, match="P must be an array"):
        mlp.forward("weights", X)
    with pytest.raises(TypeError, match="X must be an array"):
        mlp.forward(P, None)
    with pytest.raises(TypeError, match="Generator"):
        mlp.init(0, 3)
    with pytest.raises(ValueError, match=r"scale1 must be a number or an array of shape \(3,\)"):
        mlp.init(np.random.default_rng(0), 3, scale1=[1.0, 2.0])
    with pytest.raises(TypeError, match="n_hidden"):
        MLP(2, 2.5)
    with pytest.raises(ValueError, match="NaN"):
        mlp.forward(P, np.full((4, 2), np.nan))
    with pytest.raises(TypeError, match="numbers"):
        mlp.forward([["a"] * 33], X)


def test_diverged_vectors_do_not_stop_the_others():
    mlp, P, X, y = _setup(n=3)
    P[1] = np.nan
    L = mlp.loss(P, X, y)
    assert np.isnan(L[1]) and np.all(np.isfinite(L[[0, 2]]))
    assert np.all(np.isfinite(mlp.gradient(P, X, y)[[0, 2]]))


def test_bad_pack_and_symmetry_arguments():
    mlp = MLP(2, 4)
    P = mlp.init(np.random.default_rng(0), 2)
    with pytest.raises(ValueError, match=r"W1 must have shape \(n_points, 4, 2\)"):
        mlp.pack(np.zeros((2, 2, 4)), np.zeros((2, 4)), np.zeros((2, 4)), np.zeros(2))
    with pytest.raises(ValueError, match=r"b2 must have shape \(2,\)"):
        mlp.pack(np.zeros((2, 4, 2)), np.zeros((2, 4)), np.zeros((2, 4)), np.zeros((2, 1)))
    with pytest.raises(ValueError, match="permutation"):
        mlp.permute_hidden(P, [0, 0, 1, 2])
    with pytest.raises(ValueError, match=r"shape \(4,\)"):
        mlp.permute_hidden(P, [0, 1, 2])
    with pytest.raises(ValueError, match=r"\+1/-1"):
        mlp.permute_hidden(P, [0, 1, 2, 3], signs=[1, 0.5, 1, 1])
    with pytest.raises(ValueError, match="not H"):
        filter_normalize(np.zeros(10), np.zeros(10))
    with pytest.raises(ValueError, match="one per direction"):
        mlp.filter_normalize(np.zeros((3, mlp.n_params)), P)


# ---------------------------------------------------------------- property tests
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(H=st.integers(1, 6), n=st.integers(1, 4), m=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
def test_property_symmetry_and_batching(H, n, m, seed):
    rng = np.random.default_rng(seed)
    mlp = MLP(2, H)
    P = rng.normal(size=(n, mlp.n_params))
    X = rng.normal(size=(m, 2))
    out = mlp.forward(P, X)
    # any relabelling and sign pattern leaves the function unchanged
    Q = mlp.permute_hidden(P, rng.permutation(H), rng.choice([-1.0, 1.0], size=H))
    np.testing.assert_allclose(mlp.forward(Q, X), out, rtol=1e-10, atol=1e-12)
    # row p of a batched call depends on row p of P only
    np.testing.assert_allclose(mlp.forward(P[::-1], X), out[::-1], rtol=1e-12, atol=1e-14)
