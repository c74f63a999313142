"""Checks for lesson 05 · Beyond two dimensions: landscapes of a small neural network.

Each check is a probe (runs in the learner's kernel, returns plain data) and a judgement
(pure, references computed here with :mod:`gridlib.nn`). Inputs are drawn from the seed the
caller gives (0 in a learner's notebook, others when grading), so an answer that hard-codes
the notebook's numbers does not pass.
"""

from __future__ import annotations

import numpy as np

from gridlib import numerical_gradient
from gridlib.nn import MLP
from wtcourse import checking
from wtcourse.checking import (
    Exercise,
    NotAttempted,
    call,
    expect_choice,
    expect_close,
    expect_shape,
)

__all__ = ["e5_1", "e5_2", "e5_3", "e5_4", "e5_5", "e5_6", "e5_7", "e5_8", "progress"]


def progress():
    """This lesson's verdicts in this kernel session (the lesson's last cell)."""
    return checking.progress(__name__)


def _stack(rng: np.random.Generator, H: int, n: int, m: int) -> dict:
    mlp = MLP(2, H)
    return {"H": H, "P": rng.normal(size=(n, mlp.n_params)), "X": rng.uniform(-2, 2, size=(m, 2))}


def _pair(value, what: str) -> tuple:
    if not (isinstance(value, (list, tuple)) and len(value) == 2):
        raise AssertionError(f"{what} should return a pair (dW1, db1), got {type(value).__name__}")
    return value[0], value[1]


# -------------------------------------------------------------------------------- 5.1
e5_1 = Exercise("5.1", "forward(W1, b1, W2, b2, X) for a stack of networks")


@e5_1.inputs
def _(rng):
    return _stack(rng, H=int(rng.integers(4, 7)), n=4, m=7)


@e5_1.probe
def _(forward, *, H, P, X):
    W1, b1, W2, b2 = MLP(2, H).unpack(np.asarray(P))
    return call(forward, W1.copy(), b1.copy(), W2.copy(), b2.copy(), np.asarray(X))


@e5_1.judge
def _(got, *, H, P, X):
    P, X = np.asarray(P), np.asarray(X)
    got = expect_shape(got, (P.shape[0], X.shape[0]), "forward(W1, b1, W2, b2, X)")
    expect_close(
        got,
        MLP(2, H).forward(P, X),
        "forward(W1, b1, W2, b2, X)",
        rtol=1e-9,
        atol=1e-12,
        hint="hidden = tanh(X @ W1.transpose(0, 2, 1) + b1[:, None, :]) has shape "
        "(n_points, n_samples, H); then contract H with W2 and add b2[:, None].",
    )


# -------------------------------------------------------------------------------- 5.2
e5_2 = Exercise("5.2", "first_layer_gradient: backpropagation into W1 and b1")


@e5_2.inputs
def _(rng):
    H, m = int(rng.integers(3, 7)), 11
    mlp = MLP(2, H)
    p = rng.normal(size=mlp.n_params)
    return {"H": H, "P": p, "X": rng.uniform(-2, 2, size=(m, 2)), "y": rng.normal(size=m)}


@e5_2.probe
def _(first_layer_gradient, *, H, P, X, y):
    W1, b1, w2, b2 = (a[0] for a in MLP(2, H).unpack(np.asarray(P)))
    got = call(
        first_layer_gradient,
        W1.copy(),
        b1.copy(),
        w2.copy(),
        float(b2),
        np.asarray(X),
        np.asarray(y),
    )
    dW1, db1 = _pair(got, "first_layer_gradient")
    return {"dW1": np.asarray(dW1, dtype=float), "db1": np.asarray(db1, dtype=float)}


@e5_2.judge
def _(got, *, H, P, X, y):
    if not (isinstance(got, dict) and {"dW1", "db1"} <= set(got)):
        raise AssertionError("first_layer_gradient should return a pair (dW1, db1)")
    mlp = MLP(2, H)
    P, X, y = np.asarray(P), np.asarray(X), np.asarray(y)
    numeric = numerical_gradient(lambda p: mlp.loss(p, X, y)[0], P)  # central differences
    ref = mlp.unpack(numeric)
    if np.shape(got["dW1"]) == (2, H) and H != 2:
        raise AssertionError(
            f"dW1 has shape (2, {H}): store it shaped like W1 ({H}, 2), entry (k, j) = "
            "∂L/∂W1[k, j] — that is Gᵀ X (H × d), not Xᵀ G."
        )
    dW1 = expect_shape(got["dW1"], (H, 2), "dW1 (shaped like W1)")
    db1 = expect_shape(got["db1"], (H,), "db1 (shaped like b1)")
    exact = mlp.unpack(mlp.gradient(P, X, y))
    if np.allclose(db1, exact.b1[0] * len(y)) or np.allclose(dW1, exact.W1[0] * len(y)):
        raise AssertionError(
            "off by a factor m (the number of samples): L is the MEAN of the squared "
            "residuals, so g = 2 r / m."
        )
    if np.allclose(dW1, 2 * exact.W1[0]) or np.allclose(dW1, 0.5 * exact.W1[0]):
        raise AssertionError("off by a factor 2: the derivative of r² is 2r, so g = 2 r / m.")
    hint = (
        "G = ∂L/∂Z = (g w2ᵀ) ⊙ (1 − A²) with g = 2(f − y)/m and A = tanh(X W1ᵀ + b1); then "
        "dW1 = Gᵀ X and db1 = the column sums of G."
    )
    rel = np.linalg.norm(np.r_[dW1.ravel(), db1] - np.r_[ref.W1[0].ravel(), ref.b1[0]])
    rel /= max(np.linalg.norm(np.r_[ref.W1[0].ravel(), ref.b1[0]]), 1e-12)
    if not rel < 1e-6:
        raise AssertionError(
            f"the gradient check fails: relative error {rel:.1e} against central "
            f"differences of the loss (it should be below 1e-6). Hint: {hint}"
        )
    expect_close(dW1, exact.W1[0], "dW1", rtol=1e-7, atol=1e-10, hint=hint)
    expect_close(db1, exact.b1[0], "db1", rtol=1e-7, atol=1e-10, hint=hint)
    return f"gradient check passed (relative error {rel:.0e})."


