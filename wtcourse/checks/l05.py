"""Checks for lesson 05 · Beyond two dimensions: landscapes of a small neural network.

Every reference is computed at check time with :mod:`gridlib.nn`; inputs are
drawn from seeded generators that differ from the notebook's, so an answer that
hard-codes the notebook's numbers does not pass.
"""
from __future__ import annotations

import numpy as np

from wtcourse.checking import call, exercise, expect_choice, expect_close, expect_shape
from gridlib.nn import MLP

__all__ = ["e5_1", "e5_2", "e5_3", "e5_4", "e5_5", "e5_6"]


def _stack(H: int = 5, n: int = 4, m: int = 7, seed: int = 505):
    rng = np.random.default_rng(seed)
    mlp = MLP(2, H)
    P = rng.normal(size=(n, mlp.n_params))            # biases non-zero too
    X = rng.uniform(-2, 2, size=(m, 2))
    return mlp, P, X, rng


@exercise("5.1")
def e5_1(forward):
    mlp, P, X, _ = _stack()
    W1, b1, W2, b2 = (np.array(a) for a in mlp.unpack(P))
    got = call(forward, W1, b1, W2, b2, X)
    got = expect_shape(got, (P.shape[0], X.shape[0]), "forward(W1, b1, W2, b2, X)")
    expect_close(got, mlp.forward(P, X), "forward(W1, b1, W2, b2, X)", rtol=1e-9, atol=1e-12,
                 hint="hidden = tanh(X @ W1.transpose(0, 2, 1) + b1[:, None, :]) has shape "
                      "(n_points, n_samples, H); then contract H with W2 and add b2[:, None].")


@exercise("5.2")
def e5_2(interpolate):
    rng = np.random.default_rng(52)
    P0, P1 = rng.normal(size=(2, 33))
    alphas = np.array([-0.5, 0.0, 0.25, 1.0, 1.5])
    got = call(interpolate, P0, P1, alphas)
    got = expect_shape(got, (alphas.size, P0.size), "interpolate(P0, P1, alphas)")
    expected = P0[None, :] + alphas[:, None] * (P1 - P0)[None, :]
    expect_close(got, expected, "interpolate(P0, P1, alphas)", rtol=1e-12, atol=1e-12,
                 hint="row k is (1 - alphas[k]) * P0 + alphas[k] * P1: alpha = 0 gives P0, alpha = 1 gives P1.")


@exercise("5.3")
def e5_3(filter_normalize_direction):
    mlp = MLP(2, 8)
    rng = np.random.default_rng(53)
    P = mlp.init(rng, 1, scale1=2.0)[0] + 0.1 * rng.normal(size=mlp.n_params)
    D = rng.normal(size=(3, mlp.n_params))
    got = call(filter_normalize_direction, mlp, D, P)
    got = expect_shape(got, D.shape, "filter_normalize_direction(mlp, D, P)")
    expected = mlp.filter_normalize(D, P)
    W1, b1, W2, b2 = mlp.unpack(got)
    assert np.allclose(b1, 0) and np.allclose(b2, 0), (
        "the bias entries of the normalized directions should be 0 (as in Li et al.'s code).")
    expect_close(np.linalg.norm(W1, axis=2), np.broadcast_to(np.linalg.norm(mlp.unpack(P).W1, axis=2), (3, 8)),
                 "the norms of the rows of W1 (one per hidden unit)", rtol=1e-8,
                 hint="scale row j of the direction's W1 to the norm of row j of P's W1.")
    expect_close(got, expected, "filter_normalize_direction(mlp, D, P)", rtol=1e-8, atol=1e-12,
                 hint="rescale each filter, do not replace it: d_j / ||d_j|| * ||theta_j||; the output "
                      "layer's filter is the whole W2 vector.")


@exercise("5.4")
def e5_4(answer):
    return expect_choice(answer, "b", {
        "a": "A and B compute exactly the same function on the same data (only the units of x differ), "
             "so nothing about the landscape widened; the filter-normalized slices of A and B coincide.",
        "b": "Yes: B's first-layer weights are 10 times larger, so the same step is a 10 times smaller "
             "relative change of them. Filter normalization measures each step relative to the size of "
             "the unit it moves, so it rates A and B the same.",
        "c": "Filter normalization changes only the directions we look along; the loss function and the "
             "trained parameters are the same.",
        "d": "Random directions in 33 dimensions are nearly orthogonal to each other, but the slices are "
             "centred on the minimum and clearly see it (the loss rises around it), for A and B alike.",
    }, "answer_5_4")


@exercise("5.5")
def e5_5(permute):
    mlp, P, X, rng = _stack(H=6, n=3, seed=55)
    perm = rng.permutation(6)
    signs = np.array([1.0, -1.0, -1.0, 1.0, -1.0, 1.0])
    got = call(permute, mlp, P, perm, signs)
    got = expect_shape(got, P.shape, "permute(mlp, P, perm, signs)")
    expect_close(mlp.forward(got, X), mlp.forward(P, X), "the network's outputs after permute", rtol=1e-9,
                 atol=1e-12, hint="unit j of the result is unit perm[j]; a sign flip negates that unit's "
                                  "incoming weights, its bias AND its outgoing weight (tanh is odd); b2 stays.")
    expect_close(got, mlp.permute_hidden(P, perm, signs), "permute(mlp, P, perm, signs)", rtol=1e-12,
                 atol=1e-12, hint="the outputs agree, but the layout differs: new unit j must be old unit "
                                  "perm[j] (index W1[:, perm], not an inverse permutation).")


@exercise("5.6")
def e5_6(best_scales):
    mlp = MLP(2, 8)
    rng = np.random.default_rng(56)
    X = rng.uniform(-2, 2, size=(24, 2))
    y = np.tanh(X[:, 0]) - 0.5 * X[:, 1] + 0.1 * rng.normal(size=24)
    seeds = [3, 11, 42]
    scales = np.logspace(-1, 1, 9)
    got = call(best_scales, mlp, seeds, scales, X, y)
    got = expect_shape(got, (len(seeds), 2), "best_scales(mlp, seeds, scales, X_batch, y_batch)")
    S1, S2 = np.meshgrid(scales, scales, indexing="ij")
    expected = []
    for seed in seeds:
        base = mlp.unpack(mlp.init(np.random.default_rng(seed), 1))
        P = mlp.pack(base.W1 * S1.reshape(-1, 1, 1), np.zeros((S1.size, mlp.n_hidden)),
                     base.W2 * S2.reshape(-1, 1), np.zeros(S1.size))
        k = int(np.argmin(mlp.loss(P, X, y)))
        expected.append([S1.flat[k], S2.flat[k]])
    expect_close(got, np.array(expected), "best_scales(...)", rtol=1e-12,
                 hint="for each seed: one base draw mlp.init(np.random.default_rng(seed), 1), every "
                      "(scale1, scale2) pair of the grid built from it (W1 times scale1, W2 times scale2), "
                      "the batch loss of all pairs at once, and the pair with the smallest loss "
                      "(column 0 = scale1, column 1 = scale2).")
