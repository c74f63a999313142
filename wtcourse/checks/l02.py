"""Self-checks for lesson 02 · Batch minima vs full-data minima (``check.e2_1(...)`` ... ``e2_6``).

Each check is a probe (run in the learner's kernel: it calls the learner's function on the
inputs and returns plain data) and a judgement (a pure function of that data). Inputs are
drawn from ``rng`` (the self-check uses seed 0, the grader other seeds): data sets from the
post's recipe with a seed drawn from ``rng``, batches and targets likewise. Every reference is
computed at judgement time with gridlib (``LeastSquares``, ``minima_cov_theory``) or by
brute-force enumeration, never stored.
"""

from __future__ import annotations

import itertools

import numpy as np

from gridlib import LeastSquares, batch_indices, design_matrix, minima_cov_theory, post_data
from wtcourse import checking
from wtcourse.checking import (
    Exercise,
    call,
    expect_choice,
    expect_close,
    expect_equal,
    expect_shape,
)

__all__ = ["e2_1", "e2_2", "e2_3", "e2_4", "e2_5", "e2_6", "progress"]


def _data(rng: np.random.Generator, n: int = 45) -> tuple[np.ndarray, np.ndarray]:
    """A data set from the post's recipe, its noise seeded from ``rng``."""
    x, y = post_data(n, seed=int(rng.integers(2**31)))
    return design_matrix(x), y


e2_1 = Exercise("2.1", "the batch minimizer from the normal equations")


@e2_1.inputs
def _(rng):
    X, y = _data(rng)
    batches = [batch_indices(len(y), b, rng) for b in (2, 5, 20, 45)]
    return {"batches": [[b, X[b], y[b]] for b in batches]}


@e2_1.probe
def _(batch_minimizer, *, batches):
    return [call(batch_minimizer, X_B, y_B) for _, X_B, y_B in batches]


@e2_1.judge
def _(got, *, batches):
    for (idx, X_B, y_B), w in zip(batches, got, strict=True):
        w = expect_shape(w, (2,), "batch_minimizer(X_B, y_B)")
        expect_close(
            w,
            LeastSquares(np.asarray(X_B), np.asarray(y_B)).minimizer,
            "batch_minimizer(X_B, y_B)",
            rtol=1e-7,
            atol=1e-7,
            hint=f"(tested on the {len(idx)}-point batch {list(idx)}) solve the 2x2 system "
            "(X_B^T X_B) w = X_B^T y_B with np.linalg.solve.",
        )


e2_2 = Exercise("2.2", "many batch minima at once")


@e2_2.inputs
def _(rng):
    X, y = _data(rng)
    cases = [
        np.stack([batch_indices(len(y), size, rng) for _ in range(n)])
        for size, n in ((3, 7), (10, 50))
    ]
    return {"X": X, "y": y, "cases": cases}


@e2_2.probe
def _(batch_minima, *, X, y, cases):
    return [call(batch_minima, X, y, batches) for batches in cases]


@e2_2.judge
def _(got, *, X, y, cases):
    X, y = np.asarray(X), np.asarray(y)
    for batches, w in zip(cases, got, strict=True):
        batches = np.asarray(batches)
        w = expect_shape(
            w,
            (len(batches), 2),
            f"batch_minima(X, y, batches) with batches of shape {batches.shape}",
        )
        expected = np.array([LeastSquares(X[b], y[b]).minimizer for b in batches])
        expect_close(
            w,
            expected,
            "batch_minima(X, y, batches)",
            rtol=1e-7,
            atol=1e-7,
            hint=f"(tested with batches of size {batches.shape[1]}) X[batches] has shape "
            "(n_batches, B, 2); build the stacked (n_batches, 2, 2) matrices X_B^T X_B and "
            "(n_batches, 2) vectors X_B^T y_B with einsum, then np.linalg.solve(A, b[..., None])[..., 0].",
        )


e2_3 = Exercise("2.3", "when do the batch and full-data minima coincide?")


@e2_3.judge
def _(answer):
    return expect_choice(
        answer,
        "sha256:58e8c0779cb8dd8a68db9c04a7067bc04720f86c59622ffe7bb8a832387c28c0",
        {
            "a": "Batch size alone does not decide it: for every B < N some batches miss the full-data "
            "minimum (look at the cloud for B = 20), and B = N always hits it.",
            "b": "Both surfaces are quadratic bowls whatever the batch, but bowls can have different "
            "centres: being a bowl says nothing about where the bottom is.",
            "c": "Yes. The batch minimum solves X_B^T (y_B - X_B w) = 0; the full minimum w* solves it "
            "exactly when the full-data residuals on the batch are orthogonal to the batch's columns, "
            "X_B^T r_B = 0 (always true for B = N).",
            "d": "Drawing without replacement only avoids repeated points; a batch of distinct points "
            "still has its own minimum (every point of the clouds was drawn without replacement).",
        },
        "answer_2_3",
    )