# -------------------------------------------------------------------------------- 5.3
e5_3 = Exercise("5.3", "interpolate(P0, P1, alphas): the line between two networks")


@e5_3.inputs
def _(rng):
    P0, P1 = rng.normal(size=(2, 33))
    return {"P0": P0, "P1": P1, "alphas": np.r_[-0.5, 0.0, rng.uniform(0.1, 0.9), 1.0, 1.5]}


@e5_3.probe
def _(interpolate, *, P0, P1, alphas):
    return call(interpolate, np.asarray(P0), np.asarray(P1), np.asarray(alphas))


@e5_3.judge
def _(got, *, P0, P1, alphas):
    P0, P1, alphas = np.asarray(P0), np.asarray(P1), np.asarray(alphas)
    got = expect_shape(got, (alphas.size, P0.size), "interpolate(P0, P1, alphas)")
    expected = P0[None, :] + alphas[:, None] * (P1 - P0)[None, :]
    expect_close(
        got,
        expected,
        "interpolate(P0, P1, alphas)",
        rtol=1e-12,
        atol=1e-12,
        hint="row k is (1 - alphas[k]) * P0 + alphas[k] * P1: alpha = 0 gives P0, alpha = 1 gives P1.",
    )


# -------------------------------------------------------------------------------- 5.4
e5_4 = Exercise("5.4", "filter_normalize_direction(mlp, D, P)")


@e5_4.inputs
def _(rng):
    mlp = MLP(2, 8)
    P = mlp.init(rng, 1, scale1=2.0)[0] + 0.1 * rng.normal(size=mlp.n_params)
    return {"H": 8, "D": rng.normal(size=(3, mlp.n_params)), "P": P}


@e5_4.probe
def _(filter_normalize_direction, *, H, D, P):
    return call(filter_normalize_direction, MLP(2, H), np.asarray(D), np.asarray(P))


@e5_4.judge
def _(got, *, H, D, P):
    mlp, D, P = MLP(2, H), np.asarray(D), np.asarray(P)
    got = expect_shape(got, D.shape, "filter_normalize_direction(mlp, D, P)")
    W1, b1, W2, b2 = mlp.unpack(got)
    if not (np.allclose(b1, 0) and np.allclose(b2, 0)):
        raise AssertionError(
            "the bias entries of the normalized directions should be 0 (as in Li et al.'s code)."
        )
    expect_close(
        np.linalg.norm(W1, axis=2),
        np.broadcast_to(np.linalg.norm(mlp.unpack(P).W1, axis=2), (3, H)),
        "the norms of the rows of W1 (one per hidden unit)",
        rtol=1e-8,
        hint="scale row j of the direction's W1 to the norm of row j of P's W1.",
    )
    expect_close(
        got,
        mlp.filter_normalize(D, P),
        "filter_normalize_direction(mlp, D, P)",
        rtol=1e-8,
        atol=1e-12,
        hint="rescale each filter, do not replace it: d_j / ||d_j|| * ||theta_j||; the "
        "output layer's filter is the whole W2 vector.",
    )


# -------------------------------------------------------------------------------- 5.5
e5_5 = Exercise("5.5", "multiple choice: why raw directions mislead")


@e5_5.judge
def _(answer):
    return expect_choice(
        answer,
        "sha256:407a683bd45056874c684a4f9402f64134539d61e371b3c1c83e5eb37685cd07",
        {
            "a": "A and B compute exactly the same function on the same data (only the units of x differ), "
            "so nothing about the landscape widened; the filter-normalized slices of A and B coincide.",
            "b": "Yes: B's first-layer weights are 10 times larger, so the same step is a 10 times smaller "
            "relative change of them. Filter normalization measures each step relative to the size of "
            "the unit it moves, so it rates A and B the same.",
            "c": "Filter normalization changes only the directions we look along; the loss function and the "
            "trained parameters are the same.",
            "d": "Random directions in 33 dimensions are nearly orthogonal to each other, but the slices are "
            "centred on the minimum and clearly see it (the loss rises around it), for A and B alike.",
        },
        "answer_5_5",
    )


# -------------------------------------------------------------------------------- 5.6
e5_6 = Exercise("5.6", "best_scales: a grid over the init scales, per seed")


@e5_6.inputs
def _(rng):
    X = rng.uniform(-2, 2, size=(24, 2))
    y = np.tanh(X[:, 0]) - 0.5 * X[:, 1] + 0.1 * rng.normal(size=24)
    return {
        "seeds": [int(s) for s in rng.integers(0, 1000, size=3)],
        "scales": np.logspace(-1, 1, 9),
        "X": X,
        "y": y,
    }


@e5_6.probe
def _(best_scales, *, seeds, scales, X, y):
    return call(
        best_scales, MLP(2, 8), list(seeds), np.asarray(scales), np.asarray(X), np.asarray(y)
    )


@e5_6.judge
def _(got, *, seeds, scales, X, y):
    mlp, scales, X, y = MLP(2, 8), np.asarray(scales), np.asarray(X), np.asarray(y)
    got = expect_shape(got, (len(seeds), 2), "best_scales(mlp, seeds, scales, X_batch, y_batch)")
    S1, S2 = np.meshgrid(scales, scales, indexing="ij")
    expected = []
    for seed in seeds:
        base = mlp.unpack(mlp.init(np.random.default_rng(seed), 1))
        P = mlp.pack(
            base.W1 * S1.reshape(-1, 1, 1),
            np.zeros((S1.size, mlp.n_hidden)),
            base.W2 * S2.reshape(-1, 1),
            np.zeros(S1.size),
        )
        k = int(np.argmin(mlp.loss(P, X, y)))
        expected.append([S1.flat[k], S2.flat[k]])
    expect_close(
        got,
        np.array(expected),
        "best_scales(...)",
        rtol=1e-12,
        hint="for each seed: one base draw mlp.init(np.random.default_rng(seed), 1), every "
        "(scale1, scale2) pair of the grid built from it (W1 times scale1, W2 times scale2), "
        "the batch loss of all pairs at once, and the pair with the smallest loss "
        "(column 0 = scale1, column 1 = scale2).",
    )


# -------------------------------------------------------------------------------- 5.7
e5_7 = Exercise("5.7", "permute(mlp, P, perm, signs): relabel hidden units")


@e5_7.inputs
def _(rng):
    data = _stack(rng, H=6, n=3, m=7)
    data["perm"] = rng.permutation(6)
    data["signs"] = rng.choice([-1.0, 1.0], size=6)
    data["signs"][:2] = [1.0, -1.0]  # at least one flip and one keep
    return data


@e5_7.probe
def _(permute, *, H, P, X, perm, signs):
    return call(permute, MLP(2, H), np.asarray(P).copy(), np.asarray(perm), np.asarray(signs))


@e5_7.judge
def _(got, *, H, P, X, perm, signs):
    mlp, P, X = MLP(2, H), np.asarray(P), np.asarray(X)
    got = expect_shape(got, P.shape, "permute(mlp, P, perm, signs)")
    expect_close(
        mlp.forward(got, X),
        mlp.forward(P, X),
        "the network's outputs after permute",
        rtol=1e-9,
        atol=1e-12,
        hint="unit j of the result is unit perm[j]; a sign flip negates that unit's "
        "incoming weights, its bias AND its outgoing weight (tanh is odd); b2 stays.",
    )
    expect_close(
        got,
        mlp.permute_hidden(P, np.asarray(perm), np.asarray(signs)),
        "permute(mlp, P, perm, signs)",
        rtol=1e-12,
        atol=1e-12,
        hint="the outputs agree, but the layout differs: new unit j must be old "
        "unit perm[j] (index W1[:, perm], not an inverse permutation).",
    )


# -------------------------------------------------------------------------------- 5.8
e5_8 = Exercise("5.8", "predict before you run: how much of the distance is symmetry?")


@e5_8.judge
def _(answer):
    if answer is None:
        raise NotAttempted("answer_5_8 is None")
    return expect_choice(
        answer,
        "sha256:170a670da3435f0edac074d0b1b88cc04a696f8100c9c80bf46b258dd8b6325d",
        {
            "a": "relabelling removes only the symmetry; two runs that ended at different points of the "
            "landscape stay apart. Run the next cells: no pair aligns to 0, even after more training.",
            "b": "Yes: the median distance drops by about two thirds, but no pair reaches 0, and more training "
            "does not close the gap: the runs found relabelled copies of each other AND distinct points at "
            "nearly equal loss.",
            "c": "relabelling is a change of parameters that keeps the function: it can bring two networks much "
            "closer (a copy of θ* relabelled back is at distance 0 from θ*).",
            "d": "the identity relabelling is one of the candidates, so the best alignment is never farther apart "
            "than the original pair.",
        },
        "answer_5_8",
    )