def _enumerated_cov(X: np.ndarray, y: np.ndarray, w: np.ndarray, batch_size: int) -> np.ndarray:
    """Covariance of the mean-loss batch gradient over every batch (brute force)."""
    grads = []
    for b in itertools.combinations(range(len(y)), batch_size):
        b = list(b)
        grads.append(2.0 / batch_size * X[b].T @ (X[b] @ w - y[b]))
    G = np.array(grads)
    D = G - G.mean(axis=0)
    return D.T @ D / len(G)


e2_4 = Exercise("2.4", "the batch gradient's covariance")


@e2_4.inputs
def _(rng):
    cases = []
    for n, batch_size in ((8, 3), (9, 1), (7, 7), (10, 4)):
        X, y = _data(rng, n)
        cases.append([X, y, rng.uniform([-2.0, -5.0], [6.0, 12.0]), batch_size])
    return {"cases": cases}


@e2_4.probe
def _(batch_gradient_cov, *, cases):
    return [call(batch_gradient_cov, X, y, w, b) for X, y, w, b in cases]


@e2_4.judge
def _(got, *, cases):
    for (X, y, w, b), cov in zip(cases, got, strict=True):
        X, y, w = (np.asarray(a, dtype=float) for a in (X, y, w))
        n = len(y)
        cov = expect_shape(cov, (2, 2), f"batch_gradient_cov(X, y, w, {b}) with {n} samples")
        expected = _enumerated_cov(X, y, w, b)
        scale = max(1.0, float(np.abs(expected).max()))
        expect_close(
            cov,
            expected,
            "batch_gradient_cov(X, y, w, batch_size)",
            rtol=1e-7,
            atol=1e-9 * scale,
            hint=f"(tested with N={n} samples, B={b}) per-sample gradients g_i = 2 x_i (x_i . w - y_i); "
            "their population covariance S = mean of (g_i - g)(g_i - g)^T (divide by N, not N - 1); "
            "then Cov = S / B * (N - B) / (N - 1).",
        )


e2_5 = Exercise("2.5", "predict: the shape of SGD's noise ball")


@e2_5.judge
def _(answer):
    return expect_choice(
        answer,
        "sha256:0010db182848bcdbd230618287ec15acf133df388067d6f296ef5280d9ec7ec5",
        {
            "a": "The noise alone would stretch it along the steep direction, but a step along a "
            "steep direction is also pulled back 136 times harder: run the next cell and compare "
            "the two standard deviations.",
            "b": "That is the shape of the contours (√136 ≈ 12 : 1), the ball of a point pushed by "
            "noise of equal strength in every direction; here the noise is far weaker along the "
            "flat direction. Run the next cell.",
            "c": "Right: per direction the ball's variance is about lr · (noise variance) / (2h - lr h²) "
            "for curvature h; the noise is ~140 times weaker along the flat direction and the "
            "curvature 136 times smaller, so the two nearly cancel.",
            "d": "With a constant step the batch gradient never vanishes at w* (its covariance at w* "
            "was printed above), so the iterates keep moving: a ball, not a point.",
        },
        "answer_2_5",
    )


e2_6 = Exercise("2.6", "choosing a batch size for a target spread")


@e2_6.inputs
def _(rng):
    X, y = _data(rng)
    return {"X": X, "y": y, "targets": [3.0, 2.0, 1.0, 0.5, 0.25, float(rng.uniform(0.3, 3.0))]}


@e2_6.probe
def _(smallest_batch_size, *, X, y, targets):
    return [call(smallest_batch_size, X, y, t) for t in targets]


@e2_6.judge
def _(got, *, X, y, targets):
    X, y = np.asarray(X), np.asarray(y)
    sizes = np.arange(2, len(y) + 1)  # below 2 points a batch has no unique minimum
    sds = np.array([np.sqrt(minima_cov_theory(X, y, b)[1, 1]) for b in sizes])
    for target, size in zip(targets, got, strict=True):
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
            raise AssertionError(f"smallest_batch_size should return an int, got {size!r:.40}")
        expected = int(sizes[np.argmax(sds <= target)])
        expect_equal(
            int(size),
            expected,
            f"smallest_batch_size(X, y, target={target:.3g})",
            hint="scan B = 2 ... N and keep the first B whose predicted intercept standard deviation "
            "np.sqrt(gridlib.minima_cov_theory(X, y, B)[1, 1]) is at most the target.",
        )
    return "the theory's prediction is what you would plan with; the simulation below checks it."


def progress():
    """This lesson's exercises and their verdicts in this kernel session."""
    return checking.progress(__name__)
